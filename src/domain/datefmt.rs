//! Dates in the site's time zone, written with WordPress's date format syntax
//! (the PHP `date()` letters: `j F, Y`, `g:i a`, ...).

use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A time zone as configured by the site (an IANA name), falling back to UTC.
pub fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap_or(TimeZone::UTC)
}

/// True when `name` is an IANA time zone hewn knows.
pub fn is_known_zone(name: &str) -> bool {
    TimeZone::get(name).is_ok()
}

/// Formats unix seconds in `tz` with a WordPress/PHP date format string.
/// Unknown letters are copied as they are; a backslash escapes the next character.
pub fn format(unix: i64, tz: &TimeZone, fmt: &str) -> String {
    let ts = Timestamp::from_second(unix).unwrap_or(Timestamp::UNIX_EPOCH);
    let zdt = ts.to_zoned_datetime(tz.clone());
    format_zoned(&zdt, fmt)
}

/// An RFC 3339 time (UTC) for machine-readable attributes such as `<time datetime>`.
pub fn rfc3339(unix: i64) -> String {
    Timestamp::from_second(unix).unwrap_or(Timestamp::UNIX_EPOCH).to_string()
}

fn format_zoned(zdt: &ZonedDateTime, fmt: &str) -> String {
    let info = zdt.time_zone().to_offset_info(zdt.timestamp());
    let zone =
        Zone { offset_seconds: info.offset().seconds(), dst: info.dst().is_dst(), abbreviation: info.abbreviation() };
    let mut out = String::with_capacity(fmt.len() * 3);
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
            continue;
        }
        push_letter(&mut out, zdt, &zone, c);
    }
    out
}

/// The zone facts of one instant, looked up once per format.
struct Zone<'a> {
    offset_seconds: i32,
    dst: bool,
    abbreviation: &'a str,
}

fn push_letter(out: &mut String, z: &ZonedDateTime, zone: &Zone<'_>, c: char) {
    use std::fmt::Write;
    let month = usize::try_from(z.month()).unwrap_or(1).clamp(1, 12);
    let hour = z.hour();
    let hour12 = match hour % 12 {
        0 => 12,
        h => h,
    };
    let offset_seconds = zone.offset_seconds;
    let _ = match c {
        'd' => write!(out, "{:02}", z.day()),
        'D' => write!(out, "{}", weekday_name(z.weekday()).get(..3).unwrap_or_default()),
        'j' => write!(out, "{}", z.day()),
        'l' => write!(out, "{}", weekday_name(z.weekday())),
        'N' => write!(out, "{}", z.weekday().to_monday_one_offset()),
        'S' => write!(out, "{}", ordinal_suffix(z.day())),
        'w' => write!(out, "{}", z.weekday().to_sunday_zero_offset()),
        'z' => write!(out, "{}", z.day_of_year() - 1),
        'W' => write!(out, "{:02}", z.date().iso_week_date().week()),
        'F' => write!(out, "{}", MONTHS.get(month - 1).copied().unwrap_or_default()),
        'm' => write!(out, "{:02}", z.month()),
        'M' => write!(out, "{}", MONTHS.get(month - 1).and_then(|m| m.get(..3)).unwrap_or_default()),
        'n' => write!(out, "{}", z.month()),
        't' => write!(out, "{}", z.days_in_month()),
        'L' => write!(out, "{}", u8::from(z.in_leap_year())),
        'o' => write!(out, "{}", z.date().iso_week_date().year()),
        'Y' => write!(out, "{}", z.year()),
        'y' => write!(out, "{:02}", z.year().rem_euclid(100)),
        'a' => write!(out, "{}", if hour < 12 { "am" } else { "pm" }),
        'A' => write!(out, "{}", if hour < 12 { "AM" } else { "PM" }),
        'g' => write!(out, "{hour12}"),
        'G' => write!(out, "{hour}"),
        'h' => write!(out, "{hour12:02}"),
        'H' => write!(out, "{hour:02}"),
        'i' => write!(out, "{:02}", z.minute()),
        's' => write!(out, "{:02}", z.second()),
        'u' => write!(out, "{:06}", z.subsec_nanosecond() / 1000),
        'v' => write!(out, "{:03}", z.millisecond()),
        'e' => write!(out, "{}", z.time_zone().iana_name().unwrap_or("UTC")),
        'I' => write!(out, "{}", u8::from(zone.dst)),
        'O' => write!(out, "{}", offset(offset_seconds, false)),
        'P' => write!(out, "{}", offset(offset_seconds, true)),
        'p' if offset_seconds == 0 => write!(out, "Z"),
        'p' => write!(out, "{}", offset(offset_seconds, true)),
        'T' => write!(out, "{}", zone.abbreviation),
        'Z' => write!(out, "{offset_seconds}"),
        'c' => write!(out, "{}", format_zoned(z, "Y-m-d\\TH:i:sP")),
        'r' => write!(out, "{}", format_zoned(z, "D, d M Y H:i:s O")),
        'U' => write!(out, "{}", z.timestamp().as_second()),
        other => {
            out.push(other);
            Ok(())
        }
    };
}

fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "Monday",
        Weekday::Tuesday => "Tuesday",
        Weekday::Wednesday => "Wednesday",
        Weekday::Thursday => "Thursday",
        Weekday::Friday => "Friday",
        Weekday::Saturday => "Saturday",
        Weekday::Sunday => "Sunday",
    }
}

fn ordinal_suffix(day: i8) -> &'static str {
    match (day % 10, day % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    }
}

fn offset(seconds: i32, colon: bool) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let abs = seconds.unsigned_abs();
    let (h, m) = (abs / 3600, abs % 3600 / 60);
    if colon { format!("{sign}{h:02}:{m:02}") } else { format!("{sign}{h:02}{m:02}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2013-10-13 20:01:00 UTC, the demo's first comment.
    const FIRST_COMMENT: i64 = 1_381_694_460;

    #[test]
    fn wordpress_defaults_render_like_the_reference_page() {
        let utc = zone("UTC");
        assert_eq!(format(FIRST_COMMENT, &utc, "j F, Y"), "13 October, 2013");
        assert_eq!(format(FIRST_COMMENT, &utc, "g:i a"), "8:01 pm");
    }

    #[test]
    fn every_common_letter_formats() {
        let utc = zone("UTC");
        assert_eq!(format(FIRST_COMMENT, &utc, "D, d M Y H:i:s O"), "Sun, 13 Oct 2013 20:01:00 +0000");
        assert_eq!(format(FIRST_COMMENT, &utc, "l jS \\o\\f F"), "Sunday 13th of October");
        assert_eq!(format(FIRST_COMMENT, &utc, "c"), "2013-10-13T20:01:00+00:00");
        assert_eq!(format(FIRST_COMMENT, &utc, "n/j/y h A"), "10/13/13 08 PM");
        assert_eq!(format(FIRST_COMMENT, &utc, "U"), FIRST_COMMENT.to_string());
    }

    #[test]
    fn time_zones_shift_the_wall_clock() {
        let london = zone("Europe/London");
        assert_eq!(format(FIRST_COMMENT, &london, "G:i T P"), "21:01 BST +01:00");
        assert_eq!(format(FIRST_COMMENT, &zone("Not/AZone"), "G:i"), "20:01");
        assert!(is_known_zone("America/New_York"));
        assert!(!is_known_zone("Mars/Olympus"));
    }

    #[test]
    fn ordinal_suffixes_follow_english() {
        let got: Vec<&str> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31].map(ordinal_suffix).to_vec();
        assert_eq!(got, ["st", "nd", "rd", "th", "th", "th", "th", "st", "nd", "rd", "st"]);
    }
}
