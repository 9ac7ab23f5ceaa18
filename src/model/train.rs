//! Training: model selection over an alpha grid x folds (folds in parallel with rayon, each
//! walking the grid with warm starts), the final refit,
//! holdout predictions, the leakage guard and the assembled model with its metrics.

use ndarray::{Array2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::artifact::{
    ChurnModel, FeatureProfile, HoldoutMetrics, LeakFlag, Mode, SourceSummary, Tiers,
    ValidationSummary, FORMAT_VERSION,
};
use super::fit::{self, LogitFit, SolverOptions};
use super::folds::{self, Fold, Plan};
use super::matrix::{MatrixOptions, Preprocessor};
use super::params::{Terms, ValidTrainParams};
use super::sample::{self, SampleCorrection};
use crate::error::{Error, Result};
use crate::frame::{ColumnValues, FeatureTable};
use crate::progress::{Progress, Silent};
use crate::stats::{median, roc_auc, PsiReference};
use crate::time::{format_day, Day};

/// One (alpha, fold) model-selection fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvUnit {
    /// Penalty.
    pub alpha: f64,
    /// Fold number, from 0.
    pub fold: usize,
    /// Validation cutoff `YYYY-MM-DD` (event mode).
    pub cutoff: Option<String>,
    /// Training rows.
    pub n_train: usize,
    /// Validation rows.
    pub n_valid: usize,
    /// Validation ROC AUC.
    pub auc: f64,
    /// The fit stopped at the iteration limit.
    pub hit_limit: bool,
}

/// Mean validation AUC of one alpha.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlphaSummary {
    /// Penalty.
    pub alpha: f64,
    /// Mean of its folds' validation ROC AUC.
    pub mean_auc: f64,
}

/// Training's metrics, as the model folder records them ([`crate::store::ModelMetrics`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainMetrics {
    /// Every (alpha, fold) fit, alpha-major.
    pub cv: Vec<CvUnit>,
    /// Mean validation AUC per alpha, in grid order.
    pub mean_auc: Vec<AlphaSummary>,
    /// The alpha with the best mean AUC (ties: the larger alpha).
    pub chosen_alpha: f64,
    /// Metrics of the holdout predictions.
    pub holdout: HoldoutMetrics,
    /// The forms of numeric terms compared, and which was chosen (absent when only linear
    /// terms were allowed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub terms: Vec<TermsSummary>,
}

/// One form of numeric terms tried in model selection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TermsSummary {
    /// `linear`, or `binned` (linear terms plus quantile bins).
    pub form: String,
    /// Quantile bins per numeric feature (0 for linear).
    pub bins: usize,
    /// The form's best mean validation ROC AUC over the alpha grid.
    pub cv_mean_auc: f64,
    /// Whether this form was chosen.
    pub chosen: bool,
}

/// One holdout prediction, as the model folder records it.
#[derive(Debug, Clone, PartialEq)]
pub struct HoldoutPrediction {
    /// Customer id.
    pub customer_id: String,
    /// As-of date (event mode).
    pub as_of: Option<Day>,
    /// Churned.
    pub label: bool,
    /// Predicted P(churn).
    pub probability: f64,
    /// The row's `monthly_revenue` when the table has that numeric column (the evaluation's
    /// revenue captured by decile).
    pub revenue: Option<f64>,
}

/// Everything a training run produces, ready for [`crate::store::Registry::save`].
#[derive(Debug, Clone)]
pub struct TrainOutcome {
    /// The model.
    pub model: ChurnModel,
    /// Selection and holdout metrics.
    pub metrics: TrainMetrics,
    /// Holdout predictions.
    pub predictions: Vec<HoldoutPrediction>,
}

/// Model selection results: the per-unit table and each unit's validation predictions.
#[derive(Debug, Clone)]
pub struct GridSearch {
    /// The validation design.
    pub plan: Plan,
    /// Every (alpha, fold) fit, alpha-major.
    pub units: Vec<CvUnit>,
    /// Validation predictions of each unit, aligned with its fold's `valid` rows.
    pub predictions: Vec<Vec<f64>>,
    /// Mean AUC per alpha.
    pub mean_auc: Vec<AlphaSummary>,
    /// Quantile bins per numeric feature in the matrices (0: linear terms only).
    pub bins: usize,
    /// The alphas searched: the settings' grid, then any decades it was extended by.
    pub alphas: Vec<f64>,
    /// Index of the chosen alpha in `alphas`.
    pub chosen: usize,
    /// Every unit's fit, alpha-major like `units`.
    pub fits: Vec<LogitFit>,
    /// Each fold's matrix column names.
    pub fold_columns: Vec<Vec<String>>,
}

/// Train a churn model on `table`: tabular mode when rows have no as-of date, event mode
/// (time-ordered folds, latest cutoff held out) when they all do.
///
/// # Errors
/// `Usage` for event rows without a horizon, `SingleClass`/`BadData` for unusable labels or
/// folds, `Leak` with
/// `fail_on_leak` when a column's own holdout AUC reaches the threshold.
pub fn train(table: &FeatureTable, settings: &ValidTrainParams) -> Result<TrainOutcome> {
    train_with(table, settings, &Silent)
}

