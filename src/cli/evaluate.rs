//! `churn evaluate`: metrics with bootstrap intervals and plots for a registered model's holdout
//! predictions, recorded in the model's metrics.

use std::path::PathBuf;

use anyhow::Context;
use churn::evaluate::{evaluate_model, CalibrationStrategy, EvalSettings, Evaluation};
use churn::store::{ModelDir, Registry};

/// How the reliability (calibration) bins are cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CalibrationBins {
    /// Ten equal-width bins on [0, 1] (scikit-learn's strategy="uniform").
    Uniform,
    /// Ten bins of about equal row counts (strategy="quantile").
    Quantile,
}

/// Bootstrap, capacity and calibration flags shared with `churn metrics`.
#[derive(Debug, Clone, clap::Args)]
pub struct EvalArgs {
    /// Rows contacted for precision, recall and the confusion matrix at capacity [default for
    /// `evaluate`: the holdout rows the model's high tier marks; for `metrics`: 10 % of rows,
    /// rounded up].
    #[arg(long, value_name = "N")]
    pub capacity: Option<usize>,
    /// Calibration bins of the reliability plot and table (ECE always uses 10 equal-width bins).
    #[arg(long, value_enum, value_name = "HOW", default_value = "quantile")]
    pub calibration_bins: CalibrationBins,
    /// Bootstrap resamples for the 95 % intervals.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub resamples: usize,
    /// Bootstrap seed.
    #[arg(long, value_name = "S", default_value_t = 42)]
    pub seed: u64,
}

impl EvalArgs {
    /// The library's evaluation settings.
    pub fn settings(&self) -> EvalSettings {
        EvalSettings::new()
            .capacity(self.capacity)
            .resamples(self.resamples)
            .seed(self.seed)
            .calibration(match self.calibration_bins {
                CalibrationBins::Uniform => CalibrationStrategy::Uniform,
                CalibrationBins::Quantile => CalibrationStrategy::Quantile,
            })
    }
}

/// Flags of `churn evaluate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Model id, or `latest` for the most recently created model.
    #[arg(long, value_name = "ID|latest")]
    pub model: String,
    /// The model registry folder.
    #[arg(long, value_name = "DIR", default_value = "models")]
    pub models: PathBuf,
    #[command(flatten)]
    pub eval: EvalArgs,
}

/// Run `churn evaluate`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let dir = Registry::new(&args.models).resolve(&args.model)?;
    let evaluation = evaluate_model(&dir, &args.eval.settings())
        .with_context(|| format!("evaluating model {}", dir.path().display()))?;
    out!("{}", summary(&dir, &evaluation));
    Ok(())
}

/// An expected count: whole numbers without decimals, ties split pro rata with one.
fn count(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round())
    } else {
        format!("{x:.1}")
    }
}

/// The metric table printed after an evaluation.
fn summary(dir: &ModelDir, e: &Evaluation) -> String {
    let mut out = format!(
        "{}: {} rows, {} churners (base rate {:.1} %); 95 % bootstrap intervals from {} resamples, seed {}\n\n",
        dir.path().display(),
        e.n,
        e.positives,
        100.0 * e.base_rate,
        e.n_resamples,
        e.seed
    );
    out += &format!("  {:<24} {:>8}   95 % interval\n", "metric", "value");
    let rows = e.named_metrics();
    for (name, m) in rows {
        let interval = match (m.ci_low, m.ci_high) {
            (Some(lo), Some(hi)) => format!("[{lo:.4}, {hi:.4}]"),
            _ => "n/a".into(),
        };
        out += &format!("  {name:<24} {:>8.4}   {interval}\n", m.value);
    }
    if let Some(c) = &e.confusion_at_capacity {
        out += &format!(
            "\nconfusion at capacity {} ({}; scores >= {:.4}): {} churners flagged, {} stayers flagged, {} churners missed, {} stayers not flagged\n",
            e.capacity,
            e.capacity_basis.describe(),
            c.threshold,
            count(c.true_positives),
            count(c.false_positives),
            count(c.false_negatives),
            count(c.true_negatives)
        );
    }
    out += &format!(
        "\nplots:   {}/ (PNG and SVG)\nmetrics: {}\n",
        dir.plots_dir().display(),
        dir.metrics_path().display()
    );
    out
}
