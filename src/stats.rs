//! Statistics shared by training, evaluation, scoring and the report: ranking metrics (ROC AUC,
//! average precision), probability metrics (log loss, Brier), quantiles under one rule, the
//! logistic function and population stability (PSI). A leaf: it imports nothing from the crate.
//!
//! [`Ranked`] sorts (label, score) pairs once and groups tied scores, so a metric for any
//! bootstrap weights is one linear pass with no sort; ties are handled as scikit-learn does.

use serde::{Deserialize, Serialize};

/// Probabilities are clipped to `[EPS, 1 - EPS]` before the log loss, as scikit-learn 1.9's
/// `log_loss` does (`eps = np.finfo(float64).eps`, applied to both `1 - p` and `p`).
pub const LOG_LOSS_EPS: f64 = f64::EPSILON;

/// ROC AUC with ties counted half (the Mann-Whitney statistic, as `sklearn.metrics.roc_auc_score`).
/// `None` when only one class is present.
pub fn roc_auc(labels: &[bool], scores: &[f64]) -> Option<f64> {
    auc_from_groups(&Ranked::new(labels, scores).groups(None))
}

/// Average precision exactly as `sklearn.metrics.average_precision_score`: the step-wise sum
/// `sum_k (R_k - R_{k-1}) P_k` over distinct score thresholds, tied scores forming one step.
/// `None` without positives.
pub fn average_precision(labels: &[bool], scores: &[f64]) -> Option<f64> {
    ap_from_groups(&Ranked::new(labels, scores).groups(None))
}

/// Mean log loss with probabilities clipped to `[LOG_LOSS_EPS, 1 - LOG_LOSS_EPS]`
/// (`sklearn.metrics.log_loss`). NaN for no rows.
pub fn log_loss(labels: &[bool], probs: &[f64]) -> f64 {
    mean_of(labels, probs, log_loss_term)
}

/// Brier score: the mean of `(p - y)^2` (`sklearn.metrics.brier_score_loss`). NaN for no rows.
pub fn brier_score(labels: &[bool], probs: &[f64]) -> f64 {
    mean_of(labels, probs, brier_term)
}

/// The mean over rows of a per-row term.
fn mean_of(labels: &[bool], probs: &[f64], term: fn(bool, f64) -> f64) -> f64 {
    assert_eq!(
        labels.len(),
        probs.len(),
        "labels and probabilities differ in length"
    );
    labels
        .iter()
        .zip(probs)
        .map(|(&y, &p)| term(y, p))
        .sum::<f64>()
        / labels.len() as f64
}

/// One row's log-loss term, clipped as [`log_loss`].
pub fn log_loss_term(y: bool, p: f64) -> f64 {
    let q = if y { p } else { 1.0 - p };
    -q.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS).ln()
}

/// One row's squared error.
pub fn brier_term(y: bool, p: f64) -> f64 {
    let d = p - f64::from(u8::from(y));
    d * d
}

/// The rows of one distinct score: total weight and positive weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Group {
    pub score: f64,
    pub n: f64,
    pub positives: f64,
}

/// Labels and scores sorted once by descending score, with tied scores grouped.
#[derive(Debug, Clone)]
pub struct Ranked<'a> {
    labels: &'a [bool],
    scores: &'a [f64],
    order: Vec<usize>,
    /// Start of each run of equal scores in `order`, then `order.len()`.
    bounds: Vec<usize>,
}

impl<'a> Ranked<'a> {
    /// Sort by descending score (scores must not be NaN).
    ///
    /// # Panics
    /// When the slices differ in length.
    pub fn new(labels: &'a [bool], scores: &'a [f64]) -> Self {
        assert_eq!(
            labels.len(),
            scores.len(),
            "labels and scores differ in length"
        );
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
        let mut bounds: Vec<usize> = (0..order.len())
            .filter(|&k| k == 0 || scores[order[k]] != scores[order[k - 1]])
            .collect();
        bounds.push(order.len());
        Ranked {
            labels,
            scores,
            order,
            bounds,
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True without rows.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Distinct scores, highest first, with their weighted counts (`None`: every row weight 1).
    /// Scores whose rows all have weight 0 are left out, as they do not occur in that resample.
    pub fn groups(&self, weights: Option<&[u32]>) -> Vec<Group> {
        let w = |i: usize| weights.map_or(1.0, |w| f64::from(w[i]));
        self.bounds
            .windows(2)
            .filter_map(|b| {
                let rows = &self.order[b[0]..b[1]];
                let n: f64 = rows.iter().map(|&i| w(i)).sum();
                let positives: f64 = rows
                    .iter()
                    .filter(|&&i| self.labels[i])
                    .map(|&i| w(i))
                    .sum();
                (n > 0.0).then(|| Group {
                    score: self.scores[rows[0]],
                    n,
                    positives,
                })
            })
            .collect()
    }

    /// The labels, in input order.
    pub fn labels(&self) -> &'a [bool] {
        self.labels
    }

    /// The scores, in input order.
    pub fn scores(&self) -> &'a [f64] {
        self.scores
    }
}

