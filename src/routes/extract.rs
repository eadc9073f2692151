//! Extractors whose rejections become `AppError`, so bad input gets the site's error page.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use ipnet::IpNet;

use crate::app::AppState;
use crate::error::AppError;

pub use wrapped::{Form, Path, Query};

/// The one place the raw axum extractors are named (`clippy.toml` forbids them elsewhere).
#[allow(clippy::disallowed_types, reason = "the wrappers are defined in terms of the raw extractors")]
mod wrapped {
    use axum::extract::{FromRequest, FromRequestParts};

    use crate::error::AppError;

    /// `axum::extract::Query` with a readable 400 page on bad query strings.
    #[derive(Debug, FromRequestParts)]
    #[from_request(via(axum::extract::Query), rejection(AppError))]
    pub struct Query<T>(pub T);

    /// `axum::extract::Path` where a malformed parameter is a 404.
    #[derive(Debug, FromRequestParts)]
    #[from_request(via(axum::extract::Path), rejection(AppError))]
    pub struct Path<T>(pub T);

    /// `axum::Form` whose rejections become the site's error page.
    #[derive(Debug, FromRequest)]
    #[from_request(via(axum::Form), rejection(AppError))]
    pub struct Form<T>(pub T);
}

/// The page of a listing asked for with `?page=N`: 1 when absent or empty. Anything
/// but one whole number from 1 up (0, a sign, a fraction, a word, a number past
/// `u64`, the parameter twice) is a 400 on the site's error page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page(pub u64);

impl<S: Send + Sync> FromRequestParts<S> for Page {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        page_number(parts.uri.query().unwrap_or_default()).map(Page)
    }
}

/// The `page` parameter of a query string (see [`Page`]).
pub fn page_number(query: &str) -> Result<u64, AppError> {
    let mut values = form_urlencoded::parse(query.as_bytes()).filter(|(name, _)| name == "page").map(|(_, v)| v);
    let (first, again) = (values.next(), values.next());
    if again.is_some() {
        return Err(AppError::BadRequest("Give one page number, not several.".to_owned()));
    }
    match first.as_deref() {
        None | Some("") => Ok(1),
        Some(raw) => Some(raw)
            .filter(|raw| raw.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|raw| raw.parse::<u64>().ok())
            .filter(|n| *n >= 1)
            .ok_or_else(|| AppError::BadRequest("The page number must be a whole number from 1 up.".to_owned())),
    }
}

/// A request body that could not be read: over its limit (413) or broken off (400).
pub fn unreadable_body(e: axum::extract::rejection::BytesRejection) -> AppError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge
    } else {
        AppError::BadRequest("The form could not be read.".to_owned())
    }
}

/// The client's address: the TCP peer, or, when the peer is a trusted reverse proxy
/// (`HEWN_TRUSTED_PROXIES`), the nearest untrusted address in `X-Forwarded-For`.
/// A forwarding header from any other peer is ignored, so clients cannot spoof it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(addr)| addr.ip());
        let forwarded = parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
        Ok(ClientIp(client_ip(peer, forwarded, &state.config.trusted_proxies)))
    }
}

/// Resolves the client address from the peer and its `X-Forwarded-For` values.
pub fn client_ip<'a>(peer: IpAddr, forwarded_for: impl Iterator<Item = &'a str>, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(&canonical(*ip)));
    if !is_trusted(&peer) {
        return canonical(peer);
    }
    let hops: Vec<IpAddr> = forwarded_for
        .flat_map(|v| v.split(','))
        .filter_map(|h| h.trim().parse::<IpAddr>().ok())
        .map(canonical)
        .collect();
    // Walk from the proxy towards the client; the first address not ours is the client.
    hops.iter().rev().find(|ip| !is_trusted(ip)).or_else(|| hops.first()).copied().unwrap_or(canonical(peer))
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) as plain IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn page_numbers_follow_one_rule() {
        for (query, page) in [("", 1), ("page=", 1), ("q=a&page=2", 2), ("page=%32", 2), ("page=007", 7)] {
            assert_eq!(page_number(query).ok(), Some(page), "{query}");
        }
        let max = format!("page={}", u64::MAX);
        assert_eq!(page_number(&max).ok(), Some(u64::MAX));
        let past_u64 = format!("page={}0", u64::MAX);
        // Search once took the first of two `page`s; the other listings refused them.
        for query in ["page=0", "page=-1", "page=+1", "page=1.5", "page=abc", "page=%20", &past_u64, "page=2&page=3"] {
            assert!(matches!(page_number(query), Err(AppError::BadRequest(_))), "{query}");
        }
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap_or_default()];
        let xff = ["203.0.113.7, 10.0.0.2"];
        assert_eq!(client_ip(ip("10.0.0.1"), xff.into_iter(), &trusted), ip("203.0.113.7"));
        assert_eq!(client_ip(ip("198.51.100.1"), xff.into_iter(), &trusted), ip("198.51.100.1"));
        // A client cannot push its own guess past the proxy: the rightmost untrusted hop wins.
        let spoofed = ["1.1.1.1, 203.0.113.7"];
        assert_eq!(client_ip(ip("10.0.0.1"), spoofed.into_iter(), &trusted), ip("203.0.113.7"));
        assert_eq!(client_ip(ip("10.0.0.1"), [].into_iter(), &trusted), ip("10.0.0.1"));
        assert_eq!(client_ip(ip("::ffff:192.0.2.1"), [].into_iter(), &[]), ip("192.0.2.1"));
    }
}
