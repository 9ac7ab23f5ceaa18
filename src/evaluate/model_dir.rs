//! Evaluating a model folder: read `predictions.csv` and `model.json`, write the plots into
//! `plots/`, and record the evaluation under the `evaluation` key of `metrics.json`.

use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde_json::Value;

use super::plots::write_plots;
use super::{evaluate_predictions, EvalSettings, Evaluation};
use crate::error::{Error, Result};
use crate::schema::PREDICTION_COLUMNS;
use crate::util::write_json;

/// The files of a model folder, as the registry names them.
pub use crate::model::registry::{METRICS_FILE, MODEL_FILE, PREDICTIONS_FILE};
/// Folder of the plots inside a model folder.
pub const PLOTS_DIR: &str = "plots";

/// Evaluate the holdout predictions in `model_dir`, write the plots into `model_dir/plots/` and
/// put the result under `evaluation` in `model_dir/metrics.json` (other keys kept; the file is
/// created if absent). The odds-ratio plot is skipped with a warning when `model.json` has no
/// `feature_names` and `coefficients`.
///
/// # Errors
/// As [`evaluate_predictions`] and [`read_scored_csv`]; `Error::Json` or `Error::BadData` for a
/// `metrics.json` that is not a JSON object (checked before anything is written); drawing and I/O
/// failures.
pub fn evaluate_model_dir(model_dir: &Path, settings: &EvalSettings) -> Result<Evaluation> {
    let [_, _, label_col, prob_col] = PREDICTION_COLUMNS;
    let (labels, probs) = read_scored_csv(&model_dir.join(PREDICTIONS_FILE), label_col, prob_col)?;
    let evaluation = evaluate_predictions(&labels, &probs, settings)?;
    let metrics_path = model_dir.join(METRICS_FILE);
    let mut metrics = read_metrics_object(&metrics_path)?;
    let coefficients = read_coefficients(&model_dir.join(MODEL_FILE));
    write_plots(
        &plots_dir(model_dir),
        &labels,
        &probs,
        &evaluation,
        coefficients.as_deref(),
    )?;
    metrics.insert("evaluation".into(), serde_json::to_value(&evaluation)?);
    write_json(&metrics_path, &metrics)?;
    Ok(evaluation)
}

/// Read a label column and a probability column from a CSV file with a header. Labels may be
/// 0/1, true/false, yes/no or churned/active (any case); probabilities must be numbers in [0, 1].
///
/// # Errors
/// `Error::Unreadable` for a missing or unparsable file, `Error::MissingColumn` naming the column,
/// `Error::BadValue` naming the row (data row and file line) and value.
pub fn read_scored_csv(
    path: &Path,
    label_col: &str,
    score_col: &str,
) -> Result<(Vec<bool>, Vec<f64>)> {
    let table = path.display().to_string();
    // Every column as text: each cell is parsed below so that errors can name the row.
    let df = crate::data::read::read_text_csv(path)?;
    let labels = parse_column(
        &df,
        &table,
        label_col,
        parse_label,
        "expected 0/1, true/false, yes/no or churned/active",
    )?;
    let scores = parse_column(
        &df,
        &table,
        score_col,
        parse_probability,
        "expected a number in [0, 1]",
    )?;
    Ok((labels, scores))
}

fn parse_column<T>(
    df: &DataFrame,
    table: &str,
    column: &str,
    parse: fn(&str) -> Option<T>,
    expected: &str,
) -> Result<Vec<T>> {
    let col = df.column(column).map_err(|_| Error::MissingColumn {
        table: table.to_string(),
        column: column.to_string(),
        found: df
            .get_column_names()
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    })?;
    let text = col.str()?;
    text.iter()
        .enumerate()
        .map(|(i, cell)| {
            cell.and_then(parse).ok_or_else(|| Error::BadValue {
                table: table.to_string(),
                column: column.to_string(),
                row: format!("row {} (line {})", i + 1, i + 2),
                value: cell.unwrap_or("").to_string(),
                reason: expected.to_string(),
            })
        })
        .collect()
}

/// A label cell, in the spellings tabular mode understands (yes/no, true/false, 1/0, churned/active).
pub use crate::features::tabular::parse_label;

fn parse_probability(cell: &str) -> Option<f64> {
    cell.trim()
        .parse::<f64>()
        .ok()
        .filter(|p| (0.0..=1.0).contains(p))
}

/// (feature name, coefficient) pairs from `model.json`'s top-level `feature_names` and
/// `coefficients`; `None` (with a warning) when the file or either key is missing or malformed.
fn read_coefficients(path: &Path) -> Option<Vec<(String, f64)>> {
    let parsed = std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str::<Value>(&text).map_err(|e| e.to_string()))
        .and_then(|model| coefficients_of(&model));
    match parsed {
        Ok(pairs) => Some(pairs),
        Err(reason) => {
            log::warn!("skipping the odds-ratio plot: {}: {reason}", path.display());
            None
        }
    }
}

