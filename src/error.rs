//! `AppError`: one variant per answer the product gives when it cannot serve a request.
//! Every error becomes the site's error page (see `views::errors`).

use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An error page to render: attached to error responses as an extension and turned
/// into HTML in the site's layout by the error-page middleware.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("unauthorized")]
    Unauthorized,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("too many requests")]
    TooManyRequests { retry_after: u64, message: String },
    #[error("unavailable")]
    Unavailable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The sentence shown to the reader. Internal details never reach it.
    pub fn message(&self) -> String {
        match self {
            Self::Forbidden(m) | Self::BadRequest(m) | Self::Conflict(m) | Self::UnsupportedMediaType(m) => m.clone(),
            Self::TooManyRequests { message, .. } => message.clone(),
            other => default_message(other.status()).to_owned(),
        }
    }
}

/// What an error page says for a status when the code that failed said nothing more.
pub fn default_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "The request could not be understood.",
        401 => "You need to log in to see this page.",
        403 => "You are not allowed to do that.",
        404 => "There is nothing here. The page may have moved, or the address may be mistyped.",
        405 => "This address does not accept that kind of request.",
        408 => "The request took too long to arrive.",
        409 => "That conflicts with what is already here.",
        413 => "What you sent is too large.",
        415 => "What you sent is not in a form this address accepts.",
        422 => "Some of what you sent is not valid.",
        429 => "Too many requests. Please slow down and try again in a moment.",
        503 => "The site is busy or briefly unavailable. Please try again in a moment.",
        _ if status.is_server_error() => "Something went wrong on our side. Please try again later.",
        _ => "The request could not be completed.",
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let Self::Internal(e) = &self {
            tracing::error!(error = ?e, "request failed");
        }
        let status = self.status();
        let mut response = (status, ErrorPage { message: self.message() }).into_response();
        if let Self::TooManyRequests { retry_after, .. } = self {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
    }
}

impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        // Every connection busy, the database locked for too long, or the database
        // unreachable for now (a PostgreSQL restart): a passing condition, 503.
        if crate::store::db::is_busy(&e) || crate::store::db::is_unreachable(&e) {
            tracing::warn!(error = %e, "database busy or unreachable");
            return Self::Unavailable;
        }
        Self::Internal(anyhow::Error::new(e).context("database"))
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        Self::Internal(anyhow::Error::new(e).context("rendering a template"))
    }
}

impl From<QueryRejection> for AppError {
    fn from(e: QueryRejection) -> Self {
        Self::BadRequest(format!("The address's query string is not valid: {}", e.body_text()))
    }
}

impl From<PathRejection> for AppError {
    fn from(e: PathRejection) -> Self {
        match e {
            PathRejection::FailedToDeserializePathParams(_) => Self::NotFound,
            other => Self::Internal(anyhow::anyhow!("path extraction: {}", other.body_text())),
        }
    }
}

impl From<FormRejection> for AppError {
    fn from(e: FormRejection) -> Self {
        match e {
            FormRejection::InvalidFormContentType(_) => {
                Self::UnsupportedMediaType("Forms must be sent as application/x-www-form-urlencoded.".to_owned())
            }
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            other => Self::BadRequest(format!("The form could not be read: {}", other.body_text())),
        }
    }
}
