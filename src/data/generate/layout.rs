//! Where each table goes (one file, or a folder of parts numbered by customer chunk) and how
//! ids and dates are spelled in the output.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::schema::table;
use crate::time::{self, Day, Ts, SECS_PER_DAY};

use super::TableFormat;

/// The files of one run under a root folder.
#[derive(Debug, Clone)]
pub(super) struct Layout {
    root: PathBuf,
    format: TableFormat,
    parts: bool,
}

impl Layout {
    /// `parts`: every table is a folder of `part-NNNNN` files instead of one file.
    pub fn new(root: &Path, format: TableFormat, parts: bool) -> Self {
        Layout {
            root: root.to_path_buf(),
            format,
            parts,
        }
    }

    pub fn format(&self) -> TableFormat {
        self.format
    }

    /// The file or folder holding `table`, relative to the root.
    pub fn table_rel(&self, table: &str) -> PathBuf {
        if self.parts {
            PathBuf::from(table)
        } else {
            PathBuf::from(format!("{table}.{}", self.format.extension()))
        }
    }

    /// The file for `part` of `table`.
    pub fn part_path(&self, table: &str, part: usize) -> PathBuf {
        let rel = self.table_rel(table);
        if self.parts {
            self.root
                .join(rel)
                .join(format!("part-{part:05}.{}", self.format.extension()))
        } else {
            self.root.join(rel)
        }
    }

    /// Create the table folders (when writing parts).
    ///
    /// # Errors
    /// I/O errors.
    pub fn create_dirs(&self) -> Result<()> {
        if self.parts {
            for t in table::ALL {
                let dir = self.root.join(t);
                std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            }
        }
        Ok(())
    }
}

/// Customer and ticket ids: `C` and the 1-based customer number, zero-padded to a common width
/// (`C0000001`); tickets add their number within the customer (`T0000001-3`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Ids {
    width: usize,
}

impl Ids {
    pub fn new(n_customers: u64) -> Self {
        Ids {
            width: n_customers.to_string().len().max(7),
        }
    }

    pub fn customer(&self, index: u64) -> String {
        let mut s = Vec::with_capacity(self.width + 1);
        self.push_customer(&mut s, index);
        String::from_utf8(s).expect("ascii")
    }

    pub fn ticket(&self, index: u64, seq: u32) -> String {
        let mut s = Vec::with_capacity(self.width + 6);
        self.push_ticket(&mut s, index, seq);
        String::from_utf8(s).expect("ascii")
    }

    pub fn push_customer(&self, buf: &mut Vec<u8>, index: u64) {
        buf.push(b'C');
        push_padded(buf, index + 1, self.width);
    }

    pub fn push_ticket(&self, buf: &mut Vec<u8>, index: u64, seq: u32) {
        buf.push(b'T');
        push_padded(buf, index + 1, self.width);
        buf.push(b'-');
        push_padded(buf, seq as u64, 1);
    }
}

/// Decimal digits of `n`, left-padded with zeros to `width`.
pub(super) fn push_padded(buf: &mut Vec<u8>, mut n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for _ in (digits.len() - i)..width {
        buf.push(b'0');
    }
    buf.extend_from_slice(&digits[i..]);
}

/// `YYYY-MM-DD` for every day of the history, so writing a timestamp is a lookup plus arithmetic.
pub(super) struct DayText {
    first: Day,
    text: Vec<[u8; 10]>,
}

impl DayText {
    /// Texts for days `first..end`.
    pub fn new(first: Day, end: Day) -> Self {
        let text = (first..end)
            .map(|d| {
                time::format_day(d)
                    .as_bytes()
                    .try_into()
                    .expect("YYYY-MM-DD is 10 bytes")
            })
            .collect();
        DayText { first, text }
    }

    pub fn push_day(&self, buf: &mut Vec<u8>, day: Day) {
        buf.extend_from_slice(&self.text[(day - self.first) as usize]);
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn push_ts(&self, buf: &mut Vec<u8>, ts: Ts) {
        let day = time::day_of_ts(ts);
        self.push_day(buf, day);
        let secs = ts - time::day_start(day);
        debug_assert!((0..SECS_PER_DAY).contains(&secs));
        let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        buf.push(b'T');
        push_padded(buf, h as u64, 2);
        buf.push(b':');
        push_padded(buf, m as u64, 2);
        buf.push(b':');
        push_padded(buf, s as u64, 2);
        buf.push(b'Z');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_zero_padded_and_one_based() {
        let ids = Ids::new(2000);
        assert_eq!(ids.customer(0), "C0000001");
        assert_eq!(ids.ticket(41, 3), "T0000042-3");
        assert_eq!(Ids::new(12_345_678).customer(9), "C00000010");
    }

    #[test]
    fn day_text_writes_timestamps_like_format_ts() {
        let first = time::parse_day("2022-01-01", None).unwrap();
        let days = DayText::new(first, first + 1500);
        for ts in [
            time::day_start(first),
            time::day_start(first + 800) + 45_296,
            time::day_start(first + 1499) + 86_399,
        ] {
            let mut buf = Vec::new();
            days.push_ts(&mut buf, ts);
            assert_eq!(String::from_utf8(buf).unwrap(), time::format_ts(ts));
        }
    }

    #[test]
    fn parts_go_into_table_folders() {
        let single = Layout::new(Path::new("out"), TableFormat::Csv, false);
        assert_eq!(
            single.part_path(table::EVENTS, 0),
            Path::new("out/events.csv")
        );
        let parts = Layout::new(Path::new("out"), TableFormat::Parquet, true);
        assert_eq!(
            parts.part_path(table::EVENTS, 7),
            Path::new("out/events/part-00007.parquet")
        );
    }
}
