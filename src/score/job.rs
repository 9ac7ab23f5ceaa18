//! The nightly job as one library call: [`run_job`] opens the model, checks it fits the input,
//! builds the features at the as-of date (or reads a table), scores, writes the list (and the
//! preview beside the model) and the monitoring summary, and reports what it did.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use crate::data::history::History;
use crate::data::load::{load_history_with, LoadOptions};
use crate::error::{Error, Result};
use crate::features::build_features_with;
use crate::features::tabular::{load_table, TabularOptions};
use crate::frame::{ColumnValues, FeatureTable};
use crate::model::{ChurnModel, FeatureKind, Mode, RiskTier};
use crate::output::{absolute, is_stdout, json_bytes, write_output};
use crate::progress::{Progress, Silent};
use crate::store::{guard_output, ModelDir, Registry};
use crate::time::{self, Day};

use super::batch::{
    change_reasons, score, Capacity, FeatureDrift, RankBy, ScoreSettings, Scored, TierCounts,
    PSI_WARN,
};
use super::changes::{apply_changes, summarise, ChangesSummary};
use super::groups::{ControlGroups, Group};
use super::list::{write_list, AtRiskList, ListFormat};
use super::read_list::{read_list, ListFile};

/// Rows of the last list kept beside the model for the report's preview.
pub const PREVIEW_ROWS: usize = 20;

/// What to score.
#[derive(Debug, Clone)]
pub enum ScoreInput {
    /// The population at `as_of` in a history folder (event mode).
    History {
        /// Where and how to load the tables.
        load: Box<LoadOptions>,
        /// Features see only rows before this day.
        as_of: Day,
    },
    /// The population at `as_of` in a history already loaded (`churn run` trains and scores from
    /// one load): the same features and list as [`ScoreInput::History`] of the same tables.
    Loaded {
        /// The whole history, or at least its rows from the earliest date the job reads.
        history: Loaded,
        /// Features see only rows before this day.
        as_of: Day,
        /// The files it was read from, which no output may replace.
        inputs: Vec<PathBuf>,
        /// Seconds its load took, for the summary's timings.
        load_s: f64,
    },
    /// A one-row-per-customer table (tabular mode).
    Table {
        /// The CSV file.
        path: PathBuf,
        /// Its customer id column (default: the row number).
        id_column: Option<String>,
    },
}

impl ScoreInput {
    /// The kind of model that can score this input.
    pub fn mode(&self) -> Mode {
        match self {
            ScoreInput::History { .. } | ScoreInput::Loaded { .. } => Mode::Event,
            ScoreInput::Table { .. } => Mode::Tabular,
        }
    }
}

/// A loaded history shared with the caller; its `Debug` is one line, not a million rows.
#[derive(Clone)]
pub struct Loaded(pub Arc<History>);

impl std::fmt::Debug for Loaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Loaded({} customers)", self.0.customers.ids.len())
    }
}

/// Which earlier list the changes are measured against.
#[derive(Debug, Clone, PartialEq)]
pub enum Previous {
    /// This list file (CSV, Parquet or JSON Lines); it must exist.
    File(PathBuf),
    /// The list the job is about to replace at its output path; a first run, with no file
    /// there yet, has every customer new.
    Last,
}

