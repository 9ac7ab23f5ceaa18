//! Which rows train and validate what: stratified k-fold in tabular mode, rolling-origin folds
//! over as-of cutoffs with the latest cutoff held out in event mode.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::artifact::Mode;
use crate::error::{Error, Result};
use crate::frame::FeatureTable;
use crate::time::{format_day, Day};

/// One validation fold: row indices into the feature table.
#[derive(Debug, Clone, PartialEq)]
pub struct Fold {
    /// Rows to fit on (labelled).
    pub train: Vec<usize>,
    /// Rows to validate on (labelled).
    pub valid: Vec<usize>,
    /// The validation cutoff (event mode).
    pub cutoff: Option<Day>,
}

/// How the holdout predictions of a plan are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validation {
    /// Event mode: rolling-origin folds, the latest cutoff held out and predicted by the final
    /// model.
    TimeOrdered,
    /// Tabular mode: stratified k-fold, every row predicted out of fold.
    StratifiedKFold,
    /// Event mode with too few cutoffs for time-ordered folds: stratified k-fold over customers
    /// (a customer's rows never straddle folds), every row predicted out of fold. Not
    /// time-ordered: it says how the model ranks customers, not how it forecasts.
    CustomerGroupedKFold,
}

impl Validation {
    /// The name recorded in the model file's `validation.holdout_kind`.
    pub fn holdout_kind(self) -> &'static str {
        match self {
            Validation::TimeOrdered => "latest_cutoff",
            Validation::StratifiedKFold => "out_of_fold",
            Validation::CustomerGroupedKFold => "customer_grouped_out_of_fold",
        }
    }

    /// Whether the holdout is the out-of-fold predictions of the chosen alpha.
    pub fn out_of_fold(self) -> bool {
        self != Validation::TimeOrdered
    }
}

/// Fewest distinct cutoffs for time-ordered validation: at least two to validate on, one to hold
/// out.
pub const MIN_TIME_ORDERED_CUTOFFS: usize = 3;

/// The whole validation design of one training run.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Tabular or event.
    pub mode: Mode,
    /// How the holdout is made.
    pub validation: Validation,
    /// Folds for model selection.
    pub folds: Vec<Fold>,
    /// Rows the final model is fitted on.
    pub final_train: Vec<usize>,
    /// Rows whose predictions are the holdout: the latest cutoff (event) or every labelled row,
    /// predicted out of fold (tabular).
    pub holdout: Vec<usize>,
    /// Distinct as-of dates of the final training rows (event mode).
    pub training_cutoffs: Vec<Day>,
    /// The held-out cutoff (event mode).
    pub holdout_cutoff: Option<Day>,
}

/// The validation plan for `table`: event mode when rows carry as-of dates.
///
/// # Errors
/// `BadData` for mixed dated/undated rows, too few cutoffs or classes for the folds, or a fold
/// with a single class; `Usage` for event rows without a horizon.
pub fn plan(
    table: &FeatureTable,
    n_folds: usize,
    max_rolling: usize,
    horizon: Option<u32>,
    seed: u64,
) -> Result<Plan> {
    let n_dated = table.as_of.iter().filter(|d| d.is_some()).count();
    match (n_dated, horizon) {
        (0, _) => tabular_plan(table, n_folds, seed),
        (n, Some(h)) if n == table.n_rows() => {
            let cutoffs = distinct_cutoffs(table, &table.labelled_rows());
            if cutoffs.len() < MIN_TIME_ORDERED_CUTOFFS {
                log::warn!(
                    "{} as-of cutoff(s) with known labels, too few for time-ordered validation \
                     (needs {MIN_TIME_ORDERED_CUTOFFS}): validating with {n_folds}-fold \
                     customer-grouped folds instead, which are NOT time-ordered",
                    cutoffs.len()
                );
                return grouped_plan(table, n_folds, seed);
            }
            match event_plan(table, max_rolling, h as Day)? {
                Some(plan) => Ok(plan),
                None => {
                    log::warn!(
                        "no validation cutoff has rows whose {h}-day label window ended by then \
                         (a horizon long for the history): validating with {n_folds}-fold \
                         customer-grouped folds instead, which are NOT time-ordered"
                    );
                    grouped_plan(table, n_folds, seed)
                }
            }
        }
        (n, None) if n == table.n_rows() => Err(Error::Usage(
            "rows carry as-of dates: event mode needs a horizon in days".into(),
        )),
        (n, _) => Err(Error::BadData(format!(
            "{n} of {} rows carry an as-of date: all or none must",
            table.n_rows()
        ))),
    }
}