/// [`train`], reporting one unit per (alpha, fold) fit of the grid, then the final fit.
///
/// # Errors
/// As [`train`].
pub fn train_with(
    table: &FeatureTable,
    settings: &ValidTrainParams,
    progress: &dyn Progress,
) -> Result<TrainOutcome> {
    let (search, forms) = choose_terms(table, settings, progress)?;
    let alpha = search.alphas[search.chosen];
    let plan = &search.plan;
    let (pre, mut final_fit, x_final) = fit_final(table, &search, settings)?;
    let correction = settings.sample_rates().map(|r| {
        let y = labels_of(table, &plan.final_train);
        SampleCorrection::new(r, y.iter().filter(|&&b| b).count(), y.len())
    });
    if let Some(c) = &correction {
        final_fit.intercept -= c.intercept_shift;
    }
    // The holdout rows' matrix, built once (in tabular mode they are the final training rows).
    let x_holdout = if plan.holdout == plan.final_train {
        x_final
    } else {
        pre.transform(table, Some(&plan.holdout))?
    };
    let predictions = holdout_predictions(table, &search, &x_holdout, &final_fit, &correction)?;
    let leak_flags = leak_check(
        table,
        &plan.holdout,
        &x_holdout,
        &pre,
        settings.leak_threshold(),
    );
    if settings.fail_on_leak() && !leak_flags.is_empty() {
        return Err(Error::Leak {
            features: describe_leaks(&leak_flags),
        });
    }
    warn_about(&pre, &final_fit, &search, &leak_flags);
    let mut metrics = metrics(&search, alpha, &predictions, &correction);
    metrics.terms = forms;
    let fitted = Final {
        pre,
        fit: final_fit,
        leak_flags,
    };
    let held_out = Holdout {
        predictions: &predictions,
        correction,
    };
    let model = assemble(table, settings, &search, fitted, &metrics, held_out);
    Ok(TrainOutcome {
        model,
        metrics,
        predictions,
    })
}

/// Quantile bins per numeric feature in the binned form.
pub const BINS: usize = 5;

/// Mean validation AUC the binned form must gain over linear to be chosen: the fold-to-fold
/// noise of an AUC is far larger, so a smaller gain is no evidence for the extra terms.
pub const TERMS_NOISE: f64 = 0.002;

/// Model selection over the forms of numeric terms the settings allow: linear, and with
/// [`Terms::Search`] linear plus [`BINS`] quantile bins, chosen only when its best mean
/// validation AUC beats linear's by [`TERMS_NOISE`]. Returns the chosen search and the
/// comparison (empty for linear only).
fn choose_terms(
    table: &FeatureTable,
    settings: &ValidTrainParams,
    progress: &dyn Progress,
) -> Result<(GridSearch, Vec<TermsSummary>)> {
    let linear = grid_search(table, settings, 0, progress)?;
    if settings.terms() == Terms::Linear {
        return Ok((linear, Vec::new()));
    }
    let binned = grid_search(table, settings, BINS, progress)?;
    let best = |s: &GridSearch| s.mean_auc[s.chosen].mean_auc;
    let use_bins = best(&binned) >= best(&linear) + TERMS_NOISE;
    let summary = |s: &GridSearch, form: &str, chosen: bool| TermsSummary {
        form: form.into(),
        bins: s.bins,
        cv_mean_auc: best(s),
        chosen,
    };
    let forms = vec![
        summary(&linear, "linear", !use_bins),
        summary(&binned, "binned", use_bins),
    ];
    log::info!(
        "terms: linear CV ROC AUC {:.4}, binned {:.4}: {} chosen",
        best(&linear),
        best(&binned),
        if use_bins { "binned" } else { "linear" }
    );
    Ok((if use_bins { binned } else { linear }, forms))
}

/// Most rounds of [`train_dropping_leaks`]: each removes the columns the guard flagged.
pub const MAX_LEAK_ROUNDS: usize = 3;

/// [`train_with`], and while the leakage guard flags columns, train again without their source
/// features (at most [`MAX_LEAK_ROUNDS`] drops, each followed by a training). Returns the
/// outcome and the features dropped, in the order they were dropped.
///
/// # Errors
/// As [`train`]; `BadData` when every feature looks leaked; `Leak` when flags remain after the
/// last round.
pub fn train_dropping_leaks(
    table: &FeatureTable,
    settings: &ValidTrainParams,
    progress: &dyn Progress,
) -> Result<(TrainOutcome, Vec<String>)> {
    let mut table = table.clone();
    let mut dropped: Vec<String> = Vec::new();
    for round in 0..=MAX_LEAK_ROUNDS {
        let outcome = train_with(&table, settings, progress)?;
        let mut leaky: Vec<String> = outcome
            .model
            .leak_flags
            .iter()
            .map(|f| f.source.clone())
            .collect();
        leaky.dedup();
        if leaky.is_empty() {
            return Ok((outcome, dropped));
        }
        if round == MAX_LEAK_ROUNDS {
            return Err(Error::Leak {
                features: format!(
                    "{} still flagged after dropping {} in {MAX_LEAK_ROUNDS} rounds",
                    describe_leaks(&outcome.model.leak_flags),
                    dropped.join(", ")
                ),
            });
        }
        log::warn!(
            "retraining without possibly leaked features: {}",
            leaky.join(", ")
        );
        table.columns.retain(|c| !leaky.contains(&c.name));
        dropped.extend(leaky);
        if table.columns.is_empty() {
            return Err(Error::BadData("every feature looks leaked".into()));
        }
    }
    unreachable!("the last round returns")
}

/// Cross-validate every alpha of the grid and choose one.
///
/// # Errors
/// As [`train`], without the leakage guard.
pub fn grid_search(
    table: &FeatureTable,
    settings: &ValidTrainParams,
    bins: usize,
    progress: &dyn Progress,
) -> Result<GridSearch> {
    check_shape(table)?;
    let s = settings;
    let plan = folds::plan(
        table,
        s.n_folds(),
        s.max_rolling_folds(),
        s.horizon_days(),
        s.seed(),
    )?;
    // Folds are independent: build their matrices (imputation and scaling fitted inside each
    // fold) on all cores.
    let prepared: Vec<PreparedFold> = plan
        .folds
        .par_iter()
        .map(|f| {
            let options = MatrixOptions {
                bins,
                ..s.matrix_options()
            };
            PreparedFold::new(table, f, options)
        })
        .collect::<Result<_>>()?;
    let alphas = s.alphas().to_vec();
    let cold = vec![None; prepared.len()];
    let (units, predictions, fits) = run_units(&prepared, &alphas, &cold, s, progress)?;
    let mut grid = Grid {
        alphas,
        units,
        predictions,
        fits,
    };
    extend_past_edges(&mut grid, &prepared, s, progress)?;
    let Grid {
        alphas,
        units,
        predictions,
        fits,
    } = grid;
    let chosen = choose(&mean_auc_per_alpha(&alphas, &units));
    Ok(GridSearch {
        plan,
        bins,
        mean_auc: mean_auc_per_alpha(&alphas, &units),
        alphas,
        units,
        predictions,
        chosen,
        fits,
        fold_columns: prepared.iter().map(|p| p.columns.clone()).collect(),
    })
}