/// One scoring run: which model, what input, where the list goes.
#[derive(Debug, Clone)]
pub struct ScoreJob {
    /// The model registry.
    pub registry: Registry,
    /// Model id, or `latest`.
    pub model: String,
    /// What to score.
    pub input: ScoreInput,
    /// The list's path, written atomically.
    pub out: PathBuf,
    /// The list's format.
    pub format: ListFormat,
    /// Mark the top of the list within this capacity high instead of the model's thresholds.
    pub capacity: Option<Capacity>,
    /// The list's order.
    pub rank_by: RankBy,
    /// Hold back a share of the customers as a control group (the `group` column).
    pub control: Option<ControlGroups>,
    /// Leave the control group out of the written list (the summary still counts them).
    pub outreach_only: bool,
    /// Measure changes against an earlier list (the change columns).
    pub previous: Option<Previous>,
    /// Write one list per account owner (the customers table's `owner`) into the folder `out`,
    /// each ranked and tiered on its own, the capacity applying per owner.
    pub split_by_owner: bool,
    /// Where to write the monitoring summary as JSON, if anywhere.
    pub summary_json: Option<PathBuf>,
    /// The drift alarm: the largest PSI any feature may have.
    pub max_psi: Option<f64>,
    /// Prefix CSV text cells that would start a spreadsheet formula with `'`.
    pub excel_safe: bool,
    /// The table's column of monthly revenue (tabular mode); default: `monthly_revenue`.
    pub revenue_column: Option<String>,
    /// Append `days_to_renewal` and `contact_by` after the contract's eleven columns.
    pub timing: bool,
}

/// What a scoring run did.
#[derive(Debug, Clone)]
pub struct JobReport {
    /// The monitoring summary (also written to `summary_json` when asked).
    pub summary: ScoreSummary,
}

impl JobReport {
    /// Warn about every feature above PSI 0.1; the drift error when one exceeds `max_psi`.
    ///
    /// # Errors
    /// `Drift`, after the list was written.
    pub fn drift_alarm(&self) -> Result<()> {
        check_drift(&self.summary.psi, self.summary.max_psi)
    }
}

/// Run a scoring job, reporting progress nowhere.
///
/// # Errors
/// As [`run_job_with`].
pub fn run_job(job: &ScoreJob) -> Result<JobReport> {
    run_job_with(job, &Silent)
}

/// Run a scoring job: nothing is written unless everything before the writing succeeded, and
/// each output appears whole or not at all. The drift alarm is left to
/// [`JobReport::drift_alarm`], so the caller can report the run first.
///
/// # Errors
/// `Usage` for a negative or NaN `max_psi`; `ModelNotFound`/`ModelMismatch` for the model or a
/// model of the other mode; load and feature errors; I/O errors writing the list.
pub fn run_job_with(job: &ScoreJob, progress: &dyn Progress) -> Result<JobReport> {
    let checked = job.preflight()?;
    run_checked(job, checked, progress)
}

/// What [`ScoreJob::preflight`] found: the job passed its checks, and the previous list, read
/// once.
#[derive(Debug)]
pub struct Checked {
    previous: Option<ListFile>,
}

/// [`run_job_with`] after [`ScoreJob::preflight`] has passed: a caller that does work between
/// the two (`churn run` trains) reads the previous list once.
///
/// # Errors
/// As [`run_job_with`], but for the preflight's.
pub fn run_checked(job: &ScoreJob, checked: Checked, progress: &dyn Progress) -> Result<JobReport> {
    let previous = checked.previous;
    let (dir, model) = job.registry.open(&job.model)?;
    check_mode(&model, job.input.mode())?;
    // A history loaded before the job: its load counts as the first step.
    let loaded_before = match &job.input {
        ScoreInput::Loaded { load_s, .. } => std::time::Duration::from_secs_f64(*load_s),
        _ => std::time::Duration::ZERO,
    };
    let t0 = Instant::now()
        .checked_sub(loaded_before)
        .unwrap_or_else(Instant::now);
    let earlier = previous.as_ref().and_then(|p| p.as_of);
    let (table, history, load_s) = features(job, &model, earlier, progress)?;
    // Owners and change reasons read the history again; without them it is freed here, before
    // the list is built (at 1M customers it is most of the memory in use).
    let history = history.filter(|_| job.split_by_owner || job.previous.is_some());
    if table.n_rows() == 0 {
        return Err(empty_population(&job.input));
    }
    check_revenue_needs(job, &model, &table)?;
    let features_done = t0.elapsed().as_secs_f64();
    crate::util::log_memory("features");
    if job.split_by_owner {
        let (scored, owners) = split_by_owner(job, &model, &table, history.as_deref())?;
        let score_done = t0.elapsed().as_secs_f64();
        write_owner_lists(job, &owners)?;
        let mut summary = ScoreSummary::new(&model, &scored, job);
        summary.owners = Some(
            owners
                .iter()
                .map(|(o, s)| OwnerList::new(o.as_deref(), s, job))
                .collect(),
        );
        summary.timings = timings(load_s, features_done, score_done, t0);
        return finish(job, summary);
    }
    let mut scored = score(&model, &table, &job.settings())?;
    let changes = match &job.previous {
        Some(_) => Some(changes(
            &mut scored.list,
            previous.as_ref(),
            &model,
            &table,
            history.as_deref(),
            progress,
            job.outreach_only,
        )?),
        None => None,
    };
    let score_done = t0.elapsed().as_secs_f64();
    crate::util::log_memory("scoring");
    write_outputs(&scored.list, job, &dir)?;
    crate::util::log_memory("writing");
    let mut summary = ScoreSummary::new(&model, &scored, job);
    summary.changes = changes;
    summary.timings = timings(load_s, features_done, score_done, t0);
    finish(job, summary)
}

