//! Cutoffs, population and labels (contract section 2), and the snapshot loop that assembles
//! every section-3 feature for each (customer, cutoff).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::history::History;
use crate::error::{Error, Result};
use crate::frame::{ColumnValues, FeatureColumn, FeatureTable};
use crate::progress::{Progress, Silent};
use crate::schema::feature;
use crate::time::{self, Day, Ts};

use super::account::{account, Account};
use super::engagement::{engagement, Engagement};
use super::nps::{nps, Nps};
use super::support::{support, Support};

/// How a churn label is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LabelDefinition {
    /// `1` if `T <= churned_at < T + H` (needs the churn table).
    #[default]
    Cancellation,
    /// `1` if the customer has no event in `[T, T + H)` (non-contractual businesses).
    Inactivity,
}

impl LabelDefinition {
    /// The name in model files and messages: `cancellation` or `inactivity`.
    pub fn name(self) -> &'static str {
        match self {
            LabelDefinition::Cancellation => "cancellation",
            LabelDefinition::Inactivity => "inactivity",
        }
    }
}

/// Which snapshots to build and how to label them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSpec {
    /// Cutoff dates `T`, ascending.
    pub cutoffs: Vec<Day>,
    /// Label horizon `H` in days (default 30).
    pub horizon_days: u32,
    /// Label definition (default cancellation).
    pub definition: LabelDefinition,
}

/// Longest label horizon: ten years (day arithmetic stays far from overflow).
pub const MAX_HORIZON_DAYS: u32 = 3650;

/// Number of numeric features (all but `plan` and `segment`), in contract order.
pub const N_NUMERIC: usize = feature::ALL.len() - 2;

/// Parse `FROM..TO:monthly` into monthly cutoffs `FROM, FROM + 1 month, ... <= TO`.
///
/// # Errors
/// A malformed range, unparseable dates, or `TO` before `FROM`.
pub fn parse_snapshots(s: &str) -> Result<Vec<Day>> {
    let bad = || {
        Error::Usage(format!(
            "snapshots {s:?}: expected FROM..TO:monthly, e.g. 2025-01-01..2025-12-01:monthly"
        ))
    };
    let (range, step) = s.split_once(':').ok_or_else(bad)?;
    if step != "monthly" {
        return Err(bad());
    }
    let (from, to) = range.split_once("..").ok_or_else(bad)?;
    let from = time::parse_iso_day(from).ok_or_else(bad)?;
    let to = time::parse_iso_day(to).ok_or_else(bad)?;
    if to < from {
        return Err(Error::Usage(format!("snapshots {s:?}: TO is before FROM")));
    }
    Ok((0..)
        .map(|k| time::add_months(from, k))
        .take_while(|&d| d <= to)
        .collect())
}

/// Whether the label window of cutoff `t` is complete: `T + H <= data end`.
pub fn label_complete(history: &History, t: Day, horizon_days: u32) -> bool {
    time::day_start(t + horizon_days as Day) <= history.data_end
}

/// Default training cutoffs: the first of each month, from the first month start at least 90 days
/// after the first event (so every window has history behind it), up to the latest month start
/// whose label window is complete.
pub fn default_cutoffs(history: &History, horizon_days: u32) -> Vec<Day> {
    let Some(&first_event) = history.events.rows.iter().min() else {
        return Vec::new();
    };
    let earliest = time::day_of_ts(first_event) + 90;
    let start = match time::month_start(earliest) {
        m if m == earliest => m,
        m => time::add_months(m, 1),
    };
    (0..)
        .map(|k| time::add_months(start, k))
        .take_while(|&t| label_complete(history, t, horizon_days))
        .collect()
}

/// The training rows of a history: snapshots at `given` cutoffs (those whose label window is
/// not complete yet are dropped, with a warning) or at the [`default_cutoffs`], labelled by
/// `definition` over `horizon_days`.
///
/// # Errors
/// `NoChurnTable` for cancellation labels without a churn table; as [`build_features`] (no
/// usable cutoff).
pub fn training_snapshots(
    history: &History,
    given: Option<&[Day]>,
    horizon_days: u32,
    definition: LabelDefinition,
    progress: &dyn Progress,
) -> Result<FeatureTable> {
    if definition == LabelDefinition::Cancellation && !history.has_churn {
        return Err(Error::NoChurnTable);
    }
    let cutoffs = match given {
        Some(given) => {
            let complete: Vec<Day> = given
                .iter()
                .copied()
                .filter(|&t| label_complete(history, t, horizon_days))
                .collect();
            if complete.len() < given.len() {
                log::warn!(
                    "{} cutoffs have incomplete label windows and are not used",
                    given.len() - complete.len()
                );
            }
            complete
        }
        None => default_cutoffs(history, horizon_days),
    };
    let spec = FeatureSpec {
        cutoffs,
        horizon_days,
        definition,
    };
    let table = build_features_with(history, &spec, progress)?;
    log::info!(
        "{} training rows from {} cutoffs",
        table.n_rows(),
        spec.cutoffs.len()
    );
    Ok(table)
}

