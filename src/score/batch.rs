//! Scoring a feature table with a model: probabilities, rank, tier, revenue at risk, the three
//! strongest reasons and a suggested play per customer, plus drift (PSI) against training.

use ndarray::Array2;
use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::frame::{ColumnValues, FeatureTable};
use crate::model::artifact::FeatureProfile;
use crate::model::{ChurnModel, RiskTier, Tiers};
use crate::schema::feature;

use super::actions::{group_members, is_risky, suggest_action, top_pushes, SignalGroup};
use super::groups::{ControlGroups, Group};
use super::list::{
    as_of_text, ranking, AtRiskList, AtRiskRow, ChangeReason, RawValue, Reason, Timing,
    CONTACT_LEAD_DAYS,
};
use crate::time::{self, Day};

/// Smallest group push given as a reason: 0.01 on the log-odds, about 1 % on the odds (a smaller
/// one would print as `+0.00`).
pub const MIN_REASON_PUSH: f64 = 0.01;

/// PSI above which a feature is reported as drifted.
pub const PSI_WARN: f64 = 0.1;

/// How much the CS team can take on: the high tier is the top of the list within it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Capacity {
    /// This many customers (of the outreach group, with control groups).
    Customers(usize),
    /// Customers from the top while their summed revenue at risk stays within this.
    Revenue(f64),
}

/// The list's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RankBy {
    /// Churn probability descending, ties by customer id.
    #[default]
    Probability,
    /// Revenue at risk descending, ties by probability descending, then customer id.
    RevenueAtRisk,
}

/// How to score.
#[derive(Debug, Clone, Default)]
pub struct ScoreSettings {
    /// Mark the top of the list within the capacity as `high` instead of using the model's
    /// thresholds.
    pub capacity: Option<Capacity>,
    /// The numeric column holding monthly revenue; default: `monthly_revenue` (event mode's).
    pub revenue_column: Option<String>,
    /// Append `days_to_renewal` and `contact_by` after the eleven columns.
    pub timing: bool,
    /// Split the customers into outreach and control groups (the `group` column).
    pub control: Option<ControlGroups>,
    /// The list's order.
    pub rank_by: RankBy,
}

/// Rows per tier.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TierCounts {
    pub high: usize,
    pub medium: usize,
    pub low: usize,
}

impl TierCounts {
    /// The counts of a list's rows.
    pub fn of(rows: &[AtRiskRow]) -> Self {
        let mut counts = TierCounts::default();
        for r in rows {
            match r.risk_tier {
                RiskTier::High => counts.high += 1,
                RiskTier::Medium => counts.medium += 1,
                RiskTier::Low => counts.low += 1,
            }
        }
        counts
    }
}

/// One feature's drift against the training distribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureDrift {
    pub feature: String,
    pub psi: f64,
}

/// The scored list and what monitoring needs to know about it.
#[derive(Debug, Clone)]
pub struct Scored {
    pub list: AtRiskList,
    pub tiers: TierCounts,
    pub total_revenue_at_risk: f64,
    /// PSI per numeric feature, in model order.
    pub psi: Vec<FeatureDrift>,
}

/// A row's reasons, strongest first: for each, the source feature that represents its group,
/// the group's total push and the group.
struct Top {
    idx: [usize; 3],
    n: usize,
    push: [f64; 3],
    group: [SignalGroup; 3],
}

/// The tier of a probability at a 1-based rank; with a capacity N exactly the top N are high.
pub fn tier(tiers: &Tiers, p: f64, rank: usize, capacity: Option<usize>) -> RiskTier {
    match capacity {
        Some(n) if rank <= n => RiskTier::High,
        Some(_) if p >= tiers.medium => RiskTier::Medium,
        Some(_) => RiskTier::Low,
        None => tiers.tier(p),
    }
}

/// For each matrix column, the index of its source feature in `model.source_features`.
fn source_index(model: &ChurnModel) -> Result<Vec<usize>> {
    model
        .preprocessor
        .columns
        .iter()
        .map(|c| {
            model
                .source_features
                .iter()
                .position(|f| f.name == c.source)
                .ok_or_else(|| Error::ModelMismatch {
                    model_id: model.model_id.clone(),
                    reason: format!(
                        "matrix column {} has no source feature {}",
                        c.name, c.source
                    ),
                })
        })
        .collect()
}

