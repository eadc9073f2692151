//! The HTTP server loop: accepts connections within the connection caps, closes slow
//! and idle ones, and on shutdown lets the requests in flight finish.
//!
//! Every connection holds a place in the total and, unless its peer is a trusted
//! proxy, one in its client's count (an IPv4 address or an IPv6 /64). A connection
//! over either cap is answered at once (503 or 429) and closed, never queued.
//! hyper closes a connection whose request headers take longer than the header
//! timeout; this loop closes one that has had no request in progress and no bytes
//! moving for the idle timeout (which also ends a response stalled by a client that
//! stopped reading).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use ipnet::IpNet;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt;

use crate::config::ServerLimits;

/// Largest request header block hyper reads at all (answered with a bare 431).
/// Smaller blocks over [`crate::app::MAX_HEADER_BYTES`] get the site's 431 page.
pub const HARD_MAX_HEADER_BYTES: usize = 64 * 1024;
/// File descriptors kept free for the database, static files, logs and the kept
/// files hot media are sent from (zero_copy) when the connection cap is fitted to
/// the file limit.
pub const RESERVED_FILES: u64 = 128 + crate::zero_copy::MAX_SHARED_FILES as u64;
/// How long shutdown waits for requests in flight before it stops anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// Refusals answered with a status line at the same time; past this, connections
/// over a cap are closed without an answer.
const CONCURRENT_REFUSALS: usize = 64;
/// How long a refusal waits for the client to read it before closing.
const REFUSAL_LINGER: Duration = Duration::from_millis(500);
/// Pause after an accept error (e.g. out of file descriptors) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The whole answer to a connection over a cap: a status, a sentence, and close.
fn refusal_answer(refusal: Refusal) -> Vec<u8> {
    let (status, retry_after, text) = match refusal {
        Refusal::Full => ("503 Service Unavailable", 5, "The site is busy. Please try again in a moment.\n"),
        Refusal::ClientFull => {
            ("429 Too Many Requests", 10, "Too many connections from your network. Please try again soon.\n")
        }
    };
    format!(
        "HTTP/1.1 {status}\r\nRetry-After: {retry_after}\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Cache-Control: no-store\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{text}",
        text.len()
    )
    .into_bytes()
}

/// Raises the soft limit on open files to the hard limit, so that connections are
/// capped by [`ServerLimits`] rather than by a low default (often 256 or 1024).
/// Returns the soft limit in force afterwards, if it could be read.
pub fn raise_file_limit() -> Option<u64> {
    let before = rlimit::Resource::NOFILE.get().ok().map(|(soft, _)| soft);
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(now) => {
            if before.is_some_and(|b| b < now) {
                tracing::info!(from = before, to = now, "raised the open file limit");
            }
            Some(now)
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot raise the open file limit");
            before
        }
    }
}

/// The limits with the connection caps lowered to fit `file_limit` open files.
pub fn fit_to_file_limit(mut limits: ServerLimits, file_limit: Option<u64>) -> ServerLimits {
    if let Some(files) = file_limit {
        let room = usize::try_from(files.saturating_sub(RESERVED_FILES)).unwrap_or(usize::MAX).max(1);
        if limits.max_connections > room {
            tracing::warn!(
                configured = limits.max_connections,
                used = room,
                "the open file limit allows fewer connections than configured"
            );
            limits.max_connections = room;
        }
    }
    limits.max_connections_per_client = limits.max_connections_per_client.min(limits.max_connections);
    limits
}

/// Serves `service` on `listener` until `shutdown` resolves, then lets open
/// connections finish their requests (for at most [`SHUTDOWN_GRACE`]).
pub async fn run<S>(
    listener: TcpListener,
    service: S,
    limits: ServerLimits,
    trusted_proxies: Vec<IpNet>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) where
    S: tower::Service<Request<Body>, Response = Response<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(HARD_MAX_HEADER_BYTES);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(HARD_MAX_HEADER_BYTES).unwrap_or(u32::MAX));
    let builder = Arc::new(builder);
    let places = Arc::new(Places::new(limits));
    let refusals = Arc::new(Semaphore::new(CONCURRENT_REFUSALS));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let client = client_key(peer.ip(), &trusted_proxies);
        let place = match places.take(client) {
            Ok(place) => place,
            Err(refusal) => {
                refuse(stream, refusal, &refusals);
                continue;
            }
        };
        let connection = Connection { builder: builder.clone(), limits, peer, stop: stop_rx.clone() };
        tokio::spawn(connection.serve(stream, service.clone(), place));
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(stop_rx);
    if tokio::time::timeout(SHUTDOWN_GRACE, stop_tx.closed()).await.is_err() {
        tracing::warn!("some connections were still open at the end of the shutdown grace period");
    }
}

