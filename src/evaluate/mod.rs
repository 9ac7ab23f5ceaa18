//! Metrics with bootstrap intervals, curves and plots for a model's holdout predictions.
//! [`evaluate_predictions`] works on labels and probabilities; [`evaluate_model`] reads a
//! registered model's holdout predictions, writes its plots and records the evaluation.

pub mod bootstrap;
pub mod curves;
pub mod gains;
pub mod metrics;
pub mod model_dir;
pub mod plots;

use serde::{Deserialize, Serialize};

use self::bootstrap::{bootstrap, percentile_interval};
use self::curves::{calibration_bins_by, lift_by_decile, CalibrationBin, DecileLift};
use self::gains::{confusion_at_capacity, gains_table, ConfusionAtCapacity, GainsRow};
use self::metrics::{default_capacity, PointMetrics};
use crate::error::{Error, Result};
use crate::stats::Ranked;

pub use self::curves::CalibrationStrategy;
pub use self::model_dir::{evaluate_model, Metrics};

/// Central coverage of the bootstrap intervals.
pub const CONFIDENCE_LEVEL: f64 = 0.95;

/// How to evaluate: capacity, bootstrap size and seed, calibration bins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvalSettings {
    /// Rows contacted for precision and recall at capacity. Default `None`: for a registered
    /// model ([`evaluate_model`]) the holdout rows its high tier marks, otherwise 10 % of the
    /// rows, rounded up.
    pub capacity: Option<usize>,
    /// Bootstrap resamples for the intervals. Default 1000.
    pub resamples: usize,
    /// Seed of the bootstrap; resample `b` draws from a ChaCha8 stream `b` under this seed.
    /// Default 42.
    pub seed: u64,
    /// How the reliability bins are cut. Default [`CalibrationStrategy::Quantile`].
    pub calibration: CalibrationStrategy,
}

impl Default for EvalSettings {
    fn default() -> Self {
        EvalSettings {
            capacity: None,
            resamples: 1000,
            seed: 42,
            calibration: CalibrationStrategy::Quantile,
        }
    }
}

impl EvalSettings {
    /// The defaults: capacity from the model's high tier (else 10 % of rows), 1000 resamples,
    /// seed 42, quantile calibration bins.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rows contacted (`None`: 10 % of the rows, rounded up).
    pub fn capacity(mut self, capacity: Option<usize>) -> Self {
        self.capacity = capacity;
        self
    }

    /// Bootstrap resamples (default 1000).
    pub fn resamples(mut self, resamples: usize) -> Self {
        self.resamples = resamples;
        self
    }

    /// Bootstrap seed (default 42).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Calibration bins (default [`CalibrationStrategy::Quantile`]).
    pub fn calibration(mut self, strategy: CalibrationStrategy) -> Self {
        self.calibration = strategy;
        self
    }

    /// Check the settings on their own.
    ///
    /// # Errors
    /// `Error::Usage` for zero resamples or a zero capacity.
    pub fn check(&self) -> Result<()> {
        if self.resamples == 0 {
            return Err(Error::Usage(
                "resamples must be at least 1 (1000 recommended)".into(),
            ));
        }
        if self.capacity == Some(0) {
            return Err(Error::Usage("capacity must be at least 1 row".into()));
        }
        Ok(())
    }
}

/// A metric's point estimate with its bootstrap percentile interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MetricCi {
    pub value: f64,
    /// Interval bounds; `null` when no resample could compute the metric.
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// Resamples in which the metric was defined (a resample with one class has no ROC AUC).
    pub n_resamples_used: usize,
}

/// Where the capacity of an evaluation came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapacityBasis {
    /// Given in the settings.
    Given,
    /// The holdout rows the model's high tier marks.
    HighTier,
    /// 10 % of the rows, rounded up.
    TopTenPercent,
}

impl CapacityBasis {
    /// The rule of evaluations recorded before the basis was: 10 % of the rows.
    fn older() -> Self {
        CapacityBasis::TopTenPercent
    }

    /// A phrase for reports: "the model's high tier", ...
    pub fn describe(self) -> &'static str {
        match self {
            CapacityBasis::Given => "as given",
            CapacityBasis::HighTier => "the holdout rows the model's high tier marks",
            CapacityBasis::TopTenPercent => "10 % of the rows",
        }
    }
}