/// ROC AUC from weighted groups: P(positive outscores negative) + half P(tie).
pub fn auc_from_groups(groups: &[Group]) -> Option<f64> {
    let positives: f64 = groups.iter().map(|g| g.positives).sum();
    let negatives: f64 = groups.iter().map(|g| g.n - g.positives).sum();
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    let (mut neg_above, mut wins) = (0.0, 0.0);
    for g in groups {
        let neg = g.n - g.positives;
        wins += g.positives * (negatives - neg_above - neg) + 0.5 * g.positives * neg;
        neg_above += neg;
    }
    Some(wins / (positives * negatives))
}

/// Average precision from weighted groups, highest score first.
pub fn ap_from_groups(groups: &[Group]) -> Option<f64> {
    let positives: f64 = groups.iter().map(|g| g.positives).sum();
    if positives == 0.0 {
        return None;
    }
    let (mut tp, mut taken, mut ap) = (0.0, 0.0, 0.0);
    for g in groups {
        tp += g.positives;
        taken += g.n;
        ap += (g.positives / positives) * (tp / taken);
    }
    Some(ap)
}

/// Expected positives among the `k` highest-weighted rows, the group straddling the cut
/// contributing pro rata.
pub fn positives_in_top(groups: &[Group], k: f64) -> f64 {
    let (mut taken, mut pos) = (0.0, 0.0);
    for g in groups {
        if taken + g.n <= k {
            taken += g.n;
            pos += g.positives;
        } else {
            pos += g.positives * (k - taken) / g.n;
            break;
        }
    }
    pos
}

/// How a quantile between two order statistics is taken (numpy's `method` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantile {
    /// Interpolate linearly between the neighbouring values (numpy's default): medians,
    /// bootstrap percentiles, histogram ranges.
    Linear,
    /// The lower neighbour: always a value that occurred (PSI bin edges).
    Lower,
}

/// The `q`-quantile (0..=1, clamped) of ascending `sorted` values: the value at position
/// `q (n - 1)`, between its neighbours `a <= b` at fraction `f`. [`Quantile::Linear`] gives
/// `a + (b - a) f`, [`Quantile::Lower`] gives `a`.
///
/// # Panics
/// On an empty slice.
pub fn quantile(sorted: &[f64], q: f64, rule: Quantile) -> f64 {
    assert!(!sorted.is_empty(), "quantile of nothing");
    let mut pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    // q = 0.7 is stored a hair below 7/10, so 0.7 * 90 = 62.99999999999999: snap positions
    // within rounding error of a whole rank to it, as exact arithmetic would place them.
    if (pos - pos.round()).abs() <= 4.0 * f64::EPSILON * pos.max(1.0) {
        pos = pos.round();
    }
    let lo = pos.floor() as usize;
    let (a, b) = (sorted[lo], sorted[pos.ceil() as usize]);
    let f = pos - lo as f64;
    match rule {
        Quantile::Lower => a,
        Quantile::Linear if f == 0.0 || a == b => a,
        Quantile::Linear => a + (b - a) * f,
    }
}

/// The values that are not NaN, in their order.
fn present(values: &[f64]) -> Vec<f64> {
    values.iter().copied().filter(|x| !x.is_nan()).collect()
}

/// The values that are not NaN, ascending.
pub fn sorted_present(values: &[f64]) -> Vec<f64> {
    let mut v = present(values);
    // Values equal under the total order are the same bits, so an unstable sort gives the
    // same vector as a stable one, faster.
    v.sort_unstable_by(f64::total_cmp);
    v
}