/// The raw value of `column` at `row`, as a reason shows it.
fn raw_value(column: Option<&ColumnValues>, row: usize) -> RawValue {
    match column {
        Some(ColumnValues::Numeric(v)) => RawValue::Number(v[row]),
        Some(ColumnValues::Categorical(v)) => {
            v[row].clone().map_or(RawValue::Missing, RawValue::Text)
        }
        None => RawValue::Missing,
    }
}

fn numeric<'a>(table: &'a FeatureTable, name: &str) -> Option<&'a [f64]> {
    match table.column(name).map(|c| &c.values) {
        Some(ColumnValues::Numeric(v)) => Some(v),
        _ => None,
    }
}

/// Score every row of `table` and rank it, best (riskiest) first.
///
/// # Errors
/// `ModelMismatch` when the table lacks the model's features or has them with another kind.
pub fn score(model: &ChurnModel, table: &FeatureTable, settings: &ScoreSettings) -> Result<Scored> {
    let inputs = RowInputs::new(model, table, settings)?;
    let (probabilities, tops) = predict_with_reasons(model, &inputs, table)?;
    let at_risk: Vec<Option<f64>> = (0..probabilities.len())
        .map(|i| inputs.revenue_at_risk(i, probabilities[i]))
        .collect();
    let order = order_rows(settings.rank_by, &table.ids, &probabilities, &at_risk);
    let groups: Option<Vec<Group>> = settings
        .control
        .as_ref()
        .map(|c| table.ids.iter().map(|id| c.group(id)).collect());
    let high_cut = settings
        .capacity
        .map(|c| capacity_cut(c, &order, groups.as_deref(), &at_risk));
    // In ranked order: the list's rows; collect keeps the order.
    let rows: Vec<AtRiskRow> = order
        .par_iter()
        .enumerate()
        .map(|(k, &i)| {
            let tier = tier(&model.tiers, probabilities[i], k + 1, high_cut);
            let mut row = inputs.row(k + 1, i, probabilities[i], tier, &tops[i]);
            row.revenue_at_risk = at_risk[i];
            row.group = groups.as_ref().map(|g| g[i]);
            row
        })
        .collect();
    let tiers = TierCounts::of(&rows);
    // `+ 0.0`: the sum of nothing is -0.0 in IEEE arithmetic, which would print as "-0".
    let total_revenue_at_risk = rows.iter().filter_map(|r| r.revenue_at_risk).sum::<f64>() + 0.0;
    let psi = drift(model, table);
    let list = AtRiskList {
        model_id: model.model_id.clone(),
        // One as-of date per scoring run (event mode), or none (tabular).
        as_of: as_of_text(table.as_of.first().copied().flatten()),
        features: inputs.names,
        rows,
        timing: settings.timing,
        groups: groups.is_some(),
        changes: false,
    };
    Ok(Scored {
        list,
        tiers,
        total_revenue_at_risk,
        psi,
    })
}

/// Row indices in list order.
fn order_rows(
    rank_by: RankBy,
    ids: &[String],
    probabilities: &[f64],
    at_risk: &[Option<f64>],
) -> Vec<usize> {
    match rank_by {
        RankBy::Probability => ranking(ids, probabilities),
        RankBy::RevenueAtRisk => {
            let mut order = ranking(ids, probabilities);
            // Stable: equal revenue keeps the probability order.
            let key = |i: usize| at_risk[i].unwrap_or(0.0);
            order.par_sort_by(|&a, &b| key(b).total_cmp(&key(a)));
            order
        }
    }
}

/// How many of the top ranks are `high` under a capacity. With control groups only outreach
/// customers use it up: the cut falls at the last outreach customer within it, so control
/// customers ranked among them are `high` too and the tiers stay comparable between groups.
fn capacity_cut(
    capacity: Capacity,
    order: &[usize],
    groups: Option<&[Group]>,
    at_risk: &[Option<f64>],
) -> usize {
    let counts = |i: usize| groups.is_none_or(|g| g[i] == Group::Outreach);
    let (mut cut, mut used_customers, mut used_revenue) = (0, 0usize, 0.0);
    for (k, &i) in order.iter().enumerate() {
        if !counts(i) {
            continue;
        }
        match capacity {
            Capacity::Customers(n) if used_customers >= n => break,
            Capacity::Revenue(x) if used_revenue + at_risk[i].unwrap_or(0.0) > x => break,
            _ => {}
        }
        used_customers += 1;
        used_revenue += at_risk[i].unwrap_or(0.0);
        cut = k + 1;
    }
    cut
}

