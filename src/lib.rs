//! `churn`: a churn-prediction pipeline. Load a company's history tables, build point-in-time
//! features, train a logistic model in parallel, evaluate it, and write ranked at-risk lists.
//!
//! Data flows one way (see `ARCHITECTURE.md`):
//! `data` (load, validate, generate) -> `features` (snapshots, labels) -> `model` (settings,
//! matrix, fit) -> `store` (the model registry) -> `evaluate` (metrics, plots) -> `score` (the
//! nightly job) -> `report`, with `stats`, `time`, `schema`, `error` and `progress` as leaves.
//!
//! ```no_run
//! use churn::data::load::{load_history, LoadOptions};
//! use churn::features::{snapshot::training_snapshots, LabelDefinition};
//! use churn::model::{train, TrainParams};
//! use churn::progress::Silent;
//! use churn::store::Registry;
//!
//! # fn main() -> churn::Result<()> {
//! let history = load_history(&LoadOptions::new("demo-out/data"))?;
//! let definition = LabelDefinition::Cancellation;
//! let table = training_snapshots(&history, None, 30, definition, &Silent)?;
//! let params = TrainParams::new().horizon_days(30).label_definition(definition).check()?;
//! let mut outcome = train(&table, &params)?;
//! let dir = Registry::new("models").save(&mut outcome, chrono::Utc::now())?;
//! println!("{} customers, model {}", history.customers.len(), dir.id());
//! # Ok(())
//! # }
//! ```

// Errors carry named fields (table, column, row, value) for clear messages; they are the
// cold path, so their size does not matter.
#![allow(clippy::result_large_err)]

pub mod config;
pub mod data;
pub mod error;
pub mod evaluate;
pub mod features;
pub mod frame;
pub mod kpis;
pub mod model;
pub mod outcomes;
pub mod output;
pub mod plot;
pub mod progress;
pub mod report;
pub mod schema;
pub mod score;
pub mod sql;
pub mod stats;
pub mod store;
pub mod time;
pub mod util;

pub use error::{Error, ErrorKind, Result};
