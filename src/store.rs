//! The model registry and its folders: the one module that reads and writes `models/<id>/`.
//!
//! A [`Registry`] is a folder of model folders. [`Registry::save`] assigns a trained model its id
//! and creation time and writes the folder whole or not at all, never over an existing one. A
//! [`ModelDir`] is one model's folder; every file in it is reached through its methods:
//!
//! | file | written by | read by |
//! |---|---|---|
//! | `model.json` | [`Registry::save`] | [`ModelDir::model`] |
//! | `metrics.json` | [`Registry::save`], [`ModelDir::record_evaluation`] | [`ModelDir::metrics`] |
//! | `predictions.csv` | [`Registry::save`] | [`ModelDir::predictions`] |
//! | `plots/` | the evaluation, into [`ModelDir::plots_dir`] | the report |
//! | `latest_scores.csv` | the nightly job, at [`ModelDir::preview_path`] | the report |

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::util::sha256_hex;

use crate::error::{clip, quote, Error, Result};
use crate::model::artifact::FORMAT_VERSION;
use crate::model::train::{HoldoutPrediction, TrainMetrics, TrainOutcome};
use crate::model::{ChurnModel, Mode};
use crate::output::{
    absolute, is_stdout, json_bytes, regular_destination, remove_stale, write_atomic, write_json,
    STALE_AFTER,
};
use crate::schema::PREDICTION_COLUMNS;
use crate::time::format_day;
use crate::util::{csv_cell, fmt_f64};

const MODEL_FILE: &str = "model.json";
const METRICS_FILE: &str = "metrics.json";
const PREDICTIONS_FILE: &str = "predictions.csv";
/// The optional revenue column of `predictions.csv`.
const REVENUE_COLUMN: &str = "monthly_revenue";
const PLOTS_DIR: &str = "plots";
const PREVIEW_FILE: &str = "latest_scores.csv";
/// The model file's sha256, in `sha256sum` format (so `sha256sum -c` checks it too).
const CHECKSUM_FILE: &str = "model.json.sha256";
/// Prefix of the temporary folder a model is written into before it is renamed into place.
const TMP_PREFIX: &str = ".tmp-model-";

/// The content of `metrics.json`: training's cross-validation and holdout metrics, and the
/// evaluation once one was recorded. Generic over the evaluation's type, which the evaluation
/// module defines (it builds on this one, not the other way round).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "E: Deserialize<'de>"))]
pub struct ModelMetrics<E> {
    /// Cross-validation per alpha and fold, the chosen alpha, holdout metrics.
    #[serde(flatten)]
    pub training: TrainMetrics,
    /// The latest evaluation of the holdout predictions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<E>,
}

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

/// A folder of model folders (`models/` by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    root: PathBuf,
}

/// One model's folder in a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelDir {
    id: String,
    path: PathBuf,
}