/// Whether customer `c` is in the population at `t`: signed up before `T`, not churned before `T`.
pub fn in_population(history: &History, c: usize, t: Day) -> bool {
    let cu = &history.customers;
    cu.signup[c] < t && cu.churned_at[c].is_none_or(|d| d >= t)
}

/// The label of customer `c` at `t`, or `None` when the window is incomplete or unknowable.
pub fn label(history: &History, spec: &FeatureSpec, c: usize, t: Day) -> Option<bool> {
    if !label_complete(history, t, spec.horizon_days) {
        return None;
    }
    let end = t + spec.horizon_days as Day;
    match spec.definition {
        LabelDefinition::Cancellation => {
            if !history.has_churn {
                return None;
            }
            Some(history.customers.churned_at[c].is_some_and(|d| t <= d && d < end))
        }
        LabelDefinition::Inactivity => {
            let ev = history.events.of(c);
            let (lo, hi) = (time::day_start(t), time::day_start(end));
            let i = ev.partition_point(|&x| x < lo);
            Some(!(i < ev.len() && ev[i] < hi))
        }
    }
}

/// One feature row before assembly.
struct Row {
    customer: u32,
    numeric: [f64; N_NUMERIC],
    label: Option<bool>,
}

// The groups' features add up to the contract's numeric features.
const _: () = assert!(6 + 6 + 7 + 4 == N_NUMERIC);

/// Every numeric section-3 feature of one (customer, cutoff), by signal group.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NumericRow {
    pub engagement: Engagement,
    pub support: Support,
    pub nps: Nps,
    pub account: Account,
}

impl NumericRow {
    /// Each numeric feature with its public name, in contract order.
    pub fn named(&self) -> [(&'static str, f64); N_NUMERIC] {
        let mut out = [("", 0.0); N_NUMERIC];
        let groups = [
            &self.engagement.named()[..],
            &self.support.named()[..],
            &self.nps.named()[..],
            &self.account.named()[..],
        ];
        for (slot, pair) in out.iter_mut().zip(groups.into_iter().flatten()) {
            *slot = *pair;
        }
        out
    }

    /// The value of the feature called `name`, if it is a numeric feature.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.named().iter().find(|(n, _)| *n == name).map(|p| p.1)
    }
}

/// Every numeric section-3 feature for customer `c` at cutoff `t`.
pub fn numeric_features(history: &History, c: usize, t: Day) -> NumericRow {
    let at: Ts = time::day_start(t);
    NumericRow {
        engagement: engagement(history, c, at),
        support: support(history, c, at),
        nps: nps(history, c, at),
        account: account(history, c, t),
    }
}

/// Build one feature row per (customer in the population, cutoff), ordered by cutoff then by
/// customer, from one loaded history (no re-reading per snapshot).
///
/// # Errors
/// No cutoffs, or a horizon of 0 days.
pub fn build_features(history: &History, spec: &FeatureSpec) -> Result<FeatureTable> {
    build_features_with(history, spec, &Silent)
}

