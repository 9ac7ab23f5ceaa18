//! One table while it is read: its parts (files), mapping and wanted columns, each part's frame
//! with checked column access, and the time limit every dated row must respect.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::config::TableMapping;
use crate::data::read::{self, Cells, Part};
use crate::error::{Error, Result};
use crate::schema::col;
use crate::time::{self, Day, Ts};

use super::LoadOptions;

/// Columns a mapping's `defaults` can fill with a constant when the file lacks them.
const CONSTANT_COLUMNS: [&str; 5] = [
    col::PLAN,
    col::SEGMENT,
    col::MONTHLY_REVENUE,
    col::CONTRACT_MONTHS,
    col::EVENT_TYPE,
];

/// A table's files and mapping. Parts are read one at a time by [`TableData::map_parts`], so a
/// part's frame lives only while its rows are extracted.
pub(super) struct TableData<'m> {
    pub(super) name: &'static str,
    pub(super) parts: Vec<Part>,
    pub(super) mapping: &'m TableMapping,
    /// Source names of the columns to read (the others are never decoded).
    wanted: Vec<&'m str>,
    /// Plus these from CSV parts: a projected CSV read does not see ragged rows, so a CSV
    /// file's required columns are always read.
    wanted_csv: Vec<&'m str>,
}

/// One part of a table while its rows are extracted.
pub(super) struct PartData<'a> {
    pub(super) table: &'a TableData<'a>,
    pub(super) part: &'a Part,
    frame: read::PartFrame,
}

impl<'m> TableData<'m> {
    /// Find a table's files; `columns` are the contract columns to read, `check_only` further
    /// required columns that no feature uses. `None` when absent.
    pub(super) fn locate(
        opts: &'m LoadOptions,
        name: &'static str,
        columns: &[&'m str],
        check_only: &[&'m str],
    ) -> Result<Option<Self>> {
        let mapping = opts.mapping.table(name);
        let Some(parts) = read::locate(&opts.dir, name, mapping)? else {
            return Ok(None);
        };
        let wanted: Vec<&str> = columns.iter().map(|c| mapping.source(c)).collect();
        let mut wanted_csv = wanted.clone();
        wanted_csv.extend(check_only.iter().map(|c| mapping.source(c)));
        Ok(Some(TableData {
            name,
            parts,
            mapping,
            wanted,
            wanted_csv,
        }))
    }

    /// Read every part, check it has the `required` columns, and extract it with `f`, returning
    /// the results in part order. Parts are independent, so they are read and extracted in
    /// parallel; the error returned is the one of the first failing part, whatever the thread
    /// count, so a bad file always reports the same row.
    ///
    /// The workers are plain threads, one per rayon thread, each taking the next part: a rayon
    /// worker that waits for polars' own pool steals other parts meanwhile, so with a parallel
    /// iterator dozens of parts' frames were alive at once (4 GB at 1M customers, not 0.3).
    pub(super) fn map_parts<R: Send>(
        &self,
        required: &[&str],
        f: impl Fn(&PartData) -> Result<R> + Sync,
    ) -> Result<Vec<R>> {
        self.map_parts_or(required, |_| Err(()), |p, ()| f(p))
    }

    /// [`TableData::map_parts`], where `cached` may give a part's result without reading it
    /// (the cache); otherwise it gives what `f` then needs to know (the part's cache key).
    pub(super) fn map_parts_or<R: Send, S>(
        &self,
        required: &[&str],
        cached: impl Fn(&Part) -> std::result::Result<R, S> + Sync,
        f: impl Fn(&PartData, S) -> Result<R> + Sync,
    ) -> Result<Vec<R>> {
        let one = |part: &Part| {
            let state = match cached(part) {
                Ok(r) => return Ok(r),
                Err(state) => state,
            };
            let wanted = if part.csv {
                &self.wanted_csv
            } else {
                &self.wanted
            };
            let frame = read::read_part(self.name, part, wanted)?;
            let data = PartData {
                table: self,
                part,
                frame,
            };
            data.require(required)?;
            f(&data, state)
        };
        let workers = rayon::current_num_threads().clamp(1, self.parts.len().max(1));
        let results: Vec<Result<R>> = if workers == 1 {
            self.parts.iter().map(one).collect()
        } else {
            let next = AtomicUsize::new(0);
            let slots: Vec<Mutex<Option<Result<R>>>> =
                self.parts.iter().map(|_| Mutex::new(None)).collect();
            std::thread::scope(|scope| {
                for _ in 0..workers {
                    scope.spawn(|| loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(part) = self.parts.get(k) else {
                            break;
                        };
                        let result = one(part);
                        *slots[k].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
                    });
                }
            });
            slots
                .into_iter()
                .map(|s| {
                    s.into_inner()
                        .unwrap_or_else(|e| e.into_inner())
                        .expect("every part was read")
                })
                .collect()
        };
        results.into_iter().collect()
    }

    /// The mapping's constant for a column, if any.
    pub(super) fn constant(&self, column: &str) -> Option<&str> {
        self.mapping.defaults.get(column).map(String::as_str)
    }

    pub(super) fn empty_error(&self) -> Error {
        let files: Vec<String> = self
            .parts
            .iter()
            .map(|p| p.path.display().to_string())
            .collect();
        Error::EmptyTable {
            table: self.name.into(),
            reason: format!("no data rows in {}", files.join(", ")),
        }
    }
}

impl PartData<'_> {
    pub(super) fn height(&self) -> usize {
        self.frame.df.height()
    }

