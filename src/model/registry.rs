//! The model registry: one folder per model under `models/`, written whole or not at all and
//! never overwritten; listing, and resolving `latest`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::artifact::{ChurnModel, FORMAT_VERSION};
use super::folds::Mode;
use super::train::{HoldoutPrediction, TrainOutcome};
use crate::error::{Error, Result};
use crate::schema::PREDICTION_COLUMNS;
use crate::time::format_day;
use crate::util::{csv_cell, fmt_f64, write_json};

/// The model file in a model folder.
pub const MODEL_FILE: &str = "model.json";
/// Selection and holdout metrics.
pub const METRICS_FILE: &str = "metrics.json";
/// Holdout predictions.
pub const PREDICTIONS_FILE: &str = "predictions.csv";

/// One line of `churn models list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    /// Model id (folder name).
    pub model_id: String,
    /// Creation time, UTC.
    pub created: String,
    /// Event or tabular.
    pub mode: Mode,
    /// Label horizon (event mode).
    pub horizon_days: Option<u32>,
    /// Holdout ROC AUC.
    pub holdout_auc: Option<f64>,
}

/// The folder of model `model_id`.
pub fn model_dir(models_dir: &Path, model_id: &str) -> PathBuf {
    models_dir.join(model_id)
}

/// Write `outcome` as `models_dir/<model_id>/` (model, metrics, predictions). The id is
/// reserved with `create_dir`, so an existing folder is never touched: when the id is taken a
/// suffix `-2`, `-3`, ... is added (and written into the model). The files are written into a
/// temporary sibling folder that is renamed into place, so a failure leaves nothing behind.
/// Returns the model's folder.
///
/// # Errors
/// I/O and serialisation errors.
pub fn save(models_dir: &Path, outcome: &mut TrainOutcome) -> Result<PathBuf> {
    std::fs::create_dir_all(models_dir).map_err(|e| Error::io(models_dir, e))?;
    let (id, dir) = reserve(models_dir, &outcome.model.model_id)?;
    outcome.model.model_id = id;
    let written = write_into_place(models_dir, &dir, outcome);
    if written.is_err() {
        // Only removes the reserved folder if it is still empty.
        let _ = std::fs::remove_dir(&dir);
    }
    written.map(|()| dir)
}

/// Create an empty folder for `base` or the first free `base-N`.
fn reserve(models_dir: &Path, base: &str) -> Result<(String, PathBuf)> {
    for n in 1.. {
        let id = if n == 1 {
            base.to_string()
        } else {
            format!("{base}-{n}")
        };
        let dir = model_dir(models_dir, &id);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok((id, dir)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(dir, e)),
        }
    }
    unreachable!("some suffix is free")
}

fn write_into_place(models_dir: &Path, dir: &Path, outcome: &TrainOutcome) -> Result<()> {
    let tmp = tempfile::Builder::new()
        .prefix(".tmp-model-")
        .tempdir_in(models_dir)
        .map_err(|e| Error::io(models_dir, e))?;
    write_json(&tmp.path().join(MODEL_FILE), &outcome.model)?;
    write_json(&tmp.path().join(METRICS_FILE), &outcome.metrics)?;
    write_predictions(&tmp.path().join(PREDICTIONS_FILE), &outcome.predictions)?;
    // On Linux, rename replaces the empty reserved folder atomically; elsewhere remove it first.
    if std::fs::rename(tmp.path(), dir).is_err() {
        std::fs::remove_dir(dir).map_err(|e| Error::io(dir, e))?;
        std::fs::rename(tmp.path(), dir).map_err(|e| Error::io(dir, e))?;
    }
    let _ = tmp.keep();
    Ok(())
}

/// `predictions.csv`: `customer_id,as_of,label,probability`, label 0/1.
pub fn write_predictions(path: &Path, predictions: &[HoldoutPrediction]) -> Result<()> {
    crate::util::write_atomic(path, |w| {
        let io = |e| Error::io(path, e);
        writeln!(w, "{}", PREDICTION_COLUMNS.join(",")).map_err(io)?;
        for p in predictions {
            let as_of = p.as_of.map(format_day).unwrap_or_default();
            let line = format!(
                "{},{},{},{}",
                csv_cell(&p.customer_id),
                as_of,
                u8::from(p.label),
                fmt_f64(p.probability)
            );
            writeln!(w, "{line}").map_err(io)?;
        }
        Ok(())
    })
}

/// Every model in `models_dir`, oldest first (by creation time, then id). A missing folder is
/// an empty registry; unreadable model files are skipped with a warning.
///
/// # Errors
/// I/O errors reading the folder.
pub fn list(models_dir: &Path) -> Result<Vec<ModelSummary>> {
    if !models_dir.exists() {
        return Ok(vec![]);
    }
    let entries = std::fs::read_dir(models_dir).map_err(|e| Error::io(models_dir, e))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(models_dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let file = entry.path().join(MODEL_FILE);
        if name.starts_with('.') || !file.is_file() {
            continue;
        }
        match read_model(&file) {
            Ok(m) => out.push(ModelSummary {
                model_id: name,
                created: m.created,
                mode: m.mode,
                horizon_days: m.horizon_days,
                holdout_auc: m.validation.holdout.roc_auc,
            }),
            Err(e) => log::warn!("skipping {}: {e}", file.display()),
        }
    }
    out.sort_by(|a, b| (&a.created, &a.model_id).cmp(&(&b.created, &b.model_id)));
    Ok(out)
}