/// [`build_features`], reporting one unit per (customer, cutoff) to `progress`.
///
/// # Errors
/// As [`build_features`].
pub fn build_features_with(
    history: &History,
    spec: &FeatureSpec,
    progress: &dyn Progress,
) -> Result<FeatureTable> {
    if spec.cutoffs.is_empty() {
        return Err(Error::Usage("no cutoffs to build features for".into()));
    }
    if !(1..=MAX_HORIZON_DAYS).contains(&spec.horizon_days) {
        return Err(Error::Usage(format!(
            "horizon must be 1 to {MAX_HORIZON_DAYS} days, not {}",
            spec.horizon_days
        )));
    }
    if !history.has_churn && spec.definition == LabelDefinition::Cancellation {
        log::warn!("no churn table: cancellation labels are empty (non-contractual data has the inactivity definition)");
    }
    let n = history.customers.len();
    let mut table = FeatureTable::default();
    let mut numeric: Vec<Vec<f64>> = vec![Vec::new(); N_NUMERIC];
    let mut customers: Vec<u32> = Vec::new();
    progress.start("features", (n * spec.cutoffs.len()) as u64);
    for &t in &spec.cutoffs {
        // In blocks of customers, so the rows of only one block are alive beside the columns
        // (at 1.8M rows the rows of a whole cutoff were 0.35 GB); blocks keep customer order.
        for first in (0..n).step_by(ROW_BLOCK) {
            let rows = rows_at(
                history,
                spec,
                t,
                first..(first + ROW_BLOCK).min(n),
                progress,
            );
            // Columns are independent: transpose the rows into them in parallel.
            numeric.par_iter_mut().enumerate().for_each(|(k, column)| {
                column.extend(rows.iter().map(|r| r.numeric[k]));
            });
            customers.extend(rows.iter().map(|r| r.customer));
            table.as_of.extend(rows.iter().map(|_| Some(t)));
            table.labels.extend(rows.iter().map(|r| r.label));
        }
    }
    progress.finish();
    let cu = &history.customers;
    // Millions of small string copies at 12 cutoffs: in parallel, order kept by collect.
    table.ids = customers
        .par_iter()
        .map(|&c| cu.ids[c as usize].clone())
        .collect();
    let names = NumericRow::default().named().map(|(name, _)| name);
    for (name, values) in names.into_iter().zip(numeric) {
        table.columns.push(FeatureColumn {
            name: name.to_string(),
            values: ColumnValues::Numeric(values),
        });
    }
    table.columns.extend(category_columns(history, &customers));
    Ok(table)
}

/// Customers whose feature rows are computed at once (see [`build_features_with`]).
const ROW_BLOCK: usize = 1 << 16;

/// The rows of the customers in `block` who are in the population at `t`. Customers are
/// independent: computed in parallel, `collect` keeps customer order.
fn rows_at(
    history: &History,
    spec: &FeatureSpec,
    t: Day,
    block: std::ops::Range<usize>,
    progress: &dyn Progress,
) -> Vec<Row> {
    let customers = block.len() as u64;
    let rows = block
        .into_par_iter()
        .filter(|&c| in_population(history, c, t))
        .map(|c| Row {
            customer: c as u32,
            numeric: numeric_features(history, c, t).named().map(|(_, v)| v),
            label: label(history, spec, c, t),
        })
        .collect();
    // Once per block, not per customer from every worker.
    progress.advance(customers);
    rows
}

/// `plan` and `segment` of each row's customer.
fn category_columns(history: &History, customers: &[u32]) -> [FeatureColumn; 2] {
    let cu = &history.customers;
    let plan = customers
        .par_iter()
        .map(|&c| {
            cu.plan
                .get(c as usize)
                .filter(|p| !p.is_empty())
                .map(String::from)
        })
        .collect();
    let segment = customers
        .par_iter()
        .map(|&c| cu.segment.get(c as usize).map(String::from))
        .collect();
    [
        FeatureColumn {
            name: feature::PLAN.into(),
            values: ColumnValues::Categorical(plan),
        },
        FeatureColumn {
            name: feature::SEGMENT.into(),
            values: ColumnValues::Categorical(segment),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_rows_name_the_contract_features_in_order() {
        let names = NumericRow::default().named().map(|(n, _)| n);
        assert_eq!(names[..], feature::ALL[..N_NUMERIC]);
        let mut row = NumericRow::default();
        row.support.open_tickets = 4.0;
        assert_eq!(row.get(feature::OPEN_TICKETS), Some(4.0));
        assert_eq!(row.get(feature::PLAN), None);
    }

    #[test]
    fn parses_monthly_snapshots_with_month_end_clamping() {
        let c = parse_snapshots("2025-01-31..2025-04-30:monthly").unwrap();
        let s: Vec<String> = c.into_iter().map(time::format_day).collect();
        assert_eq!(s, ["2025-01-31", "2025-02-28", "2025-03-31", "2025-04-30"]);
        assert!(parse_snapshots("2025-01-01..2024-01-01:monthly").is_err());
        assert!(parse_snapshots("2025-01-01..2025-03-01:weekly").is_err());
    }
}
