//! From a feature table to the model matrix: median imputation with missing indicators, one-hot
//! categories and standardisation, all fitted on training rows only and stored in the model.

use std::borrow::Cow;
use std::collections::HashMap;

use ndarray::{Array2, ShapeBuilder};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::frame::{ColumnValues, FeatureTable};
use crate::stats::{median, quantile, sorted_present, Quantile};

/// The kind of a source feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureKind {
    /// Numbers, missing imputed with the training median.
    Numeric,
    /// Categories, one-hot encoded over the levels seen in training.
    Categorical,
}

/// A feature as it appears in the input table, with what training learned about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceFeature {
    /// Column name in the feature table.
    pub name: String,
    /// Numeric or categorical.
    pub kind: FeatureKind,
    /// Training median used for missing values (numeric only; 0 when training had no value).
    pub median: Option<f64>,
    /// Levels with a column of their own, sorted (categorical only): those seen in training,
    /// capped by the training's [`MatrixOptions`].
    pub levels: Vec<String>,
}

/// What a matrix column holds before standardisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "level", rename_all = "snake_case")]
pub enum Encoding {
    /// The numeric value, missing replaced by the training median.
    Value,
    /// 1 when the numeric value is missing, else 0.
    Missing,
    /// 1 when the category equals this level, else 0 (unseen or missing categories: 0).
    Level(String),
    /// 1 when the category is present but none of the kept levels (rare levels pooled in
    /// training, and levels unseen there), else 0.
    Other,
    /// 1 when the numeric value is in `[lo, hi)` (an open end is `None`), else 0 (missing: 0).
    Bin { lo: Option<f64>, hi: Option<f64> },
}

impl Encoding {
    /// Whether `x` falls in this bin.
    fn in_bin(lo: Option<f64>, hi: Option<f64>, x: f64) -> bool {
        !x.is_nan() && lo.is_none_or(|l| x >= l) && hi.is_none_or(|h| x < h)
    }
}

/// By default at most this many levels of a categorical feature get their own column: the most
/// frequent on the training rows (ties by name); the others pool into one `name=(other)`
/// column. This bounds the matrix, and the time and memory to fit it, whatever a text column's
/// cardinality: a 5,000-level name column becomes 101 columns, not 5,000.
pub const MAX_LEVELS: usize = 100;

/// Which columns the matrix has beyond one per numeric feature: levels of categories, and
/// quantile bins of numeric features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatrixOptions {
    /// At most this many levels of a category get a column, the most frequent.
    pub max_levels: usize,
    /// Each level seen on at least this many training rows.
    pub min_count: usize,
    /// Quantile bins per numeric feature, as indicator columns beside its linear term (0: none).
    pub bins: usize,
}

impl Default for MatrixOptions {
    fn default() -> Self {
        MatrixOptions {
            max_levels: MAX_LEVELS,
            min_count: 1,
            bins: 0,
        }
    }
}

/// Fewest distinct training values a numeric feature needs for bins (counts of a few values are
/// already piecewise by their linear term and missing indicator).
pub const MIN_DISTINCT_FOR_BINS: usize = 10;

/// One column of the model matrix: `(raw - mean) / std`, where `raw` follows `encoding`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatrixColumn {
    /// Public name: `tenure`, `tenure_missing`, `plan=pro`.
    pub name: String,
    /// Name of the source feature it comes from (for reason codes).
    pub source: String,
    /// How the raw value is made from the source.
    pub encoding: Encoding,
    /// Training mean of the raw value.
    pub mean: f64,
    /// Training standard deviation of the raw value (population, never 0).
    pub std: f64,
}

/// The fitted table-to-matrix transformation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preprocessor {
    /// Source features in table order.
    pub features: Vec<SourceFeature>,
    /// Matrix columns in matrix order.
    pub columns: Vec<MatrixColumn>,
    /// Candidate columns dropped because they were constant on the training rows.
    pub dropped_constant: Vec<String>,
}

