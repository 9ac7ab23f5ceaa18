//! What changed since the previous list: each row's previous rank, tier and probability, why its
//! score moved, and a summary for the CS lead (who entered or left the high tier, the biggest
//! risers).

use serde::Serialize;

use crate::model::RiskTier;
use crate::time;

use super::list::{AtRiskList, Change, ChangeReason};
use super::read_list::ListFile;

/// How many risers the summary names.
pub const TOP_RISERS: usize = 10;

/// One riser of the summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Riser {
    pub customer_id: String,
    pub rank: usize,
    pub previous_rank: usize,
    pub churn_probability: f64,
    pub probability_change: f64,
    pub change_reason: String,
}

/// The changes part of the monitoring summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangesSummary {
    /// The previous list's file, or `None` when there was none yet (first run).
    pub previous: Option<String>,
    pub previous_as_of: Option<String>,
    pub previous_model_id: Option<String>,
    /// Customers on this list and not on the previous one.
    pub new_customers: usize,
    /// Customers on the previous list and not on this one (churned, or out of the population).
    pub gone_customers: usize,
    /// High now, not high (or not listed) before, in rank order.
    pub newly_high: Vec<String>,
    /// High before, not high now (or no longer listed), in the previous list's rank order.
    pub left_high: Vec<String>,
    /// The largest probability rises, largest first (ties by customer id).
    pub biggest_risers: Vec<Riser>,
}

/// Fill the change columns of `list` from `previous` (`None`: no previous list yet, so every
/// customer is new). `reasons(k)` is the change reason of the list's row `k`.
pub fn apply_changes(
    list: &mut AtRiskList,
    previous: Option<&ListFile>,
    reasons: impl Fn(usize) -> Option<ChangeReason>,
) {
    list.changes = true;
    let Some(previous) = previous else { return };
    let index = previous.index();
    for (k, row) in list.rows.iter_mut().enumerate() {
        row.change = index.get(row.customer_id.as_str()).map(|&p| {
            let before = &previous.rows[p];
            Change {
                previous_rank: before.rank,
                previous_tier: before.risk_tier,
                probability_change: row.churn_probability - before.churn_probability + 0.0,
                reason: reasons(k),
            }
        });
    }
}

/// The summary of a list whose change columns [`apply_changes`] filled.
pub fn summarise(list: &AtRiskList, previous: Option<&ListFile>) -> ChangesSummary {
    let high = RiskTier::High;
    let newly_high = list
        .rows
        .iter()
        .filter(|r| {
            r.risk_tier == high && r.change.as_ref().is_none_or(|c| c.previous_tier != high)
        })
        .map(|r| r.customer_id.clone())
        .collect();
    let now: rustc_hash::FxHashMap<&str, RiskTier> = list
        .rows
        .iter()
        .map(|r| (r.customer_id.as_str(), r.risk_tier))
        .collect();
    let (left_high, gone_customers) = previous.map_or((Vec::new(), 0), |p| {
        let left = p
            .rows
            .iter()
            .filter(|r| r.risk_tier == high && now.get(r.customer_id.as_str()) != Some(&high))
            .map(|r| r.customer_id.clone())
            .collect();
        let gone = p
            .rows
            .iter()
            .filter(|r| !now.contains_key(r.customer_id.as_str()))
            .count();
        (left, gone)
    });
    ChangesSummary {
        previous: previous.map(|p| p.path.display().to_string()),
        previous_as_of: previous.and_then(|p| p.as_of).map(time::format_day),
        previous_model_id: previous.map(|p| p.model_id.clone()),
        new_customers: list.rows.iter().filter(|r| r.change.is_none()).count(),
        gone_customers,
        newly_high,
        left_high,
        biggest_risers: risers(list),
    }
}