fn coefficients_of(model: &Value) -> std::result::Result<Vec<(String, f64)>, String> {
    let names: Vec<String> = model
        .get("feature_names")
        .and_then(Value::as_array)
        .ok_or("no `feature_names` array")?
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect::<Option<_>>()
        .ok_or("`feature_names` holds a non-string")?;
    let coefs: Vec<f64> = model
        .get("coefficients")
        .and_then(Value::as_array)
        .ok_or("no `coefficients` array")?
        .iter()
        .map(Value::as_f64)
        .collect::<Option<_>>()
        .ok_or("`coefficients` holds a non-number")?;
    if names.len() != coefs.len() {
        return Err(format!(
            "{} feature names but {} coefficients",
            names.len(),
            coefs.len()
        ));
    }
    Ok(names.into_iter().zip(coefs).collect())
}

/// The metrics file's JSON object, or an empty one when the file does not exist.
fn read_metrics_object(path: &Path) -> Result<serde_json::Map<String, Value>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Default::default()),
        Err(e) => return Err(Error::io(path, e)),
    };
    match serde_json::from_str::<Value>(&text)? {
        Value::Object(map) => Ok(map),
        _ => Err(Error::BadData(format!(
            "{}: not a JSON object",
            path.display()
        ))),
    }
}

/// The plots folder of a model folder.
pub fn plots_dir(model_dir: &Path) -> PathBuf {
    model_dir.join(PLOTS_DIR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_accept_common_spellings() {
        for (cell, want) in [
            ("1", true),
            ("Yes", true),
            (" TRUE ", true),
            ("0", false),
            ("no", false),
            ("False", false),
        ] {
            assert_eq!(parse_label(cell), Some(want), "{cell:?}");
        }
        assert_eq!(parse_label("2"), None);
        assert_eq!(parse_label(""), None);
    }

    #[test]
    fn missing_column_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.csv");
        std::fs::write(&path, "label,prob\n1,0.5\n").unwrap();
        let err = read_scored_csv(&path, "label", "score").unwrap_err();
        assert!(
            matches!(err, Error::MissingColumn { ref column, .. } if column == "score"),
            "{err}"
        );
    }

    #[test]
    fn bad_score_names_the_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.csv");
        std::fs::write(&path, "label,score\n1,0.5\n0,abc\n").unwrap();
        let err = read_scored_csv(&path, "label", "score").unwrap_err();
        assert!(
            matches!(err, Error::BadValue { ref row, .. } if row == "row 2 (line 3)"),
            "{err}"
        );
        assert!(err.to_string().contains("abc"));
    }

    #[test]
    fn coefficients_need_matching_names() {
        let ok = serde_json::json!({"feature_names": ["a", "b"], "coefficients": [0.5, -1.0]});
        assert_eq!(
            coefficients_of(&ok).unwrap(),
            vec![("a".to_string(), 0.5), ("b".to_string(), -1.0)]
        );
        let short = serde_json::json!({"feature_names": ["a"], "coefficients": [0.5, -1.0]});
        assert!(coefficients_of(&short).is_err());
        assert!(coefficients_of(&serde_json::json!({})).is_err());
    }

    #[test]
    fn model_dir_evaluation_keeps_other_metrics_and_skips_odds_ratios_without_a_model() {
        let dir = tempfile::tempdir().unwrap();
        let (y, p) = crate::evaluate::metrics::tests::golden500();
        let mut csv = String::from("customer_id,as_of,label,probability\n");
        for (i, (y, p)) in y.iter().zip(&p).enumerate() {
            csv += &format!("c{i},2024-01-01,{},{p}\n", u8::from(*y));
        }
        std::fs::write(dir.path().join(PREDICTIONS_FILE), csv).unwrap();
        let metrics = dir.path().join(METRICS_FILE);
        std::fs::write(
            &metrics,
            r#"{"validation": {"roc_auc": 0.8}, "evaluation": 1}"#,
        )
        .unwrap();
        let e = evaluate_model_dir(dir.path(), &EvalSettings::new().resamples(50)).unwrap();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&metrics).unwrap()).unwrap();
        assert_eq!(v["validation"]["roc_auc"], 0.8);
        let back: Evaluation = serde_json::from_value(v["evaluation"].clone()).unwrap();
        assert_eq!(back, e);
        let plots = std::fs::read_dir(plots_dir(dir.path())).unwrap().count();
        assert_eq!(plots, 12, "six plots as PNG and SVG, no odds ratios");
    }

    #[test]
    fn a_metrics_file_that_is_not_an_object_stops_before_any_plot() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(PREDICTIONS_FILE),
            "label,probability\n1,0.9\n0,0.2\n",
        )
        .unwrap();
        std::fs::write(dir.path().join(METRICS_FILE), "[1, 2]").unwrap();
        let err = evaluate_model_dir(dir.path(), &EvalSettings::new().resamples(10)).unwrap_err();
        assert!(matches!(err, Error::BadData(_)), "{err}");
        assert!(!plots_dir(dir.path()).exists());
    }
}