/// A source column as the preprocessor needs it, converted when the table's kind differs.
enum Source<'a> {
    Numeric(Cow<'a, [f64]>),
    Categorical(Cow<'a, [Option<String>]>),
}

impl Preprocessor {
    /// Learn imputation, levels and scaling from `rows` of `table` (every feature column).
    ///
    /// # Errors
    /// `BadData` when no column varies on the training rows.
    pub fn fit(table: &FeatureTable, rows: &[usize]) -> Result<Preprocessor> {
        Self::fit_with(table, rows, MatrixOptions::default())
    }

    /// [`Preprocessor::fit`] with categorical levels capped by `cap`.
    ///
    /// # Errors
    /// As [`Preprocessor::fit`].
    pub fn fit_with(
        table: &FeatureTable,
        rows: &[usize],
        cap: MatrixOptions,
    ) -> Result<Preprocessor> {
        let mut pre = Preprocessor {
            features: vec![],
            columns: vec![],
            dropped_constant: vec![],
        };
        for col in &table.columns {
            let (feature, candidates) = match &col.values {
                ColumnValues::Numeric(v) => numeric_candidates(&col.name, v, rows, cap.bins),
                ColumnValues::Categorical(v) => categorical_candidates(&col.name, v, rows, cap),
            };
            pre.features.push(feature);
            for (name, encoding, raw) in candidates {
                match mean_std(&raw) {
                    Some((mean, std)) => {
                        let source = col.name.clone();
                        pre.columns.push(MatrixColumn {
                            name,
                            source,
                            encoding,
                            mean,
                            std,
                        });
                    }
                    None => pre.dropped_constant.push(name),
                }
            }
        }
        if pre.columns.is_empty() {
            return Err(Error::BadData(
                "no feature column varies on the training rows".into(),
            ));
        }
        Ok(pre)
    }

    /// Matrix column names in order.
    pub fn column_names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    /// Number of matrix columns.
    pub fn n_columns(&self) -> usize {
        self.columns.len()
    }

    /// The standardised matrix of `rows` (all rows when `None`), column-major.
    ///
    /// # Errors
    /// `ModelMismatch` (with an empty model id, filled in by the caller) naming absent source
    /// columns or values of the wrong kind.
    pub fn transform(&self, table: &FeatureTable, rows: Option<&[usize]>) -> Result<Array2<f64>> {
        let sources = self.resolve(table)?;
        let all: Vec<usize>;
        let rows = match rows {
            Some(r) => r,
            None => {
                all = (0..table.n_rows()).collect();
                &all
            }
        };
        let n = rows.len();
        let codes = self.level_codes(&sources, rows);
        let mut data = vec![0.0; n * self.columns.len()];
        // Column-major: each matrix column is its own slice, filled independently in parallel.
        data.par_chunks_mut(n.max(1))
            .zip(self.columns.par_iter())
            .try_for_each(|(out, col)| {
                let f = self.feature_index(&col.source);
                let scale = |raw: f64| (raw - col.mean) / col.std;
                let fill = |out: &mut [f64], values: &mut dyn Iterator<Item = f64>| {
                    out.iter_mut().zip(values).for_each(|(o, x)| *o = scale(x));
                };
                match (&col.encoding, &sources[f]) {
                    (Encoding::Value, Source::Numeric(v)) => {
                        let median = self.features[f].median.unwrap_or(0.0);
                        let impute = |x: f64| if x.is_nan() { median } else { x };
                        fill(out, &mut rows.iter().map(|&i| impute(v[i])));
                    }
                    (Encoding::Missing, Source::Numeric(v)) => {
                        fill(out, &mut rows.iter().map(|&i| indicator(v[i].is_nan())));
                    }
                    (Encoding::Bin { lo, hi }, Source::Numeric(v)) => {
                        fill(
                            out,
                            &mut rows
                                .iter()
                                .map(|&i| indicator(Encoding::in_bin(*lo, *hi, v[i]))),
                        );
                    }
                    (Encoding::Other, Source::Categorical(v)) => {
                        let code = codes[f].as_ref().expect("codes of a categorical source");
                        let other = |(&i, c): (&usize, &Option<usize>)| {
                            indicator(v[i].is_some() && c.is_none())
                        };
                        fill(out, &mut rows.iter().zip(code).map(other));
                    }
                    (Encoding::Level(level), Source::Categorical(_)) => {
                        let target = self.features[f].levels.iter().position(|l| l == level);
                        let code = codes[f].as_ref().expect("codes of a categorical source");
                        fill(
                            out,
                            &mut code.iter().map(|&c| indicator(c.is_some() && c == target)),
                        );
                    }
                    _ => {
                        let reason =
                            format!("column `{}` does not match its source's kind", col.name);
                        return Err(Error::ModelMismatch {
                            model_id: String::new(),
                            reason,
                        });
                    }
                }
                Ok(())
            })?;
        Ok(Array2::from_shape_vec((n, self.columns.len()).f(), data)
            .expect("n * p values for an (n, p) matrix"))
    }

    /// Every matrix column names a source feature of the right kind and has a usable scale,
    /// so transforming never meets an inconsistent (damaged or hand-edited) model file.
    ///
    /// # Errors
    /// `ModelMismatch` (without a model id) naming the first bad column.
    pub fn check(&self) -> Result<()> {
        for (j, col) in self.columns.iter().enumerate() {
            let kind = self
                .features
                .iter()
                .find(|f| f.name == col.source)
                .map(|f| f.kind);
            let fits = matches!(
                (&col.encoding, kind),
                (
                    Encoding::Value | Encoding::Missing | Encoding::Bin { .. },
                    Some(FeatureKind::Numeric)
                ) | (
                    Encoding::Level(_) | Encoding::Other,
                    Some(FeatureKind::Categorical)
                )
            );
            let field = format!("field `preprocessor.columns[{j}]` (`{}`)", col.name);
            let bad_bin = match col.encoding {
                Encoding::Bin { lo, hi } => {
                    lo.is_some_and(|l| !l.is_finite())
                        || hi.is_some_and(|h| !h.is_finite())
                        || lo.zip(hi).is_some_and(|(l, h)| l >= h)
                }
                _ => false,
            };
            let reason = if bad_bin {
                Some(format!(
                    "{field}: the bin's edges are not finite and ascending"
                ))
            } else if !fits {
                Some(format!("{field} does not fit its source `{}`", col.source))
            } else if !(col.std.is_finite() && col.std > 0.0) {
                Some(format!("{field}: std {} is not a positive scale", col.std))
            } else if !col.mean.is_finite() {
                Some(format!("{field}: mean {} is not finite", col.mean))
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(Error::ModelMismatch {
                    model_id: String::new(),
                    reason,
                });
            }
        }
        Ok(())
    }

    fn feature_index(&self, name: &str) -> usize {
        self.features
            .iter()
            .position(|f| f.name == name)
            .expect("column source is a feature")
    }

    /// Each source column from the table, converted to the kind training saw.
    fn resolve<'a>(&self, table: &'a FeatureTable) -> Result<Vec<Source<'a>>> {
        let missing: Vec<&str> = self
            .features
            .iter()
            .filter(|f| table.column(&f.name).is_none())
            .map(|f| f.name.as_str())
            .collect();
        if !missing.is_empty() {
            let reason = format!("missing feature column(s): {}", missing.join(", "));
            return Err(Error::ModelMismatch {
                model_id: String::new(),
                reason,
            });
        }
        self.features
            .iter()
            .map(|f| {
                let values = &table.column(&f.name).expect("checked above").values;
                convert(&f.name, f.kind, values)
            })
            .collect()
    }

    /// Per categorical source, the index of each row's level in `levels` (`None`: unseen/missing).
    fn level_codes(&self, sources: &[Source], rows: &[usize]) -> Vec<Option<LevelCodes>> {
        self.features
            .iter()
            .zip(sources)
            .map(|(f, s)| match s {
                Source::Categorical(v) => {
                    let index: HashMap<&str, usize> = f
                        .levels
                        .iter()
                        .enumerate()
                        .map(|(i, l)| (l.as_str(), i))
                        .collect();
                    let code = |i: usize| v[i].as_deref().and_then(|s| index.get(s).copied());
                    Some(rows.iter().map(|&i| code(i)).collect())
                }
                Source::Numeric(_) => None,
            })
            .collect()
    }
}