/// Stratified k-fold over the labelled rows; every labelled row is predicted out of fold.
fn tabular_plan(table: &FeatureTable, k: usize, seed: u64) -> Result<Plan> {
    let rows = table.labelled_rows();
    let labels: Vec<bool> = rows
        .iter()
        .map(|&i| table.labels[i] == Some(true))
        .collect();
    let n_pos = labels.iter().filter(|&&b| b).count();
    let n_neg = rows.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        let detail = format!("{n_pos} churners, {n_neg} non-churners");
        return Err(Error::SingleClass {
            what: "training labels".into(),
            detail,
        });
    }
    if n_pos < k || n_neg < k {
        return Err(Error::BadData(format!(
            "{k}-fold validation needs at least {k} churners and {k} non-churners \
             (found {n_pos} and {n_neg})"
        )));
    }
    let assignment = stratified_assignment(&labels, k, seed);
    let folds = (0..k)
        .map(|f| {
            let (mut valid, mut train) = (vec![], vec![]);
            for (&i, &a) in rows.iter().zip(&assignment) {
                if a == f {
                    valid.push(i)
                } else {
                    train.push(i)
                }
            }
            Fold {
                train,
                valid,
                cutoff: None,
            }
        })
        .collect();
    Ok(Plan {
        mode: Mode::Tabular,
        validation: Validation::StratifiedKFold,
        folds,
        final_train: rows.clone(),
        holdout: rows,
        training_cutoffs: vec![],
        holdout_cutoff: None,
    })
}

/// Event rows from too few cutoffs: stratified k-fold over customers. A customer's label for
/// the stratification is whether any of its rows churned; all its rows go to one fold.
fn grouped_plan(table: &FeatureTable, k: usize, seed: u64) -> Result<Plan> {
    let rows = table.labelled_rows();
    let mut customers: Vec<&str> = rows.iter().map(|&i| table.ids[i].as_str()).collect();
    customers.sort_unstable();
    customers.dedup();
    let index: std::collections::HashMap<&str, usize> = customers
        .iter()
        .enumerate()
        .map(|(c, &id)| (id, c))
        .collect();
    let mut churned = vec![false; customers.len()];
    for &i in &rows {
        churned[index[table.ids[i].as_str()]] |= table.labels[i] == Some(true);
    }
    check_two_classes(table, &rows, "training rows")?;
    let n_pos = churned.iter().filter(|&&b| b).count();
    if n_pos < k || customers.len() - n_pos < k {
        return Err(Error::BadData(format!(
            "{k}-fold customer-grouped validation needs at least {k} churning and {k} retained \
             customers (found {n_pos} and {})",
            customers.len() - n_pos
        )));
    }
    let assignment = stratified_assignment(&churned, k, seed);
    let folds: Vec<Fold> = (0..k)
        .map(|f| {
            let (valid, train): (Vec<usize>, Vec<usize>) = rows
                .iter()
                .partition(|&&i| assignment[index[table.ids[i].as_str()]] == f);
            Fold {
                train,
                valid,
                cutoff: None,
            }
        })
        .collect();
    check_folds(table, &folds)?;
    Ok(Plan {
        mode: Mode::Event,
        validation: Validation::CustomerGroupedKFold,
        folds,
        training_cutoffs: distinct_cutoffs(table, &rows),
        final_train: rows.clone(),
        holdout: rows,
        holdout_cutoff: None,
    })
}

