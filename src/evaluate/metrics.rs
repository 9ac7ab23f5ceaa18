//! Ranking and probability metrics on (label, score) pairs, tie handling as scikit-learn does.
//! The shared pieces (ROC AUC, log loss, Brier, the tie-grouped [`Ranked`] rows) live in
//! [`crate::stats`]; this module adds the evaluation's own metrics over one linear pass per
//! bootstrap resample.

use crate::stats::{
    ap_from_groups, auc_from_groups, brier_term, log_loss_term, positives_in_top, Ranked,
};

/// The shared definitions, part of the evaluation's vocabulary (implemented in [`crate::stats`]).
pub use crate::stats::{average_precision, brier_score, log_loss, roc_auc, LOG_LOSS_EPS};

/// Number of equal-width bins on [0, 1] for the expected calibration error.
pub const CALIBRATION_BINS: usize = 10;

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

impl Ranked<'_> {
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
        for (i, (&y, &p)) in self.labels().iter().zip(self.scores()).enumerate() {
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

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