/// A candidate matrix column: name, encoding and raw values on the training rows.
type Candidate = (String, Encoding, Vec<f64>);

/// Per row, the index of its level in the feature's `levels` (`None`: unseen or missing).
type LevelCodes = Vec<Option<usize>>;

/// The candidate columns of a numeric feature: imputed value, and a missing indicator when
/// training rows had missing values.
fn numeric_candidates(
    name: &str,
    v: &[f64],
    rows: &[usize],
    bins: usize,
) -> (SourceFeature, Vec<Candidate>) {
    let train: Vec<f64> = rows.iter().map(|&i| v[i]).collect();
    let median = median(&train).unwrap_or(0.0);
    let mut candidates = vec![(
        name.to_string(),
        Encoding::Value,
        train
            .iter()
            .map(|&x| if x.is_nan() { median } else { x })
            .collect(),
    )];
    if train.iter().any(|x| x.is_nan()) {
        let raw = train.iter().map(|x| indicator(x.is_nan())).collect();
        candidates.push((format!("{name}_missing"), Encoding::Missing, raw));
    }
    for (lo, hi) in bin_edges(&train, bins) {
        let raw = train
            .iter()
            .map(|&x| indicator(Encoding::in_bin(lo, hi, x)))
            .collect();
        candidates.push((bin_name(name, lo, hi), Encoding::Bin { lo, hi }, raw));
    }
    let feature = SourceFeature {
        name: name.to_string(),
        kind: FeatureKind::Numeric,
        median: Some(median),
        levels: vec![],
    };
    (feature, candidates)
}

