//! `churn metrics`: the evaluation metrics of any CSV predictions file, as JSON on stdout.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use churn::data::read::read_scored_csv;
use churn::evaluate::evaluate_predictions;

use super::evaluate::EvalArgs;

/// Flags of `churn metrics`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// CSV file with a header row.
    #[arg(long, value_name = "FILE")]
    pub predictions: PathBuf,
    /// Label column: 0/1, true/false, yes/no or churned/active (any case).
    #[arg(long, value_name = "COL")]
    pub label: String,
    /// Score column: predicted churn probabilities in [0, 1].
    #[arg(long, value_name = "COL")]
    pub score: String,
    #[command(flatten)]
    pub eval: EvalArgs,
}

/// Run `churn metrics`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let (labels, scores) = read_scored_csv(&args.predictions, &args.label, &args.score)?;
    let evaluation = evaluate_predictions(&labels, &scores, &args.eval.settings())
        .with_context(|| format!("evaluating {}", args.predictions.display()))?;
    // Serialize first, so a closed pipe surfaces as an I/O error (exit 0 in main).
    let json = serde_json::to_string_pretty(&evaluation)?;
    writeln!(std::io::stdout().lock(), "{json}")?;
    Ok(())
}
