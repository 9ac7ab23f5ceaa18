//! Assembling a [`Report`] from a model folder (model, metrics, plots, latest scores, all read
//! through [`ModelDir`]) and, optionally, the data the model was trained on.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use super::distributions::{distributions_section, num};
use super::holdout::holdout_section;
use super::scores::{read_list, scores_section};
use super::summary::{
    changes_section, outcomes_section, summary_section, LaterSections, SummaryInputs,
};
use super::{shown_path, Figure, Part, Report, Section, Table};
use crate::data::history::History;
use crate::error::{Error, Result};
use crate::evaluate::plots::PLOT_STEMS;
use crate::evaluate::Metrics;
use crate::features::build_features_with;
use crate::frame::FeatureTable;
use crate::kpis::{customers_chart, kpi_chart, retention_kpis, Period, PeriodKpis, KPI_COLUMNS};
use crate::model::folds::Validation;
use crate::model::train::TrainMetrics;
use crate::model::{ChurnModel, Mode};
use crate::plot::{line_chart_png, line_chart_svg};
use crate::progress::Progress;
use crate::store::ModelDir;
use crate::time::{format_day, format_ts, parse_day};

/// Part and section titles, in report order.
pub mod titles {
    /// Part 1 (id `summary`): purpose, holdout AUC, lift, calibration, tiers, revenue at risk.
    pub const SUMMARY: &str = "Summary";
    /// Part 2 (id `cs-lead`): the list and what changed.
    pub const CS_LEAD: &str = "For the customer success lead";
    /// Part 3 (id `data-scientist`): how the model was made and how good it is.
    pub const DATA_SCIENTIST: &str = "For the data scientist";
    /// The parts, in order.
    pub const PARTS: [&str; 3] = [SUMMARY, CS_LEAD, DATA_SCIENTIST];
    /// The parts' HTML ids, in order.
    pub const PART_IDS: [&str; 3] = ["summary", "cs-lead", "data-scientist"];

    /// CS lead 1. The top of the at-risk list, with reasons and plays.
    pub const SCORES: &str = "At-risk list preview";
    /// CS lead 2. Who entered, left or changed tier (a placeholder until that input exists).
    pub const CHANGES: &str = "Changes since the last list";
    /// CS lead 3. What happened to earlier lists' customers (a placeholder until then).
    pub const OUTCOMES: &str = "Outcomes";
    /// Data scientist 1. Mode, label, cutoffs, penalty, training rows, convergence.
    pub const MODEL: &str = "Model";
    /// 2. Holdout metrics with 95 % intervals, gains table, confusion matrix at capacity.
    pub const HOLDOUT: &str = "Holdout metrics";
    /// 3. The plots of `churn evaluate`.
    pub const PLOTS: &str = "Evaluation plots";
    /// 4. Validation AUC per alpha and fold.
    pub const CV: &str = "Cross-validation";
    /// 5. Coefficients and exp(coefficient), largest first.
    pub const COEFFICIENTS: &str = "Coefficients and odds ratios";
    /// 6. Means, medians and histograms (bars for 0/1 features) of churned against retained.
    pub const DISTRIBUTIONS: &str = "Feature distributions: churned vs retained";
    /// 7. Rows per table, span, customers, churn share.
    pub const DATA: &str = "Data summary";
    /// 8. Monthly churn rate and CRR (event mode with the history); the table folded.
    pub const KPIS: &str = "Retention KPIs over time";
    /// 9. Columns that predict the label suspiciously well.
    pub const LEAKAGE: &str = "Leakage flags";
    /// The titled sections, in order (the summary's own section has no title).
    pub const ALL: [&str; 12] = [
        SCORES,
        CHANGES,
        OUTCOMES,
        MODEL,
        HOLDOUT,
        PLOTS,
        CV,
        COEFFICIENTS,
        DISTRIBUTIONS,
        DATA,
        KPIS,
        LEAKAGE,
    ];
}

/// The data a report may draw on besides the model folder.
#[derive(Debug, Default)]
pub enum ReportData {
    /// Only the model folder.
    #[default]
    None,
    /// The event history: data summary, KPIs, training rows rebuilt at the cutoffs.
    History(Box<History>),
    /// A one-row-per-customer table.
    Table {
        /// The file it came from (shown in the report).
        path: PathBuf,
        /// Its rows, labelled.
        table: FeatureTable,
    },
}

