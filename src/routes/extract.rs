//! Extractors whose rejections become `AppError`, so bad input gets the site's error page.

use axum::extract::FromRequestParts;

use crate::error::AppError;

/// `axum::extract::Query` with a readable 400 page on bad query strings.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Query<T>(pub T);

/// `axum::extract::Path` where a malformed parameter is a 404.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct Path<T>(pub T);
