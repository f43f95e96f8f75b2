//! Timestamps: validated as Python's `datetime` would, printed as PyYAML's
//! representer prints them (`date.isoformat()`, `datetime.isoformat(' ')`).

use super::resolve::{match_timestamp, Zone};
use std::cmp::Ordering;

/// A date or date-time exactly as PyYAML's `construct_yaml_timestamp` builds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timestamp {
    year: u32,
    month: u32,
    day: u32,
    time: Option<Time>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Time {
    hour: u32,
    minute: u32,
    second: u32,
    microsecond: u32,
    /// UTC offset in minutes; `None` for a naive date-time.
    offset: Option<i32>,
}

/// What Python can compare a timestamp with: dates with dates, naive
/// date-times with naive ones, aware with aware.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum TimeClass {
    Date,
    Naive,
    Aware,
}

fn number(digits: &[u8]) -> u32 {
    digits
        .iter()
        .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Timestamp {
    /// Parses `text` with the constructor's regular expression and validates
    /// it like `datetime.date`/`datetime.datetime`/`datetime.timezone` do.
    /// The error is Python's message.
    pub(crate) fn parse(text: &str) -> Result<Timestamp, String> {
        let bytes = text.strip_suffix('\n').unwrap_or(text).as_bytes();
        let parts = match_timestamp(bytes, false)
            .ok_or_else(|| format!("{text:?} is not a valid timestamp"))?;
        // Python builds the time zone before the datetime, so its errors come first.
        let offset = match parts.zone {
            None => None,
            Some(Zone::Utc) => Some(0),
            Some(Zone::Offset {
                negative,
                hour,
                minute,
            }) => {
                let minutes = (number(hour) * 60 + number(minute)) as i32;
                if minutes >= 24 * 60 {
                    return Err("offset must be a timedelta strictly between \
                                -timedelta(hours=24) and timedelta(hours=24)"
                        .to_owned());
                }
                Some(if negative { -minutes } else { minutes })
            }
        };
        let (year, month, day) = (number(parts.year), number(parts.month), number(parts.day));
        if year == 0 {
            return Err(format!("year {year} is out of range"));
        }
        if !(1..=12).contains(&month) {
            return Err("month must be in 1..12".to_owned());
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err("day is out of range for month".to_owned());
        }
        let time = match parts.time {
            None => None,
            Some(clock) => {
                let hour = number(clock.hour);
                let minute = number(clock.minute);
                let second = number(clock.second);
                if hour > 23 {
                    return Err("hour must be in 0..23".to_owned());
                }
                if minute > 59 {
                    return Err("minute must be in 0..59".to_owned());
                }
                if second > 59 {
                    return Err("second must be in 0..59".to_owned());
                }
                // First six digits, right-padded with zeros.
                let mut digits = clock.fraction.iter().take(6).copied().collect::<Vec<u8>>();
                digits.resize(6, b'0');
                Some(Time {
                    hour,
                    minute,
                    second,
                    microsecond: number(&digits),
                    offset,
                })
            }
        };
        Ok(Timestamp {
            year,
            month,
            day,
            time,
        })
    }

    /// The text PyYAML's representer writes for the loaded object.
    pub(crate) fn isoformat(&self) -> String {
        let mut out = format!("{:04}-{:02}-{:02}", self.year, self.month, self.day);
        if let Some(t) = self.time {
            out.push_str(&format!(" {:02}:{:02}:{:02}", t.hour, t.minute, t.second));
            if t.microsecond != 0 {
                out.push_str(&format!(".{:06}", t.microsecond));
            }
            if let Some(offset) = t.offset {
                let sign = if offset < 0 { '-' } else { '+' };
                let abs = offset.unsigned_abs();
                out.push_str(&format!("{sign}{:02}:{:02}", abs / 60, abs % 60));
            }
        }
        out
    }

    /// Which timestamps this one can be compared with in Python.
    pub(crate) fn class(&self) -> TimeClass {
        match self.time {
            None => TimeClass::Date,
            Some(Time { offset: None, .. }) => TimeClass::Naive,
            Some(_) => TimeClass::Aware,
        }
    }

    /// Microseconds since 0001-01-01 00:00 (UTC for aware date-times).
    pub(crate) fn instant(&self) -> i64 {
        let days = days_from_civil(self.year, self.month, self.day);
        let (clock, offset) = match self.time {
            None => (0, 0),
            Some(t) => (
                i64::from(t.hour * 3600 + t.minute * 60 + t.second) * 1_000_000
                    + i64::from(t.microsecond),
                i64::from(t.offset.unwrap_or(0)) * 60_000_000,
            ),
        };
        days * 86_400_000_000 + clock - offset
    }

    /// Python's ordering of two timestamps of the same [`TimeClass`].
    pub(crate) fn cmp_same_class(&self, other: &Timestamp) -> Ordering {
        self.instant().cmp(&other.instant())
    }
}

/// Days since 0001-01-01 in the proleptic Gregorian calendar.
fn days_from_civil(year: u32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - 1;
    let before_year = y * 365 + y / 4 - y / 100 + y / 400;
    let before_month: i64 = (1..month).map(|m| i64::from(days_in_month(year, m))).sum();
    before_year + before_month + i64::from(day) - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(text: &str) -> String {
        match Timestamp::parse(text) {
            Ok(t) => t.isoformat(),
            Err(e) => format!("ERR {e}"),
        }
    }

    #[test]
    fn formats_like_python() {
        assert_eq!(iso("2024-01-05"), "2024-01-05");
        assert_eq!(iso("2024-1-5"), "2024-01-05");
        assert_eq!(iso("2024-01-05 10:00:00"), "2024-01-05 10:00:00");
        assert_eq!(
            iso("2001-12-14t21:59:43.10-05:00"),
            "2001-12-14 21:59:43.100000-05:00"
        );
        assert_eq!(
            iso("2024-01-05 10:00:00.1234567+05"),
            "2024-01-05 10:00:00.123456+05:00"
        );
        assert_eq!(iso("2024-01-05 10:00:00.000Z"), "2024-01-05 10:00:00+00:00");
        assert_eq!(
            iso("2024-01-05 10:00:00 -0:00"),
            "2024-01-05 10:00:00+00:00"
        );
        assert_eq!(iso("2024-01-05 10:00:00+5:99"), "2024-01-05 10:00:00+06:39");
    }

    #[test]
    fn validates_like_python() {
        assert_eq!(iso("2024-13-01"), "ERR month must be in 1..12");
        assert_eq!(iso("2023-02-29"), "ERR day is out of range for month");
        assert_eq!(iso("2000-02-29"), "2000-02-29");
        assert_eq!(iso("0000-01-01"), "ERR year 0 is out of range");
        assert_eq!(iso("2024-01-05 24:00:00"), "ERR hour must be in 0..23");
        assert!(iso("2024-01-05 10:00:00+24").starts_with("ERR offset"));
        assert!(iso("nope").starts_with("ERR"));
    }

    #[test]
    fn orders_by_instant() {
        let a = Timestamp::parse("2001-12-14 21:59:43-05:00").ok();
        let b = Timestamp::parse("2001-12-15 02:59:43Z").ok();
        assert_eq!(
            a.zip(b).map(|(a, b)| a.cmp_same_class(&b)),
            Some(Ordering::Equal)
        );
        assert_eq!(days_from_civil(1970, 1, 1), 719_162);
    }
}