/// The evaluation of one set of predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Rows evaluated.
    pub n: usize,
    /// Rows labelled positive (churned).
    pub positives: usize,
    /// `positives / n`.
    pub base_rate: f64,
    /// Rows contacted for precision and recall at capacity.
    pub capacity: usize,
    /// Where `capacity` came from (evaluations recorded before it existed: 10 % of the rows).
    #[serde(default = "CapacityBasis::older")]
    pub capacity_basis: CapacityBasis,
    /// ROC AUC (ties count half).
    pub roc_auc: MetricCi,
    /// Average precision (sklearn's `average_precision_score`).
    pub pr_auc: MetricCi,
    /// Mean log loss, probabilities clipped to `[eps, 1 - eps]`, eps = f64::EPSILON.
    pub log_loss: MetricCi,
    /// Mean squared error of the probability.
    pub brier: MetricCi,
    /// Expected calibration error, 10 equal-width bins. Resampling noise only adds to it, so its
    /// bootstrap interval sits above the point value on large, well-calibrated samples.
    pub ece: MetricCi,
    /// Churn rate in the top 10 % by score over the base rate.
    pub top_decile_lift: MetricCi,
    /// Churn rate among the `capacity` highest-scored rows.
    pub precision_at_capacity: MetricCi,
    /// Share of churners among the `capacity` highest-scored rows.
    pub recall_at_capacity: MetricCi,
    /// Bootstrap resamples drawn.
    pub n_resamples: usize,
    /// Bootstrap seed.
    pub seed: u64,
    /// Interval coverage (0.95).
    pub confidence_level: f64,
    /// How the reliability bins were cut (evaluations recorded before it existed: uniform).
    #[serde(default = "CalibrationStrategy::older")]
    pub calibration_strategy: CalibrationStrategy,
    /// Reliability bins, empty ones included.
    pub calibration: Vec<CalibrationBin>,
    /// Lift of each score decile.
    pub lift_by_decile: Vec<DecileLift>,
    /// The gains table per score decile (revenue captured when the predictions carry revenue);
    /// empty in evaluations recorded before it existed.
    #[serde(default)]
    pub gains: Vec<GainsRow>,
    /// The confusion matrix with the top `capacity` rows flagged; `None` only in evaluations
    /// recorded before it existed.
    #[serde(default)]
    pub confusion_at_capacity: Option<ConfusionAtCapacity>,
}

impl Evaluation {
    /// The metrics with their display names, in report order.
    pub fn named_metrics(&self) -> [(String, &MetricCi); 8] {
        [
            ("ROC AUC".into(), &self.roc_auc),
            ("PR AUC (average precision)".into(), &self.pr_auc),
            ("log loss".into(), &self.log_loss),
            ("Brier score".into(), &self.brier),
            ("ECE (10 bins)".into(), &self.ece),
            ("top-decile lift".into(), &self.top_decile_lift),
            (
                format!("precision @ {}", self.capacity),
                &self.precision_at_capacity,
            ),
            (
                format!("recall @ {}", self.capacity),
                &self.recall_at_capacity,
            ),
        ]
    }
}

/// Evaluate probabilities against labels: point metrics, bootstrap intervals (resamples in
/// parallel, identical for any thread count), reliability bins and lift by decile.
///
/// # Errors
/// `Error::Usage` for bad settings or a capacity above the row count; `Error::BadData` for
/// mismatched lengths or no rows; `Error::BadValue` for a probability outside [0, 1];
/// `Error::SingleClass` when all labels agree.
pub fn evaluate_predictions(
    labels: &[bool],
    probs: &[f64],
    settings: &EvalSettings,
) -> Result<Evaluation> {
    settings.check()?;
    check_inputs(labels, probs)?;
    let n = labels.len();
    let (capacity, capacity_basis) = match settings.capacity {
        Some(c) => (c, CapacityBasis::Given),
        None => (default_capacity(n), CapacityBasis::TopTenPercent),
    };
    if capacity > n {
        return Err(Error::Usage(format!(
            "capacity {capacity} exceeds the {n} rows evaluated"
        )));
    }
    let ranked = Ranked::new(labels, probs);
    let point = ranked.metrics(None, capacity);
    let boots = bootstrap(n, settings.resamples, settings.seed, |w| {
        ranked.metrics(Some(w), capacity)
    });
    let positives = labels.iter().filter(|&&y| y).count();
    let ci = |pick: fn(&PointMetrics) -> Option<f64>| with_interval(&point, &boots, pick);
    Ok(Evaluation {
        n,
        positives,
        base_rate: positives as f64 / n as f64,
        capacity,
        capacity_basis,
        roc_auc: ci(|m| m.roc_auc),
        pr_auc: ci(|m| m.pr_auc),
        log_loss: ci(|m| Some(m.log_loss)),
        brier: ci(|m| Some(m.brier)),
        ece: ci(|m| Some(m.ece)),
        top_decile_lift: ci(|m| m.top_decile_lift),
        precision_at_capacity: ci(|m| Some(m.precision_at_capacity)),
        recall_at_capacity: ci(|m| m.recall_at_capacity),
        n_resamples: settings.resamples,
        seed: settings.seed,
        confidence_level: CONFIDENCE_LEVEL,
        calibration_strategy: settings.calibration,
        calibration: calibration_bins_by(labels, probs, settings.calibration),
        lift_by_decile: lift_by_decile(labels, probs).unwrap_or_default(),
        gains: gains_table(labels, probs, None),
        confusion_at_capacity: Some(confusion_at_capacity(labels, probs, capacity)),
    })
}

