//! Ranking and probability metrics on (label, score) pairs, tie handling as scikit-learn does.
//! [`Ranked`] sorts the rows once and evaluates every metric for any bootstrap weights in one
//! linear pass, so a resample costs no sort.

/// Number of equal-width bins on [0, 1] for the expected calibration error.
pub const CALIBRATION_BINS: usize = 10;

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

/// Expected calibration error over [`CALIBRATION_BINS`] equal-width bins (see
/// [`calibration_bin`]): `sum_b (n_b / n) |mean probability_b - fraction positive_b|`.
pub fn expected_calibration_error(labels: &[bool], probs: &[f64]) -> f64 {
    Ranked::new(labels, probs).metrics(None, 1).ece
}

/// Positive rate among the top 10 % of rows by score (`ceil(n / 10)` rows) over the base rate.
/// Rows tied with the last one taken count pro rata (each tied row contributes the group's
/// positive share), which is the expected value when ties are broken at random and does not
/// depend on row order. `None` without positives.
pub fn top_decile_lift(labels: &[bool], scores: &[f64]) -> Option<f64> {
    Ranked::new(labels, scores).metrics(None, 1).top_decile_lift
}

/// Precision and recall when the `capacity` highest-scored rows are contacted, ties at the cut
/// counted pro rata as in [`top_decile_lift`]. Recall is `None` without positives.
pub fn precision_recall_at(labels: &[bool], scores: &[f64], capacity: usize) -> (f64, Option<f64>) {
    let m = Ranked::new(labels, scores).metrics(None, capacity);
    (m.precision_at_capacity, m.recall_at_capacity)
}

/// The default capacity: 10 % of the rows, rounded up.
pub fn default_capacity(n_rows: usize) -> usize {
    n_rows.div_ceil(10)
}

/// The calibration bin of a probability, matching `sklearn.calibration.calibration_curve(...,
/// n_bins=10, strategy="uniform")`: the edges are `np.linspace(0, 1, 11)` (so `i * 0.1` in
/// floating point) and bins are closed on the right (`np.searchsorted(edges[1:-1], p)`, side
/// "left"): 0.2 is in bin 1, (0.2, 0.3] in bin 2, and 0.0 in bin 0.
pub fn calibration_bin(p: f64) -> usize {
    (1..CALIBRATION_BINS)
        .take_while(|&i| bin_edge(i) < p)
        .count()
}

/// Edge `i` of the calibration bins, bit-identical to `np.linspace(0, 1, 11)[i]`.
pub fn bin_edge(i: usize) -> f64 {
    if i == CALIBRATION_BINS {
        1.0
    } else {
        i as f64 * (1.0 / CALIBRATION_BINS as f64)
    }
}

fn log_loss_term(y: bool, p: f64) -> f64 {
    let q = if y { p } else { 1.0 - p };
    -q.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS).ln()
}

fn brier_term(y: bool, p: f64) -> f64 {
    let d = p - f64::from(u8::from(y));
    d * d
}

/// Every metric of one (possibly resampled) evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointMetrics {
    pub roc_auc: Option<f64>,
    pub pr_auc: Option<f64>,
    pub log_loss: f64,
    pub brier: f64,
    pub ece: f64,
    pub top_decile_lift: Option<f64>,
    pub precision_at_capacity: f64,
    pub recall_at_capacity: Option<f64>,
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

    /// Every metric for rows weighted by `weights` (bootstrap multiplicities; `None`: all 1), with
    /// `capacity` rows contacted. Scores must be probabilities in [0, 1].
    pub fn metrics(&self, weights: Option<&[u32]>, capacity: usize) -> PointMetrics {
        let groups = self.groups(weights);
        let n: f64 = groups.iter().map(|g| g.n).sum();
        let positives: f64 = groups.iter().map(|g| g.positives).sum();
        let (log_loss, brier, ece) = self.probability_metrics(weights, n);
        let top_k = (n / 10.0).ceil();
        let in_capacity = positives_in_top(&groups, capacity as f64);
        let has_pos = positives > 0.0;
        PointMetrics {
            roc_auc: auc_from_groups(&groups),
            pr_auc: ap_from_groups(&groups),
            log_loss,
            brier,
            ece,
            top_decile_lift: has_pos
                .then(|| positives_in_top(&groups, top_k) / top_k / (positives / n)),
            precision_at_capacity: in_capacity / capacity as f64,
            recall_at_capacity: has_pos.then(|| in_capacity / positives),
        }
    }

    /// Weighted mean log loss, Brier score and ECE over `n` total weight.
    fn probability_metrics(&self, weights: Option<&[u32]>, n: f64) -> (f64, f64, f64) {
        let (mut ll, mut brier) = (0.0, 0.0);
        // Per bin: sum of probabilities minus sum of labels; ECE = sum_b |that| / n.
        let mut gap = [0.0f64; CALIBRATION_BINS];
        for (i, (&y, &p)) in self.labels.iter().zip(self.scores).enumerate() {
            let w = weights.map_or(1.0, |w| f64::from(w[i]));
            if w == 0.0 {
                continue;
            }
            ll += w * log_loss_term(y, p);
            brier += w * brier_term(y, p);
            gap[calibration_bin(p)] += w * (p - f64::from(u8::from(y)));
        }
        let ece = gap.iter().map(|g| g.abs()).sum::<f64>() / n;
        (ll / n, brier / n, ece)
    }
}