/// The median of the values that are not NaN (the middle value, or the midpoint `(a + b) / 2`
/// of the two middle ones: the linear quantile at 0.5, computed as the textbook midpoint so
/// that it is exact); `None` when there are none.
pub fn median(values: &[f64]) -> Option<f64> {
    // Selection, not a sort: the same middle values in linear time.
    let mut v = present(values);
    let n = v.len();
    if n == 0 {
        return None;
    }
    let (lower, &mut upper, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        return Some(upper);
    }
    let below = lower.iter().copied().max_by(f64::total_cmp)?;
    Some((below + upper) / 2.0)
}

/// [`median`] of values already sorted ascending (none of them NaN).
pub fn median_of_sorted(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// The logistic function `1 / (1 + e^-z)`, computed without overflow for large `|z|`.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

// Population stability index (PSI) of a feature between training and scoring: decile bins of
// the training values (plus a bin for missing values), PSI = sum (a - e) ln(a / e).

/// Bin fractions below which a bin counts as this small, so empty bins do not give infinities.
const FLOOR: f64 = 1e-4;

/// The training distribution of one numeric feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PsiReference {
    pub feature: String,
    /// Upper bin edges (inclusive), ascending, distinct; values above the last fall in the last bin.
    pub edges: Vec<f64>,
    /// Training fraction per bin, then the missing fraction last.
    pub fractions: Vec<f64>,
}

fn bin_fractions(edges: &[f64], values: &[f64]) -> Vec<f64> {
    let mut counts = vec![0usize; edges.len() + 2];
    for &v in values {
        let k = if v.is_nan() {
            edges.len() + 1
        } else {
            edges.partition_point(|&e| e < v)
        };
        counts[k] += 1;
    }
    let n = values.len().max(1) as f64;
    counts.into_iter().map(|c| c as f64 / n).collect()
}

impl PsiReference {
    /// Decile edges of the training values: the 10th, ..., 90th percentiles by the `Lower` rule
    /// (so every edge is a value that occurred), repeated edges merged.
    pub fn fit(feature: &str, values: &[f64]) -> PsiReference {
        let sorted = sorted_present(values);
        let mut edges: Vec<f64> = Vec::new();
        if !sorted.is_empty() {
            for q in 1..10 {
                let e = quantile(&sorted, q as f64 / 10.0, Quantile::Lower);
                if edges.last() != Some(&e) {
                    edges.push(e);
                }
            }
        }
        let fractions = bin_fractions(&edges, values);
        PsiReference {
            feature: feature.into(),
            edges,
            fractions,
        }
    }

    /// PSI of `values` against this reference.
    pub fn psi(&self, values: &[f64]) -> f64 {
        let actual = bin_fractions(&self.edges, values);
        self.fractions
            .iter()
            .zip(&actual)
            .map(|(&e, &a)| {
                let (e, a) = (e.max(FLOOR), a.max(FLOOR));
                (a - e) * (a / e).ln()
            })
            .sum()
    }
}

/// The normal quantile of a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// A proportion's interval: `(low, high)`.
pub type Interval = (f64, f64);

/// The Wilson score interval of `k` successes in `n` trials at normal quantile `z`; `None` for
/// no trials. It stays inside [0, 1] and keeps its coverage at small counts and rates near 0,
/// where the plain normal interval does not.
pub fn wilson(k: u64, n: u64, z: f64) -> Option<Interval> {
    if n == 0 || k > n {
        return None;
    }
    let (n, p) = (n as f64, k as f64 / n as f64);
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(((center - half).max(0.0), (center + half).min(1.0)))
}

/// Newcombe's hybrid score interval (1998, method 10) for the difference of two proportions,
/// `k1 / n1 - k2 / n2`, from the two Wilson intervals; `None` when either side has no trials.
pub fn newcombe(k1: u64, n1: u64, k2: u64, n2: u64, z: f64) -> Option<Interval> {
    let (l1, u1) = wilson(k1, n1, z)?;
    let (l2, u2) = wilson(k2, n2, z)?;
    let (p1, p2) = (k1 as f64 / n1 as f64, k2 as f64 / n2 as f64);
    let d = p1 - p2;
    let low = d - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let high = d + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
    Some((low.max(-1.0), high.min(1.0)))
}