/// The report of the model in `dir`, with `data`, an at-risk list (`scores`, else the folder's
/// preview of the latest list when present) and the sections of `later` inputs (placeholders
/// where absent). Missing optional pieces (metrics, evaluation, plots, scores) become a line
/// saying so. Paths are shown relative to the working folder, never as absolute machine paths.
///
/// # Errors
/// Reading the model file; rebuilding features from the history; reading a `scores` file that
/// was asked for; drawing failures.
pub fn build_report(
    dir: &ModelDir,
    data: &ReportData,
    scores: Option<&Path>,
    later: &LaterSections,
    progress: &dyn Progress,
) -> Result<Report> {
    let base = std::env::current_dir().unwrap_or_default();
    let model = dir.model()?;
    let metrics = read_metrics(dir);
    let evaluation = metrics.as_ref().and_then(|m| m.evaluation.as_ref());
    let list = read_list(dir, scores, &base)?;
    let holdout = dir.predictions().ok().map(|(_, p)| p);
    let summary = summary_section(SummaryInputs {
        model: &model,
        evaluation,
        list: &list,
        holdout: holdout.as_deref(),
        later,
    });
    let cs_lead = vec![
        scores_section(titles::SCORES, &list, &model.model_id),
        changes_section(titles::CHANGES, later.changes.as_ref()),
        outcomes_section(titles::OUTCOMES, later.outcomes.as_ref()),
    ];
    let data_scientist = data_scientist_sections(dir, &model, &metrics, data, &base, progress)?;
    let part = |i: usize, sections| Part {
        id: titles::PART_IDS[i].into(),
        title: titles::PARTS[i].into(),
        sections,
    };
    Ok(Report {
        title: format!("Churn model {}", model.model_id),
        subtitle: format!(
            "Created {}, {} mode. Generated by churn {}.",
            model.created,
            model.mode,
            env!("CARGO_PKG_VERSION")
        ),
        parts: vec![
            part(0, vec![summary]),
            part(1, cs_lead),
            part(2, data_scientist),
        ],
    })
}

/// The data scientist's sections, in [`titles::ALL`] order.
fn data_scientist_sections(
    dir: &ModelDir,
    model: &ChurnModel,
    metrics: &Option<Metrics>,
    data: &ReportData,
    base: &Path,
    progress: &dyn Progress,
) -> Result<Vec<Section>> {
    let evaluation = metrics.as_ref().and_then(|m| m.evaluation.as_ref());
    let training = training_rows(model, data, base, progress)?;
    let training = match &training {
        Ok((table, origin)) => Ok((table.as_ref(), origin.as_str())),
        Err(reason) => Err(reason.as_str()),
    };
    Ok(vec![
        model_section(model),
        holdout_section(titles::HOLDOUT, model, evaluation),
        plots_section(&dir.plots_dir()),
        cv_section(metrics.as_ref().map(|m| &m.training)),
        coefficients_section(model),
        distributions_section(titles::DISTRIBUTIONS, model, training)?,
        data_section(model, data, base),
        kpi_section(model, data)?,
        leakage_section(model),
    ])
}

/// The model's metrics, each part optional: none when the file is missing, a warning when it is
/// unreadable, and an evaluation of another shape (an older version's) left out with a warning,
/// since the rest of the report stands without them.
fn read_metrics(dir: &ModelDir) -> Option<Metrics> {
    let metrics = match dir.metrics::<serde_json::Value>() {
        Ok(m) => m,
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return None
        }
        Err(e) => {
            log::warn!("the report leaves the metrics out: {e}");
            return None;
        }
    };
    let evaluation = metrics.evaluation.and_then(|v| {
        serde_json::from_value(v)
            .map_err(|e| log::warn!("the report leaves the evaluation out: {e}"))
            .ok()
    });
    Some(Metrics {
        training: metrics.training,
        evaluation,
    })
}

