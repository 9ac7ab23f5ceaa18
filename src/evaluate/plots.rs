//! The evaluation plots of a model (ROC, precision-recall, calibration, gains, lift, score
//! distribution, odds ratios) as chart specs, and writing them as PNG + SVG into a folder.
//! The specs are public so a report can render the same charts inline with `plot::*_svg`.

use std::path::{Path, PathBuf};

use super::curves::{cumulative_gains, lift_by_decile, pr_curve, roc_curve};
use super::{CalibrationStrategy, Evaluation};
use crate::error::{Error, Result};
use crate::plot::{
    bar_chart, histogram_chart, line_chart, output_paths, Annotation, Bar, BarChart,
    HistogramChart, LegendAt, LineChart, Series,
};

/// File stems of the plots, in the order they are written; each becomes `<stem>.png` and
/// `<stem>.svg`. `odds_ratios` needs the model's coefficients.
pub const PLOT_STEMS: [&str; 7] = [
    "roc",
    "pr",
    "calibration",
    "cumulative_gains",
    "lift_by_decile",
    "score_distribution",
    "odds_ratios",
];

// Curves of large holdouts have one point per distinct score; more than this adds nothing visible
// and makes the SVG heavy.
const MAX_CURVE_POINTS: usize = 1500;

/// Write every plot into `dir` (created if needed); the odds-ratio plot only with `coefficients`
/// (feature name, coefficient). Returns the files written.
///
/// # Errors
/// Drawing or I/O failures.
pub fn write_plots(
    dir: &Path,
    labels: &[bool],
    probs: &[f64],
    eval: &Evaluation,
    coefficients: Option<&[(String, f64)]>,
) -> Result<Vec<PathBuf>> {
    let stem = |name: &str| dir.join(name);
    line_chart(&stem("roc"), &roc_chart(labels, probs, eval))?;
    line_chart(&stem("pr"), &pr_chart(labels, probs, eval))?;
    line_chart(&stem("calibration"), &calibration_chart(eval))?;
    line_chart(&stem("cumulative_gains"), &gains_chart(labels, probs))?;
    bar_chart(&stem("lift_by_decile"), &lift_chart(labels, probs))?;
    histogram_chart(
        &stem("score_distribution"),
        &score_distribution_chart(labels, probs),
    )?;
    let mut written = 6;
    match coefficients {
        Some(coefs) => {
            bar_chart(&stem("odds_ratios"), &odds_ratio_chart(coefs))?;
            written += 1;
        }
        // No coefficients now: an odds-ratio plot from an earlier run would describe nothing.
        None => {
            for path in output_paths(&stem("odds_ratios")) {
                if let Err(e) = std::fs::remove_file(&path) {
                    if e.kind() != std::io::ErrorKind::NotFound {
                        return Err(Error::io(&path, e));
                    }
                }
            }
        }
    }
    Ok(PLOT_STEMS[..written]
        .iter()
        .flat_map(|s| output_paths(&stem(s)))
        .collect())
}

/// "0.746 [0.702, 0.789]" for a titled metric.
fn with_interval(m: &super::MetricCi) -> String {
    match (m.ci_low, m.ci_high) {
        (Some(lo), Some(hi)) => format!("{:.3} [{lo:.3}, {hi:.3}]", m.value),
        _ => format!("{:.3}", m.value),
    }
}

/// Every `len / max`-th point, always keeping the last.
fn thin(points: Vec<(f64, f64)>, max: usize) -> Vec<(f64, f64)> {
    if points.len() <= max {
        return points;
    }
    let step = points.len().div_ceil(max);
    let last = *points.last().unwrap_or(&(0.0, 0.0));
    let mut out: Vec<(f64, f64)> = points.into_iter().step_by(step).collect();
    if out.last() != Some(&last) {
        out.push(last);
    }
    out
}

fn unit_square(mut c: LineChart) -> LineChart {
    c.x_range = Some((0.0, 1.0));
    c.y_range = Some((0.0, 1.02));
    c
}

/// ROC curve with the chance diagonal.
pub fn roc_chart(labels: &[bool], probs: &[f64], eval: &Evaluation) -> LineChart {
    let points = roc_curve(labels, probs)
        .unwrap_or_default()
        .iter()
        .map(|p| (p.fpr, p.tpr))
        .collect();
    let mut c = LineChart::new(
        format!("ROC curve (AUC {})", with_interval(&eval.roc_auc)),
        "False positive rate",
        "True positive rate (recall)",
    );
    c.series
        .push(Series::line("Model", thin(points, MAX_CURVE_POINTS)));
    c.baseline = Some(Series::line("Chance", vec![(0.0, 0.0), (1.0, 1.0)]));
    c.legend_at = LegendAt::LowerRight;
    unit_square(c)
}

