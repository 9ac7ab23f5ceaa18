//! Loading the contract's tables (CSV or Parquet, files or folders of parts) into a compact,
//! validated, per-customer history. Loading is validation: every check of `churn validate` runs here.

use std::path::{Path, PathBuf};

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rayon::prelude::*;

use crate::config::{Derive, Mapping, TableMapping};
use crate::data::read::{self, Cells, Part};
use crate::error::{Error, Result};
use crate::schema::{col, table, CATEGORIES, PRIORITIES};
use crate::time::{self, Day, Ts};

/// What to load and how.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The data folder.
    pub dir: PathBuf,
    /// Column renames, formats, derivations (default: none).
    pub mapping: Mapping,
}

impl LoadOptions {
    /// Load `dir` with no mapping.
    pub fn new(dir: impl AsRef<Path>) -> Self {
        LoadOptions {
            dir: dir.as_ref().to_path_buf(),
            mapping: Mapping::default(),
        }
    }
}

/// The customers table, one entry per customer, indexed by position.
#[derive(Debug, Clone, Default)]
pub struct Customers {
    pub ids: Vec<String>,
    pub signup: Vec<Day>,
    pub plan: Vec<String>,
    pub segment: Vec<Option<String>>,
    pub monthly_revenue: Vec<f64>,
    pub contract_months: Vec<u32>,
    /// First day the customer is gone, from the churn table.
    pub churned_at: Vec<Option<Day>>,
}

impl Customers {
    /// Number of customers.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when there are no customers.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Per-customer rows in compressed form: rows of customer `c` are `offsets[c]..offsets[c + 1]`.
#[derive(Debug, Clone, Default)]
pub struct Grouped<T> {
    pub offsets: Vec<usize>,
    pub rows: Vec<T>,
}

impl<T> Grouped<T> {
    /// The rows of customer `c`.
    pub fn of(&self, c: usize) -> &[T] {
        &self.rows[self.offsets[c]..self.offsets[c + 1]]
    }
}

/// One ticket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ticket {
    pub opened_at: Ts,
    pub resolved_at: Option<Ts>,
    /// Index into `schema::PRIORITIES`.
    pub priority: u8,
    /// Index into `schema::CATEGORIES`.
    pub category: u8,
}

/// One NPS answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct NpsAnswer {
    pub responded_at: Ts,
    pub score: u8,
}

/// Rows per table and other facts for `churn validate`'s summary.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LoadSummary {
    /// (table, rows read) for each table present.
    pub rows: Vec<(String, usize)>,
    /// Optional tables that are absent.
    pub absent: Vec<String>,
    /// Warnings (rows of unknown customers, ...).
    pub warnings: Vec<String>,
    /// Earliest and latest time in any table.
    pub first: Ts,
    pub last: Ts,
}

/// A validated history: customers plus their events, tickets and NPS answers, each sorted by time.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub customers: Customers,
    /// Event timestamps per customer, ascending.
    pub events: Grouped<Ts>,
    /// Tickets per customer, by `opened_at`; `None` when the table is absent.
    pub tickets: Option<Grouped<Ticket>>,
    /// NPS answers per customer, by time then score; `None` when the table is absent.
    pub nps: Option<Grouped<NpsAnswer>>,
    /// Whether a churn table was present.
    pub has_churn: bool,
    /// End of the data: the latest time in any table, or with a given `data_end` date the start
    /// of the day after it (the data covers that whole day). A cutoff's labels are complete
    /// when `T + H <= data_end`.
    pub data_end: Ts,
    pub summary: LoadSummary,
}

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
struct TableData<'m> {
    name: &'static str,
    parts: Vec<Part>,
    mapping: &'m TableMapping,
    /// Source names of the columns to read (the others are never decoded).
    wanted: Vec<&'m str>,
    /// Plus these from CSV parts: a projected CSV read does not see ragged rows, so a CSV
    /// file's required columns are always read.
    wanted_csv: Vec<&'m str>,
}

/// One part of a table while its rows are extracted.
struct PartData<'a> {
    table: &'a TableData<'a>,
    part: &'a Part,
    frame: read::PartFrame,
}

