//! What commands print: lines and JSON on standard output, aligned tables,
//! times in UTC and counts with thousands separators.
//!
//! Every write is checked: a closed pipe (`authgate users list | head`) ends
//! the command quietly instead of panicking as `println!` would.

use std::io::{StdoutLock, Write};

use serde::Serialize;

use crate::failure::{CliResult, Failure};

/// Standard output, locked for the command.
pub struct Out {
    inner: StdoutLock<'static>,
}

impl Out {
    /// Locks standard output.
    pub fn new() -> Self {
        Out {
            inner: std::io::stdout().lock(),
        }
    }

    /// Writes one line.
    pub fn line(&mut self, args: std::fmt::Arguments<'_>) -> CliResult {
        writeln!(self.inner, "{args}").map_err(|e| Failure::stdout(&e))
    }

    /// Writes `value` as indented JSON, then a newline.
    pub fn json(&mut self, value: &impl Serialize) -> CliResult {
        serde_json::to_writer_pretty(&mut self.inner, value).map_err(|e| {
            match e.io_error_kind() {
                Some(kind) => Failure::stdout(&kind.into()),
                None => Failure::invalid(format!("cannot write JSON: {e}")),
            }
        })?;
        self.line(format_args!(""))
    }

    /// Writes the rows of `table`, aligned.
    pub fn table(&mut self, table: &Table) -> CliResult {
        for row in &table.rows {
            let mut text = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i + 1 == row.len() {
                    text.push_str(cell);
                } else {
                    let pad = table.widths[i].saturating_sub(cell.chars().count());
                    text.push_str(cell);
                    text.extend(std::iter::repeat_n(' ', pad + 2));
                }
            }
            self.line(format_args!("{}", text.trim_end()))?;
        }
        Ok(())
    }
}

/// `println!` for an [`Out`], returning its result.
macro_rules! outln {
    ($out:expr) => {
        $out.line(format_args!(""))
    };
    ($out:expr, $($arg:tt)*) => {
        $out.line(format_args!($($arg)*))
    };
}
pub(crate) use outln;

/// Rows of text cells under a header, printed with aligned columns.
#[derive(Debug, Default)]
pub struct Table {
    rows: Vec<Vec<String>>,
    widths: Vec<usize>,
}

impl Table {
    /// A table with this header row.
    pub fn new(header: &[&str]) -> Self {
        let mut table = Table::default();
        table.push(header.iter().map(|h| (*h).to_string()).collect());
        table
    }

    /// Adds a row.
    pub fn push(&mut self, row: Vec<String>) {
        if self.widths.len() < row.len() {
            self.widths.resize(row.len(), 0);
        }
        for (width, cell) in self.widths.iter_mut().zip(&row) {
            *width = (*width).max(cell.chars().count());
        }
        self.rows.push(row);
    }

    /// Drops the rows, keeping the column widths, so that a long listing
    /// printed page by page stays aligned.
    pub fn clear(&mut self) {
        self.rows.clear();
    }
}

/// Counts as the core words them in its messages: `1,000 users`.
pub use authgate::store::migrate::{count, thousands};

/// Seconds in a day.
const DAY: i64 = 86_400;

/// Unix time of 0001-01-01 and of 9999-12-31 23:59:59: the range shown as a date.
const SHOWN_RANGE: std::ops::RangeInclusive<f64> = -62_135_596_800.0..=253_402_300_799.0;

/// A Unix time as `2024-05-01 12:34:56 UTC`.
pub fn utc(t: f64) -> String {
    if !SHOWN_RANGE.contains(&t) {
        return format!("{t} (Unix time)");
    }
    // In range, so the whole seconds fit an i64 exactly.
    #[allow(clippy::cast_possible_truncation)]
    let secs = t.floor() as i64;
    let (year, month, day) = civil_from_days(secs.div_euclid(DAY));
    let rem = secs.rem_euclid(DAY);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_dates() {
        assert_eq!(utc(0.0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_709_210_096.9), "2024-02-29 12:34:56 UTC");
        assert_eq!(utc(-1.0), "1969-12-31 23:59:59 UTC");
        assert_eq!(utc(253_402_300_799.0), "9999-12-31 23:59:59 UTC");
        assert_eq!(utc(f64::INFINITY), "inf (Unix time)");
        assert_eq!(utc(f64::NAN), "NaN (Unix time)");
    }

    #[test]
    fn tables_align_columns() {
        let mut table = Table::new(&["A", "BB"]);
        table.push(vec!["long".into(), "x".into()]);
        assert_eq!(table.widths, vec![4, 2]);
    }
}
