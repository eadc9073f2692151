//! `GET /healthz`: 200 when the database answers, 503 otherwise.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::app::AppState;
use crate::http_cache::CachePolicy;

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

async fn healthz(State(app): State<AppState>) -> impl IntoResponse {
    let headers = [(header::CONTENT_TYPE, "text/plain; charset=utf-8")];
    if app.store.is_healthy().await {
        (StatusCode::OK, CachePolicy::Private, headers, "ok\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, CachePolicy::Private, headers, "database unavailable\n")
    }
}
