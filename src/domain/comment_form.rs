//! The public comment form: its field names, limits, and the validation of a
//! submission into a [`CommentSubmission`] or messages for each field.

use super::FieldErrors;
use super::form_body::Fields;

/// Field names, as WordPress names them (so that browsers' autofill and habits carry over).
pub const FIELD_COMMENT: &str = "comment";
pub const FIELD_AUTHOR: &str = "author";
pub const FIELD_EMAIL: &str = "email";
pub const FIELD_URL: &str = "url";
pub const FIELD_PARENT: &str = "comment_parent";
pub const FIELD_CONSENT: &str = "wp-comment-cookies-consent";
/// "Notify me of follow-up comments by email" (shown only when mail is on).
pub const FIELD_SUBSCRIBE: &str = "subscribe";
/// Present when the Preview button sent the form: show the comment, store nothing.
pub const FIELD_PREVIEW: &str = "preview";
/// The honeypot: hidden from people (off-screen, out of the tab order, hidden from
/// screen readers), filled by bots that fill every field.
pub const FIELD_HONEYPOT: &str = "subject";
/// The form's signed render time (see `signing::RenderStamp`).
pub const FIELD_RENDERED: &str = "rendered";

/// Every field the form reads; anything else in a body is ignored.
pub const FIELDS: &[&str] = &[
    FIELD_COMMENT,
    FIELD_AUTHOR,
    FIELD_EMAIL,
    FIELD_URL,
    FIELD_PARENT,
    FIELD_CONSENT,
    FIELD_SUBSCRIBE,
    FIELD_PREVIEW,
    FIELD_HONEYPOT,
    FIELD_RENDERED,
];

/// Limits in characters (Unicode scalar values), the unit the form's `maxlength`
/// states, with WordPress's numbers.
pub const MAX_AUTHOR_CHARS: usize = 245;
pub const MAX_EMAIL_CHARS: usize = 100;
pub const MAX_URL_CHARS: usize = 200;
pub const MAX_COMMENT_CHARS: usize = 65_525;

/// What the reader typed, cleaned (line endings normalised, outer space trimmed) but
/// not yet judged: kept to re-show the form. It belongs to the person who sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entered {
    pub comment: String,
    pub author: String,
    pub email: String,
    pub url: String,
    pub consent: bool,
    pub subscribe: bool,
}

/// A valid submission, ready for moderation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentSubmission {
    pub comment: String,
    pub author: String,
    pub email: String,
    /// Absolute `http(s)` URL, or empty.
    pub url: String,
    pub consent: bool,
    /// The commenter asked to hear about follow-up comments.
    pub subscribe: bool,
    /// True when the honeypot field was filled.
    pub honeypot_filled: bool,
}

/// The `comment_parent` field could not be read as a comment id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("The comment you are replying to is not a valid comment number.")]
pub struct BadParent;

/// The parent comment named by the form: `None` for a top-level comment.
pub fn parent(fields: &Fields) -> Result<Option<i64>, BadParent> {
    match fields.text(FIELD_PARENT).trim() {
        "" | "0" => Ok(None),
        raw if raw.bytes().all(|b| b.is_ascii_digit()) => raw.parse::<i64>().map(Some).map_err(|_| BadParent),
        _ => Err(BadParent),
    }
}

/// The cleaned input of a form, for validation and for re-showing it.
pub fn entered(fields: &Fields) -> Entered {
    Entered {
        comment: clean(fields.text(FIELD_COMMENT)),
        author: clean(fields.text(FIELD_AUTHOR)),
        email: clean(fields.text(FIELD_EMAIL)),
        url: clean(fields.text(FIELD_URL)),
        consent: !fields.text(FIELD_CONSENT).is_empty(),
        subscribe: !fields.text(FIELD_SUBSCRIBE).is_empty(),
    }
}

