//! Percent-encoding: one named set for each place a string goes (a URL component, a
//! path, a whole URL in a header), and the one decoder.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Everything but the unreserved characters (`A-Z a-z 0-9 - . _ ~`) is encoded: for a
/// path segment (a slug), a query-string name or value, a cookie value.
pub const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// A path: [`COMPONENT`], keeping `/` and the characters a path segment may hold as
/// they are (`! $ & ' ( ) * + , ; = : @`).
pub const PATH: &AsciiSet = &COMPONENT
    .remove(b'/')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// A file path in a SQLite `file:` URI: [`COMPONENT`], keeping `/`.
pub const FILE_PATH: &AsciiSet = &COMPONENT.remove(b'/');

/// A URL already built from parts (a `Location`): [`PATH`], also keeping the query,
/// the fragment and escapes already made (`? # %`).
pub const URL: &AsciiSet = &PATH.remove(b'?').remove(b'#').remove(b'%');

/// `value` with [`COMPONENT`] encoded: a slug in a path, a value in a query string.
pub fn component(value: &str) -> String {
    utf8_percent_encode(value, COMPONENT).to_string()
}

/// `path` with [`PATH`] encoded.
pub fn path(path: &str) -> String {
    utf8_percent_encode(path, PATH).to_string()
}

/// `path` with [`FILE_PATH`] encoded, for a `file:` URI.
pub fn file_path(path: &str) -> String {
    utf8_percent_encode(path, FILE_PATH).to_string()
}

/// `url` with [`URL`] encoded: any string becomes a valid header value.
pub fn url(url: &str) -> String {
    utf8_percent_encode(url, URL).to_string()
}

/// Decodes `%XX` escapes; a `%` without two hex digits stays as it is, and bytes that
/// are not UTF-8 are replaced.
pub fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_path_keeps_its_slashes_and_escapes_what_a_uri_would_read() {
        assert_eq!(file_path("/tmp/a b/x?y#z%.db"), "/tmp/a%20b/x%3Fy%23z%25.db");
        assert_eq!(file_path("/var/é/hewn.db"), "/var/%C3%A9/hewn.db");
    }

    #[test]
    fn a_component_keeps_only_unreserved_characters() {
        assert_eq!(component("coal & \"iron\""), "coal%20%26%20%22iron%22");
        // The admin search once used form encoding (`+` for a space, `*` and `~` as
        // they were); one rule now encodes a space as %20 and `*` everywhere.
        assert_eq!(component("a&b c*~"), "a%26b%20c%2A~");
        assert_eq!(component("/admin/x?s=1"), "%2Fadmin%2Fx%3Fs%3D1");
        assert_eq!(component("caf\u{e9}"), "caf%C3%A9");
    }

    #[test]
    fn a_path_keeps_its_slashes_and_sub_delimiters() {
        assert_eq!(path("2020/01/a b(1)+c=d@e.jpg"), "2020/01/a%20b(1)+c=d@e.jpg");
        assert_eq!(path("a?b#c%d"), "a%3Fb%23c%25d");
    }

    #[test]
    fn a_url_keeps_its_query_fragment_and_escapes() {
        assert_eq!(url("/posts/caf\u{e9} au lait"), "/posts/caf%C3%A9%20au%20lait");
        assert_eq!(url("/posts/a?b=1#c%20"), "/posts/a?b=1#c%20");
        assert_eq!(url("/x\r\ny"), "/x%0D%0Ay");
    }

    #[test]
    fn decoding_leaves_broken_escapes_and_replaces_bad_utf8() {
        assert_eq!(decode("caf%C3%A9%2"), "caf\u{e9}%2");
        assert_eq!(decode("%zz%FF"), "%zz\u{fffd}");
        assert_eq!(decode("a+b"), "a+b");
    }
}
