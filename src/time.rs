//! Dates and times as plain integers: days since 1970-01-01 (`Day`) and seconds since the epoch
//! (`Ts`), all UTC. Parsing, formatting and calendar-month arithmetic live here.

use chrono::{Datelike, NaiveDate, NaiveDateTime};

/// Days since 1970-01-01.
pub type Day = i32;
/// Seconds since 1970-01-01T00:00:00Z.
pub type Ts = i64;

/// Seconds in a day.
pub const SECS_PER_DAY: i64 = 86_400;

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid epoch")
}

/// The `Day` of a calendar date.
pub fn day_of(date: NaiveDate) -> Day {
    // 1970-01-01 is day 719,163 of the common era; cheaper than subtracting dates.
    date.num_days_from_ce() - 719_163
}

/// The calendar date of a `Day`.
pub fn date_of(day: Day) -> NaiveDate {
    epoch() + chrono::Duration::days(day as i64)
}

/// Midnight UTC at the start of `day`.
pub fn day_start(day: Day) -> Ts {
    day as i64 * SECS_PER_DAY
}

/// The `Day` a timestamp falls on.
pub fn day_of_ts(ts: Ts) -> Day {
    ts.div_euclid(SECS_PER_DAY) as Day
}

/// `YYYY-MM-DD`.
pub fn format_day(day: Day) -> String {
    date_of(day).format("%Y-%m-%d").to_string()
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_ts(ts: Ts) -> String {
    match chrono::DateTime::from_timestamp(ts, 0) {
        Some(dt) => dt.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => ts.to_string(),
    }
}

/// Parse a date: `YYYY-MM-DD`, or with an explicit chrono format (e.g. `%Y%m%d`).
pub fn parse_day(s: &str, format: Option<&str>) -> Option<Day> {
    let s = s.trim();
    let fmt = format.unwrap_or("%Y-%m-%d");
    if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
        return Some(day_of(d));
    }
    // A datetime where a date was expected: a date format never matches it, so accept the
    // ISO datetime only when no explicit format was given and it is exactly midnight.
    if format.is_none() {
        if let Some(ts) = parse_ts(s, None) {
            if ts.rem_euclid(SECS_PER_DAY) == 0 {
                return Some(day_of_ts(ts));
            }
        }
    }
    None
}

/// A calendar date written exactly `YYYY-MM-DD` (four-digit year, no sign, no spaces): the rule
/// for dates given as settings (`--as-of`, `--data-end`, a mapping's `data_end`), stricter than
/// the cells of a table.
pub fn parse_iso_day(s: &str) -> Option<Day> {
    let b = s.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    shaped.then(|| parse_day(s, None)).flatten()
}

/// Parse an ISO 8601 datetime (`2025-03-04T12:34:56Z`, `+00:00` offsets, a space instead of `T`,
/// fractional seconds, no zone = UTC, or a bare date = midnight), or with an explicit format.
pub fn parse_ts(s: &str, format: Option<&str>) -> Option<Ts> {
    let s = s.trim();
    if let Some(fmt) = format {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(dt.and_utc().timestamp());
        }
        if let Ok(dt) = chrono::DateTime::parse_from_str(s, fmt) {
            return Some(dt.timestamp());
        }
        return NaiveDate::parse_from_str(s, fmt)
            .ok()
            .map(|d| day_start(day_of(d)));
    }
    parse_utc_seconds(s).or_else(|| parse_ts_forms(s))
}

/// `YYYY-MM-DDTHH:MM:SSZ`, the form exports mostly write, read without chrono's general parser
/// (most of a CSV load's parsing time); `None` for anything else, which the general forms then
/// try. It returns `Some` only where they return the same value (a property test checks).
fn parse_utc_seconds(s: &str) -> Option<Ts> {
    let b = s.as_bytes();
    let shape = b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z';
    if !shape {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |a, &c| {
            c.is_ascii_digit().then(|| a * 10 + u32::from(c - b'0'))
        })
    };
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    Some(day_start(day_of(date)) + i64::from(h * 3600 + mi * 60 + sec))
}

/// The general forms of [`parse_ts`] without a format.
fn parse_ts_forms(s: &str) -> Option<Ts> {
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(dt.timestamp());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s.trim_end_matches('Z'), fmt) {
            return Some(dt.and_utc().timestamp());
        }
    }
    if let Ok(dt) = chrono::DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%:z") {
        return Some(dt.timestamp());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .map(|d| day_start(day_of(d)))
}