fn risers(list: &AtRiskList) -> Vec<Riser> {
    let mut risers: Vec<Riser> = list
        .rows
        .iter()
        .filter_map(|r| {
            let c = r.change.as_ref().filter(|c| c.probability_change > 0.0)?;
            Some(Riser {
                customer_id: r.customer_id.clone(),
                rank: r.rank,
                previous_rank: c.previous_rank,
                churn_probability: r.churn_probability,
                probability_change: c.probability_change,
                change_reason: list.change_reason(r).to_string(),
            })
        })
        .collect();
    risers.sort_by(|a, b| {
        b.probability_change
            .total_cmp(&a.probability_change)
            .then_with(|| a.customer_id.cmp(&b.customer_id))
    });
    risers.truncate(TOP_RISERS);
    risers
}

/// One customer in a comparison of two lists read back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Moved {
    pub customer_id: String,
    /// Rank on the new list; `None` when the customer is no longer on it.
    pub rank: Option<usize>,
    pub previous_rank: Option<usize>,
    pub risk_tier: Option<RiskTier>,
    pub previous_tier: Option<RiskTier>,
    pub churn_probability: Option<f64>,
    pub probability_change: Option<f64>,
    /// The new list's `change_reason`, when it has the column; empty otherwise.
    pub change_reason: String,
}

/// Two lists compared, for a CS lead: who entered and left the high tier, the biggest risers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListChanges {
    pub as_of: Option<String>,
    pub previous_as_of: Option<String>,
    pub model_id: String,
    pub previous_model_id: String,
    pub customers: usize,
    pub previous_customers: usize,
    pub new_customers: usize,
    pub gone_customers: usize,
    pub newly_high: Vec<Moved>,
    pub left_high: Vec<Moved>,
    pub biggest_risers: Vec<Moved>,
}

/// Compare a list with an earlier one, keeping the `risers` biggest risers (the probability
/// change is recomputed from both lists, so any two lists compare, with or without change
/// columns).
pub fn compare_lists(new: &ListFile, old: &ListFile, risers: usize) -> ListChanges {
    let (new_index, old_index) = (new.index(), old.index());
    let moved = |id: &str| {
        let now = new_index.get(id).map(|&k| &new.rows[k]);
        let before = old_index.get(id).map(|&k| &old.rows[k]);
        Moved {
            customer_id: id.to_string(),
            rank: now.map(|r| r.rank),
            previous_rank: before.map(|r| r.rank),
            risk_tier: now.map(|r| r.risk_tier),
            previous_tier: before.map(|r| r.risk_tier),
            churn_probability: now.map(|r| r.churn_probability),
            probability_change: now
                .zip(before)
                .map(|(a, b)| a.churn_probability - b.churn_probability + 0.0),
            change_reason: now
                .and_then(|r| r.change_reason.clone())
                .unwrap_or_default(),
        }
    };
    let high = Some(RiskTier::High);
    let all_new: Vec<Moved> = new.rows.iter().map(|r| moved(&r.customer_id)).collect();
    let newly_high = all_new
        .iter()
        .filter(|m| m.risk_tier == high && m.previous_tier != high)
        .cloned()
        .collect();
    let left_high = old
        .rows
        .iter()
        .map(|r| moved(&r.customer_id))
        .filter(|m| m.previous_tier == high && m.risk_tier != high)
        .collect();
    let mut biggest_risers: Vec<Moved> = all_new
        .into_iter()
        .filter(|m| m.probability_change.is_some_and(|d| d > 0.0))
        .collect();
    biggest_risers.sort_by(|a, b| {
        let d = |m: &Moved| m.probability_change.unwrap_or(0.0);
        d(b).total_cmp(&d(a))
            .then_with(|| a.customer_id.cmp(&b.customer_id))
    });
    biggest_risers.truncate(risers);
    ListChanges {
        as_of: new.as_of.map(time::format_day),
        previous_as_of: old.as_of.map(time::format_day),
        model_id: new.model_id.clone(),
        previous_model_id: old.model_id.clone(),
        customers: new.rows.len(),
        previous_customers: old.rows.len(),
        new_customers: new
            .rows
            .iter()
            .filter(|r| !old_index.contains_key(r.customer_id.as_str()))
            .count(),
        gone_customers: old
            .rows
            .iter()
            .filter(|r| !new_index.contains_key(r.customer_id.as_str()))
            .count(),
        newly_high,
        left_high,
        biggest_risers,
    }
}
