//! The assertions tests make about answers: a status, a redirect, the site's 404 page,
//! conditional GET. Each reads the answer to the end and, on failure, says which URL
//! answered what, with the start of the body, so a failure explains itself.

use reqwest::header::HeaderMap;

use crate::helpers::TestApp;

/// How much of a body a failure message shows.
const EXCERPT_CHARS: usize = 600;

/// An answer read to the end: what the assertions check and what their messages show.
pub struct Reply {
    pub url: String,
    pub status: u16,
    pub headers: HeaderMap,
    /// The body as sent.
    pub bytes: Vec<u8>,
    /// The body as text (invalid UTF-8 replaced).
    pub body: String,
}

impl Reply {
    /// Reads `res` to the end.
    pub async fn read(res: reqwest::Response) -> Reply {
        let url = res.url().to_string();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.unwrap_or_else(|e| panic!("{url}: the body could not be read: {e}")).to_vec();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        Reply { url, status, headers, bytes, body }
    }

    /// A header's value as text, empty when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    /// The answer's headers (as on a `reqwest::Response`).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// `URL answered STATUS` with the start of the body (of its `<main>` on a page), for
    /// failure messages.
    pub fn describe(&self) -> String {
        // A page's content, not its <head>, says what went wrong.
        let from = self.body.find("<main").and_then(|i| self.body.get(i..)).unwrap_or(&self.body);
        let excerpt: String = from.chars().take(EXCERPT_CHARS).collect();
        let more = if from.chars().nth(EXCERPT_CHARS).is_some() { "\n[…]" } else { "" };
        let location = match self.header("location") {
            "" => String::new(),
            to => format!(" (Location: {to})"),
        };
        format!("{} answered {}{location}; body:\n{excerpt}{more}", self.url, self.status)
    }
}

/// An answer whose headers can be read, read to the end or not.
pub trait Headers {
    fn header_map(&self) -> &HeaderMap;
}

impl Headers for reqwest::Response {
    fn header_map(&self) -> &HeaderMap {
        self.headers()
    }
}

impl Headers for Reply {
    fn header_map(&self) -> &HeaderMap {
        &self.headers
    }
}

/// The `Location` of a redirect, empty when there is none.
pub fn location(r: &impl Headers) -> String {
    r.header_map().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// Asserts the answer's status; `context` (may be empty) says which case failed.
pub fn check_status(reply: &Reply, code: u16, context: &str) {
    assert_eq!(reply.status, code, "{context}\nexpected {code}: {}", reply.describe());
}

/// Asserts `res` answered `code`; returns it read, for further checks.
pub async fn status(res: reqwest::Response, code: u16, context: String) -> Reply {
    let reply = Reply::read(res).await;
    check_status(&reply, code, &context);
    reply
}

/// Asserts `res` is a redirect with status `code` (301, 302, 303, 307 or 308) to `to`.
pub async fn redirect(res: reqwest::Response, code: u16, to: &str, context: String) -> Reply {
    assert!(matches!(code, 301 | 302 | 303 | 307 | 308), "{code} is not a redirect status");
    let reply = Reply::read(res).await;
    check_status(&reply, code, &context);
    assert_eq!(reply.header("location"), to, "{context}\nwhere {} redirects: {}", reply.url, reply.describe());
    reply
}

/// Asserts `res` is a 404 showing the site's error page (in the layout, not a bare text).
pub async fn not_found(res: reqwest::Response, context: String) -> Reply {
    let reply = Reply::read(res).await;
    check_status(&reply, 404, &context);
    assert!(
        reply.body.contains(r#"data-test="error" data-status="404""#),
        "{context}\nthe 404 is not the site's error page: {}",
        reply.describe()
    );
    reply
}

/// `assert_status!(res, 200)` or `assert_status!(res, 422, "{field}")`: asserts a
/// response's status and evaluates to the response read to the end ([`Reply`]).
macro_rules! assert_status {
    ($res:expr, $code:expr $(,)?) => {
        $crate::assert::status($res, $code, String::new()).await
    };
    ($res:expr, $code:expr, $($context:tt)+) => {
        $crate::assert::status($res, $code, format!($($context)+)).await
    };
}

/// `assert_redirect!(res, 303, "/admin")` (with an optional message after): asserts a
/// redirect's status and `Location`, and evaluates to the [`Reply`].
macro_rules! assert_redirect {
    ($res:expr, $code:expr, $to:expr $(,)?) => {
        $crate::assert::redirect($res, $code, AsRef::<str>::as_ref(&$to), String::new()).await
    };
    ($res:expr, $code:expr, $to:expr, $($context:tt)+) => {
        $crate::assert::redirect($res, $code, AsRef::<str>::as_ref(&$to), format!($($context)+)).await
    };
}

/// `assert_not_found!(res)` (with an optional message after): asserts a 404 with the
/// site's error page, and evaluates to the [`Reply`].
macro_rules! assert_not_found {
    ($res:expr $(,)?) => {
        $crate::assert::not_found($res, String::new()).await
    };
    ($res:expr, $($context:tt)+) => {
        $crate::assert::not_found($res, format!($($context)+)).await
    };
}

pub(crate) use {assert_not_found, assert_redirect, assert_status};

/// Asserts `path` answers conditional GET: a 200 with an `ETag` (and `Last-Modified`
/// when `last_modified` is true), `304` with no body and the same `ETag` to
/// `If-None-Match` with it and to `*` (keeping the 200's `Cache-Control`), `304` to
/// `If-Modified-Since` with the
/// `Last-Modified`, and `200` to an `If-None-Match` naming another version. Returns
/// the `ETag`.
pub async fn assert_conditional_get(app: &TestApp, path: &str, last_modified: bool) -> String {
    let first = assert_status!(app.get(path).await, 200, "{path}");
    let etag = first.header("etag").to_owned();
    assert!(!etag.is_empty(), "no ETag: {}", first.describe());
    let modified = Some(first.header("last-modified").to_owned()).filter(|v| !v.is_empty());
    assert_eq!(modified.is_some(), last_modified, "Last-Modified expected: {last_modified}; {}", first.describe());

    let send = async |name: &str, value: &str| {
        Reply::read(app.client.get(app.url(path)).header(name, value).send().await.unwrap()).await
    };
    for value in [etag.as_str(), "*"] {
        let again = send("if-none-match", value).await;
        check_status(&again, 304, &format!("If-None-Match: {value}"));
        assert_eq!(again.header("etag"), etag, "If-None-Match: {value}: {}", again.describe());
        let policy = first.header("cache-control");
        assert_eq!(again.header("cache-control"), policy, "a 304 keeps the policy: {}", again.describe());
        assert!(again.body.is_empty(), "a 304 has no body: {}", again.describe());
    }
    if let Some(since) = &modified {
        check_status(&send("if-modified-since", since).await, 304, "If-Modified-Since");
    }
    check_status(&send("if-none-match", "\"something-else\"").await, 200, "another version's ETag");
    etag
}

#[tokio::test]
async fn a_failed_assertion_names_the_url_the_status_and_the_start_of_the_body() {
    let app = crate::helpers::spawn_app().await;
    let url = app.url("/no-such-page");
    let res = app.get("/no-such-page").await;

    let failed = tokio::spawn(async move { assert_status!(res, 200, "the home page") }).await;

    let panic = failed.err().expect("a 404 is not a 200").into_panic();
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    for part in ["the home page", "expected 200", &format!("{url} answered 404"), "Page not found"] {
        assert!(message.contains(part), "{part:?} missing from:\n{message}");
    }
}