fn timings(load_s: f64, features_done: f64, score_done: f64, t0: Instant) -> Timings {
    Timings {
        load_s,
        features_s: features_done - load_s,
        score_s: score_done - features_done,
        write_s: t0.elapsed().as_secs_f64() - score_done,
    }
}

/// Write the summary when asked and report the run.
fn finish(job: &ScoreJob, summary: ScoreSummary) -> Result<JobReport> {
    if let Some(path) = &job.summary_json {
        let bytes = json_bytes(&summary)?;
        write_output(path, |w| {
            w.write_all(&bytes).map_err(|e| Error::io(path, e))
        })?;
    }
    Ok(JobReport { summary })
}

impl ScoreJob {
    /// What the job checks before any work: its settings, its outputs, and the previous list
    /// (kept for [`run_checked`]). `churn run` calls it before it trains, so a job that would
    /// fail registers no model.
    ///
    /// # Errors
    /// `Usage` for a negative or NaN `max_psi` or an output that would replace an input; the
    /// previous list's read errors.
    pub fn preflight(&self) -> Result<Checked> {
        if let Some(x) = self.max_psi.filter(|x| !(x.is_finite() && *x >= 0.0)) {
            return Err(Error::Usage(format!(
                "the maximum PSI must be a number >= 0, not {x}"
            )));
        }
        self.check_outputs()?;
        Ok(Checked {
            previous: self.read_previous()?,
        })
    }

    /// The scoring settings of this job.
    fn settings(&self) -> ScoreSettings {
        ScoreSettings {
            capacity: self.capacity,
            revenue_column: self.revenue_column.clone(),
            timing: self.timing,
            control: self.control.clone(),
            rank_by: self.rank_by,
        }
    }

    /// The previous list, read before any work so a bad one fails the run early.
    fn read_previous(&self) -> Result<Option<ListFile>> {
        match &self.previous {
            None => Ok(None),
            Some(Previous::File(path)) => read_list(path).map(Some),
            Some(Previous::Last) if is_stdout(&self.out) => Err(Error::Usage(
                "the last list is the one at the output path, and standard output keeps none"
                    .into(),
            )),
            Some(Previous::Last) if self.out.exists() => read_list(&self.out).map(Some),
            Some(Previous::Last) => {
                log::info!(
                    "no previous list at {} yet: every customer is new",
                    self.out.display()
                );
                Ok(None)
            }
        }
    }

