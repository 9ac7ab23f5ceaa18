//! `churn features`: point-in-time features and labels, event mode or tabular mode.

use std::path::PathBuf;

use anyhow::Context;
use churn::data::load::load_history;
use churn::features::output::write_features;
use churn::features::snapshot::parse_snapshots;
use churn::features::{build_features, FeatureSpec, LabelDefinition};
use churn::time;

use super::common::DataArgs;

/// Flags of `churn features`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub data: DataArgs,
    /// One cutoff date T (YYYY-MM-DD): features see only rows before T 00:00 UTC.
    #[arg(
        long,
        value_name = "DATE",
        conflicts_with = "snapshots",
        required_unless_present = "snapshots"
    )]
    pub as_of: Option<String>,
    /// Monthly cutoffs FROM..TO:monthly, e.g. 2025-01-01..2025-12-01:monthly.
    #[arg(long, value_name = "RANGE")]
    pub snapshots: Option<String>,
    /// Label horizon H in days.
    #[arg(long, default_value_t = 30)]
    pub horizon: u32,
    /// Label definition.
    #[arg(long, default_value = "cancellation", value_parser = ["cancellation", "inactivity"])]
    pub definition: String,
    /// Output file, .csv or .parquet.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Run `churn features`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let cutoffs = match (&args.as_of, &args.snapshots) {
        (Some(d), _) => vec![time::parse_day(d, None).ok_or_else(|| {
            churn::Error::Usage(format!("--as-of {d:?} is not a date (YYYY-MM-DD)"))
        })?],
        (None, Some(s)) => parse_snapshots(s)?,
        (None, None) => unreachable!("clap requires one of --as-of and --snapshots"),
    };
    let spec = FeatureSpec {
        cutoffs,
        horizon_days: args.horizon,
        definition: args.definition.parse::<LabelDefinition>()?,
    };
    let history = load_history(&args.data.load_options()?)?;
    let table = build_features(&history, &spec)?;
    write_features(&table, &args.out).with_context(|| format!("writing {}", args.out.display()))?;
    let labelled = table.labels.iter().filter(|l| l.is_some()).count();
    log::info!(
        "{} rows ({} cutoffs, {} with complete labels) -> {}",
        table.n_rows(),
        spec.cutoffs.len(),
        labelled,
        args.out.display()
    );
    Ok(())
}
