//! Measures fitting on group scores (fight-churn's way with correlated metrics: each signal
//! group's standardised features, oriented by their relationship with churn, averaged into one
//! score) against the per-feature linear model, on the same generated history and split.
//!
//! `cargo run --release --example bench_groups -- DATA_DIR [HORIZON_DAYS=30]`
//!
//! The split is the training's: the latest complete cutoff is the holdout, the model fits on
//! the cutoffs whose labels were known by then. Both models use alpha = 1.

// Errors carry named fields (table, column, row, value) for clear messages; they are the
// cold path, so their size does not matter.
#![allow(clippy::result_large_err)]

use churn::data::load::{load_history, LoadOptions};
use churn::features::snapshot::training_snapshots;
use churn::features::LabelDefinition;
use churn::model::fit::{self, SolverOptions};
use churn::model::matrix::{Encoding, Preprocessor};
use churn::progress::Silent;
use churn::score::actions::{signal_group, SignalGroup};
use churn::stats::roc_auc;
use ndarray::{Array2, Axis, ShapeBuilder};

fn main() -> churn::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args
        .get(1)
        .expect("usage: bench_groups DATA_DIR [HORIZON_DAYS]");
    let horizon: u32 = args.get(2).map_or(30, |h| h.parse().expect("days"));
    let history = load_history(&LoadOptions::new(dir))?;
    let table = training_snapshots(
        &history,
        None,
        horizon,
        LabelDefinition::Cancellation,
        &Silent,
    )?;
    let holdout_cutoff = table
        .as_of
        .iter()
        .flatten()
        .max()
        .copied()
        .expect("cutoffs");
    let labelled = table.labelled_rows();
    let train: Vec<usize> = labelled
        .iter()
        .copied()
        .filter(|&i| table.as_of[i].is_some_and(|t| t + horizon as i32 <= holdout_cutoff))
        .collect();
    let hold: Vec<usize> = labelled
        .iter()
        .copied()
        .filter(|&i| table.as_of[i] == Some(holdout_cutoff))
        .collect();
    let y = |rows: &[usize]| -> Vec<bool> {
        rows.iter()
            .map(|&i| table.labels[i] == Some(true))
            .collect()
    };
    let pre = Preprocessor::fit(&table, &train)?;
    let (x_train, x_hold) = (
        pre.transform(&table, Some(&train))?,
        pre.transform(&table, Some(&hold))?,
    );
    let solver = SolverOptions::default();
    let auc = |x_tr: &Array2<f64>, x_ho: &Array2<f64>| -> churn::Result<f64> {
        let m = fit::fit(x_tr.view(), &y(&train), 1.0, &solver)?;
        let p = fit::predict(&m.coefficients, m.intercept, x_ho.view())?;
        Ok(roc_auc(&y(&hold), &p).unwrap_or(f64::NAN))
    };
    let linear = auc(&x_train, &x_hold)?;
    let groups = group_columns(&pre, &x_train, &y(&train));
    let (g_train, g_hold) = (grouped(&x_train, &groups), grouped(&x_hold, &groups));
    let grouped_auc = auc(&g_train, &g_hold)?;
    println!(
        "{dir}: {} training rows, {} holdout rows at the latest cutoff",
        train.len(),
        hold.len()
    );
    println!(
        "  per-feature linear model: {} columns, holdout ROC AUC {linear:.4}",
        x_train.ncols()
    );
    println!(
        "  group scores (signal groups averaged, categories kept): {} columns, holdout ROC AUC {grouped_auc:.4}",
        groups.len()
    );
    Ok(())
}

/// Matrix columns with the sign they enter a group score with.
type Members = Vec<(usize, f64)>;

/// The matrix columns of each output column: a signal group's numeric value columns with the
/// sign of their correlation with churn, or one column on its own.
fn group_columns(pre: &Preprocessor, x: &Array2<f64>, y: &[bool]) -> Vec<Members> {
    let mut out: Vec<(Option<SignalGroup>, Members)> = Vec::new();
    for (j, col) in pre.columns.iter().enumerate() {
        let group = match col.encoding {
            Encoding::Value => Some(signal_group(&col.source)).filter(|g| *g != SignalGroup::Other),
            _ => None,
        };
        let sign = direction(x.column(j).to_vec(), y);
        match out.iter_mut().find(|(g, _)| group.is_some() && *g == group) {
            Some((_, members)) => members.push((j, sign)),
            None => out.push((group, vec![(j, sign)])),
        }
    }
    out.into_iter().map(|(_, m)| m).collect()
}

/// +1 when churners have the higher mean of a column, else -1.
fn direction(values: Vec<f64>, y: &[bool]) -> f64 {
    let mean = |c: bool| {
        let v: Vec<f64> = values
            .iter()
            .zip(y)
            .filter(|(_, &l)| l == c)
            .map(|(x, _)| *x)
            .collect();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    };
    if mean(true) >= mean(false) {
        1.0
    } else {
        -1.0
    }
}

/// Each output column: the signed mean of its members (column-major, as the fit wants).
fn grouped(x: &Array2<f64>, groups: &[Members]) -> Array2<f64> {
    let n = x.len_of(Axis(0));
    let mut data = Vec::with_capacity(n * groups.len());
    for members in groups {
        for i in 0..n {
            let s: f64 = members.iter().map(|&(j, sign)| sign * x[(i, j)]).sum();
            data.push(s / members.len() as f64);
        }
    }
    Array2::from_shape_vec((n, groups.len()).f(), data).expect("n x groups")
}
