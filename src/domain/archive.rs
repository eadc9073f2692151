//! Archive periods (a year, a month) in the site's time zone: their bounds in unix
//! seconds, their names, and counts of posts per period. No I/O.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use super::datefmt;

/// A year, or a month of a year, as the archive addresses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub year: i16,
    pub month: Option<i8>,
}

impl Period {
    /// Reads `/archive/{yyyy}` and `/archive/{yyyy}/{mm}` segments: exactly four
    /// digits for the year and two for the month (`01`–`12`).
    pub fn parse(year: &str, month: Option<&str>) -> Option<Self> {
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) {
            return None;
        }
        let year: i16 = year.parse().ok().filter(|y| (1..=9998).contains(y))?;
        let month = match month {
            None => None,
            Some(m) if digits(m, 2) => Some(m.parse::<i8>().ok().filter(|m| (1..=12).contains(m))?),
            Some(_) => return None,
        };
        Some(Self { year, month })
    }

    /// `[start, end)` in unix seconds: from local midnight on the first day of the
    /// period to local midnight on the first day of the next, in `tz`.
    pub fn bounds(&self, tz: &TimeZone) -> Option<(i64, i64)> {
        let first = Date::new(self.year, self.month.unwrap_or(1), 1).ok()?;
        let next = match self.month {
            Some(_) => first.checked_add(1.month()).ok()?,
            None => first.checked_add(1.year()).ok()?,
        };
        let start = first.to_zoned_datetime(tz.clone()).ok()?.timestamp().as_second();
        let end = next.to_zoned_datetime(tz.clone()).ok()?.timestamp().as_second();
        Some((start, end))
    }

    /// The URL path of the period's archive page.
    pub fn path(&self) -> String {
        match self.month {
            Some(m) => format!("/archive/{:04}/{:02}", self.year, m),
            None => format!("/archive/{:04}", self.year),
        }
    }

    /// `2013` or `October 2013`.
    pub fn name(&self, tz: &TimeZone) -> String {
        match self.month {
            Some(m) => {
                let mid = Date::new(self.year, m, 15)
                    .ok()
                    .and_then(|d| d.to_zoned_datetime(tz.clone()).ok())
                    .map_or(0, |z| z.timestamp().as_second());
                datefmt::format(mid, tz, "F Y")
            }
            None => self.year.to_string(),
        }
    }
}

/// How many posts a year has, with its months (newest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearCount {
    pub year: i16,
    pub posts: u64,
    /// `(month, posts)`, December first.
    pub months: Vec<(i8, u64)>,
}

/// Groups publication times (any order) by year and month in `tz`, newest first.
pub fn count_by_month(times: &[i64], tz: &TimeZone) -> Vec<YearCount> {
    let mut keys: Vec<(i16, i8)> = times
        .iter()
        .filter_map(|t| Timestamp::from_second(*t).ok())
        .map(|t| {
            let z = t.to_zoned_datetime(tz.clone());
            (z.year(), z.month())
        })
        .collect();
    keys.sort_unstable_by(|a, b| b.cmp(a));
    let mut years: Vec<YearCount> = Vec::new();
    for (year, month) in keys {
        match years.last_mut() {
            Some(y) if y.year == year => {
                y.posts += 1;
                match y.months.last_mut() {
                    Some((m, n)) if *m == month => *n += 1,
                    _ => y.months.push((month, 1)),
                }
            }
            _ => years.push(YearCount { year, posts: 1, months: vec![(month, 1)] }),
        }
    }
    years
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::string_slice)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_segments_parse() {
        assert_eq!(Period::parse("2013", None), Some(Period { year: 2013, month: None }));
        assert_eq!(Period::parse("2013", Some("10")), Some(Period { year: 2013, month: Some(10) }));
        for (y, m) in [("13", None), ("20130", None), ("2013", Some("1")), ("2013", Some("13")), ("2013", Some("00"))] {
            assert_eq!(Period::parse(y, m), None, "{y} {m:?}");
        }
        assert_eq!(Period::parse("+201", None), None);
        assert_eq!(Period::parse("0000", None), None);
    }

    #[test]
    fn bounds_follow_the_site_time_zone() {
        let utc = TimeZone::UTC;
        let oct = Period { year: 2013, month: Some(10) };
        assert_eq!(oct.bounds(&utc), Some((1_380_585_600, 1_383_264_000)));
        let tokyo = datefmt::zone("Asia/Tokyo");
        assert_eq!(oct.bounds(&tokyo), Some((1_380_585_600 - 9 * 3600, 1_383_264_000 - 9 * 3600)));
        let dec = Period { year: 2013, month: Some(12) };
        assert_eq!(dec.bounds(&utc).map(|b| b.1), Some(1_388_534_400), "December ends at the new year");
        assert_eq!(Period { year: 2013, month: None }.bounds(&utc), Some((1_356_998_400, 1_388_534_400)));
        assert_eq!(oct.name(&utc), "October 2013");
        assert_eq!(oct.path(), "/archive/2013/10");
    }

    #[test]
    fn times_group_by_local_month() {
        // 2013-10-31 23:30 UTC is already November in Berlin.
        let late_october = 1_383_262_200;
        let times = [late_october, 1_380_585_600, 1_356_998_400 - 1];
        let utc = count_by_month(&times, &TimeZone::UTC);
        assert_eq!(utc[0], YearCount { year: 2013, posts: 2, months: vec![(10, 2)] });
        assert_eq!(utc[1], YearCount { year: 2012, posts: 1, months: vec![(12, 1)] });
        let berlin = count_by_month(&times, &datefmt::zone("Europe/Berlin"));
        assert_eq!(berlin.len(), 1, "new year's eve 23:59:59 UTC is already 2013 in Berlin");
        assert_eq!(berlin[0].months, vec![(11, 1), (10, 1), (1, 1)]);
    }
}
