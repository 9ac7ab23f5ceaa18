//! The nightly job around scoring: the model/data compatibility check, features at the as-of
//! date from a validated history, the monitoring summary, and the drift alarm.

use std::path::Path;

use serde::Serialize;

use crate::data::load::History;
use crate::error::{Error, Result};
use crate::features::build_features;
use crate::frame::FeatureTable;
use crate::model::folds::Mode;
use crate::model::ChurnModel;
use crate::time::{self, Day};

use super::batch::{FeatureDrift, Scored, TierCounts, PSI_WARN};
use super::list::{write_list, AtRiskList, ListFormat};

/// Rows of the last list kept beside the model for `churn report`'s preview.
pub const PREVIEW_ROWS: usize = 20;
/// File name of that preview in the model folder.
pub const PREVIEW_FILE: &str = "latest_scores.csv";

/// Refuse a model that cannot score this kind of input.
///
/// # Errors
/// `ModelMismatch` when an event-mode model meets a table or the other way round.
pub fn check_mode(model: &ChurnModel, event_data: bool) -> Result<()> {
    let expected = if event_data {
        Mode::Event
    } else {
        Mode::Tabular
    };
    if model.mode != expected {
        let what = if event_data {
            "event data (--data)"
        } else {
            "a table (--table)"
        };
        return Err(Error::ModelMismatch {
            model_id: model.model_id.clone(),
            reason: format!(
                "it was trained in {:?} mode and cannot score {what}",
                model.mode
            )
            .to_lowercase(),
        });
    }
    Ok(())
}

/// The feature rows of everyone in the population at `as_of`, with the model's horizon.
///
/// # Errors
/// Feature errors; a warning (not an error) when `as_of` is far past the data.
pub fn features_at(model: &ChurnModel, history: &History, as_of: Day) -> Result<FeatureTable> {
    let lag_days = (time::day_start(as_of) - history.data_end) / time::SECS_PER_DAY;
    if lag_days > 7 {
        log::warn!(
            "as-of {} is {lag_days} days after the latest data: recency features will look stale",
            time::format_day(as_of)
        );
    }
    build_features(history, &model.feature_spec(vec![as_of])?)
}

/// Wall time of each step, in seconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub load_s: f64,
    pub features_s: f64,
    pub score_s: f64,
    pub write_s: f64,
}

/// The monitoring summary written with `--summary-json`.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreSummary {
    pub model_id: String,
    pub as_of: Option<String>,
    pub population: usize,
    pub tiers: TierCounts,
    pub capacity: Option<usize>,
    pub total_revenue_at_risk: f64,
    pub psi: Vec<FeatureDrift>,
    /// Features with PSI above 0.1.
    pub drifted: Vec<String>,
    pub max_psi: Option<f64>,
    pub output: String,
    pub timings: Timings,
}

impl ScoreSummary {
    /// Summarise a scored list.
    pub fn new(
        model: &ChurnModel,
        scored: &Scored,
        as_of: Option<Day>,
        capacity: Option<usize>,
        output: &Path,
    ) -> Self {
        ScoreSummary {
            model_id: model.model_id.clone(),
            as_of: as_of.map(time::format_day),
            population: scored.list.rows.len(),
            tiers: scored.tiers.clone(),
            capacity,
            total_revenue_at_risk: scored.total_revenue_at_risk,
            psi: scored.psi.clone(),
            drifted: scored
                .psi
                .iter()
                .filter(|d| d.psi > PSI_WARN)
                .map(|d| d.feature.clone())
                .collect(),
            max_psi: None,
            output: output.display().to_string(),
            timings: Timings::default(),
        }
    }
}

/// Write the list, then the preview of its top rows beside the model, each atomically. The
/// preview is a convenience for `churn report`: failing to write it is a warning, never a failed
/// run after the list was written.
///
/// # Errors
/// I/O errors writing the list (nothing half-written is left).
pub fn write_outputs(
    list: &AtRiskList,
    out: &Path,
    format: ListFormat,
    model_dir: &Path,
) -> Result<()> {
    write_list(list, out, format)?;
    let preview = model_dir.join(PREVIEW_FILE);
    if let Err(e) = write_list(&list.head(PREVIEW_ROWS), &preview, ListFormat::Csv) {
        log::warn!(
            "could not keep the list's preview in {}: {e}",
            preview.display()
        );
    }
    Ok(())
}

/// Warn about every feature above PSI 0.1; fail with the drift error above `max_psi`.
///
/// # Errors
/// `Drift` when a feature's PSI exceeds `max_psi`.
pub fn check_drift(psi: &[FeatureDrift], max_psi: Option<f64>) -> Result<()> {
    for d in psi.iter().filter(|d| d.psi > PSI_WARN) {
        log::warn!(
            "drift: {} has PSI {:.3} against training (> {PSI_WARN})",
            d.feature,
            d.psi
        );
    }
    let Some(max) = max_psi else { return Ok(()) };
    let over: Vec<String> = psi
        .iter()
        .filter(|d| d.psi > max)
        .map(|d| format!("{} (PSI {:.3})", d.feature, d.psi))
        .collect();
    if over.is_empty() {
        Ok(())
    } else {
        Err(Error::Drift {
            detail: format!(
                "{} above --max-psi {max}; the list was written",
                over.join(", ")
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_alarm_only_above_the_maximum() {
        let psi = vec![
            FeatureDrift {
                feature: "a".into(),
                psi: 0.15,
            },
            FeatureDrift {
                feature: "b".into(),
                psi: 0.5,
            },
        ];
        assert!(check_drift(&psi, None).is_ok());
        assert!(check_drift(&psi, Some(0.6)).is_ok());
        let err = check_drift(&psi, Some(0.2)).unwrap_err();
        assert!(matches!(err, Error::Drift { .. }));
        assert!(err.to_string().contains("b (PSI 0.500)"));
    }
}