/// The key a connection counts under: `None` for a trusted proxy (which carries many
/// clients), else the peer's IPv4 address or IPv6 /64.
fn client_key(peer: IpAddr, trusted_proxies: &[IpNet]) -> Option<IpAddr> {
    let peer = match peer {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(peer, IpAddr::V4),
        v4 => v4,
    };
    if trusted_proxies.iter().any(|net| net.contains(&peer)) {
        return None;
    }
    Some(match peer {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        v4 => v4,
    })
}

/// Why a connection was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// Every place is taken.
    Full,
    /// The client holds its share.
    ClientFull,
}

/// Open connections, in total and per client.
struct Places {
    limits: ServerLimits,
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

impl Places {
    fn new(limits: ServerLimits) -> Self {
        Self { limits, open: Mutex::new((0, HashMap::new())) }
    }

    fn take(self: &Arc<Self>, client: Option<IpAddr>) -> Result<Place, Refusal> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let (total, per_client) = &mut *open;
        if *total >= self.limits.max_connections {
            return Err(Refusal::Full);
        }
        if let Some(ip) = client {
            let count = per_client.entry(ip).or_insert(0);
            if *count >= self.limits.max_connections_per_client {
                return Err(Refusal::ClientFull);
            }
            *count += 1;
        }
        *total += 1;
        Ok(Place { places: self.clone(), client })
    }
}

/// A connection's place; given back when dropped.
struct Place {
    places: Arc<Places>,
    client: Option<IpAddr>,
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut open = self.places.open.lock().unwrap_or_else(PoisonError::into_inner);
        let (total, per_client) = &mut *open;
        *total = total.saturating_sub(1);
        if let Some(ip) = self.client
            && let Some(count) = per_client.get_mut(&ip)
        {
            *count = count.saturating_sub(1);
            if *count == 0 {
                per_client.remove(&ip);
            }
        }
    }
}

/// Answers a connection over a cap with a short status and closes it; when many
/// refusals are already under way, closes it without a word.
fn refuse(mut stream: TcpStream, refusal: Refusal, refusals: &Arc<Semaphore>) {
    let Ok(permit) = refusals.clone().try_acquire_owned() else { return };
    tokio::spawn(async move {
        let _permit = permit;
        let answer = refusal_answer(refusal);
        let _ = tokio::time::timeout(REFUSAL_LINGER, async {
            stream.write_all(&answer).await?;
            stream.shutdown().await?;
            // Reading what the client sent lets the answer arrive instead of a reset.
            let mut sink = [0u8; 1024];
            while tokio::io::AsyncReadExt::read(&mut stream, &mut sink).await? > 0 {}
            Ok::<_, std::io::Error>(())
        })
        .await;
    });
}

/// One accepted connection and what it needs to be served.
struct Connection {
    builder: Arc<auto::Builder<TokioExecutor>>,
    limits: ServerLimits,
    peer: SocketAddr,
    stop: watch::Receiver<bool>,
}

