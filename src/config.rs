//! The mapping file (TOML): how a real export's tables and columns map onto the contract.
//! Every field is optional; an absent mapping means the files already follow the contract.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::schema::col;

/// How to derive the customers table when the export has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Derive {
    /// Everyone with an event is a customer; `signup_date` is the date of their first event.
    FirstEvent,
}

/// Mapping for one table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableMapping {
    /// File or folder name inside the data folder (default: `<table>.csv`, `<table>.parquet`
    /// or a folder `<table>/` of parts).
    pub file: Option<String>,
    /// Contract column name -> column name in the file (default: the contract name).
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// Contract column name -> chrono format for dates and datetimes (default: ISO 8601).
    #[serde(default)]
    pub formats: BTreeMap<String, String>,
    /// Contract column name -> constant value for a column the file does not have.
    #[serde(default)]
    pub defaults: BTreeMap<String, String>,
    /// Only for `customers`: build the table from events instead of reading a file.
    pub derive: Option<Derive>,
}

/// The whole mapping file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// End of the data (`YYYY-MM-DD`), covered as a whole day: labels need `T + H` to be at most
    /// the start of the next day; rows dated after that day are errors.
    /// Default: the latest time in any table.
    pub data_end: Option<String>,
    #[serde(default)]
    pub customers: TableMapping,
    #[serde(default)]
    pub events: TableMapping,
    #[serde(default)]
    pub tickets: TableMapping,
    #[serde(default)]
    pub nps: TableMapping,
    #[serde(default)]
    pub churn: TableMapping,
}

impl Mapping {
    /// Read a mapping file.
    ///
    /// # Errors
    /// I/O errors, TOML syntax errors and unknown keys.
    pub fn load(path: &Path) -> Result<Mapping> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&text)
    }

    /// Parse mapping text.
    ///
    /// # Errors
    /// TOML syntax errors and unknown keys.
    pub fn parse(text: &str) -> Result<Mapping> {
        let m: Mapping = toml::from_str(text)?;
        if m.events.derive.is_some()
            || m.tickets.derive.is_some()
            || m.nps.derive.is_some()
            || m.churn.derive.is_some()
        {
            return Err(Error::Usage(
                "mapping: only [customers] can be derived".into(),
            ));
        }
        m.check_defaults()?;
        Ok(m)
    }

    /// Constants must obey the same rules as the cells they stand for.
    fn check_defaults(&self) -> Result<()> {
        let tables = [
            &self.customers,
            &self.events,
            &self.tickets,
            &self.nps,
            &self.churn,
        ];
        for (name, value) in tables.iter().flat_map(|t| t.defaults.iter()) {
            let ok = match name.as_str() {
                col::MONTHLY_REVENUE => value
                    .trim()
                    .parse::<f64>()
                    .is_ok_and(|x| x.is_finite() && x >= 0.0),
                col::CONTRACT_MONTHS => value
                    .trim()
                    .parse::<u32>()
                    .is_ok_and(|m| (1..=1200).contains(&m)),
                _ => true,
            };
            if !ok {
                let rule = if name == col::MONTHLY_REVENUE {
                    "a number >= 0"
                } else {
                    "a whole number 1..1200"
                };
                return Err(Error::Usage(format!(
                    "mapping: default {name} = {value:?} must be {rule}"
                )));
            }
        }
        Ok(())
    }

    /// The mapping of one table by name.
    pub fn table(&self, name: &str) -> &TableMapping {
        match name {
            "customers" => &self.customers,
            "events" => &self.events,
            "tickets" => &self.tickets,
            "nps" => &self.nps,
            _ => &self.churn,
        }
    }
}

impl TableMapping {
    /// The file's column name for a contract column.
    pub fn source<'a>(&'a self, column: &'a str) -> &'a str {
        self.columns
            .get(column)
            .map(String::as_str)
            .unwrap_or(column)
    }

    /// The date/datetime format for a contract column, if set.
    pub fn format(&self, column: &str) -> Option<&str> {
        self.formats.get(column).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_renames_formats_and_derivation() {
        let m = Mapping::parse(
            r#"
            data_end = "1998-07-01"
            [customers]
            derive = "first_event"
            [events]
            file = "CDNOW_master.csv"
            columns = { timestamp = "date" }
            formats = { timestamp = "%Y%m%d" }
            defaults = { event_type = "purchase" }
            "#,
        )
        .unwrap();
        assert_eq!(m.customers.derive, Some(Derive::FirstEvent));
        assert_eq!(m.events.source("timestamp"), "date");
        assert_eq!(m.events.source("customer_id"), "customer_id");
        assert_eq!(m.events.format("timestamp"), Some("%Y%m%d"));
    }

    #[test]
    fn rejects_unknown_keys() {
        assert!(Mapping::parse("[events]\ncolumn = {}").is_err());
    }
}
