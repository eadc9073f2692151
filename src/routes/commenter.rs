//! The commenter's cookies: their details to prefill the form (one year), set only
//! when they tick "Save my name, email, and website in this browser"; and passes,
//! set after posting, to see their own comments while they await moderation and to
//! edit them within the edit window.
//!
//! These cookies are read only to build the commenter's own page, which is then
//! sent `Cache-Control: private, no-store`. They are `HttpOnly` (no script needs
//! them), `SameSite=Lax`, and `Secure` when the site is served over HTTPS.

use axum::http::HeaderMap;
use axum::response::Response;
use percent_encoding::percent_decode_str;

use crate::domain::comment_form::{MAX_AUTHOR_CHARS, MAX_EMAIL_CHARS, MAX_URL_CHARS};
use crate::domain::percent;
use crate::domain::signing::PendingPass;
use crate::routes::cookies;

pub const AUTHOR_COOKIE: &str = "hewn_comment_author";
pub const EMAIL_COOKIE: &str = "hewn_comment_email";
pub const URL_COOKIE: &str = "hewn_comment_url";
pub const PENDING_COOKIE: &str = "hewn_comment_pending";

/// How long the remembered details last (WordPress keeps them about a year).
pub const REMEMBER_SECONDS: i64 = 365 * 24 * 60 * 60;
/// Most passes the pending cookie keeps (the newest).
const MAX_PASSES: usize = 10;

/// The details a commenter asked the browser to remember.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Remembered {
    pub author: String,
    pub email: String,
    pub url: String,
}

/// What the commenter's cookies hold.
#[derive(Debug, Clone, Default)]
pub struct CommenterCookies {
    /// `None` when no details are remembered.
    pub remembered: Option<Remembered>,
    /// Passes read from the pending cookie (not yet verified).
    pub passes: Vec<PendingPass>,
}

impl CommenterCookies {
    /// Reads the commenter cookies from a request's `Cookie` headers. Values that do not
    /// decode, or are longer than the form allows, are ignored.
    pub fn read(headers: &HeaderMap) -> Self {
        let author = cookies::get(headers, AUTHOR_COOKIE).and_then(|v| decode(v, MAX_AUTHOR_CHARS));
        let email = cookies::get(headers, EMAIL_COOKIE).and_then(|v| decode(v, MAX_EMAIL_CHARS));
        let url = cookies::get(headers, URL_COOKIE).and_then(|v| decode(v, MAX_URL_CHARS));
        let passes = cookies::get(headers, PENDING_COOKIE).map_or_else(Vec::new, |v| {
            v.split('-').filter_map(PendingPass::from_cookie_part).take(MAX_PASSES).collect()
        });
        let remembered = (author.is_some() || email.is_some() || url.is_some()).then(|| Remembered {
            author: author.unwrap_or_default(),
            email: email.unwrap_or_default(),
            url: url.unwrap_or_default(),
        });
        Self { remembered, passes }
    }
}

/// Stores the commenter's details, and adds `pass` (when the comment is held) to the
/// passes they already have; the pass cookie lasts until the pass expires (`now` is the
/// time of the request).
pub fn remember(
    response: &mut Response,
    details: &Remembered,
    pass: Option<&PendingPass>,
    kept: &[PendingPass],
    secure: bool,
    now: i64,
) {
    for (name, value) in [(AUTHOR_COOKIE, &details.author), (EMAIL_COOKIE, &details.email), (URL_COOKIE, &details.url)]
    {
        let encoded = percent::component(value);
        cookies::set(response, name, &encoded, Some(REMEMBER_SECONDS), secure);
    }
    keep_passes(response, pass, kept, secure, now);
}

/// Clears the remembered details (the box was not ticked), leaving the passes.
pub fn forget_details(response: &mut Response, secure: bool) {
    for name in [AUTHOR_COOKIE, EMAIL_COOKIE, URL_COOKIE] {
        cookies::clear(response, name, secure);
    }
}

