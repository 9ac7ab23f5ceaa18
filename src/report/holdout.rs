//! The data scientist's holdout section: metrics with intervals, the gains table per score
//! decile and the confusion matrix at capacity (from `churn evaluate`), or training's point
//! estimates before it has run.

use super::{Section, Table};
use crate::evaluate::gains::{ConfusionAtCapacity, GainsRow};
use crate::evaluate::Evaluation;
use crate::model::ChurnModel;

fn strings(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

fn pct(x: f64) -> String {
    format!("{:.1} %", 100.0 * x)
}

/// An expected count: whole numbers without decimals, ties split pro rata with one.
fn count(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round())
    } else {
        format!("{x:.1}")
    }
}

/// The holdout section, with intervals when `churn evaluate` has run.
pub(crate) fn holdout_section(
    title: &str,
    model: &ChurnModel,
    evaluation: Option<&Evaluation>,
) -> Section {
    let mut s = Section {
        title: title.into(),
        ..Default::default()
    };
    match evaluation {
        Some(e) => {
            metric_table(e, &mut s);
            gains(e, &mut s);
            confusion(e, &mut s);
        }
        None => training_estimates(model, &mut s),
    }
    s
}

fn training_estimates(model: &ChurnModel, s: &mut Section) {
    let h = &model.validation.holdout;
    s.lines.push(format!(
        "Holdout ({}): {} rows, {} churners. Point estimates from training.",
        model.validation.holdout_kind, h.n, h.positives
    ));
    s.tables.push(Table::new(
        strings(&["metric", "value"]),
        vec![
            vec![
                "ROC AUC".into(),
                h.roc_auc.map_or("n/a".into(), |a| format!("{a:.4}")),
            ],
            vec!["log loss".into(), format!("{:.4}", h.log_loss)],
            vec!["Brier score".into(), format!("{:.4}", h.brier)],
        ],
    ));
    s.lines.push(
        "Run `churn evaluate` on this model for 95 % intervals, the gains table, the confusion matrix and plots."
            .into(),
    );
}

fn metric_table(e: &Evaluation, s: &mut Section) {
    s.lines.push(format!(
        "{} holdout rows, {} churners (base rate {:.1} %), capacity {} rows ({}). {:.0} % percentile bootstrap intervals from {} resamples (seed {}). ECE uses 10 equal-width bins; the calibration plot uses {} bins.",
        e.n,
        e.positives,
        100.0 * e.base_rate,
        e.capacity,
        e.capacity_basis.describe(),
        100.0 * e.confidence_level,
        e.n_resamples,
        e.seed,
        e.calibration_strategy.name()
    ));
    let bound = |b: Option<f64>| b.map_or("n/a".into(), |v| format!("{v:.4}"));
    let rows = e
        .named_metrics()
        .into_iter()
        .map(|(name, m)| {
            vec![
                name,
                format!("{:.4}", m.value),
                bound(m.ci_low),
                bound(m.ci_high),
            ]
        })
        .collect();
    s.tables.push(Table::new(
        strings(&["metric", "value", "95 % low", "95 % high"]),
        rows,
    ));
}

fn gains_row(r: &GainsRow) -> Vec<String> {
    vec![
        r.decile.to_string(),
        format!("{:.4}", r.threshold),
        r.customers.to_string(),
        count(r.churners),
        pct(r.response_rate),
        pct(r.capture_rate),
        pct(r.cumulative_capture),
        format!("{:.2}", r.lift),
        format!("{:.2}", r.cumulative_lift),
        r.cumulative_revenue_capture.map_or("n/a".into(), pct),
        r.cumulative_revenue_lift
            .map_or("n/a".into(), |l| format!("{l:.2}")),
    ]
}

/// The gains table per score decile.
fn gains(e: &Evaluation, s: &mut Section) {
    if e.gains.is_empty() {
        return;
    }
    let revenue = if e.gains[0].cumulative_revenue_capture.is_some() {
        "Revenue: the share of the churners' monthly revenue in the deciles so far, and that share over the share of customers contacted (revenue lift)."
    } else {
        "Revenue: n/a, the holdout predictions carry no monthly revenue."
    };
    s.lines.push(format!(
        "Gains per score decile (1 = highest scores): contacting everyone scoring at least the threshold reaches the cumulative share of churners. {revenue}"
    ));
    s.tables.push(Table::new(
        strings(&[
            "decile",
            "score at least",
            "customers",
            "churners",
            "churn rate",
            "capture",
            "cumulative capture",
            "lift",
            "cumulative lift",
            "cumulative churned revenue",
            "revenue lift",
        ]),
        e.gains.iter().map(gains_row).collect(),
    ));
}

/// The confusion matrix at capacity.
fn confusion(e: &Evaluation, s: &mut Section) {
    let Some(c) = &e.confusion_at_capacity else {
        s.lines.push(
            "No confusion matrix or gains table in this evaluation (recorded by an older churn): run `churn evaluate` again."
                .into(),
        );
        return;
    };
    let c: &ConfusionAtCapacity = c;
    s.lines.push(format!(
        "Confusion matrix when the top {} rows ({}) are contacted: scores of at least {:.4}.",
        c.capacity,
        e.capacity_basis.describe(),
        c.threshold
    ));
    let flagged = c.true_positives + c.false_positives;
    let rest = c.false_negatives + c.true_negatives;
    s.tables.push(Table::new(
        strings(&["", "churned", "stayed", "total"]),
        vec![
            vec![
                format!("contacted (top {})", c.capacity),
                count(c.true_positives),
                count(c.false_positives),
                count(flagged),
            ],
            vec![
                "not contacted".into(),
                count(c.false_negatives),
                count(c.true_negatives),
                count(rest),
            ],
            vec![
                "total".into(),
                count(c.true_positives + c.false_negatives),
                count(c.false_positives + c.true_negatives),
                count(flagged + rest),
            ],
        ],
    ));
}