/// `bins` quantile bins of the values (`Lower` rule edges, repeated edges merged), open at
/// both ends; none for fewer than [`MIN_DISTINCT_FOR_BINS`] distinct values.
fn bin_edges(values: &[f64], bins: usize) -> Vec<(Option<f64>, Option<f64>)> {
    let sorted = sorted_present(values);
    let mut distinct = sorted.clone();
    distinct.dedup();
    if bins < 2 || distinct.len() < MIN_DISTINCT_FOR_BINS {
        return Vec::new();
    }
    // An edge at the minimum would open an empty first bin.
    let mut edges: Vec<f64> = (1..bins)
        .map(|k| quantile(&sorted, k as f64 / bins as f64, Quantile::Lower))
        .filter(|&e| e > sorted[0])
        .collect();
    edges.dedup();
    if edges.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(edges.len() + 1);
    let mut lo = None;
    for &e in &edges {
        out.push((lo, Some(e)));
        lo = Some(e);
    }
    out.push((lo, None));
    out
}

/// A bin's public name: `age < 30`, `age in [30, 50)`, `age >= 70` (edges in their shortest
/// exact form, so close edges never print alike).
fn bin_name(name: &str, lo: Option<f64>, hi: Option<f64>) -> String {
    let v = |x: f64| format!("{x}");
    match (lo, hi) {
        (None, Some(h)) => format!("{name} < {}", v(h)),
        (Some(l), Some(h)) => format!("{name} in [{}, {})", v(l), v(h)),
        (Some(l), None) => format!("{name} >= {}", v(l)),
        (None, None) => name.to_string(),
    }
}

/// The candidate columns of a categorical feature: one indicator per level seen in training.
fn categorical_candidates(
    name: &str,
    v: &[Option<String>],
    rows: &[usize],
    cap: MatrixOptions,
) -> (SourceFeature, Vec<Candidate>) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for &i in rows {
        if let Some(l) = v[i].as_deref() {
            *counts.entry(l).or_default() += 1;
        }
    }
    let mut frequent: Vec<(&str, usize)> = counts
        .iter()
        .filter(|(_, &n)| n >= cap.min_count)
        .map(|(&l, &n)| (l, n))
        .collect();
    frequent.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    frequent.truncate(cap.max_levels);
    let mut levels: Vec<String> = frequent.iter().map(|(l, _)| l.to_string()).collect();
    levels.sort();
    let pooled = counts.len() > levels.len();
    let mut candidates: Vec<Candidate> = levels
        .iter()
        .map(|l| {
            let raw = rows
                .iter()
                .map(|&i| indicator(v[i].as_deref() == Some(l.as_str())))
                .collect();
            (format!("{name}={l}"), Encoding::Level(l.clone()), raw)
        })
        .collect();
    if pooled {
        let kept: std::collections::HashSet<&str> = levels.iter().map(String::as_str).collect();
        let raw = rows
            .iter()
            .map(|&i| indicator(v[i].as_deref().is_some_and(|l| !kept.contains(l))))
            .collect();
        candidates.push((format!("{name}=(other)"), Encoding::Other, raw));
    }
    let feature = SourceFeature {
        name: name.to_string(),
        kind: FeatureKind::Categorical,
        median: None,
        levels,
    };
    (feature, candidates)
}

