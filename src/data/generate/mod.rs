//! The synthetic SaaS history behind `churn generate`: the contract's five tables for customers
//! whose latent health drifts and drives usage, tickets, NPS answers and churn (see `sim`), so a
//! model on point-in-time features has true signals to learn.
//!
//! # What is written
//!
//! Up to `part_size` customers (default 10,000), one file per table: `DIR/customers.csv`,
//! `events.csv`, `tickets.csv`, `nps.csv`, `churn.csv` (or `.parquet`). Above, every table is a
//! folder of parts, one per chunk of `part_size` customers in customer order:
//! `DIR/events/part-00000.parquet`, ... Rows are ordered by customer, then time.
//!
//! CSV has a header row, dates as `YYYY-MM-DD`, datetimes as `YYYY-MM-DDTHH:MM:SSZ`, floats with
//! a decimal point, booleans as `true`/`false`, and an empty `resolved_at` for open tickets.
//! Parquet uses Date for `signup_date` and `churned_at`, Datetime(Milliseconds, no time zone) for
//! `timestamp`, `opened_at`, `resolved_at` (null while open) and `responded_at`, Float64 for
//! `monthly_revenue` and `quantity`, Int64 for `contract_months` and `score`, Boolean for
//! `auto_renew`, String otherwise.
//!
//! The history is calendar-fixed: `months` months from `start` (default 2024-01-01), nothing
//! dated on or after its end. 30 % of customers form an initial base that signed up in the two
//! years before the start (their activity is recorded from the start); the others sign up evenly
//! over the history. Output goes to a temporary folder next to `DIR`, renamed into place at the
//! end: a failed run leaves nothing behind.

mod layout;
mod sim;
mod write;

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::progress::{Progress, Silent};
use crate::schema::table;
use crate::score::groups::ControlGroups;
use crate::time::{self, Day};

use layout::{DayText, Ids, Layout};
use write::Writer;

/// Default number of customers (`--customers`).
pub const DEFAULT_CUSTOMERS: u64 = 2000;
/// Default length of the history in months (`--months`).
pub const DEFAULT_MONTHS: u32 = 24;
/// Default random seed (`--seed`).
pub const DEFAULT_SEED: u64 = 42;
/// Default customers per part, and per parallel work unit (`--part-size`).
pub const DEFAULT_PART_SIZE: u64 = 10_000;
/// Longest history accepted, in months.
pub const MAX_MONTHS: u32 = 120;

/// File format of the generated tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TableFormat {
    /// Comma-separated text with a header row (the default).
    #[default]
    Csv,
    /// Apache Parquet, zstd-compressed.
    Parquet,
}

impl TableFormat {
    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            TableFormat::Csv => "csv",
            TableFormat::Parquet => "parquet",
        }
    }
}

/// A known treatment effect, for testing the outcomes readout: customers of the campaign's
/// outreach group (the same keyed hash as `churn score --control-share`) are each saved with
/// probability `effect`, drawn once per customer from a stream of its own; a saved customer
/// does not churn in `[from, from + days)`. Every outreach customer is treated, whatever its
/// tier. Without a treatment nothing changes, byte for byte.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Treatment {
    /// Share of the outreach group saved from churning in the window, in [0, 1].
    pub effect: f64,
    /// First day of the window (a list's as-of date).
    pub from: Day,
    /// Length of the window in days (the outcome horizon).
    pub days: u32,
    /// The control share of the campaign.
    pub control_share: f64,
    /// The campaign that keys the groups.
    pub campaign: String,
}

/// Settings of a generator run; build with `new()` and the setters, validated by `check`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerateParams {
    n_customers: u64,
    n_months: u32,
    seed: u64,
    format: TableFormat,
    start: Day,
    part_size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    treatment: Option<Treatment>,
}

impl Default for GenerateParams {
    fn default() -> Self {
        GenerateParams {
            n_customers: DEFAULT_CUSTOMERS,
            n_months: DEFAULT_MONTHS,
            seed: DEFAULT_SEED,
            format: TableFormat::Csv,
            start: default_start(),
            part_size: DEFAULT_PART_SIZE,
            treatment: None,
        }
    }
}

/// 2024-01-01.
fn default_start() -> Day {
    time::day_of(chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("valid date"))
}

