//! Ranking and probability metrics on (label, score) pairs, tie handling as scikit-learn does.

/// ROC AUC with ties counted half (the Mann-Whitney statistic, as `sklearn.metrics.roc_auc_score`).
/// `None` when only one class is present.
pub fn roc_auc(labels: &[bool], scores: &[f64]) -> Option<f64> {
    assert_eq!(
        labels.len(),
        scores.len(),
        "labels and scores differ in length"
    );
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (mut rank_sum_pos, mut n_pos) = (0.0f64, 0usize);
    let mut i = 0;
    while i < idx.len() {
        // A run of tied scores shares the mean of its ranks.
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let mean_rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if labels[k] {
                rank_sum_pos += mean_rank;
                n_pos += 1;
            }
        }
        i = j + 1;
    }
    let n_neg = labels.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let u = rank_sum_pos - (n_pos * (n_pos + 1)) as f64 / 2.0;
    Some(u / (n_pos as f64 * n_neg as f64))
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
}