/// 1.0 for true, 0.0 for false.
fn indicator(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// Mean and population standard deviation, `None` for a constant (or empty) column.
fn mean_std(raw: &[f64]) -> Option<(f64, f64)> {
    let first = *raw.first()?;
    if raw.iter().all(|&x| x == first) {
        return None;
    }
    let n = raw.len() as f64;
    let mean = raw.iter().sum::<f64>() / n;
    let var = raw.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    let std = var.sqrt();
    (std > 0.0 && std.is_finite()).then_some((mean, std))
}

/// A table column in the kind training saw: numbers from text are parsed, numbers as categories
/// are printed (`408.0` as `408`).
fn convert<'a>(name: &str, kind: FeatureKind, values: &'a ColumnValues) -> Result<Source<'a>> {
    match (kind, values) {
        (FeatureKind::Numeric, ColumnValues::Numeric(v)) => Ok(Source::Numeric(Cow::Borrowed(v))),
        (FeatureKind::Categorical, ColumnValues::Categorical(v)) => {
            Ok(Source::Categorical(Cow::Borrowed(v)))
        }
        (FeatureKind::Categorical, ColumnValues::Numeric(v)) => {
            Ok(Source::Categorical(Cow::Owned(
                v.iter()
                    .map(|x| (!x.is_nan()).then(|| format!("{x}")))
                    .collect(),
            )))
        }
        (FeatureKind::Numeric, ColumnValues::Categorical(v)) => {
            let parse = |s: &Option<String>| match s.as_deref().map(str::trim) {
                None | Some("") => Ok(f64::NAN),
                Some(t) => t
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| Error::ModelMismatch {
                        model_id: String::new(),
                        reason: format!(
                            "feature `{name}` is numeric in the model but holds {}",
                            crate::error::quote(t)
                        ),
                    }),
            };
            Ok(Source::Numeric(Cow::Owned(
                v.iter().map(parse).collect::<Result<_>>()?,
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::FeatureColumn;

    fn table(columns: Vec<FeatureColumn>, n: usize) -> FeatureTable {
        FeatureTable {
            ids: (0..n).map(|i| i.to_string()).collect(),
            as_of: vec![None; n],
            columns,
            labels: vec![None; n],
        }
    }

    fn num(name: &str, v: Vec<f64>) -> FeatureColumn {
        FeatureColumn {
            name: name.into(),
            values: ColumnValues::Numeric(v),
        }
    }

    fn cat(name: &str, v: &[Option<&str>]) -> FeatureColumn {
        let v = v.iter().map(|s| s.map(String::from)).collect();
        FeatureColumn {
            name: name.into(),
            values: ColumnValues::Categorical(v),
        }
    }

    #[test]
    fn imputation_uses_training_medians_only() {
        // Training rows 0..3 have median 2; row 4 (not training) is huge and must not count.
        let t = table(vec![num("x", vec![1.0, 2.0, 3.0, f64::NAN, 1000.0])], 5);
        let pre = Preprocessor::fit(&t, &[0, 1, 2, 3]).unwrap();
        assert_eq!(pre.features[0].median, Some(2.0));
        assert_eq!(pre.column_names(), vec!["x", "x_missing"]);
        let x = pre.transform(&t, Some(&[3])).unwrap();
        let c = &pre.columns[0];
        assert!(((x[[0, 0]] * c.std + c.mean) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn constant_column_is_dropped() {
        let t = table(
            vec![num("k", vec![5.0; 4]), num("x", vec![1.0, 2.0, 3.0, 4.0])],
            4,
        );
        let pre = Preprocessor::fit(&t, &[0, 1, 2, 3]).unwrap();
        assert_eq!(pre.column_names(), vec!["x"]);
        assert_eq!(pre.dropped_constant, vec!["k"]);
    }

    #[test]
    fn unseen_or_missing_category_encodes_as_all_zero_indicators() {
        let t = table(
            vec![cat(
                "plan",
                &[Some("pro"), Some("basic"), Some("gold"), None],
            )],
            4,
        );
        let pre = Preprocessor::fit(&t, &[0, 1]).unwrap();
        assert_eq!(pre.column_names(), vec!["plan=basic", "plan=pro"]);
        let x = pre.transform(&t, None).unwrap();
        for row in [2, 3] {
            for (j, c) in pre.columns.iter().enumerate() {
                let raw = x[[row, j]] * c.std + c.mean;
                assert!(raw.abs() < 1e-12, "row {row} column {} raw {raw}", c.name);
            }
        }
    }

    #[test]
    fn bins_are_named_terms_that_partition_the_values() {
        let values: Vec<f64> = (0..100).map(f64::from).collect();
        let t = table(vec![num("age", values.clone())], 100);
        let rows: Vec<usize> = (0..100).collect();
        let options = MatrixOptions {
            bins: 5,
            ..MatrixOptions::default()
        };
        let pre = Preprocessor::fit_with(&t, &rows, options).unwrap();
        let names = pre.column_names();
        assert_eq!(
            names,
            [
                "age",
                "age < 19",
                "age in [19, 39)",
                "age in [39, 59)",
                "age in [59, 79)",
                "age >= 79"
            ]
        );
        pre.check().unwrap();
        let x = pre.transform(&t, None).unwrap();
        for i in 0..100 {
            let ones: f64 = (1..6)
                .map(|j| x[[i, j]] * pre.columns[j].std + pre.columns[j].mean)
                .sum();
            assert!((ones - 1.0).abs() < 1e-9, "row {i} is in exactly one bin");
        }
        // Few distinct values: no bins.
        let t = table(
            vec![num("tickets", (0..100).map(|i| f64::from(i % 4)).collect())],
            100,
        );
        let pre = Preprocessor::fit_with(&t, &rows, options).unwrap();
        assert_eq!(pre.column_names(), ["tickets"]);
    }

    #[test]
    fn a_high_cardinality_column_keeps_the_frequent_levels_and_pools_the_rest() {
        // 5,000 names on 10,000 rows, plus one frequent level.
        let names: Vec<Option<String>> = (0..10_000)
            .map(|i| {
                Some(if i % 2 == 0 {
                    "common".into()
                } else {
                    format!("n{}", i % 5000)
                })
            })
            .collect();
        let t = FeatureTable {
            ids: (0..10_000).map(|i| i.to_string()).collect(),
            as_of: vec![None; 10_000],
            columns: vec![FeatureColumn {
                name: "surname".into(),
                values: ColumnValues::Categorical(names),
            }],
            labels: vec![None; 10_000],
        };
        let rows: Vec<usize> = (0..10_000).collect();
        let pre = Preprocessor::fit(&t, &rows).unwrap();
        assert_eq!(pre.n_columns(), MAX_LEVELS + 1);
        assert!(pre.column_names().contains(&"surname=common".to_string()));
        assert!(pre.column_names().contains(&"surname=(other)".to_string()));
        let other = pre
            .columns
            .iter()
            .position(|c| c.encoding == Encoding::Other)
            .unwrap();
        let mut scoring = t.take(&[0, 1]);
        scoring.columns[0].values =
            ColumnValues::Categorical(vec![Some("never seen".into()), None]);
        let x = pre.transform(&scoring, None).unwrap();
        let raw = |row: usize| x[[row, other]] * pre.columns[other].std + pre.columns[other].mean;
        assert!(
            (raw(0) - 1.0).abs() < 1e-9,
            "an unseen level counts as other"
        );
        assert!(raw(1).abs() < 1e-9, "a missing one does not");
    }

    #[test]
    fn matrix_is_column_major_and_standardised_on_training_rows() {
        let t = table(vec![num("x", vec![1.0, 3.0, 100.0])], 3);
        let pre = Preprocessor::fit(&t, &[0, 1]).unwrap();
        let x = pre.transform(&t, None).unwrap();
        assert!(x.t().is_standard_layout());
        assert_eq!(x[[0, 0]], -1.0);
        assert_eq!(x[[1, 0]], 1.0);
    }

    #[test]
    fn missing_source_column_is_a_model_mismatch_naming_it() {
        let t = table(vec![num("x", vec![1.0, 2.0]), num("y", vec![1.0, 3.0])], 2);
        let pre = Preprocessor::fit(&t, &[0, 1]).unwrap();
        let other = table(vec![num("x", vec![1.0])], 1);
        let err = pre.transform(&other, None).unwrap_err();
        assert!(matches!(err, Error::ModelMismatch { ref reason, .. } if reason.contains("y")));
    }
}
