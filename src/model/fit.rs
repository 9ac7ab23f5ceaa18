//! One L2-regularised logistic fit with linfa-logistic, oriented to P(churn), with a convergence
//! check linfa does not do for us.

use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, ArrayView2, ShapeBuilder};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::stats::sigmoid;

/// Solver settings for one fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SolverOptions {
    /// L-BFGS iteration limit (linfa stops there silently).
    pub max_iterations: u64,
    /// Gradient tolerance per training row: linfa's objective is a *sum* of log-losses, so
    /// `1e-4` per row stops about where scikit-learn's `tol=1e-4` does.
    pub tolerance_per_row: f64,
}

impl Default for SolverOptions {
    fn default() -> Self {
        SolverOptions {
            max_iterations: 300,
            tolerance_per_row: 1e-4,
        }
    }
}

/// How a fit ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Convergence {
    /// Iterations used; linfa-logistic 0.8.1 does not report them, so always `None` for now.
    pub iterations: Option<u64>,
    /// The iteration limit.
    pub max_iterations: u64,
    /// The gradient tolerance used (summed gradient, `tolerance_per_row * n_rows`).
    pub gradient_tolerance: f64,
    /// L2 norm of the objective's gradient at the returned parameters.
    pub gradient_norm: f64,
    /// The solver stopped with the gradient above the tolerance: it ran into `max_iterations`
    /// (or stalled); the coefficients are the best found, not the optimum.
    pub hit_limit: bool,
}

/// A fitted logistic model oriented to P(churn).
#[derive(Debug, Clone, PartialEq)]
pub struct LogitFit {
    /// One coefficient per matrix column; positive pushes towards churn.
    pub coefficients: Array1<f64>,
    /// Intercept of the churn logit.
    pub intercept: f64,
    /// How the solver ended.
    pub convergence: Convergence,
}

/// Fit `P(churn | x)` on a standardised matrix with penalty `alpha` (objective: summed
/// log-loss + alpha/2 ||w||^2, intercept free), from a cold start (see [`fit_from`]).
///
/// # Errors
/// `SingleClass` when `y` has one class, `Generic` for solver failures (NaN in `x`, ...).
pub fn fit(x: ArrayView2<f64>, y: &[bool], alpha: f64, opts: &SolverOptions) -> Result<LogitFit> {
    fit_from(x, y, alpha, opts, None)
}

/// [`fit`] started from `start` (a fit at another alpha, or on a matrix with the same columns
/// scaled on other rows) instead of a cold start: the next optimum is near, so L-BFGS needs
/// fewer passes. The result meets the same gradient tolerance. A start that already meets it is
/// returned unchanged, so alphas the tolerance cannot tell apart get the same fit.
///
/// # Errors
/// As [`fit`].
pub fn fit_from(
    x: ArrayView2<f64>,
    y: &[bool],
    alpha: f64,
    opts: &SolverOptions,
    start: Option<&LogitFit>,
) -> Result<LogitFit> {
    assert_eq!(x.nrows(), y.len(), "rows of x and labels differ");
    let n_pos = y.iter().filter(|&&b| b).count();
    if n_pos == 0 || n_pos == y.len() {
        let detail = format!("{n_pos} churners among {} rows", y.len());
        return Err(Error::SingleClass {
            what: "training rows".into(),
            detail,
        });
    }
    let tolerance = opts.tolerance_per_row * y.len() as f64;
    let dataset = DatasetBase::new(x, Array1::from(y.to_vec()));
    // linfa's "positive" class is the majority class (the first seen on a tie): with churners
    // in the minority its coefficients describe P(not churn). Flip them so they always describe
    // P(churn), and a starting point the other way.
    let churn_is_positive = 2 * n_pos > y.len() || (2 * n_pos == y.len() && y[0]);
    let sign = if churn_is_positive { 1.0 } else { -1.0 };
    let mut solver = LogisticRegression::default()
        .alpha(alpha)
        .max_iterations(opts.max_iterations)
        .gradient_tolerance(tolerance);
    // A cold fit on many rows starts from the same fit on every PRESOLVE_STRIDE-th row (alpha
    // scaled alike, as the objective is a sum): a fraction of the passes' cost brings it near
    // the optimum. Without one, start from the intercept-only optimum (the churn share's logit,
    // all slopes zero): on imbalanced labels linfa's zero start spends its first passes there.
    let presolved = match start {
        None if x.nrows() >= PRESOLVE_MIN_ROWS => presolve(x, y, alpha, opts)?,
        _ => None,
    };
    let how = match (start, &presolved) {
        (Some(_), _) => "warm",
        (None, Some(_)) => "from a subsample",
        (None, None) => "cold",
    };
    let start = start.or(presolved.as_ref());
    let mut params = Array1::zeros(x.ncols() + 1);
    match start {
        Some(s) => {
            assert_eq!(s.coefficients.len(), x.ncols(), "start from another matrix");
            params
                .slice_mut(ndarray::s![..x.ncols()])
                .assign(&(&s.coefficients * sign));
            params[x.ncols()] = s.intercept * sign;
        }
        None => {
            let share = n_pos as f64 / y.len() as f64;
            params[x.ncols()] = (share / (1.0 - share)).ln() * sign;
        }
    }
    solver = solver.initial_params(params);
    let started = std::time::Instant::now();
    let fitted = solver
        .fit(&dataset)
        .map_err(|e| Error::Generic(format!("logistic fit (alpha {alpha}): {e}")))?;
    if fitted.labels().pos.class != churn_is_positive {
        return Err(Error::Generic(
            "linfa-logistic's positive class is not the majority class".into(),
        ));
    }
    let coefficients = fitted.params() * sign;
    let intercept = fitted.intercept() * sign;
    let gradient_norm = gradient_norm(x, y, alpha, &coefficients, intercept);
    log::debug!(
        "fit alpha {alpha} on {} x {} ({}): {:.2} s, gradient {gradient_norm:.3e}",
        x.nrows(),
        x.ncols(),
        how,
        started.elapsed().as_secs_f64()
    );
    let convergence = Convergence {
        iterations: None,
        max_iterations: opts.max_iterations,
        gradient_tolerance: tolerance,
        gradient_norm,
        hit_limit: gradient_norm > tolerance,
    };
    Ok(LogitFit {
        coefficients,
        intercept,
        convergence,
    })
}

