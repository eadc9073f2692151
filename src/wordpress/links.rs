//! Old WordPress addresses as keys: an import records each post's, tag's and file's
//! old path under a normalised key, and a request for an unknown path is normalised
//! the same way to find it.

use crate::domain::percent;

/// The path of a URL (`https://host/a/b/?q` → `/a/b/`), or the input when it is a path.
pub fn path_of_url(url: &str) -> &str {
    let url = url.trim();
    let without_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = if url.contains("://") || url.starts_with("//") {
        let host_and_path = without_scheme.trim_start_matches('/');
        host_and_path.find('/').and_then(|i| host_and_path.get(i..)).unwrap_or("/")
    } else {
        url
    };
    path.split(['?', '#']).next().unwrap_or_default()
}

/// The lookup key of a path: percent-decoded, lowercase, no repeated or trailing
/// slashes. `None` for the site root, which is never an old post's address.
pub fn key_of_path(path: &str) -> Option<String> {
    let decoded = percent::decode(path).to_lowercase();
    let mut key = String::with_capacity(decoded.len() + 1);
    for segment in decoded.split('/').filter(|s| !s.is_empty()) {
        key.push('/');
        key.push_str(segment);
    }
    (!key.is_empty()).then_some(key)
}

/// The key of `url`'s path relative to the old blog's base path (`/blog` when the
/// blog lived at `https://example.com/blog`).
pub fn key_of_url(url: &str, base_path: &str) -> Option<String> {
    let key = key_of_path(path_of_url(url))?;
    match base_path {
        "" | "/" => Some(key),
        base => match key.strip_prefix(base) {
            Some(rest) if rest.starts_with('/') => Some(rest.to_owned()),
            Some("") => None,
            _ => Some(key),
        },
    }
}

/// The normalised base path of the old blog from its URL (`""` at a domain's root).
pub fn base_path(blog_url: &str) -> String {
    key_of_path(path_of_url(blog_url)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_become_keys_relative_to_the_blog() {
        assert_eq!(path_of_url("https://ex.com/2013/10/12/a-b/?x=1#c"), "/2013/10/12/a-b/");
        assert_eq!(path_of_url("https://ex.com"), "/");
        assert_eq!(key_of_path("/2013//10/Caf%C3%A9/"), Some("/2013/10/café".to_owned()));
        assert_eq!(key_of_path("/"), None);
        assert_eq!(key_of_url("https://ex.com/blog/about/", "/blog"), Some("/about".to_owned()));
        assert_eq!(key_of_url("https://ex.com/blog/", "/blog"), None);
        assert_eq!(key_of_url("https://ex.com/?p=5", ""), None);
        assert_eq!(key_of_url("https://ex.com/blogging/x", "/blog"), Some("/blogging/x".to_owned()));
        assert_eq!(base_path("https://ex.com/blog/"), "/blog");
        assert_eq!(base_path("https://ex.com"), "");
    }
}
