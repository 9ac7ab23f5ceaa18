//! Population stability index (PSI) of a feature between training and scoring: decile bins of
//! the training values (plus a bin for missing values), PSI = sum (a - e) ln(a / e).

use serde::{Deserialize, Serialize};

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
    /// Decile edges of the training values.
    pub fn fit(feature: &str, values: &[f64]) -> PsiReference {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        sorted.sort_by(f64::total_cmp);
        let mut edges: Vec<f64> = Vec::new();
        if !sorted.is_empty() {
            for q in 1..10 {
                let e = sorted[(q * (sorted.len() - 1)) / 10];
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