/// Precision-recall steps (the area under them is the average precision) with the base rate.
pub fn pr_chart(labels: &[bool], probs: &[f64], eval: &Evaluation) -> LineChart {
    let mut steps = Vec::new();
    let mut prev_recall = 0.0;
    for p in pr_curve(labels, probs).unwrap_or_default() {
        // Scores without churners move no recall and add nothing to the area: no step.
        if p.recall <= prev_recall {
            continue;
        }
        steps.push((prev_recall, p.precision));
        steps.push((p.recall, p.precision));
        prev_recall = p.recall;
    }
    let mut c = LineChart::new(
        format!(
            "Precision-recall (average precision {})",
            with_interval(&eval.pr_auc)
        ),
        "Recall",
        "Precision",
    );
    c.series
        .push(Series::line("Model", thin(steps, 2 * MAX_CURVE_POINTS)));
    let base = eval.base_rate;
    c.baseline = Some(Series::line(
        format!("Base rate ({base:.3})"),
        vec![(0.0, base), (1.0, base)],
    ));
    c.legend_at = LegendAt::UpperRight;
    unit_square(c)
}

/// The upper end of an axis that starts at 0 and must show `max` (a probability): 5 % headroom,
/// rounded up to a multiple of 0.05 (0.1 above 0.5), at most 1. Demo predictions all below 0.36
/// get an axis to 0.4 instead of to 1 with most of the plot empty.
pub fn fitted_upper(max: f64) -> f64 {
    let max = if max.is_finite() {
        max.clamp(0.0, 1.0)
    } else {
        1.0
    };
    let step = if max * 1.05 > 0.5 { 0.1 } else { 0.05 };
    // Round before ceil: 0.3 / 0.05 is 5.999999999999999 in floating point.
    let steps = ((max * 1.05 / step * 1e9).round() / 1e9).ceil().max(1.0);
    ((steps * step * 1e9).round() / 1e9).min(1.0)
}

/// Reliability diagram of the evaluation's bins: observed churn share against mean predicted
/// probability per bin, with the number of rows in each equal-width bin written beside its
/// point (equal-count bins give their size in the legend). Both axes
/// end just past the largest mean or observed share, so the points fill the plot.
pub fn calibration_chart(eval: &Evaluation) -> LineChart {
    let bins: Vec<_> = eval.calibration.iter().filter(|b| b.count > 0).collect();
    let points: Vec<(f64, f64)> = bins
        .iter()
        .filter_map(|b| Some((b.mean_probability?, b.fraction_positive?)))
        .collect();
    let top = fitted_upper(points.iter().map(|p| p.0.max(p.1)).fold(0.0, f64::max));
    let strategy = match eval.calibration_strategy {
        CalibrationStrategy::Uniform => "10 equal-width bins",
        CalibrationStrategy::Quantile => "10 equal-count bins",
    };
    let mut c = LineChart::new(
        format!("Calibration (ECE {})", with_interval(&eval.ece)),
        format!("Mean predicted probability ({strategy})"),
        "Observed churn rate",
    );
    // Equal-count bins crowd where the predictions are dense: one count in the legend instead
    // of a label per point.
    let legend = match eval.calibration_strategy {
        CalibrationStrategy::Quantile => {
            let most = bins.iter().map(|b| b.count).max().unwrap_or(0);
            format!("Model (bins of at most {most} rows)")
        }
        CalibrationStrategy::Uniform => {
            c.annotations = bins
                .iter()
                .zip(&points)
                .map(|(b, &(x, y))| Annotation {
                    x,
                    y,
                    text: format!("n={}", b.count),
                })
                .collect();
            "Model (labels: rows per bin)".into()
        }
    };
    c.series.push(Series::with_markers(legend, points));
    c.baseline = Some(Series::line(
        "Perfectly calibrated",
        vec![(0.0, 0.0), (top, top)],
    ));
    c.legend_at = LegendAt::UpperLeft;
    c.x_range = Some((0.0, top));
    c.y_range = Some((0.0, top * 1.02));
    c
}

/// Cumulative share of churners captured against share of customers contacted.
pub fn gains_chart(labels: &[bool], probs: &[f64]) -> LineChart {
    let points = cumulative_gains(labels, probs)
        .unwrap_or_default()
        .iter()
        .map(|g| (g.fraction_targeted, g.fraction_captured))
        .collect();
    let mut c = LineChart::new(
        "Cumulative gains",
        "Share of customers contacted (highest scores first)",
        "Share of churners captured",
    );
    c.series
        .push(Series::line("Model", thin(points, MAX_CURVE_POINTS)));
    c.baseline = Some(Series::line(
        "Random targeting",
        vec![(0.0, 0.0), (1.0, 1.0)],
    ));
    c.legend_at = LegendAt::LowerRight;
    unit_square(c)
}

