//! Loading the contract's tables (CSV or Parquet, files or folders of parts) into a compact,
//! validated, per-customer history. Loading is validation: every check of `churn validate` runs here.

use std::path::{Path, PathBuf};

use std::collections::HashMap;

use polars::prelude::DataFrame;
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ticket {
    pub opened_at: Ts,
    pub resolved_at: Option<Ts>,
    /// Index into `schema::PRIORITIES`.
    pub priority: u8,
    /// Index into `schema::CATEGORIES`.
    pub category: u8,
}

/// One NPS answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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
    /// End of the data: the given `data_end`, or the latest time in any table (exclusive bound,
    /// the start of the day after the latest time).
    pub data_end: Ts,
    pub summary: LoadSummary,
}

/// One table's parts as read, with its mapping.
struct TableData<'m> {
    name: &'static str,
    parts: Vec<(Part, DataFrame)>,
    mapping: &'m TableMapping,
}

impl<'m> TableData<'m> {
    /// Read a table's files (only the contract columns it may need). `None` when absent.
    fn read(opts: &'m LoadOptions, name: &'static str, columns: &[&str]) -> Result<Option<Self>> {
        let mapping = opts.mapping.table(name);
        let Some(parts) = read::locate(&opts.dir, name, mapping)? else {
            return Ok(None);
        };
        let wanted: Vec<&str> = columns.iter().map(|c| mapping.source(c)).collect();
        let parts = parts
            .into_iter()
            .map(|p| read::read_part(name, &p, &wanted).map(|df| (p, df)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(TableData {
            name,
            parts,
            mapping,
        }))
    }

    fn n_rows(&self) -> usize {
        self.parts.iter().map(|(_, df)| df.height()).sum()
    }

    /// Fail unless every part has the column (or the mapping gives it a constant).
    fn require(&self, columns: &[&str]) -> Result<()> {
        for c in columns {
            if self.mapping.defaults.contains_key(*c) {
                continue;
            }
            let source = self.mapping.source(c);
            for (part, df) in &self.parts {
                if df.column(source).is_err() {
                    let found: Vec<String> = df
                        .get_column_names()
                        .iter()
                        .map(|n| n.to_string())
                        .collect();
                    let column = if source == *c {
                        c.to_string()
                    } else {
                        format!("{c}` (mapped from `{source}")
                    };
                    return Err(Error::MissingColumn {
                        table: self.name.into(),
                        column,
                        found: format!("{} in {}", found.join(", "), part.path.display()),
                    });
                }
            }
        }
        Ok(())
    }

    /// The cells of a contract column in part `k`, if the file has it.
    fn cells<'a>(&'a self, k: usize, column: &'a str) -> Option<Cells<'a>> {
        let (part, df) = &self.parts[k];
        df.column(self.mapping.source(column)).ok().map(|c| Cells {
            table: self.name,
            column,
            part,
            col: c,
        })
    }

    /// The mapping's constant for a column, if any.
    fn constant(&self, column: &str) -> Option<&str> {
        self.mapping.defaults.get(column).map(String::as_str)
    }

    fn fail_if_empty(&self) -> Result<()> {
        if self.n_rows() == 0 {
            let files: Vec<String> = self
                .parts
                .iter()
                .map(|(p, _)| p.path.display().to_string())
                .collect();
            return Err(Error::EmptyTable {
                table: self.name.into(),
                reason: format!("no data rows in {}", files.join(", ")),
            });
        }
        Ok(())
    }
}

/// Checks that every dated row lies before a limit (the data end, or now).
#[derive(Clone, Copy)]
struct TimeLimit {
    limit: Ts,
    explicit: bool,
}

impl TimeLimit {
    fn check(&self, cells: &Cells, i: usize, t: Ts) -> Result<()> {
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
    let events = TableData::read(
        opts,
        table::EVENTS,
        &[
            col::CUSTOMER_ID,
            col::TIMESTAMP,
            col::EVENT_TYPE,
            col::QUANTITY,
        ],
    )?
    .ok_or_else(|| missing_table(opts, table::EVENTS))?;
    events.require(&[col::CUSTOMER_ID, col::TIMESTAMP, col::EVENT_TYPE])?;
    events.fail_if_empty()?;
    let mut customers = match opts.mapping.customers.derive {
        Some(Derive::FirstEvent) => derive_customers(&events, &opts.mapping.customers, limit)?,
        None => load_customers(opts, limit)?,
    };
    summary
        .rows
        .push((table::CUSTOMERS.into(), customers.len()));
    let index: HashMap<&str, u32> = customers
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i as u32))
        .collect();
    let event_rows = load_events(&events, &index, limit, &mut summary)?;
    bar.inc(1);
    drop(events);
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
    let events = group(n, event_rows);
    let history = History {
        events,
        tickets: tickets.map(|t| group(n, t)),
        nps: nps.map(|t| group(n, t)),
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

/// Rows tagged with their customer index, grouped into per-customer slices sorted by time.
pub fn group<T: Ord + Send + Copy>(n_customers: usize, mut rows: Vec<(u32, T)>) -> Grouped<T> {
    // Sorting by (customer, row) gives each customer a contiguous, time-ordered slice.
    rows.par_sort_unstable();
    let mut offsets = vec![0usize; n_customers + 1];
    for (c, _) in &rows {
        offsets[*c as usize + 1] += 1;
    }
    for i in 0..n_customers {
        offsets[i + 1] += offsets[i];
    }
    Grouped {
        offsets,
        rows: rows.into_iter().map(|(_, r)| r).collect(),
    }
}

fn load_customers(opts: &LoadOptions, limit: TimeLimit) -> Result<Customers> {
    let cols = [
        col::CUSTOMER_ID,
        col::SIGNUP_DATE,
        col::PLAN,
        col::MONTHLY_REVENUE,
        col::CONTRACT_MONTHS,
        col::SEGMENT,
    ];
    let t = TableData::read(opts, table::CUSTOMERS, &cols)?
        .ok_or_else(|| missing_table(opts, table::CUSTOMERS))?;
    t.require(&cols[..5])?;
    t.fail_if_empty()?;
    let mut c = Customers::default();
    let mut first_seen: HashMap<String, String> = HashMap::new();
    for k in 0..t.parts.len() {
        let ids = t.cells(k, col::CUSTOMER_ID).expect("required");
        let id_vals = ids.strings()?;
        for (i, id) in id_vals.iter().enumerate() {
            let id = id.as_ref().ok_or_else(|| ids.missing(i))?;
            if let Some(first) = first_seen.get(id) {
                return Err(Error::Duplicate {
                    table: t.name.into(),
                    column: col::CUSTOMER_ID.into(),
                    row: ids.part.row(i),
                    value: id.clone(),
                    first: first.clone(),
                });
            }
            first_seen.insert(id.clone(), ids.part.row(i));
        }
        let signup = required_days(&t, k, col::SIGNUP_DATE, limit)?;
        let plan = text_or_constant(&t, k, col::PLAN, id_vals.len())?;
        let segment = text_or_constant(&t, k, col::SEGMENT, id_vals.len())?;
        let revenue = bounded_floats(
            &t,
            k,
            col::MONTHLY_REVENUE,
            0.0,
            "monthly_revenue must be >= 0",
        )?;
        let months = contract_months(&t, k)?;
        c.ids.extend(id_vals.into_iter().flatten());
        c.signup.extend(signup);
        c.plan
            .extend(plan.into_iter().map(Option::unwrap_or_default));
        c.segment.extend(segment);
        c.monthly_revenue.extend(revenue);
        c.contract_months.extend(months);
    }
    c.churned_at = vec![None; c.ids.len()];
    Ok(c)
}

fn required_days(
    t: &TableData,
    k: usize,
    column: &'static str,
    limit: TimeLimit,
) -> Result<Vec<Day>> {
    let cells = t.cells(k, column).expect("required");
    let days = cells.days(t.mapping.format(column))?;
    days.into_iter()
        .enumerate()
        .map(|(i, d)| {
            let d = d.ok_or_else(|| cells.missing(i))?;
            limit.check(&cells, i, time::day_start(d))?;
            Ok(d)
        })
        .collect()
}

fn text_or_constant(
    t: &TableData,
    k: usize,
    column: &str,
    n: usize,
) -> Result<Vec<Option<String>>> {
    match t.cells(k, column) {
        Some(cells) => cells.strings(),
        None => Ok(vec![t.constant(column).map(String::from); n]),
    }
}

fn bounded_floats(
    t: &TableData,
    k: usize,
    column: &'static str,
    min: f64,
    why: &str,
) -> Result<Vec<f64>> {
    let values = match t.cells(k, column) {
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
            let c = t.constant(column).unwrap_or("0");
            let x: f64 = c.parse().map_err(|_| {
                Error::Usage(format!("mapping default {column} = {c:?} is not a number"))
            })?;
            vec![x; t.parts[k].1.height()]
        }
    };
    Ok(values)
}

fn contract_months(t: &TableData, k: usize) -> Result<Vec<u32>> {
    let Some(cells) = t.cells(k, col::CONTRACT_MONTHS) else {
        let c = t.constant(col::CONTRACT_MONTHS).unwrap_or("1");
        let m: u32 = c.parse().ok().filter(|m| *m >= 1).ok_or_else(|| {
            Error::Usage(format!(
                "mapping default contract_months = {c:?} is not a whole number >= 1"
            ))
        })?;
        return Ok(vec![m; t.parts[k].1.height()]);
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

/// No customers table: everyone with an event is a customer, signed up on their first event's day.
fn derive_customers(
    events: &TableData,
    mapping: &TableMapping,
    limit: TimeLimit,
) -> Result<Customers> {
    let mut first: HashMap<String, Ts> = HashMap::new();
    for k in 0..events.parts.len() {
        let ids = events
            .cells(k, col::CUSTOMER_ID)
            .expect("required")
            .strings()?;
        let ts_cells = events.cells(k, col::TIMESTAMP).expect("required");
        let ts = ts_cells.timestamps(events.mapping.format(col::TIMESTAMP))?;
        for (i, (id, t)) in ids.into_iter().zip(ts).enumerate() {
            let (Some(id), Some(t)) = (id, t) else {
                continue;
            };
            limit.check(&ts_cells, i, t)?;
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
fn customer_indices(cells: &Cells, index: &HashMap<&str, u32>) -> Result<Vec<Option<u32>>> {
    let mut out = Vec::with_capacity(cells.col.len());
    cells.for_each_str(|i, v| {
        let id = v.ok_or_else(|| cells.missing(i))?;
        out.push(index.get(id).copied());
        Ok(())
    })?;
    Ok(out)
}

fn note_unknown(summary: &mut LoadSummary, name: &str, unknown: usize) {
    if unknown > 0 {
        let w = format!(
            "table `{name}`: {unknown} rows of unknown customers (not in customers) were ignored"
        );
        log::warn!("{w}");
        summary.warnings.push(w);
    }
}

fn load_events(
    t: &TableData,
    index: &HashMap<&str, u32>,
    limit: TimeLimit,
    summary: &mut LoadSummary,
) -> Result<Vec<(u32, Ts)>> {
    let mut rows = Vec::with_capacity(t.n_rows());
    let mut unknown = 0;
    for k in 0..t.parts.len() {
        let ids = customer_indices(&t.cells(k, col::CUSTOMER_ID).expect("required"), index)?;
        let ts_cells = t.cells(k, col::TIMESTAMP).expect("required");
        let ts = ts_cells.timestamps(t.mapping.format(col::TIMESTAMP))?;
        if let Some(q) = t.cells(k, col::QUANTITY) {
            for (i, x) in q.floats()?.into_iter().enumerate() {
                if let Some(x) = x.filter(|x| *x < 0.0) {
                    return Err(q.out_of_range(
                        i,
                        x.to_string(),
                        "quantity must be >= 0 (a negative count)",
                    ));
                }
            }
        }
        for (i, (c, t)) in ids.into_iter().zip(ts).enumerate() {
            let t = t.ok_or_else(|| ts_cells.missing(i))?;
            limit.check(&ts_cells, i, t)?;
            match c {
                Some(c) => rows.push((c, t)),
                None => unknown += 1,
            }
        }
    }
    summary.rows.push((t.name.into(), t.n_rows()));
    note_unknown(summary, t.name, unknown);
    Ok(rows)
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
    index: &HashMap<&str, u32>,
    limit: TimeLimit,
    summary: &mut LoadSummary,
) -> Result<Option<Vec<(u32, Ticket)>>> {
    let cols = [
        col::CUSTOMER_ID,
        col::TICKET_ID,
        col::OPENED_AT,
        col::RESOLVED_AT,
        col::PRIORITY,
        col::CATEGORY,
    ];
    let Some(t) = TableData::read(opts, table::TICKETS, &cols)? else {
        return Ok(None);
    };
    t.require(&[
        col::CUSTOMER_ID,
        col::OPENED_AT,
        col::RESOLVED_AT,
        col::PRIORITY,
        col::CATEGORY,
    ])?;
    let (mut rows, mut unknown) = (Vec::with_capacity(t.n_rows()), 0);
    for k in 0..t.parts.len() {
        let ids = customer_indices(&t.cells(k, col::CUSTOMER_ID).expect("required"), index)?;
        let opened_cells = t.cells(k, col::OPENED_AT).expect("required");
        let opened = opened_cells.timestamps(t.mapping.format(col::OPENED_AT))?;
        let resolved_cells = t.cells(k, col::RESOLVED_AT).expect("required");
        let resolved = resolved_cells.timestamps(t.mapping.format(col::RESOLVED_AT))?;
        let priority = enum_index(&t.cells(k, col::PRIORITY).expect("required"), &PRIORITIES)?;
        let category = enum_index(&t.cells(k, col::CATEGORY).expect("required"), &CATEGORIES)?;
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
            match ids[i] {
                Some(c) => rows.push((
                    c,
                    Ticket {
                        opened_at,
                        resolved_at: resolved[i],
                        priority: priority[i],
                        category: category[i],
                    },
                )),
                None => unknown += 1,
            }
        }
    }
    summary.rows.push((t.name.into(), t.n_rows()));
    note_unknown(summary, t.name, unknown);
    Ok(Some(rows))
}

fn load_nps(
    opts: &LoadOptions,
    index: &HashMap<&str, u32>,
    limit: TimeLimit,
    summary: &mut LoadSummary,
) -> Result<Option<Vec<(u32, NpsAnswer)>>> {
    let cols = [col::CUSTOMER_ID, col::RESPONDED_AT, col::SCORE];
    let Some(t) = TableData::read(opts, table::NPS, &cols)? else {
        return Ok(None);
    };
    t.require(&cols)?;
    let (mut rows, mut unknown) = (Vec::with_capacity(t.n_rows()), 0);
    for k in 0..t.parts.len() {
        let ids = customer_indices(&t.cells(k, col::CUSTOMER_ID).expect("required"), index)?;
        let at_cells = t.cells(k, col::RESPONDED_AT).expect("required");
        let at = at_cells.timestamps(t.mapping.format(col::RESPONDED_AT))?;
        let score_cells = t.cells(k, col::SCORE).expect("required");
        let scores = score_cells.integers()?;
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
            match ids[i] {
                Some(c) => rows.push((
                    c,
                    NpsAnswer {
                        responded_at,
                        score: score as u8,
                    },
                )),
                None => unknown += 1,
            }
        }
    }
    summary.rows.push((t.name.into(), t.n_rows()));
    note_unknown(summary, t.name, unknown);
    Ok(Some(rows))
}

fn load_churn(
    opts: &LoadOptions,
    index: &HashMap<&str, u32>,
    customers: &Customers,
    limit: TimeLimit,
    summary: &mut LoadSummary,
) -> Result<Option<Vec<Option<Day>>>> {
    let cols = [col::CUSTOMER_ID, col::CHURNED_AT];
    let Some(t) = TableData::read(opts, table::CHURN, &cols)? else {
        return Ok(None);
    };
    t.require(&cols)?;
    let mut churned: Vec<Option<Day>> = vec![None; customers.len()];
    let mut first_row: HashMap<u32, String> = HashMap::new();
    let mut unknown = 0;
    for k in 0..t.parts.len() {
        let id_cells = t.cells(k, col::CUSTOMER_ID).expect("required");
        let ids = customer_indices(&id_cells, index)?;
        let days = required_days(&t, k, col::CHURNED_AT, limit)?;
        let day_cells = t.cells(k, col::CHURNED_AT).expect("required");
        for (i, (c, d)) in ids.into_iter().zip(days).enumerate() {
            let Some(c) = c else {
                unknown += 1;
                continue;
            };
            if let Some(first) = first_row.get(&c) {
                return Err(Error::Duplicate {
                    table: t.name.into(),
                    column: col::CUSTOMER_ID.into(),
                    row: id_cells.part.row(i),
                    value: customers.ids[c as usize].clone(),
                    first: first.clone(),
                });
            }
            first_row.insert(c, id_cells.part.row(i));
            let signup = customers.signup[c as usize];
            if d < signup {
                return Err(day_cells.out_of_range(
                    i,
                    time::format_day(d),
                    format!(
                        "churned_at is before signup_date ({})",
                        time::format_day(signup)
                    ),
                ));
            }
            churned[c as usize] = Some(d);
        }
    }
    summary.rows.push((t.name.into(), t.n_rows()));
    note_unknown(summary, t.name, unknown);
    Ok(Some(churned))
}
