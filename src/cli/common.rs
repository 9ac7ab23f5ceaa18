//! Flags shared by several subcommands.

use std::path::{Path, PathBuf};

use churn::config::Mapping;
use churn::data::load::LoadOptions;
use churn::features::LabelDefinition;

/// Where the history tables are.
#[derive(Debug, Clone, clap::Args)]
pub struct DataArgs {
    /// Folder with the contract's tables (CSV or Parquet files, or folders of parts).
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// TOML mapping file: column renames, date formats, derived customers table.
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// End of the data (YYYY-MM-DD); default: the latest time in any table.
    #[arg(long, value_name = "DATE")]
    pub data_end: Option<String>,
}

impl DataArgs {
    /// Resolve into the library's load options.
    pub fn load_options(&self) -> anyhow::Result<LoadOptions> {
        load_options(
            &self.data,
            self.mapping.as_deref(),
            self.data_end.as_deref(),
        )
    }
}

/// Load options from the data flags, for commands whose `--data` is optional.
pub fn load_options(
    data: &Path,
    mapping: Option<&Path>,
    data_end: Option<&str>,
) -> anyhow::Result<LoadOptions> {
    let mut opts = LoadOptions::new(data);
    if let Some(path) = mapping {
        opts.mapping = Mapping::load(path)?;
    }
    if let Some(end) = data_end {
        opts.mapping.data_end = Some(end.to_string());
    }
    Ok(opts)
}

/// `--definition` values: what counts as churn in event mode.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Definition {
    /// Churn is an explicit cancellation within the horizon.
    Cancellation,
    /// Churn is no activity within the horizon.
    Inactivity,
}

impl From<Definition> for LabelDefinition {
    fn from(d: Definition) -> Self {
        match d {
            Definition::Cancellation => LabelDefinition::Cancellation,
            Definition::Inactivity => LabelDefinition::Inactivity,
        }
    }
}