/// The model's training rows and where they came from, or why there are none (empty: no data).
fn training_rows<'a>(
    model: &ChurnModel,
    data: &'a ReportData,
    base: &Path,
    progress: &dyn Progress,
) -> Result<std::result::Result<(Cow<'a, FeatureTable>, String), String>> {
    match (data, model.mode) {
        (ReportData::None, _) => Ok(Err(String::new())),
        (ReportData::Table { path, table }, _) => Ok(Ok((
            Cow::Borrowed(table),
            format!("Rows of {}", shown_path(path, base)),
        ))),
        (ReportData::History(history), Mode::Event) => {
            let table = rebuild_training_rows(model, history, progress)?;
            let origin = format!(
                "Training rows rebuilt from the history at the model's {} training cutoffs (one row per customer and cutoff)",
                model.training_cutoffs.len()
            );
            Ok(Ok((Cow::Owned(table), origin)))
        }
        (ReportData::History(_), Mode::Tabular) => Ok(Err(
            "A tabular model's training rows come from its table, not a history.".into(),
        )),
    }
}

/// Features and labels at the model's training cutoffs, with its horizon and label definition.
fn rebuild_training_rows(
    model: &ChurnModel,
    history: &History,
    progress: &dyn Progress,
) -> Result<FeatureTable> {
    let mismatch = |reason: String| Error::ModelMismatch {
        model_id: model.model_id.clone(),
        reason,
    };
    let cutoffs = model
        .training_cutoffs
        .iter()
        .map(|s| parse_day(s, None).ok_or_else(|| mismatch(format!("bad training cutoff {s:?}"))))
        .collect::<Result<Vec<_>>>()?;
    build_features_with(history, &model.feature_spec(cutoffs)?, progress)
}

/// Section 1: what the model is and how it was trained.
fn model_section(model: &ChurnModel) -> Section {
    let mut lines = vec![format!("Mode: {}", model.mode)];
    if model.mode == Mode::Event {
        lines.push(format!(
            "Label: {} within {} days of each cutoff",
            model.label_definition.unwrap_or_default().name(),
            model
                .horizon_days
                .map_or("an unknown number of".into(), |h| h.to_string())
        ));
        if let (Some(first), Some(last)) = (
            model.training_cutoffs.first(),
            model.training_cutoffs.last(),
        ) {
            lines.push(format!(
                "Training cutoffs: {first} to {last} ({} cutoffs)",
                model.training_cutoffs.len()
            ));
        }
        if let Some(h) = &model.holdout_cutoff {
            lines.push(format!("Holdout cutoff: {h}"));
        }
        if model.validation.holdout_kind == Validation::CustomerGroupedKFold.holdout_kind() {
            lines.push(format!(
                "Validation: {}-fold folds of customers (too few cutoffs for time-ordered folds). \
                 Warning: NOT time-ordered; the metrics say how well the model ranks customers \
                 at these cutoffs, not how well it forecasts later ones.",
                model.validation.n_folds
            ));
        }
    }
    lines.push(format!(
        "Chosen L2 penalty alpha = {} (C = {}), from {} candidates",
        model.alpha,
        num(1.0 / model.alpha),
        model.alpha_grid.len()
    ));
    lines.push(format!(
        "Trained on {} rows, churn share {:.1} %",
        model.n_rows,
        100.0 * model.churn_share
    ));
    lines.extend(convergence_warnings(model));
    Section {
        title: titles::MODEL.into(),
        lines,
        ..Default::default()
    }
}

fn convergence_warnings(model: &ChurnModel) -> Vec<String> {
    let mut out = Vec::new();
    let c = &model.convergence;
    if c.hit_limit {
        out.push(format!(
            "Warning: the final fit stopped at the iteration limit ({}) with gradient norm {} (tolerance {}); the coefficients may not have converged.",
            c.max_iterations,
            num(c.gradient_norm),
            num(c.gradient_tolerance)
        ));
    }
    if model.validation.cv_fits_hit_limit > 0 {
        out.push(format!(
            "Warning: {} model-selection fits stopped at the iteration limit.",
            model.validation.cv_fits_hit_limit
        ));
    }
    out
}

/// Section 2: the data, as loaded or as the model remembers it.
fn data_section(model: &ChurnModel, data: &ReportData, base: &Path) -> Section {
    let mut s = Section {
        title: titles::DATA.into(),
        ..Default::default()
    };
    match data {
        ReportData::History(h) => history_summary(h, &mut s),
        ReportData::Table { path, table } => {
            let labelled = table.labelled_rows().len();
            let churned = table.labels.iter().filter(|l| **l == Some(true)).count();
            s.lines.push(format!(
                "{}: {} rows, {} feature columns (besides id and label), churn share {:.1} % of {labelled} labelled rows.",
                shown_path(path, base),
                table.n_rows(),
                table.n_features(),
                100.0 * churned as f64 / labelled.max(1) as f64
            ));
        }
        ReportData::None => s
            .lines
            .push("No data given; the model file records the training rows only.".into()),
    }
    s.lines.push(format!(
        "Model training rows: {}, churn share {:.1} %.",
        model.n_rows,
        100.0 * model.churn_share
    ));
    s
}

