//! `churn score`: the ranked at-risk list, from history tables at an as-of date (the nightly job)
//! or from a one-row-per-customer table.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use churn::data::load::load_history;
use churn::features::tabular::{load_table, TabularOptions};
use churn::model::registry;
use churn::score::batch::{score, ScoreSettings};
use churn::score::job::{check_drift, check_mode, features_at, write_outputs, ScoreSummary};
use churn::score::list::ListFormat;
use churn::time;

use super::common::load_options;

/// Flags of `churn score`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Model id, or `latest`.
    #[arg(long, value_name = "ID|latest")]
    pub model: String,
    /// Model registry folder.
    #[arg(long, value_name = "DIR", default_value = "models")]
    pub models: PathBuf,
    /// Folder with the contract's history tables (event mode; needs --as-of).
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with = "table",
        required_unless_present = "table",
        requires = "as_of"
    )]
    pub data: Option<PathBuf>,
    /// TOML mapping file (event mode).
    #[arg(long, value_name = "FILE", requires = "data")]
    pub mapping: Option<PathBuf>,
    /// End of the data, YYYY-MM-DD (event mode; default: the latest time in any table).
    #[arg(long, value_name = "DATE", requires = "data")]
    pub data_end: Option<String>,
    /// Score the population at this date: features see only rows before it (event mode).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// One-row-per-customer CSV (tabular mode); columns the model does not know are ignored.
    #[arg(long, value_name = "FILE")]
    pub table: Option<PathBuf>,
    /// Customer id column of the table (default: the row number).
    #[arg(long, value_name = "COL", requires = "table")]
    pub id: Option<String>,
    /// Output file, written atomically.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Output format.
    #[arg(long, default_value = "csv", value_parser = ["csv", "parquet", "jsonl"])]
    pub format: String,
    /// Mark exactly the top N as high risk (CS capacity) instead of the model's thresholds.
    #[arg(long, value_name = "N")]
    pub capacity: Option<usize>,
    /// Write a monitoring summary (tiers, revenue at risk, PSI per feature, timings) as JSON.
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
    /// Exit with the drift code (6) when any feature's PSI exceeds this; the list is still written.
    #[arg(long, value_name = "X")]
    pub max_psi: Option<f64>,
}

/// Run `churn score`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let format: ListFormat = args.format.parse()?;
    if let Some(x) = args.max_psi.filter(|x| !(x.is_finite() && *x >= 0.0)) {
        return Err(
            churn::Error::Usage(format!("--max-psi must be a number >= 0, not {x}")).into(),
        );
    }
    let model = registry::load(&args.models, &args.model)?;
    check_mode(&model, args.data.is_some())?;
    let t0 = Instant::now();
    let (table, as_of) = match &args.data {
        Some(dir) => {
            let as_of_text = args.as_of.as_deref().context("--data needs --as-of")?;
            let as_of = time::parse_day(as_of_text, None).ok_or_else(|| {
                churn::Error::Usage(format!("--as-of {as_of_text:?} is not a date (YYYY-MM-DD)"))
            })?;
            let opts = load_options(dir, args.mapping.as_deref(), args.data_end.as_deref())?;
            let history = load_history(&opts)?;
            let load_s = t0.elapsed().as_secs_f64();
            (features_at(&model, &history, as_of)?, Some((as_of, load_s)))
        }
        None => {
            let path = args
                .table
                .as_ref()
                .context("--table or --data is required")?;
            let mut opts = TabularOptions::new();
            opts.id_column = args.id.clone();
            (load_table(path, &opts)?, None)
        }
    };
    let features_done = t0.elapsed().as_secs_f64();
    let scored = score(
        &model,
        &table,
        &ScoreSettings {
            capacity: args.capacity,
        },
    )?;
    let score_done = t0.elapsed().as_secs_f64();
    let mut summary = ScoreSummary::new(
        &model,
        &scored,
        as_of.map(|a| a.0),
        args.capacity,
        &args.out,
    );
    summary.max_psi = args.max_psi;
    summary.timings.load_s = as_of.map_or(0.0, |a| a.1);
    summary.timings.features_s = features_done - summary.timings.load_s;
    summary.timings.score_s = score_done - features_done;
    let model_dir = registry::model_dir(&args.models, &model.model_id);
    write_outputs(&scored.list, &args.out, format, &model_dir)?;
    summary.timings.write_s = t0.elapsed().as_secs_f64() - score_done;
    if let Some(path) = &args.summary_json {
        churn::util::write_json(path, &summary)?;
    }
    log::info!(
        "scored {} customers with {} -> {} (high {}, medium {}, low {}; revenue at risk {:.0}; {:.2} s)",
        scored.list.rows.len(),
        model.model_id,
        args.out.display(),
        summary.tiers.high,
        summary.tiers.medium,
        summary.tiers.low,
        summary.total_revenue_at_risk,
        t0.elapsed().as_secs_f64()
    );
    check_drift(&scored.psi, args.max_psi)?;
    Ok(())
}
