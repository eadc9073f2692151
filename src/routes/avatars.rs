//! `GET /avatars/{key}.svg`: the identicon drawn from a comment's avatar key (see
//! `domain::privacy`), the same for ever, so cached as immutable. Nothing is fetched
//! from, or sent to, anyone else.

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::extract::Path;
use crate::app::AppState;
use crate::domain::privacy;
use crate::error::AppError;
use crate::http_cache::CachePolicy;

use privacy::DEFAULT_AVATAR as DEFAULT_KEY;

pub fn router() -> Router<AppState> {
    Router::new().route("/avatars/{file}", get(avatar))
}

async fn avatar(Path(file): Path<String>) -> Result<Response, AppError> {
    let key = file.strip_suffix(".svg").ok_or(AppError::NotFound)?;
    let svg = if key == DEFAULT_KEY {
        privacy::identicon_svg("0000000000000000")
    } else if privacy::is_avatar_key(key) {
        privacy::identicon_svg(key)
    } else {
        return Err(AppError::NotFound);
    };
    let mut response = ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response();
    response.extensions_mut().insert(CachePolicy::Immutable);
    Ok(response)
}
