//! `churn run`: the nightly job as one command and one load of the tables. It retrains when the
//! data holds a month of complete labels that the current model has not seen (or when the
//! training settings changed), registers that model, and scores tonight's list from the same
//! load; other nights it is `churn score --model latest`.

use std::path::PathBuf;
use std::sync::Arc;

use churn::data::load::load_history_with;
use churn::features::snapshot::{default_cutoffs, training_snapshots};
use churn::features::LabelDefinition;
use churn::model::params::{Terms, ValidTrainParams};
use churn::model::train::train_with;
use churn::model::{ChurnModel, Mode, TrainParams};
use churn::output::is_stdout;
use churn::score::job::{run_checked, Checked, Loaded, ScoreInput, ScoreJob};
use churn::store::Registry;
use churn::time::{self, Day};

use super::common::{now, parse_date, Bar, CacheArgs, DataArgs, Definition};
use super::score::{log_report, ListArgs};
use super::train::{print_summary, TermsArg};

/// Flags of `churn run`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["data"])))]
pub struct Args {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Tonight's date: the population at it is scored, features see only rows before it.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Day,
    /// Model registry folder: the newest model is the current one, a retrained one is added.
    #[arg(long, value_name = "DIR", default_value = "models")]
    pub models: PathBuf,
    /// `auto`: retrain when the data has a newer complete month of labels than the current
    /// model was trained on, when its settings differ from these flags, or when there is no
    /// model; `always`; `never` (score with the current model).
    #[arg(long, value_enum, default_value_t = Retrain::Auto)]
    pub retrain: Retrain,
    /// Label horizon in days, for training.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub horizon: u32,
    /// What counts as churn, for training.
    #[arg(long, value_enum, default_value = "cancellation")]
    pub definition: Definition,
    /// Seed of the fold shuffle, for training.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Numeric terms, for training (as `churn train --terms`).
    #[arg(long, value_enum, default_value_t = TermsArg::Search)]
    pub terms: TermsArg,
    #[command(flatten)]
    pub list: ListArgs,
}

/// `--retrain` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Retrain {
    Auto,
    Always,
    Never,
}

/// Run `churn run`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let mut load = args.data.required()?;
    // Used on nights that only score: a retraining load reads every row.
    load.cache = args.cache.cache.clone();
    let registry = Registry::new(&args.models);
    let definition = LabelDefinition::from(args.definition);
    let params = run_params(
        Some(args.horizon),
        Some(definition),
        args.seed,
        args.terms.into(),
    )
    .check()?;
    // The outputs and the previous list are checked before anything is loaded, trained or
    // registered.
    let tonight = ScoreInput::History {
        load: Box::new(load.clone()),
        as_of: args.as_of,
    };
    let mut job = args.list.job(registry.clone(), "latest".into(), tonight)?;
    let checked = job.preflight()?;
    let current = match args.retrain {
        Retrain::Always => None,
        Retrain::Auto | Retrain::Never => current_model(&registry)?,
    };
    let due = match (args.retrain, &current) {
        (Retrain::Never, None) => {
            return Err(churn::Error::ModelNotFound {
                model_id: "latest".into(),
                dir: args.models.clone(),
            }
            .into())
        }
        (Retrain::Never, Some(_)) => None,
        (Retrain::Always, _) => Some("--retrain always".to_string()),
        (Retrain::Auto, None) => Some(format!("no model in {} yet", args.models.display())),
        (Retrain::Auto, Some(m)) => stale(m, &params, args.as_of)?,
    };
    let Some(why) = due else {
        let m = current.expect("scoring without retraining needs the current model");
        log::info!(
            "model {} is current (newest cutoff {}): scoring only",
            m.model_id,
            newest_cutoff(&m).map_or("none".into(), time::format_day)
        );
        job.model = m.model_id;
        return score(&job, checked);
    };
    log::info!("{why}: loading the whole history to retrain");
    let bar = Bar::new();
    let t0 = std::time::Instant::now();
    let history = Arc::new(load_history_with(&load, &bar)?);
    let load_s = t0.elapsed().as_secs_f64();
    // Only cutoffs whose labels are known by tonight: a run at an earlier date over fuller data
    // (a backtest) must not train on what came after it.
    let cutoffs: Vec<Day> = default_cutoffs(&history, args.horizon)
        .into_iter()
        .filter(|&t| t + args.horizon as Day <= args.as_of)
        .collect();
    let newest = cutoffs.last().copied();
    // No newer cutoff than the current model's (or none at all by tonight): keep it.
    let unchanged = match &current {
        Some(m) if args.retrain == Retrain::Auto && m.train_params == params => {
            newest.is_none_or(|n| newest_cutoff(m).is_some_and(|c| n <= c))
        }
        _ => false,
    };
    if newest.is_none() && !unchanged {
        return Err(churn::Error::Usage(format!(
            "no training cutoff has complete labels by {}: a cutoff needs {} days of labels \
             after it and 90 days of history before it",
            time::format_day(args.as_of),
            args.horizon
        ))
        .into());
    }
    job.model = match (unchanged, current) {
        (true, Some(m)) => {
            log::info!(
                "the data has no complete month after {} (its labels need {} days after a \
                 cutoff): scoring with {}",
                newest_cutoff(&m).map_or("none".into(), time::format_day),
                args.horizon,
                m.model_id
            );
            m.model_id
        }
        _ => {
            log::info!("retraining");
            let table =
                training_snapshots(&history, Some(&cutoffs), args.horizon, definition, &bar)?;
            let created = now()?;
            let mut outcome = train_with(&table, &params, &bar)?;
            drop(table);
            let dir = registry.save(&mut outcome, created)?;
            if is_stdout(&job.out) || job.summary_json.as_deref().is_some_and(is_stdout) {
                // The list or the JSON summary is standard output: the text must not mix in.
                log::info!(
                    "trained {} into {}",
                    outcome.model.model_id,
                    dir.path().display()
                );
            } else {
                print_summary(&outcome, dir.path(), false)?;
            }
            outcome.model.model_id
        }
    };
    job.input = ScoreInput::Loaded {
        history: Loaded(history),
        as_of: args.as_of,
        inputs: load.input_paths(),
        load_s,
    };
    score(&job, checked)
}