fn history_summary(h: &History, s: &mut Section) {
    let c = &h.customers;
    let churned = c.churned_at.iter().filter(|d| d.is_some()).count();
    s.lines.push(format!(
        "Span: {} to {}; {} customers, {:.1} % of them churned within the data.",
        format_ts(h.summary.first),
        format_ts(h.summary.last),
        c.len(),
        100.0 * churned as f64 / c.len().max(1) as f64
    ));
    if !h.summary.absent.is_empty() {
        s.lines.push(format!(
            "Absent optional tables: {}.",
            h.summary.absent.join(", ")
        ));
    }
    for w in &h.summary.warnings {
        s.lines.push(format!("Warning: {w}"));
    }
    s.tables.push(Table::new(
        vec!["table".into(), "rows".into()],
        h.summary
            .rows
            .iter()
            .map(|(t, n)| vec![t.clone(), n.to_string()])
            .collect(),
    ));
}

/// Section 3: monthly churn rate and CRR (event mode with the history).
fn kpi_section(model: &ChurnModel, data: &ReportData) -> Result<Section> {
    let mut s = Section {
        title: titles::KPIS.into(),
        ..Default::default()
    };
    let history = match (data, model.mode) {
        (ReportData::History(h), Mode::Event) => h,
        _ => {
            s.lines
                .push("Retention KPIs need the event history of an event-mode model.".into());
            return Ok(s);
        }
    };
    let rows = retention_kpis(&history.customers, Period::Month, history.summary.last)?;
    s.lines.push(
        "Per calendar month: churn rate = lost / customers at the start (S); CRR = (E - N) / S, with E the customers at the end and N the new ones, which is 100 - churn rate.".into(),
    );
    for chart in [kpi_chart(&rows), customers_chart(&rows)] {
        s.figures.push(Figure {
            title: chart.title.clone(),
            svg: line_chart_svg(&chart)?,
            png: line_chart_png(&chart)?,
        });
    }
    s.tables.push(kpi_table(&rows));
    Ok(s)
}

/// The KPI rows with the CSV's columns.
fn kpi_table(rows: &[PeriodKpis]) -> Table {
    let pct = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v:.2}"));
    Table {
        header: KPI_COLUMNS.iter().map(|c| c.to_string()).collect(),
        fold: Some(format!(
            "The KPI table: {} months (open to read every row)",
            rows.len()
        )),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    format_day(r.period_start),
                    r.customers_start.to_string(),
                    r.new.to_string(),
                    r.lost.to_string(),
                    r.customers_end.to_string(),
                    pct(r.churn_rate_pct),
                    pct(r.crr_pct),
                ]
            })
            .collect(),
    }
}

/// Section 5: validation AUC per alpha and fold, mean per alpha, the chosen one marked.
fn cv_section(metrics: Option<&TrainMetrics>) -> Section {
    let mut s = Section {
        title: titles::CV.into(),
        ..Default::default()
    };
    let Some(m) = metrics else {
        s.lines.push(
            "No cross-validation results (the model's metrics are missing or unreadable).".into(),
        );
        return s;
    };
    s.lines.push(
        "Validation ROC AUC per L2 penalty alpha (C = 1 / alpha) and fold; the chosen alpha has the best mean (ties: the larger alpha).".into(),
    );
    if m.cv.iter().any(|u| u.hit_limit) {
        s.lines
            .push("* the fit stopped at the iteration limit.".into());
    }
    s.tables.push(cv_table(m));
    s
}

