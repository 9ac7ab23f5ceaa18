//! `churn report`: a self-contained HTML and Markdown report of a registered model, with the
//! data it was trained on when given.

use std::path::{Path, PathBuf};

use anyhow::Context;
use churn::data::load::load_history_with;
use churn::features::tabular::{load_table, TabularOptions};
use churn::outcomes::{read_out, OutcomeSettings};
use churn::report::outreach::{changes_addendum, outcomes_addendum};
use churn::report::{build_report, write_report, LaterSections, ReportData};
use churn::score::changes::compare_lists;
use churn::score::read_list::read_list;
use churn::store::{guard_output, Registry};

use super::common::{refuse_folder_stdout, Bar, DataArgs};

/// Flags of `churn report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Model id, or `latest` for the most recently created model.
    #[arg(long, value_name = "ID|latest")]
    pub model: String,
    /// The model registry folder.
    #[arg(long, value_name = "DIR", default_value = "models")]
    pub models: PathBuf,
    /// The history the model was trained on (event mode): data summary, KPIs, distributions.
    #[command(flatten)]
    pub data: DataArgs,
    /// One-row-per-customer CSV the model was trained on (tabular mode).
    #[arg(long, value_name = "FILE", requires = "label", conflicts_with = "data")]
    pub table: Option<PathBuf>,
    /// Label column of --table.
    #[arg(long, value_name = "COL", requires = "table")]
    pub label: Option<String>,
    /// Customer id column of --table (default: the row number).
    #[arg(long, value_name = "COL", requires = "table")]
    pub id: Option<String>,
    /// The label value meaning "churned", when it is not one of the understood spellings.
    #[arg(long, value_name = "VALUE", requires = "label")]
    pub positive: Option<String>,
    /// An at-risk list CSV to preview [default: the model's latest list, if it was scored].
    #[arg(long, value_name = "FILE")]
    pub scores: Option<PathBuf>,
    /// The list before --scores: "Changes since the last list" compares the two.
    #[arg(long, value_name = "FILE", requires = "scores")]
    pub previous: Option<PathBuf>,
    /// An earlier list whose outcome window is in --data: the "Outcomes" section.
    #[arg(long, value_name = "FILE", requires = "data")]
    pub outcomes: Option<PathBuf>,
    /// Folder for <model_id>.html and <model_id>.md.
    #[arg(long, value_name = "DIR", default_value = "notebooks-export")]
    pub out: PathBuf,
}

/// Run `churn report`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let dir = Registry::new(&args.models).resolve(&args.model)?;
    refuse_folder_stdout(&args.out)?;
    let html = args.out.join(format!("{}.html", dir.id()));
    let mut inputs = match args.data.load_options()? {
        Some(opts) => opts.input_paths(),
        None => Vec::new(),
    };
    inputs.extend(
        args.table
            .iter()
            .chain(&args.scores)
            .chain(&args.previous)
            .chain(&args.outcomes)
            .cloned(),
    );
    let inputs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    for out in [html.clone(), html.with_extension("md")] {
        guard_output(&out, &inputs, Some(&args.models))?;
    }
    let bar = Bar::new();
    let data = report_data(&args, &bar)?;
    let later = later_sections(&args, &data)?;
    let report = build_report(&dir, &data, args.scores.as_deref(), &later, &bar)
        .with_context(|| format!("building the report of model {}", dir.id()))?;
    let (html, md) = write_report(&report, &args.out, dir.id())?;
    outln!("{}\n{}", html.display(), md.display());
    Ok(())
}

/// The outreach loop's sections: changes against `--previous`, outcomes of `--outcomes`.
fn later_sections(args: &Args, data: &ReportData) -> anyhow::Result<LaterSections> {
    let mut later = LaterSections::default();
    if let (Some(scores), Some(previous)) = (&args.scores, &args.previous) {
        let changes = compare_lists(
            &read_list(scores)?,
            &read_list(previous)?,
            churn::score::changes::TOP_RISERS,
        );
        later.changes = Some(changes_addendum(&changes));
    }
    if let (Some(path), ReportData::History(history)) = (&args.outcomes, data) {
        let list = read_list(path)?;
        let (_, model) = Registry::new(&args.models)
            .open(&list.model_id)
            .with_context(|| {
                format!(
                    "the outcomes list {} names model {}, which gives the horizon",
                    path.display(),
                    list.model_id
                )
            })?;
        let horizon_days = model.horizon_days.ok_or_else(|| {
            churn::Error::Usage(format!("model {} has no label horizon", model.model_id))
        })?;
        let settings = OutcomeSettings {
            horizon_days,
            definition: model.label_definition.unwrap_or_default(),
        };
        later.outcomes = Some(outcomes_addendum(&read_out(&list, history, settings)?)?);
    }
    Ok(later)
}

/// The history or table named on the command line, loaded.
fn report_data(args: &Args, bar: &Bar) -> anyhow::Result<ReportData> {
    if let Some(opts) = args.data.load_options()? {
        let history = load_history_with(&opts, bar)?;
        return Ok(ReportData::History(Box::new(history)));
    }
    let Some(path) = &args.table else {
        return Ok(ReportData::None);
    };
    let mut opts = TabularOptions::new();
    opts.label_column = args.label.clone();
    opts.id_column = args.id.clone();
    opts.positive = args.positive.clone();
    let table = load_table(path, &opts)?;
    Ok(ReportData::Table {
        path: path.clone(),
        table,
    })
}