    /// Refuse outputs that would replace this run's input, anything inside the registry, or
    /// something that is not a regular file, before any work is done.
    fn check_outputs(&self) -> Result<()> {
        let inputs = match &self.input {
            ScoreInput::History { load, .. } => load.input_paths(),
            ScoreInput::Loaded { inputs, .. } => inputs.clone(),
            ScoreInput::Table { path, .. } => vec![path.clone()],
        };
        let inputs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
        if let Some(summary) = &self.summary_json {
            if absolute(summary) == absolute(&self.out) && !is_stdout(&self.out) {
                return Err(Error::Usage(format!(
                    "the list and the summary would both be {}",
                    self.out.display()
                )));
            }
        }
        if self.split_by_owner {
            self.check_split(&inputs)?;
        } else {
            guard_output(&self.out, &inputs, Some(self.registry.root()))?;
        }
        if let Some(out) = &self.summary_json {
            guard_output(out, &inputs, Some(self.registry.root()))?;
        }
        Ok(())
    }

    /// A split run writes a folder: it may hold no input and lie outside the registry.
    fn check_split(&self, inputs: &[&Path]) -> Result<()> {
        if matches!(self.input, ScoreInput::Table { .. }) {
            return Err(Error::Usage(
                "splitting by owner needs the history tables: owner is a customers column".into(),
            ));
        }
        if self.previous.is_some() {
            return Err(Error::Usage(
                "changes are measured on the whole list: score it with the previous list, \
                 then split, or split without changes"
                    .into(),
            ));
        }
        if is_stdout(&self.out) {
            return Err(Error::Usage(
                "a split writes a folder of lists, not standard output".into(),
            ));
        }
        let out = absolute(&self.out);
        let root = absolute(self.registry.root());
        for input in inputs.iter().map(|p| absolute(p)).chain([root]) {
            if out.starts_with(&input) || input.starts_with(&out) {
                return Err(Error::Usage(format!(
                    "the folder of lists {} would hold or land on {}",
                    self.out.display(),
                    input.display()
                )));
            }
        }
        Ok(())
    }
}

/// The file name of an owner's list: the owner with anything but letters, digits, `.`, `-`
/// and `_` replaced by `_` (customers without an owner are `(unassigned)`, a name no owner's
/// file can have).
fn owner_file(owner: Option<&str>, format: ListFormat) -> String {
    let Some(owner) = owner else {
        return format!("{UNASSIGNED}.{}", extension(format));
    };
    let mut stem: String = owner
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if stem.starts_with('.') {
        stem.insert(0, '_');
    }
    format!("{stem}.{}", extension(format))
}

fn extension(format: ListFormat) -> &'static str {
    match format {
        ListFormat::Csv => "csv",
        ListFormat::Parquet => "parquet",
        ListFormat::Jsonl => "jsonl",
    }
}

/// One owner's scored list (`None`: the customers without an owner).
type OwnerScored = (Option<String>, Scored);

/// The file stem of the customers without an owner in a split (parentheses: no owner's name
/// maps to it).
pub const UNASSIGNED: &str = "(unassigned)";

