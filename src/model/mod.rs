//! From a feature table to a fitted, oriented logistic churn model.
//!
//! `params` (checked settings) -> `matrix` (imputation, one-hot, scaling) -> `fit` (one linfa
//! fit, oriented to P(churn)) -> `folds` + `train` (folds in parallel, each walking the alpha grid, holdout,
//! leakage guard) -> `artifact` (the model's content and scoring). Training is pure: it reads no clock
//! and writes no file; [`crate::store`] registers what it returns.

pub mod artifact;
pub mod check;
pub mod fit;
pub mod folds;
pub mod matrix;
pub mod params;
pub mod sample;
pub mod train;

pub use artifact::{ChurnModel, Contribution, Mode, RiskTier, Tiers};
pub use matrix::{FeatureKind, Preprocessor};
pub use params::{TrainParams, ValidTrainParams};
pub use train::{train, TrainOutcome};
