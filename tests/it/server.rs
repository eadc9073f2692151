//! The HTTP server under slow and greedy clients: connection caps, header and idle
//! timeouts, stalled bodies and oversized headers. Every test is bounded in time and
//! sockets and stays on loopback (127.0.0.1 plays the greedy client, 127.0.0.2 a
//! reader).

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use hewn::config::ServerLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::assert::assert_status;
use crate::helpers::{Spawn, TestApp, spawn_with};

const GREEDY: &str = "127.0.0.1";
const READER: &str = "127.0.0.2";

async fn app_with(limits: ServerLimits) -> TestApp {
    hewn::server::raise_file_limit();
    spawn_with(Spawn { limits: Some(limits), ..Spawn::default() }).await
}

fn addr(app: &TestApp) -> SocketAddr {
    app.base.trim_start_matches("http://").parse().unwrap()
}

/// A TCP connection to the app from `from`.
async fn connect_from(app: &TestApp, from: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from.parse().unwrap(), 0)).unwrap();
    socket.connect(addr(app)).await.unwrap()
}

/// What the server sends within `wait` (empty when it sends nothing).
async fn read_for(stream: &mut TcpStream, wait: Duration) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
        if n == 0 {
            break;
        }
        got.extend_from_slice(buf.get(..n).unwrap());
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// Sends a raw request from `from` and returns the status of the answer and how long it took.
async fn raw_request(app: &TestApp, from: &str, request: &[u8], wait: Duration) -> (u16, String, Duration) {
    let started = Instant::now();
    let mut stream = connect_from(app, from).await;
    let _ = stream.write_all(request).await;
    let answer = read_for(&mut stream, wait).await;
    let status = answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, answer, started.elapsed())
}

fn get_home() -> &'static [u8] {
    b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
}

/// A client that talks from `from`.
fn client_from(from: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(from.parse::<IpAddr>().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// An HTTP/1.1 request whose headers never end.
const ENDLESS_HEADERS: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";
/// The HTTP/2 connection preface.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// How long a connection lived until the server closed it (`None` if it outlived
/// `limit`), sending nothing, or `trickle` (then `a` forever) a byte every 200 ms.
async fn lifetime(mut stream: TcpStream, trickle: Option<&'static [u8]>, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let mut bytes = trickle.unwrap_or_default().iter().chain(std::iter::repeat(&b'a')).copied();
    let trickle = trickle.is_some();
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => return Some(started.elapsed()),
                Ok(_) => {}
            },
            _ = tick.tick(), if trickle => {
                let byte = [bytes.next().unwrap()];
                if stream.write_all(&byte).await.is_err() {
                    return Some(started.elapsed());
                }
            }
            () = tokio::time::sleep_until(deadline) => return None,
        }
    }
}

#[tokio::test]
async fn idle_and_trickling_sockets_are_closed_after_their_timeouts_while_readers_are_served() {
    let limits = ServerLimits {
        header_timeout: Duration::from_secs(2),
        idle_timeout: Duration::from_millis(500),
        ..ServerLimits::DEFAULT
    };
    let app = app_with(ServerLimits { max_connections: 1000, max_connections_per_client: 1000, ..limits }).await;

    let mut idle = Vec::new();
    let mut trickling = Vec::new();
    for i in 0..300 {
        let stream = connect_from(&app, GREEDY).await;
        let bound = Duration::from_secs(8);
        match i % 3 {
            0 => idle.push(tokio::spawn(lifetime(stream, None, bound))),
            1 => trickling.push(tokio::spawn(lifetime(stream, Some(ENDLESS_HEADERS), bound))),
            _ => trickling.push(tokio::spawn(lifetime(stream, Some(H2_PREFACE), bound))),
        }
    }
    let started = Instant::now();
    let reader = client_from(READER).get(app.url("/")).send().await.unwrap().status();
    let reader_took = started.elapsed();
    let from_the_same_address = client_from(GREEDY).get(app.url("/")).send().await.unwrap().status();
    let mut idle_lives = Vec::new();
    for t in idle {
        idle_lives.push(t.await.unwrap());
    }
    let mut trickle_lives = Vec::new();
    for t in trickling {
        trickle_lives.push(t.await.unwrap());
    }

    assert_eq!(reader, 200);
    assert!(reader_took < Duration::from_secs(2), "a reader waited {reader_took:?}");
    assert_eq!(from_the_same_address, 200, "under the cap, the same address is served too");
    let bad_idle: Vec<_> = idle_lives
        .iter()
        .filter(|l| !l.is_some_and(|d| d >= Duration::from_millis(400) && d < limits.header_timeout))
        .collect();
    assert!(
        bad_idle.is_empty(),
        "idle sockets must close after the idle timeout, before the header timeout: {bad_idle:?}"
    );
    let bad_trickle: Vec<_> = trickle_lives
        .iter()
        .filter(|l| !l.is_some_and(|d| d >= Duration::from_millis(1900) && d < Duration::from_millis(3500)))
        .collect();
    assert!(bad_trickle.is_empty(), "trickling sockets must close at the header timeout: {bad_trickle:?}");
}