/// Validates what was entered.
pub fn validate(entered: &Entered, honeypot: &str) -> Result<CommentSubmission, FieldErrors> {
    let mut errors = FieldErrors::default();
    let e = entered;

    let comment_chars = e.comment.chars().count();
    if is_blank(&e.comment) {
        errors.add(FIELD_COMMENT, "Please type your comment.");
    } else if comment_chars > MAX_COMMENT_CHARS {
        errors.add(
            FIELD_COMMENT,
            format!(
                "Your comment is too long: it has {comment_chars} characters, and at most {MAX_COMMENT_CHARS} fit."
            ),
        );
    } else if has_control(&e.comment, true) {
        errors.add(
            FIELD_COMMENT,
            "Your comment contains control characters; only text, line breaks and tabs can be posted.",
        );
    }

    if is_blank(&e.author) {
        errors.add(FIELD_AUTHOR, "Please enter your name.");
    } else if e.author.chars().count() > MAX_AUTHOR_CHARS {
        errors.add(FIELD_AUTHOR, format!("Your name is too long: at most {MAX_AUTHOR_CHARS} characters fit."));
    } else if has_control(&e.author, false) {
        errors.add(FIELD_AUTHOR, "Your name must be one line of text, without tabs or control characters.");
    }

    if e.email.is_empty() {
        errors.add(FIELD_EMAIL, "Please enter your email address.");
    } else if e.email.chars().count() > MAX_EMAIL_CHARS {
        errors.add(FIELD_EMAIL, format!("Your email address is too long: at most {MAX_EMAIL_CHARS} characters fit."));
    } else if !is_valid_email(&e.email) {
        errors.add(FIELD_EMAIL, "Please enter a valid email address, such as name@example.com.");
    }

    let url = if e.url.chars().count() > MAX_URL_CHARS {
        errors.add(FIELD_URL, format!("Your website address is too long: at most {MAX_URL_CHARS} characters fit."));
        String::new()
    } else if has_control(&e.url, false) {
        errors.add(FIELD_URL, "Your website address must be one line, without tabs or control characters.");
        String::new()
    } else {
        match normalise_url(&e.url) {
            Ok(url) => url,
            Err(message) => {
                errors.add(FIELD_URL, message);
                String::new()
            }
        }
    };

    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(CommentSubmission {
        comment: e.comment.clone(),
        author: e.author.clone(),
        email: e.email.clone(),
        url,
        consent: e.consent,
        subscribe: e.subscribe,
        honeypot_filled: !honeypot.trim().is_empty(),
    })
}

/// Normalises line endings (browsers send CRLF) and trims outer white space.
pub fn clean(raw: &str) -> String {
    raw.replace("\r\n", "\n").replace('\r', "\n").trim().to_owned()
}

/// True when `s` has a control character (Unicode `Cc`): in a `multiline` field other
/// than a tab or newline; in a one-line field any, and the line and paragraph
/// separators (U+2028, U+2029) too.
fn has_control(s: &str, multiline: bool) -> bool {
    if multiline {
        s.chars().any(|c| c.is_control() && c != '\t' && c != '\n')
    } else {
        s.chars().any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
    }
}

/// True when `s` shows nothing: it is empty or has only white space and invisible
/// characters (zero-width spaces and joiners, the byte order mark, direction marks,
/// fillers), so a name or comment made of them counts as empty.
pub fn is_blank(s: &str) -> bool {
    s.chars().all(is_invisible)
}

/// White space, and the characters that draw nothing: Unicode's format characters
/// (`Cf`) and the code points that render as blank by design.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{2800}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
            | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}')
}

