//! What several subcommands share: the history flags, typed values parsed at the clap edge
//! (dates, formats, label definitions), the terminal progress bar and the clock.

use std::io::IsTerminal;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use churn::config::Mapping;
use churn::data::load::LoadOptions;
use churn::features::LabelDefinition;
use churn::progress::Progress;
use churn::score::list::ListFormat;
use churn::time::{self, Day};

/// Where the history tables are. Every command that reads a history flattens this; a command
/// says with an argument group whether `--data` is required or an alternative to `--table`.
#[derive(Debug, Clone, clap::Args)]
pub struct DataArgs {
    /// Folder with the contract's tables (CSV or Parquet files, or folders of parts).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// TOML mapping file: column renames, date formats, derived customers table.
    #[arg(long, value_name = "FILE", requires = "data")]
    pub mapping: Option<PathBuf>,
    /// End of the data (YYYY-MM-DD), covered as a whole day; default: the latest time in any
    /// table.
    #[arg(long, value_name = "DATE", requires = "data", value_parser = parse_date)]
    pub data_end: Option<Day>,
}

impl DataArgs {
    /// The library's load options, when `--data` was given.
    pub fn load_options(&self) -> anyhow::Result<Option<LoadOptions>> {
        let Some(dir) = &self.data else {
            return Ok(None);
        };
        let mut opts = LoadOptions::new(dir);
        if let Some(path) = &self.mapping {
            opts.mapping = Mapping::load(path)?;
            opts.mapping_file = Some(path.clone());
        }
        opts.data_end = self.data_end;
        Ok(Some(opts))
    }

    /// The load options of a command whose argument group requires `--data`.
    pub fn required(&self) -> anyhow::Result<LoadOptions> {
        self.load_options()?
            .ok_or_else(|| churn::Error::Usage("--data DIR is required".into()).into())
    }
}

/// The load cache of a command that loads the history for features from a date.
#[derive(Debug, Clone, clap::Args)]
pub struct CacheArgs {
    /// Keep each events, tickets and NPS part's checked rows in DIR, and read an unchanged part
    /// from there instead of decoding it again (the next night's load). Results are the same
    /// with or without it; a part that changed is decoded again.
    #[arg(long, value_name = "DIR", requires = "data")]
    pub cache: Option<PathBuf>,
}

/// A calendar date, `YYYY-MM-DD` exactly ([`time::parse_iso_day`]).
pub fn parse_date(s: &str) -> Result<Day, String> {
    time::parse_iso_day(s).ok_or_else(|| format!("{s:?} is not a date (YYYY-MM-DD)"))
}

/// `-` (stdout) names a file, not the folder a command writes several files into.
pub fn refuse_folder_stdout(out: &std::path::Path) -> anyhow::Result<()> {
    if churn::output::is_stdout(out) {
        return Err(churn::Error::Usage(
            "--out - means standard output, but this command writes a folder".into(),
        )
        .into());
    }
    Ok(())
}

/// A PSI threshold: a number >= 0.
pub fn parse_max_psi(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x >= 0.0)
        .ok_or_else(|| format!("{s:?} is not a number >= 0"))
}

/// Monthly cutoffs from `FROM..TO:monthly`, parsed at the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Cutoffs(pub Vec<Day>);

/// Parse `--snapshots FROM..TO:monthly`.
pub fn parse_cutoffs(s: &str) -> Result<Cutoffs, String> {
    churn::features::snapshot::parse_snapshots(s)
        .map(Cutoffs)
        .map_err(|e| e.to_string())
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

/// `--format` values of the at-risk list.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ListFormatArg {
    Csv,
    Parquet,
    Jsonl,
}

impl From<ListFormatArg> for ListFormat {
    fn from(f: ListFormatArg) -> Self {
        match f {
            ListFormatArg::Csv => ListFormat::Csv,
            ListFormatArg::Parquet => ListFormat::Parquet,
            ListFormatArg::Jsonl => ListFormat::Jsonl,
        }
    }
}

/// Progress of the library's long steps as a bar on stderr, a new one per step: drawn only on a
/// terminal with info logging on (not under `--quiet`, not in logs or pipes, where it stays
/// hidden and costs nothing).
pub struct Bar {
    visible: bool,
    current: std::sync::Mutex<indicatif::ProgressBar>,
}

impl Bar {
    /// A bar that draws when stderr is a terminal and info messages are shown.
    pub fn new() -> Self {
        Bar {
            visible: std::io::stderr().is_terminal() && log::log_enabled!(log::Level::Info),
            current: std::sync::Mutex::new(indicatif::ProgressBar::hidden()),
        }
    }

    fn bar(&self) -> indicatif::ProgressBar {
        self.current.lock().expect("progress bar lock").clone()
    }
}

impl Progress for Bar {
    fn start(&self, step: &str, total: u64) {
        if !self.visible {
            return;
        }
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{msg} {bar:40} {pos}/{len} {elapsed} (eta {eta})",
        ) {
            bar.set_style(style);
        }
        bar.set_message(step.to_string());
        *self.current.lock().expect("progress bar lock") = bar;
    }

    // A hidden bar returns before the lock: steps advance it from every worker thread.
    fn advance(&self, n: u64) {
        if self.visible {
            self.bar().inc(n);
        }
    }

    fn finish(&self) {
        if self.visible {
            self.bar().finish_and_clear();
        }
    }
}

/// The creation time of a new model: now, or the RFC 3339 time in `CHURN_NOW` (so that tests
/// and reproducible builds get the same model id and file).
pub fn now() -> anyhow::Result<DateTime<Utc>> {
    match std::env::var("CHURN_NOW") {
        Ok(s) => Ok(DateTime::parse_from_rfc3339(&s)
            .map_err(|e| {
                churn::Error::Usage(format!("CHURN_NOW={s:?} is not an RFC 3339 time: {e}"))
            })?
            .with_timezone(&Utc)),
        Err(_) => Ok(Utc::now()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_must_be_plain_iso_days() {
        assert_eq!(
            parse_date("2025-01-31"),
            Ok(time::parse_day("2025-01-31", None).unwrap())
        );
        for bad in [
            "-2025-01-01",
            "2025-1-01",
            "2025-02-30",
            "20250101",
            " 2025-01-01",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }
}