/// Score each owner's customers as a list of its own; also the whole run for the summary.
fn split_by_owner(
    job: &ScoreJob,
    model: &ChurnModel,
    table: &FeatureTable,
    history: Option<&History>,
) -> Result<(Scored, Vec<OwnerScored>)> {
    let history = history.ok_or_else(|| Error::Usage("splitting needs the history".into()))?;
    let owner_of: rustc_hash::FxHashMap<&str, Option<&str>> = history
        .customers
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let owner = history.customers.owner.get(i);
            (id.as_str(), owner.filter(|o| !o.trim().is_empty()))
        })
        .collect();
    let mut rows: std::collections::BTreeMap<Option<&str>, Vec<usize>> = Default::default();
    for (i, id) in table.ids.iter().enumerate() {
        let owner = owner_of.get(id.as_str()).copied().flatten();
        rows.entry(owner).or_default().push(i);
    }
    let mut files: std::collections::BTreeMap<String, Option<&str>> = Default::default();
    for &owner in rows.keys() {
        if let Some(other) = files.insert(owner_file(owner, job.format), owner) {
            return Err(Error::BadData(format!(
                "owners {other:?} and {owner:?} would share the list file {}",
                owner_file(owner, job.format)
            )));
        }
    }
    let settings = job.settings();
    let owners = rows
        .into_iter()
        .map(|(owner, idx)| {
            Ok((
                owner.map(String::from),
                score(model, &table.take(&idx), &settings)?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut whole = owners[0].1.clone();
    whole.list.rows = owners
        .iter()
        .flat_map(|(_, s)| s.list.rows.clone())
        .collect();
    whole.tiers = TierCounts::of(&whole.list.rows);
    whole.total_revenue_at_risk = owners.iter().map(|(_, s)| s.total_revenue_at_risk).sum();
    whole.psi = super::batch::drift(model, table);
    Ok((whole, owners))
}

/// Write every owner's list into the output folder, all or none.
fn write_owner_lists(job: &ScoreJob, owners: &[OwnerScored]) -> Result<()> {
    crate::output::write_folder_atomic(&job.out, |dir| {
        for (owner, scored) in owners {
            let path = dir.join(owner_file(owner.as_deref(), job.format));
            let list = as_written(&scored.list, job.outreach_only);
            write_list(&list, &path, job.format, job.excel_safe)?;
        }
        Ok(())
    })
}

/// One owner's list in a split run.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerList {
    /// `None` for the customers without an owner.
    pub owner: Option<String>,
    pub file: String,
    pub customers: usize,
    pub tiers: TierCounts,
    pub total_revenue_at_risk: f64,
}

impl OwnerList {
    fn new(owner: Option<&str>, scored: &Scored, job: &ScoreJob) -> Self {
        OwnerList {
            owner: owner.map(String::from),
            file: owner_file(owner, job.format),
            customers: scored.list.rows.len(),
            tiers: scored.tiers.clone(),
            total_revenue_at_risk: scored.total_revenue_at_risk,
        }
    }
}

/// Nobody to score: an as-of date before every signup or after everyone left, or an empty table.
fn empty_population(input: &ScoreInput) -> Error {
    match input {
        ScoreInput::History { as_of, .. } | ScoreInput::Loaded { as_of, .. } => {
            Error::BadData(format!(
            "no customer is in the population at {} (signed up before it, not churned before it)",
            time::format_day(*as_of)
        ))
        }
        ScoreInput::Table { path, .. } => Error::EmptyTable {
            table: path.display().to_string(),
            reason: "no rows to score".into(),
        },
    }
}

/// The feature rows to score and the seconds spent loading. The history keeps only the events and
/// tickets that features as of `as_of` (and of the `earlier` list's date, for change reasons) read.
fn features(
    job: &ScoreJob,
    model: &ChurnModel,
    earlier: Option<Day>,
    progress: &dyn Progress,
) -> Result<(FeatureTable, Option<Arc<History>>, f64)> {
    let t0 = Instant::now();
    match &job.input {
        ScoreInput::History { load, as_of } => {
            let mut load = load.as_ref().clone();
            load.features_from = Some(earlier.map_or(*as_of, |e| e.min(*as_of)));
            let history = load_history_with(&load, progress)?;
            let load_s = t0.elapsed().as_secs_f64();
            crate::util::log_memory("loading");
            let table = features_at(model, &history, *as_of, progress)?;
            Ok((table, Some(Arc::new(history)), load_s))
        }
        ScoreInput::Loaded {
            history,
            as_of,
            load_s,
            ..
        } => {
            let table = features_at(model, &history.0, *as_of, progress)?;
            Ok((table, Some(Arc::clone(&history.0)), *load_s))
        }
        ScoreInput::Table { path, id_column } => {
            let mut opts = TabularOptions::new();
            opts.id_column = id_column.clone();
            // Read as text what the model learnt as categories (integer-coded ones included).
            opts.categorical = model
                .source_features
                .iter()
                .filter(|f| f.kind == FeatureKind::Categorical)
                .map(|f| f.name.clone())
                .collect();
            let table = load_table(path, &opts)?;
            check_revenue(job, &table, path)?;
            Ok((table, None, 0.0))
        }
    }
}

/// A revenue column asked for must be a numeric column of the table.
fn check_revenue(job: &ScoreJob, table: &FeatureTable, path: &Path) -> Result<()> {
    let Some(name) = &job.revenue_column else {
        return Ok(());
    };
    match table.column(name).map(|c| &c.values) {
        Some(ColumnValues::Numeric(_)) => Ok(()),
        Some(ColumnValues::Categorical(_)) => Err(Error::BadValue {
            table: path.display().to_string(),
            column: name.clone(),
            row: "every row".into(),
            value: String::new(),
            reason: "the revenue column must hold numbers".into(),
        }),
        None => Err(Error::MissingColumn {
            table: path.display().to_string(),
            column: name.clone(),
            found: table.feature_names().join(", "),
        }),
    }
}

/// Ranking or a capacity by revenue needs a revenue for every row.
fn check_revenue_needs(job: &ScoreJob, model: &ChurnModel, table: &FeatureTable) -> Result<()> {
    let by_revenue =
        job.rank_by == RankBy::RevenueAtRisk || matches!(job.capacity, Some(Capacity::Revenue(_)));
    let column = job
        .revenue_column
        .as_deref()
        .unwrap_or(crate::schema::feature::MONTHLY_REVENUE);
    let has = matches!(
        table.column(column).map(|c| &c.values),
        Some(ColumnValues::Numeric(_))
    );
    if by_revenue && !has {
        return Err(Error::Usage(format!(
            "ranking or a capacity by revenue at risk needs a revenue column; the input to model \
             {} has no numeric {column}",
            model.model_id
        )));
    }
    Ok(())
}

/// Fill the change columns against `previous` and summarise them. With the history, why each
/// score moved comes from the same customers' features at the previous list's as-of date,
/// scored by this model (a tabular list has no earlier features: no change reasons).
fn changes(
    list: &mut AtRiskList,
    previous: Option<&ListFile>,
    model: &ChurnModel,
    table: &FeatureTable,
    history: Option<&History>,
    progress: &dyn Progress,
    outreach_only: bool,
) -> Result<ChangesSummary> {
    let earlier = match (previous.and_then(|p| p.as_of), history) {
        (Some(day), Some(history)) => {
            let now = table.as_of.first().copied().flatten();
            if let Some(now) = now.filter(|&now| day > now) {
                return Err(Error::Usage(format!(
                    "the previous list is as of {}, after this list's {}",
                    time::format_day(day),
                    time::format_day(now)
                )));
            }
            Some(features_at(model, history, day, progress)?)
        }
        _ => None,
    };
    let reasons = match &earlier {
        Some(before) => change_reasons(model, table, before)?,
        None => vec![None; table.n_rows()],
    };
    let row_of: rustc_hash::FxHashMap<&str, usize> = table
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let ids: Vec<String> = list.rows.iter().map(|r| r.customer_id.clone()).collect();
    apply_changes(list, previous, |k| {
        row_of
            .get(ids[k].as_str())
            .and_then(|&i| reasons[i].clone())
    });
    // Summarise the list as written: an outreach-only list (and so its previous night) has no
    // control customers.
    Ok(summarise(&as_written(list, outreach_only), previous))
}

/// The list as it is written: without the control group when `outreach_only`.
fn as_written(list: &AtRiskList, outreach_only: bool) -> std::borrow::Cow<'_, AtRiskList> {
    if outreach_only {
        std::borrow::Cow::Owned(list.filtered(|r| r.group != Some(Group::Control)))
    } else {
        std::borrow::Cow::Borrowed(list)
    }
}

/// Refuse a model that cannot score this kind of input.
///
/// # Errors
/// `ModelMismatch` when an event-mode model meets a table or the other way round.
pub fn check_mode(model: &ChurnModel, input: Mode) -> Result<()> {
    if model.mode == input {
        return Ok(());
    }
    let what = match input {
        Mode::Event => "history tables",
        Mode::Tabular => "a table",
    };
    Err(Error::ModelMismatch {
        model_id: model.model_id.clone(),
        reason: format!(
            "it was trained in {} mode and cannot score {what}",
            model.mode
        ),
    })
}

/// The feature rows of everyone in the population at `as_of`, with the model's horizon.
///
/// # Errors
/// Feature errors; a warning (not an error) when `as_of` is far past the data.
pub fn features_at(
    model: &ChurnModel,
    history: &History,
    as_of: Day,
    progress: &dyn Progress,
) -> Result<FeatureTable> {
    let lag_days = (time::day_start(as_of) - history.data_end) / time::SECS_PER_DAY;
    if lag_days > 7 {
        log::warn!(
            "as-of {} is {lag_days} days after the latest data: recency features will look stale",
            time::format_day(as_of)
        );
    }
    build_features_with(history, &model.feature_spec(vec![as_of])?, progress)
}

/// Wall time of each step, in seconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub load_s: f64,
    pub features_s: f64,
    pub score_s: f64,
    pub write_s: f64,
}

