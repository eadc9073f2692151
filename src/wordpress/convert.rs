//! WordPress values in hewn's terms: dates, websites and file types.

/// An http(s) URL, or empty: a commenter's website becomes a link, so nothing else
/// (`javascript:` above all) may pass.
pub fn web_url(url: &str) -> String {
    let lower = url.to_ascii_lowercase();
    let ok = (lower.starts_with("http://") || lower.starts_with("https://"))
        && url.len() > "https://".len()
        && !url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>');
    if ok { url.to_owned() } else { String::new() }
}

/// A WordPress date (`2013-10-12 20:01:00`) as unix seconds; `None` for the zero
/// date WordPress writes for unset times, and for anything unreadable.
pub fn parse_date(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    if b.len() < 19
        || at(4) != b'-'
        || at(7) != b'-'
        || !matches!(at(10), b' ' | b'T')
        || at(13) != b':'
        || at(16) != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let digits = b.get(r)?;
        digits.iter().try_fold(0i64, |acc, d| d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0')))
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if y == 0 || !(1..=12).contains(&m) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400 + h * 3600 + mi * 60 + sec)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The content type of a file, from its extension.
pub fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" | "jpe" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "bmp" => "image/bmp",
        "tif" | "tiff" => "image/tiff",
        "heic" => "image/heic",
        "pdf" => "application/pdf",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "ogg" | "oga" => "audio/ogg",
        "wav" => "audio/wav",
        "flac" => "audio/flac",
        "mp4" | "m4v" => "video/mp4",
        "webm" => "video/webm",
        "ogv" => "video/ogg",
        "mov" => "video/quicktime",
        "txt" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "zip" => "application/zip",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt" => "application/vnd.oasis.opendocument.text",
        "epub" => "application/epub+zip",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wordpress_dates_read_as_utc_seconds() {
        assert_eq!(parse_date("2013-10-13 20:01:00"), Some(1_381_694_460));
        assert_eq!(parse_date("1970-01-01 00:00:00"), Some(0));
        assert_eq!(parse_date("2000-02-29 12:00:00"), Some(951_825_600));
        assert_eq!(parse_date("0000-00-00 00:00:00"), None);
        assert_eq!(parse_date("2013-13-01 00:00:00"), None);
        assert_eq!(parse_date("yesterday"), None);
    }

    #[test]
    fn only_web_addresses_pass_as_websites() {
        assert_eq!(web_url("https://example.com/a"), "https://example.com/a");
        for bad in ["javascript:alert(1)", "JAVASCRIPT:x", "data:text/html,x", "example.com", "http://", "http://a b"] {
            assert_eq!(web_url(bad), "", "{bad}");
        }
    }

    #[test]
    fn content_types_follow_extensions() {
        assert_eq!(content_type("2013/10/Photo.JPG"), "image/jpeg");
        assert_eq!(content_type("x.js"), "application/octet-stream");
        assert_eq!(content_type("noext"), "application/octet-stream");
    }
}