    /// Fail unless the part has every column (or the mapping gives it a constant).
    fn require(&self, columns: &[&str]) -> Result<()> {
        let t = self.table;
        for c in columns {
            let source = t.mapping.source(c);
            let present = self.frame.header.iter().any(|h| h == source);
            if !present && t.mapping.defaults.contains_key(*c) {
                if CONSTANT_COLUMNS.contains(c) {
                    continue;
                }
                return Err(Error::Usage(format!(
                    "mapping [{}]: `{c}` cannot be a constant (defaults can fill {})",
                    t.name,
                    CONSTANT_COLUMNS.join(", ")
                )));
            }
            if !present {
                let column = if source == *c {
                    c.to_string()
                } else {
                    format!("{c}` (mapped from `{source}")
                };
                return Err(Error::MissingColumn {
                    table: t.name.into(),
                    column,
                    found: format!(
                        "{} in {}",
                        self.frame.header.join(", "),
                        self.part.path.display()
                    ),
                });
            }
        }
        Ok(())
    }

    /// The cells of a contract column, if the file has it.
    pub(super) fn cells<'a>(&'a self, column: &'a str) -> Option<Cells<'a>> {
        let t = self.table;
        self.frame
            .df
            .column(t.mapping.source(column))
            .ok()
            .map(|c| Cells {
                table: t.name,
                column,
                part: self.part,
                col: c,
            })
    }

    /// The cells of a column `require` has checked.
    pub(super) fn required<'a>(&'a self, column: &'a str) -> Cells<'a> {
        self.cells(column).expect("checked by require")
    }

    pub(super) fn format(&self, column: &str) -> Option<&str> {
        self.table.mapping.format(column)
    }
}

/// Checks that every dated row lies before a limit (the data end, or now).
#[derive(Clone, Copy)]
pub(super) struct TimeLimit {
    limit: Ts,
    explicit: bool,
}

/// 1900-01-01T00:00:00Z: anything earlier is a broken value (and beyond what calendar
/// arithmetic should be asked to handle).
const EARLIEST: Ts = -2_208_988_800;

impl TimeLimit {
    /// Rows must lie before the day after `explicit_end`, or without one before now.
    pub(super) fn new(explicit_end: Option<Day>) -> Self {
        match explicit_end {
            Some(d) => TimeLimit {
                limit: time::day_start(d + 1),
                explicit: true,
            },
            None => TimeLimit {
                limit: chrono::Utc::now().timestamp() + 1,
                explicit: false,
            },
        }
    }

    /// Whether every time from `lo` to `hi` passes [`TimeLimit::check`].
    pub(super) fn admits(&self, lo: Ts, hi: Ts) -> bool {
        lo >= EARLIEST && hi < self.limit
    }

    pub(super) fn check(&self, cells: &Cells, i: usize, t: Ts) -> Result<()> {
        if t < EARLIEST {
            return Err(cells.out_of_range(i, time::format_ts(t), "dated before 1900"));
        }
        if t < self.limit {
            return Ok(());
        }
        let why = if self.explicit {
            "dated after the data end"
        } else {
            "dated in the future"
        };
        Err(cells.out_of_range(i, time::format_ts(t), why))
    }
}