/// Rows from which a cold fit first solves a subsample (see [`fit_from`]).
pub const PRESOLVE_MIN_ROWS: usize = 100_000;
/// Every how many rows the subsample of a cold fit takes one.
pub const PRESOLVE_STRIDE: usize = 8;

/// The fit on every [`PRESOLVE_STRIDE`]-th row with alpha divided alike; `None` when that
/// subsample has a single class (the fit's own check says so).
fn presolve(
    x: ArrayView2<f64>,
    y: &[bool],
    alpha: f64,
    opts: &SolverOptions,
) -> Result<Option<LogitFit>> {
    let rows: Vec<usize> = (0..x.nrows()).step_by(PRESOLVE_STRIDE).collect();
    let y_sub: Vec<bool> = rows.iter().map(|&i| y[i]).collect();
    let mut values = Vec::with_capacity(rows.len() * x.ncols());
    for column in x.columns() {
        values.extend(rows.iter().map(|&i| column[i]));
    }
    let x_sub = ndarray::Array2::from_shape_vec((rows.len(), x.ncols()).f(), values)
        .expect("rows x columns values");
    let scaled = alpha / PRESOLVE_STRIDE as f64;
    match fit_from(x_sub.view(), &y_sub, scaled, opts, None) {
        Err(Error::SingleClass { .. }) => Ok(None),
        other => other.map(Some),
    }
}

/// P(churn) for each row of `x`.
///
/// # Errors
/// `ModelMismatch` when `x` has the wrong number of columns (linfa would panic).
pub fn predict(coefficients: &Array1<f64>, intercept: f64, x: ArrayView2<f64>) -> Result<Vec<f64>> {
    if x.ncols() != coefficients.len() {
        return Err(Error::ModelMismatch {
            model_id: String::new(),
            reason: format!(
                "matrix has {} columns, model {}",
                x.ncols(),
                coefficients.len()
            ),
        });
    }
    Ok(x.dot(coefficients)
        .iter()
        .map(|&z| sigmoid(z + intercept))
        .collect())
}

