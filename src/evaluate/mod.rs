//! Metrics with bootstrap intervals, curves and plots for a model's holdout predictions.

pub mod bootstrap;
pub mod curves;
pub mod metrics;