/// What each list row is built from: the model's source features, their columns in the table,
/// and the columns the list itself needs.
struct RowInputs<'a> {
    /// Source feature names, in model order.
    names: Vec<String>,
    /// For each matrix column, its source feature's index in `names`.
    sources: Vec<usize>,
    columns: Vec<Option<&'a ColumnValues>>,
    /// The source features by signal group.
    groups: Vec<(SignalGroup, Vec<usize>)>,
    /// Per source feature, what a reason may say about it (none in models without profiles).
    profiles: Vec<Option<&'a FeatureProfile>>,
    ids: &'a [String],
    revenue: Option<&'a [f64]>,
    tenure: Option<&'a [f64]>,
    /// Days to renewal and the as-of date, when the timing columns are asked for.
    renewal: Option<(&'a [f64], Option<Day>)>,
}

impl<'a> RowInputs<'a> {
    fn new(
        model: &'a ChurnModel,
        table: &'a FeatureTable,
        settings: &ScoreSettings,
    ) -> Result<Self> {
        let names: Vec<String> = model
            .source_features
            .iter()
            .map(|f| f.name.clone())
            .collect();
        let columns = names
            .iter()
            .map(|f| table.column(f).map(|c| &c.values))
            .collect();
        let profiles = names
            .iter()
            .map(|n| model.reason_profile.iter().find(|p| &p.feature == n))
            .collect();
        Ok(RowInputs {
            sources: source_index(model)?,
            groups: group_members(&names),
            profiles,
            names,
            columns,
            ids: &table.ids,
            revenue: numeric(
                table,
                settings
                    .revenue_column
                    .as_deref()
                    .unwrap_or(feature::MONTHLY_REVENUE),
            ),
            tenure: numeric(table, feature::TENURE_DAYS),
            renewal: numeric(table, feature::DAYS_TO_RENEWAL)
                .filter(|_| settings.timing)
                .map(|d| (d, table.as_of.first().copied().flatten())),
        })
    }

    /// The list row of table row `i` at 1-based `rank`.
    fn row(&self, rank: usize, i: usize, p: f64, risk_tier: RiskTier, top: &Top) -> AtRiskRow {
        // Low-risk customers get no play: a CS team's time goes to the high and medium tiers.
        let suggested_action = if risk_tier == RiskTier::Low {
            "monitor"
        } else {
            suggest_action(&top.group[..top.n], self.tenure.map(|t| t[i]))
        };
        let reasons: [Option<Reason>; 3] = std::array::from_fn(|r| {
            (r < top.n).then(|| Reason {
                feature: top.idx[r],
                value: raw_value(self.columns[top.idx[r]], i),
                push: top.push[r],
                typical: self.profiles[top.idx[r]].and_then(|p| p.typical),
            })
        });
        AtRiskRow {
            rank,
            customer_id: self.ids[i].clone(),
            churn_probability: p,
            risk_tier,
            revenue_at_risk: self.revenue_at_risk(i, p),
            reasons,
            suggested_action,
            timing: self.timing(i),
            group: None,
            change: None,
        }
    }

    /// `p * monthly revenue * 12` of row `i`; `None` without a revenue.
    fn revenue_at_risk(&self, i: usize, p: f64) -> Option<f64> {
        self.revenue
            .map(|r| r[i])
            .filter(|r| !r.is_nan())
            // `+ 0.0` turns a -0 into 0, so it never prints as "-0.00".
            .map(|r| p * r * 12.0 + 0.0)
    }

    /// Row `i`'s days to renewal and the date to call by: [`CONTACT_LEAD_DAYS`] before the
    /// renewal, never before the as-of date.
    fn timing(&self, i: usize) -> Option<Timing> {
        let (days, as_of) = self.renewal?;
        let (d, t) = (days[i], as_of?);
        (!d.is_nan()).then(|| Timing {
            days_to_renewal: d,
            contact_by: time::format_day(t + (d - CONTACT_LEAD_DAYS).max(0.0) as Day),
        })
    }
}