impl Registry {
    /// The registry in folder `root` (which need not exist yet).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Registry { root: root.into() }
    }

    /// The registry's folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Register `outcome` as created at `created`: assign its id
    /// (`YYYYMMDDTHHMMSSZ-<8 hex of sha256(fingerprint, settings)>`, `-2`, `-3`, ... when taken)
    /// and creation time, and write its folder. The id is reserved with `create_dir`, so an
    /// existing folder is never touched; the files go into a temporary sibling that is renamed
    /// into place, so a failure leaves nothing behind.
    ///
    /// # Errors
    /// I/O and serialisation errors.
    pub fn save(&self, outcome: &mut TrainOutcome, created: DateTime<Utc>) -> Result<ModelDir> {
        std::fs::create_dir_all(&self.root).map_err(|e| Error::io(&self.root, e))?;
        self.remove_leftovers();
        let base = base_id(&outcome.model, created);
        let dir = self.reserve(&base)?;
        outcome.model.model_id = dir.id.clone();
        outcome.model.created = created.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        let written = self.write_into_place(&dir, outcome);
        if written.is_err() {
            // Only removes the reserved folder if it is still empty.
            let _ = std::fs::remove_dir(&dir.path);
        }
        written.map(|()| dir)
    }

    /// Create an empty folder for `base` or the first free `base-N`.
    fn reserve(&self, base: &str) -> Result<ModelDir> {
        for n in 1.. {
            let id = if n == 1 {
                base.to_string()
            } else {
                format!("{base}-{n}")
            };
            let dir = self.dir(&id);
            match std::fs::create_dir(&dir.path) {
                Ok(()) => return Ok(dir),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io(&dir.path, e)),
            }
        }
        unreachable!("some suffix is free")
    }

    fn write_into_place(&self, dir: &ModelDir, outcome: &TrainOutcome) -> Result<()> {
        let tmp = tempfile::Builder::new()
            .prefix(TMP_PREFIX)
            .tempdir_in(&self.root)
            .map_err(|e| Error::io(&self.root, e))?;
        let staged = ModelDir {
            id: dir.id.clone(),
            path: tmp.path().to_path_buf(),
        };
        let model = json_bytes(&outcome.model)?;
        let model_path = staged.file(MODEL_FILE);
        write_atomic(&model_path, |w| {
            w.write_all(&model).map_err(|e| Error::io(&model_path, e))
        })?;
        let checksum = format!("{}  {MODEL_FILE}\n", sha256_hex(&model));
        let checksum_path = staged.file(CHECKSUM_FILE);
        write_atomic(&checksum_path, |w| {
            w.write_all(checksum.as_bytes())
                .map_err(|e| Error::io(&checksum_path, e))
        })?;
        let metrics: ModelMetrics<()> = ModelMetrics {
            training: outcome.metrics.clone(),
            evaluation: None,
        };
        write_json(&staged.file(METRICS_FILE), &metrics)?;
        write_predictions(&staged.file(PREDICTIONS_FILE), &outcome.predictions)?;
        // On Linux, rename replaces the empty reserved folder atomically; elsewhere remove it first.
        if std::fs::rename(tmp.path(), &dir.path).is_err() {
            std::fs::remove_dir(&dir.path).map_err(|e| Error::io(&dir.path, e))?;
            std::fs::rename(tmp.path(), &dir.path).map_err(|e| Error::io(&dir.path, e))?;
        }
        let _ = tmp.keep();
        Ok(())
    }

    /// Remove what killed trainings left: staging folders, and reserved model folders that
    /// stayed empty, once older than [`crate::output::STALE_AFTER`].
    fn remove_leftovers(&self) {
        remove_stale(&self.root, TMP_PREFIX);
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let stale = entry
                .metadata()
                .ok()
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > STALE_AFTER);
            let reserved = looks_like_id(&entry.file_name().to_string_lossy());
            let empty = std::fs::read_dir(&path).is_ok_and(|mut d| d.next().is_none());
            // remove_dir only removes an empty folder, so a model written meanwhile is safe.
            if reserved && stale && empty && std::fs::remove_dir(&path).is_ok() {
                log::info!(
                    "removed {}, reserved by an interrupted training",
                    path.display()
                );
            }
        }
    }

    /// The folder of model `id` (whether or not it exists).
    fn dir(&self, id: &str) -> ModelDir {
        ModelDir {
            id: id.to_string(),
            path: self.root.join(id),
        }
    }

    /// Every model, oldest first (by creation time, then id). A missing folder is an empty
    /// registry; folders whose model file cannot be read are skipped with a warning.
    ///
    /// # Errors
    /// I/O errors reading the folder.
    pub fn list(&self) -> Result<Vec<ModelSummary>> {
        if !self.root.exists() {
            return Ok(vec![]);
        }
        let entries = std::fs::read_dir(&self.root).map_err(|e| Error::io(&self.root, e))?;
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&self.root, e))?;
            let dir = self.dir(&entry.file_name().to_string_lossy());
            if dir.id.starts_with('.') || !dir.file(MODEL_FILE).is_file() {
                continue;
            }
            match dir.model() {
                Ok(m) => out.push(ModelSummary {
                    model_id: dir.id,
                    created: m.created,
                    mode: m.mode,
                    horizon_days: m.horizon_days,
                    holdout_auc: m.validation.holdout.roc_auc,
                }),
                Err(e) => log::warn!("skipping {}: {e}", dir.path.display()),
            }
        }
        out.sort_by(|a, b| (&a.created, &a.model_id).cmp(&(&b.created, &b.model_id)));
        Ok(out)
    }

    /// The folder meant by `id`: that model's when its folder holds a model file, or the newest
    /// model's for `latest`.
    ///
    /// # Errors
    /// `ModelNotFound` when there is no such model (or no model at all for `latest`).
    pub fn resolve(&self, id: &str) -> Result<ModelDir> {
        let not_found = || Error::ModelNotFound {
            model_id: id.to_string(),
            dir: self.root.clone(),
        };
        if id == "latest" {
            return self.latest()?.ok_or_else(not_found);
        }
        let plain = !id.is_empty() && !id.starts_with('.') && !id.contains(['/', '\\']);
        let dir = self.dir(id);
        if plain && dir.file(MODEL_FILE).is_file() {
            Ok(dir)
        } else {
            Err(not_found())
        }
    }

    /// The newest model folder by its model's creation time (then id), read leniently: only the
    /// JSON and its `created` field. A model file that is not even that refuses the question, so
    /// that `latest` never silently falls back to an older model.
    fn latest(&self) -> Result<Option<ModelDir>> {
        if !self.root.exists() {
            return Ok(None);
        }
        let entries = std::fs::read_dir(&self.root).map_err(|e| Error::io(&self.root, e))?;
        let mut newest: Option<(String, ModelDir)> = None;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&self.root, e))?;
            let dir = self.dir(&entry.file_name().to_string_lossy());
            let file = dir.file(MODEL_FILE);
            if dir.id.starts_with('.') || !file.is_file() {
                continue;
            }
            let created = std::fs::read_to_string(&file)
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|v| v.get("created").and_then(|c| c.as_str()).map(String::from))
                .ok_or_else(|| Error::ModelMismatch {
                    model_id: dir.id.clone(),
                    reason: format!(
                        "{} is not a readable model file, so which model is the latest is unknown",
                        file.display()
                    ),
                })?;
            let newer = newest
                .as_ref()
                .is_none_or(|(c, d)| (&created, &dir.id) > (c, &d.id));
            if newer {
                newest = Some((created, dir));
            }
        }
        Ok(newest.map(|(_, d)| d))
    }

    /// Resolve `id` and read its model.
    ///
    /// # Errors
    /// As [`Registry::resolve`] and [`ModelDir::model`].
    pub fn open(&self, id: &str) -> Result<(ModelDir, ChurnModel)> {
        let dir = self.resolve(id)?;
        let model = dir.model()?;
        Ok((dir, model))
    }
}