/// Fold number per row: each class shuffled with `seed` and dealt round-robin, so every fold
/// holds each class's share to within one row.
pub fn stratified_assignment(labels: &[bool], k: usize, seed: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut fold = vec![0; labels.len()];
    // The deal continues across classes, so fold sizes also differ by at most one row.
    let mut next = 0;
    for class in [true, false] {
        let mut idx: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        idx.shuffle(&mut rng);
        for &i in &idx {
            fold[i] = next % k;
            next += 1;
        }
    }
    fold
}

/// Rolling-origin folds over cutoffs; the latest cutoff is the untouched holdout. `None` when no
/// validation cutoff has rows to train on (the horizon is long for the history), or nothing is
/// left to fit the final model on.
fn event_plan(table: &FeatureTable, max_rolling: usize, horizon: Day) -> Result<Option<Plan>> {
    let labelled = table.labelled_rows();
    let day = |i: usize| table.as_of[i].expect("event rows are dated");
    let cutoffs = distinct_cutoffs(table, &labelled);
    let holdout_cutoff = *cutoffs.last().expect("the caller checked the cutoffs");
    // Rows whose label was known by cutoff `v`: their whole horizon ended on or before it.
    let known_by = |v: Day| -> Vec<usize> {
        labelled
            .iter()
            .copied()
            .filter(|&i| day(i) + horizon <= v)
            .collect()
    };
    let at = |v: Day| -> Vec<usize> { labelled.iter().copied().filter(|&i| day(i) == v).collect() };
    // Validation cutoffs: the latest few before the holdout that have any row to train on.
    let mut folds: Vec<Fold> = cutoffs[..cutoffs.len() - 1]
        .iter()
        .map(|&v| Fold {
            train: known_by(v),
            valid: at(v),
            cutoff: Some(v),
        })
        .filter(|f| !f.train.is_empty())
        .collect();
    folds.drain(..folds.len().saturating_sub(max_rolling));
    if folds.is_empty() {
        return Ok(None);
    }
    check_folds(table, &folds)?;
    let final_train: Vec<usize> = known_by(holdout_cutoff)
        .into_iter()
        .filter(|&i| day(i) != holdout_cutoff)
        .collect();
    let holdout = at(holdout_cutoff);
    check_two_classes(table, &final_train, "final training rows")?;
    check_two_classes(
        table,
        &holdout,
        &format!("holdout rows at {}", format_day(holdout_cutoff)),
    )?;
    Ok(Some(Plan {
        mode: Mode::Event,
        validation: Validation::TimeOrdered,
        folds,
        training_cutoffs: distinct_cutoffs(table, &final_train),
        final_train,
        holdout,
        holdout_cutoff: Some(holdout_cutoff),
    }))
}

/// The distinct as-of dates of `rows`, ascending.
fn distinct_cutoffs(table: &FeatureTable, rows: &[usize]) -> Vec<Day> {
    let mut cutoffs: Vec<Day> = rows.iter().filter_map(|&i| table.as_of[i]).collect();
    cutoffs.sort_unstable();
    cutoffs.dedup();
    cutoffs
}

/// Every fold trains and validates on both classes.
fn check_folds(table: &FeatureTable, folds: &[Fold]) -> Result<()> {
    for fold in folds {
        let at = fmt(fold.cutoff);
        check_two_classes(
            table,
            &fold.train,
            &format!("fold training rows before {at}"),
        )?;
        check_two_classes(table, &fold.valid, &format!("fold validation rows at {at}"))?;
    }
    Ok(())
}

fn fmt(day: Option<Day>) -> String {
    day.map(format_day).unwrap_or_default()
}