/// `day` plus `months` calendar months, clamped to the last day of the target month
/// (Jan 31 + 1 month = Feb 28 or 29).
pub fn add_months(day: Day, months: i32) -> Day {
    let d = date_of(day);
    let total = d.year() * 12 + d.month0() as i32 + months;
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12) as u32);
    let last = last_day_of_month(year, month0 + 1);
    let dom = d.day().min(last);
    day_of(NaiveDate::from_ymd_opt(year, month0 + 1, dom).expect("clamped date is valid"))
}

fn last_day_of_month(year: i32, month: u32) -> u32 {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    let first_next = NaiveDate::from_ymd_opt(ny, nm, 1).expect("valid month");
    (first_next - chrono::Duration::days(1)).day()
}

/// First day of the calendar month containing `day`.
pub fn month_start(day: Day) -> Day {
    let d = date_of(day);
    day_of(NaiveDate::from_ymd_opt(d.year(), d.month(), 1).expect("valid"))
}

/// First day of the calendar quarter containing `day`.
pub fn quarter_start(day: Day) -> Day {
    let d = date_of(day);
    let m = (d.month0() / 3) * 3 + 1;
    day_of(NaiveDate::from_ymd_opt(d.year(), m, 1).expect("valid"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn days_count_from_the_epoch() {
        for (y, m, dd) in [
            (1970, 1, 1),
            (1969, 12, 31),
            (2024, 2, 29),
            (1, 1, 1),
            (9999, 12, 31),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, dd).unwrap();
            assert_eq!(day_of(date) as i64, (date - epoch()).num_days(), "{date}");
            assert_eq!(date_of(day_of(date)), date);
        }
    }

    proptest! {
        /// The fast form agrees with the general parser on every string of its shape, valid
        /// or not (Feb 30, hour 24, second 60 fall through to it).
        #[test]
        fn the_fast_timestamp_form_agrees_with_the_general_parser(
            y in 0u32..10000, mo in 0u32..14, d in 0u32..33, h in 0u32..26, mi in 0u32..62,
            sec in 0u32..62,
        ) {
            let s = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{sec:02}Z");
            let fast = parse_utc_seconds(&s);
            prop_assert!(fast.is_none() || fast == parse_ts_forms(&s), "{s}: {fast:?}");
            let valid = (1..=12).contains(&mo) && (1..=28).contains(&d) && h < 24 && mi < 60
                && sec < 60;
            prop_assert!(!valid || fast.is_some(), "{s} is not read by the fast form");
            prop_assert_eq!(parse_ts(&s, None), parse_ts_forms(&s), "{}", s);
        }
    }

    fn d(s: &str) -> Day {
        parse_day(s, None).unwrap()
    }

    #[test]
    fn add_months_clamps_to_month_end() {
        assert_eq!(format_day(add_months(d("2024-01-31"), 1)), "2024-02-29");
        assert_eq!(format_day(add_months(d("2025-01-31"), 1)), "2025-02-28");
        assert_eq!(format_day(add_months(d("2025-01-31"), 2)), "2025-03-31");
        assert_eq!(format_day(add_months(d("2025-01-31"), 3)), "2025-04-30");
        assert_eq!(format_day(add_months(d("2025-11-15"), 12)), "2026-11-15");
    }

    #[test]
    fn parses_iso_datetimes_as_utc() {
        let t = parse_ts("2025-03-04T12:34:56Z", None).unwrap();
        assert_eq!(format_ts(t), "2025-03-04T12:34:56Z");
        assert_eq!(parse_ts("2025-03-04T12:34:56", None), Some(t));
        assert_eq!(parse_ts("2025-03-04 12:34:56", None), Some(t));
        assert_eq!(parse_ts("2025-03-04T14:34:56+02:00", None), Some(t));
        assert_eq!(
            parse_ts("2025-03-04", None),
            Some(day_start(d("2025-03-04")))
        );
        assert_eq!(parse_ts("yesterday", None), None);
    }

    #[test]
    fn parses_dates_with_a_format() {
        assert_eq!(parse_day("19970101", Some("%Y%m%d")), Some(d("1997-01-01")));
        assert_eq!(parse_day("1997-13-01", None), None);
    }

    #[test]
    fn negative_timestamps_fall_on_the_right_day() {
        assert_eq!(day_of_ts(-1), -1);
        assert_eq!(day_of_ts(0), 0);
    }
}