/// The alpha x fold table of [`cv_section`].
pub(crate) fn cv_table(m: &TrainMetrics) -> Table {
    let mut folds: Vec<(usize, Option<String>)> =
        m.cv.iter().map(|u| (u.fold, u.cutoff.clone())).collect();
    folds.sort();
    folds.dedup_by_key(|f| f.0);
    let mut header = vec!["alpha".to_string(), "C".to_string()];
    header.extend(folds.iter().map(|(k, cutoff)| match cutoff {
        Some(c) => format!("fold {k} ({c})"),
        None => format!("fold {k}"),
    }));
    header.extend(["mean AUC".to_string(), "chosen".to_string()]);
    let rows = m
        .mean_auc
        .iter()
        .map(|a| {
            let mut row = vec![a.alpha.to_string(), num(1.0 / a.alpha)];
            row.extend(folds.iter().map(|(k, _)| {
                m.cv.iter()
                    .find(|u| u.alpha == a.alpha && u.fold == *k)
                    .map_or(String::new(), |u| {
                        format!("{:.4}{}", u.auc, if u.hit_limit { "*" } else { "" })
                    })
            }));
            row.push(format!("{:.4}", a.mean_auc));
            row.push(
                if a.alpha == m.chosen_alpha {
                    "chosen"
                } else {
                    ""
                }
                .into(),
            );
            row
        })
        .collect();
    Table::new(header, rows)
}

/// Title of an evaluation plot file stem.
fn plot_title(stem: &str) -> String {
    match stem {
        "roc" => "ROC curve".into(),
        "pr" => "Precision-recall curve".into(),
        "calibration" => "Calibration (reliability)".into(),
        "cumulative_gains" => "Cumulative gains".into(),
        "lift_by_decile" => "Lift by decile".into(),
        "score_distribution" => "Score distribution by outcome".into(),
        "odds_ratios" => "Odds ratios".into(),
        other => other.replace('_', " "),
    }
}

/// Section 7: every `*.svg` in the plots folder (known plots first), with its PNG twin.
fn plots_section(dir: &Path) -> Section {
    let mut s = Section {
        title: titles::PLOTS.into(),
        ..Default::default()
    };
    let mut stems: Vec<String> = PLOT_STEMS.iter().map(|s| s.to_string()).collect();
    let mut others: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let stem = name.strip_suffix(".svg")?.to_string();
            (!stem.starts_with('.') && !PLOT_STEMS.contains(&stem.as_str())).then_some(stem)
        })
        .collect();
    others.sort();
    stems.extend(others);
    for stem in stems {
        let Ok(svg) = std::fs::read_to_string(dir.join(format!("{stem}.svg"))) else {
            continue;
        };
        let png = std::fs::read(dir.join(format!("{stem}.png"))).unwrap_or_default();
        s.figures.push(Figure {
            title: plot_title(&stem),
            svg,
            png,
        });
    }
    if s.figures.is_empty() {
        s.lines
            .push("No plots in the model folder yet: run `churn evaluate` for this model.".into());
    }
    s
}

/// Section 8: coefficients and odds ratios, largest |coefficient| first.
fn coefficients_section(model: &ChurnModel) -> Section {
    Section {
        title: titles::COEFFICIENTS.into(),
        lines: vec![
            format!(
                "Coefficients of the churn logit on standardised inputs (intercept {}). The odds ratio exp(coefficient) is per standard deviation of the input: raising it by one SD (the last column, in the input's own units) multiplies the odds of churn by the ratio. One-hot columns (name=level) and missing indicators are 0/1 inputs, scaled the same way.",
                num(model.intercept)
            ),
        ],
        tables: vec![coefficient_table(model)],
        figures: vec![],
    }
}

/// The rows of [`coefficients_section`].
pub(crate) fn coefficient_table(model: &ChurnModel) -> Table {
    let mut order: Vec<usize> = (0..model.coefficients.len()).collect();
    order.sort_by(|&a, &b| {
        model.coefficients[b]
            .abs()
            .total_cmp(&model.coefficients[a].abs())
    });
    let header = ["feature", "source", "coefficient", "odds ratio", "1 SD"];
    let rows = order
        .into_iter()
        .map(|j| {
            let w = model.coefficients[j];
            let col = model.preprocessor.columns.get(j);
            vec![
                model.feature_names[j].clone(),
                col.map_or(String::new(), |c| c.source.clone()),
                format!("{w:.4}"),
                format!("{:.4}", w.exp()),
                col.map_or(String::new(), |c| num(c.std)),
            ]
        })
        .collect::<Vec<_>>();
    // Long one-hot models have hundreds of columns: the strongest show in the plot.
    let fold = (rows.len() > LONG_TABLE)
        .then(|| format!("All {} coefficients (open to read)", rows.len()));
    Table {
        header: header.iter().map(|h| h.to_string()).collect(),
        rows,
        fold,
    }
}

