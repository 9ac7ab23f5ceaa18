//! From a feature table to a fitted, oriented logistic churn model, and the model registry.
//!
//! `matrix` (imputation, one-hot, scaling) -> `fit` (one linfa fit, oriented to P(churn)) ->
//! `folds` + `train` (grid x folds in parallel, holdout, leakage guard) -> `artifact`
//! (`model.json`, scoring) -> `registry` (`models/<model_id>/`).

pub mod artifact;
pub mod fit;
pub mod folds;
pub mod matrix;
pub mod registry;
pub mod train;

pub use artifact::{ChurnModel, Contribution, Tiers};
pub use folds::Mode;
pub use matrix::{FeatureKind, Preprocessor};
pub use registry::{list, load, resolve, save, ModelSummary};
pub use train::{train, TrainOutcome, TrainSettings};