/// The monitoring summary of one scoring run.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreSummary {
    pub model_id: String,
    pub as_of: Option<String>,
    pub population: usize,
    pub tiers: TierCounts,
    /// The capacity in customers, when given.
    pub capacity: Option<usize>,
    /// The capacity in revenue at risk, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity_revenue: Option<f64>,
    pub rank_by: RankBy,
    pub total_revenue_at_risk: f64,
    /// With control groups: the campaign and its groups per tier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control: Option<ControlSummary>,
    /// With a previous list: what changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<ChangesSummary>,
    /// Split by owner: each owner's list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owners: Option<Vec<OwnerList>>,
    pub psi: Vec<FeatureDrift>,
    /// Features with PSI above 0.1.
    pub drifted: Vec<String>,
    pub max_psi: Option<f64>,
    pub output: String,
    pub timings: Timings,
}

/// Customers per tier and group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierGroups {
    pub tier: RiskTier,
    pub outreach: usize,
    pub control: usize,
}

/// The control groups of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlSummary {
    pub campaign: String,
    pub share: f64,
    /// Whether the written list left the control group out.
    pub outreach_only: bool,
    pub by_tier: Vec<TierGroups>,
}

impl ControlSummary {
    fn new(c: &ControlGroups, list: &AtRiskList, outreach_only: bool) -> Self {
        let by_tier = [RiskTier::High, RiskTier::Medium, RiskTier::Low]
            .into_iter()
            .map(|tier| {
                let count = |g: Group| {
                    list.rows
                        .iter()
                        .filter(|r| r.risk_tier == tier && r.group == Some(g))
                        .count()
                };
                TierGroups {
                    tier,
                    outreach: count(Group::Outreach),
                    control: count(Group::Control),
                }
            })
            .collect();
        ControlSummary {
            campaign: c.campaign().to_string(),
            share: c.share(),
            outreach_only,
            by_tier,
        }
    }
}