impl Connection {
    async fn serve<S>(mut self, stream: TcpStream, service: S, place: Place)
    where
        S: tower::Service<Request<Body>, Response = Response<Body>, Error = Infallible> + Clone + Send + 'static,
        S::Future: Send + 'static,
    {
        let _place = place;
        // Answers are written whole, and a body sent from a kept file follows its
        // headers marked as more to come (see zero_copy), so a last short segment
        // never waits for the client's acknowledgement of the one before.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot turn off Nagle's algorithm on a connection");
        }
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Watched { inner: stream, activity: activity.clone() });
        let peer = self.peer;
        let requests = activity.clone();
        let hyper_service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            let busy = Busy::start(&requests);
            let service = service.clone();
            async move {
                let response = service.oneshot(request).await;
                drop(busy);
                response
            }
        });
        let connection = self.builder.serve_connection(io, hyper_service);
        let mut connection = std::pin::pin!(connection);
        let idle = self.limits.idle_timeout;
        // hyper times the headers of HTTP/1 requests once it knows the protocol; this
        // also bounds the bytes before that, and an HTTP/2 connection's first request.
        let first_request_by = activity.start + self.limits.header_timeout;
        let mut stopping = *self.stop.borrow();
        if stopping {
            connection.as_mut().graceful_shutdown();
        }
        loop {
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    return;
                }
                () = tokio::time::sleep_until(activity.next_check(idle)) => {
                    if activity.idle_for(idle) {
                        tracing::debug!("closing an idle connection");
                        return;
                    }
                }
                () = tokio::time::sleep_until(first_request_by), if !activity.has_served() => {
                    if !activity.has_served() {
                        tracing::debug!("closing a connection that sent no request in time");
                        return;
                    }
                }
                changed = self.stop.changed(), if !stopping => {
                    stopping = true;
                    if changed.is_ok() {
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
        }
    }
}

/// When a connection last moved bytes or finished a request, and how many requests
/// it has in progress.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
    in_progress: AtomicUsize,
    served: AtomicBool,
}

impl Activity {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            in_progress: AtomicUsize::new(0),
            served: AtomicBool::new(false),
        }
    }

    /// True once a request has reached the application.
    fn has_served(&self) -> bool {
        self.served.load(Ordering::Relaxed)
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }

    /// When the connection could next have been idle for `idle`.
    fn next_check(&self, idle: Duration) -> Instant {
        if self.in_progress.load(Ordering::Relaxed) > 0 {
            Instant::now() + idle
        } else {
            (self.last() + idle).max(Instant::now() + Duration::from_millis(1))
        }
    }

    fn idle_for(&self, idle: Duration) -> bool {
        self.in_progress.load(Ordering::Relaxed) == 0 && self.last().elapsed() >= idle
    }
}

/// A request in progress on a connection; the connection is not idle while it lasts.
struct Busy(Arc<Activity>);

impl Busy {
    fn start(activity: &Arc<Activity>) -> Self {
        activity.in_progress.fetch_add(1, Ordering::Relaxed);
        activity.served.store(true, Ordering::Relaxed);
        Self(activity.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_progress.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A TCP stream that records when bytes move.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = crate::zero_copy::poll_write_vectored(&mut self.inner, cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn clients_are_counted_by_address_or_64_and_trusted_proxies_not_at_all() {
        let proxies: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap_or_default()];
        assert_eq!(client_key(ip("203.0.113.9"), &proxies), Some(ip("203.0.113.9")));
        assert_eq!(client_key(ip("::ffff:203.0.113.9"), &proxies), Some(ip("203.0.113.9")));
        assert_eq!(client_key(ip("2001:db8:1:2:aaaa::1"), &proxies), Some(ip("2001:db8:1:2::")));
        assert_eq!(client_key(ip("10.1.2.3"), &proxies), None);
    }

    #[test]
    fn places_are_capped_per_client_and_in_total_and_given_back() {
        let limits = ServerLimits { max_connections: 3, max_connections_per_client: 2, ..ServerLimits::DEFAULT };
        let places = Arc::new(Places::new(limits));
        let (a, b) = (Some(ip("192.0.2.1")), Some(ip("192.0.2.2")));
        let first = places.take(a);
        let second = places.take(a);
        assert_eq!(places.take(a).err(), Some(Refusal::ClientFull));
        let third = places.take(b);
        assert_eq!(places.take(None).err(), Some(Refusal::Full));
        assert!(first.is_ok() && second.is_ok() && third.is_ok());
        drop(first);
        assert!(places.take(a).is_ok(), "a closed connection gives its place back");
    }

    #[test]
    fn the_connection_cap_fits_the_file_limit() {
        let fitted = fit_to_file_limit(ServerLimits::DEFAULT, Some(1024));
        assert_eq!(fitted.max_connections, 1024 - RESERVED_FILES as usize);
        assert!(fitted.max_connections_per_client <= fitted.max_connections);
        assert_eq!(fit_to_file_limit(ServerLimits::DEFAULT, None), ServerLimits::DEFAULT);
    }
}
