//! Loading, validating and generating the contract's history tables.

pub mod generate;
pub mod load;
pub mod read;