/// Whether `name` has the shape of an id this registry assigns:
/// `YYYYMMDDTHHMMSSZ-<8 hex>`, optionally `-<n>`.
fn looks_like_id(name: &str) -> bool {
    let b = name.as_bytes();
    let stamp = b.len() >= 25
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'T'
        && b[9..15].iter().all(u8::is_ascii_digit)
        && b[15] == b'Z'
        && b[16] == b'-'
        && b[17..25].iter().all(|c| c.is_ascii_hexdigit());
    let suffix = &name[25.min(name.len())..];
    stamp
        && (suffix.is_empty()
            || suffix
                .strip_prefix('-')
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit())))
}

/// Whether `dir` is a model folder (it holds a model file or its checksum).
pub fn is_model_folder(dir: &Path) -> bool {
    dir.join(MODEL_FILE).exists() || dir.join(CHECKSUM_FILE).exists()
}

/// Refuse an output that would land on one of the run's inputs (a file, or anything inside an
/// input folder), in a model folder (wherever it is: only the registry writes there), or inside
/// the registry `registry` when given.
///
/// # Errors
/// `Usage` naming the output and what it would overwrite; as
/// [`crate::output::regular_destination`].
pub fn guard_output(out: &Path, inputs: &[&Path], registry: Option<&Path>) -> Result<()> {
    if is_stdout(out) {
        return Ok(());
    }
    let target = absolute(&regular_destination(out)?);
    for input in inputs {
        let input = absolute(input);
        if target == input || target.starts_with(&input) {
            return Err(Error::Usage(format!(
                "output {} would land on this run's input {}",
                out.display(),
                input.display()
            )));
        }
    }
    let in_registry = registry.is_some_and(|root| target.starts_with(absolute(root)));
    let in_model_folder = target.ancestors().skip(1).any(is_model_folder);
    if in_registry || in_model_folder {
        return Err(Error::Usage(format!(
            "output {} is inside the model registry: only training writes there",
            out.display()
        )));
    }
    Ok(())
}