impl GenerateParams {
    /// The defaults: 2000 customers, 24 months from 2024-01-01, seed 42, CSV, parts of 10,000.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of customers, at least 1 (default 2000).
    pub fn customers(mut self, n: u64) -> Self {
        self.n_customers = n;
        self
    }

    /// Length of the history in calendar months, 1 to 120 (default 24).
    pub fn months(mut self, n: u32) -> Self {
        self.n_months = n;
        self
    }

    /// Random seed: the same seed gives byte-identical files (default 42).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Output format (default CSV).
    pub fn format(mut self, format: TableFormat) -> Self {
        self.format = format;
        self
    }

    /// First day of the history (default 2024-01-01).
    pub fn start(mut self, day: Day) -> Self {
        self.start = day;
        self
    }

    /// Customers per part file and per parallel work unit, at least 1 (default 10,000).
    pub fn part_size(mut self, n: u64) -> Self {
        self.part_size = n;
        self
    }

    /// Number of customers.
    pub fn n_customers(&self) -> u64 {
        self.n_customers
    }

    /// Apply a known treatment effect to the outreach group of a campaign.
    pub fn treatment(mut self, treatment: Treatment) -> Self {
        self.treatment = Some(treatment);
        self
    }

    /// The output format.
    pub fn table_format(&self) -> TableFormat {
        self.format
    }

    /// Check the settings once, before anything runs.
    ///
    /// # Errors
    /// `Error::Usage` for no customers, a history outside 1..=120 months, or empty parts.
    pub fn check(&self) -> Result<()> {
        if self.n_customers == 0 {
            return Err(Error::Usage("customers must be at least 1 (got 0)".into()));
        }
        if !(1..=MAX_MONTHS).contains(&self.n_months) {
            return Err(Error::Usage(format!(
                "months must be between 1 and {MAX_MONTHS} (got {})",
                self.n_months
            )));
        }
        if self.part_size == 0 {
            return Err(Error::Usage("part size must be at least 1 (got 0)".into()));
        }
        if let Some(t) = &self.treatment {
            if !(0.0..=1.0).contains(&t.effect) {
                return Err(Error::Usage(format!(
                    "the treatment effect must be between 0 and 1 (got {})",
                    t.effect
                )));
            }
            if t.days == 0 {
                return Err(Error::Usage(
                    "the treatment window must be at least 1 day".into(),
                ));
            }
            ControlGroups::new(t.control_share, &t.campaign)?;
        }
        Ok(())
    }

    /// The period and population, without the treatment.
    fn period(&self) -> sim::World {
        sim::World {
            seed: self.seed,
            n_customers: self.n_customers,
            start: self.start,
            end: time::add_months(self.start, self.n_months as i32),
            treatment: None,
        }
    }

    fn world(&self) -> Result<sim::World> {
        let treatment = match &self.treatment {
            Some(t) => Some(sim::Treat {
                effect: t.effect,
                from: t.from,
                until: t.from + t.days as Day,
                groups: ControlGroups::new(t.control_share, &t.campaign)?,
                ids: Ids::new(self.n_customers),
            }),
            None => None,
        };
        Ok(sim::World {
            treatment,
            ..self.period()
        })
    }

    fn n_parts(&self) -> u64 {
        self.n_customers.div_ceil(self.part_size)
    }

    fn part_range(&self, part: u64) -> std::ops::Range<u64> {
        let lo = part * self.part_size;
        lo..(lo + self.part_size).min(self.n_customers)
    }
}

/// One written table: where it went and how many rows it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableOutput {
    /// Contract table name.
    pub table: String,
    /// The file, or the folder of parts.
    pub path: PathBuf,
    /// Data rows.
    pub rows: u64,
}

/// What a run wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GenerateSummary {
    /// The output folder.
    pub out: PathBuf,
    /// The five tables, in `schema::table::ALL` order.
    pub tables: Vec<TableOutput>,
    /// Files per table (1: single files; more: folders of parts).
    pub n_parts: u64,
    /// Earliest possible signup date (the initial base signed up before `start`).
    pub first_signup: Day,
    /// First day of the history.
    pub start: Day,
    /// Last day of the history (inclusive): nothing is dated later.
    pub last_day: Day,
}

impl GenerateSummary {
    /// Rows written to `table` (0 for an unknown name).
    pub fn rows(&self, table: &str) -> u64 {
        self.tables
            .iter()
            .find(|t| t.table == table)
            .map_or(0, |t| t.rows)
    }
}

