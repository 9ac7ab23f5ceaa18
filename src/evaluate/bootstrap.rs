//! Bootstrap resampling for percentile intervals. Resamples run in parallel, each drawn from its
//! own generator seeded from (seed, resample index), so results do not depend on the thread count.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::stats::{quantile, Quantile};

/// Fill `counts` with how often each of the `counts.len()` rows is drawn in resample `index`
/// (`counts.len()` draws with replacement).
pub fn resample_counts(seed: u64, index: u64, counts: &mut [u32]) {
    // One key per run, one ChaCha stream per resample: independent and reproducible.
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index);
    counts.fill(0);
    let n = counts.len();
    for _ in 0..n {
        counts[rng.gen_range(0..n)] += 1;
    }
}

/// `stat` evaluated on `resamples` bootstrap resamples of `n` rows (as per-row multiplicities),
/// in resample order.
pub fn bootstrap<T, F>(n: usize, resamples: usize, seed: u64, stat: F) -> Vec<T>
where
    T: Send,
    F: Fn(&[u32]) -> T + Sync,
{
    // Resamples are independent units: parallel, with the buffer reused within a worker only.
    (0..resamples)
        .into_par_iter()
        .map_init(
            || vec![0u32; n],
            |counts, b| {
                resample_counts(seed, b as u64, counts);
                stat(counts)
            },
        )
        .collect()
}

/// A percentile interval and how many resamples it rests on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// Resamples where the statistic was defined.
    pub n_used: usize,
}

/// The central `level` (e.g. 0.95) percentile interval of the defined values.
pub fn percentile_interval(values: impl Iterator<Item = Option<f64>>, level: f64) -> Interval {
    let mut v: Vec<f64> = values.flatten().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return Interval {
            low: None,
            high: None,
            n_used: 0,
        };
    }
    v.sort_by(f64::total_cmp);
    let tail = (1.0 - level) / 2.0;
    Interval {
        low: Some(quantile(&v, tail, Quantile::Linear)),
        high: Some(quantile(&v, 1.0 - tail, Quantile::Linear)),
        n_used: v.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resamples_draw_n_rows_and_differ_by_index() {
        let mut a = vec![0u32; 100];
        let mut b = vec![0u32; 100];
        resample_counts(7, 0, &mut a);
        resample_counts(7, 1, &mut b);
        assert_eq!(a.iter().sum::<u32>(), 100);
        assert_ne!(a, b);
        resample_counts(7, 0, &mut b);
        assert_eq!(a, b);
    }

    #[test]
    fn results_do_not_depend_on_thread_count() {
        let data: Vec<f64> = (0..300).map(|i| ((i * 37) % 101) as f64).collect();
        let mean = |w: &[u32]| {
            w.iter()
                .zip(&data)
                .map(|(&k, &x)| f64::from(k) * x)
                .sum::<f64>()
                / data.len() as f64
        };
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| bootstrap(data.len(), 200, 42, mean))
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(one, run(3));
        assert!(one.windows(2).any(|w| w[0] != w[1]));
    }

    #[test]
    fn interval_skips_undefined_resamples() {
        let i = percentile_interval([Some(1.0), None, Some(3.0), Some(2.0)].into_iter(), 0.95);
        assert_eq!(i.n_used, 3);
        assert!(i.low.unwrap() > 1.0 && i.high.unwrap() < 3.0);
        assert_eq!(percentile_interval([None].into_iter(), 0.95).n_used, 0);
    }
}
