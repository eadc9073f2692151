//! Strict `application/x-www-form-urlencoded` bodies: the content type is checked,
//! every name and value must decode to valid UTF-8, and a field the caller knows may
//! appear only once. (`axum::Form` decodes lossily and keeps the last duplicate, so a
//! malformed body would be silently reinterpreted instead of refused.)

use std::collections::HashMap;

/// Why a body was refused. The messages never quote the body: it may hold an email.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("Forms must be sent as application/x-www-form-urlencoded in UTF-8.")]
    UnsupportedMediaType,
    #[error("The form is not valid UTF-8 text.")]
    InvalidUtf8,
    #[error("The form has the field “{0}” more than once.")]
    DuplicateField(&'static str),
}

/// The fields of a form that the caller asked for, each present at most once.
/// Fields the caller did not name are ignored (a browser may add its own, such as a
/// named submit button).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields {
    values: HashMap<&'static str, String>,
}

impl Fields {
    /// The value of `name` as sent, or `None` when the form did not have it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The value of `name`, empty when absent.
    pub fn text(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }
}

/// True when a `Content-Type` value names a URL-encoded form in UTF-8 (an absent
/// charset means UTF-8, as browsers send it).
pub fn is_urlencoded(content_type: Option<&str>) -> bool {
    let Some(value) = content_type else { return false };
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return false;
    }
    parts.all(|param| match param.split_once('=') {
        Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
            value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        }
        _ => true,
    })
}

/// Parses a form body with its `Content-Type`, keeping only the `known` fields.
pub fn parse(content_type: Option<&str>, body: &[u8], known: &[&'static str]) -> Result<Fields, BodyError> {
    if !is_urlencoded(content_type) {
        return Err(BodyError::UnsupportedMediaType);
    }
    let mut values = HashMap::new();
    for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (raw_name, raw_value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (pair.get(..i).unwrap_or_default(), pair.get(i + 1..).unwrap_or_default()),
            None => (pair, &[][..]),
        };
        let name = decode(raw_name)?;
        let value = decode(raw_value)?;
        let Some(&field) = known.iter().find(|k| **k == name) else { continue };
        if values.insert(field, value).is_some() {
            return Err(BodyError::DuplicateField(field));
        }
    }
    Ok(Fields { values })
}

/// Decodes one name or value: `+` is a space, `%XX` a byte, and the bytes must be UTF-8.
/// A `%` not followed by two hex digits stays as it is (as browsers and the URL
/// standard do).
fn decode(raw: &[u8]) -> Result<String, BodyError> {
    let spaced: Vec<u8> = raw.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
    let bytes: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
    String::from_utf8(bytes).map_err(|_| BodyError::InvalidUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: Option<&str> = Some("application/x-www-form-urlencoded");
    const KNOWN: &[&str] = &["comment", "author"];

    #[test]
    fn fields_decode_with_plus_and_percent() -> Result<(), BodyError> {
        let f = parse(FORM, b"comment=caf%C3%A9+au+lait%21&author=A%26B&submit=Post", KNOWN)?;
        assert_eq!(f.get("comment"), Some("café au lait!"));
        assert_eq!(f.get("author"), Some("A&B"));
        assert_eq!(f.get("submit"), None, "unknown fields are ignored");
        assert_eq!(f.text("missing"), "");
        Ok(())
    }

    #[test]
    fn content_types_other_than_utf8_forms_are_refused() {
        for ct in [None, Some("multipart/form-data; boundary=x"), Some("text/plain"), Some("application/json")] {
            assert_eq!(parse(ct, b"comment=x", KNOWN), Err(BodyError::UnsupportedMediaType), "{ct:?}");
        }
        assert!(is_urlencoded(Some("Application/X-WWW-Form-Urlencoded; charset=UTF-8")));
        assert!(!is_urlencoded(Some("application/x-www-form-urlencoded; charset=latin1")));
    }

    #[test]
    fn invalid_utf8_is_refused_in_names_and_values() {
        assert_eq!(parse(FORM, b"comment=%FF%FE", KNOWN), Err(BodyError::InvalidUtf8));
        assert_eq!(parse(FORM, b"comment=\xc3(", KNOWN), Err(BodyError::InvalidUtf8));
        assert_eq!(parse(FORM, b"%C3=x", KNOWN), Err(BodyError::InvalidUtf8));
    }

    #[test]
    fn duplicate_known_fields_are_refused() {
        assert_eq!(parse(FORM, b"author=a&comment=x&author=b", KNOWN), Err(BodyError::DuplicateField("author")));
        assert!(parse(FORM, b"other=1&other=2&comment=x", KNOWN).is_ok());
    }

    #[test]
    fn stray_percent_signs_and_empty_pairs_are_tolerated() -> Result<(), BodyError> {
        let f = parse(FORM, b"&&comment=100%+sure%zz&author", KNOWN)?;
        assert_eq!(f.get("comment"), Some("100% sure%zz"));
        assert_eq!(f.get("author"), Some(""));
        Ok(())
    }
}