/// Generate the five tables into the new folder `out`.
///
/// # Errors
/// Invalid settings or an `out` that exists and is not empty (`Error::Usage`); I/O and Parquet
/// errors. On error nothing is left at `out` or beside it.
pub fn generate(params: &GenerateParams, out: &Path) -> Result<GenerateSummary> {
    generate_with(params, out, &Silent)
}

/// [`generate`], reporting one unit per part of customers to `progress`.
///
/// # Errors
/// As [`generate`].
pub fn generate_with(
    params: &GenerateParams,
    out: &Path,
    progress: &dyn Progress,
) -> Result<GenerateSummary> {
    params.check()?;
    check_out_dir(out)?;
    let staging = staging_dir(out)?;
    let layout = Layout::new(staging.path(), params.format, params.n_parts() > 1);
    layout.create_dirs()?;
    let rows = write_parts(params, &layout, progress)?;
    publish(staging, out)?;
    Ok(summarize(params, out, &layout, rows))
}

/// Simulate and write every part; returns rows per table in `table::ALL` order.
fn write_parts(
    params: &GenerateParams,
    layout: &Layout,
    progress: &dyn Progress,
) -> Result<[u64; 5]> {
    let world = params.world()?;
    let days = DayText::new(world.first_signup(), world.end);
    let writer = Writer {
        layout,
        ids: Ids::new(params.n_customers),
        days: &days,
    };
    let step = format!("generating parts of {} customers", params.part_size);
    progress.start(&step, params.n_parts());
    // Parts are independent (each customer draws from its own random stream, each part has its
    // own files), so they run in parallel and the bytes do not depend on the thread count; at
    // most one part per thread is in memory.
    let per_part = (0..params.n_parts())
        .into_par_iter()
        .map(|part| {
            let chunk = sim::simulate_chunk(&world, params.part_range(part));
            writer.write(part as usize, &chunk)?;
            progress.advance(1);
            Ok(chunk.rows())
        })
        .collect::<Result<Vec<_>>>()?;
    progress.finish();
    Ok(per_part
        .iter()
        .fold([0; 5], |acc, r| std::array::from_fn(|i| acc[i] + r[i])))
}

/// `out` must not exist, or be an empty folder.
fn check_out_dir(out: &Path) -> Result<()> {
    match std::fs::read_dir(out) {
        Ok(mut entries) => match entries.next() {
            None => Ok(()),
            Some(_) => Err(Error::Usage(format!(
                "{} already exists and is not empty; generate into a new or empty folder",
                out.display()
            ))),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(_) if out.exists() => Err(Error::Usage(format!(
            "{} exists and is not a folder",
            out.display()
        ))),
        Err(e) => Err(Error::io(out, e)),
    }
}

/// A hidden temporary folder beside `out`, on the same file system so the final rename is atomic.
fn staging_dir(out: &Path) -> Result<tempfile::TempDir> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    let dir = tempfile::Builder::new()
        .prefix(".churn-tmp-")
        .tempdir_in(parent)
        .map_err(|e| Error::io(parent, e))?;
    #[cfg(unix)]
    {
        // tempfile makes the folder private (0700); the tables are ordinary output.
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::Permissions::from_mode(0o755);
        std::fs::set_permissions(dir.path(), mode).map_err(|e| Error::io(dir.path(), e))?;
    }
    Ok(dir)
}

/// Move the finished tables into place.
fn publish(staging: tempfile::TempDir, out: &Path) -> Result<()> {
    if out.exists() {
        // Checked empty before the run; `remove_dir` refuses anything that appeared since.
        std::fs::remove_dir(out).map_err(|e| Error::io(out, e))?;
    }
    std::fs::rename(staging.path(), out).map_err(|e| Error::io(out, e))?;
    let _ = staging.keep();
    Ok(())
}