/// An email address as HTML's `type=email` defines it, with a domain of at least two
/// labels (as WordPress requires): `name@example.com`.
pub fn is_valid_email(s: &str) -> bool {
    const LOCAL_SPECIALS: &str = ".!#$%&'*+/=?^_`{|}~-";
    let Some((local, domain)) = s.rsplit_once('@') else { return false };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local.chars().all(|c| c.is_ascii_alphanumeric() || LOCAL_SPECIALS.contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    local_ok && domain_ok
}

/// A website address as stored: absolute `http` or `https`, with `http://` added to a
/// bare host such as `example.com`. Empty stays empty.
pub fn normalise_url(input: &str) -> Result<String, &'static str> {
    const NOT_HTTP: &str = "Your website address must start with http:// or https://.";
    if input.is_empty() {
        return Ok(String::new());
    }
    let lower = input.to_ascii_lowercase();
    let candidate = if lower.starts_with("http://") || lower.starts_with("https://") {
        input.to_owned()
    } else if let Some((scheme, rest)) = input.split_once(':')
        && is_scheme(scheme)
        && !rest.starts_with(|c: char| c.is_ascii_digit())
    {
        // `javascript:…`, `data:…`, `ftp://…`: a scheme we do not link to.
        // (`localhost:8080` is a host and port, not a scheme.)
        return Err(NOT_HTTP);
    } else if input.starts_with('/') || input.starts_with('#') || input.starts_with('?') {
        return Err("Your website address must be a full address, such as https://example.com.");
    } else {
        format!("http://{input}")
    };
    let url = url::Url::parse(&candidate).map_err(|_| "Your website address is not a valid web address.")?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(NOT_HTTP);
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("Your website address needs a host name, such as example.com.");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Your website address must not contain a user name or password.");
    }
    let mut out = url.to_string();
    // `url` adds a `/` path to a bare host; keep what the reader wrote.
    if url.path() == "/" && url.query().is_none() && url.fragment().is_none() && !input.ends_with('/') {
        out.pop();
    }
    Ok(out)
}

