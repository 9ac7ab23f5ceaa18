//! Feature distributions of churned against retained customers on a model's training rows: a
//! table of means and medians per numeric feature and overlaid histograms of the strongest ones.

use super::{Figure, Section, Table};
use crate::error::Result;
use crate::frame::{ColumnValues, FeatureTable};
use crate::model::{ChurnModel, FeatureKind};
use crate::plot::{
    bar_chart_png, bar_chart_svg, histogram_chart_png, histogram_chart_svg, Bar, BarChart,
    HistogramChart,
};
use crate::stats::{median_of_sorted, quantile, Quantile};

/// Histograms are drawn for this many numeric source features, largest |coefficient| first.
pub const N_HISTOGRAMS: usize = 6;

const HISTOGRAM_BINS: usize = 20;

// Two side by side in the report's 1100-pixel column (less padding and figure margins).
const HISTOGRAM_SIZE: (u32, u32) = (500, 380);

/// Mean and median of one class's values of a feature (missing values left out).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassStats {
    /// Arithmetic mean.
    pub mean: f64,
    /// Middle value (mean of the two middle ones for an even count).
    pub median: f64,
    /// Non-missing values.
    pub n: usize,
}

/// Mean and median of the finite values; `None` when there are none.
pub fn class_stats(values: &[f64]) -> Option<ClassStats> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = median_of_sorted(&v).expect("values are not empty");
    Some(ClassStats {
        mean: v.iter().sum::<f64>() / n as f64,
        median,
        n,
    })
}

/// A numeric feature's labelled values split into (churned, retained).
fn split_by_label(table: &FeatureTable, values: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut churned = Vec::new();
    let mut retained = Vec::new();
    for (v, label) in values.iter().zip(&table.labels) {
        match label {
            Some(true) => churned.push(*v),
            Some(false) => retained.push(*v),
            None => {}
        }
    }
    (churned, retained)
}

/// The model's numeric source features that `table` holds as numbers, in model order.
fn numeric_features<'a>(model: &ChurnModel, table: &'a FeatureTable) -> Vec<(String, &'a [f64])> {
    model
        .source_features
        .iter()
        .filter(|f| f.kind == FeatureKind::Numeric)
        .filter_map(|f| match table.column(&f.name).map(|c| &c.values) {
            Some(ColumnValues::Numeric(v)) => Some((f.name.clone(), v.as_slice())),
            _ => None,
        })
        .collect()
}

/// Largest |coefficient| over each source feature's matrix columns.
pub fn source_strength(model: &ChurnModel, source: &str) -> f64 {
    model
        .preprocessor
        .columns
        .iter()
        .zip(&model.coefficients)
        .filter(|(c, _)| c.source == source)
        .map(|(_, w)| w.abs())
        .fold(0.0, f64::max)
}

/// `a / b` as text, or "n/a" when `b` is zero or either is undefined.
fn ratio(a: f64, b: f64) -> String {
    if b == 0.0 || !a.is_finite() || !b.is_finite() {
        "n/a".into()
    } else {
        format!("{:.2}", a / b)
    }
}