/// The alphas searched so far and their fits, alpha-major.
struct Grid {
    alphas: Vec<f64>,
    units: Vec<CvUnit>,
    predictions: Vec<Vec<f64>>,
    fits: Vec<LogitFit>,
}

/// A best alpha at an edge of the grid that beats its neighbour means the best may lie beyond
/// it: extend a decade at a time, a bounded number of times, and say so.
fn extend_past_edges(
    grid: &mut Grid,
    prepared: &[PreparedFold],
    s: &ValidTrainParams,
    progress: &dyn Progress,
) -> Result<()> {
    for extension in 0..=MAX_GRID_EXTENSIONS {
        let mean = mean_auc_per_alpha(&grid.alphas, &grid.units);
        let chosen = choose(&mean);
        let Some(next) =
            beyond_edge(&grid.alphas, chosen).filter(|_| beats_neighbour(&mean, chosen))
        else {
            return Ok(());
        };
        if extension == MAX_GRID_EXTENSIONS {
            log::warn!(
                "the best alpha {} is still at the edge of the grid after {MAX_GRID_EXTENSIONS} \
                 extensions",
                grid.alphas[chosen]
            );
            return Ok(());
        }
        log::info!(
            "the best alpha {} is at the edge of the grid: trying {next}",
            grid.alphas[chosen]
        );
        // Each fold's walk goes on from its fit at the edge.
        let n_folds = prepared.len();
        let edge: Vec<Option<&LogitFit>> = (0..n_folds)
            .map(|f| Some(&grid.fits[chosen * n_folds + f]))
            .collect();
        let (more_units, more_predictions, more_fits) =
            run_units(prepared, &[next], &edge, s, progress)?;
        grid.alphas.push(next);
        grid.units.extend(more_units);
        grid.predictions.extend(more_predictions);
        grid.fits.extend(more_fits);
    }
    Ok(())
}

/// Most decades the grid is extended by when its best alpha lies at an edge.
pub const MAX_GRID_EXTENSIONS: usize = 3;

/// Whether the chosen alpha's mean AUC beats the nearest alpha's by more than a rounding
/// tolerance: on a flat stretch (ties go to the larger alpha) the grid is not walked further.
fn beats_neighbour(mean: &[AlphaSummary], chosen: usize) -> bool {
    let a = mean[chosen].alpha;
    let nearest = mean.iter().filter(|s| s.alpha != a).min_by(|x, y| {
        (x.alpha.ln() - a.ln())
            .abs()
            .total_cmp(&(y.alpha.ln() - a.ln()).abs())
    });
    nearest.is_some_and(|n| mean[chosen].mean_auc > n.mean_auc + 1e-6)
}

/// The next alpha to try when the chosen one is the grid's largest (times 10) or smallest
/// (divided by 10), within 1e-8 ..= 1e6; `None` when it is inside the grid.
fn beyond_edge(alphas: &[f64], chosen: usize) -> Option<f64> {
    let a = alphas[chosen];
    let (lo, hi) = alphas
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        });
    if alphas.len() < 2 {
        return None;
    }
    let next = if a == hi {
        a * 10.0
    } else if a == lo {
        a / 10.0
    } else {
        return None;
    };
    (1e-8..=1e6).contains(&next).then_some(next)
}

/// The units, validation predictions and fits of a grid, alpha-major.
type Fits = (Vec<CvUnit>, Vec<Vec<f64>>, Vec<LogitFit>);