/// Lift of each score decile, with random targeting at 1.
pub fn lift_chart(labels: &[bool], probs: &[f64]) -> BarChart {
    let bars = lift_by_decile(labels, probs)
        .unwrap_or_default()
        .iter()
        .map(|d| Bar {
            label: d.decile.to_string(),
            value: d.lift.unwrap_or(0.0),
        })
        .collect();
    BarChart {
        title: "Lift by score decile".into(),
        category_label: "Score decile (1 = highest scores)".into(),
        value_label: "Lift (churn rate / base rate)".into(),
        series_name: "Model".into(),
        bars,
        origin: 0.0,
        baseline: Some(("Random targeting (lift 1)".into(), 1.0)),
        value_labels: true,
        ..Default::default()
    }
}

/// Overlaid histograms of predicted probability for churners and non-churners, each as shares of
/// its own class so unequal class sizes stay comparable.
pub fn score_distribution_chart(labels: &[bool], probs: &[f64]) -> HistogramChart {
    let pick = |class: bool| -> Vec<f64> {
        labels
            .iter()
            .zip(probs)
            .filter(|(&y, _)| y == class)
            .map(|(_, &p)| p)
            .collect()
    };
    let (churned, stayed) = (pick(true), pick(false));
    let top = fitted_upper(probs.iter().copied().fold(0.0, f64::max));
    HistogramChart {
        title: "Predicted probability by outcome".into(),
        x_label: format!("Predicted churn probability (0 to {})", fmt_range_end(top)),
        y_label: "Share of the class".into(),
        series: vec![
            (format!("Stayed (n={})", stayed.len()), stayed),
            (format!("Churned (n={})", churned.len()), churned),
        ],
        bins: 20,
        range: (0.0, top),
        normalize: true,
        ..Default::default()
    }
}

fn fmt_range_end(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Odds ratios `exp(coefficient)`, largest first, bars growing from 1 (no effect) on a log axis,
/// so a halving of the odds is as long as a doubling.
pub fn odds_ratio_chart(coefficients: &[(String, f64)]) -> BarChart {
    let mut bars: Vec<Bar> = coefficients
        .iter()
        .map(|(name, c)| Bar {
            label: name.clone(),
            value: c.exp(),
        })
        .collect();
    bars.sort_by(|a, b| b.value.total_cmp(&a.value));
    BarChart {
        title: "Coefficients as odds ratios".into(),
        category_label: "Feature".into(),
        value_label:
            "Odds ratio, exp(coefficient), per standard deviation of the feature (log scale)".into(),
        series_name: "Odds ratio".into(),
        bars,
        horizontal: true,
        origin: 1.0,
        baseline: Some(("No effect (1)".into(), 1.0)),
        value_labels: true,
        log_scale: true,
        legend_at: LegendAt::LowerRight,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_the_ends() {
        let pts: Vec<(f64, f64)> = (0..10_001).map(|i| (i as f64, i as f64)).collect();
        let t = thin(pts, 1000);
        assert!(t.len() <= 1001);
        assert_eq!(t[0], (0.0, 0.0));
        assert_eq!(*t.last().unwrap(), (10_000.0, 10_000.0));
    }

    #[test]
    fn axes_fit_predictions_below_a_third() {
        assert_eq!(fitted_upper(0.357), 0.4);
        assert_eq!(fitted_upper(0.3), 0.35);
        assert_eq!(fitted_upper(0.9), 1.0);
        assert_eq!(fitted_upper(0.0), 0.05);
        let probs: Vec<f64> = (0..100).map(|i| 0.35 * i as f64 / 99.0).collect();
        let labels: Vec<bool> = (0..100).map(|i| i % 3 == 0).collect();
        let e = crate::evaluate::evaluate_predictions(
            &labels,
            &probs,
            &crate::evaluate::EvalSettings::new().resamples(10),
        )
        .unwrap();
        let c = calibration_chart(&e);
        assert_eq!(c.series[0].points.len(), 10, "every quantile bin drawn");
        let top = c.x_range.unwrap().1;
        assert!(top < 0.5 && c.series[0].points.iter().all(|p| p.0 <= top && p.1 <= top));
        assert_eq!(score_distribution_chart(&labels, &probs).range, (0.0, 0.4));
    }

    #[test]
    fn odds_ratios_are_sorted_largest_first() {
        let c = odds_ratio_chart(&[("a".into(), -1.0), ("b".into(), 2.0), ("c".into(), 0.0)]);
        let names: Vec<&str> = c.bars.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(names, ["b", "c", "a"]);
        assert!((c.bars[1].value - 1.0).abs() < 1e-12);
    }
}