/// Compact number text: 4 significant digits without float noise.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    if x != 0.0 && (x.abs() >= 1e6 || x.abs() < 1e-3) {
        return format!("{x:.3e}");
    }
    let s = format!("{x:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Table of mean and median per class and their ratios, one row per numeric feature.
pub fn stats_table(model: &ChurnModel, table: &FeatureTable) -> Table {
    let header = [
        "feature",
        "mean churned",
        "mean retained",
        "ratio of means",
        "median churned",
        "median retained",
        "ratio of medians",
    ];
    let rows = numeric_features(model, table)
        .into_iter()
        .map(|(name, values)| {
            let (churned, retained) = split_by_label(table, values);
            let (c, r) = (class_stats(&churned), class_stats(&retained));
            let pick =
                |s: Option<ClassStats>, f: fn(&ClassStats) -> f64| s.as_ref().map_or(f64::NAN, f);
            let (cm, rm) = (pick(c, |s| s.mean), pick(r, |s| s.mean));
            let (cd, rd) = (pick(c, |s| s.median), pick(r, |s| s.median));
            vec![
                name,
                num(cm),
                num(rm),
                ratio(cm, rm),
                num(cd),
                num(rd),
                ratio(cd, rd),
            ]
        })
        .collect();
    Table::new(header.iter().map(|h| h.to_string()).collect(), rows)
}

/// Histogram range and bins: the 1st to 99th percentile of both classes (so one extreme customer
/// does not squeeze every other bar into one bin), one bin per value for small whole numbers.
fn histogram_bins(values: &[f64]) -> Option<((f64, f64), usize)> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let (lo, hi) = (
        quantile(&v, 0.01, Quantile::Linear),
        quantile(&v, 0.99, Quantile::Linear),
    );
    let whole = v.iter().all(|x| x.fract() == 0.0);
    Some(if whole && hi - lo <= 2.0 * HISTOGRAM_BINS as f64 {
        ((lo - 0.5, hi + 0.5), (hi - lo) as usize + 1)
    } else if hi - lo < 1e-12 {
        ((lo - 0.5, hi + 0.5), 1)
    } else {
        ((lo, hi), HISTOGRAM_BINS)
    })
}

/// Overlaid normalised histograms ("churned", "retained") of one feature.
pub fn histogram(name: &str, table: &FeatureTable, values: &[f64]) -> Option<HistogramChart> {
    let (range, bins) = histogram_bins(values)?;
    let (churned, retained) = split_by_label(table, values);
    Some(HistogramChart {
        title: name.to_string(),
        x_label: format!("{name} (1st to 99th percentile)"),
        y_label: "Share of the class".into(),
        series: vec![("churned".into(), churned), ("retained".into(), retained)],
        bins,
        range,
        normalize: true,
        size: Some(HISTOGRAM_SIZE),
        ..Default::default()
    })
}

/// Whether every finite value is 0 or 1 (flags, one-hot columns, missing indicators).
fn is_binary(values: &[f64]) -> bool {
    let mut finite = values.iter().filter(|x| x.is_finite()).peekable();
    finite.peek().is_some() && finite.all(|&x| x == 0.0 || x == 1.0)
}

/// A 0/1 feature as two bars: the share of churned and of retained rows with value 1 (a
/// two-bin histogram says the same less plainly).
pub fn binary_bars(name: &str, table: &FeatureTable, values: &[f64]) -> BarChart {
    let (churned, retained) = split_by_label(table, values);
    let share = |v: &[f64]| {
        let finite: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
        if finite.is_empty() {
            0.0
        } else {
            finite.iter().sum::<f64>() / finite.len() as f64
        }
    };
    BarChart {
        title: name.to_string(),
        category_label: "Class".into(),
        value_label: format!("Share with {name} = 1"),
        series_name: format!("{name} = 1"),
        bars: vec![
            Bar {
                label: "churned".into(),
                value: share(&churned),
            },
            Bar {
                label: "retained".into(),
                value: share(&retained),
            },
        ],
        origin: 0.0,
        value_labels: true,
        value_range: Some((0.0, 1.05)),
        size: Some(HISTOGRAM_SIZE),
        ..Default::default()
    }
}

/// The figure of one feature: bars for a 0/1 feature, else overlaid histograms; `None` when it
/// has no finite values.
fn feature_figure(name: &str, table: &FeatureTable, values: &[f64]) -> Result<Option<Figure>> {
    if is_binary(values) {
        let chart = binary_bars(name, table, values);
        return Ok(Some(Figure {
            title: name.to_string(),
            svg: bar_chart_svg(&chart)?,
            png: bar_chart_png(&chart)?,
        }));
    }
    let Some(chart) = histogram(name, table, values) else {
        return Ok(None);
    };
    Ok(Some(Figure {
        title: name.to_string(),
        svg: histogram_chart_svg(&chart)?,
        png: histogram_chart_png(&chart)?,
    }))
}

