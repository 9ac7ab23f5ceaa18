//! Curves behind the plots: ROC, precision-recall, reliability bins, cumulative gains and lift by
//! decile. One point per distinct score (tied scores collapse into one step, as scikit-learn).

use serde::{Deserialize, Serialize};

use super::metrics::{bin_edge, CALIBRATION_BINS};
use crate::stats::{positives_in_top, quantile, Group, Quantile, Ranked};

/// How the reliability bins are cut (scikit-learn's `calibration_curve(strategy=...)`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalibrationStrategy {
    /// Ten equal-width bins on [0, 1] (`strategy="uniform"`): empty wherever no prediction falls.
    Uniform,
    /// Ten bins holding about equal numbers of rows (`strategy="quantile"`), the default: every
    /// bin is populated however narrow the range of the predictions.
    #[default]
    Quantile,
}

impl CalibrationStrategy {
    /// The bins of evaluations recorded before the strategy was: uniform.
    pub(crate) fn older() -> Self {
        CalibrationStrategy::Uniform
    }

    /// The name in metrics files and plot labels: `uniform` or `quantile`.
    pub fn name(self) -> &'static str {
        match self {
            CalibrationStrategy::Uniform => "uniform",
            CalibrationStrategy::Quantile => "quantile",
        }
    }

    /// The eleven bin edges for `probs`: `linspace(0, 1, 11)`, or the 0th, 10th, ... 100th
    /// percentiles of `probs` (linear interpolation, as `np.percentile`).
    pub fn edges(self, probs: &[f64]) -> Vec<f64> {
        match self {
            CalibrationStrategy::Uniform => (0..=CALIBRATION_BINS).map(bin_edge).collect(),
            CalibrationStrategy::Quantile => {
                let mut sorted = probs.to_vec();
                sorted.sort_by(f64::total_cmp);
                if sorted.is_empty() {
                    return Self::Uniform.edges(probs);
                }
                (0..=CALIBRATION_BINS)
                    .map(|i| {
                        let q = i as f64 / CALIBRATION_BINS as f64;
                        quantile(&sorted, q, Quantile::Linear)
                    })
                    .collect()
            }
        }
    }
}

/// A point of the ROC curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RocPoint {
    /// Rows scoring at least this are flagged; the first point's is +infinity (nothing flagged).
    pub threshold: f64,
    pub fpr: f64,
    pub tpr: f64,
}

/// A point of the precision-recall curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PrPoint {
    pub threshold: f64,
    pub precision: f64,
    pub recall: f64,
}

/// One bin of the reliability diagram.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBin {
    /// Bin edges: `(lower, upper]`, the first bin also holding 0.
    pub lower: f64,
    pub upper: f64,
    pub count: usize,
    /// Mean predicted probability; `None` for an empty bin.
    pub mean_probability: Option<f64>,
    /// Observed share of positives; `None` for an empty bin.
    pub fraction_positive: Option<f64>,
}

/// A point of the cumulative gains curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GainsPoint {
    /// Share of rows contacted, best scores first.
    pub fraction_targeted: f64,
    /// Share of all positives among them.
    pub fraction_captured: f64,
}

/// Lift of one score decile (decile 1 = the highest-scored `ceil(n / 10)` rows).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DecileLift {
    pub decile: usize,
    pub rows: usize,
    /// Expected positives (rows tied across a decile boundary split pro rata).
    pub positives: f64,
    /// Positive rate in the decile over the overall base rate; `None` for an empty decile.
    pub lift: Option<f64>,
}

/// ROC curve like `sklearn.metrics.roc_curve(..., drop_intermediate=False)`: starting at (0, 0)
/// with threshold +infinity, then one point per distinct score, highest first. `None` unless both
/// classes are present.
pub fn roc_curve(labels: &[bool], scores: &[f64]) -> Option<Vec<RocPoint>> {
    let groups = Ranked::new(labels, scores).groups(None);
    let (pos, neg) = totals(&groups);
    if pos == 0.0 || neg == 0.0 {
        return None;
    }
    let mut points = vec![RocPoint {
        threshold: f64::INFINITY,
        fpr: 0.0,
        tpr: 0.0,
    }];
    let (mut tp, mut fp) = (0.0, 0.0);
    for g in &groups {
        tp += g.positives;
        fp += g.n - g.positives;
        points.push(RocPoint {
            threshold: g.score,
            fpr: fp / neg,
            tpr: tp / pos,
        });
    }
    Some(points)
}