/// Norm of the gradient of linfa's objective at (w, b); the same in either orientation.
fn gradient_norm(x: ArrayView2<f64>, y: &[bool], alpha: f64, w: &Array1<f64>, b: f64) -> f64 {
    let residual: Array1<f64> = x
        .dot(w)
        .iter()
        .zip(y)
        .map(|(&z, &yi)| sigmoid(z + b) - if yi { 1.0 } else { 0.0 })
        .collect();
    let grad_w = x.t().dot(&residual) + w * alpha;
    let grad_b = residual.sum();
    (grad_w.dot(&grad_w) + grad_b * grad_b).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::roc_auc;
    use ndarray::{Array2, ShapeBuilder};
    use rand::{Rng, SeedableRng};

    /// One informative standardised feature; churn share `share`.
    fn data(n: usize, share: f64, seed: u64) -> (Array2<f64>, Vec<bool>) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut xs = Vec::with_capacity(2 * n);
        let mut y = Vec::with_capacity(n);
        let shift = (share / (1.0 - share)).ln();
        let x0: Vec<f64> = (0..n).map(|_| rng.gen_range(-2.0..2.0)).collect();
        let x1: Vec<f64> = (0..n).map(|_| rng.gen_range(-2.0..2.0)).collect();
        for &v in &x0 {
            y.push(rng.gen::<f64>() < sigmoid(2.0 * v + shift));
        }
        xs.extend(x0);
        xs.extend(x1);
        (Array2::from_shape_vec((n, 2).f(), xs).unwrap(), y)
    }

    fn check_orientation(share: f64) {
        let (x, y) = data(2000, share, 7);
        let m = fit(x.view(), &y, 1.0, &SolverOptions::default()).unwrap();
        let p = predict(&m.coefficients, m.intercept, x.view()).unwrap();
        let auc = roc_auc(&y, &p).unwrap();
        assert!(auc > 0.7, "share {share}: auc {auc}");
        assert!(
            m.coefficients[0] > 1.0,
            "share {share}: coef {}",
            m.coefficients[0]
        );
        let mean_p = p.iter().sum::<f64>() / p.len() as f64;
        let actual = y.iter().filter(|&&b| b).count() as f64 / y.len() as f64;
        assert!(
            (mean_p - actual).abs() < 0.02,
            "share {share}: mean p {mean_p} vs {actual}"
        );
    }

    #[test]
    fn orients_to_churn_when_churners_are_the_minority() {
        check_orientation(0.15);
    }

    #[test]
    fn orients_to_churn_when_churners_are_the_majority() {
        check_orientation(0.8);
    }

    #[test]
    fn rejects_single_class() {
        let (x, _) = data(10, 0.5, 1);
        let err = fit(x.view(), &[false; 10], 1.0, &SolverOptions::default()).unwrap_err();
        assert!(matches!(err, Error::SingleClass { .. }));
    }

    #[test]
    fn reports_hitting_the_iteration_limit() {
        let (x, y) = data(2000, 0.3, 3);
        let opts = SolverOptions {
            max_iterations: 1,
            tolerance_per_row: 1e-9,
        };
        let m = fit(x.view(), &y, 1e-4, &opts).unwrap();
        assert!(m.convergence.hit_limit);
        let m = fit(x.view(), &y, 1e-4, &SolverOptions::default()).unwrap();
        assert!(!m.convergence.hit_limit, "{:?}", m.convergence);
    }

    /// The largest difference of a coefficient or the intercept.
    fn largest_gap(a: &LogitFit, b: &LogitFit) -> f64 {
        (&a.coefficients - &b.coefficients)
            .iter()
            .fold((a.intercept - b.intercept).abs(), |m, d| m.max(d.abs()))
    }

    /// A start at the optimum is kept (so its orientation is linfa's), and a start at another
    /// alpha's optimum reaches the same optimum as the cold start, both ways round.
    #[test]
    fn warm_starts_keep_an_optimum_and_reach_the_cold_one() {
        for share in [0.15, 0.8] {
            let (x, y) = data(2000, share, 11);
            let cold = fit(x.view(), &y, 1.0, &SolverOptions::default()).unwrap();
            let again =
                fit_from(x.view(), &y, 1.0, &SolverOptions::default(), Some(&cold)).unwrap();
            assert_eq!(again.coefficients, cold.coefficients, "share {share}");
            assert_eq!(again.intercept, cold.intercept, "share {share}");
            let tight = SolverOptions {
                max_iterations: 1000,
                tolerance_per_row: 1e-10,
            };
            let cold = fit(x.view(), &y, 1.0, &tight).unwrap();
            let other = fit(x.view(), &y, 300.0, &tight).unwrap();
            let warm = fit_from(x.view(), &y, 1.0, &tight, Some(&other)).unwrap();
            assert!(!warm.convergence.hit_limit, "{:?}", warm.convergence);
            let gap = largest_gap(&warm, &cold);
            assert!(
                gap < 1e-6,
                "share {share}: warm and cold optima differ by {gap}"
            );
            assert!((other.coefficients[0] - cold.coefficients[0]).abs() > 0.1);
        }
    }

    /// A cold fit on enough rows starts from a subsample's fit and still ends at the optimum;
    /// a subsample with one class is skipped.
    #[test]
    fn a_presolved_fit_reaches_the_optimum() {
        let n = PRESOLVE_MIN_ROWS + 10_000;
        let (x, y) = data(n, 0.2, 5);
        let fast = fit(x.view(), &y, 1.0, &SolverOptions::default()).unwrap();
        assert!(!fast.convergence.hit_limit, "{:?}", fast.convergence);
        assert!(presolve(x.view(), &y, 1.0, &SolverOptions::default())
            .unwrap()
            .is_some());
        let tight = SolverOptions {
            max_iterations: 1000,
            tolerance_per_row: 1e-10,
        };
        let exact = fit(x.view(), &y, 1.0, &tight).unwrap();
        let gap = largest_gap(&fast, &exact);
        assert!(gap < 1e-3, "presolved and exact optima differ by {gap}");
        // One churner, off the subsample's stride: no presolve, the fit still runs.
        let mut one = vec![false; n];
        one[PRESOLVE_STRIDE + 1] = true;
        assert!(presolve(x.view(), &one, 1.0, &SolverOptions::default())
            .unwrap()
            .is_none());
        fit(x.view(), &one, 1.0, &SolverOptions::default()).unwrap();
    }

    #[test]
    fn predict_checks_the_column_count() {
        let (x, _) = data(10, 0.5, 1);
        let err = predict(&Array1::zeros(3), 0.0, x.view()).unwrap_err();
        assert!(matches!(err, Error::ModelMismatch { .. }));
    }
}