/// `BadData` unless `rows` hold both churners and non-churners.
fn check_two_classes(table: &FeatureTable, rows: &[usize], what: &str) -> Result<()> {
    let n_pos = rows
        .iter()
        .filter(|&&i| table.labels[i] == Some(true))
        .count();
    if n_pos == 0 || n_pos == rows.len() {
        return Err(Error::BadData(format!(
            "{what}: {} rows, {n_pos} churners; need both churners and non-churners \
             (more history, a later data end or a shorter horizon may help)",
            rows.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(as_of: Vec<Option<Day>>, labels: Vec<Option<bool>>) -> FeatureTable {
        FeatureTable {
            ids: (0..labels.len()).map(|i| i.to_string()).collect(),
            as_of,
            columns: vec![],
            labels,
        }
    }

    #[test]
    fn too_few_cutoffs_fall_back_to_folds_of_customers() {
        // 200 customers at two cutoffs: each customer's two rows share a fold.
        let n = 400;
        let mut t = table(
            (0..n).map(|i| Some(if i < 200 { 0 } else { 31 })).collect(),
            (0..n).map(|i| Some(i % 5 == 0)).collect(),
        );
        t.ids = (0..n).map(|i| format!("c{}", i % 200)).collect();
        let p = plan(&t, 5, 3, Some(30), 42).unwrap();
        assert_eq!(p.validation, Validation::CustomerGroupedKFold);
        assert_eq!(p.mode, Mode::Event);
        assert_eq!(p.folds.len(), 5);
        for fold in &p.folds {
            for &i in &fold.valid {
                assert!(
                    !fold.train.iter().any(|&j| t.ids[j] == t.ids[i]),
                    "{} straddles",
                    t.ids[i]
                );
            }
        }
        assert_eq!(p.holdout.len(), n);
        assert_eq!(p.training_cutoffs, vec![0, 31]);
    }

    #[test]
    fn stratified_folds_keep_class_shares() {
        let labels: Vec<bool> = (0..1003).map(|i| i % 4 == 0).collect();
        let fold = stratified_assignment(&labels, 5, 42);
        for f in 0..5 {
            let pos = (0..labels.len())
                .filter(|&i| fold[i] == f && labels[i])
                .count();
            let all = fold.iter().filter(|&&x| x == f).count();
            assert!((50..=51).contains(&pos), "fold {f}: {pos} churners");
            assert!((200..=201).contains(&all), "fold {f}: {all} rows");
        }
        assert_eq!(fold, stratified_assignment(&labels, 5, 42));
        assert_ne!(fold, stratified_assignment(&labels, 5, 43));
    }

    #[test]
    fn event_folds_train_only_on_labels_known_by_the_validation_cutoff() {
        // Four monthly cutoffs, horizon 30 days, two rows per cutoff (one churner).
        let cutoffs = [0, 31, 62, 93];
        let as_of: Vec<Option<Day>> = cutoffs.iter().flat_map(|&c| [Some(c), Some(c)]).collect();
        let labels = (0..8).map(|i| Some(i % 2 == 0)).collect();
        let t = table(as_of, labels);
        let p = plan(&t, 5, 3, Some(30), 1).unwrap();
        assert_eq!(p.mode, Mode::Event);
        assert_eq!(p.holdout_cutoff, Some(93));
        assert_eq!(p.holdout, vec![6, 7]);
        assert_eq!(p.folds.len(), 2);
        assert_eq!(
            p.folds[0],
            Fold {
                train: vec![0, 1],
                valid: vec![2, 3],
                cutoff: Some(31)
            }
        );
        assert_eq!(p.folds[1].train, vec![0, 1, 2, 3]);
        assert_eq!(p.final_train, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(p.training_cutoffs, vec![0, 31, 62]);
    }

    #[test]
    fn event_mode_needs_three_cutoffs_and_a_horizon() {
        let t = table(
            vec![Some(0), Some(0), Some(40), Some(40)],
            vec![Some(true), Some(false), Some(true), Some(false)],
        );
        assert!(matches!(
            plan(&t, 5, 3, Some(30), 1),
            Err(Error::BadData(_))
        ));
        assert!(matches!(plan(&t, 5, 3, None, 1), Err(Error::Usage(_))));
    }
}