#[tokio::test]
async fn connections_over_the_per_client_cap_are_refused_at_once_and_other_clients_are_served() {
    let app =
        app_with(ServerLimits { max_connections: 1000, max_connections_per_client: 50, ..ServerLimits::DEFAULT }).await;

    let mut held = Vec::new();
    for _ in 0..50 {
        held.push(connect_from(&app, GREEDY).await);
    }
    let mut refused = Vec::new();
    for _ in 0..30 {
        refused.push(raw_request(&app, GREEDY, get_home(), Duration::from_secs(2)).await);
    }
    let started = Instant::now();
    let reader = client_from(READER).get(app.url("/")).send().await.unwrap().status();
    let reader_took = started.elapsed();
    drop(held);
    let mut after = 0;
    for _ in 0..40 {
        after = raw_request(&app, GREEDY, get_home(), Duration::from_secs(2)).await.0;
        if after == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    for (status, answer, took) in &refused {
        assert_eq!(*status, 429, "{answer}");
        assert!(answer.contains("retry-after: 10") || answer.contains("Retry-After: 10"), "{answer}");
        assert!(*took < Duration::from_secs(1), "a refusal took {took:?}");
    }
    assert_eq!(reader, 200);
    assert!(reader_took < Duration::from_secs(2), "a reader waited {reader_took:?}");
    assert_eq!(after, 200, "closed connections give their places back");
}

#[tokio::test]
async fn a_full_server_answers_503_at_once_instead_of_queueing() {
    let app =
        app_with(ServerLimits { max_connections: 20, max_connections_per_client: 20, ..ServerLimits::DEFAULT }).await;

    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(connect_from(&app, GREEDY).await);
    }
    let (status, answer, took) = raw_request(&app, READER, get_home(), Duration::from_secs(2)).await;
    drop(held);
    let mut after = 0;
    for _ in 0..40 {
        after = raw_request(&app, READER, get_home(), Duration::from_secs(2)).await.0;
        if after == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    assert_eq!(status, 503, "{answer}");
    assert!(took < Duration::from_secs(1), "the refusal took {took:?}");
    assert_eq!(after, 200);
}

#[tokio::test]
async fn a_stalled_request_body_gets_408_after_the_body_timeout() {
    let app = app_with(ServerLimits { body_timeout: Duration::from_millis(700), ..ServerLimits::DEFAULT }).await;
    let request = b"POST /admin/login HTTP/1.1\r\nHost: localhost\r\n\
        Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=a";

    let comment = b"POST /posts/year-of-the-stakhanovite/comments HTTP/1.1\r\nHost: localhost\r\n\
        Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nauthor=abc";

    let (status, answer, took) = raw_request(&app, GREEDY, request, Duration::from_secs(10)).await;
    let (comment_status, comment_answer, _) = raw_request(&app, GREEDY, comment, Duration::from_secs(10)).await;

    assert_eq!(status, 408, "{answer}");
    assert!(answer.contains("took too long to arrive"), "the site's error page: {answer}");
    assert!(took >= Duration::from_millis(600) && took < Duration::from_secs(5), "{took:?}");
    assert_eq!(comment_status, 408, "{comment_answer}");
}

#[tokio::test]
async fn a_trusted_proxy_counts_only_toward_the_total() {
    hewn::server::raise_file_limit();
    let limits = ServerLimits { max_connections: 1000, max_connections_per_client: 5, ..ServerLimits::DEFAULT };
    let app = spawn_with(Spawn {
        limits: Some(limits),
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        ..Spawn::default()
    })
    .await;

    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(connect_from(&app, GREEDY).await);
    }
    let (through_proxy, answer, _) = raw_request(&app, GREEDY, get_home(), Duration::from_secs(5)).await;
    let mut direct = Vec::new();
    for _ in 0..5 {
        direct.push(connect_from(&app, READER).await);
    }
    let (over_cap, _, _) = raw_request(&app, READER, get_home(), Duration::from_secs(5)).await;

    assert_eq!(through_proxy, 200, "{answer}");
    assert_eq!(over_cap, 429, "other peers keep their cap");
}

