//! `churn models`: list the registry or show one model's file.

use std::path::PathBuf;

use churn::store::Registry;

/// Flags of `churn models`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: ModelsCommand,
}

/// What to do with the registry.
#[derive(Debug, clap::Subcommand)]
pub enum ModelsCommand {
    /// One line per model, oldest first: id, created, mode, horizon, holdout ROC AUC.
    List {
        /// Model registry folder.
        #[arg(long, value_name = "DIR", default_value = "models")]
        models: PathBuf,
    },
    /// Print a model's model file (JSON).
    Show {
        /// Model id, or `latest`.
        #[arg(value_name = "ID|latest")]
        id: String,
        /// Model registry folder.
        #[arg(long, value_name = "DIR", default_value = "models")]
        models: PathBuf,
    },
}

/// Run `churn models`.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        ModelsCommand::List { models } => list(&models),
        ModelsCommand::Show { id, models } => {
            let (_, model) = Registry::new(models).open(&id)?;
            outln!("{}", serde_json::to_string_pretty(&model)?);
            Ok(())
        }
    }
}

fn list(models: &std::path::Path) -> anyhow::Result<()> {
    let summaries = Registry::new(models).list()?;
    if summaries.is_empty() {
        log::info!("no models in {}", models.display());
        return Ok(());
    }
    outln!(
        "{:<26} {:<24} {:<8} {:>7} {:>11}",
        "model_id",
        "created",
        "mode",
        "horizon",
        "holdout_auc"
    );
    for s in summaries {
        let horizon = s.horizon_days.map_or("-".to_string(), |h| h.to_string());
        let auc = s.holdout_auc.map_or("-".to_string(), |a| format!("{a:.4}"));
        outln!(
            "{:<26} {:<24} {:<8} {:>7} {:>11}",
            s.model_id,
            s.created,
            s.mode,
            horizon,
            auc
        );
    }
    Ok(())
}