/// `<created>-<8 hex of sha256(fingerprint, settings)>`.
fn base_id(model: &ChurnModel, created: DateTime<Utc>) -> String {
    let mut h = Sha256::new();
    h.update(model.training_fingerprint.as_bytes());
    h.update(serde_json::to_vec(&model.train_params).expect("settings serialise"));
    let hex: String = h.finalize()[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{}-{hex}", created.format("%Y%m%dT%H%M%SZ"))
}

impl ModelDir {
    /// The model folder at `path`, wherever it is (its id is the folder's name).
    pub fn at(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let id = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        ModelDir { id, path }
    }

    /// The model's id (its folder name).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Read and verify the model file: the format version first (so a newer file is refused
    /// before its fields are read), then every field, the recorded checksum, the id against the
    /// folder's name, and every number ([`ChurnModel::check`]).
    ///
    /// # Errors
    /// `ModelMismatch` naming the file and the field; I/O errors reading it.
    pub fn model(&self) -> Result<ChurnModel> {
        let path = self.file(MODEL_FILE);
        let bad = |reason: String| Error::ModelMismatch {
            model_id: self.id.clone(),
            reason: format!("{}: {reason}", path.display()),
        };
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let text =
            std::str::from_utf8(&bytes).map_err(|e| bad(format!("not a JSON model file: {e}")))?;
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| bad(format!("not a JSON model file: {e}")))?;
        let version = value.get("format_version").and_then(|v| v.as_u64());
        if version != Some(u64::from(FORMAT_VERSION)) {
            let found = version.map_or("missing".to_string(), |v| v.to_string());
            return Err(bad(format!(
                "format version {found} (this tool reads {FORMAT_VERSION})"
            )));
        }
        // Before any field is read: an edited file is reported as edited, whatever it broke.
        self.verify_checksum(&bytes).map_err(bad)?;
        // Parse the text again rather than the Value: floats read from text round-trip exactly.
        let model: ChurnModel =
            serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text))
                .map_err(|e| bad(format!("field `{}`: {}", e.path(), e.inner())))?;
        if model.model_id != self.id {
            return Err(bad(format!(
                "field `model_id`: {} is not the folder's name {:?}",
                quote(&model.model_id),
                self.id
            )));
        }
        model.check().map_err(|e| match e {
            Error::ModelMismatch { reason, .. } => bad(reason),
            other => other,
        })?;
        Ok(model)
    }

    /// The model file's bytes against the checksum the registry recorded beside it. A model
    /// without its checksum cannot be verified and is refused.
    fn verify_checksum(&self, bytes: &[u8]) -> std::result::Result<(), String> {
        let checksum = self.file(CHECKSUM_FILE);
        let recorded = std::fs::read_to_string(&checksum).map_err(|e| {
            format!(
                "its checksum {} cannot be read ({e}), so the file cannot be verified",
                checksum.display()
            )
        })?;
        let recorded = recorded.split_whitespace().next().unwrap_or("");
        let actual = sha256_hex(bytes);
        if recorded == actual {
            Ok(())
        } else {
            Err(format!(
                "changed since it was registered (sha256 {actual}, recorded {})",
                clip(recorded)
            ))
        }
    }

    /// `metrics.json`, with its evaluation read as `E`.
    ///
    /// # Errors
    /// I/O and JSON errors (a missing file is an I/O error).
    pub fn metrics<E: DeserializeOwned>(&self) -> Result<ModelMetrics<E>> {
        let path = self.file(METRICS_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        serde_json::from_str(&text)
            .map_err(|e| Error::BadData(format!("{}: not a metrics file: {e}", path.display())))
    }

    /// Record `evaluation` in `metrics.json`, keeping the training metrics and replacing an
    /// earlier evaluation (whatever its shape).
    ///
    /// # Errors
    /// As [`ModelDir::metrics`]; I/O errors writing the file.
    pub fn record_evaluation<E: Serialize>(&self, evaluation: E) -> Result<()> {
        let training = self.metrics::<serde::de::IgnoredAny>()?.training;
        let metrics = ModelMetrics {
            training,
            evaluation: Some(evaluation),
        };
        // Through a JSON value, whose maps sort their keys: the layout evaluated metrics files
        // have always had.
        write_json(&self.file(METRICS_FILE), &serde_json::to_value(&metrics)?)
    }

    /// The path of `metrics.json`, for messages.
    pub fn metrics_path(&self) -> PathBuf {
        self.file(METRICS_FILE)
    }

    /// Labels and probabilities of the holdout predictions (`predictions.csv`).
    ///
    /// # Errors
    /// As [`crate::data::read::read_scored_csv`].
    pub fn predictions(&self) -> Result<(Vec<bool>, Vec<f64>)> {
        let [_, _, label, probability] = PREDICTION_COLUMNS;
        crate::data::read::read_scored_csv(&self.file(PREDICTIONS_FILE), label, probability)
    }

    /// The holdout rows' monthly revenue, in the order of [`ModelDir::predictions`], when
    /// `predictions.csv` has the optional `monthly_revenue` column (event-mode models, tables
    /// with that column); `None` for older folders and tables without it. Empty cells are NaN.
    ///
    /// # Errors
    /// An unreadable file; a cell that is not a number.
    pub fn prediction_revenue(&self) -> Result<Option<Vec<f64>>> {
        let path = self.file(PREDICTIONS_FILE);
        let df = crate::data::read::read_text_csv(&path)?;
        let Ok(col) = df.column(REVENUE_COLUMN) else {
            return Ok(None);
        };
        col.str()?
            .iter()
            .enumerate()
            .map(|(i, cell)| match cell.map(str::trim) {
                None | Some("") => Ok(f64::NAN),
                Some(c) => c.parse::<f64>().map_err(|_| Error::BadValue {
                    table: path.display().to_string(),
                    column: REVENUE_COLUMN.into(),
                    row: format!("row {}", i + 1),
                    value: c.to_string(),
                    reason: "expected a number".into(),
                }),
            })
            .collect::<Result<Vec<f64>>>()
            .map(Some)
    }

    /// The folder the evaluation's plots go into.
    pub fn plots_dir(&self) -> PathBuf {
        self.file(PLOTS_DIR)
    }

    /// Where the nightly job keeps the top of its latest list for the report.
    pub fn preview_path(&self) -> PathBuf {
        self.file(PREVIEW_FILE)
    }
}

