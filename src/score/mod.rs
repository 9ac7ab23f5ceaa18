//! Batch scoring: ranked at-risk lists with tiers, reasons and suggested actions, drift (PSI)
//! against the training distribution, and atomic writers.

pub mod actions;
pub mod batch;
pub mod changes;
pub mod groups;
pub mod job;
pub mod list;
pub mod read_list;
