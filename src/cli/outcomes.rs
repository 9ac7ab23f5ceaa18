//! `churn outcomes`: did the plays work? A list written at as-of T read against what happened in
//! the following horizon: churn per tier and group with intervals, the uplift of outreach, the
//! revenue it kept and the list's calibration; a table on the terminal, JSON and a chart.

use churn::outcomes::{pct, points};
use std::path::PathBuf;

use churn::data::load::load_history_with;
use churn::error::Error;
use churn::outcomes::chart::outcomes_chart;
use churn::outcomes::{read_out, OutcomeSettings, Outcomes};
use churn::output::{json_bytes, write_output};
use churn::score::read_list::read_list;
use churn::store::{guard_output, Registry};

use super::common::{Bar, DataArgs, Definition};

/// Flags of `churn outcomes`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["data"])))]
pub struct Args {
    /// The at-risk list to read out (CSV, Parquet or JSON Lines, as `churn score` wrote it).
    #[arg(long, value_name = "FILE")]
    pub list: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Outcome window in days after the list's as-of date; default: the model's horizon.
    #[arg(long, value_name = "DAYS")]
    pub horizon: Option<u32>,
    /// Label definition; default: the model's.
    #[arg(long, value_enum)]
    pub definition: Option<Definition>,
    /// Model registry, where the list's model gives the horizon and the label definition.
    #[arg(long, value_name = "DIR", default_value = "models")]
    pub models: PathBuf,
    /// Write the readout as JSON (`-` for standard output, instead of the table).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the chart as `<STEM>.png` and `<STEM>.svg`.
    #[arg(long, value_name = "STEM")]
    pub chart: Option<PathBuf>,
}

/// Run `churn outcomes`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let load = args.data.required()?;
    let inputs = load.input_paths();
    let mut inputs: Vec<&std::path::Path> = inputs.iter().map(PathBuf::as_path).collect();
    inputs.push(&args.list);
    if let Some(json) = &args.json {
        guard_output(json, &inputs, Some(&args.models))?;
    }
    if let Some(stem) = &args.chart {
        for path in churn::plot::output_paths(stem) {
            guard_output(&path, &inputs, Some(&args.models))?;
        }
    }
    let list = read_list(&args.list)?;
    let settings = settings(&args, &list.model_id)?;
    let history = load_history_with(&load, &Bar::new())?;
    let outcomes = read_out(&list, &history, settings)?;
    if let Some(stem) = &args.chart {
        outcomes_chart(stem, &outcomes)?;
    }
    match &args.json {
        Some(path) => {
            let bytes = json_bytes(&outcomes)?;
            write_output(path, |w| {
                w.write_all(&bytes).map_err(|e| Error::io(path, e))
            })?
        }
        None => print_table(&outcomes)?,
    }
    if args.json.as_ref().is_some_and(|p| p.as_os_str() != "-") {
        print_table(&outcomes)?;
    }
    Ok(())
}

/// The horizon and definition: the flags', else the list's model's.
fn settings(args: &Args, model_id: &str) -> anyhow::Result<OutcomeSettings> {
    let model = match Registry::new(&args.models).open(model_id) {
        Ok((_, model)) => Some(model),
        Err(Error::ModelNotFound { .. }) if args.horizon.is_some() => None,
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!(
                "the list's model {model_id} gives the horizon: pass --models, or --horizon"
            )))
        }
    };
    let horizon = args
        .horizon
        .or(model.as_ref().and_then(|m| m.horizon_days))
        .ok_or_else(|| {
            Error::Usage(format!(
                "model {model_id} has no label horizon (a tabular model): pass --horizon"
            ))
        })?;
    if horizon == 0 || horizon > churn::features::snapshot::MAX_HORIZON_DAYS {
        return Err(Error::Usage(format!(
            "the horizon must be 1 to {} days, not {horizon}",
            churn::features::snapshot::MAX_HORIZON_DAYS
        ))
        .into());
    }
    Ok(OutcomeSettings {
        horizon_days: horizon,
        definition: args
            .definition
            .map(Into::into)
            .or(model.as_ref().and_then(|m| m.label_definition))
            .unwrap_or_default(),
    })
}

fn print_table(o: &Outcomes) -> anyhow::Result<()> {
    outln!(
        "outcomes of {} (model {}, as of {}): churn ({}) in the {} days to {}",
        o.list,
        o.model_id,
        o.as_of,
        o.label_definition.name(),
        o.horizon_days,
        o.window_end
    );
    outln!(
        "  {:<7} {:<9} {:>9} {:>8} {:>9}  {:<17}",
        "tier",
        "group",
        "customers",
        "churned",
        "rate",
        "95 % interval"
    );
    for r in &o.rows {
        outln!(
            "  {:<7} {:<9} {:>9} {:>8} {:>9}  {:<17}",
            r.tier,
            r.group,
            r.customers,
            r.churned,
            pct(r.churn_rate),
            format!("{} to {}", pct(r.ci_low), pct(r.ci_high))
        );
    }
    print_uplift(o)?;
    outln!("calibration (mean predicted vs observed):");
    for c in &o.calibration {
        outln!(
            "  {:<7} {:>9} {:>9} vs {:>9}  ({} customers)",
            c.tier,
            c.basis,
            pct(c.mean_probability),
            pct(c.observed_rate),
            c.customers
        );
    }
    Ok(())
}

/// The uplift per tier and the revenue kept, when the list has groups.
fn print_uplift(o: &Outcomes) -> anyhow::Result<()> {
    if !o.uplift.is_empty() {
        outln!("uplift (control rate - outreach rate, percentage points):");
        for u in &o.uplift {
            outln!(
                "  {:<7} {:>6}  ({} to {})   relative reduction {}",
                u.tier,
                points(u.value),
                points(u.ci_low),
                points(u.ci_high),
                match (u.relative_reduction, u.relative_ci_low, u.relative_ci_high) {
                    (Some(r), Some(lo), Some(hi)) =>
                        format!("{} ({} to {})", pct(Some(r)), pct(Some(lo)), pct(Some(hi))),
                    _ => "-".into(),
                }
            );
        }
    }
    if let Some(r) = &o.retained_revenue {
        outln!(
            "annual revenue kept by outreach: {:.0} ({:.0} to {:.0})",
            r.value,
            r.ci_low,
            r.ci_high
        );
    }
    Ok(())
}
