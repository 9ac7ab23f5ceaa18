//! The summary that opens the report (what the model is for, how well it ranks, how calibrated
//! it is, the list per tier and its revenue at risk) and the places where later inputs plug into
//! the customer success lead's part: "Changes since the last list" and "Outcomes".

use super::distributions::num;
use super::scores::{ListState, ListTally, TierTally};
use super::{Section, Table};
use crate::evaluate::Evaluation;
use crate::features::LabelDefinition;
use crate::model::{ChurnModel, Mode};

/// A section some later input adds to the report, with the line it adds to the summary.
#[derive(Debug, Clone, Default)]
pub struct Addendum {
    /// One sentence for the summary ("12 customers entered the high tier since the last list").
    pub summary_line: String,
    /// The section in the customer success lead's part (its title is set by the report).
    pub section: Section,
}

/// Sections built from inputs the report does not read itself yet. Each `None` leaves a
/// placeholder saying what will appear there.
#[derive(Debug, Clone, Default)]
pub struct LaterSections {
    /// PLUG-IN POINT: the comparison of this list with the previous one (who entered, left or
    /// changed tier), built by the list-comparison code of the scoring side.
    pub changes: Option<Addendum>,
    /// PLUG-IN POINT: what happened to earlier lists' customers (contacted, retained, churned;
    /// control groups), built by the `outcomes` command.
    pub outcomes: Option<Addendum>,
}

/// What the summary draws on.
#[derive(Debug, Clone, Copy)]
pub struct SummaryInputs<'a> {
    pub model: &'a ChurnModel,
    /// The recorded evaluation, when `churn evaluate` has run.
    pub evaluation: Option<&'a Evaluation>,
    /// The at-risk list the report previews.
    pub list: &'a ListState,
    /// The holdout probabilities (tier sizes when there is no whole list).
    pub holdout: Option<&'a [f64]>,
    pub later: &'a LaterSections,
}

/// The summary: one line each for purpose, ranking, lift and calibration, then the tiers.
pub fn summary_section(inputs: SummaryInputs) -> Section {
    let SummaryInputs {
        model, evaluation, ..
    } = inputs;
    let mut lines = vec![purpose_line(model), auc_line(model, evaluation)];
    lines.extend(evaluation.map(lift_line));
    lines.push(evaluation.map_or_else(
        || "Calibration: not measured yet (run `churn evaluate` on this model).".into(),
        calibration_line,
    ));
    let (tier_line, table) = tier_table(inputs);
    lines.push(tier_line);
    for (name, later) in [
        ("Changes since the last list", &inputs.later.changes),
        ("Outcomes", &inputs.later.outcomes),
    ] {
        if let Some(a) = later {
            lines.push(format!("{name}: {}", a.summary_line));
        }
    }
    Section {
        title: String::new(),
        lines,
        tables: vec![table],
        figures: vec![],
    }
}

/// What the model predicts, in plain words.
fn purpose_line(model: &ChurnModel) -> String {
    if model.mode == Mode::Tabular {
        return format!(
            "What it is for: ranking customers by their probability of churn as the training table labels it (one row per customer, no time horizon); trained on {} rows, {:.1} % churned.",
            model.n_rows,
            100.0 * model.churn_share
        );
    }
    let h = model
        .horizon_days
        .map_or("an unknown number of".into(), |h| h.to_string());
    let what = match model.label_definition.unwrap_or_default() {
        LabelDefinition::Cancellation => {
            format!("cancelling within {h} days of the scoring date (a cancellation recorded in those days)")
        }
        LabelDefinition::Inactivity => {
            format!("going inactive: no recorded activity in the {h} days after the scoring date")
        }
    };
    format!(
        "What it is for: ranking customers by their probability of {what}, so the likeliest leavers are contacted first. Trained on {} customer snapshots, {:.1} % of which churned.",
        model.n_rows,
        100.0 * model.churn_share
    )
}

/// Holdout ROC AUC with its interval, in words.
fn auc_line(model: &ChurnModel, evaluation: Option<&Evaluation>) -> String {
    match evaluation {
        Some(e) => {
            let interval = match (e.roc_auc.ci_low, e.roc_auc.ci_high) {
                (Some(lo), Some(hi)) => format!(" (95 % interval {lo:.3} to {hi:.3})"),
                _ => String::new(),
            };
            format!(
                "Ranking: holdout ROC AUC {:.3}{interval} on {} rows: a customer who churned scores above one who stayed {:.0} % of the time.",
                e.roc_auc.value,
                e.n,
                100.0 * e.roc_auc.value
            )
        }
        None => {
            let h = &model.validation.holdout;
            format!(
                "Ranking: holdout ROC AUC {} on {} rows (point estimate from training; run `churn evaluate` on this model for its interval).",
                h.roc_auc.map_or("n/a".into(), |a| format!("{a:.3}")),
                h.n
            )
        }
    }
}

