//! The gains table (per score decile, as H2O's gains/lift table, with the share of churned
//! revenue captured) and the confusion matrix when the top `capacity` rows are contacted. Rows
//! tied across a cut count pro rata, as in [`crate::stats::positives_in_top`].

use serde::{Deserialize, Serialize};

/// One score decile of the gains table (decile 1 = the highest-scored `ceil(n / 10)` rows).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GainsRow {
    pub decile: usize,
    /// Lowest score in the decile: contacting every row scoring at least this reaches it.
    pub threshold: f64,
    /// Rows in the decile.
    pub customers: usize,
    /// Churners in the decile (expected count when tied rows straddle its edge).
    pub churners: f64,
    /// `churners / customers`.
    pub response_rate: f64,
    /// Share of all churners in this decile.
    pub capture_rate: f64,
    /// Share of all churners in deciles 1 to this one.
    pub cumulative_capture: f64,
    /// `response_rate` over the base rate.
    pub lift: f64,
    /// Churn rate of deciles 1 to this one over the base rate.
    pub cumulative_lift: f64,
    /// Share of the churners' monthly revenue in deciles 1 to this one; `None` when the
    /// predictions carry no revenue (or the churners' revenue is zero).
    pub cumulative_revenue_capture: Option<f64>,
    /// Lift by revenue: `cumulative_revenue_capture` over the share of rows contacted (deciles 1
    /// to this one); `None` without revenue. (Absent in evaluations recorded before it.)
    #[serde(default)]
    pub cumulative_revenue_lift: Option<f64>,
}

/// The confusion matrix when the `capacity` highest-scored rows are flagged as churners.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConfusionAtCapacity {
    /// Rows flagged.
    pub capacity: usize,
    /// Score of the last row flagged.
    pub threshold: f64,
    /// Flagged churners.
    pub true_positives: f64,
    /// Flagged customers who stayed.
    pub false_positives: f64,
    /// Churners not flagged.
    pub false_negatives: f64,
    /// Customers who stayed, not flagged.
    pub true_negatives: f64,
}

/// Rows of one distinct score: count, churners, churners' revenue.
#[derive(Debug, Clone, Copy)]
struct Tie {
    score: f64,
    n: f64,
    churners: f64,
    revenue: f64,
}

/// The rows grouped by distinct score, highest first.
fn ties(labels: &[bool], probs: &[f64], revenue: Option<&[f64]>) -> Vec<Tie> {
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
    let mut out: Vec<Tie> = Vec::new();
    for i in order {
        let churned = f64::from(u8::from(labels[i]));
        let rev = revenue.map_or(0.0, |r| r[i]);
        let rev = if rev.is_finite() { churned * rev } else { 0.0 };
        match out.last_mut() {
            Some(t) if t.score == probs[i] => {
                t.n += 1.0;
                t.churners += churned;
                t.revenue += rev;
            }
            _ => out.push(Tie {
                score: probs[i],
                n: 1.0,
                churners: churned,
                revenue: rev,
            }),
        }
    }
    out
}

/// (churners, churners' revenue, lowest score) among the top `k` rows, the straddling tie pro rata.
fn top(ties: &[Tie], k: f64) -> (f64, f64, f64) {
    let (mut taken, mut churners, mut revenue) = (0.0, 0.0, 0.0);
    let mut lowest = f64::NAN;
    for t in ties {
        if taken >= k {
            break;
        }
        let share = ((k - taken) / t.n).min(1.0);
        taken += share * t.n;
        churners += share * t.churners;
        revenue += share * t.revenue;
        lowest = t.score;
    }
    (churners, revenue, lowest)
}

/// The gains table: one row per non-empty score decile. `revenue` (monthly revenue per row, in
/// the order of `labels`) fills the revenue column. Empty without churners.
pub fn gains_table(labels: &[bool], probs: &[f64], revenue: Option<&[f64]>) -> Vec<GainsRow> {
    let ties = ties(labels, probs, revenue);
    let n = probs.len();
    let total: f64 = ties.iter().map(|t| t.churners).sum();
    let total_revenue: f64 = ties.iter().map(|t| t.revenue).sum();
    if total == 0.0 {
        return Vec::new();
    }
    let base = total / n as f64;
    let cut = |d: usize| (d * n).div_ceil(10);
    let mut rows = Vec::new();
    let mut before = (0.0, 0.0);
    for d in (1..=10).filter(|&d| cut(d) > cut(d - 1)) {
        let (churners_to, revenue_to, threshold) = top(&ties, cut(d) as f64);
        let customers = cut(d) - cut(d - 1);
        let churners = churners_to - before.0;
        let response_rate = churners / customers as f64;
        rows.push(GainsRow {
            decile: d,
            threshold,
            customers,
            churners,
            response_rate,
            capture_rate: churners / total,
            cumulative_capture: churners_to / total,
            lift: response_rate / base,
            cumulative_lift: churners_to / cut(d) as f64 / base,
            cumulative_revenue_capture: (revenue.is_some() && total_revenue > 0.0)
                .then(|| revenue_to / total_revenue),
            cumulative_revenue_lift: (revenue.is_some() && total_revenue > 0.0)
                .then(|| revenue_to / total_revenue / (cut(d) as f64 / n as f64)),
        });
        before = (churners_to, revenue_to);
    }
    rows
}

