//! Training on a sample of the snapshots, as a warehouse hands one over when the full table is
//! too large for one machine.
//!
//! A sample of *customers* (every row of a kept customer, whatever its label) leaves the churn
//! rate as it is: the fit is the population's, only noisier, and nothing needs correcting. A
//! sample *stratified by label* (every churned row, a share of the retained ones) multiplies the
//! odds of churn by `r1 / r0`, the kept shares of churned and retained rows. For a logistic
//! model that changes only the intercept (Prentice and Pyke 1979; the prior correction of King
//! and Zeng 2001): the slopes stay consistent, and the population's intercept is the sample's
//! minus `ln(r1 / r0)`. Training subtracts that shift from the final fit, re-derives the holdout
//! probabilities with it, and weighs every holdout row by `1 / r` of its label, so that the tier
//! cut-offs and the holdout's log loss and Brier score describe the population. ROC AUC and the
//! cross-validated AUCs do not move (within a label every row has the same weight).

use serde::{Deserialize, Serialize};

use super::artifact::{HoldoutMetrics, Tiers};
use super::params::SampleRates;
use crate::stats::{brier_term, log_loss_term, roc_auc, sigmoid};

/// What the model records of the correction.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SampleCorrection {
    /// Share of the churned rows the sample kept.
    pub churned_rate: f64,
    /// Share of the retained rows the sample kept.
    pub retained_rate: f64,
    /// `ln(churned_rate / retained_rate)`, subtracted from the fitted intercept.
    pub intercept_shift: f64,
    /// The final training rows' churn share once reweighted: the population's estimate.
    pub population_churn_share: f64,
}

impl SampleCorrection {
    /// The correction for `rates`, with the population churn share estimated from the sample's
    /// `positives` of `n` final training rows.
    pub fn new(rates: SampleRates, positives: usize, n: usize) -> SampleCorrection {
        let churned = positives as f64 / rates.churned;
        let retained = (n - positives) as f64 / rates.retained;
        SampleCorrection {
            churned_rate: rates.churned,
            retained_rate: rates.retained,
            intercept_shift: (rates.churned / rates.retained).ln(),
            population_churn_share: churned / (churned + retained).max(f64::MIN_POSITIVE),
        }
    }

    /// A probability fitted on the sample, as the population's.
    pub fn correct(&self, p: f64) -> f64 {
        if self.intercept_shift == 0.0 {
            return p;
        }
        sigmoid((p / (1.0 - p)).ln() - self.intercept_shift)
    }

    /// A row's weight: one over its label's sampling rate.
    pub fn weight(&self, label: bool) -> f64 {
        1.0 / if label {
            self.churned_rate
        } else {
            self.retained_rate
        }
    }
}

/// Holdout metrics with each row weighted by its label's `1 / rate`; `n` and `positives` stay
/// counts of sample rows.
pub fn weighted_metrics(
    labels: &[bool],
    probabilities: &[f64],
    c: &SampleCorrection,
) -> HoldoutMetrics {
    let mut total = 0.0;
    let (mut log_loss, mut brier) = (0.0, 0.0);
    for (&y, &p) in labels.iter().zip(probabilities) {
        let w = c.weight(y);
        total += w;
        log_loss += w * log_loss_term(y, p);
        brier += w * brier_term(y, p);
    }
    let total = total.max(f64::MIN_POSITIVE);
    HoldoutMetrics {
        roc_auc: roc_auc(labels, probabilities),
        log_loss: log_loss / total,
        brier: brier / total,
        n: labels.len(),
        positives: labels.iter().filter(|&&b| b).count(),
    }
}

/// The tier cut-offs of [`Tiers::from_holdout`] on weighted rows: `high` is the probability at
/// which the rows from the top reach 10 % of the total weight, `medium` 30 %. With equal
/// weights this is the unweighted rule.
pub fn weighted_tiers(labels: &[bool], probabilities: &[f64], c: &SampleCorrection) -> Tiers {
    let mut rows: Vec<(f64, f64)> = probabilities
        .iter()
        .zip(labels)
        .map(|(&p, &y)| (p, c.weight(y)))
        .collect();
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    let total: f64 = rows.iter().map(|r| r.1).sum();
    let at = |share: f64| {
        let mut seen = 0.0;
        for &(p, w) in &rows {
            seen += w;
            // The relative slack keeps equal weights on the unweighted rule's row.
            if seen >= share * total * (1.0 - 1e-12) {
                return p;
            }
        }
        rows.last().map_or(1.0, |r| r.0)
    };
    Tiers {
        high: at(0.10),
        medium: at(0.30),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates(churned: f64, retained: f64) -> SampleRates {
        SampleRates { churned, retained }
    }

    #[test]
    fn equal_rates_change_nothing() {
        let c = SampleCorrection::new(rates(0.5, 0.5), 10, 100);
        assert_eq!(c.intercept_shift, 0.0);
        assert_eq!(c.correct(0.37), 0.37);
        assert!((c.population_churn_share - 0.1).abs() < 1e-15);
        let p: Vec<f64> = (1..=100).map(|i| i as f64 / 100.0).collect();
        let y: Vec<bool> = (1..=100).map(|i| i % 3 == 0).collect();
        assert_eq!(weighted_tiers(&y, &p, &c), Tiers::from_holdout(&p));
        let m = weighted_metrics(&y, &p, &c);
        assert_eq!(m, HoldoutMetrics::compute(&y, &p));
    }

    #[test]
    fn the_shift_undoes_oversampled_churners() {
        // Keeping every churner and a quarter of the rest multiplies the odds by 4.
        let c = SampleCorrection::new(rates(1.0, 0.25), 50, 150);
        assert!((c.intercept_shift - 4f64.ln()).abs() < 1e-15);
        // Sample odds 1 (p = 0.5) are population odds 1/4 (p = 0.2).
        assert!((c.correct(0.5) - 0.2).abs() < 1e-15);
        // 50 churners and 100 retained rows stand for 50 and 400.
        assert!((c.population_churn_share - 50.0 / 450.0).abs() < 1e-15);
        assert_eq!((c.weight(true), c.weight(false)), (1.0, 4.0));
    }

    #[test]
    fn weighted_tiers_count_a_retained_row_as_many() {
        // Ten rows from the top: one churner, then retained rows weighing 4 each. Total weight
        // 1 + 9 * 4 = 37: 10 % is 3.7, reached at the second row; 30 % (11.1) at the fourth.
        let p: Vec<f64> = (0..10).map(|i| 0.9 - i as f64 * 0.05).collect();
        let y: Vec<bool> = (0..10).map(|i| i == 0).collect();
        let c = SampleCorrection::new(rates(1.0, 0.25), 1, 10);
        let t = weighted_tiers(&y, &p, &c);
        assert!((t.high - 0.85).abs() < 1e-12, "{t:?}");
        assert!((t.medium - 0.75).abs() < 1e-12, "{t:?}");
    }
}
