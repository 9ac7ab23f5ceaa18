//! Training settings in linfa's ParamGuard shape: [`TrainParams`] is built with consuming setters
//! and checked once by [`TrainParams::check`] into [`ValidTrainParams`], the only type
//! [`super::train()`] accepts. The fields are private, and reading a `ValidTrainParams` from a
//! model file runs the same check, so nothing reaches training unchecked.

use serde::{Deserialize, Serialize};

use super::fit::SolverOptions;
use super::matrix::{MatrixOptions, MAX_LEVELS};
use crate::error::{Error, Result};
use crate::features::snapshot::MAX_HORIZON_DAYS;
use crate::features::LabelDefinition;

/// Checked training settings: the grid, folds, solver and guards. Recorded in the model file as
/// `train_params` (the fields of [`Values`], checked again when read).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Values", into = "Values")]
pub struct ValidTrainParams(Values);

/// The settings' values, checked or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Values {
    alphas: Vec<f64>,
    n_folds: usize,
    max_rolling_folds: usize,
    seed: u64,
    solver: SolverOptions,
    horizon_days: Option<u32>,
    label_definition: Option<LabelDefinition>,
    fail_on_leak: bool,
    leak_threshold: f64,
    // Recorded only when not the default, so that model files of default runs keep their bytes.
    #[serde(
        default = "default_max_levels",
        skip_serializing_if = "is_default_max_levels"
    )]
    max_levels: usize,
    #[serde(
        default = "default_min_level_count",
        skip_serializing_if = "is_default_min_count"
    )]
    min_level_count: usize,
    #[serde(default, skip_serializing_if = "is_default_terms")]
    terms: Terms,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sample_rates: Option<SampleRates>,
}

/// The shares of churned and retained rows a label-stratified sample kept: training corrects the
/// intercept and the holdout figures for them ([`super::sample`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SampleRates {
    /// Share of the churned rows kept, in (0, 1].
    pub churned: f64,
    /// Share of the retained rows kept, in (0, 1].
    pub retained: f64,
}

/// Which forms of numeric terms training may choose from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Terms {
    /// Linear terms only.
    Linear,
    /// Linear terms, or linear terms plus quantile bins, whichever validates better (bins only
    /// when they beat linear by more than noise).
    #[default]
    Search,
}

fn is_default_terms(t: &Terms) -> bool {
    *t == Terms::Search
}

fn default_max_levels() -> usize {
    MAX_LEVELS
}
fn is_default_max_levels(n: &usize) -> bool {
    *n == MAX_LEVELS
}
fn default_min_level_count() -> usize {
    1
}
fn is_default_min_count(n: &usize) -> bool {
    *n == 1
}

impl ValidTrainParams {
    /// L2 penalties to search (alpha = 1 / C).
    pub fn alphas(&self) -> &[f64] {
        &self.0.alphas
    }
    /// Folds in tabular mode.
    pub fn n_folds(&self) -> usize {
        self.0.n_folds
    }
    /// Most rolling-origin folds in event mode.
    pub fn max_rolling_folds(&self) -> usize {
        self.0.max_rolling_folds
    }
    /// Seed of the fold shuffle.
    pub fn seed(&self) -> u64 {
        self.0.seed
    }
    /// Solver limits.
    pub fn solver(&self) -> &SolverOptions {
        &self.0.solver
    }
    /// Label horizon in days (event mode).
    pub fn horizon_days(&self) -> Option<u32> {
        self.0.horizon_days
    }
    /// Label definition recorded in the model (event mode).
    pub fn label_definition(&self) -> Option<LabelDefinition> {
        self.0.label_definition
    }
    /// Fail instead of warning when a column looks leaked.
    pub fn fail_on_leak(&self) -> bool {
        self.0.fail_on_leak
    }
    /// Single-column holdout ROC AUC (either direction) at which a column is flagged.
    pub fn leak_threshold(&self) -> f64 {
        self.0.leak_threshold
    }
    /// Which forms of numeric terms training may choose from.
    pub fn terms(&self) -> Terms {
        self.0.terms
    }
    /// The sampling rates of a label-stratified training table, when it is one.
    pub fn sample_rates(&self) -> Option<SampleRates> {
        self.0.sample_rates
    }
    /// Which levels of a categorical feature get a column of their own (bins: none; training
    /// adds them when it tries the binned form).
    pub fn matrix_options(&self) -> MatrixOptions {
        MatrixOptions {
            max_levels: self.0.max_levels,
            min_count: self.0.min_level_count,
            bins: 0,
        }
    }
}

impl From<ValidTrainParams> for Values {
    fn from(p: ValidTrainParams) -> Self {
        p.0
    }
}

impl TryFrom<Values> for ValidTrainParams {
    type Error = Error;
    fn try_from(values: Values) -> Result<Self> {
        TrainParams(values).check()
    }
}

/// Unchecked training settings; each default is documented on its setter.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainParams(Values);

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams(Values {
            alphas: vec![1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0],
            n_folds: 5,
            max_rolling_folds: 3,
            seed: 42,
            solver: SolverOptions::default(),
            horizon_days: None,
            label_definition: None,
            fail_on_leak: false,
            leak_threshold: 0.98,
            max_levels: MAX_LEVELS,
            min_level_count: 1,
            terms: Terms::Search,
            sample_rates: None,
        })
    }
}

impl TrainParams {
    /// The defaults documented on each setter.
    pub fn new() -> Self {
        Self::default()
    }

    /// L2 penalties to search (alpha = 1 / C). Default: 1e-4, 1e-3, ..., 1e2.
    pub fn alphas(mut self, alphas: Vec<f64>) -> Self {
        self.0.alphas = alphas;
        self
    }