/// Rows per matrix block when scoring: the model's matrix of a million customers would be
/// hundreds of megabytes, a block of this many rows is a few.
const BLOCK_ROWS: usize = 32_768;

/// Each row's probability and top reasons, the matrix built one block of rows at a time. Every
/// value depends on its own row only, so the blocks change nothing; blocks are near-equal in size
/// (never a one-row block beside larger ones, whose row would be a contiguous slice for ndarray).
fn predict_with_reasons(
    model: &ChurnModel,
    inputs: &RowInputs,
    table: &FeatureTable,
) -> Result<(Vec<f64>, Vec<Top>)> {
    let n = table.n_rows();
    let blocks = n.div_ceil(BLOCK_ROWS).max(1);
    let (mut probabilities, mut tops) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for b in 0..blocks {
        let rows: Vec<usize> = (b * n / blocks..(b + 1) * n / blocks).collect();
        let x = model.matrix_of(table, Some(&rows))?;
        probabilities.extend(model.predict_matrix(&x)?);
        tops.extend(top_reasons(
            model,
            inputs,
            &x,
            rows.first().copied().unwrap_or(0),
        ));
    }
    Ok((probabilities, tops))
}

/// The top reasons of the rows of `x`, table rows `first..`, in row order: X is column-major, so
/// consecutive rows read consecutive memory in every column. Rows are independent: in parallel,
/// push buffers per worker.
fn top_reasons(model: &ChurnModel, inputs: &RowInputs, x: &Array2<f64>, first: usize) -> Vec<Top> {
    let n_groups = inputs.groups.len();
    (0..x.nrows())
        .into_par_iter()
        .map_init(
            || {
                (
                    vec![0.0; inputs.names.len()],
                    vec![0.0; n_groups],
                    vec![0; n_groups],
                )
            },
            |(push, total, rep), i| {
                source_pushes(model, &inputs.sources, x, i, push);
                group_reasons(inputs, push, first + i, total, rep)
            },
        )
        .collect()
}

/// Row `i`'s push per source feature into `push`: coefficient x standardised value, the matrix
/// columns of one source (one-hot levels, missing indicator, bins) summed back onto it.
fn source_pushes(
    model: &ChurnModel,
    sources: &[usize],
    x: &Array2<f64>,
    i: usize,
    push: &mut [f64],
) {
    push.fill(0.0);
    for (j, &s) in sources.iter().enumerate() {
        push[s] += model.coefficients[j] * x[(i, j)];
    }
}

/// The three strongest groups of row `i` (ties by the representing feature's name): a group
/// counts when its total push is positive and one of its features pushing up has a risky value.
fn group_reasons(
    inputs: &RowInputs,
    push: &[f64],
    i: usize,
    total: &mut [f64],
    rep: &mut [usize],
) -> Top {
    for (g, (_, members)) in inputs.groups.iter().enumerate() {
        let sum: f64 = members.iter().map(|&s| push[s]).sum();
        let best = members
            .iter()
            .copied()
            .filter(|&s| {
                push[s] > 0.0 && is_risky(inputs.profiles[s], &raw_value(inputs.columns[s], i))
            })
            .max_by(|&a, &b| {
                push[a]
                    .total_cmp(&push[b])
                    .then(inputs.names[b].cmp(&inputs.names[a]))
            });
        // A group without a risky member gives no reason: its push comes from other features'
        // values, which the data does not support as a cause.
        total[g] = if best.is_some() && sum >= MIN_REASON_PUSH {
            sum
        } else {
            0.0
        };
        rep[g] = best.unwrap_or(members[0]);
    }
    let names: Vec<&str> = rep.iter().map(|&s| inputs.names[s].as_str()).collect();
    let (best, n) = top_pushes::<3, &str>(total, &names);
    Top {
        idx: best.map(|g| rep[g]),
        n,
        push: best.map(|g| total[g]),
        group: best.map(|g| inputs.groups[g].0),
    }
}

