//! Did the plays work: a list written at as-of `T` read against what happened in `[T, T + H)`.
//! Per risk tier and group, customers, churned and the churn rate with a 95 % Wilson interval;
//! per tier the uplift (control rate minus outreach rate) with Newcombe's interval and the
//! relative reduction; an estimate of the revenue the outreach kept; and the list's calibration
//! (mean predicted probability against the observed rate, per tier).

pub mod chart;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::data::history::History;
use crate::error::{Error, Result};
use crate::features::snapshot::{label, label_complete, FeatureSpec, LabelDefinition};
use crate::model::RiskTier;
use crate::score::groups::Group;
use crate::score::read_list::ListFile;
use crate::stats::{newcombe, relative_reduction, wilson, Z95};
use crate::time;

/// A rate as a percentage with one decimal (`12.5 %`), `-` for none: the readout's text form.
pub fn pct(x: Option<f64>) -> String {
    x.map_or("-".into(), |x| format!("{:.1} %", x * 100.0))
}

/// A difference of rates in signed percentage points (`+5.2`), `-` for none.
pub fn points(x: Option<f64>) -> String {
    x.map_or("-".into(), |x| format!("{:+.1}", x * 100.0))
}

/// Tiers in report order.
const TIERS: [RiskTier; 3] = [RiskTier::High, RiskTier::Medium, RiskTier::Low];

/// How to read the outcomes: the label's horizon and definition (the model's, by default).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutcomeSettings {
    pub horizon_days: u32,
    pub definition: LabelDefinition,
}

/// One tier x group cell. `tier` is `high`, `medium`, `low` or `all`; `group` is `outreach`,
/// `control` or `all` (a list without groups).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeRow {
    pub tier: String,
    pub group: String,
    pub customers: u64,
    pub churned: u64,
    pub churn_rate: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

/// The uplift of one tier: control churn rate minus outreach churn rate, with Newcombe's 95 %
/// interval, and the relative reduction `1 - outreach / control` with the Katz log interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Uplift {
    pub tier: String,
    pub value: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub relative_reduction: Option<f64>,
    pub relative_ci_low: Option<f64>,
    pub relative_ci_high: Option<f64>,
}

/// The list's own calibration in one tier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    pub tier: String,
    pub customers: u64,
    pub mean_probability: Option<f64>,
    pub observed_rate: Option<f64>,
    /// `control` when the list has groups (the untreated customers), else `all`.
    pub basis: String,
}

/// The annual revenue the outreach kept: per tier, the uplift times the outreach customers'
/// annual revenue, summed; the interval adds the tiers' intervals in quadrature (normal
/// approximation).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetainedRevenue {
    pub value: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// The whole readout.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcomes {
    pub list: String,
    pub model_id: String,
    pub as_of: String,
    pub horizon_days: u32,
    /// The first day after the outcome window.
    pub window_end: String,
    pub label_definition: LabelDefinition,
    pub rows: Vec<OutcomeRow>,
    pub uplift: Vec<Uplift>,
    pub retained_revenue: Option<RetainedRevenue>,
    pub calibration: Vec<Calibration>,
}

/// One list customer's outcome.
struct Outcome {
    tier: RiskTier,
    group: Option<Group>,
    probability: f64,
    churned: bool,
    annual_revenue: f64,
}

/// Read out the outcomes of `list` from `history`.
///
/// # Errors
/// `Usage` for a list without an as-of date (tabular); `BadData` (exit 3) when `T + H` is after
/// the data's end, or for a list customer the customers table does not know, or cancellation
/// labels without a churn table.
pub fn read_out(list: &ListFile, history: &History, settings: OutcomeSettings) -> Result<Outcomes> {
    let t = list.as_of.ok_or_else(|| {
        Error::Usage(format!(
            "{} has no as-of date (a tabular list): outcomes need a list scored at a date",
            list.path.display()
        ))
    })?;
    let h = settings.horizon_days;
    let end = t + h as time::Day;
    if !label_complete(history, t, h) {
        return Err(Error::BadData(format!(
            "the outcome window of {} (as of {}, {h} days) ends {}, after the data ends ({}): \
             read the outcomes once the data reaches {}",
            list.path.display(),
            time::format_day(t),
            time::format_day(end),
            time::format_ts(history.data_end),
            time::format_day(end)
        )));
    }
    if settings.definition == LabelDefinition::Cancellation && !history.has_churn {
        return Err(Error::NoChurnTable);
    }
    let outcomes = list_outcomes(list, history, settings, t)?;
    let groups = list.has_groups;
    let tiers_and_all = || TIERS.map(Some).into_iter().chain([None]);
    let uplift: Vec<Uplift> = if groups {
        tiers_and_all()
            .map(|tier| uplift(tier, &outcomes))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Outcomes {
        list: list.path.display().to_string(),
        model_id: list.model_id.clone(),
        as_of: time::format_day(t),
        horizon_days: h,
        window_end: time::format_day(end),
        label_definition: settings.definition,
        retained_revenue: groups.then(|| retained_revenue(&outcomes)).flatten(),
        calibration: TIERS
            .iter()
            .map(|&t| calibration(t, &outcomes, groups))
            .collect(),
        rows: tiers_and_all()
            .flat_map(|tier| cells(tier, &outcomes, groups))
            .collect(),
        uplift,
    })
}

