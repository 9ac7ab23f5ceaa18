//! The model file's content: everything needed to score and to audit a trained model, and
//! scoring a feature table with it.

use ndarray::{Array1, Array2, ArrayView1};
use serde::{Deserialize, Serialize};

use super::fit::{self, Convergence};
use super::matrix::{FeatureKind, Preprocessor};
use super::params::ValidTrainParams;
use crate::error::{Error, Result};
use crate::features::{FeatureSpec, LabelDefinition};
use crate::frame::FeatureTable;
use crate::time::Day;

/// Version of the model file's layout; readers refuse other versions.
pub const FORMAT_VERSION: u32 = 1;

/// How a model was validated, and so what it scores: history tables or a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// (customer, as-of) rows from snapshots: time-ordered folds, latest cutoff held out.
    Event,
    /// One row per customer: stratified k-fold, out-of-fold predictions as the holdout.
    Tabular,
}

impl Mode {
    /// The name in model files and messages: `event` or `tabular`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Event => "event",
            Mode::Tabular => "tabular",
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// A customer's risk tier on the at-risk list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskTier {
    High,
    Medium,
    Low,
}

impl RiskTier {
    /// The list's spelling: `high`, `medium` or `low`.
    pub fn name(self) -> &'static str {
        match self {
            RiskTier::High => "high",
            RiskTier::Medium => "medium",
            RiskTier::Low => "low",
        }
    }
}

impl std::fmt::Display for RiskTier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// A source feature's name and kind, as listed at the top of the model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceSummary {
    /// Column name in the feature table.
    pub name: String,
    /// Numeric or categorical.
    pub kind: FeatureKind,
}

/// Probability thresholds of the risk tiers, taken from the holdout predictions.
///
/// Rule: sort the holdout probabilities from high to low; `high` is the probability of the
/// row at position `ceil(0.10 * n)` (1-based), `medium` the one at `ceil(0.30 * n)`. A
/// customer is `high` when `p >= high`, `medium` when `medium <= p < high`, `low` otherwise,
/// so on data like the holdout about 10 % are high and 20 % medium.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Tiers {
    /// Lowest probability of the high tier.
    pub high: f64,
    /// Lowest probability of the medium tier.
    pub medium: f64,
}

impl Tiers {
    /// The thresholds from holdout probabilities (both 1.0 when there are none).
    pub fn from_holdout(probabilities: &[f64]) -> Tiers {
        let mut p = probabilities.to_vec();
        p.sort_by(|a, b| b.total_cmp(a));
        let at = |share: f64| {
            let k = (share * p.len() as f64).ceil() as usize;
            p.get(k.max(1) - 1).copied().unwrap_or(1.0)
        };
        Tiers {
            high: at(0.10),
            medium: at(0.30),
        }
    }

    /// The tier of a probability.
    pub fn tier(&self, p: f64) -> RiskTier {
        if p >= self.high {
            RiskTier::High
        } else if p >= self.medium {
            RiskTier::Medium
        } else {
            RiskTier::Low
        }
    }
}

/// What a reason may say about a source feature, learnt from the final training rows: the typical
/// value shown beside a customer's, and which side of it goes with churn. A reason never names a
/// value on the safe side of its feature's own relationship with churn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureProfile {
    /// Source feature name.
    pub feature: String,
    /// The training median (numeric features).
    pub typical: Option<f64>,
    /// +1 when churners have the higher mean, -1 the lower, 0 neither (numeric features).
    pub direction: i8,
    /// Levels whose churn share exceeds the overall one (categorical features), sorted.
    pub risky_levels: Vec<String>,
}

impl FeatureProfile {
    /// Whether `value` is on the risky side: above the typical value when churners have more of
    /// the feature, below it when they have less, or a risky level. Missing values never are.
    pub fn is_risky_number(&self, x: f64) -> bool {
        match self.typical {
            Some(t) if !x.is_nan() => {
                (self.direction > 0 && x > t) || (self.direction < 0 && x < t)
            }
            _ => false,
        }
    }
}

/// A matrix column whose own holdout ROC AUC is suspiciously high.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeakFlag {
    /// Matrix column name.
    pub column: String,
    /// Its source feature.
    pub source: String,
    /// Its single-column ROC AUC on the holdout rows (flagged when it or 1 - it is >= 0.98).
    pub auc: f64,
}

