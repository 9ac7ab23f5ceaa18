//! `churn train`: load a table (tabular mode), train with model selection, register the model.

use std::path::PathBuf;

use churn::data::load::{load_history_with, LoadOptions};
use churn::features::snapshot::training_snapshots;
use churn::features::tabular::{drop_columns, identifier_columns, load_table, TabularOptions};
use churn::features::LabelDefinition;
use churn::frame::FeatureTable;
use churn::model::params::{SampleRates, Terms};
use churn::model::train::{train_dropping_leaks, train_with};
use churn::model::{TrainOutcome, TrainParams};
use churn::store::Registry;

use super::common::{now, parse_cutoffs, Bar, Cutoffs, DataArgs, Definition};

/// Flags of `churn train`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["data", "table", "features"])))]
pub struct Args {
    /// A feature table (`churn features` layout: customer_id, as_of, the 25 features, label),
    /// CSV or Parquet, a file or a folder of parts: snapshots an engine computed with
    /// `churn export-sql --features-only`. Event mode; pass its --horizon and --definition.
    #[arg(long, value_name = "FILE|DIR")]
    pub features: Option<PathBuf>,
    /// One-row-per-customer CSV (tabular mode).
    #[arg(long, value_name = "FILE", requires = "label")]
    pub table: Option<PathBuf>,
    /// Customer id column of the table (default: the row number).
    #[arg(long, value_name = "COL", requires = "table")]
    pub id: Option<String>,
    /// Label column of the table (two values: Yes/No, True/False, 1/0, churned/active).
    #[arg(long, value_name = "COL", requires = "table")]
    pub label: Option<String>,
    /// The label value meaning "churned", when it is not one of the understood spellings.
    #[arg(long, value_name = "VALUE", requires = "label")]
    pub positive: Option<String>,
    #[command(flatten)]
    pub data: DataArgs,
    /// Label horizon in days (event mode).
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub horizon: u32,
    /// What counts as churn (event mode).
    #[arg(long, value_enum, default_value = "cancellation")]
    pub definition: Definition,
    /// Snapshot cutoffs, e.g. `2024-01-01..2024-12-01:monthly` (event mode).
    #[arg(long, value_name = "FROM..TO:monthly", requires = "data", value_parser = parse_cutoffs)]
    pub snapshots: Option<Cutoffs>,
    /// Model registry folder.
    #[arg(long, value_name = "DIR", default_value = "models")]
    pub models: PathBuf,
    /// Seed of the fold shuffle.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Fail (exit 5) without registering the model when a column looks leaked.
    #[arg(long, conflicts_with = "drop_leaky")]
    pub fail_on_leak: bool,
    /// Retrain without the columns the leakage guard flags (listing them), up to 3 rounds.
    #[arg(long)]
    pub drop_leaky: bool,
    /// Columns of the table to leave out (tabular mode), comma-separated.
    #[arg(
        long,
        value_name = "COL,...",
        value_delimiter = ',',
        requires = "table"
    )]
    pub drop: Vec<String>,
    /// Columns to read as categories although they hold numbers (`Status=1/2`), comma-separated.
    #[arg(
        long,
        value_name = "COL,...",
        value_delimiter = ',',
        requires = "table"
    )]
    pub categorical: Vec<String>,
    /// At most this many levels of a category get a column of their own; the rest pool into
    /// `name=(other)`.
    #[arg(long, value_name = "K", default_value_t = churn::model::matrix::MAX_LEVELS)]
    pub max_levels: usize,
    /// Numeric terms: `search` lets validation choose linear or linear plus quantile bins;
    /// `linear` keeps linear terms only.
    #[arg(long, value_enum, default_value_t = TermsArg::Search)]
    pub terms: TermsArg,
    /// A level needs this many training rows for a column of its own (1: every level).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub min_level_count: usize,
    /// The table is a sample stratified by label that kept these shares of the churned and the
    /// retained rows (`1,0.1`: every churner, one retained row in ten). Training corrects the
    /// intercept by ln(churned / retained) and weighs the holdout rows back to the population
    /// for the tier cut-offs, log loss and Brier score. Not needed for a sample of customers.
    #[arg(long, value_name = "CHURNED,RETAINED", value_parser = parse_rates)]
    pub sample_rates: Option<SampleRates>,
    /// Print a JSON summary instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `--sample-rates CHURNED,RETAINED`: two shares in (0, 1].
fn parse_rates(s: &str) -> Result<SampleRates, String> {
    let shares: Vec<&str> = s.split(',').map(str::trim).collect();
    let share = |t: &str| match t.parse::<f64>() {
        Ok(r) if r > 0.0 && r <= 1.0 => Ok(r),
        _ => Err(format!("`{t}` is not a share in (0, 1]")),
    };
    match shares.as_slice() {
        [c, r] => Ok(SampleRates {
            churned: share(c)?,
            retained: share(r)?,
        }),
        _ => Err("expected two shares, CHURNED,RETAINED (e.g. 1,0.1)".into()),
    }
}

/// `--terms` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum TermsArg {
    Search,
    Linear,
}

impl From<TermsArg> for Terms {
    fn from(t: TermsArg) -> Self {
        match t {
            TermsArg::Search => Terms::Search,
            TermsArg::Linear => Terms::Linear,
        }
    }
}