/// The rows of one tier (or all): one per group, or one for everyone without groups.
fn cells(tier: Option<RiskTier>, outcomes: &[Outcome], groups: bool) -> Vec<OutcomeRow> {
    let tiered: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| tier.is_none_or(|t| o.tier == t))
        .collect();
    if !groups {
        return vec![row(tier, "all", &tiered)];
    }
    [Group::Outreach, Group::Control]
        .into_iter()
        .map(|g| {
            let cell: Vec<&Outcome> = tiered
                .iter()
                .copied()
                .filter(|o| o.group == Some(g))
                .collect();
            row(tier, g.name(), &cell)
        })
        .collect()
}

/// Each list customer's tier, group, probability, outcome and annual revenue.
fn list_outcomes(
    list: &ListFile,
    history: &History,
    settings: OutcomeSettings,
    t: time::Day,
) -> Result<Vec<Outcome>> {
    let index: FxHashMap<&str, usize> = history
        .customers
        .ids
        .iter()
        .enumerate()
        .map(|(c, id)| (id.as_str(), c))
        .collect();
    let spec = FeatureSpec {
        cutoffs: vec![t],
        horizon_days: settings.horizon_days,
        definition: settings.definition,
    };
    list.rows
        .iter()
        .map(|r| {
            let &c = index
                .get(r.customer_id.as_str())
                .ok_or_else(|| Error::BadValue {
                    table: list.path.display().to_string(),
                    column: "customer_id".into(),
                    row: format!("rank {}", r.rank),
                    value: r.customer_id.clone(),
                    reason: "not in the customers table of the data".into(),
                })?;
            Ok(Outcome {
                tier: r.risk_tier,
                group: r.group,
                probability: r.churn_probability,
                churned: label(history, &spec, c, t).unwrap_or(false),
                annual_revenue: history.customers.monthly_revenue[c] * 12.0,
            })
        })
        .collect()
}

fn tier_name(tier: Option<RiskTier>) -> String {
    tier.map_or("all", RiskTier::name).to_string()
}

fn counts(cell: &[&Outcome]) -> (u64, u64) {
    (
        cell.len() as u64,
        cell.iter().filter(|o| o.churned).count() as u64,
    )
}

fn row(tier: Option<RiskTier>, group: &str, cell: &[&Outcome]) -> OutcomeRow {
    let (n, k) = counts(cell);
    let ci = wilson(k, n, Z95);
    OutcomeRow {
        tier: tier_name(tier),
        group: group.to_string(),
        customers: n,
        churned: k,
        churn_rate: (n > 0).then(|| k as f64 / n as f64),
        ci_low: ci.map(|c| c.0),
        ci_high: ci.map(|c| c.1),
    }
}

fn in_cell(tier: Option<RiskTier>, group: Group) -> impl Fn(&&Outcome) -> bool {
    move |o| tier.is_none_or(|t| o.tier == t) && o.group == Some(group)
}

fn uplift(tier: Option<RiskTier>, outcomes: &[Outcome]) -> Uplift {
    let side = |g: Group| counts(&outcomes.iter().filter(in_cell(tier, g)).collect::<Vec<_>>());
    let ((nc, kc), (no, ko)) = (side(Group::Control), side(Group::Outreach));
    let ci = newcombe(kc, nc, ko, no, Z95);
    let rel = relative_reduction(kc, nc, ko, no, Z95);
    Uplift {
        tier: tier_name(tier),
        value: (nc > 0 && no > 0).then(|| kc as f64 / nc as f64 - ko as f64 / no as f64 + 0.0),
        ci_low: ci.map(|c| c.0),
        ci_high: ci.map(|c| c.1),
        relative_reduction: rel.map(|r| r.0),
        relative_ci_low: rel.map(|r| r.1 .0),
        relative_ci_high: rel.map(|r| r.1 .1),
    }
}

fn retained_revenue(outcomes: &[Outcome]) -> Option<RetainedRevenue> {
    let (mut value, mut var_low, mut var_high) = (0.0, 0.0, 0.0);
    let mut measured = false;
    for tier in TIERS {
        let u = uplift(Some(tier), outcomes);
        let (Some(v), Some(lo), Some(hi)) = (u.value, u.ci_low, u.ci_high) else {
            continue;
        };
        measured = true;
        let revenue: f64 = outcomes
            .iter()
            .filter(in_cell(Some(tier), Group::Outreach))
            .map(|o| o.annual_revenue)
            .sum();
        value += v * revenue;
        var_low += ((v - lo) * revenue).powi(2);
        var_high += ((hi - v) * revenue).powi(2);
    }
    // No tier with both groups: nothing was measured, which is not a measured zero.
    measured.then_some(RetainedRevenue {
        value: value + 0.0,
        ci_low: value - var_low.sqrt(),
        ci_high: value + var_high.sqrt(),
    })
}

fn calibration(tier: RiskTier, outcomes: &[Outcome], groups: bool) -> Calibration {
    let cell: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.tier == tier && (!groups || o.group == Some(Group::Control)))
        .collect();
    let (n, k) = counts(&cell);
    Calibration {
        tier: tier.name().to_string(),
        customers: n,
        mean_probability: (n > 0)
            .then(|| cell.iter().map(|o| o.probability).sum::<f64>() / n as f64),
        observed_rate: (n > 0).then(|| k as f64 / n as f64),
        basis: if groups { "control" } else { "all" }.to_string(),
    }
}