impl ScoreSummary {
    /// Summarise a scored list of `job`.
    pub fn new(model: &ChurnModel, scored: &Scored, job: &ScoreJob) -> Self {
        let as_of = match &job.input {
            ScoreInput::History { as_of, .. } | ScoreInput::Loaded { as_of, .. } => {
                Some(time::format_day(*as_of))
            }
            ScoreInput::Table { .. } => None,
        };
        ScoreSummary {
            model_id: model.model_id.clone(),
            as_of,
            population: scored.list.rows.len(),
            tiers: scored.tiers.clone(),
            capacity: match job.capacity {
                Some(Capacity::Customers(n)) => Some(n),
                _ => None,
            },
            capacity_revenue: match job.capacity {
                Some(Capacity::Revenue(x)) => Some(x),
                _ => None,
            },
            rank_by: job.rank_by,
            total_revenue_at_risk: scored.total_revenue_at_risk,
            control: job
                .control
                .as_ref()
                .map(|c| ControlSummary::new(c, &scored.list, job.outreach_only)),
            changes: None,
            owners: None,
            psi: scored.psi.clone(),
            drifted: scored
                .psi
                .iter()
                .filter(|d| d.psi > PSI_WARN)
                .map(|d| d.feature.clone())
                .collect(),
            max_psi: job.max_psi,
            output: job.out.display().to_string(),
            timings: Timings::default(),
        }
    }
}