/// Run `churn train`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let (table, params) = match (args.data.load_options()?, &args.features) {
        (Some(opts), _) => event_table(&args, &opts)?,
        (None, Some(path)) => feature_table(&args, path)?,
        (None, None) => tabular_table(&args)?,
    };
    let params = params
        .seed(args.seed)
        .fail_on_leak(args.fail_on_leak)
        .max_levels(args.max_levels)
        .min_level_count(args.min_level_count)
        .terms(args.terms.into())
        .sample_rates(args.sample_rates)
        .check()?;
    let created = now()?;
    let mut outcome = if args.drop_leaky {
        let (outcome, dropped) = train_dropping_leaks(&table, &params, &Bar::new())?;
        if !dropped.is_empty() {
            log::info!(
                "trained without possibly leaked columns: {}",
                dropped.join(", ")
            );
        }
        outcome
    } else {
        train_with(&table, &params, &Bar::new())?
    };
    let dir = Registry::new(&args.models).save(&mut outcome, created)?;
    print_summary(&outcome, dir.path(), args.json)
}

/// Event mode: snapshot features and labels from the history tables.
fn event_table(args: &Args, opts: &LoadOptions) -> anyhow::Result<(FeatureTable, TrainParams)> {
    let bar = Bar::new();
    let history = load_history_with(opts, &bar)?;
    let definition = LabelDefinition::from(args.definition);
    let given = args.snapshots.as_ref().map(|c| c.0.as_slice());
    let table = training_snapshots(&history, given, args.horizon, definition, &bar)?;
    let params = TrainParams::new()
        .horizon_days(args.horizon)
        .label_definition(definition);
    Ok((table, params))
}

/// Event mode from a feature table an engine computed: the same validation (time-ordered by
/// `as_of`), the same model.
fn feature_table(
    args: &Args,
    path: &std::path::Path,
) -> anyhow::Result<(FeatureTable, TrainParams)> {
    let table = churn::features::read::read_feature_table(path)?;
    let labelled = table.labels.iter().filter(|l| l.is_some()).count();
    log::info!(
        "{}: {} rows ({labelled} labelled) from the feature table",
        path.display(),
        table.n_rows()
    );
    let params = TrainParams::new()
        .horizon_days(args.horizon)
        .label_definition(LabelDefinition::from(args.definition));
    Ok((table, params))
}

/// Tabular mode: one row per customer from a CSV.
fn tabular_table(args: &Args) -> anyhow::Result<(FeatureTable, TrainParams)> {
    let (Some(path), Some(label)) = (&args.table, &args.label) else {
        unreachable!("clap requires --table with --label, or --data");
    };
    let mut opts = TabularOptions::new().label(label);
    opts.id_column = args.id.clone();
    opts.positive = args.positive.clone();
    opts.categorical = args.categorical.clone();
    let mut table = load_table(path, &opts)?;
    let source = path.display().to_string();
    if let Some(name) = args.categorical.iter().find(|n| table.column(n).is_none()) {
        return Err(churn::Error::MissingColumn {
            table: source,
            column: name.clone(),
            found: table.feature_names().join(", "),
        }
        .into());
    }
    drop_columns(&mut table, &args.drop, &source)?;
    let identifiers = identifier_columns(&table);
    for (name, why) in &identifiers {
        log::info!("left out `{name}`: it identifies rows ({why}), it does not describe them");
    }
    let names: Vec<String> = identifiers.into_iter().map(|(n, _)| n).collect();
    drop_columns(&mut table, &names, &source)?;
    log::info!(
        "{}: {} rows, {} features",
        path.display(),
        table.n_rows(),
        table.n_features()
    );
    Ok((table, TrainParams::new()))
}

/// The model id and a short metrics summary, as text or JSON.
pub fn print_summary(
    outcome: &TrainOutcome,
    dir: &std::path::Path,
    json: bool,
) -> anyhow::Result<()> {
    let m = &outcome.model;
    let h = &m.validation.holdout;
    if json {
        let summary = serde_json::json!({
            "model_id": m.model_id,
            "path": dir,
            "mode": m.mode,
            "n_rows": m.n_rows,
            "churn_share": m.churn_share,
            "sample_correction": m.sample_correction,
            "alpha": m.alpha,
            "cv_mean_auc": m.validation.cv_mean_auc,
            "holdout": h,
            "tiers": m.tiers,
            "leak_flags": m.leak_flags,
            "hit_limit": m.convergence.hit_limit,
        });
        outln!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(());
    }
    let auc = h.roc_auc.map_or("n/a".to_string(), |a| format!("{a:.4}"));
    outln!("{}", m.model_id);
    outln!(
        "  {} rows, churn share {:.1} %, chosen alpha {} (C = {}), CV ROC AUC {:.4}",
        m.n_rows,
        100.0 * m.churn_share,
        m.alpha,
        1.0 / m.alpha,
        m.validation.cv_mean_auc
    );
    outln!(
        "  holdout ({}, n = {}): ROC AUC {auc}, log loss {:.4}, Brier {:.4}",
        m.validation.holdout_kind,
        h.n,
        h.log_loss,
        h.brier
    );
    if !m.leak_flags.is_empty() {
        let cols: Vec<&str> = m.leak_flags.iter().map(|f| f.column.as_str()).collect();
        outln!("  possible leakage: {}", cols.join(", "));
    }
    if let Some(c) = &m.sample_correction {
        outln!(
            "  stratified sample ({} of churned, {} of retained rows): intercept shifted by -{:.4}, population churn share {:.1} %",
            c.churned_rate,
            c.retained_rate,
            c.intercept_shift,
            100.0 * c.population_churn_share
        );
    }
    outln!("  saved to {}", dir.display());
    Ok(())
}