/// The model id meant by `id`: itself when its folder holds a model, or the newest model for
/// `latest`.
///
/// # Errors
/// `ModelNotFound` when there is no such model (or no model at all for `latest`).
pub fn resolve(models_dir: &Path, id: &str) -> Result<String> {
    let not_found = || Error::ModelNotFound {
        model_id: id.to_string(),
        dir: models_dir.to_path_buf(),
    };
    if id == "latest" {
        return list(models_dir)?
            .pop()
            .map(|s| s.model_id)
            .ok_or_else(not_found);
    }
    let plain = !id.is_empty() && !id.starts_with('.') && !id.contains(['/', '\\']);
    if plain && model_dir(models_dir, id).join(MODEL_FILE).is_file() {
        Ok(id.to_string())
    } else {
        Err(not_found())
    }
}

/// Load model `id` (or `latest`) from the registry.
///
/// # Errors
/// `ModelNotFound`, `ModelMismatch` for another format version, JSON and I/O errors.
pub fn load(models_dir: &Path, id: &str) -> Result<ChurnModel> {
    let id = resolve(models_dir, id)?;
    read_model(&model_dir(models_dir, &id).join(MODEL_FILE))
}

/// Read and check one `model.json`.
///
/// # Errors
/// I/O, JSON and `ModelMismatch` errors.
pub fn read_model(path: &Path) -> Result<ChurnModel> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let value: serde_json::Value = serde_json::from_str(&text)?;
    let version = value.get("format_version").and_then(|v| v.as_u64());
    if version != Some(u64::from(FORMAT_VERSION)) {
        let model_id = value
            .get("model_id")
            .and_then(|v| v.as_str())
            .unwrap_or("?")
            .to_string();
        let found = version.map_or("missing".to_string(), |v| v.to_string());
        let reason = format!("format version {found} (this tool reads {FORMAT_VERSION})");
        return Err(Error::ModelMismatch { model_id, reason });
    }
    // Parse the text again rather than the Value: floats read from text round-trip exactly.
    let model: ChurnModel = serde_json::from_str(&text)?;
    model.check()?;
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::train::{tests::synthetic, train, TrainSettings};

    fn outcome() -> TrainOutcome {
        train(
            &synthetic(400, 0.3, 1),
            &TrainSettings::new().alphas(vec![1.0, 10.0]),
        )
        .unwrap()
    }

    #[test]
    fn model_json_round_trips_bit_exact() {
        let o = outcome();
        let text = serde_json::to_string_pretty(&o.model).unwrap();
        let back: ChurnModel = serde_json::from_str(&text).unwrap();
        assert_eq!(back, o.model);
        for (a, b) in back.coefficients.iter().zip(&o.model.coefficients) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(v["feature_names"].is_array() && v["coefficients"].is_array());
        assert!(v["intercept"].is_f64());
    }

    #[test]
    fn registry_never_overwrites_and_resolves_latest() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = outcome();
        let mut b = a.clone();
        let first = save(dir.path(), &mut a).unwrap();
        let before = std::fs::read(first.join(MODEL_FILE)).unwrap();
        let second = save(dir.path(), &mut b).unwrap();
        assert_ne!(first, second);
        assert_eq!(b.model.model_id, format!("{}-2", a.model.model_id));
        assert_eq!(std::fs::read(first.join(MODEL_FILE)).unwrap(), before);
        let ids: Vec<String> = list(dir.path())
            .unwrap()
            .into_iter()
            .map(|s| s.model_id)
            .collect();
        assert_eq!(
            ids,
            vec![a.model.model_id.clone(), b.model.model_id.clone()]
        );
        assert_eq!(resolve(dir.path(), "latest").unwrap(), b.model.model_id);
        assert_eq!(load(dir.path(), &a.model.model_id).unwrap(), a.model);
        // Nothing but the two model folders.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn unknown_model_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        for id in ["nope", "latest", "../x"] {
            let err = resolve(dir.path(), id).unwrap_err();
            assert!(matches!(err, Error::ModelNotFound { .. }), "{id}: {err}");
        }
    }

    #[test]
    fn other_format_version_is_a_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(MODEL_FILE);
        std::fs::write(&p, r#"{"format_version": 2, "model_id": "m"}"#).unwrap();
        assert!(matches!(read_model(&p), Err(Error::ModelMismatch { .. })));
    }

    #[test]
    fn predictions_csv_has_the_contract_header() {
        let dir = tempfile::tempdir().unwrap();
        let mut o = outcome();
        let path = save(dir.path(), &mut o).unwrap();
        let text = std::fs::read_to_string(path.join(PREDICTIONS_FILE)).unwrap();
        assert!(text.starts_with("customer_id,as_of,label,probability\nc00000,,"));
        assert_eq!(text.lines().count(), 401);
    }
}
