//! Client faults answered as such: a header block over [`MAX_HEADER_BYTES`] gets 431,
//! and a request body that stops arriving gets 408 (not the 503 of a slow server).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use crate::app::AppState;
use crate::error::ErrorPage;

/// Largest request header block (request line and every header) answered normally.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// The size of a request's header block as it came over the wire (near enough:
/// HTTP/2 compresses it, but its decoded size is what the server holds).
pub fn header_bytes(request: &Request) -> usize {
    let uri = request.uri();
    let target = uri.scheme_str().map_or(0, |s| s.len() + "://".len())
        + uri.authority().map_or(0, |a| a.as_str().len())
        + uri.path_and_query().map_or(1, |p| p.as_str().len());
    let line = request.method().as_str().len() + " ".len() + target + " HTTP/1.1\r\n".len();
    request.headers().iter().fold(line, |n, (name, value)| n + name.as_str().len() + value.len() + ": \r\n".len())
}

/// Refuses a request whose header block is over [`MAX_HEADER_BYTES`] with 431, before
/// any handler sees it (the page cache in front passes such a request on to here
/// rather than answering it). The site's page is rendered by
/// [`crate::app::error_response`].
pub async fn limit_header_size(State(app): State<AppState>, request: Request, next: Next) -> Response {
    if header_bytes(&request) <= MAX_HEADER_BYTES {
        return next.run(request).await;
    }
    let message = format!(
        "The request's headers are larger than this site accepts ({} KiB). Clearing this site's cookies may help.",
        MAX_HEADER_BYTES / 1024
    );
    let mut response = crate::app::error_response(&app, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, message).await;
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// True when the request's path holds a NUL character, raw or as `%00`: no page,
/// slug or file has one, and PostgreSQL text cannot hold one. (Query values are
/// the handlers' to judge: a search treats NUL as a space, an old `?cat=` link
/// with one names nothing.)
pub fn has_nul(uri: &axum::http::Uri) -> bool {
    let path = uri.path();
    path.contains('\0') || path.as_bytes().windows(3).any(|w| w == b"%00")
}

/// Refuses an address with a NUL character in it (see [`has_nul`]) with 400, before
/// it reaches a handler or a query.
pub async fn refuse_nul_in_address(State(app): State<AppState>, request: Request, next: Next) -> Response {
    if !has_nul(request.uri()) {
        return next.run(request).await;
    }
    let message = "The address contains a NUL character (%00), which no address on this site has.".to_owned();
    crate::app::error_response(&app, StatusCode::BAD_REQUEST, message).await
}

/// Answers 408 when the request body paused longer than the body timeout, or was
/// still arriving when the request timeout ran out: the client was slow, not the site.
pub async fn time_out_slow_bodies(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let state = Arc::new(BodyState::default());
    let watched = Watched {
        inner: body,
        pause: app.config.limits.body_timeout,
        deadline: Box::pin(tokio::time::sleep(app.config.limits.body_timeout)),
        state: state.clone(),
    };
    let response = next.run(Request::from_parts(parts, Body::new(watched))).await;
    let incomplete_at_timeout =
        response.status() == StatusCode::SERVICE_UNAVAILABLE && state.started() && !state.finished();
    if !(state.timed_out() || incomplete_at_timeout) {
        return response;
    }
    tracing::info!("a request body stopped arriving");
    let mut response = (
        StatusCode::REQUEST_TIMEOUT,
        ErrorPage { message: crate::error::default_message(StatusCode::REQUEST_TIMEOUT).to_owned() },
    )
        .into_response();
    // The rest of the body may still come; it is not read.
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// What became of a watched body.
#[derive(Debug, Default)]
struct BodyState {
    started: AtomicBool,
    finished: AtomicBool,
    timed_out: AtomicBool,
}

impl BodyState {
    fn started(&self) -> bool {
        self.started.load(Ordering::Relaxed)
    }
    fn finished(&self) -> bool {
        self.finished.load(Ordering::Relaxed)
    }
    fn timed_out(&self) -> bool {
        self.timed_out.load(Ordering::Relaxed)
    }
}

/// A request body that fails when no frame arrives for `pause`.
struct Watched {
    inner: Body,
    pause: Duration,
    deadline: Pin<Box<Sleep>>,
    state: Arc<BodyState>,
}

impl http_body::Body for Watched {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        self.state.started.store(true, Ordering::Relaxed);
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(frame)) => {
                let pause = self.pause;
                self.deadline.as_mut().reset(Instant::now() + pause);
                Poll::Ready(Some(frame))
            }
            Poll::Ready(None) => {
                self.state.finished.store(true, Ordering::Relaxed);
                Poll::Ready(None)
            }
            Poll::Pending => match self.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    self.state.timed_out.store(true, Ordering::Relaxed);
                    let e = std::io::Error::new(std::io::ErrorKind::TimedOut, "the request body stopped arriving");
                    Poll::Ready(Some(Err(axum::Error::new(e))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_block_counts_the_request_line_and_every_header() {
        let request = Request::builder()
            .uri("/posts/x")
            .header("cookie", "a".repeat(1000))
            .body(Body::empty())
            .unwrap_or_default();
        let n = header_bytes(&request);
        assert!((1000 + "cookie: \r\n".len()..1100).contains(&n), "{n}");
    }
}