/// Probability metrics of a set of predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldoutMetrics {
    /// ROC AUC (`None` with a single class).
    pub roc_auc: Option<f64>,
    /// Mean log loss (clipping as scikit-learn 1.9: to [eps, 1 - eps]).
    pub log_loss: f64,
    /// Mean squared error of the probability.
    pub brier: f64,
    /// Number of rows.
    pub n: usize,
    /// Number of churners.
    pub positives: usize,
}

impl HoldoutMetrics {
    /// Metrics of `probabilities` against `labels` (the same definitions as `churn evaluate`).
    pub fn compute(labels: &[bool], probabilities: &[f64]) -> HoldoutMetrics {
        use crate::stats as metrics;
        let empty = labels.is_empty();
        HoldoutMetrics {
            roc_auc: metrics::roc_auc(labels, probabilities),
            log_loss: if empty {
                0.0
            } else {
                metrics::log_loss(labels, probabilities)
            },
            brier: if empty {
                0.0
            } else {
                metrics::brier_score(labels, probabilities)
            },
            n: labels.len(),
            positives: labels.iter().filter(|&&b| b).count(),
        }
    }
}

/// Validation summary stored in the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationSummary {
    /// `out_of_fold` (tabular) or `latest_cutoff` (event).
    pub holdout_kind: String,
    /// Mean validation ROC AUC of the chosen alpha over the folds.
    pub cv_mean_auc: f64,
    /// Number of folds.
    pub n_folds: usize,
    /// Metrics on the holdout predictions.
    pub holdout: HoldoutMetrics,
    /// Model-selection fits that stopped at the iteration limit.
    pub cv_fits_hit_limit: usize,
}

/// A trained churn model: the content of the model file ([`crate::store::ModelDir::model`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChurnModel {
    /// Layout version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// Registry id: `YYYYMMDDTHHMMSSZ-<8 hex>`.
    pub model_id: String,
    /// Creation time, UTC, `YYYY-MM-DDTHH:MM:SS.mmmZ` (fixed width: sorts as text).
    pub created: String,
    /// How the model was validated.
    pub mode: Mode,
    /// Source features in table order.
    pub source_features: Vec<SourceSummary>,
    /// Imputation, one-hot levels and scaling.
    pub preprocessor: Preprocessor,
    /// Matrix column names, in coefficient order.
    pub feature_names: Vec<String>,
    /// Coefficients on standardised columns, oriented to P(churn).
    pub coefficients: Vec<f64>,
    /// Intercept of the churn logit.
    pub intercept: f64,
    /// Chosen L2 penalty (scikit-learn's C = 1 / alpha).
    pub alpha: f64,
    /// The penalties searched.
    pub alpha_grid: Vec<f64>,
    /// Label horizon in days (event mode).
    pub horizon_days: Option<u32>,
    /// Label definition, `cancellation` or `inactivity` (event mode).
    pub label_definition: Option<LabelDefinition>,
    /// As-of dates of the final training rows, `YYYY-MM-DD` (event mode).
    pub training_cutoffs: Vec<String>,
    /// The held-out cutoff, `YYYY-MM-DD` (event mode).
    pub holdout_cutoff: Option<String>,
    /// sha256 over the final training rows' raw feature values and labels.
    pub training_fingerprint: String,
    /// Cross-validation and holdout summary.
    pub validation: ValidationSummary,
    /// Risk tier thresholds.
    pub tiers: Tiers,
    /// Matrix columns flagged as possible leakage.
    pub leak_flags: Vec<LeakFlag>,
    /// How the final fit ended.
    pub convergence: Convergence,
    /// The settings the model was trained with.
    pub train_params: ValidTrainParams,
    /// Rows the final model was fitted on.
    pub n_rows: usize,
    /// Share of churners among them.
    pub churn_share: f64,
    /// Training distribution of each numeric source feature, for drift (PSI) when scoring.
    #[serde(default)]
    pub psi_reference: Vec<crate::stats::PsiReference>,
    /// Per source feature (model order), what reasons may say about it.
    #[serde(default)]
    pub reason_profile: Vec<FeatureProfile>,
    /// How the intercept and holdout figures were corrected for a label-stratified sample
    /// (absent when the training table was not one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_correction: Option<super::sample::SampleCorrection>,
}

/// The push of one source feature on a customer's churn logit.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    /// Source feature name.
    pub feature: String,
    /// Sum over its matrix columns of coefficient x standardised value.
    pub logit: f64,
}