/// Per row of `now`, why its score moved since `before` (the same customers' features at an
/// earlier as-of date, scored by the same model): the signal group whose push on the log-odds
/// changed most, shown by its member whose push changed most (ties by name). `None` for a
/// customer absent from `before` or when no group moved by [`MIN_REASON_PUSH`].
///
/// # Errors
/// `ModelMismatch` when either table lacks the model's features.
pub fn change_reasons(
    model: &ChurnModel,
    now: &FeatureTable,
    before: &FeatureTable,
) -> Result<Vec<Option<ChangeReason>>> {
    let (x_now, x_before) = (model.matrix(now)?, model.matrix(before)?);
    let inputs = ChangeInputs::new(model, now, before)?;
    let earlier: rustc_hash::FxHashMap<&str, usize> = before
        .ids
        .iter()
        .enumerate()
        .map(|(k, id)| (id.as_str(), k))
        .collect();
    Ok((0..now.n_rows())
        .into_par_iter()
        .map(|i| {
            let &j = earlier.get(now.ids[i].as_str())?;
            let (mut a, mut b) = (vec![0.0; inputs.names.len()], vec![0.0; inputs.names.len()]);
            source_pushes(model, &inputs.sources, &x_now, i, &mut a);
            source_pushes(model, &inputs.sources, &x_before, j, &mut b);
            inputs.reason(i, j, &a, &b)
        })
        .collect())
}

/// What change reasons are built from: the source features, their groups and both tables'
/// columns.
struct ChangeInputs<'a> {
    names: Vec<String>,
    sources: Vec<usize>,
    groups: Vec<(SignalGroup, Vec<usize>)>,
    now: Vec<Option<&'a ColumnValues>>,
    before: Vec<Option<&'a ColumnValues>>,
}

impl<'a> ChangeInputs<'a> {
    fn new(model: &ChurnModel, now: &'a FeatureTable, before: &'a FeatureTable) -> Result<Self> {
        let names: Vec<String> = model
            .source_features
            .iter()
            .map(|f| f.name.clone())
            .collect();
        let columns = |t: &'a FeatureTable| -> Vec<Option<&'a ColumnValues>> {
            names
                .iter()
                .map(|f| t.column(f).map(|c| &c.values))
                .collect()
        };
        Ok(ChangeInputs {
            sources: source_index(model)?,
            groups: group_members(&names),
            now: columns(now),
            before: columns(before),
            names,
        })
    }

    /// The change reason of row `i` of now against row `j` of before, from their pushes.
    fn reason(&self, i: usize, j: usize, now: &[f64], before: &[f64]) -> Option<ChangeReason> {
        let moved = |s: usize| now[s] - before[s];
        let by_size =
            |a: &(f64, &str), b: &(f64, &str)| a.0.abs().total_cmp(&b.0.abs()).then(b.1.cmp(a.1));
        let (delta, members) = self
            .groups
            .iter()
            .map(|(_, members)| (members.iter().map(|&s| moved(s)).sum::<f64>(), members))
            .max_by(|a, b| {
                let name = |m: &[usize]| self.names[m[0]].as_str();
                by_size(&(a.0, name(a.1)), &(b.0, name(b.1)))
            })?;
        if delta.abs() < MIN_REASON_PUSH {
            return None;
        }
        let feature = members
            .iter()
            .map(|&s| (moved(s), s))
            .max_by(|a, b| {
                by_size(
                    &(a.0, self.names[a.1].as_str()),
                    &(b.0, self.names[b.1].as_str()),
                )
            })
            .map(|(_, s)| s)?;
        Some(ChangeReason {
            feature,
            before: raw_value(self.before[feature], j),
            after: raw_value(self.now[feature], i),
            push: delta + 0.0,
        })
    }
}

/// PSI of every numeric feature the model has a training reference for.
pub fn drift(model: &ChurnModel, table: &FeatureTable) -> Vec<FeatureDrift> {
    model
        .psi_reference
        .iter()
        .filter_map(|r| {
            numeric(table, &r.feature).map(|v| FeatureDrift {
                feature: r.feature.clone(),
                psi: r.psi(v),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_marks_exactly_the_top_n_high() {
        let t = Tiers {
            high: 0.8,
            medium: 0.3,
        };
        assert_eq!(tier(&t, 0.9, 1, None), RiskTier::High);
        assert_eq!(tier(&t, 0.5, 2, None), RiskTier::Medium);
        assert_eq!(tier(&t, 0.1, 3, None), RiskTier::Low);
        assert_eq!(tier(&t, 0.5, 2, Some(2)), RiskTier::High);
        assert_eq!(tier(&t, 0.9, 3, Some(2)), RiskTier::Medium);
        assert_eq!(tier(&t, 0.1, 3, Some(2)), RiskTier::Low);
    }
}
