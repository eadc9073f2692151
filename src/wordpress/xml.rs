//! XML text for the WXR hewn writes: CDATA sections that hold anything, escaped
//! character data, and dates as WordPress writes them.

use super::html::escape;

/// Text with the characters XML 1.0 forbids removed (even CDATA cannot hold them).
pub fn xml_chars(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}';
    if s.chars().any(bad) {
        std::borrow::Cow::Owned(s.chars().filter(|c| !bad(*c)).collect())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// A CDATA section holding `s` exactly (`]]>` is split across two sections).
pub fn cdata(s: &str) -> String {
    format!("<![CDATA[{}]]>", xml_chars(s).replace("]]>", "]]]]><![CDATA[>"))
}

/// `s` escaped as XML character data.
pub fn text(s: &str) -> String {
    escape(&xml_chars(s))
}

pub fn local_date(unix: i64, zone: &jiff::tz::TimeZone) -> String {
    let ts = jiff::Timestamp::from_second(unix).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.to_zoned_datetime(zone.clone()).strftime("%Y-%m-%d %H:%M:%S").to_string()
}

pub fn gmt_date(unix: i64) -> String {
    local_date(unix, &jiff::tz::TimeZone::UTC)
}

pub fn rfc2822(unix: i64) -> String {
    let ts = jiff::Timestamp::from_second(unix).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.to_zoned_datetime(jiff::tz::TimeZone::UTC).strftime("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdata_holds_anything() {
        assert_eq!(cdata("a]]>b\u{1}c"), "<![CDATA[a]]]]><![CDATA[>bc]]>");
        assert_eq!(text("a & <b>"), "a &amp; &lt;b&gt;");
    }

    #[test]
    fn dates_are_written_as_wordpress_does() {
        assert_eq!(gmt_date(1_381_694_460), "2013-10-13 20:01:00");
        assert_eq!(rfc2822(1_381_694_460), "Sun, 13 Oct 2013 20:01:00 +0000");
    }
}