impl ChurnModel {
    /// The standardised matrix of every row of `table`, in this model's column order.
    ///
    /// # Errors
    /// `ModelMismatch` naming missing source columns or values of the wrong kind.
    pub fn matrix(&self, table: &FeatureTable) -> Result<Array2<f64>> {
        self.matrix_of(table, None)
    }

    /// [`ChurnModel::matrix`] of some rows of `table` only (`None`: all of them).
    ///
    /// # Errors
    /// As [`ChurnModel::matrix`].
    pub fn matrix_of(&self, table: &FeatureTable, rows: Option<&[usize]>) -> Result<Array2<f64>> {
        self.preprocessor
            .transform(table, rows)
            .map_err(|e| self.tag(e))
    }

    /// P(churn) for every row of `table`; columns the model does not know are ignored.
    ///
    /// # Errors
    /// `ModelMismatch` naming missing source columns or values of the wrong kind.
    pub fn predict_proba(&self, table: &FeatureTable) -> Result<Vec<f64>> {
        let x = self.matrix(table)?;
        self.predict_matrix(&x)
    }

    /// P(churn) for rows of a matrix made by [`ChurnModel::matrix`].
    ///
    /// # Errors
    /// `ModelMismatch` when the column count differs.
    pub fn predict_matrix(&self, x: &Array2<f64>) -> Result<Vec<f64>> {
        let w = Array1::from(self.coefficients.clone());
        fit::predict(&w, self.intercept, x.view()).map_err(|e| self.tag(e))
    }

    /// Per source feature (model order), its push on the churn logit for one matrix row:
    /// coefficient x standardised value, one-hot and missing-indicator parts summed back to
    /// their source. Zero means "like the average training customer".
    pub fn contributions(&self, x_row: ArrayView1<f64>) -> Vec<Contribution> {
        let mut out: Vec<Contribution> = self
            .source_features
            .iter()
            .map(|f| Contribution {
                feature: f.name.clone(),
                logit: 0.0,
            })
            .collect();
        for ((col, &w), &x) in self
            .preprocessor
            .columns
            .iter()
            .zip(&self.coefficients)
            .zip(x_row)
        {
            if let Some(c) = out.iter_mut().find(|c| c.feature == col.source) {
                c.logit += w * x;
            }
        }
        out
    }

    /// How this model's features are built at `cutoffs`: its horizon and label definition.
    ///
    /// # Errors
    /// `ModelMismatch` for a model without a horizon (a tabular model, or a damaged file).
    pub fn feature_spec(&self, cutoffs: Vec<Day>) -> Result<FeatureSpec> {
        let horizon_days = self.horizon_days.ok_or_else(|| Error::ModelMismatch {
            model_id: self.model_id.clone(),
            reason: "no label horizon: not an event-mode model".into(),
        })?;
        Ok(FeatureSpec {
            cutoffs,
            horizon_days,
            definition: self.label_definition.unwrap_or_default(),
        })
    }

    /// Fill this model's id into a mismatch error from below.
    pub(crate) fn tag(&self, e: Error) -> Error {
        match e {
            Error::ModelMismatch { reason, .. } => Error::ModelMismatch {
                model_id: self.model_id.clone(),
                reason,
            },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_follow_the_top_10_and_30_percent() {
        let p: Vec<f64> = (1..=100).map(|i| i as f64 / 100.0).collect();
        let t = Tiers::from_holdout(&p);
        assert_eq!(t.high, 0.91);
        assert_eq!(t.medium, 0.71);
        assert_eq!(t.tier(0.95), RiskTier::High);
        assert_eq!(t.tier(0.8), RiskTier::Medium);
        assert_eq!(t.tier(0.1), RiskTier::Low);
        let n_high = p.iter().filter(|&&x| t.tier(x) == RiskTier::High).count();
        assert_eq!(n_high, 10);
    }

    #[test]
    fn holdout_metrics_match_hand_computation() {
        let m = HoldoutMetrics::compute(&[true, false], &[0.8, 0.4]);
        assert!((m.log_loss - (-(0.8f64.ln()) - 0.6f64.ln()) / 2.0).abs() < 1e-12);
        assert!((m.brier - (0.04 + 0.16) / 2.0).abs() < 1e-12);
        assert_eq!(m.roc_auc, Some(1.0));
        assert_eq!((m.n, m.positives), (2, 1));
    }
}