    /// Folds in tabular mode. Default: 5.
    pub fn n_folds(mut self, k: usize) -> Self {
        self.0.n_folds = k;
        self
    }

    /// Most rolling-origin folds in event mode (the latest cutoffs before the holdout). Default: 3.
    pub fn max_rolling_folds(mut self, k: usize) -> Self {
        self.0.max_rolling_folds = k;
        self
    }

    /// Seed of the fold shuffle. Default: 42.
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }

    /// Solver limits. Default: 300 iterations, tolerance 1e-4 per row.
    pub fn solver(mut self, solver: SolverOptions) -> Self {
        self.0.solver = solver;
        self
    }

    /// Label horizon in days; required when rows carry as-of dates. Default: none.
    pub fn horizon_days(mut self, days: u32) -> Self {
        self.0.horizon_days = Some(days);
        self
    }

    /// Label definition recorded in the model (event mode). Default: none.
    pub fn label_definition(mut self, definition: LabelDefinition) -> Self {
        self.0.label_definition = Some(definition);
        self
    }

    /// Fail with `Error::Leak` instead of warning when a column looks leaked. Default: false.
    pub fn fail_on_leak(mut self, yes: bool) -> Self {
        self.0.fail_on_leak = yes;
        self
    }

    /// Single-column holdout ROC AUC (either direction) at which a column is flagged.
    /// Default: 0.98.
    pub fn leak_threshold(mut self, auc: f64) -> Self {
        self.0.leak_threshold = auc;
        self
    }

    /// At most `max` levels of a categorical feature get a column of their own (the most
    /// frequent); the rest pool into `name=(other)`. Default: 100.
    pub fn max_levels(mut self, max: usize) -> Self {
        self.0.max_levels = max;
        self
    }

    /// A level needs `n` training rows for a column of its own; rarer ones pool into
    /// `name=(other)`. Default: 1 (off, as scikit-learn's `OneHotEncoder(min_frequency=None)`).
    pub fn min_level_count(mut self, n: usize) -> Self {
        self.0.min_level_count = n;
        self
    }

    /// Which forms of numeric terms to choose from. Default: [`Terms::Search`].
    pub fn terms(mut self, terms: Terms) -> Self {
        self.0.terms = terms;
        self
    }

    /// The training table is a label-stratified sample that kept these shares of churned and
    /// retained rows. Default: none (the table is the population, or a sample of customers).
    pub fn sample_rates(mut self, rates: Option<SampleRates>) -> Self {
        self.0.sample_rates = rates;
        self
    }

    /// Check every setting.
    ///
    /// # Errors
    /// `Usage` describing the first setting out of range.
    pub fn check(self) -> Result<ValidTrainParams> {
        let p = self.0;
        let bad = |m: &str| Err(Error::Usage(m.to_string()));
        if p.alphas.is_empty() || p.alphas.iter().any(|a| !(a.is_finite() && *a > 0.0)) {
            return bad("alphas must be a non-empty list of positive numbers");
        }
        if p.n_folds < 2 {
            return bad("n_folds must be at least 2");
        }
        if p.max_rolling_folds < 1 {
            return bad("max_rolling_folds must be at least 1");
        }
        let tol = p.solver.tolerance_per_row;
        if p.solver.max_iterations < 1 || tol.is_nan() || tol <= 0.0 {
            return bad("solver needs at least 1 iteration and a positive tolerance");
        }
        if p.max_levels < 1 || p.min_level_count < 1 {
            return bad("max_levels and min_level_count must be at least 1");
        }
        if !(p.leak_threshold > 0.5 && p.leak_threshold <= 1.0) {
            return bad("leak_threshold must be in (0.5, 1]");
        }
        // A 0-day horizon would let each fold train on its own validation cutoff's rows.
        if p.horizon_days
            .is_some_and(|h| !(1..=MAX_HORIZON_DAYS).contains(&h))
        {
            return bad("horizon_days must be 1 to 3650");
        }
        let rate_ok = |r: f64| r > 0.0 && r <= 1.0;
        if p.sample_rates
            .is_some_and(|r| !(rate_ok(r.churned) && rate_ok(r.retained)))
        {
            return bad("sample rates must be shares in (0, 1]");
        }
        Ok(ValidTrainParams(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_refuses_each_setting_out_of_range() {
        let cases = [
            TrainParams::new().alphas(vec![]),
            TrainParams::new().alphas(vec![1.0, -1.0]),
            TrainParams::new().alphas(vec![f64::NAN]),
            TrainParams::new().n_folds(1),
            TrainParams::new().max_rolling_folds(0),
            TrainParams::new().leak_threshold(0.5),
            TrainParams::new().horizon_days(0),
            TrainParams::new().sample_rates(Some(SampleRates {
                churned: 1.0,
                retained: 0.0,
            })),
            TrainParams::new().sample_rates(Some(SampleRates {
                churned: 1.5,
                retained: 0.5,
            })),
            TrainParams::new().solver(SolverOptions {
                max_iterations: 0,
                tolerance_per_row: 1e-4,
            }),
        ];
        for p in cases {
            let err = p.clone().check().unwrap_err();
            assert!(matches!(err, Error::Usage(_)), "{p:?}: {err}");
        }
        let ok = TrainParams::new().seed(7).horizon_days(30).check().unwrap();
        // Read back from JSON, settings are checked again.
        let json = serde_json::to_string(&ok).unwrap();
        assert_eq!(serde_json::from_str::<ValidTrainParams>(&json).unwrap(), ok);
        let forged = json.replace("\"n_folds\":5", "\"n_folds\":1");
        assert!(serde_json::from_str::<ValidTrainParams>(&forged).is_err());
        assert_eq!(
            (ok.seed(), ok.horizon_days(), ok.n_folds()),
            (7, Some(30), 5)
        );
    }
}
