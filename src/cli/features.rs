//! `churn features`: point-in-time features and labels, event mode or tabular mode.

use std::path::{Path, PathBuf};

use anyhow::Context;
use churn::data::load::{load_history_with, LoadOptions};
use churn::features::output::write_features;
use churn::features::tabular::{load_table, TabularOptions};
use churn::features::{build_features_with, FeatureSpec};
use churn::frame::FeatureTable;
use churn::store::guard_output;
use churn::time::Day;

use super::common::{parse_cutoffs, parse_date, Bar, CacheArgs, Cutoffs, DataArgs, Definition};

/// Flags of `churn features`: `--data` with `--as-of` or `--snapshots` (event mode), or
/// `--table` with `--label` (tabular mode).
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["data", "table"])))]
pub struct Args {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// One cutoff date T (YYYY-MM-DD): features see only rows before T 00:00 UTC.
    #[arg(
        long,
        value_name = "DATE",
        value_parser = parse_date,
        conflicts_with_all = ["snapshots", "table"],
        required_unless_present_any = ["snapshots", "table"]
    )]
    pub as_of: Option<Day>,
    /// Monthly cutoffs FROM..TO:monthly, e.g. 2025-01-01..2025-12-01:monthly.
    #[arg(long, value_name = "RANGE", conflicts_with = "table", value_parser = parse_cutoffs)]
    pub snapshots: Option<Cutoffs>,
    /// Label horizon H in days (event mode).
    #[arg(long, default_value_t = 30, conflicts_with = "table")]
    pub horizon: u32,
    /// Label definition (event mode).
    #[arg(
        long,
        value_enum,
        default_value = "cancellation",
        conflicts_with = "table"
    )]
    pub definition: Definition,
    /// One-row-per-customer CSV (tabular mode): every column but the id and label is a feature.
    #[arg(long, value_name = "FILE", requires = "label")]
    pub table: Option<PathBuf>,
    /// Customer id column of the table (default: the 1-based row number).
    #[arg(long, value_name = "COL", requires = "table", conflicts_with = "data")]
    pub id: Option<String>,
    /// Label column of the table (two values: Yes/No, True/False, 1/0, churned/active).
    #[arg(long, value_name = "COL", requires = "table", conflicts_with = "data")]
    pub label: Option<String>,
    /// The label value meaning "churned", when it is not one of the understood spellings.
    #[arg(long, value_name = "VALUE", requires = "label")]
    pub positive: Option<String>,
    /// Output file, .csv or .parquet.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Run `churn features`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let inputs = match (args.data.load_options()?, &args.table) {
        (Some(opts), _) => opts.input_paths(),
        (None, table) => table.iter().cloned().collect(),
    };
    let inputs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    guard_output(&args.out, &inputs, None)?;
    let (table, what) = match (args.data.load_options()?, &args.table) {
        (Some(opts), _) => event_table(&args, &opts)?,
        (None, Some(path)) => tabular_table(&args, path)?,
        (None, None) => unreachable!("clap requires one of --data and --table"),
    };
    write_features(&table, &args.out).with_context(|| format!("writing {}", args.out.display()))?;
    let labelled = table.labels.iter().filter(|l| l.is_some()).count();
    log::info!(
        "{} rows ({what}, {labelled} with labels) -> {}",
        table.n_rows(),
        args.out.display()
    );
    Ok(())
}

/// Event mode: snapshot the history at the cutoffs; also says how many cutoffs.
fn event_table(args: &Args, opts: &LoadOptions) -> anyhow::Result<(FeatureTable, String)> {
    let cutoffs = match (args.as_of, &args.snapshots) {
        (Some(d), _) => vec![d],
        (None, Some(c)) => c.0.clone(),
        (None, None) => unreachable!("clap requires one of --as-of and --snapshots"),
    };
    let spec = FeatureSpec {
        cutoffs,
        horizon_days: args.horizon,
        definition: args.definition.into(),
    };
    let bar = Bar::new();
    // Only the events the earliest cutoff's windows (or a later one's) can read are kept.
    let mut opts = opts.clone();
    opts.features_from = spec.cutoffs.iter().min().copied();
    opts.cache = args.cache.cache.clone();
    let history = load_history_with(&opts, &bar)?;
    let table = build_features_with(&history, &spec, &bar)?;
    Ok((table, format!("{} cutoffs", spec.cutoffs.len())))
}

/// Tabular mode: one row per customer, `as_of` empty.
fn tabular_table(args: &Args, path: &Path) -> anyhow::Result<(FeatureTable, String)> {
    let label = args
        .label
        .as_ref()
        .expect("clap requires --label with --table");
    let mut opts = TabularOptions::new().label(label);
    opts.id_column = args.id.clone();
    opts.positive = args.positive.clone();
    let table = load_table(path, &opts)?;
    let what = format!("{} features", table.n_features());
    Ok((table, what))
}