fn with_interval(
    point: &PointMetrics,
    boots: &[PointMetrics],
    pick: fn(&PointMetrics) -> Option<f64>,
) -> MetricCi {
    let interval = percentile_interval(boots.iter().map(pick), CONFIDENCE_LEVEL);
    MetricCi {
        // Both classes were checked, so every point metric is defined.
        value: pick(point).unwrap_or(f64::NAN),
        ci_low: interval.low,
        ci_high: interval.high,
        n_resamples_used: interval.n_used,
    }
}

fn check_inputs(labels: &[bool], probs: &[f64]) -> Result<()> {
    if labels.len() != probs.len() {
        return Err(Error::BadData(format!(
            "{} labels but {} probabilities",
            labels.len(),
            probs.len()
        )));
    }
    if labels.is_empty() {
        return Err(Error::BadData("no predictions to evaluate".into()));
    }
    if let Some(i) = probs.iter().position(|p| !(0.0..=1.0).contains(p)) {
        return Err(Error::BadValue {
            table: "predictions".into(),
            column: "probability".into(),
            row: format!("row {}", i + 1),
            value: probs[i].to_string(),
            reason: "probability outside [0, 1]".into(),
        });
    }
    let positives = labels.iter().filter(|&&y| y).count();
    if positives == 0 || positives == labels.len() {
        let class = if positives == 0 {
            "non-churners"
        } else {
            "churners"
        };
        return Err(Error::SingleClass {
            what: "evaluation".into(),
            detail: format!("all {} rows are {class}", labels.len()),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::metrics::tests::golden500;

    #[test]
    fn intervals_contain_the_point_estimate() {
        let (y, p) = golden500();
        let e = evaluate_predictions(&y, &p, &EvalSettings::new()).unwrap();
        assert_eq!(
            (e.n, e.positives, e.capacity, e.n_resamples),
            (500, 97, 50, 1000)
        );
        assert!((e.roc_auc.value - 0.7459133815967869).abs() < 1e-12);
        for (name, m) in [
            ("roc_auc", e.roc_auc),
            ("pr_auc", e.pr_auc),
            ("log_loss", e.log_loss),
            ("brier", e.brier),
            ("top_decile_lift", e.top_decile_lift),
            ("precision", e.precision_at_capacity),
            ("recall", e.recall_at_capacity),
        ] {
            let (lo, hi) = (m.ci_low.unwrap(), m.ci_high.unwrap());
            assert!(
                lo < m.value && m.value < hi,
                "{name}: {lo} < {} < {hi}",
                m.value
            );
            assert_eq!(m.n_resamples_used, 1000, "{name}");
        }
        // ECE is biased upwards by resampling noise, so only require a sensible interval.
        assert!(e.ece.ci_low.unwrap() < e.ece.ci_high.unwrap());
    }

    #[test]
    fn evaluation_is_identical_for_one_and_two_threads() {
        let (y, p) = golden500();
        let settings = EvalSettings::new().resamples(300).seed(7);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| evaluate_predictions(&y, &p, &settings).unwrap())
        };
        assert_eq!(run(1), run(2));
        assert_ne!(
            run(1),
            evaluate_predictions(&y, &p, &settings.clone().seed(8)).unwrap()
        );
    }

    #[test]
    fn single_class_resamples_are_skipped_for_ranking_metrics() {
        // One positive in 20 rows: about (19/20)^20 = 36 % of resamples miss it.
        let mut y = vec![false; 20];
        y[3] = true;
        let p: Vec<f64> = (0..20).map(|i| i as f64 / 20.0).collect();
        let e = evaluate_predictions(&y, &p, &EvalSettings::new().resamples(500)).unwrap();
        assert!(e.roc_auc.n_resamples_used < 450 && e.roc_auc.n_resamples_used > 200);
        assert_eq!(e.brier.n_resamples_used, 500);
    }

    #[test]
    fn rejects_single_class() {
        let err =
            evaluate_predictions(&[true, true], &[0.1, 0.2], &EvalSettings::new()).unwrap_err();
        assert!(matches!(err, Error::SingleClass { .. }));
    }

    #[test]
    fn rejects_probabilities_outside_the_unit_interval_and_oversized_capacity() {
        let err =
            evaluate_predictions(&[true, false], &[0.1, 1.5], &EvalSettings::new()).unwrap_err();
        assert!(matches!(err, Error::BadValue { ref row, .. } if row == "row 2"));
        let err = evaluate_predictions(
            &[true, false],
            &[0.1, 0.5],
            &EvalSettings::new().capacity(Some(3)),
        )
        .unwrap_err();
        assert!(matches!(err, Error::Usage(_)));
        assert!(matches!(
            EvalSettings::new().resamples(0).check(),
            Err(Error::Usage(_))
        ));
    }
}