/// The confusion matrix with the top `capacity` rows flagged (`capacity` at most the row count).
pub fn confusion_at_capacity(
    labels: &[bool],
    probs: &[f64],
    capacity: usize,
) -> ConfusionAtCapacity {
    let ties = ties(labels, probs, None);
    let n = probs.len() as f64;
    let churners: f64 = ties.iter().map(|t| t.churners).sum();
    let k = capacity as f64;
    let (tp, _, threshold) = top(&ties, k);
    ConfusionAtCapacity {
        capacity,
        threshold,
        true_positives: tp,
        false_positives: k - tp,
        false_negatives: churners - tp,
        true_negatives: n - k - (churners - tp),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::curves::lift_by_decile;
    use crate::evaluate::metrics::precision_recall_at;
    use crate::evaluate::metrics::tests::{golden500, small40};

    #[test]
    fn gains_agree_with_lift_by_decile_and_end_at_everything() {
        for (y, p) in [small40(), golden500()] {
            let g = gains_table(&y, &p, None);
            let d = lift_by_decile(&y, &p).unwrap();
            assert_eq!(g.len(), 10);
            for (row, dec) in g.iter().zip(&d) {
                assert_eq!(row.customers, dec.rows);
                assert!((row.churners - dec.positives).abs() < 1e-9);
                assert!((row.lift - dec.lift.unwrap()).abs() < 1e-9);
            }
            let last = g.last().unwrap();
            assert!((last.cumulative_capture - 1.0).abs() < 1e-12);
            assert!((last.cumulative_lift - 1.0).abs() < 1e-12);
            assert!(g.windows(2).all(|w| w[0].threshold >= w[1].threshold));
            assert!(g.iter().all(|r| r.cumulative_revenue_capture.is_none()));
        }
    }

    #[test]
    fn revenue_capture_weighs_churners_by_their_revenue() {
        // Ten rows, one per decile, scores descending; churners at ranks 1 and 3.
        let p: Vec<f64> = (0..10).map(|i| 0.9 - i as f64 * 0.05).collect();
        let mut y = vec![false; 10];
        y[0] = true;
        y[2] = true;
        let revenue = [30.0, 500.0, 10.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        let g = gains_table(&y, &p, Some(&revenue));
        let captured: Vec<f64> = g
            .iter()
            .map(|r| r.cumulative_revenue_capture.unwrap())
            .collect();
        assert_eq!(&captured[..3], &[0.75, 0.75, 1.0]);
        // Revenue lift: 75 % of the churned revenue from 10 % of the rows is 7.5x; all of it
        // from 30 % is 3.33x.
        let lift: Vec<f64> = g
            .iter()
            .map(|r| r.cumulative_revenue_lift.unwrap())
            .collect();
        assert!((lift[0] - 7.5).abs() < 1e-12 && (lift[2] - 1.0 / 0.3).abs() < 1e-12);
        assert_eq!(g[0].threshold, 0.9);
        assert!((g[0].cumulative_lift - 5.0).abs() < 1e-12);
    }

    #[test]
    fn confusion_matrix_matches_precision_and_recall_at_capacity() {
        let (y, p) = golden500();
        let c = confusion_at_capacity(&y, &p, 50);
        let (precision, recall) = precision_recall_at(&y, &p, 50);
        assert!((c.true_positives / 50.0 - precision).abs() < 1e-12);
        assert!((c.true_positives / 97.0 - recall.unwrap()).abs() < 1e-12);
        let total = c.true_positives + c.false_positives + c.false_negatives + c.true_negatives;
        assert!((total - 500.0).abs() < 1e-9);
        let mut sorted = p.clone();
        sorted.sort_by(|a, b| b.total_cmp(a));
        assert_eq!(c.threshold, sorted[49]);
    }
}