/// Top-decile lift against the base rate.
fn lift_line(e: &Evaluation) -> String {
    let lift = &e.top_decile_lift;
    let interval = match (lift.ci_low, lift.ci_high) {
        (Some(lo), Some(hi)) => format!(" (95 % interval {lo:.2} to {hi:.2})"),
        _ => String::new(),
    };
    format!(
        "Top-decile lift {:.2}{interval}: the 10 % highest-scored customers churn {:.2} times as often as the base rate of {:.1} %.",
        lift.value,
        lift.value,
        100.0 * e.base_rate
    )
}

/// Calibration in one sentence: mean predicted against observed, the ECE and what it means.
fn calibration_line(e: &Evaluation) -> String {
    let (n, sum) = e
        .calibration
        .iter()
        .filter_map(|b| Some((b.count as f64, b.count as f64 * b.mean_probability?)))
        .fold((0.0, 0.0), |(n, s), (c, p)| (n + c, s + p));
    let mean = if n > 0.0 { sum / n } else { f64::NAN };
    let verdict = match e.ece.value {
        x if x < 0.02 => "the probabilities can be read as churn chances",
        x if x < 0.05 => {
            "the probabilities are roughly right; trust the ranking more than the exact values"
        }
        _ => "the probabilities are off: use the ranking, not the values",
    };
    format!(
        "Calibration: mean predicted probability {:.1} % against {:.1} % observed, expected calibration error {:.3}; {verdict}.",
        100.0 * mean,
        100.0 * e.base_rate,
        e.ece.value
    )
}

/// Money, two decimals.
fn money(x: f64) -> String {
    format!("{x:.2}")
}

/// The tiers: cut-off, customers and revenue at risk, from the whole list when the report has
/// it, else the holdout rows per tier; with the line saying which.
fn tier_table(inputs: SummaryInputs) -> (String, Table) {
    let tiers = &inputs.model.tiers;
    let tally = match inputs.list {
        ListState::Read(l) => l.tally,
        _ => None,
    };
    let header = [
        "tier",
        "churn probability at least",
        "customers",
        "revenue at risk",
    ];
    let cutoffs = [("high", tiers.high), ("medium", tiers.medium), ("low", 0.0)];
    let (line, cells): (String, Vec<(usize, String)>) = match tally {
        Some(t) => (
            format!(
                "The list: {} customers, revenue at risk {} a year (sum of probability x monthly revenue x 12), {} of it in the high tier.",
                t.customers(),
                money(t.revenue_at_risk()),
                money(t.high.revenue_at_risk)
            ),
            tallies(&t)
                .iter()
                .map(|x| (x.customers, money(x.revenue_at_risk)))
                .collect(),
        ),
        None => {
            let probs = inputs.holdout.unwrap_or(&[]);
            let count = |lo: f64, hi: f64| probs.iter().filter(|&&p| p >= lo && p < hi).count();
            (
                format!(
                    "No whole at-risk list given, so the tier sizes below are the {} holdout rows and the revenue at risk is unknown; give the report the scored list for the list's own figures.",
                    probs.len()
                ),
                vec![
                    (count(tiers.high, f64::INFINITY), "n/a".into()),
                    (count(tiers.medium, tiers.high), "n/a".into()),
                    (count(f64::NEG_INFINITY, tiers.medium), "n/a".into()),
                ],
            )
        }
    };
    let rows = cutoffs
        .iter()
        .zip(cells)
        .map(|((name, cut), (n, revenue))| {
            vec![name.to_string(), num(*cut), n.to_string(), revenue]
        })
        .collect();
    (
        line,
        Table::new(header.iter().map(|h| h.to_string()).collect(), rows),
    )
}

fn tallies(t: &ListTally) -> [TierTally; 3] {
    [t.high, t.medium, t.low]
}

/// The "Changes since the last list" section: the plugged-in one, or a placeholder.
pub fn changes_section(title: &str, changes: Option<&Addendum>) -> Section {
    plugged(
        title,
        changes,
        "Not available: give `churn report --previous FILE` (with `--scores`) to show who entered or left the high tier and the biggest risers since that list.",
    )
}

/// The "Outcomes" section: the plugged-in one, or a placeholder.
pub fn outcomes_section(title: &str, outcomes: Option<&Addendum>) -> Section {
    plugged(
        title,
        outcomes,
        "Not available: give `churn report --outcomes FILE` (with `--data`) to show what happened to an earlier list's customers (outreach against control, churned or retained) once its window is in the data.",
    )
}

fn plugged(title: &str, addendum: Option<&Addendum>, placeholder: &str) -> Section {
    let mut section = match addendum {
        Some(a) => a.section.clone(),
        None => Section {
            lines: vec![placeholder.into()],
            ..Default::default()
        },
    };
    section.title = title.into();
    section
}
