//! Reading the `Cookie` request header: the one parser behind the admin session,
//! the commenter's cookies and the page cache's decision to go around itself.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

/// The `name=value` pairs of every `Cookie` header, in the order sent: several
/// headers (HTTP/2 sends one per cookie) count as one list. Spaces and tabs around a
/// name or value are dropped and a value in double quotes loses them; a pair with no
/// `=`, an empty name, or bytes that are not UTF-8 is skipped (its neighbours still
/// count).
pub fn pairs(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b';'))
        .filter_map(|pair| std::str::from_utf8(pair).ok())
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (trim(name), unquote(trim(value))))
        .filter(|(name, _)| !name.is_empty())
}

/// The value of the cookie named exactly `name` (not one whose name merely starts
/// with it). When the name is sent twice, the first counts: browsers send the cookie
/// with the most specific path first. An empty value is no cookie.
pub fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    pairs(headers).find(|(n, _)| *n == name).map(|(_, v)| v).filter(|v| !v.is_empty())
}

/// Adds a `Set-Cookie` header: `HttpOnly`, `SameSite=Lax`, path `/`, and `Secure`
/// when the site is served over HTTPS. `max_age` in seconds; `None` makes a cookie
/// that ends with the browser session.
pub fn set(response: &mut Response, name: &str, value: &str, max_age: Option<i64>, secure: bool) {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        cookie.push_str("; Secure");
    }
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Adds a `Set-Cookie` header that removes cookie `name`.
pub fn clear(response: &mut Response, name: &str, secure: bool) {
    set(response, name, "", Some(0), secure);
}

fn trim(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

fn unquote(value: &str) -> &str {
    value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(values: &[&[u8]]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            if let Ok(v) = HeaderValue::from_bytes(v) {
                h.append(header::COOKIE, v);
            }
        }
        h
    }

    #[test]
    fn cookies_are_set_with_one_set_of_attributes() {
        let mut response = Response::new(axum::body::Body::empty());
        set(&mut response, "a", "1", None, false);
        set(&mut response, "b", "2", Some(60), true);
        clear(&mut response, "c", true);
        let all: Vec<&str> =
            response.headers().get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).collect();
        assert_eq!(
            all,
            [
                "a=1; Path=/; HttpOnly; SameSite=Lax",
                "b=2; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure",
                "c=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure",
            ]
        );
    }

    #[test]
    fn names_are_matched_exactly_not_by_prefix() {
        let h = headers(&[b"hewn_session_x=2; a=1; hewn_session=abc"]);
        assert_eq!(get(&h, "hewn_session"), Some("abc"));
        assert_eq!(get(&h, "hewn_sess"), None);
        assert_eq!(get(&h, "missing"), None);
    }

    #[test]
    fn several_cookie_headers_are_one_list() {
        let h = headers(&[b"a=1", b"b=2; c=3"]);
        assert_eq!(pairs(&h).collect::<Vec<_>>(), [("a", "1"), ("b", "2"), ("c", "3")]);
    }

    #[test]
    fn spaces_and_quotes_around_values_are_dropped() {
        let h = headers(&[b"  a =\t1 ;b=\"two words\"; c=\"; d=\"\"; e=x\"y"]);
        assert_eq!(get(&h, "a"), Some("1"));
        assert_eq!(get(&h, "b"), Some("two words"));
        // A lone quote is not a quoted value.
        assert_eq!(get(&h, "c"), Some("\""));
        assert_eq!(get(&h, "d"), None, "empty once unquoted");
        assert_eq!(get(&h, "e"), Some("x\"y"));
    }

    #[test]
    fn the_first_of_duplicate_names_counts() {
        let h = headers(&[b"a=first; a=second", b"a=third"]);
        assert_eq!(get(&h, "a"), Some("first"));
        let emptied = headers(&[b"a=; a=second"]);
        assert_eq!(get(&emptied, "a"), None);
    }

    #[test]
    fn broken_pairs_are_skipped_and_their_neighbours_kept() {
        let h = headers(&[b"flag; =novalue; x=\xC3\x28; ok=1; w=caf\xC3\xA9"]);
        assert_eq!(pairs(&h).collect::<Vec<_>>(), [("ok", "1"), ("w", "caf\u{e9}")]);
    }
}
