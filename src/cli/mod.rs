//! clap types and one thin file per subcommand. Nothing below `cli/` is seen by the library.
//!
//! Exit codes: 0 success; 1 internal failure; 2 usage error (bad flags or settings);
//! 3 bad input data; 4 model mismatch (wrong feature set or format version, unknown model);
//! 5 leakage found with `--fail-on-leak`; 6 drift alarm (`--max-psi` exceeded; output written).

/// `println!` that returns a failed write (a closed pipe: `churn ... | head`) as an error
/// instead of panicking; `main` exits 0 on a broken pipe.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

/// `print!` with the same rule as [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*)?
    }};
}

mod changes;
mod common;
mod demo;
mod evaluate;
mod export_sql;
mod features;
mod generate;
mod kpis;
mod metrics;
mod models;
mod outcomes;
mod report;
mod run;
mod score;
mod train;
mod validate;

use churn::features::tabular::UNKNOWN_POSITIVE;
use clap::{Parser, Subcommand};

/// Churn prediction: point-in-time features, parallel logistic training, evaluation and nightly
/// ranked at-risk lists.
#[derive(Debug, Parser)]
#[command(name = "churn", version, about, propagate_version = true)]
pub struct Cli {
    /// Only print errors and the requested output (no progress, no notes).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a synthetic SaaS customer history in the contract's five tables.
    Generate(generate::Args),
    /// Load every table, check it against the data contract and print a summary.
    Validate(validate::Args),
    /// Retention KPIs per calendar period (churn rate, CRR), as a table, CSV and chart.
    Kpis(kpis::Args),
    /// Point-in-time features and labels for one as-of date or monthly snapshots, or a
    /// one-row-per-customer table (tabular mode).
    Features(features::Args),
    /// Train the logistic churn model (grid x folds in parallel) into the model registry.
    Train(train::Args),
    /// List or show models in the registry.
    Models(models::Args),
    /// Score customers with a model and write the ranked at-risk list.
    Score(score::Args),
    /// The nightly job from one load: retrain when a new month of labels is complete, then score.
    Run(run::Args),
    /// What changed between two at-risk lists: entered or left the high tier, biggest risers.
    Changes(changes::Args),
    /// Did the plays work: churn by tier and group after a list's as-of date, with uplift.
    Outcomes(outcomes::Args),
    /// Evaluate a model's holdout predictions: metrics with bootstrap intervals and plots.
    Evaluate(evaluate::Args),
    /// Metrics for any predictions file, as JSON on stdout.
    Metrics(metrics::Args),
    /// The features and a model as one SQL statement for DuckDB, Spark, PostgreSQL or BigQuery.
    ExportSql(export_sql::Args),
    /// Export a self-contained HTML and Markdown report of a model.
    Report(report::Args),
    /// Run the whole pipeline on generated demo data.
    Demo(demo::Args),
}

/// Run one subcommand.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Generate(a) => generate::run(a),
        Command::Validate(a) => validate::run(a),
        Command::Kpis(a) => kpis::run(a),
        Command::Features(a) => features::run(a),
        Command::Train(a) => train::run(a),
        Command::Models(a) => models::run(a),
        Command::Score(a) => score::run(a),
        Command::Run(a) => run::run(a),
        Command::Changes(a) => changes::run(a),
        Command::Outcomes(a) => outcomes::run(a),
        Command::Evaluate(a) => evaluate::run(a),
        Command::Metrics(a) => metrics::run(a),
        Command::ExportSql(a) => export_sql::run(a),
        Command::Report(a) => report::run(a),
        Command::Demo(a) => demo::run(a),
    }
}

/// Log to stderr; `RUST_LOG` overrides the level (default `info`, `warn` with `--quiet`).
pub fn init_logging(quiet: bool) {
    let default = if quiet { "warn" } else { "info" };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(default))
        .format_timestamp(None)
        .format_target(false)
        .init();
}

/// The exit code for an error: the library error's kind if there is one in the chain.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    err.chain()
        .find_map(|e| e.downcast_ref::<churn::Error>())
        .map(|e| e.kind().exit_code())
        .unwrap_or(churn::ErrorKind::Internal.exit_code())
}

/// What to do about an error, in terms of this command line's flags (the library's messages name
/// none).
pub fn hint(err: &anyhow::Error) -> Option<&'static str> {
    let err = err.chain().find_map(|e| e.downcast_ref::<churn::Error>())?;
    match err {
        churn::Error::BadValue { reason, .. } if reason == UNKNOWN_POSITIVE => {
            Some("pass --positive VALUE naming the churned value")
        }
        churn::Error::NoChurnTable => {
            Some("non-contractual data has no cancellations: use --definition inactivity")
        }
        churn::Error::Drift { .. } => Some("the alarm is set by --max-psi"),
        churn::Error::Leak { .. } => {
            Some("--fail-on-leak stopped the run; no model was registered")
        }
        _ => None,
    }
}

/// True when the failure is writing to a closed pipe (`churn ... | head`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || matches!(e.downcast_ref::<churn::Error>(), Some(churn::Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