/// The relative reduction `1 - (k2 / n2) / (k1 / n1)` of a rate (group 2 against group 1) with
/// the Katz log interval of the risk ratio; `None` when either side has no trials or no events.
pub fn relative_reduction(k1: u64, n1: u64, k2: u64, n2: u64, z: f64) -> Option<(f64, Interval)> {
    if n1 == 0 || n2 == 0 || k1 == 0 || k2 == 0 || k1 > n1 || k2 > n2 {
        return None;
    }
    let (a, b, c, d) = (k2 as f64, n2 as f64, k1 as f64, n1 as f64);
    let log_rr = (a / b).ln() - (c / d).ln();
    let se = (1.0 / a - 1.0 / b + 1.0 / c - 1.0 / d).sqrt();
    let rr = |x: f64| 1.0 - x.exp();
    Some((rr(log_rr), (rr(log_rr + z * se), rr(log_rr - z * se))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roc_auc_counts_ties_half() {
        // sklearn.metrics.roc_auc_score([0,0,1,1],[0.1,0.4,0.35,0.8]) == 0.75
        let auc = roc_auc(&[false, false, true, true], &[0.1, 0.4, 0.35, 0.8]).unwrap();
        assert!((auc - 0.75).abs() < 1e-12);
        // All scores tied: 0.5.
        let auc = roc_auc(&[false, true, false, true], &[1.0; 4]).unwrap();
        assert!((auc - 0.5).abs() < 1e-12);
    }

    #[test]
    fn roc_auc_is_none_for_a_single_class() {
        assert_eq!(roc_auc(&[true, true], &[0.2, 0.3]), None);
    }

    #[test]
    fn log_loss_clips_certain_mistakes() {
        // sklearn.metrics.log_loss([1, 0], [0.0, 1.0]) == -log(eps) == 36.04365338911715
        assert!((log_loss(&[true, false], &[0.0, 1.0]) - 36.04365338911715).abs() < 1e-12);
        assert!(log_loss(&[true, false], &[1.0, 0.0]) < 1e-15);
    }

    #[test]
    fn quantile_interpolates_like_numpy() {
        // np.quantile([1, 2, 3, 4], [0.025, 0.5, 0.975]) == [1.075, 2.5, 3.925]
        let v = [1.0, 2.0, 3.0, 4.0];
        assert!((quantile(&v, 0.025, Quantile::Linear) - 1.075).abs() < 1e-12);
        assert_eq!(quantile(&v, 0.5, Quantile::Linear), 2.5);
        assert!((quantile(&v, 0.975, Quantile::Linear) - 3.925).abs() < 1e-12);
        // np.quantile([1, 2, 3, 4], 0.5, method="lower") == 2
        assert_eq!(quantile(&v, 0.5, Quantile::Lower), 2.0);
        assert_eq!(quantile(&[7.0], 0.3, Quantile::Linear), 7.0);
        // Deciles land on the ranks exact arithmetic gives: floor(7 * 90 / 10) = 63.
        let ranks: Vec<f64> = (0..91).map(f64::from).collect();
        for k in 1..10 {
            let want = (k * 90 / 10) as f64;
            assert_eq!(
                quantile(&ranks, k as f64 / 10.0, Quantile::Lower),
                want,
                "k = {k}"
            );
        }
    }

    #[test]
    fn median_by_selection_is_the_sorted_median_bit_for_bit() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for n in 0..60 {
            // Few distinct values (ties), signed zeros and NaNs among them.
            let pool = [-0.0, 0.0, 1.5, -2.25, 7.0, f64::NAN, 1e-300, 3.0];
            let v: Vec<f64> = (0..n).map(|_| pool[rng.gen_range(0..pool.len())]).collect();
            let want = median_of_sorted(&sorted_present(&v));
            assert_eq!(
                median(&v).map(f64::to_bits),
                want.map(f64::to_bits),
                "{v:?}"
            );
            let w: Vec<f64> = (0..n).map(|_| rng.gen_range(-1e3..1e3)).collect();
            let want = median_of_sorted(&sorted_present(&w));
            assert_eq!(median(&w).map(f64::to_bits), want.map(f64::to_bits));
        }
    }

    #[test]
    fn median_is_the_midpoint_and_ignores_missing() {
        assert_eq!(median(&[3.0, f64::NAN, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        // The midpoint of neighbours whose sum rounds: (a + b) / 2 exactly.
        let (a, b) = (0.1 + 0.2, 0.7);
        assert_eq!(median(&[a, b]), Some((a + b) / 2.0));
        assert_eq!(median(&[f64::NAN]), None);
    }

    #[test]
    fn sigmoid_is_stable_at_the_extremes() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert_eq!(sigmoid(800.0), 1.0);
        assert_eq!(sigmoid(-800.0), 0.0);
    }

    #[test]
    fn same_distribution_has_zero_psi_and_a_shift_has_a_large_one() {
        let train: Vec<f64> = (0..1000).map(|i| i as f64).collect();
        let r = PsiReference::fit("x", &train);
        assert!(r.psi(&train).abs() < 1e-12);
        let shifted: Vec<f64> = (0..1000).map(|i| i as f64 + 500.0).collect();
        assert!(r.psi(&shifted) > 1.0);
    }

    #[test]
    fn missing_values_have_their_own_bin() {
        let r = PsiReference::fit("x", &[1.0, 2.0, 3.0, f64::NAN]);
        assert!((r.fractions.last().unwrap() - 0.25).abs() < 1e-12);
        assert!(r.psi(&[f64::NAN; 4]) > 1.0);
    }

    #[test]
    fn wilson_matches_published_values() {
        // Newcombe (1998), table I: 81/263 -> 0.2553 to 0.3662; 0/10 -> 0 to 0.2775.
        let (lo, hi) = wilson(81, 263, Z95).unwrap();
        assert!(
            (lo - 0.2553).abs() < 5e-5 && (hi - 0.3662).abs() < 5e-5,
            "{lo} {hi}"
        );
        let (lo, hi) = wilson(0, 10, Z95).unwrap();
        assert!(lo == 0.0 && (hi - 0.2775).abs() < 5e-5, "{hi}");
        assert_eq!(wilson(1, 0, Z95), None);
    }

    #[test]
    fn newcombe_matches_the_published_example() {
        // Newcombe (1998), table II, example (a): 56/70 - 48/80 -> 0.0524 to 0.3339.
        let (lo, hi) = newcombe(56, 70, 48, 80, Z95).unwrap();
        assert!(
            (lo - 0.0524).abs() < 5e-5 && (hi - 0.3339).abs() < 5e-5,
            "{lo} {hi}"
        );
        // Example (h): 0/10 - 0/20 -> -0.1611 to 0.2775.
        let (lo, hi) = newcombe(0, 10, 0, 20, Z95).unwrap();
        assert!(
            (lo + 0.1611).abs() < 5e-5 && (hi - 0.2775).abs() < 5e-5,
            "{lo} {hi}"
        );
    }

    #[test]
    fn newcombe_covers_the_true_difference_at_about_95_percent() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let draws = |rng: &mut rand_chacha::ChaCha8Rng, n: u64, p: f64| {
            (0..n).filter(|_| rng.gen::<f64>() < p).count() as u64
        };
        for (n1, p1, n2, p2) in [
            (400, 0.1, 400, 0.1),
            (150, 0.2, 600, 0.12),
            (60, 0.05, 90, 0.05),
        ] {
            let reps = 2000;
            let covered = (0..reps)
                .filter(|_| {
                    let (k1, k2) = (draws(&mut rng, n1, p1), draws(&mut rng, n2, p2));
                    let (lo, hi) = newcombe(k1, n1, k2, n2, Z95).unwrap();
                    lo <= p1 - p2 && p1 - p2 <= hi
                })
                .count() as f64
                / reps as f64;
            // 2000 reps: a 95 % rate has a standard error of 0.5 points.
            assert!(
                (0.93..=0.98).contains(&covered),
                "{n1} {p1} {n2} {p2}: {covered}"
            );
        }
    }

    #[test]
    fn relative_reduction_of_a_halved_rate_is_one_half() {
        let (r, (lo, hi)) = relative_reduction(200, 1000, 100, 1000, Z95).unwrap();
        assert!((r - 0.5).abs() < 1e-12);
        // Katz: ln RR = ln 0.5, se = sqrt(1/100 - 1/1000 + 1/200 - 1/1000) = 0.11402; the
        // interval of 1 - RR is 1 - exp(ln 0.5 +- 1.96 se) = 0.3747 .. 0.6002.
        assert!(
            (lo - 0.3747).abs() < 5e-4 && (hi - 0.6002).abs() < 5e-4,
            "{lo} {hi}"
        );
        assert_eq!(relative_reduction(0, 10, 1, 10, Z95), None);
    }
}