fn summarize(
    params: &GenerateParams,
    out: &Path,
    layout: &Layout,
    rows: [u64; 5],
) -> GenerateSummary {
    let world = params.period();
    let tables = table::ALL
        .iter()
        .zip(rows)
        .map(|(t, rows)| TableOutput {
            table: t.to_string(),
            path: out.join(layout.table_rel(t)),
            rows,
        })
        .collect();
    GenerateSummary {
        out: out.to_path_buf(),
        tables,
        n_parts: params.n_parts(),
        first_signup: world.first_signup(),
        start: world.start,
        last_day: world.end - 1,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use polars::prelude::*;

    use super::*;
    use crate::schema::col;

    fn small(format: TableFormat) -> GenerateParams {
        GenerateParams::new()
            .customers(300)
            .months(6)
            .format(format)
    }

    /// Every file under `dir` by relative path, with its bytes.
    fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.insert(
                        p.strip_prefix(dir).unwrap().to_path_buf(),
                        std::fs::read(&p).unwrap(),
                    );
                }
            }
        }
        out
    }

    fn run(params: &GenerateParams) -> (tempfile::TempDir, GenerateSummary) {
        let tmp = tempfile::tempdir().unwrap();
        let summary = generate(params, &tmp.path().join("data")).unwrap();
        (tmp, summary)
    }

    #[test]
    fn same_seed_gives_identical_files_in_both_formats() {
        for format in [TableFormat::Csv, TableFormat::Parquet] {
            let params = small(format).part_size(120);
            let (a, _) = run(&params);
            let (b, _) = run(&params);
            let (fa, fb) = (files(&a.path().join("data")), files(&b.path().join("data")));
            assert_eq!(fa.len(), 15, "{format:?}: 5 tables x 3 parts");
            assert!(fa == fb, "{format:?}: files differ between identical runs");
        }
    }

    #[test]
    fn another_seed_gives_other_files() {
        let (a, _) = run(&small(TableFormat::Csv));
        let (b, _) = run(&small(TableFormat::Csv).seed(43));
        let (fa, fb) = (files(&a.path().join("data")), files(&b.path().join("data")));
        assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
        assert_ne!(fa[Path::new("events.csv")], fb[Path::new("events.csv")]);
    }

    #[test]
    fn output_does_not_depend_on_thread_count() {
        let params = small(TableFormat::Parquet).part_size(50);
        let on = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let (dir, _) = pool.install(|| run(&params));
            files(&dir.path().join("data"))
        };
        assert!(on(1) == on(3), "files differ between 1 and 3 threads");
    }

    #[test]
    fn parts_hold_the_same_rows_as_a_single_file() {
        let (single, s) = run(&small(TableFormat::Csv));
        let (parted, p) = run(&small(TableFormat::Csv).part_size(70));
        assert_eq!((s.n_parts, p.n_parts), (1, 5));
        assert_eq!(
            s.tables.iter().map(|t| t.rows).collect::<Vec<_>>(),
            p.tables.iter().map(|t| t.rows).collect::<Vec<_>>()
        );
        for t in table::ALL {
            let whole =
                std::fs::read_to_string(single.path().join(format!("data/{t}.csv"))).unwrap();
            let mut joined = whole.lines().next().unwrap().to_string() + "\n";
            for part in 0..5 {
                let text = std::fs::read_to_string(
                    parted.path().join(format!("data/{t}/part-{part:05}.csv")),
                )
                .unwrap();
                text.lines().skip(1).for_each(|l| joined.extend([l, "\n"]));
            }
            assert!(whole == joined, "{t}: parts differ from the single file");
        }
    }

    #[test]
    fn summary_counts_match_the_files() {
        let (dir, s) = run(&small(TableFormat::Csv));
        for t in &s.tables {
            let text = std::fs::read_to_string(&t.path).unwrap();
            assert_eq!(text.lines().count() as u64, t.rows + 1, "{}", t.table);
            assert!(t.path.starts_with(dir.path()));
        }
        assert_eq!(s.rows(table::CUSTOMERS), 300);
        assert_eq!(
            (time::format_day(s.start), time::format_day(s.last_day)),
            ("2024-01-01".into(), "2024-06-30".into())
        );
    }

    #[test]
    fn csv_dates_and_datetimes_are_iso() {
        let (dir, _) = run(&small(TableFormat::Csv));
        let tickets = std::fs::read_to_string(dir.path().join("data/tickets.csv")).unwrap();
        let mut lines = tickets.lines();
        assert_eq!(
            lines.next().unwrap(),
            "customer_id,ticket_id,opened_at,resolved_at,priority,category"
        );
        let row: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert!(
            time::parse_ts(row[2], None).is_some_and(|t| time::format_ts(t) == row[2]),
            "{row:?}"
        );
        let customers = std::fs::read_to_string(dir.path().join("data/customers.csv")).unwrap();
        let row: Vec<&str> = customers.lines().nth(1).unwrap().split(',').collect();
        assert!(
            time::parse_day(row[1], None).is_some_and(|d| time::format_day(d) == row[1]),
            "{row:?}"
        );
        assert!(
            row[3].contains('.') && ["true", "false"].contains(&row[6]),
            "{row:?}"
        );
    }

    fn parquet_schema(path: &Path) -> Schema {
        let df = ParquetReader::new(std::fs::File::open(path).unwrap())
            .finish()
            .unwrap();
        df.schema().as_ref().clone()
    }

    #[test]
    fn parquet_columns_have_the_contract_types() {
        let (dir, s) = run(&small(TableFormat::Parquet));
        let ms = DataType::Datetime(TimeUnit::Milliseconds, None);
        let expect: [(&str, &[(&str, DataType)]); 5] = [
            (
                table::CUSTOMERS,
                &[
                    (col::CUSTOMER_ID, DataType::String),
                    (col::SIGNUP_DATE, DataType::Date),
                    (col::PLAN, DataType::String),
                    (col::MONTHLY_REVENUE, DataType::Float64),
                    (col::CONTRACT_MONTHS, DataType::Int64),
                    (col::SEGMENT, DataType::String),
                    (col::AUTO_RENEW, DataType::Boolean),
                ],
            ),
            (
                table::EVENTS,
                &[
                    (col::CUSTOMER_ID, DataType::String),
                    (col::TIMESTAMP, ms.clone()),
                    (col::EVENT_TYPE, DataType::String),
                    (col::QUANTITY, DataType::Float64),
                ],
            ),
            (
                table::TICKETS,
                &[
                    (col::TICKET_ID, DataType::String),
                    (col::OPENED_AT, ms.clone()),
                    (col::RESOLVED_AT, ms.clone()),
                    (col::PRIORITY, DataType::String),
                    (col::CATEGORY, DataType::String),
                ],
            ),
            (
                table::NPS,
                &[
                    (col::RESPONDED_AT, ms.clone()),
                    (col::SCORE, DataType::Int64),
                ],
            ),
            (
                table::CHURN,
                &[
                    (col::CUSTOMER_ID, DataType::String),
                    (col::CHURNED_AT, DataType::Date),
                ],
            ),
        ];
        for (t, columns) in expect {
            let schema = parquet_schema(&dir.path().join(format!("data/{t}.parquet")));
            for (name, dtype) in columns {
                assert_eq!(schema.get(name), Some(dtype), "{t}.{name}");
            }
        }
        assert!(s.rows(table::EVENTS) > 1000);
    }

    #[test]
    fn refuses_a_non_empty_folder_and_leaves_it_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("data");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("notes.txt"), "keep me").unwrap();
        let err = generate(&small(TableFormat::Csv), &out).unwrap_err();
        assert!(matches!(err, Error::Usage(_)), "{err}");
        assert_eq!(files(&out).len(), 1);
        assert_eq!(
            std::fs::read_dir(tmp.path()).unwrap().count(),
            1,
            "no staging folder left"
        );
    }

    #[test]
    fn fills_an_empty_folder_and_leaves_no_staging_behind() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("data");
        std::fs::create_dir(&out).unwrap();
        generate(&small(TableFormat::Csv), &out).unwrap();
        assert_eq!(files(&out).len(), 5);
        assert_eq!(
            std::fs::read_dir(tmp.path()).unwrap().count(),
            1,
            "only the output folder"
        );
    }

    #[test]
    fn check_rejects_out_of_range_settings() {
        for params in [
            GenerateParams::new().customers(0),
            GenerateParams::new().months(0),
            GenerateParams::new().months(MAX_MONTHS + 1),
            GenerateParams::new().part_size(0),
        ] {
            assert!(matches!(params.check(), Err(Error::Usage(_))), "{params:?}");
        }
        assert!(GenerateParams::new()
            .months(MAX_MONTHS)
            .customers(1)
            .check()
            .is_ok());
    }

    #[test]
    fn one_customer_and_one_month_still_write_every_table() {
        let (dir, s) = run(&GenerateParams::new().customers(1).months(1));
        assert_eq!(s.rows(table::CUSTOMERS), 1);
        assert_eq!(files(&dir.path().join("data")).len(), 5);
    }
}