/// Tables longer than this are folded away.
const LONG_TABLE: usize = 25;

/// Section 9: columns whose own holdout AUC looked too good.
fn leakage_section(model: &ChurnModel) -> Section {
    let mut s = Section {
        title: titles::LEAKAGE.into(),
        ..Default::default()
    };
    if model.leak_flags.is_empty() {
        s.lines.push("none".into());
        return s;
    }
    s.lines.push(
        "Columns whose single-column holdout ROC AUC is at least 0.98 (or at most 0.02): check that they are known before the cutoff.".into(),
    );
    s.tables.push(Table::new(
        vec!["column".into(), "source".into(), "holdout AUC".into()],
        model
            .leak_flags
            .iter()
            .map(|f| vec![f.column.clone(), f.source.clone(), format!("{:.4}", f.auc)])
            .collect(),
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::{evaluate_model, EvalSettings};
    use crate::model::params::TrainParams;
    use crate::model::train::tests::{synthetic, valid};
    use crate::model::train::train;
    use crate::store::tests::t0;
    use crate::store::Registry;

    /// A registered tabular model in a temp folder, and its training table.
    fn registered() -> (tempfile::TempDir, ModelDir, FeatureTable) {
        let dir = tempfile::tempdir().unwrap();
        let table = synthetic(300, 0.3, 3);
        let params = valid(TrainParams::new().alphas(vec![0.1, 1.0, 10.0]));
        let mut outcome = train(&table, &params).unwrap();
        let model_dir = Registry::new(dir.path()).save(&mut outcome, t0()).unwrap();
        (dir, model_dir, table)
    }

    fn section<'a>(r: &'a Report, title: &str) -> &'a Section {
        r.sections().find(|s| s.title == title).unwrap()
    }

    fn report(dir: &ModelDir, data: &ReportData) -> Report {
        let later = LaterSections::default();
        build_report(dir, data, None, &later, &crate::progress::Silent).unwrap()
    }

    #[test]
    fn every_section_is_present_in_order_without_optional_pieces() {
        let (_tmp, dir, _) = registered();
        std::fs::remove_file(dir.metrics_path()).unwrap();
        let r = report(&dir, &ReportData::None);
        let parts: Vec<&str> = r.parts.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(parts, titles::PARTS);
        let summary = &r.parts[0].sections;
        assert_eq!(summary.len(), 1);
        assert!(
            summary[0].title.is_empty(),
            "the summary is the part's opening text"
        );
        let got: Vec<&str> = r.sections().skip(1).map(|s| s.title.as_str()).collect();
        assert_eq!(got, titles::ALL);
        assert!(section(&r, titles::CHANGES).lines[0].starts_with("Not available: give"));
        assert!(section(&r, titles::OUTCOMES).lines[0].starts_with("Not available: give"));
        let holdout = section(&r, titles::HOLDOUT);
        assert!(holdout.lines.iter().any(|l| l.contains("churn evaluate")));
        assert!(section(&r, titles::PLOTS).figures.is_empty());
        assert_eq!(section(&r, titles::LEAKAGE).lines, ["none"]);
        assert!(section(&r, titles::SCORES).lines[0].contains("No scores"));
    }

    #[test]
    fn cv_table_has_one_row_per_alpha_and_marks_the_chosen() {
        let (_tmp, dir, _) = registered();
        let r = report(&dir, &ReportData::None);
        let t = &section(&r, titles::CV).tables[0];
        assert_eq!(t.rows.len(), 3);
        // alpha, C, 5 folds, mean, chosen
        assert_eq!(t.header.len(), 2 + 5 + 2);
        let chosen: Vec<&Vec<String>> = t.rows.iter().filter(|r| r[8] == "chosen").collect();
        assert_eq!(chosen.len(), 1);
        let model = dir.model().unwrap();
        assert_eq!(chosen[0][0], model.alpha.to_string());
    }

    #[test]
    fn odds_ratios_are_exp_of_the_coefficients_sorted_by_size() {
        let (_tmp, dir, _) = registered();
        let model = dir.model().unwrap();
        let t = coefficient_table(&model);
        assert_eq!(t.rows.len(), model.coefficients.len());
        let mut last = f64::INFINITY;
        for row in &t.rows {
            let j = model
                .feature_names
                .iter()
                .position(|n| *n == row[0])
                .unwrap();
            let w = model.coefficients[j];
            let or: f64 = row[3].parse().unwrap();
            assert!((or - w.exp()).abs() < 1e-4, "{}: {or} vs exp({w})", row[0]);
            assert!(w.abs() <= last);
            last = w.abs();
        }
        assert_eq!(t.rows[0][0], "usage", "usage has the strongest effect");
    }

    #[test]
    fn evaluation_and_table_fill_intervals_plots_and_distributions() {
        let (_tmp, dir, table) = registered();
        evaluate_model(&dir, &EvalSettings::new().resamples(50)).unwrap();
        let data = ReportData::Table {
            path: "synthetic.csv".into(),
            table,
        };
        let r = report(&dir, &data);
        let holdout = &section(&r, titles::HOLDOUT).tables;
        assert_eq!(holdout[0].header[2], "95 % low");
        assert_eq!(holdout[0].rows.len(), 8);
        assert_eq!(holdout[1].header[1], "score at least", "the gains table");
        assert_eq!(holdout[1].rows.len(), 10);
        assert_eq!(
            holdout[2].rows[2][3], "300",
            "confusion matrix totals every row"
        );
        let plots = section(&r, titles::PLOTS);
        assert_eq!(plots.figures.len(), 7);
        assert!(plots
            .figures
            .iter()
            .all(|f| f.svg.contains("<svg") && !f.png.is_empty()));
        let dist = section(&r, titles::DISTRIBUTIONS);
        let names: Vec<&str> = dist.tables[0].rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(names, ["usage", "tickets", "noise"]);
        assert_eq!(dist.figures.len(), 3, "three numeric features");
        assert_eq!(dist.figures[0].title, "usage");
        assert!(dist.figures[0].png.starts_with(b"\x89PNG"));
        let summary = &r.parts[0].sections[0];
        assert!(summary.lines[1].starts_with("Ranking: holdout ROC AUC"));
        assert!(summary.lines[1].contains("95 % interval"));
        assert!(summary.lines[2].starts_with("Top-decile lift"));
        assert!(summary.lines[3].starts_with("Calibration: mean predicted"));
    }

    #[test]
    fn an_evaluation_recorded_before_gains_existed_still_shows_its_metrics() {
        let (_tmp, dir, _) = registered();
        evaluate_model(&dir, &EvalSettings::new().resamples(20)).unwrap();
        let text = std::fs::read_to_string(dir.metrics_path()).unwrap();
        let mut metrics: serde_json::Value = serde_json::from_str(&text).unwrap();
        let evaluation = metrics["evaluation"].as_object_mut().unwrap();
        for key in [
            "gains",
            "confusion_at_capacity",
            "capacity_basis",
            "calibration_strategy",
        ] {
            assert!(evaluation.remove(key).is_some(), "{key}");
        }
        std::fs::write(dir.metrics_path(), metrics.to_string()).unwrap();
        let r = report(&dir, &ReportData::None);
        let holdout = section(&r, titles::HOLDOUT);
        assert_eq!(
            holdout.tables.len(),
            1,
            "the metrics, no gains or confusion tables"
        );
        assert_eq!(holdout.tables[0].rows.len(), 8);
        assert!(holdout.lines[0].contains("10 % of the rows"));
        assert!(holdout.lines[0].contains("uniform bins"));
        assert!(holdout.lines.last().unwrap().contains("older churn"));
    }

    #[test]
    fn plugged_in_sections_replace_the_placeholders_and_add_a_summary_line() {
        let (_tmp, dir, _) = registered();
        let later = LaterSections {
            changes: Some(super::super::Addendum {
                summary_line: "3 customers entered the high tier.".into(),
                section: Section {
                    lines: vec!["entered: a, b, c".into()],
                    ..Default::default()
                },
            }),
            outcomes: None,
        };
        let r = build_report(
            &dir,
            &ReportData::None,
            None,
            &later,
            &crate::progress::Silent,
        )
        .unwrap();
        assert_eq!(section(&r, titles::CHANGES).lines, ["entered: a, b, c"]);
        assert!(section(&r, titles::OUTCOMES).lines[0].starts_with("Not available: give"));
        let summary = &r.parts[0].sections[0].lines;
        assert!(summary.contains(
            &"Changes since the last list: 3 customers entered the high tier.".to_string()
        ));
    }
}