#[tokio::test]
async fn headers_over_16_kib_get_431_with_the_sites_page() {
    let app = app_with(ServerLimits::DEFAULT).await;
    let client = client_from(GREEDY);

    let fits = client.get(app.url("/")).header("cookie", format!("a={}", "x".repeat(15 * 1024))).send().await.unwrap();
    let big = client.get(app.url("/")).header("cookie", format!("a={}", "x".repeat(17 * 1024))).send().await.unwrap();
    let big_status = big.status();
    let big_page = big.text().await.unwrap();
    let huge = raw_request(
        &app,
        GREEDY,
        format!("GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: {}\r\n\r\n", "y".repeat(70 * 1024)).as_bytes(),
        Duration::from_secs(3),
    )
    .await;

    assert_status!(fits, 200);
    assert_eq!(big_status, 431);
    assert!(big_page.contains("Clearing this site"), "{big_page}");
    assert_eq!(huge.0, 431, "hyper refuses what it will not read");
}

/// The page cache answers before the header limit is checked, so it leaves an
/// oversized request to the limit: a page in memory is still refused with 431.
#[tokio::test]
async fn a_page_in_the_cache_is_refused_with_431_to_headers_over_16_kib() {
    let app = app_with(ServerLimits::DEFAULT).await;
    let client = client_from(GREEDY);

    client.get(app.url("/")).send().await.unwrap();
    let hit = client.get(app.url("/")).send().await.unwrap();
    let big = client.get(app.url("/")).header("x-big", "y".repeat(17 * 1024)).send().await.unwrap();
    let big_status = big.status();
    let big_page = big.text().await.unwrap();

    assert_eq!(hit.headers()["x-hewn-cache"], "hit");
    assert_eq!(big_status, 431);
    assert!(big_page.contains("Clearing this site"), "{big_page}");
}

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish_and_closes_idle_connections() {
    // A request that takes a while, and word once the app is working on it.
    let entered = std::sync::Arc::new(tokio::sync::Notify::new());
    let slow = {
        let entered = entered.clone();
        move || {
            let entered = entered.clone();
            async move {
                entered.notify_one();
                tokio::time::sleep(Duration::from_millis(800)).await;
                "finished"
            }
        }
    };
    let extra = axum::Router::new().route("/slow", axum::routing::get(slow));
    let app = spawn_with(Spawn { extra: Some(extra), ..Spawn::default() }).await;
    let idle = connect_from(&app, GREEDY).await;
    let url = app.url("/slow");
    let in_flight = tokio::spawn(async move { client_from(READER).get(url).send().await.unwrap().text().await });
    tokio::time::timeout(Duration::from_secs(10), entered.notified()).await.expect("the request never reached the app");

    let started = Instant::now();
    let _dir = app.stop().await;
    let stopped_after = started.elapsed();
    let answer = in_flight.await.unwrap().unwrap();
    let idle_closed = lifetime(idle, None, Duration::from_secs(1)).await;

    assert_eq!(answer, "finished");
    assert!(stopped_after < Duration::from_secs(5), "shutdown took {stopped_after:?}");
    assert!(idle_closed.is_some(), "an idle connection does not hold up shutdown");
}