/// Every (alpha, fold) fit of `alphas`, alpha-major. Each fold walks its alphas from the
/// largest (the most regularised, nearest `starts[fold]` or a cold start) to the smallest,
/// each fit starting from the last: the walk needs far fewer solver passes than cold starts,
/// and meets the same gradient tolerance. Folds are independent and spread over cores (each fit
/// is single-threaded inside linfa); a walk is sequential and draws no random numbers, so
/// results do not depend on the number of threads.
fn run_units(
    prepared: &[PreparedFold],
    alphas: &[f64],
    starts: &[Option<&LogitFit>],
    s: &ValidTrainParams,
    progress: &dyn Progress,
) -> Result<Fits> {
    let mut order: Vec<usize> = (0..alphas.len()).collect();
    order.sort_by(|&a, &b| alphas[b].total_cmp(&alphas[a]));
    progress.start(
        "model selection fits",
        (alphas.len() * prepared.len()) as u64,
    );
    let walk = |f: usize, p: &PreparedFold| -> Result<Vec<(CvUnit, Vec<f64>, LogitFit)>> {
        let mut done: Vec<Option<(CvUnit, Vec<f64>, LogitFit)>> = vec![None; alphas.len()];
        let mut last = starts[f].cloned();
        for &a in &order {
            let unit = run_unit(p, f, alphas[a], s.solver(), last.as_ref())?;
            progress.advance(1);
            last = Some(unit.2.clone());
            done[a] = Some(unit);
        }
        Ok(done
            .into_iter()
            .map(|u| u.expect("every alpha fitted"))
            .collect())
    };
    let threads = rayon::current_num_threads();
    let walks: Vec<Vec<(CvUnit, Vec<f64>, LogitFit)>> =
        if threads > 1 && prepared.len() > threads && prepared.len() <= 2 * threads {
            // A few more walks than worker threads (3 folds on 2 cores): a pool would run the last
            // walk alone after the others, leaving cores idle for a whole walk. One thread per walk
            // lets the system share the cores among all of them instead (at most twice the threads
            // asked for); each walk is still sequential.
            std::thread::scope(|scope| {
                let handles: Vec<_> = prepared
                    .iter()
                    .enumerate()
                    .map(|(f, p)| scope.spawn(move || walk(f, p)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect::<Result<_>>()
            })?
        } else {
            prepared
                .par_iter()
                .enumerate()
                .map(|(f, p)| walk(f, p))
                .collect::<Result<_>>()?
        };
    progress.finish();
    // Walks are fold-major; the grid is alpha-major.
    let mut walks: Vec<_> = walks.into_iter().map(Vec::into_iter).collect();
    let mut out: Fits = (Vec::new(), Vec::new(), Vec::new());
    for _ in alphas {
        for walk in &mut walks {
            let (unit, pred, fit) = walk.next().expect("one fit per alpha");
            out.0.push(unit);
            out.1.push(pred);
            out.2.push(fit);
        }
    }
    Ok(out)
}

/// A fold's matrices, preprocessor fitted on its training rows only.
struct PreparedFold {
    x_train: Array2<f64>,
    y_train: Vec<bool>,
    x_valid: Array2<f64>,
    y_valid: Vec<bool>,
    cutoff: Option<Day>,
    columns: Vec<String>,
}

impl PreparedFold {
    fn new(table: &FeatureTable, fold: &Fold, cap: MatrixOptions) -> Result<PreparedFold> {
        let pre = Preprocessor::fit_with(table, &fold.train, cap)?;
        Ok(PreparedFold {
            x_train: pre.transform(table, Some(&fold.train))?,
            y_train: labels_of(table, &fold.train),
            x_valid: pre.transform(table, Some(&fold.valid))?,
            y_valid: labels_of(table, &fold.valid),
            cutoff: fold.cutoff,
            columns: pre.column_names(),
        })
    }
}

fn run_unit(
    p: &PreparedFold,
    fold: usize,
    alpha: f64,
    solver: &SolverOptions,
    start: Option<&LogitFit>,
) -> Result<(CvUnit, Vec<f64>, LogitFit)> {
    let m = fit::fit_from(p.x_train.view(), &p.y_train, alpha, solver, start)?;
    let pred = fit::predict(&m.coefficients, m.intercept, p.x_valid.view())?;
    let auc = roc_auc(&p.y_valid, &pred)
        .ok_or_else(|| Error::BadData(format!("validation fold {fold} has a single class")))?;
    let unit = CvUnit {
        alpha,
        fold,
        cutoff: p.cutoff.map(format_day),
        n_train: p.y_train.len(),
        n_valid: p.y_valid.len(),
        auc,
        hit_limit: m.convergence.hit_limit,
    };
    Ok((unit, pred, m))
}

fn mean_auc_per_alpha(alphas: &[f64], units: &[CvUnit]) -> Vec<AlphaSummary> {
    alphas
        .iter()
        .map(|&alpha| {
            let aucs: Vec<f64> = units
                .iter()
                .filter(|u| u.alpha == alpha)
                .map(|u| u.auc)
                .collect();
            AlphaSummary {
                alpha,
                mean_auc: aucs.iter().sum::<f64>() / aucs.len() as f64,
            }
        })
        .collect()
}

/// Index of the best mean AUC; ties go to the larger alpha (the simpler model).
fn choose(mean_auc: &[AlphaSummary]) -> usize {
    let mut best = 0;
    for (i, s) in mean_auc.iter().enumerate() {
        let b = &mean_auc[best];
        if s.mean_auc > b.mean_auc || (s.mean_auc == b.mean_auc && s.alpha > b.alpha) {
            best = i;
        }
    }
    best
}

/// The final preprocessor and fit at the chosen alpha on the final training rows, and their
/// matrix. The fit starts from the last fold's fit at that alpha (in event mode the fold
/// nearest the final rows in time) when its matrix has the same columns: scaled on most of the
/// same rows, it lies near the optimum, and the fit still runs to the same gradient tolerance
/// (which it may already meet; `convergence` records the gradient either way).
fn fit_final(
    table: &FeatureTable,
    search: &GridSearch,
    settings: &ValidTrainParams,
) -> Result<(Preprocessor, LogitFit, Array2<f64>)> {
    let rows = &search.plan.final_train;
    let options = MatrixOptions {
        bins: search.bins,
        ..settings.matrix_options()
    };
    let pre = Preprocessor::fit_with(table, rows, options)?;
    let x = pre.transform(table, Some(rows))?;
    let n_folds = search.fold_columns.len();
    let start = (n_folds > 0 && search.fold_columns[n_folds - 1] == pre.column_names())
        .then(|| &search.fits[search.chosen * n_folds + n_folds - 1]);
    let alpha = search.alphas[search.chosen];
    let m = fit::fit_from(
        x.view(),
        &labels_of(table, rows),
        alpha,
        settings.solver(),
        start,
    )?;
    Ok((pre, m, x))
}

/// Out-of-fold predictions of the chosen alpha (tabular) or the final model on the held-out
/// cutoff (event), in table row order, as the population's under a sample `correction`.
fn holdout_predictions(
    table: &FeatureTable,
    search: &GridSearch,
    x_holdout: &Array2<f64>,
    m: &LogitFit,
    correction: &Option<SampleCorrection>,
) -> Result<Vec<HoldoutPrediction>> {
    let plan = &search.plan;
    let mut probability = vec![f64::NAN; table.n_rows()];
    match plan.validation.out_of_fold() {
        true => {
            let n_folds = plan.folds.len();
            for (f, fold) in plan.folds.iter().enumerate() {
                let pred = &search.predictions[search.chosen * n_folds + f];
                for (&i, &p) in fold.valid.iter().zip(pred) {
                    // The folds' fits carry the sample's intercept; the final fit is corrected.
                    probability[i] = correction.as_ref().map_or(p, |c| c.correct(p));
                }
            }
        }
        false => {
            let pred = fit::predict(&m.coefficients, m.intercept, x_holdout.view())?;
            for (&i, p) in plan.holdout.iter().zip(pred) {
                probability[i] = p;
            }
        }
    }
    let mut rows = plan.holdout.clone();
    rows.sort_unstable();
    let revenue = match table.column(crate::schema::feature::MONTHLY_REVENUE) {
        Some(c) => match &c.values {
            crate::frame::ColumnValues::Numeric(v) => Some(v.as_slice()),
            _ => None,
        },
        None => None,
    };
    Ok(rows
        .into_iter()
        .map(|i| HoldoutPrediction {
            customer_id: table.ids[i].clone(),
            as_of: table.as_of[i],
            label: table.labels[i] == Some(true),
            probability: probability[i],
            revenue: revenue.map(|r| r[i]),
        })
        .collect())
}

/// Matrix columns whose own ROC AUC on the holdout rows reaches `threshold` either way.
fn leak_check(
    table: &FeatureTable,
    rows: &[usize],
    x: &Array2<f64>,
    pre: &Preprocessor,
    threshold: f64,
) -> Vec<LeakFlag> {
    let y = labels_of(table, rows);
    let mut flags = Vec::new();
    for (col, values) in pre.columns.iter().zip(x.axis_iter(Axis(1))) {
        let Some(auc) = roc_auc(&y, &values.to_vec()) else {
            continue;
        };
        if auc.max(1.0 - auc) >= threshold {
            flags.push(LeakFlag {
                column: col.name.clone(),
                source: col.source.clone(),
                auc,
            });
        }
    }
    flags
}

fn describe_leaks(flags: &[LeakFlag]) -> String {
    let parts: Vec<String> = flags
        .iter()
        .map(|f| format!("{} (AUC {:.3})", f.column, f.auc))
        .collect();
    parts.join(", ")
}

fn warn_about(pre: &Preprocessor, m: &LogitFit, search: &GridSearch, leaks: &[LeakFlag]) {
    for name in &pre.dropped_constant {
        log::info!("dropped constant column `{name}` (one value on every training row)");
    }
    let n_hit = search.units.iter().filter(|u| u.hit_limit).count();
    if n_hit > 0 {
        log::warn!(
            "{n_hit} of {} model-selection fits stopped at the iteration limit",
            search.units.len()
        );
    }
    if m.convergence.hit_limit {
        log::warn!(
            "final fit stopped at the iteration limit ({}): gradient norm {:.3e} > tolerance {:.3e}",
            m.convergence.max_iterations,
            m.convergence.gradient_norm,
            m.convergence.gradient_tolerance
        );
    }
    if !leaks.is_empty() {
        log::warn!(
            "possible leakage, single-column holdout ROC AUC >= threshold: {}",
            describe_leaks(leaks)
        );
    }
}

fn metrics(
    search: &GridSearch,
    alpha: f64,
    predictions: &[HoldoutPrediction],
    correction: &Option<SampleCorrection>,
) -> TrainMetrics {
    let (y, p) = labels_and_probabilities(predictions);
    TrainMetrics {
        cv: search.units.clone(),
        mean_auc: search.mean_auc.clone(),
        chosen_alpha: alpha,
        holdout: match correction {
            Some(c) => sample::weighted_metrics(&y, &p, c),
            None => HoldoutMetrics::compute(&y, &p),
        },
        terms: Vec::new(),
    }
}

fn labels_and_probabilities(predictions: &[HoldoutPrediction]) -> (Vec<bool>, Vec<f64>) {
    predictions.iter().map(|p| (p.label, p.probability)).unzip()
}

/// The holdout predictions and the sample correction they were made under.
struct Holdout<'a> {
    predictions: &'a [HoldoutPrediction],
    correction: Option<SampleCorrection>,
}

/// The final model's parts.
struct Final {
    pre: Preprocessor,
    fit: LogitFit,
    leak_flags: Vec<LeakFlag>,
}

/// The final training rows drift is measured against: in event mode those of the latest training
/// cutoff, the snapshot nearest in time to a nightly run (a pool of all cutoffs would differ from
/// any single night by construction: tenure alone would drift); in tabular mode all of them.
fn drift_reference_rows(table: &FeatureTable, rows: &[usize]) -> Vec<usize> {
    let latest = rows.iter().filter_map(|&i| table.as_of[i]).max();
    match latest {
        Some(t) => rows
            .iter()
            .copied()
            .filter(|&i| table.as_of[i] == Some(t))
            .collect(),
        None => rows.to_vec(),
    }
}

/// Each source feature's typical value and direction (numeric) or risky levels (categorical) on
/// `rows`, for reasons that point the same way as the data.
fn reason_profiles(table: &FeatureTable, rows: &[usize]) -> Vec<FeatureProfile> {
    let churned = |i: usize| table.labels[i] == Some(true);
    table
        .columns
        .iter()
        .map(|c| match &c.values {
            ColumnValues::Numeric(v) => {
                let present: Vec<usize> =
                    rows.iter().copied().filter(|&i| !v[i].is_nan()).collect();
                let mean = |pick: bool| {
                    let x: Vec<f64> = present
                        .iter()
                        .filter(|&&i| churned(i) == pick)
                        .map(|&i| v[i])
                        .collect();
                    (!x.is_empty()).then(|| x.iter().sum::<f64>() / x.len() as f64)
                };
                let direction = match (mean(true), mean(false)) {
                    (Some(a), Some(b)) if a > b => 1,
                    (Some(a), Some(b)) if a < b => -1,
                    _ => 0,
                };
                let values: Vec<f64> = present.iter().map(|&i| v[i]).collect();
                FeatureProfile {
                    feature: c.name.clone(),
                    typical: reference_value(&values, direction),
                    direction,
                    risky_levels: Vec::new(),
                }
            }
            ColumnValues::Categorical(v) => FeatureProfile {
                feature: c.name.clone(),
                typical: None,
                direction: 0,
                risky_levels: risky_levels(v, rows, churned),
            },
        })
        .collect()
}

/// The value a reason compares with: the median, or for a two-valued feature (a flag) its safe
/// value, so that the risky value of a flag is a reason even when most customers have it.
fn reference_value(values: &[f64], direction: i8) -> Option<f64> {
    let mut distinct = crate::stats::sorted_present(values);
    distinct.dedup();
    if distinct.len() != 2 {
        return median(values);
    }
    // Churners have more of the feature (direction +1): the lower value is the safe one.
    Some(if direction >= 0 {
        distinct[0]
    } else {
        distinct[1]
    })
}

/// Levels whose churn share on `rows` exceeds the overall share, sorted.
fn risky_levels(
    v: &[Option<String>],
    rows: &[usize],
    churned: impl Fn(usize) -> bool,
) -> Vec<String> {
    let mut counts: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    let (mut n, mut pos) = (0usize, 0usize);
    for &i in rows {
        let y = usize::from(churned(i));
        n += 1;
        pos += y;
        if let Some(l) = v[i].as_deref() {
            let e = counts.entry(l).or_default();
            e.0 += 1;
            e.1 += y;
        }
    }
    let base = pos as f64 / n.max(1) as f64;
    counts
        .into_iter()
        .filter(|(_, (k, p))| *p as f64 / *k as f64 > base)
        .map(|(l, _)| l.to_string())
        .collect()
}

/// The training distribution of every numeric source feature over `rows`, for drift (PSI)
/// when scoring.
fn psi_references(table: &FeatureTable, rows: &[usize]) -> Vec<PsiReference> {
    table
        .columns
        .iter()
        .filter_map(|c| match &c.values {
            ColumnValues::Numeric(v) => {
                let values: Vec<f64> = rows.iter().map(|&i| v[i]).collect();
                Some(PsiReference::fit(&c.name, &values))
            }
            ColumnValues::Categorical(_) => None,
        })
        .collect()
}

fn assemble(
    table: &FeatureTable,
    settings: &ValidTrainParams,
    search: &GridSearch,
    fitted: Final,
    metrics: &TrainMetrics,
    held_out: Holdout,
) -> ChurnModel {
    let Final {
        pre,
        fit: m,
        leak_flags,
    } = fitted;
    let plan = &search.plan;
    let y = labels_of(table, &plan.final_train);
    let (labels, probabilities) = labels_and_probabilities(held_out.predictions);
    let tiers = match &held_out.correction {
        Some(c) => sample::weighted_tiers(&labels, &probabilities, c),
        None => Tiers::from_holdout(&probabilities),
    };
    ChurnModel {
        format_version: FORMAT_VERSION,
        // The registry assigns both when it saves the model: training does not read the clock.
        model_id: String::new(),
        created: String::new(),
        mode: plan.mode,
        source_features: source_summaries(&pre),
        feature_names: pre.column_names(),
        coefficients: m.coefficients.to_vec(),
        intercept: m.intercept,
        preprocessor: pre,
        alpha: metrics.chosen_alpha,
        alpha_grid: search.alphas.clone(),
        horizon_days: settings.horizon_days().filter(|_| plan.mode == Mode::Event),
        label_definition: settings.label_definition(),
        training_cutoffs: plan
            .training_cutoffs
            .iter()
            .map(|&d| format_day(d))
            .collect(),
        holdout_cutoff: plan.holdout_cutoff.map(format_day),
        training_fingerprint: fingerprint(table, &plan.final_train),
        validation: validation_summary(search, metrics),
        tiers,
        leak_flags,
        convergence: m.convergence,
        train_params: settings.clone(),
        n_rows: y.len(),
        churn_share: y.iter().filter(|&&b| b).count() as f64 / y.len() as f64,
        psi_reference: psi_references(table, &drift_reference_rows(table, &plan.final_train)),
        reason_profile: reason_profiles(table, &plan.final_train),
        sample_correction: held_out.correction,
    }
}

fn validation_summary(search: &GridSearch, metrics: &TrainMetrics) -> ValidationSummary {
    let plan = &search.plan;
    ValidationSummary {
        holdout_kind: plan.validation.holdout_kind().into(),
        cv_mean_auc: search.mean_auc[search.chosen].mean_auc,
        n_folds: plan.folds.len(),
        holdout: metrics.holdout.clone(),
        cv_fits_hit_limit: search.units.iter().filter(|u| u.hit_limit).count(),
    }
}

fn source_summaries(pre: &Preprocessor) -> Vec<SourceSummary> {
    pre.features
        .iter()
        .map(|f| SourceSummary {
            name: f.name.clone(),
            kind: f.kind,
        })
        .collect()
}

/// sha256 over the raw feature values (names, kinds, cells) and labels of `rows`.
pub fn fingerprint(table: &FeatureTable, rows: &[usize]) -> String {
    let mut h = Sha256::new();
    for col in &table.columns {
        h.update((col.name.len() as u64).to_le_bytes());
        h.update(col.name.as_bytes());
        match &col.values {
            ColumnValues::Numeric(v) => {
                h.update([0u8]);
                for &i in rows {
                    // Every NaN hashes alike: missing is missing.
                    let x = if v[i].is_nan() { f64::NAN } else { v[i] };
                    h.update(x.to_bits().to_le_bytes());
                }
            }
            ColumnValues::Categorical(v) => {
                h.update([1u8]);
                for &i in rows {
                    match &v[i] {
                        None => h.update([0u8]),
                        Some(s) => {
                            h.update([1u8]);
                            h.update((s.len() as u64).to_le_bytes());
                            h.update(s.as_bytes());
                        }
                    }
                }
            }
        }
    }
    for &i in rows {
        h.update([table.labels[i] == Some(true)].map(u8::from));
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn labels_of(table: &FeatureTable, rows: &[usize]) -> Vec<bool> {
    rows.iter()
        .map(|&i| table.labels[i] == Some(true))
        .collect()
}

/// `BadData` unless every per-row vector and column has one entry per row.
fn check_shape(table: &FeatureTable) -> Result<()> {
    let n = table.n_rows();
    let bad_col = table.columns.iter().find(|c| c.values.len() != n);
    if table.as_of.len() != n || table.labels.len() != n || bad_col.is_some() {
        return Err(Error::BadData(format!(
            "feature table is ragged: {n} ids, {} as-of dates, {} labels{}",
            table.as_of.len(),
            table.labels.len(),
            bad_col
                .map(|c| format!(", column `{}` has {}", c.name, c.values.len()))
                .unwrap_or_default()
        )));
    }
    if table.columns.is_empty() {
        return Err(Error::BadData(
            "feature table has no feature columns".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::frame::FeatureColumn;
    use crate::model::params::TrainParams;
    use rand::{Rng, SeedableRng};

    /// `n` customers: `usage` lowers churn, `tickets` raises it, `plan` matters a little,
    /// `noise` is noise; a few usage values missing. Churn share about `share`.
    pub(crate) fn synthetic(n: usize, share: f64, seed: u64) -> FeatureTable {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let shift = (share / (1.0 - share)).ln();
        let (mut usage, mut tickets, mut noise, mut plan, mut labels) =
            (vec![], vec![], vec![], vec![], vec![]);
        for _ in 0..n {
            let u: f64 = rng.gen_range(0.0..100.0);
            let t = rng.gen_range(0..6) as f64;
            let p = ["basic", "pro", "team"][rng.gen_range(0..3)];
            let z =
                shift - 0.04 * (u - 50.0) + 0.5 * (t - 2.5) + if p == "basic" { 0.4 } else { 0.0 };
            labels.push(Some(rng.gen::<f64>() < crate::stats::sigmoid(z)));
            usage.push(if rng.gen::<f64>() < 0.05 { f64::NAN } else { u });
            tickets.push(t);
            noise.push(rng.gen_range(-1.0..1.0));
            plan.push(Some(p.to_string()));
        }
        FeatureTable {
            ids: (0..n).map(|i| format!("c{i:05}")).collect(),
            as_of: vec![None; n],
            columns: vec![
                FeatureColumn {
                    name: "usage".into(),
                    values: ColumnValues::Numeric(usage),
                },
                FeatureColumn {
                    name: "tickets".into(),
                    values: ColumnValues::Numeric(tickets),
                },
                FeatureColumn {
                    name: "noise".into(),
                    values: ColumnValues::Numeric(noise),
                },
                FeatureColumn {
                    name: "plan".into(),
                    values: ColumnValues::Categorical(plan),
                },
            ],
            labels,
        }
    }

    fn coef(model: &ChurnModel, name: &str) -> f64 {
        let j = model.feature_names.iter().position(|n| n == name).unwrap();
        model.coefficients[j]
    }

    pub(crate) fn valid(p: TrainParams) -> ValidTrainParams {
        p.check().unwrap()
    }

    fn fast() -> TrainParams {
        TrainParams::new().alphas(vec![1e-2, 1.0, 100.0])
    }

    #[test]
    fn tabular_training_is_oriented_for_minority_and_majority_churn() {
        for share in [0.2, 0.8] {
            let t = synthetic(1500, share, 5);
            let out = train(&t, &valid(fast())).unwrap();
            let auc = out.metrics.holdout.roc_auc.unwrap();
            assert!(auc > 0.8, "share {share}: holdout auc {auc}");
            assert!(coef(&out.model, "tickets") > 0.0, "share {share}");
            assert!(coef(&out.model, "usage") < 0.0, "share {share}");
            assert_eq!(out.predictions.len(), 1500);
            assert_eq!(out.model.mode, Mode::Tabular);
            assert!(out
                .model
                .feature_names
                .contains(&"usage_missing".to_string()));
        }
    }

    #[test]
    fn same_seed_same_model_whatever_the_thread_count() {
        let t = synthetic(800, 0.3, 9);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| train(&t, &valid(fast())).unwrap())
        };
        let (a, b) = (run(1), run(2));
        assert_eq!(a.model.coefficients, b.model.coefficients);
        assert_eq!(a.model.intercept.to_bits(), b.model.intercept.to_bits());
        assert_eq!(a.metrics, b.metrics);
        assert_eq!(a.predictions, b.predictions);
    }

    #[test]
    fn binned_terms_are_chosen_for_a_peak_and_linear_ones_otherwise() {
        // Churn peaks at ages 50-60 and falls on both sides: a linear term cannot say that.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let n = 2000;
        let age: Vec<f64> = (0..n).map(|_| rng.gen_range(20.0..80.0)).collect();
        let labels = age
            .iter()
            .map(|&a| {
                let p = if (50.0..60.0).contains(&a) { 0.6 } else { 0.1 };
                Some(rng.gen::<f64>() < p)
            })
            .collect();
        let t = FeatureTable {
            ids: (0..n).map(|i| i.to_string()).collect(),
            as_of: vec![None; n],
            columns: vec![FeatureColumn {
                name: "age".into(),
                values: ColumnValues::Numeric(age),
            }],
            labels,
        };
        let out = train(&t, &valid(fast())).unwrap();
        let chosen: Vec<&str> = out
            .metrics
            .terms
            .iter()
            .filter(|f| f.chosen)
            .map(|f| f.form.as_str())
            .collect();
        assert_eq!(chosen, ["binned"], "{:?}", out.metrics.terms);
        assert!(out
            .model
            .feature_names
            .iter()
            .any(|n| n.starts_with("age in [")));
        let auc = |form: &str| {
            let f = out.metrics.terms.iter().find(|f| f.form == form).unwrap();
            f.cv_mean_auc
        };
        assert!(
            auc("binned") > auc("linear") + 0.05,
            "{:?}",
            out.metrics.terms
        );
        // The synthetic table of the other tests is linear: the linear form stays.
        let out = train(&synthetic(1500, 0.3, 5), &valid(fast())).unwrap();
        let linear = out.metrics.terms.iter().find(|f| f.chosen).unwrap();
        assert_eq!(linear.form, "linear", "{:?}", out.metrics.terms);
        let only = train(&t, &valid(fast().terms(Terms::Linear))).unwrap();
        assert!(only.metrics.terms.is_empty());
        assert!(!only.model.feature_names.iter().any(|n| n.contains(" in [")));
    }

    #[test]
    fn the_grid_extends_a_decade_past_an_edge_and_no_further_than_its_bounds() {
        let grid = [1e-4, 1e-2, 1.0, 100.0];
        assert_eq!(beyond_edge(&grid, 3), Some(1000.0));
        assert_eq!(beyond_edge(&grid, 0), Some(1e-5));
        assert_eq!(beyond_edge(&grid, 2), None);
        assert_eq!(beyond_edge(&[1.0, 1e6], 1), None, "bounded at 1e6");
        assert_eq!(beyond_edge(&[1.0], 0), None);
    }

    #[test]
    fn a_flat_edge_is_not_walked_and_a_winning_edge_is() {
        // Pure noise: every alpha ranks the one feature alike, a flat AUC: no extension.
        let mut t = synthetic(400, 0.3, 21);
        t.columns.retain(|c| c.name == "noise");
        let out = train(
            &t,
            &valid(TrainParams::new().alphas(vec![1.0, 10.0, 100.0])),
        )
        .unwrap();
        assert_eq!(out.model.alpha_grid, [1.0, 10.0, 100.0]);
        let s = |alpha, mean_auc| AlphaSummary { alpha, mean_auc };
        assert!(beats_neighbour(
            &[s(1.0, 0.70), s(10.0, 0.71), s(100.0, 0.72)],
            2
        ));
        assert!(!beats_neighbour(
            &[s(1.0, 0.70), s(10.0, 0.72), s(100.0, 0.72)],
            2
        ));
        assert!(beats_neighbour(&[s(1e-4, 0.80), s(1e-3, 0.79)], 0));
    }

    #[test]
    fn chooses_the_best_mean_auc_and_the_larger_alpha_on_ties() {
        let s = |alpha, mean_auc| AlphaSummary { alpha, mean_auc };
        assert_eq!(choose(&[s(0.1, 0.7), s(1.0, 0.8), s(10.0, 0.75)]), 1);
        assert_eq!(choose(&[s(0.1, 0.8), s(1.0, 0.8), s(10.0, 0.75)]), 1);
    }

    #[test]
    fn flags_a_leaked_column_and_fails_when_asked() {
        let mut t = synthetic(600, 0.3, 2);
        let leak: Vec<f64> = t
            .labels
            .iter()
            .map(|l| if *l == Some(true) { 1.0 } else { 0.0 })
            .collect();
        t.columns.push(FeatureColumn {
            name: "cancel_flag".into(),
            values: ColumnValues::Numeric(leak),
        });
        let out = train(&t, &valid(fast())).unwrap();
        assert_eq!(out.model.leak_flags.len(), 1);
        assert_eq!(out.model.leak_flags[0].column, "cancel_flag");
        let err = train(&t, &valid(fast().fail_on_leak(true))).unwrap_err();
        assert!(matches!(err, Error::Leak { ref features } if features.contains("cancel_flag")));
    }

    #[test]
    fn event_mode_holds_out_the_latest_cutoff() {
        // Five monthly cutoffs of 400 customers each.
        let cutoffs: [Day; 5] = [0, 31, 62, 93, 124];
        let base = synthetic(2000, 0.25, 11);
        let mut t = base.clone();
        t.as_of = (0..2000).map(|i| Some(cutoffs[i / 400])).collect();
        let settings = fast()
            .horizon_days(30)
            .label_definition(crate::features::LabelDefinition::Cancellation);
        let out = train(&t, &valid(settings)).unwrap();
        assert_eq!(out.model.mode, Mode::Event);
        assert_eq!(out.model.holdout_cutoff, Some(format_day(124)));
        assert_eq!(out.model.training_cutoffs.len(), 4);
        assert_eq!(out.model.n_rows, 1600);
        assert_eq!(out.predictions.len(), 400);
        assert!(out.predictions.iter().all(|p| p.as_of == Some(124)));
        // Three rolling folds validated at the three cutoffs before the holdout.
        let folds: Vec<_> = out
            .metrics
            .cv
            .iter()
            .filter(|u| u.alpha == 1.0)
            .map(|u| u.n_train)
            .collect();
        assert_eq!(folds, vec![400, 800, 1200]);
        assert!(out.metrics.holdout.roc_auc.unwrap() > 0.8);
        assert_eq!(out.model.horizon_days, Some(30));
    }

    #[test]
    fn contributions_sum_to_the_logit_and_extra_columns_are_ignored() {
        let t = synthetic(500, 0.3, 8);
        let out = train(&t, &valid(fast())).unwrap();
        let mut scoring = t.clone();
        let extra = ColumnValues::Numeric(vec![0.0; 500]);
        scoring.columns.push(FeatureColumn {
            name: "extra".into(),
            values: extra,
        });
        scoring.columns.reverse();
        let p = out.model.predict_proba(&scoring).unwrap();
        let x = out.model.matrix(&scoring).unwrap();
        for i in [0, 17, 499] {
            let c = out.model.contributions(x.row(i));
            let names: Vec<&str> = c.iter().map(|c| c.feature.as_str()).collect();
            assert_eq!(names, vec!["usage", "tickets", "noise", "plan"]);
            let logit = c.iter().map(|c| c.logit).sum::<f64>() + out.model.intercept;
            assert!((crate::stats::sigmoid(logit) - p[i]).abs() < 1e-12);
        }
    }

    #[test]
    fn unknown_labels_are_not_used_for_training() {
        let mut t = synthetic(600, 0.3, 4);
        for l in t.labels.iter_mut().take(100) {
            *l = None;
        }
        let out = train(&t, &valid(fast())).unwrap();
        assert_eq!(out.model.n_rows, 500);
        assert_eq!(out.predictions.len(), 500);
    }
}