/// Score, report, and raise the drift alarm after the list is written.
fn score(job: &ScoreJob, checked: Checked) -> anyhow::Result<()> {
    let report = run_checked(job, checked, &Bar::new())?;
    log_report(&report);
    report.drift_alarm()?;
    Ok(())
}

/// The registry's newest model, `None` when there is none. A model file that cannot be read
/// stops the run: which model is current would be unknown.
fn current_model(registry: &Registry) -> anyhow::Result<Option<ChurnModel>> {
    match registry.open("latest") {
        Ok((_, model)) => Ok(Some(model)),
        Err(churn::Error::ModelNotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The newest snapshot cutoff `model` learnt from (its holdout cutoff, in event mode).
fn newest_cutoff(model: &ChurnModel) -> Option<Day> {
    model
        .training_cutoffs
        .iter()
        .chain(model.holdout_cutoff.as_ref())
        .filter_map(|c| time::parse_iso_day(c))
        .max()
}

/// The training settings `churn run` has flags for; everything else at its default.
fn run_params(
    horizon: Option<u32>,
    definition: Option<LabelDefinition>,
    seed: u64,
    terms: Terms,
) -> TrainParams {
    let mut params = TrainParams::new().seed(seed).terms(terms);
    if let Some(h) = horizon {
        params = params.horizon_days(h);
    }
    if let Some(d) = definition {
        params = params.label_definition(d);
    }
    params
}

/// Why the current model should be retrained before scoring at `as_of`, or `None`. Judged before
/// loading, from the dates alone: the newest cutoff whose labels can be complete by `as_of` is
/// the latest month start at least `horizon` days before it (with data through the day before,
/// that month is complete a night later: the load then finds no new cutoff in the data's actual
/// end, [`default_cutoffs`], and scores with the current model).
///
/// # Errors
/// `Usage` for an event model trained with settings `churn run` has no flag for (the leak
/// guard, level limits, sample rates): retraining with the defaults would drop them silently.
/// A tabular model is replaced by an event one instead.
fn stale(
    model: &ChurnModel,
    params: &ValidTrainParams,
    as_of: Day,
) -> anyhow::Result<Option<String>> {
    if model.mode != Mode::Event {
        return Ok(Some(format!(
            "the newest model {} is a tabular one",
            model.model_id
        )));
    }
    let p = &model.train_params;
    let expressible = run_params(p.horizon_days(), p.label_definition(), p.seed(), p.terms());
    if &expressible.check()? != p {
        return Err(churn::Error::Usage(format!(
            "model {} was trained with settings churn run does not set (the leak guard, level \
             limits or sample rates): retrain it with churn train, or replace it with the \
             defaults by --retrain always",
            model.model_id
        ))
        .into());
    }
    if p != params {
        return Ok(Some(format!(
            "model {} was trained with other settings (horizon, definition, seed or terms)",
            model.model_id
        )));
    }
    let horizon = params.horizon_days().unwrap_or(30) as Day;
    let possible = time::month_start(as_of - horizon);
    Ok(match newest_cutoff(model) {
        Some(c) if c >= possible => None,
        Some(c) => Some(format!(
            "model {} learnt up to the {} cutoff; labels of {} are complete",
            model.model_id,
            time::format_day(c),
            time::format_day(possible)
        )),
        None => Some(format!("model {} records no cutoffs", model.model_id)),
    })
}