/// Adds `pass` to the passes already kept (the newest first); the cookie lasts until
/// the last of them expires. A pass shows a held comment to its author and lets them
/// edit their comment within the edit window.
pub fn keep_passes(response: &mut Response, pass: Option<&PendingPass>, kept: &[PendingPass], secure: bool, now: i64) {
    let Some(pass) = pass else { return };
    let mut parts: Vec<String> = vec![pass.cookie_part()];
    parts.extend(kept.iter().filter(|p| p.comment_id != pass.comment_id).map(PendingPass::cookie_part));
    parts.truncate(MAX_PASSES);
    let last = kept.iter().map(|p| p.expires).fold(pass.expires, i64::max);
    cookies::set(response, PENDING_COOKIE, &parts.join("-"), Some(last.saturating_sub(now).max(0)), secure);
}

/// Clears every commenter cookie (the commenter erased their data).
pub fn forget(response: &mut Response, secure: bool) {
    for name in [AUTHOR_COOKIE, EMAIL_COOKIE, URL_COOKIE, PENDING_COOKIE] {
        cookies::clear(response, name, secure);
    }
}

/// True when the request carries any of the commenter's cookies, so that its pages
/// may be the commenter's own (the page cache then goes around itself).
pub fn is_personal(headers: &HeaderMap) -> bool {
    [AUTHOR_COOKIE, EMAIL_COOKIE, URL_COOKIE, PENDING_COOKIE]
        .into_iter()
        .any(|name| cookies::get(headers, name).is_some())
}

fn decode(value: &str, max_chars: usize) -> Option<String> {
    let decoded = percent_decode_str(value).decode_utf8().ok()?;
    let ok = decoded.chars().count() <= max_chars && !decoded.chars().any(char::is_control);
    ok.then(|| decoded.into_owned())
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderValue, header};

    use super::*;
    use crate::domain::signing::Secret;

    #[test]
    fn remembered_details_round_trip_through_cookies() {
        let details = Remembered {
            author: "Zoë \"Z\"; O'Neil".to_owned(),
            email: "zoe@example.com".to_owned(),
            url: "https://example.com/a?b=1".to_owned(),
        };
        let pass = PendingPass::sign(&Secret::new(b"k".to_vec()), 3, i64::MAX);
        let mut response = Response::new(axum::body::Body::empty());
        remember(&mut response, &details, Some(&pass), &[], false, crate::domain::now());

        let mut request = HeaderMap::new();
        let cookies: Vec<String> = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
            .collect();
        assert_eq!(cookies.len(), 4);
        if let Ok(v) = HeaderValue::from_str(&cookies.join("; ")) {
            request.insert(header::COOKIE, v);
        }
        let read = CommenterCookies::read(&request);
        assert_eq!(read.remembered, Some(details));
        assert_eq!(read.passes, vec![pass]);
    }

    #[test]
    fn forgetting_expires_every_cookie() {
        let mut response = Response::new(axum::body::Body::empty());
        forget(&mut response, true);
        let all: Vec<&str> =
            response.headers().get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).collect();
        assert_eq!(all.len(), 4);
        assert!(all.iter().all(|c| c.contains("Max-Age=0") && c.contains("Secure") && c.contains("HttpOnly")));
    }

    fn request(cookie: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static(cookie));
        h
    }

    #[test]
    fn the_first_of_duplicate_cookies_counts_and_quotes_are_dropped() {
        let read = CommenterCookies::read(&request(r#"hewn_comment_author="Zo%C3%AB"; hewn_comment_author=Later"#));
        assert_eq!(read.remembered.map(|r| r.author).as_deref(), Some("Zo\u{eb}"));
    }

    #[test]
    fn only_the_commenter_cookies_by_exact_name_make_a_request_personal() {
        assert!(is_personal(&request("a=1; hewn_comment_pending=x")));
        assert!(is_personal(&request("hewn_comment_url=\"https%3A%2F%2Fa\"")));
        assert!(!is_personal(&request("hewn_comment_authority=1; xhewn_comment_author=1")));
        assert!(!is_personal(&request("hewn_comment_author=; hewn_session=abc")));
        assert!(!is_personal(&HeaderMap::new()));
    }

    #[test]
    fn garbage_cookies_are_ignored() {
        let mut request = HeaderMap::new();
        request.insert(header::COOKIE, HeaderValue::from_static("hewn_comment_author=%FF; hewn_comment_pending=x-1.2"));
        let read = CommenterCookies::read(&request);
        assert!(read.remembered.is_none());
        assert!(read.passes.is_empty());
    }
}