/// Figures of the [`N_HISTOGRAMS`] numeric features with the largest |coefficient|.
///
/// # Errors
/// Drawing failures.
pub fn histogram_figures(model: &ChurnModel, table: &FeatureTable) -> Result<Vec<Figure>> {
    let mut features = numeric_features(model, table);
    features.sort_by(|a, b| source_strength(model, &b.0).total_cmp(&source_strength(model, &a.0)));
    let mut figures = Vec::new();
    for (name, values) in features {
        if figures.len() == N_HISTOGRAMS {
            break;
        }
        figures.extend(feature_figure(&name, table, values)?);
    }
    Ok(figures)
}

/// The distributions section from the training rows and a line saying where they came from, or
/// the reason there are none (empty: no data was given).
///
/// # Errors
/// Drawing failures.
pub fn distributions_section(
    title: &str,
    model: &ChurnModel,
    rows: std::result::Result<(&FeatureTable, &str), &str>,
) -> Result<Section> {
    let mut section = Section {
        title: title.into(),
        ..Default::default()
    };
    let (table, origin) = match rows {
        Ok(rows) => rows,
        Err(reason) => {
            section.lines.push(if reason.is_empty() {
                "No training data given (the event history for an event model, the table for a tabular one), so no distributions.".into()
            } else {
                reason.to_string()
            });
            return Ok(section);
        }
    };
    let churned = table.labels.iter().filter(|l| **l == Some(true)).count();
    let labelled = table.labels.iter().filter(|l| l.is_some()).count();
    section.lines.push(format!(
        "{origin}: {labelled} labelled rows, {churned} churned, {} retained. Missing values are left out.",
        labelled - churned
    ));
    section.lines.push(format!(
        "Figures: the {N_HISTOGRAMS} numeric features with the largest |coefficient|, each class as shares of its own rows; 0/1 features as bars (share of each class with value 1)."
    ));
    section.tables.push(stats_table(model, table));
    section.figures = histogram_figures(model, table)?;
    Ok(section)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_leave_out_missing_values() {
        let s = class_stats(&[3.0, f64::NAN, 1.0, 2.0, 10.0]).unwrap();
        assert_eq!((s.n, s.median, s.mean), (4, 2.5, 4.0));
        assert!(class_stats(&[f64::NAN]).is_none());
    }

    #[test]
    fn small_whole_numbers_get_one_bin_per_value() {
        let counts: Vec<f64> = (0..100).map(|i| (i % 5) as f64).collect();
        assert_eq!(histogram_bins(&counts), Some(((-0.5, 4.5), 5)));
        let spread: Vec<f64> = (0..=100).map(|i| i as f64 * 0.5).collect();
        assert_eq!(histogram_bins(&spread), Some(((0.5, 49.5), HISTOGRAM_BINS)));
        assert_eq!(histogram_bins(&[f64::NAN]), None);
    }

    #[test]
    fn zero_one_features_are_bars_of_each_class_share() {
        assert!(is_binary(&[0.0, 1.0, f64::NAN, 1.0]));
        assert!(!is_binary(&[0.0, 1.0, 2.0]));
        assert!(!is_binary(&[f64::NAN]));
        let mut table = crate::model::train::tests::synthetic(4, 0.5, 1);
        table.labels = vec![Some(true), Some(true), Some(false), None];
        let chart = binary_bars("annual_contract", &table, &[1.0, 0.0, 1.0, 1.0]);
        let shares: Vec<f64> = chart.bars.iter().map(|b| b.value).collect();
        assert_eq!(shares, [0.5, 1.0]);
    }

    #[test]
    fn ratio_needs_a_nonzero_denominator() {
        assert_eq!(ratio(3.0, 2.0), "1.50");
        assert_eq!(ratio(3.0, 0.0), "n/a");
    }

    #[test]
    fn numbers_print_without_float_noise() {
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(0.1 + 0.2), "0.3");
        assert_eq!(num(12.0), "12");
        assert_eq!(num(f64::NAN), "n/a");
    }
}
