//! `churn evaluate`: metrics with bootstrap intervals and plots for a registered model's holdout
//! predictions, recorded in the model's `metrics.json`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use churn::evaluate::model_dir::{plots_dir, METRICS_FILE, MODEL_FILE};
use churn::evaluate::{evaluate_model_dir, EvalSettings, Evaluation, MetricCi};

/// Bootstrap and capacity flags shared with `churn metrics`.
#[derive(Debug, Clone, clap::Args)]
pub struct EvalArgs {
    /// Rows contacted for precision and recall at capacity [default: 10 % of rows, rounded up].
    #[arg(long, value_name = "N")]
    pub capacity: Option<usize>,
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
    let dir = resolve_model_dir(&args.models, &args.model)?;
    let evaluation = evaluate_model_dir(&dir, &args.eval.settings())
        .with_context(|| format!("evaluating model {}", dir.display()))?;
    print!("{}", summary(&dir, &evaluation));
    Ok(())
}

// A stand-in until the model registry's resolver lands: swap this function for it.
/// The folder of model `id` under `models`; `latest` is the model whose `model.json` has the
/// newest `created` time (RFC 3339), ties broken by the larger id.
fn resolve_model_dir(models: &Path, id: &str) -> Result<PathBuf, churn::Error> {
    let not_found = || churn::Error::ModelNotFound {
        model_id: id.to_string(),
        dir: models.to_path_buf(),
    };
    if id != "latest" {
        let dir = models.join(id);
        let plain = !id.is_empty() && !id.contains(['/', '\\']) && id != "..";
        return if plain && dir.join(MODEL_FILE).is_file() {
            Ok(dir)
        } else {
            Err(not_found())
        };
    }
    let entries = std::fs::read_dir(models).map_err(|_| not_found())?;
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let text = std::fs::read_to_string(e.path().join(MODEL_FILE)).ok()?;
            let model: serde_json::Value = serde_json::from_str(&text).ok()?;
            let created =
                chrono::DateTime::parse_from_rfc3339(model.get("created")?.as_str()?).ok()?;
            Some((created, e.file_name(), e.path()))
        })
        .max_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)))
        .map(|(_, _, path)| path)
        .ok_or_else(not_found)
}

/// The metric table printed after an evaluation.
fn summary(dir: &Path, e: &Evaluation) -> String {
    let mut out = format!(
        "{}: {} rows, {} churners (base rate {:.1} %); 95 % bootstrap intervals from {} resamples, seed {}\n\n",
        dir.display(),
        e.n,
        e.positives,
        100.0 * e.base_rate,
        e.n_resamples,
        e.seed
    );
    out += &format!("  {:<24} {:>8}   95 % interval\n", "metric", "value");
    let rows: [(String, &MetricCi); 8] = [
        ("ROC AUC".into(), &e.roc_auc),
        ("PR AUC (avg precision)".into(), &e.pr_auc),
        ("log loss".into(), &e.log_loss),
        ("Brier score".into(), &e.brier),
        ("ECE (10 bins)".into(), &e.ece),
        ("top-decile lift".into(), &e.top_decile_lift),
        (
            format!("precision @ {}", e.capacity),
            &e.precision_at_capacity,
        ),
        (format!("recall @ {}", e.capacity), &e.recall_at_capacity),
    ];
    for (name, m) in rows {
        let interval = match (m.ci_low, m.ci_high) {
            (Some(lo), Some(hi)) => format!("[{lo:.4}, {hi:.4}]"),
            _ => "n/a".into(),
        };
        out += &format!("  {name:<24} {:>8.4}   {interval}\n", m.value);
    }
    out += &format!(
        "\nplots:   {}/ (PNG and SVG)\nmetrics: {}\n",
        plots_dir(dir).display(),
        dir.join(METRICS_FILE).display()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(root: &Path, id: &str, created: &str) {
        let dir = root.join(id);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(MODEL_FILE),
            format!(r#"{{"created": "{created}"}}"#),
        )
        .unwrap();
    }

    #[test]
    fn latest_is_the_newest_created_then_the_larger_id() {
        let root = tempfile::tempdir().unwrap();
        model(root.path(), "a", "2024-05-01T10:00:00Z");
        model(root.path(), "b", "2024-05-01T12:00:00+02:00");
        model(root.path(), "c", "2024-04-30T23:00:00Z");
        // b is 10:00Z, the same instant as a: the larger id wins.
        assert_eq!(
            resolve_model_dir(root.path(), "latest").unwrap(),
            root.path().join("b")
        );
        assert_eq!(
            resolve_model_dir(root.path(), "c").unwrap(),
            root.path().join("c")
        );
    }

    #[test]
    fn unknown_ids_are_model_not_found() {
        let root = tempfile::tempdir().unwrap();
        for id in ["latest", "nope", "../x"] {
            let err = resolve_model_dir(root.path(), id).unwrap_err();
            assert!(
                matches!(err, churn::Error::ModelNotFound { .. }),
                "{id}: {err}"
            );
        }
    }
}
