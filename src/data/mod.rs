//! The contract's history tables: the loaded [`history::History`] (the domain types features
//! read), loading and validating them (`load`, over the file readers in `read`), and the demo
//! generator.

pub mod generate;
pub mod history;
pub mod load;
pub mod read;