/// `predictions.csv`: `customer_id,as_of,label,probability`, label 0/1, and `monthly_revenue`
/// after them when the rows carry revenue.
fn write_predictions(path: &Path, predictions: &[HoldoutPrediction]) -> Result<()> {
    let with_revenue = predictions.iter().any(|p| p.revenue.is_some());
    write_atomic(path, |w| {
        let io = |e| Error::io(path, e);
        let extra = if with_revenue { ",monthly_revenue" } else { "" };
        writeln!(w, "{}{extra}", PREDICTION_COLUMNS.join(",")).map_err(io)?;
        for p in predictions {
            let as_of = p.as_of.map(format_day).unwrap_or_default();
            let mut line = format!(
                "{},{},{},{}",
                csv_cell(&p.customer_id),
                as_of,
                u8::from(p.label),
                fmt_f64(p.probability)
            );
            if with_revenue {
                let r = p.revenue.filter(|r| r.is_finite());
                line += &format!(",{}", r.map(fmt_f64).unwrap_or_default());
            }
            writeln!(w, "{line}").map_err(io)?;
        }
        Ok(())
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::params::TrainParams;
    use crate::model::train::tests::{synthetic, valid};
    use crate::model::train::train;

    /// A fixed creation time for tests.
    pub(crate) fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn outcome() -> TrainOutcome {
        let params = valid(TrainParams::new().alphas(vec![1.0, 10.0]));
        train(&synthetic(400, 0.3, 1), &params).unwrap()
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
    fn save_assigns_id_and_time_never_overwrites_and_resolves_latest() {
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::new(dir.path());
        let (mut a, mut b) = (outcome(), outcome());
        let first = reg.save(&mut a, t0()).unwrap();
        assert!(
            first.id().starts_with("20260101T000000Z-"),
            "{}",
            first.id()
        );
        assert_eq!(a.model.created, "2026-01-01T00:00:00.000Z");
        let before = std::fs::read(first.file(MODEL_FILE)).unwrap();
        let second = reg.save(&mut b, t0()).unwrap();
        assert_eq!(second.id(), format!("{}-2", first.id()));
        assert_eq!(b.model.model_id, second.id());
        assert_eq!(std::fs::read(first.file(MODEL_FILE)).unwrap(), before);
        let ids: Vec<String> = reg
            .list()
            .unwrap()
            .into_iter()
            .map(|s| s.model_id)
            .collect();
        assert_eq!(ids, vec![first.id().to_string(), second.id().to_string()]);
        assert_eq!(reg.resolve("latest").unwrap(), second);
        assert_eq!(reg.open(first.id()).unwrap().1, a.model);
        // Nothing but the two model folders.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn unknown_model_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        for id in ["nope", "latest", "../x"] {
            let err = Registry::new(dir.path()).resolve(id).unwrap_err();
            assert!(matches!(err, Error::ModelNotFound { .. }), "{id}: {err}");
        }
    }

    #[test]
    fn other_format_version_is_a_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("m")).unwrap();
        let path = dir.path().join("m").join(MODEL_FILE);
        std::fs::write(path, r#"{"format_version": 2, "model_id": "m"}"#).unwrap();
        let err = Registry::new(dir.path()).open("m").unwrap_err();
        assert!(matches!(err, Error::ModelMismatch { .. }), "{err}");
    }

    #[test]
    fn predictions_and_metrics_read_back_typed() {
        let dir = tempfile::tempdir().unwrap();
        let mut o = outcome();
        let saved = Registry::new(dir.path()).save(&mut o, t0()).unwrap();
        let text = std::fs::read_to_string(saved.file(PREDICTIONS_FILE)).unwrap();
        assert!(text.starts_with("customer_id,as_of,label,probability\nc00000,,"));
        assert_eq!(text.lines().count(), 401);
        let (labels, probabilities) = saved.predictions().unwrap();
        assert_eq!(labels.len(), 400);
        assert_eq!(probabilities[0], o.predictions[0].probability);
        let metrics: ModelMetrics<u32> = saved.metrics().unwrap();
        assert_eq!((metrics.training, metrics.evaluation), (o.metrics, None));
        saved.record_evaluation(7u32).unwrap();
        assert_eq!(saved.metrics::<u32>().unwrap().evaluation, Some(7));
    }
}