/// Precision-recall points, one per distinct score, highest score first (recall rising), as
/// `sklearn.metrics.precision_recall_curve` without its final (recall 0, precision 1) sentinel.
/// `None` without positives.
pub fn pr_curve(labels: &[bool], scores: &[f64]) -> Option<Vec<PrPoint>> {
    let groups = Ranked::new(labels, scores).groups(None);
    let (pos, _) = totals(&groups);
    if pos == 0.0 {
        return None;
    }
    let (mut tp, mut taken) = (0.0, 0.0);
    let points = groups
        .iter()
        .map(|g| {
            tp += g.positives;
            taken += g.n;
            PrPoint {
                threshold: g.score,
                precision: tp / taken,
                recall: tp / pos,
            }
        })
        .collect();
    Some(points)
}

/// The ten equal-width reliability bins, empty ones included (bins as
/// `sklearn.calibration.calibration_curve(..., n_bins=10)`).
pub fn calibration_bins(labels: &[bool], probs: &[f64]) -> Vec<CalibrationBin> {
    calibration_bins_by(labels, probs, CalibrationStrategy::Uniform)
}

/// The ten reliability bins of `strategy`, empty ones included. A row falls in bin `i` when
/// `edges[i] < p <= edges[i + 1]` (the first bin also holds everything at or below its upper
/// edge), which is `np.searchsorted(edges[1:-1], p)` as scikit-learn bins.
pub fn calibration_bins_by(
    labels: &[bool],
    probs: &[f64],
    strategy: CalibrationStrategy,
) -> Vec<CalibrationBin> {
    assert_eq!(
        labels.len(),
        probs.len(),
        "labels and probabilities differ in length"
    );
    let edges = strategy.edges(probs);
    let inner = &edges[1..CALIBRATION_BINS];
    let mut sums = [(0usize, 0.0f64, 0usize); CALIBRATION_BINS];
    for (&y, &p) in labels.iter().zip(probs) {
        let s = &mut sums[inner.iter().take_while(|&&e| e < p).count()];
        s.0 += 1;
        s.1 += p;
        s.2 += usize::from(y);
    }
    sums.iter()
        .enumerate()
        .map(|(b, &(count, p_sum, pos))| CalibrationBin {
            lower: edges[b],
            upper: edges[b + 1],
            count,
            mean_probability: (count > 0).then(|| p_sum / count as f64),
            fraction_positive: (count > 0).then(|| pos as f64 / count as f64),
        })
        .collect()
}

/// Cumulative gains: from (0, 0), one point per distinct score, highest first. `None` without
/// positives.
pub fn cumulative_gains(labels: &[bool], scores: &[f64]) -> Option<Vec<GainsPoint>> {
    let groups = Ranked::new(labels, scores).groups(None);
    let (pos, neg) = totals(&groups);
    if pos == 0.0 {
        return None;
    }
    let n = pos + neg;
    let mut points = vec![GainsPoint {
        fraction_targeted: 0.0,
        fraction_captured: 0.0,
    }];
    let (mut tp, mut taken) = (0.0, 0.0);
    for g in &groups {
        tp += g.positives;
        taken += g.n;
        points.push(GainsPoint {
            fraction_targeted: taken / n,
            fraction_captured: tp / pos,
        });
    }
    Some(points)
}

/// Lift of each score decile; decile `d` holds ranks `ceil((d-1) n / 10) .. ceil(d n / 10)`, so
/// decile 1's lift is the top-decile lift. `None` without positives.
pub fn lift_by_decile(labels: &[bool], scores: &[f64]) -> Option<Vec<DecileLift>> {
    let groups = Ranked::new(labels, scores).groups(None);
    let (pos, neg) = totals(&groups);
    if pos == 0.0 {
        return None;
    }
    let n = labels.len();
    let base_rate = pos / (pos + neg);
    let cut = |d: usize| (d * n).div_ceil(10);
    let deciles = (1..=10)
        .map(|d| {
            let rows = cut(d) - cut(d - 1);
            let positives = positives_in_top(&groups, cut(d) as f64)
                - positives_in_top(&groups, cut(d - 1) as f64);
            let lift = (rows > 0).then(|| positives / rows as f64 / base_rate);
            DecileLift {
                decile: d,
                rows,
                positives,
                lift,
            }
        })
        .collect();
    Some(deciles)
}