/// Write the list, then the preview of its top rows beside the model, each atomically. The
/// preview is a convenience for the report: failing to write it is a warning, never a failed
/// run after the list was written.
///
/// # Errors
/// I/O errors writing the list (nothing half-written is left).
fn write_outputs(list: &AtRiskList, job: &ScoreJob, dir: &ModelDir) -> Result<()> {
    write_list(
        &as_written(list, job.outreach_only),
        &job.out,
        job.format,
        job.excel_safe,
    )?;
    let preview = dir.preview_path();
    // The report quotes the preview itself: it gets the plain cells, not the spreadsheet form.
    let head = list.head(PREVIEW_ROWS);
    if let Err(e) = write_list(&head, &preview, ListFormat::Csv, false) {
        log::warn!(
            "could not keep the list's preview in {}: {e}",
            preview.display()
        );
    }
    Ok(())
}

/// Warn about every feature above PSI 0.1; fail with the drift error above `max_psi`.
///
/// # Errors
/// `Drift` when a feature's PSI exceeds `max_psi`.
fn check_drift(psi: &[FeatureDrift], max_psi: Option<f64>) -> Result<()> {
    for d in psi.iter().filter(|d| d.psi > PSI_WARN) {
        log::warn!(
            "drift: {} has PSI {:.3} against training (> {PSI_WARN})",
            d.feature,
            d.psi
        );
    }
    let Some(max) = max_psi else { return Ok(()) };
    let over: Vec<String> = psi
        .iter()
        .filter(|d| d.psi > max)
        .map(|d| format!("{} (PSI {:.3})", d.feature, d.psi))
        .collect();
    if over.is_empty() {
        Ok(())
    } else {
        Err(Error::Drift {
            detail: format!(
                "{} above the maximum PSI {max}; the list was written",
                over.join(", ")
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_files_keep_letters_of_any_script_and_the_unowned_apart() {
        assert_eq!(owner_file(Some("王伟"), ListFormat::Csv), "王伟.csv");
        assert_eq!(owner_file(Some("李娜"), ListFormat::Csv), "李娜.csv");
        assert_eq!(owner_file(Some("a/b c"), ListFormat::Jsonl), "a_b_c.jsonl");
        assert_eq!(owner_file(Some(".hidden"), ListFormat::Csv), "_.hidden.csv");
        assert_eq!(
            owner_file(None, ListFormat::Parquet),
            "(unassigned).parquet"
        );
        assert_ne!(
            owner_file(Some("(unassigned)"), ListFormat::Csv),
            "(unassigned).csv"
        );
    }

    #[test]
    fn drift_alarm_only_above_the_maximum() {
        let psi = vec![
            FeatureDrift {
                feature: "a".into(),
                psi: 0.15,
            },
            FeatureDrift {
                feature: "b".into(),
                psi: 0.5,
            },
        ];
        assert!(check_drift(&psi, None).is_ok());
        assert!(check_drift(&psi, Some(0.6)).is_ok());
        let err = check_drift(&psi, Some(0.2)).unwrap_err();
        assert!(matches!(err, Error::Drift { .. }));
        assert!(err.to_string().contains("b (PSI 0.500)"));
    }
}
