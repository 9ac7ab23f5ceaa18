//! Evaluating a registered model: its holdout predictions from the folder, the plots into the
//! folder's plots, and the evaluation recorded in its metrics, all through [`ModelDir`].

use super::gains::gains_table;
use super::plots::write_plots;
use super::{evaluate_predictions, CapacityBasis, EvalSettings, Evaluation};
use crate::error::Result;
use crate::model::ChurnModel;
use crate::store::{ModelDir, ModelMetrics};

/// A model folder's metrics with this module's evaluation.
pub type Metrics = ModelMetrics<Evaluation>;

/// The evaluation of a model's holdout rows: the high tier's count as the default capacity, and
/// revenue in the gains table.
fn evaluate_holdout(
    model: &ChurnModel,
    labels: &[bool],
    probs: &[f64],
    revenue: Option<&[f64]>,
    settings: &EvalSettings,
) -> Result<Evaluation> {
    let high_tier = probs.iter().filter(|&&p| p >= model.tiers.high).count();
    let capacity = settings.capacity.unwrap_or(high_tier.max(1));
    let given = settings.clone().capacity(Some(capacity));
    let mut evaluation = evaluate_predictions(labels, probs, &given)?;
    if settings.capacity.is_none() {
        evaluation.capacity_basis = CapacityBasis::HighTier;
    }
    if revenue.is_some_and(|r| r.len() == labels.len()) {
        evaluation.gains = gains_table(labels, probs, revenue);
    }
    Ok(evaluation)
}

/// Evaluate the holdout predictions of the model in `dir`, write the plots and record the
/// evaluation in its metrics (training's part kept). Without a capacity in `settings`, the
/// capacity is the number of holdout rows the model's high tier marks (at least 1), so the
/// confusion matrix describes the list a CS team would work; the gains table carries the share
/// of churned revenue when the predictions have revenue.
///
/// # Errors
/// As [`evaluate_predictions`], [`ModelDir::predictions`] and [`ModelDir::model`] (a model file
/// that fails verification); a metrics file that cannot be read (checked before anything is
/// written); drawing and I/O failures.
pub fn evaluate_model(dir: &ModelDir, settings: &EvalSettings) -> Result<Evaluation> {
    let (labels, probs) = dir.predictions()?;
    let revenue = dir.prediction_revenue()?;
    // A model that fails verification is not evaluated: nothing is written into its folder.
    let model = dir.model()?;
    let evaluation = evaluate_holdout(&model, &labels, &probs, revenue.as_deref(), settings)?;
    // Read before any plot is drawn: a damaged metrics file stops the run with nothing written.
    dir.metrics::<serde::de::IgnoredAny>()?;
    let coefficients: Vec<(String, f64)> = model
        .feature_names
        .into_iter()
        .zip(model.coefficients)
        .collect();
    write_plots(
        &dir.plots_dir(),
        &labels,
        &probs,
        &evaluation,
        Some(&coefficients),
    )?;
    dir.record_evaluation(evaluation.clone())?;
    Ok(evaluation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::model::params::TrainParams;
    use crate::model::train::tests::{synthetic, valid};
    use crate::model::train::train;
    use crate::store::tests::t0;
    use crate::store::Registry;

    fn saved_model(root: &std::path::Path) -> ModelDir {
        let params = valid(TrainParams::new().alphas(vec![1.0]));
        let mut outcome = train(&synthetic(300, 0.3, 3), &params).unwrap();
        Registry::new(root).save(&mut outcome, t0()).unwrap()
    }

    #[test]
    fn evaluation_is_recorded_beside_the_training_metrics() {
        let root = tempfile::tempdir().unwrap();
        let dir = saved_model(root.path());
        let before: Metrics = dir.metrics().unwrap();
        let e = evaluate_model(&dir, &EvalSettings::new().resamples(50)).unwrap();
        let after: Metrics = dir.metrics().unwrap();
        assert_eq!(after.training, before.training);
        assert_eq!(after.evaluation, Some(e));
        let plots = std::fs::read_dir(dir.plots_dir()).unwrap().count();
        assert_eq!(plots, 14, "seven plots as PNG and SVG");
    }

    #[test]
    fn a_model_that_fails_verification_is_not_evaluated() {
        let root = tempfile::tempdir().unwrap();
        let dir = saved_model(root.path());
        let model_file = dir.path().join("model.json");
        let text = std::fs::read_to_string(&model_file).unwrap();
        std::fs::write(&model_file, text.replacen("\"alpha\": ", "\"alpha\":  ", 1)).unwrap();
        let err = evaluate_model(&dir, &EvalSettings::new().resamples(20)).unwrap_err();
        assert!(matches!(err, Error::ModelMismatch { .. }), "{err}");
        assert!(!dir.plots_dir().exists());
    }

    #[test]
    fn a_damaged_metrics_file_stops_before_any_plot() {
        let root = tempfile::tempdir().unwrap();
        let dir = saved_model(root.path());
        std::fs::write(dir.metrics_path(), "[1, 2]").unwrap();
        let err = evaluate_model(&dir, &EvalSettings::new().resamples(10)).unwrap_err();
        assert!(matches!(err, Error::BadData(_)), "{err}");
        assert!(!dir.plots_dir().exists());
    }
}