fn totals(groups: &[Group]) -> (f64, f64) {
    let pos: f64 = groups.iter().map(|g| g.positives).sum();
    let n: f64 = groups.iter().map(|g| g.n).sum();
    (pos, n - pos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::metrics::tests::{golden500, small40};
    use crate::evaluate::metrics::top_decile_lift;
    use crate::stats::average_precision;

    #[test]
    fn curves_have_one_point_per_distinct_score() {
        // sklearn 1.9.1: len(roc_curve(y, p, drop_intermediate=False)[0]) == 11 for small40 and
        // 351 for metrics_golden.csv; precision_recall_curve gives as many, which is one more than
        // our PR points: its final (recall 0, precision 1) sentinel.
        let (y, p) = small40();
        assert_eq!(roc_curve(&y, &p).unwrap().len(), 11);
        assert_eq!(pr_curve(&y, &p).unwrap().len(), 10);
        let (y, p) = golden500();
        let roc = roc_curve(&y, &p).unwrap();
        assert_eq!(roc.len(), 351);
        assert_eq!((roc[0].fpr, roc[0].tpr), (0.0, 0.0));
        assert_eq!((roc[350].fpr, roc[350].tpr), (1.0, 1.0));
        assert_eq!(pr_curve(&y, &p).unwrap().len(), 350);
    }

    #[test]
    fn pr_curve_steps_give_average_precision() {
        let (y, p) = golden500();
        let pr = pr_curve(&y, &p).unwrap();
        let mut prev = 0.0;
        let ap: f64 = pr
            .iter()
            .map(|pt| {
                let step = (pt.recall - prev) * pt.precision;
                prev = pt.recall;
                step
            })
            .sum();
        assert!((ap - average_precision(&y, &p).unwrap()).abs() < 1e-12);
    }

    #[test]
    fn calibration_bins_match_sklearn_calibration_curve() {
        // sklearn 1.9.1 calibration_curve(y, p, n_bins=10) on metrics_golden.csv (no empty bins).
        let prob_true = [
            0.06474820143884892,
            0.0967741935483871,
            0.18666666666666668,
            0.20754716981132076,
            0.22,
            0.4583333333333333,
            0.4,
            0.47058823529411764,
            0.5833333333333334,
            0.7142857142857143,
        ];
        let prob_pred = [
            0.05608633093525177,
            0.14745161290322586,
            0.25084000000000006,
            0.3517735849056604,
            0.4468399999999999,
            0.5415416666666667,
            0.6594666666666666,
            0.743235294117647,
            0.8364999999999999,
            0.9314285714285715,
        ];
        let (y, p) = golden500();
        let bins = calibration_bins(&y, &p);
        assert_eq!(bins.iter().map(|b| b.count).sum::<usize>(), 500);
        for (b, (t, m)) in bins.iter().zip(prob_true.iter().zip(prob_pred)) {
            assert!((b.fraction_positive.unwrap() - t).abs() < 1e-12);
            assert!((b.mean_probability.unwrap() - m).abs() < 1e-12);
        }
    }

    #[test]
    fn quantile_bins_hold_equal_counts_where_uniform_bins_sit_empty() {
        // Predictions squeezed below 0.36, as the demo's: most uniform bins are empty.
        let p: Vec<f64> = (0..200).map(|i| 0.01 + 0.35 * i as f64 / 199.0).collect();
        let y: Vec<bool> = (0..200).map(|i| i % 4 == 0).collect();
        let uniform = calibration_bins_by(&y, &p, CalibrationStrategy::Uniform);
        assert_eq!(uniform.iter().filter(|b| b.count == 0).count(), 6);
        let q = calibration_bins_by(&y, &p, CalibrationStrategy::Quantile);
        assert!(q.iter().all(|b| b.count == 20), "{q:?}");
        assert_eq!((q[0].lower, q[9].upper), (0.01, 0.36));
        // Edges at np.percentile(p, [0, 10, ..., 100]): the first bin is the 20 lowest rows.
        let first: f64 = p[..20].iter().sum::<f64>() / 20.0;
        assert!((q[0].mean_probability.unwrap() - first).abs() < 1e-12);
    }

    #[test]
    fn first_decile_is_the_top_decile_and_deciles_cover_everything() {
        let (y, p) = small40();
        let d = lift_by_decile(&y, &p).unwrap();
        assert!((d[0].lift.unwrap() - top_decile_lift(&y, &p).unwrap()).abs() < 1e-12);
        assert_eq!(d.iter().map(|x| x.rows).sum::<usize>(), 40);
        assert!((d.iter().map(|x| x.positives).sum::<f64>() - 20.0).abs() < 1e-9);
        let gains = cumulative_gains(&y, &p).unwrap();
        assert_eq!(
            gains
                .last()
                .map(|g| (g.fraction_targeted, g.fraction_captured)),
            Some((1.0, 1.0))
        );
    }
}