/// ROC AUC from weighted groups: P(positive outscores negative) + half P(tie).
pub(crate) fn auc_from_groups(groups: &[Group]) -> Option<f64> {
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
pub(crate) fn ap_from_groups(groups: &[Group]) -> Option<f64> {
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
pub(crate) fn positives_in_top(groups: &[Group], k: f64) -> f64 {
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

#[cfg(test)]
pub(crate) mod tests {
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

    // Golden numbers from scikit-learn 1.9.1 / numpy 2.4.6, produced by the script in
    // tests/fixtures/README.md: roc_auc_score, average_precision_score, log_loss,
    // brier_score_loss, calibration_curve(n_bins=10, strategy="uniform"). ECE, lift and
    // precision/recall at capacity have no sklearn function; the script computes them with numpy:
    //   b = np.searchsorted(np.linspace(0, 1, 11)[1:-1], p)          # calibration_curve's bins
    //   ece = sum(abs(p[b == i].sum() - y[b == i].sum()) for i in range(10)) / n
    //   lift = (positives_in_top(y, p, ceil(n / 10)) / ceil(n / 10)) / y.mean()
    // where positives_in_top walks distinct scores from the highest and counts the group
    // straddling the cut pro rata.

    /// 40 rows on a 0.1 grid: heavy ties, values on bin edges, exact 0 and 1.
    pub(crate) fn small40() -> (Vec<bool>, Vec<f64>) {
        let labels = [
            1, 0, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 1, 1, 0,
            1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1,
        ];
        let scores = vec![
            0.6, 0.9, 0.8, 0.2, 0.3, 0.9, 0.0, 0.8, 0.8, 0.5, 0.3, 0.3, 0.3, 0.4, 0.5, 0.6, 1.0,
            0.8, 0.6, 1.0, 0.2, 0.2, 0.6, 0.0, 0.0, 0.5, 0.5, 0.9, 0.6, 0.5, 0.5, 0.2, 0.0, 0.2,
            0.7, 0.2, 0.4, 0.0, 0.8, 0.2,
        ];
        (labels.iter().map(|&l| l == 1).collect(), scores)
    }

    /// tests/fixtures/metrics_golden.csv: 500 rows, 97 positives, 3-decimal scores.
    pub(crate) fn golden500() -> (Vec<bool>, Vec<f64>) {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/metrics_golden.csv"
        );
        let text = std::fs::read_to_string(path).unwrap();
        text.lines()
            .skip(1)
            .map(|l| {
                let (y, p) = l.split_once(',').unwrap();
                (y == "1", p.parse::<f64>().unwrap())
            })
            .unzip()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn small_tied_sample_matches_sklearn() {
        let (y, p) = small40();
        let m = Ranked::new(&y, &p).metrics(None, default_capacity(y.len()));
        assert!(close(m.roc_auc.unwrap(), 0.805));
        assert!(close(m.pr_auc.unwrap(), 0.790611471861472));
        assert!(close(m.log_loss, 1.3652042988138098));
        assert!(close(m.brier, 0.1795));
        assert!(close(m.ece, 0.145));
        assert!(close(m.top_decile_lift.unwrap(), 1.6666666666666665));
        assert!(close(m.precision_at_capacity, 0.8333333333333333));
        assert!(close(m.recall_at_capacity.unwrap(), 0.16666666666666666));
    }

    #[test]
    fn golden_file_matches_sklearn() {
        let (y, p) = golden500();
        assert_eq!((y.len(), y.iter().filter(|&&l| l).count()), (500, 97));
        let m = Ranked::new(&y, &p).metrics(None, default_capacity(y.len()));
        assert!(close(m.roc_auc.unwrap(), 0.7459133815967869));
        assert!(close(m.pr_auc.unwrap(), 0.43371815478864106));
        assert!(close(m.log_loss, 0.4673390042400714));
        assert!(close(m.brier, 0.151403924));
        assert!(close(m.ece, 0.09738000000000001));
        assert!(close(m.top_decile_lift.unwrap(), 2.5773195876288657));
        assert!(close(m.precision_at_capacity, 0.5));
        assert!(close(m.recall_at_capacity.unwrap(), 0.25773195876288657));
    }

    #[test]
    fn scalar_helpers_agree_with_the_ranked_pass() {
        let (y, p) = golden500();
        let m = Ranked::new(&y, &p).metrics(None, 50);
        assert!(close(roc_auc(&y, &p).unwrap(), m.roc_auc.unwrap()));
        assert_eq!(average_precision(&y, &p), m.pr_auc);
        assert!(close(log_loss(&y, &p), m.log_loss));
        assert!(close(brier_score(&y, &p), m.brier));
        assert!(close(expected_calibration_error(&y, &p), m.ece));
        assert_eq!(top_decile_lift(&y, &p), m.top_decile_lift);
        assert_eq!(
            precision_recall_at(&y, &p, 50),
            (m.precision_at_capacity, m.recall_at_capacity)
        );
    }

    #[test]
    fn weights_equal_repeating_rows() {
        let (y, p) = small40();
        let w: Vec<u32> = (0..y.len() as u32).map(|i| i % 3).collect();
        let mut ry = Vec::new();
        let mut rp = Vec::new();
        for i in 0..y.len() {
            for _ in 0..w[i] {
                ry.push(y[i]);
                rp.push(p[i]);
            }
        }
        let weighted = Ranked::new(&y, &p).metrics(Some(&w), 7);
        let repeated = Ranked::new(&ry, &rp).metrics(None, 7);
        let pairs = [
            (weighted.roc_auc.unwrap(), repeated.roc_auc.unwrap()),
            (weighted.pr_auc.unwrap(), repeated.pr_auc.unwrap()),
            (weighted.log_loss, repeated.log_loss),
            (weighted.brier, repeated.brier),
            (weighted.ece, repeated.ece),
            (
                weighted.top_decile_lift.unwrap(),
                repeated.top_decile_lift.unwrap(),
            ),
            (
                weighted.precision_at_capacity,
                repeated.precision_at_capacity,
            ),
        ];
        for (a, b) in pairs {
            assert!(close(a, b), "{a} vs {b}");
        }
    }

    #[test]
    fn log_loss_clips_certain_mistakes() {
        // sklearn.metrics.log_loss([1, 0], [0.0, 1.0]) == -log(eps) == 36.04365338911715
        assert!(close(
            log_loss(&[true, false], &[0.0, 1.0]),
            36.04365338911715
        ));
        assert!(log_loss(&[true, false], &[1.0, 0.0]) < 1e-15);
    }

    #[test]
    fn calibration_bins_match_numpy_searchsorted_left() {
        // np.searchsorted(np.linspace(0, 1, 11)[1:-1], [0, .1, .2, .3, .30000000000000004, .95, 1])
        let p = [0.0, 0.1, 0.2, 0.3, 0.30000000000000004, 0.95, 1.0];
        let bins: Vec<usize> = p.iter().map(|&x| calibration_bin(x)).collect();
        assert_eq!(bins, vec![0, 0, 1, 2, 2, 9, 9]);
        assert_eq!(bin_edge(3), 0.30000000000000004);
    }

    #[test]
    fn ece_is_zero_when_each_bin_is_calibrated() {
        // In each bin the mean probability equals the positive share: 0.25 with 1 of 4 positive
        // in (0.2, 0.3], 0.75 with 3 of 4 in (0.7, 0.8].
        let p = [0.22, 0.28, 0.25, 0.25, 0.72, 0.78, 0.75, 0.75];
        let y = [true, false, false, false, true, true, false, true];
        assert!(expected_calibration_error(&y, &p).abs() < 1e-12);
    }

    #[test]
    fn ties_at_the_cut_count_pro_rata() {
        // Top decile of 20 rows is 2 rows; the top 4 rows tie and hold 1 positive: 0.5 expected.
        let mut p = vec![0.9; 4];
        p.extend([0.1; 16]);
        let mut y = vec![true, false, false, false];
        y.extend([true; 2]);
        y.extend([false; 14]);
        // base rate 3/20; positive rate in the top 2 = 0.5 / 2.
        assert!(close(
            top_decile_lift(&y, &p).unwrap(),
            (0.25) / (3.0 / 20.0)
        ));
        let (prec, rec) = precision_recall_at(&y, &p, 4);
        assert!(close(prec, 0.25) && close(rec.unwrap(), 1.0 / 3.0));
    }

    #[test]
    fn ranking_metrics_are_none_without_positives() {
        let m = Ranked::new(&[false, false], &[0.2, 0.4]).metrics(None, 1);
        assert_eq!(
            (m.roc_auc, m.pr_auc, m.top_decile_lift, m.recall_at_capacity),
            (None, None, None, None)
        );
        assert!(m.log_loss.is_finite());
    }
}