/// `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`, RFC 3986.
fn is_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entered(comment: &str, author: &str, email: &str, url: &str) -> Entered {
        Entered {
            comment: clean(comment),
            author: clean(author),
            email: clean(email),
            url: clean(url),
            consent: false,
            subscribe: false,
        }
    }

    #[test]
    fn a_good_submission_is_cleaned() {
        let s = validate(&entered("  hello\r\nworld \r\n", " Ann ", " ann@example.com ", "example.com"), "");
        let s = s.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(s.comment, "hello\nworld");
        assert_eq!(s.author, "Ann");
        assert_eq!(s.email, "ann@example.com");
        assert_eq!(s.url, "http://example.com");
        assert!(!s.honeypot_filled);
    }

    #[test]
    fn each_field_explains_what_is_wrong() {
        let e = validate(&entered("", "", "nope", "javascript:alert(1)"), "").err().unwrap_or_default();
        assert!(e.message("comment").is_some_and(|m| m.contains("type your comment")));
        assert!(e.message("author").is_some_and(|m| m.contains("enter your name")));
        assert!(e.message("email").is_some_and(|m| m.contains("valid email")));
        assert!(e.message("url").is_some_and(|m| m.contains("http://")));
    }

    #[test]
    fn limits_follow_wordpress() {
        let ok = validate(&entered(&"é".repeat(MAX_COMMENT_CHARS), &"n".repeat(245), "a@b.co", ""), "");
        assert!(ok.is_ok());
        assert!(validate(&entered(&"😀".repeat(MAX_COMMENT_CHARS), "n", "a@b.co", ""), "").is_ok());
        let long = entered(&"x".repeat(MAX_COMMENT_CHARS + 1), &"ñ".repeat(246), "a@b.co", "");
        let e = validate(&long, "").err().unwrap_or_default();
        assert!(e.message("comment").is_some() && e.message("author").is_some());
        let email = format!("{}@example.com", "a".repeat(90));
        assert!(validate(&entered("x", "n", &email, ""), "").is_err());
        let url = format!("https://example.com/{}", "p".repeat(181));
        assert!(validate(&entered("x", "n", "a@b.co", &url), "").is_err());
    }

    #[test]
    fn control_characters_are_refused_but_tabs_and_newlines_pass() {
        assert!(validate(&entered("a\u{0}b", "n", "a@b.co", ""), "").is_err());
        assert!(validate(&entered("a\u{1b}[31mb", "n", "a@b.co", ""), "").is_err());
        assert!(validate(&entered("a\u{85}b", "n", "a@b.co", ""), "").is_err());
        assert!(validate(&entered("a\tb\nc", "n", "a@b.co", ""), "").is_ok());
        assert!(validate(&entered("x", "two\nlines", "a@b.co", ""), "").is_err());
    }

    #[test]
    fn one_line_fields_refuse_tabs_and_line_separators() {
        for name in ["a\tb", "a\u{2028}b", "a\u{2029}b"] {
            let e =
                validate(&entered("x", name, "a@b.co", &format!("example.com/{name}")), "").err().unwrap_or_default();
            assert!(e.message("author").is_some() && e.message("url").is_some(), "{name:?}");
        }
        assert!(validate(&entered("line\u{2028}separator in a comment", "n", "a@b.co", ""), "").is_ok());
    }

    #[test]
    fn invisible_only_names_and_comments_count_as_empty() {
        for blank in ["\u{200B}", "\u{FEFF}\u{200B}", "\u{200D}\u{2060}", "\u{3164}", "\u{00A0}\u{200B}", "\u{E0020}"] {
            let e = validate(&entered(blank, blank, "a@b.co", ""), "").err().unwrap_or_default();
            assert!(e.message("comment").is_some_and(|m| m.contains("type your comment")), "{blank:?}");
            assert!(e.message("author").is_some_and(|m| m.contains("enter your name")), "{blank:?}");
        }
        assert!(validate(&entered("zero\u{200B}width", "A\u{200D}nn", "a@b.co", ""), "").is_ok());
    }

    #[test]
    fn emails_follow_the_html_definition() {
        for good in ["a@b.co", "first.last+tag@sub.example.org", "o'neil@example.ie", "x_y@ex-ample.com"] {
            assert!(is_valid_email(good), "{good}");
        }
        for bad in ["", "a", "a@", "@b.co", "a@b", "a@@b.co", "a b@c.co", "a@b..co", "a@-b.co", ".a@b.co", "é@b.co"] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn urls_must_be_http_and_bare_hosts_get_a_scheme() {
        assert_eq!(normalise_url("example.com"), Ok("http://example.com".to_owned()));
        assert_eq!(normalise_url("HTTPS://Example.com/a b"), Ok("https://example.com/a%20b".to_owned()));
        assert_eq!(normalise_url("localhost:8080/x"), Ok("http://localhost:8080/x".to_owned()));
        assert_eq!(normalise_url("https://example.com/"), Ok("https://example.com/".to_owned()));
        assert_eq!(
            normalise_url("http://x.com/\"><script>"),
            Ok("http://x.com/%22%3E%3Cscript%3E".to_owned()),
            "quotes and brackets cannot break out of an attribute"
        );
        for bad in
            ["javascript:alert(1)", "data:text/html,x", "ftp://x.com", "/relative", "http://", "http://u:p@x.com"]
        {
            assert!(normalise_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parents_are_ids_or_nothing() {
        use super::super::form_body::parse;
        let form = Some("application/x-www-form-urlencoded");
        let fields = |b: &[u8]| parse(form, b, FIELDS).unwrap_or_default();
        assert_eq!(parent(&fields(b"comment_parent=0")), Ok(None));
        assert_eq!(parent(&fields(b"")), Ok(None));
        assert_eq!(parent(&fields(b"comment_parent=42")), Ok(Some(42)));
        assert_eq!(parent(&fields(b"comment_parent=-1")), Err(BadParent));
        assert_eq!(parent(&fields(b"comment_parent=99999999999999999999")), Err(BadParent));
    }
}