impl<'m> TableData<'m> {
    /// Find a table's files; `columns` are the contract columns to read, `check_only` further
    /// required columns that no feature uses. `None` when absent.
    fn locate(
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
    fn map_parts<R: Send>(
        &self,
        required: &[&str],
        f: impl Fn(&PartData) -> Result<R> + Sync,
    ) -> Result<Vec<R>> {
        let results: Vec<Result<R>> = self
            .parts
            .par_iter()
            .map(|part| {
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
                f(&data)
            })
            .collect();
        results.into_iter().collect()
    }

    /// The mapping's constant for a column, if any.
    fn constant(&self, column: &str) -> Option<&str> {
        self.mapping.defaults.get(column).map(String::as_str)
    }

    fn empty_error(&self) -> Error {
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
    fn height(&self) -> usize {
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
    fn cells<'a>(&'a self, column: &'a str) -> Option<Cells<'a>> {
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
    fn required<'a>(&'a self, column: &'a str) -> Cells<'a> {
        self.cells(column).expect("checked by require")
    }

    fn format(&self, column: &str) -> Option<&str> {
        self.table.mapping.format(column)
    }
}

/// Checks that every dated row lies before a limit (the data end, or now).
#[derive(Clone, Copy)]
struct TimeLimit {
    limit: Ts,
    explicit: bool,
}

/// 1900-01-01T00:00:00Z: anything earlier is a broken value (and beyond what calendar
/// arithmetic should be asked to handle).
const EARLIEST: Ts = -2_208_988_800;

impl TimeLimit {
    fn check(&self, cells: &Cells, i: usize, t: Ts) -> Result<()> {
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

/// Load and validate every table.
///
/// # Errors
/// A missing required table or column, an unreadable file, any bad cell (named by table, column
/// and row), duplicate customer ids, empty required tables, rows dated after the data end.
pub fn load_history(opts: &LoadOptions) -> Result<History> {
    let explicit_end =
        match &opts.mapping.data_end {
            Some(s) => Some(time::parse_day(s, None).ok_or_else(|| {
                Error::Usage(format!("data end {s:?} is not a date (YYYY-MM-DD)"))
            })?),
            None => None,
        };
    let limit = match explicit_end {
        Some(d) => TimeLimit {
            limit: time::day_start(d + 1),
            explicit: true,
        },
        None => TimeLimit {
            limit: chrono::Utc::now().timestamp() + 1,
            explicit: false,
        },
    };
    let mut summary = LoadSummary::default();
    let bar = crate::util::progress_bar(5, "loading tables");
    // `event_type` is required but unused by any feature: checked in the header, and decoded
    // only from CSV parts.
    let events = TableData::locate(
        opts,
        table::EVENTS,
        &[col::CUSTOMER_ID, col::TIMESTAMP, col::QUANTITY],
        &[col::EVENT_TYPE],
    )?
    .ok_or_else(|| missing_table(opts, table::EVENTS))?;
    let mut customers = match opts.mapping.customers.derive {
        Some(Derive::FirstEvent) => derive_customers(&events, &opts.mapping.customers, limit)?,
        None => load_customers(opts, limit)?,
    };
    summary
        .rows
        .push((table::CUSTOMERS.into(), customers.len()));
    bar.inc(1);
    let index = id_index(&customers.ids);
    let event_rows = load_events(&events, &index, limit, &mut summary)?;
    bar.inc(1);
    let tickets = load_tickets(opts, &index, limit, &mut summary)?;
    bar.inc(1);
    let nps = load_nps(opts, &index, limit, &mut summary)?;
    bar.inc(1);
    let churn = load_churn(opts, &index, &customers, limit, &mut summary)?;
    bar.inc(1);
    let has_churn = churn.is_some();
    if let Some(churned) = churn {
        customers.churned_at = churned;
    }
    drop(index);
    bar.finish_and_clear();
    let n = customers.len();
    let history = History {
        events: group_parts(n, event_rows),
        tickets: tickets.map(|t| group_parts(n, t)),
        nps: nps.map(|t| group_parts(n, t)),
        has_churn,
        data_end: 0,
        summary,
        customers,
    };
    Ok(finish(history, explicit_end))
}

fn missing_table(opts: &LoadOptions, name: &str) -> Error {
    let looked_for = match &opts.mapping.table(name).file {
        Some(f) => opts.dir.join(f).display().to_string(),
        None => format!(
            "{0}.csv, {0}.parquet or a folder {0}/ in {1}",
            name,
            opts.dir.display()
        ),
    };
    Error::MissingTable {
        table: name.into(),
        looked_for,
    }
}

/// Set the time span and the data end once everything is loaded.
fn finish(mut h: History, explicit_end: Option<Day>) -> History {
    let mut first = i64::MAX;
    let mut last = i64::MIN;
    let mut see = |t: Ts| {
        first = first.min(t);
        last = last.max(t);
    };
    h.customers
        .signup
        .iter()
        .for_each(|&d| see(time::day_start(d)));
    h.customers
        .churned_at
        .iter()
        .flatten()
        .for_each(|&d| see(time::day_start(d)));
    h.events.rows.iter().for_each(|&t| see(t));
    if let Some(t) = &h.tickets {
        for r in &t.rows {
            see(r.opened_at);
            if let Some(x) = r.resolved_at {
                see(x);
            }
        }
    }
    if let Some(n) = &h.nps {
        n.rows.iter().for_each(|r| see(r.responded_at));
    }
    h.summary.first = first;
    h.summary.last = last;
    h.data_end = match explicit_end {
        Some(d) => time::day_start(d + 1),
        None => last,
    };
    for name in [table::TICKETS, table::NPS, table::CHURN] {
        let present = h.summary.rows.iter().any(|(t, _)| t == name);
        if !present {
            h.summary.absent.push(name.into());
        }
    }
    h
}

/// FxHash (the Rust compiler's hasher). Customer ids are short strings looked up once per row;
/// SipHash's resistance to crafted keys costs a sizeable share of load time and buys nothing here.
#[derive(Default, Clone, Copy)]
struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.add(u64::from_le_bytes(w.try_into().expect("8 bytes")));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        // The multiply leaves the low bits (the bucket index) depending on the low input bits
        // only, and ids like `C0000001` differ in their last bytes: fold the high bits down.
        let h = self.hash;
        (h ^ (h >> 32)).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (h >> 29)
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Customer id -> position in the customers table.
type IdIndex<'a> = FxMap<&'a str, u32>;

fn id_index(ids: &[String]) -> IdIndex<'_> {
    let mut index = IdIndex::with_capacity_and_hasher(ids.len(), Default::default());
    for (i, id) in ids.iter().enumerate() {
        index.insert(id.as_str(), i as u32);
    }
    index
}

/// The rows of one part that belong to known customers, with their customer indices.
struct PartRows<T> {
    customers: Vec<u32>,
    rows: Vec<T>,
    /// Rows read, including those of unknown customers.
    n_read: usize,
    unknown: usize,
}

impl<T> PartRows<T> {
    fn with_capacity(n: usize) -> Self {
        PartRows {
            customers: Vec::with_capacity(n),
            rows: Vec::with_capacity(n),
            n_read: n,
            unknown: 0,
        }
    }

    /// Keep a row of customer `c`, or count it as unknown.
    fn push(&mut self, c: Option<u32>, row: T) {
        match c {
            Some(c) => {
                self.customers.push(c);
                self.rows.push(row);
            }
            None => self.unknown += 1,
        }
    }
}

/// Rows tagged with their customer index, grouped into per-customer slices sorted by time.
pub fn group<T: Ord + Send + Copy + Default>(
    n_customers: usize,
    rows: Vec<(u32, T)>,
) -> Grouped<T> {
    let n_read = rows.len();
    let (customers, rows) = rows.into_iter().unzip();
    let part = PartRows {
        customers,
        rows,
        n_read,
        unknown: 0,
    };
    group_parts(n_customers, vec![part])
}

/// Per-part rows grouped into per-customer slices sorted by time: a counting sort by customer
/// (each part freed once placed), then a sort of each customer's short slice.
fn group_parts<T: Ord + Send + Copy + Default>(
    n_customers: usize,
    parts: Vec<PartRows<T>>,
) -> Grouped<T> {
    let mut offsets = vec![0usize; n_customers + 1];
    for p in &parts {
        for &c in &p.customers {
            offsets[c as usize + 1] += 1;
        }
    }
    for i in 0..n_customers {
        offsets[i + 1] += offsets[i];
    }
    let mut rows = vec![T::default(); offsets[n_customers]];
    let mut next = offsets[..n_customers].to_vec();
    for p in parts {
        for (c, r) in p.customers.into_iter().zip(p.rows) {
            let k = &mut next[c as usize];
            rows[*k] = r;
            *k += 1;
        }
    }
    sort_each_customer(&offsets, &mut rows);
    Grouped { offsets, rows }
}

/// Sort every customer's slice. Slices are independent: blocks of customers sort in parallel.
fn sort_each_customer<T: Ord + Send>(offsets: &[usize], rows: &mut [T]) {
    let n = offsets.len() - 1;
    let block = (n / (8 * rayon::current_num_threads())).max(1024);
    let mut blocks = Vec::new();
    let mut rest = rows;
    for first in (0..n).step_by(block) {
        let end = (first + block).min(n);
        let (head, tail) = rest.split_at_mut(offsets[end] - offsets[first]);
        blocks.push((first, end, head));
        rest = tail;
    }
    blocks.into_par_iter().for_each(|(first, end, slice)| {
        let base = offsets[first];
        for c in first..end {
            slice[offsets[c] - base..offsets[c + 1] - base].sort_unstable();
        }
    });
}

/// One part of the customers table, extracted.
struct CustomerPart {
    ids: Vec<String>,
    signup: Vec<Day>,
    plan: Vec<Option<String>>,
    segment: Vec<Option<String>>,
    monthly_revenue: Vec<f64>,
    contract_months: Vec<u32>,
}

fn load_customers(opts: &LoadOptions, limit: TimeLimit) -> Result<Customers> {
    let cols = [
        col::CUSTOMER_ID,
        col::SIGNUP_DATE,
        col::PLAN,
        col::MONTHLY_REVENUE,
        col::CONTRACT_MONTHS,
        col::SEGMENT,
        col::AUTO_RENEW,
    ];
    let t = TableData::locate(opts, table::CUSTOMERS, &cols, &[])?
        .ok_or_else(|| missing_table(opts, table::CUSTOMERS))?;
    let parts = t.map_parts(&cols[..5], |p| {
        let ids = p.required(col::CUSTOMER_ID);
        let id_vals = ids.strings()?;
        let ids = id_vals
            .into_iter()
            .enumerate()
            .map(|(i, id)| id.ok_or_else(|| ids.missing(i)))
            .collect::<Result<Vec<_>>>()?;
        // Optional and not a feature, but part of the contract: a bad value is still an error.
        if let Some(auto_renew) = p.cells(col::AUTO_RENEW) {
            auto_renew.bools()?;
        }
        Ok(CustomerPart {
            signup: required_days(p, col::SIGNUP_DATE, limit)?,
            plan: text_or_constant(p, col::PLAN, ids.len())?,
            segment: text_or_constant(p, col::SEGMENT, ids.len())?,
            monthly_revenue: bounded_floats(
                p,
                col::MONTHLY_REVENUE,
                0.0,
                "monthly_revenue must be >= 0",
            )?,
            contract_months: contract_months(p)?,
            ids,
        })
    })?;
    if parts.iter().all(|p| p.ids.is_empty()) {
        return Err(t.empty_error());
    }
    check_unique_ids(&t, &parts)?;
    let mut c = Customers::default();
    for p in parts {
        c.ids.extend(p.ids);
        c.signup.extend(p.signup);
        c.plan
            .extend(p.plan.into_iter().map(Option::unwrap_or_default));
        c.segment.extend(p.segment);
        c.monthly_revenue.extend(p.monthly_revenue);
        c.contract_months.extend(p.contract_months);
    }
    c.churned_at = vec![None; c.ids.len()];
    Ok(c)
}

/// Fail on the first customer id (in file order) seen before, naming both rows.
fn check_unique_ids(t: &TableData, parts: &[CustomerPart]) -> Result<()> {
    let n = parts.iter().map(|p| p.ids.len()).sum();
    let mut first_seen: FxMap<&str, (usize, usize)> =
        FxMap::with_capacity_and_hasher(n, Default::default());
    for (k, p) in parts.iter().enumerate() {
        for (i, id) in p.ids.iter().enumerate() {
            if let Some(&(k0, i0)) = first_seen.get(id.as_str()) {
                return Err(Error::Duplicate {
                    table: t.name.into(),
                    column: col::CUSTOMER_ID.into(),
                    row: t.parts[k].row(i),
                    value: id.clone(),
                    first: t.parts[k0].row(i0),
                });
            }
            first_seen.insert(id.as_str(), (k, i));
        }
    }
    Ok(())
}

fn required_days(p: &PartData, column: &'static str, limit: TimeLimit) -> Result<Vec<Day>> {
    let cells = p.required(column);
    let days = cells.days(p.format(column))?;
    days.into_iter()
        .enumerate()
        .map(|(i, d)| {
            let d = d.ok_or_else(|| cells.missing(i))?;
            limit.check(&cells, i, time::day_start(d))?;
            Ok(d)
        })
        .collect()
}

fn text_or_constant(p: &PartData, column: &str, n: usize) -> Result<Vec<Option<String>>> {
    match p.cells(column) {
        Some(cells) => cells.strings(),
        None => Ok(vec![p.table.constant(column).map(String::from); n]),
    }
}

fn bounded_floats(p: &PartData, column: &'static str, min: f64, why: &str) -> Result<Vec<f64>> {
    let values = match p.cells(column) {
        Some(cells) => {
            let v = cells.floats()?;
            v.into_iter()
                .enumerate()
                .map(|(i, x)| {
                    let x = x.ok_or_else(|| cells.missing(i))?;
                    if x < min {
                        return Err(cells.out_of_range(i, x.to_string(), why));
                    }
                    Ok(x)
                })
                .collect::<Result<Vec<_>>>()?
        }
        None => {
            let c = p.table.constant(column).unwrap_or("0");
            let x: f64 = c.parse().map_err(|_| {
                Error::Usage(format!("mapping default {column} = {c:?} is not a number"))
            })?;
            vec![x; p.height()]
        }
    };
    Ok(values)
}

fn contract_months(p: &PartData) -> Result<Vec<u32>> {
    let Some(cells) = p.cells(col::CONTRACT_MONTHS) else {
        let c = p.table.constant(col::CONTRACT_MONTHS).unwrap_or("1");
        let m: u32 = c.parse().ok().filter(|m| *m >= 1).ok_or_else(|| {
            Error::Usage(format!(
                "mapping default contract_months = {c:?} is not a whole number >= 1"
            ))
        })?;
        return Ok(vec![m; p.height()]);
    };
    let v = cells.integers()?;
    v.into_iter()
        .enumerate()
        .map(|(i, m)| match m {
            None => Err(cells.missing(i)),
            Some(m) if !(1..=1200).contains(&m) => {
                Err(cells.out_of_range(i, m.to_string(), "contract_months must be >= 1"))
            }
            Some(m) => Ok(m as u32),
        })
        .collect()
}

/// No customers table: everyone with an event is a customer, signed up on their first event's
/// day. (This reads the events once more; only mapped exports without a customers table do.)
fn derive_customers(
    events: &TableData,
    mapping: &TableMapping,
    limit: TimeLimit,
) -> Result<Customers> {
    let parts = events.map_parts(&EVENT_COLUMNS, |p| {
        let mut first: FxMap<String, Ts> = FxMap::default();
        let ts_cells = p.required(col::TIMESTAMP);
        let ts = ts_cells.timestamps(p.format(col::TIMESTAMP))?;
        p.required(col::CUSTOMER_ID).for_each_str(|row, id| {
            let (Some(id), Some(t)) = (id, ts[row]) else {
                return Ok(());
            };
            limit.check(&ts_cells, row, t)?;
            match first.get_mut(id) {
                Some(e) => *e = (*e).min(t),
                None => {
                    first.insert(id.to_string(), t);
                }
            }
            Ok(())
        })?;
        Ok(first)
    })?;
    let mut first: FxMap<String, Ts> = FxMap::default();
    for part in parts {
        for (id, t) in part {
            let e = first.entry(id).or_insert(t);
            *e = (*e).min(t);
        }
    }
    let mut ids: Vec<(String, Ts)> = first.into_iter().collect();
    ids.sort();
    let n = ids.len();
    let constant = |c: &str| mapping.defaults.get(c).map(String::as_str);
    let number = |c: &str, default: f64| -> Result<f64> {
        constant(c).map_or(Ok(default), |v| {
            v.parse().map_err(|_| {
                Error::Usage(format!(
                    "mapping [customers] default {c} = {v:?} is not a number"
                ))
            })
        })
    };
    let months = number(col::CONTRACT_MONTHS, 1.0)?;
    if months < 1.0 || months.fract() != 0.0 {
        return Err(Error::Usage(
            "mapping [customers] default contract_months must be a whole number >= 1".into(),
        ));
    }
    Ok(Customers {
        signup: ids.iter().map(|(_, t)| time::day_of_ts(*t)).collect(),
        ids: ids.into_iter().map(|(id, _)| id).collect(),
        plan: vec![constant(col::PLAN).unwrap_or_default().to_string(); n],
        segment: vec![constant(col::SEGMENT).map(String::from); n],
        monthly_revenue: vec![number(col::MONTHLY_REVENUE, 0.0)?; n],
        contract_months: vec![months as u32; n],
        churned_at: vec![None; n],
    })
}

/// Map a part's customer ids to indices; unknown ids are `None` (counted by the caller).
fn customer_indices(cells: &Cells, index: &IdIndex) -> Result<Vec<Option<u32>>> {
    let mut out = Vec::with_capacity(cells.col.len());
    cells.for_each_str(|i, v| {
        let id = v.ok_or_else(|| cells.missing(i))?;
        out.push(index.get(id).copied());
        Ok(())
    })?;
    Ok(out)
}

/// Record a table's rows read, warn about rows of unknown customers.
fn note_rows<T>(summary: &mut LoadSummary, name: &str, parts: &[PartRows<T>]) {
    let read = parts.iter().map(|p| p.n_read).sum();
    let unknown: usize = parts.iter().map(|p| p.unknown).sum();
    summary.rows.push((name.into(), read));
    if unknown > 0 {
        let w = format!(
            "table `{name}`: {unknown} rows of unknown customers (not in customers) were ignored"
        );
        log::warn!("{w}");
        summary.warnings.push(w);
    }
}

/// The columns `events` must have.
const EVENT_COLUMNS: [&str; 3] = [col::CUSTOMER_ID, col::TIMESTAMP, col::EVENT_TYPE];

fn load_events(
    t: &TableData,
    index: &IdIndex,
    limit: TimeLimit,
    summary: &mut LoadSummary,
) -> Result<Vec<PartRows<Ts>>> {
    let parts = t.map_parts(&EVENT_COLUMNS, |p| {
        let ids = customer_indices(&p.required(col::CUSTOMER_ID), index)?;
        let ts_cells = p.required(col::TIMESTAMP);
        let format = p.format(col::TIMESTAMP);
        // Text timestamps are parsed first, so an unparseable cell is reported before a negative
        // quantity or an empty or late timestamp; typed ones are read in the row loop below.
        let parsed = if ts_cells.col.dtype().is_string() {
            Some(ts_cells.timestamps(format)?)
        } else {
            None
        };
        if let Some(q) = p.cells(col::QUANTITY) {
            if let Some((i, x)) = q.first_below(0.0)? {
                let why = "quantity must be >= 0 (a negative count)";
                return Err(q.out_of_range(i, x.to_string(), why));
            }
        }
        // The hot loop of a load: rows go straight to `out`, no typed column is collected.
        let mut out = PartRows::with_capacity(ids.len());
        let mut keep = |i: usize, t: Option<Ts>| {
            let t = t.ok_or_else(|| ts_cells.missing(i))?;
            limit.check(&ts_cells, i, t)?;
            out.push(ids[i], t);
            Ok(())
        };
        match parsed {
            Some(ts) => ts
                .into_iter()
                .enumerate()
                .try_for_each(|(i, t)| keep(i, t))?,
            None => ts_cells.for_each_timestamp(format, keep)?,
        }
        Ok(out)
    })?;
    if parts.iter().all(|p| p.n_read == 0) {
        return Err(t.empty_error());
    }
    note_rows(summary, t.name, &parts);
    Ok(parts)
}

fn enum_index(cells: &Cells, allowed: &[&str]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(cells.col.len());
    cells.for_each_str(|i, v| {
        let v = v.ok_or_else(|| cells.missing(i))?;
        let lower = v.to_ascii_lowercase();
        let k = allowed.iter().position(|a| *a == lower).ok_or_else(|| {
            cells.out_of_range(i, v, format!("must be one of {}", allowed.join("/")))
        })?;
        out.push(k as u8);
        Ok(())
    })?;
    Ok(out)
}

fn load_tickets(
    opts: &LoadOptions,
    index: &IdIndex,
    limit: TimeLimit,
    summary: &mut LoadSummary,
) -> Result<Option<Vec<PartRows<Ticket>>>> {
    let cols = [
        col::CUSTOMER_ID,
        col::OPENED_AT,
        col::RESOLVED_AT,
        col::PRIORITY,
        col::CATEGORY,
    ];
    let Some(t) = TableData::locate(opts, table::TICKETS, &cols, &[])? else {
        return Ok(None);
    };
    let parts = t.map_parts(&cols, |p| ticket_part(p, index, limit))?;
    note_rows(summary, t.name, &parts);
    Ok(Some(parts))
}

fn ticket_part(p: &PartData, index: &IdIndex, limit: TimeLimit) -> Result<PartRows<Ticket>> {
    let ids = customer_indices(&p.required(col::CUSTOMER_ID), index)?;
    let opened_cells = p.required(col::OPENED_AT);
    let opened = opened_cells.timestamps(p.format(col::OPENED_AT))?;
    let resolved_cells = p.required(col::RESOLVED_AT);
    let resolved = resolved_cells.timestamps(p.format(col::RESOLVED_AT))?;
    let priority = enum_index(&p.required(col::PRIORITY), &PRIORITIES)?;
    let category = enum_index(&p.required(col::CATEGORY), &CATEGORIES)?;
    let mut out = PartRows::with_capacity(ids.len());
    for i in 0..ids.len() {
        let opened_at = opened[i].ok_or_else(|| opened_cells.missing(i))?;
        limit.check(&opened_cells, i, opened_at)?;
        if let Some(r) = resolved[i] {
            limit.check(&resolved_cells, i, r)?;
            if r < opened_at {
                return Err(resolved_cells.out_of_range(
                    i,
                    time::format_ts(r),
                    format!(
                        "resolved_at is before opened_at ({})",
                        time::format_ts(opened_at)
                    ),
                ));
            }
        }
        let ticket = Ticket {
            opened_at,
            resolved_at: resolved[i],
            priority: priority[i],
            category: category[i],
        };
        out.push(ids[i], ticket);
    }
    Ok(out)
}

fn load_nps(
    opts: &LoadOptions,
    index: &IdIndex,
    limit: TimeLimit,
    summary: &mut LoadSummary,
) -> Result<Option<Vec<PartRows<NpsAnswer>>>> {
    let cols = [col::CUSTOMER_ID, col::RESPONDED_AT, col::SCORE];
    let Some(t) = TableData::locate(opts, table::NPS, &cols, &[])? else {
        return Ok(None);
    };
    let parts = t.map_parts(&cols, |p| {
        let ids = customer_indices(&p.required(col::CUSTOMER_ID), index)?;
        let at_cells = p.required(col::RESPONDED_AT);
        let at = at_cells.timestamps(p.format(col::RESPONDED_AT))?;
        let score_cells = p.required(col::SCORE);
        let scores = score_cells.integers()?;
        let mut out = PartRows::with_capacity(ids.len());
        for i in 0..ids.len() {
            let responded_at = at[i].ok_or_else(|| at_cells.missing(i))?;
            limit.check(&at_cells, i, responded_at)?;
            let score = scores[i].ok_or_else(|| score_cells.missing(i))?;
            if !(0..=10).contains(&score) {
                return Err(score_cells.out_of_range(
                    i,
                    score.to_string(),
                    "NPS score must be 0..10",
                ));
            }
            let answer = NpsAnswer {
                responded_at,
                score: score as u8,
            };
            out.push(ids[i], answer);
        }
        Ok(out)
    })?;
    note_rows(summary, t.name, &parts);
    Ok(Some(parts))
}

fn load_churn(
    opts: &LoadOptions,
    index: &IdIndex,
    customers: &Customers,
    limit: TimeLimit,
    summary: &mut LoadSummary,
) -> Result<Option<Vec<Option<Day>>>> {
    let cols = [col::CUSTOMER_ID, col::CHURNED_AT];
    let Some(t) = TableData::locate(opts, table::CHURN, &cols, &[])? else {
        return Ok(None);
    };
    let parts = t.map_parts(&cols, |p| {
        let ids = customer_indices(&p.required(col::CUSTOMER_ID), index)?;
        let days = required_days(p, col::CHURNED_AT, limit)?;
        Ok((ids, days))
    })?;
    let mut churned: Vec<Option<Day>> = vec![None; customers.len()];
    let mut first_row: FxMap<u32, (usize, usize)> = FxMap::default();
    let (mut n_read, mut unknown) = (0, 0);
    for (k, (ids, days)) in parts.into_iter().enumerate() {
        let part = &t.parts[k];
        n_read += ids.len();
        for (i, (c, d)) in ids.into_iter().zip(days).enumerate() {
            let Some(c) = c else {
                unknown += 1;
                continue;
            };
            if let Some(&(k0, i0)) = first_row.get(&c) {
                return Err(Error::Duplicate {
                    table: t.name.into(),
                    column: col::CUSTOMER_ID.into(),
                    row: part.row(i),
                    value: customers.ids[c as usize].clone(),
                    first: t.parts[k0].row(i0),
                });
            }
            first_row.insert(c, (k, i));
            let signup = customers.signup[c as usize];
            if d < signup {
                return Err(Error::BadValue {
                    table: t.name.into(),
                    column: col::CHURNED_AT.into(),
                    row: part.row(i),
                    value: time::format_day(d),
                    reason: format!(
                        "churned_at is before signup_date ({})",
                        time::format_day(signup)
                    ),
                });
            }
            churned[c as usize] = Some(d);
        }
    }
    let counts = PartRows::<()> {
        customers: Vec::new(),
        rows: Vec::new(),
        n_read,
        unknown,
    };
    note_rows(summary, t.name, &[counts]);
    Ok(Some(churned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_sorts_each_customer_by_time_across_parts() {
        let part = |rows: &[(u32, Ts)]| {
            let mut p = PartRows::with_capacity(rows.len());
            rows.iter().for_each(|&(c, t)| p.push(Some(c), t));
            p
        };
        let g = group_parts(
            3,
            vec![part(&[(2, 9), (0, 5), (2, 1)]), part(&[(0, 3), (2, 4)])],
        );
        assert_eq!(g.of(0), [3, 5]);
        assert!(g.of(1).is_empty());
        assert_eq!(g.of(2), [1, 4, 9]);
    }

    #[test]
    fn id_index_finds_every_id() {
        let ids: Vec<String> = (0..50_000).map(|i| format!("C{i:07}")).collect();
        let index = id_index(&ids);
        assert!(ids
            .iter()
            .enumerate()
            .all(|(i, id)| index[id.as_str()] == i as u32));
        assert!(!index.contains_key("C9999999"));
    }

    #[test]
    fn the_first_bad_row_in_part_order_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        write(
            "customers.csv",
            "customer_id,signup_date,plan,monthly_revenue,contract_months\na1,2025-01-01,pro,9,1\n",
        );
        let header = "customer_id,timestamp,event_type\n";
        let good = "a1,2025-01-02T00:00:00Z,login\n";
        write("events/p0.csv", &format!("{header}{good}{good}"));
        write("events/p1.csv", &format!("{header}{good}a1,soon,login\n"));
        write("events/p2.csv", &format!("{header}a1,later,login\n"));
        for _ in 0..5 {
            let err = load_history(&LoadOptions::new(dir.path())).unwrap_err();
            match err {
                Error::BadValue { row, value, .. } => {
                    assert!(
                        row.starts_with("line 3 of ") && row.ends_with("p1.csv"),
                        "{row}"
                    );
                    assert_eq!(value, "soon");
                }
                other => panic!("unexpected {other}"),
            }
        }
    }
}
