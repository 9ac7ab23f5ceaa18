//! `churn`: a churn-prediction pipeline. Load a company's history tables, build point-in-time
//! features, train a logistic model in parallel, evaluate it, and write ranked at-risk lists.
//!
//! Data flows one way:
//! `data` (load, validate, generate) -> `features` (snapshots, labels) -> `model` (matrix, fit,
//! registry) -> `evaluate` (metrics, plots) -> `score` (at-risk list) -> `report`.
//!
//! ```no_run
//! use churn::data::load::{load_history, LoadOptions};
//! let history = load_history(&LoadOptions::new("demo/data")).unwrap();
//! println!("{} customers", history.customers.len());
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
pub mod plot;
pub mod progress;
pub mod report;
pub mod schema;
pub mod score;
pub mod stats;
pub mod store;
pub mod time;
pub mod util;

pub use error::{Error, ErrorKind, Result};
