//! Checking a model read from a file before it scores anyone: every number it carries is finite
//! and in range, and its parts agree with each other. A refusal names the field.

use super::artifact::{ChurnModel, FORMAT_VERSION};
use super::matrix::FeatureKind;
use crate::error::{Error, Result};
use crate::features::snapshot::MAX_HORIZON_DAYS;
use crate::stats::PsiReference;

/// Largest coefficient or intercept accepted on standardised inputs. A real fit stays far below
/// (|w| of 100 already means one standard deviation moves the odds e^100-fold); anything larger
/// is a damaged or hand-made file whose pushes and probabilities would mean nothing.
pub const MAX_WEIGHT: f64 = 1e4;

impl ChurnModel {
    /// Refuse a model file this version cannot read or whose content does not hold together.
    ///
    /// # Errors
    /// `ModelMismatch` naming the first field that is out of range or inconsistent.
    pub fn check(&self) -> Result<()> {
        self.check_fields().map_err(|reason| Error::ModelMismatch {
            model_id: self.model_id.clone(),
            reason,
        })?;
        self.preprocessor.check().map_err(|e| self.tag(e))
    }

    fn check_fields(&self) -> std::result::Result<(), String> {
        if self.format_version != FORMAT_VERSION {
            return Err(format!(
                "format version {} (this tool reads {FORMAT_VERSION})",
                self.format_version
            ));
        }
        self.check_weights()?;
        self.check_names()?;
        let t = &self.tiers;
        if !(0.0..=1.0).contains(&t.medium) || !(0.0..=1.0).contains(&t.high) || t.medium > t.high {
            return Err(format!(
                "field `tiers`: medium {} and high {} must be probabilities with medium <= high",
                t.medium, t.high
            ));
        }
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return Err(format!(
                "field `alpha`: {} is not a positive number",
                self.alpha
            ));
        }
        if !(0.0..=1.0).contains(&self.churn_share) {
            return Err(format!(
                "field `churn_share`: {} is not a share",
                self.churn_share
            ));
        }
        if self
            .horizon_days
            .is_some_and(|h| !(1..=MAX_HORIZON_DAYS).contains(&h))
        {
            return Err(format!(
                "field `horizon_days`: must be 1 to {MAX_HORIZON_DAYS}"
            ));
        }
        self.check_psi_features()?;
        self.check_profiles()?;
        for (k, r) in self.psi_reference.iter().enumerate() {
            check_psi(r)
                .map_err(|why| format!("field `psi_reference[{k}]` ({}): {why}", r.feature))?;
        }
        Ok(())
    }

    /// Coefficients and intercept: one per matrix column, finite, within [`MAX_WEIGHT`].
    fn check_weights(&self) -> std::result::Result<(), String> {
        let p = self.preprocessor.n_columns();
        if self.coefficients.len() != p || self.feature_names.len() != p {
            return Err(format!(
                "{} coefficients and {} feature names for {p} matrix columns",
                self.coefficients.len(),
                self.feature_names.len()
            ));
        }
        let weights = self
            .coefficients
            .iter()
            .enumerate()
            .map(|(j, &w)| (format!("coefficients[{j}]"), w));
        for (field, w) in weights.chain([("intercept".to_string(), self.intercept)]) {
            if !(w.is_finite() && w.abs() <= MAX_WEIGHT) {
                return Err(format!(
                    "field `{field}`: {w} is not a finite weight within ±{MAX_WEIGHT}"
                ));
            }
        }
        Ok(())
    }

    /// A drift reference for exactly the numeric source features, in order: without it the drift
    /// alarm would silently stop watching a feature.
    fn check_psi_features(&self) -> std::result::Result<(), String> {
        let numeric = self
            .source_features
            .iter()
            .filter(|f| f.kind == FeatureKind::Numeric)
            .map(|f| f.name.as_str());
        let referenced = self.psi_reference.iter().map(|r| r.feature.as_str());
        if numeric.eq(referenced) {
            Ok(())
        } else {
            Err("field `psi_reference` does not cover exactly the numeric source features".into())
        }
    }

    /// One reason profile per source feature, in order, with finite typical values (or none:
    /// models written before profiles existed give reasons without the check).
    fn check_profiles(&self) -> std::result::Result<(), String> {
        if self.reason_profile.is_empty() {
            return Ok(());
        }
        let names = self.source_features.iter().map(|f| f.name.as_str());
        if !names.eq(self.reason_profile.iter().map(|p| p.feature.as_str())) {
            return Err("field `reason_profile` does not list the source features in order".into());
        }
        for (k, p) in self.reason_profile.iter().enumerate() {
            if p.typical.is_some_and(|t| !t.is_finite()) || !(-1..=1).contains(&p.direction) {
                return Err(format!(
                    "field `reason_profile[{k}]` ({}) is out of range",
                    p.feature
                ));
            }
        }
        Ok(())
    }

    /// Feature names agree with the preprocessor's columns and are unique, and the source list
    /// matches its features.
    fn check_names(&self) -> std::result::Result<(), String> {
        let pre = &self.preprocessor;
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = self.feature_names.iter().find(|n| !seen.insert(n.as_str())) {
            return Err(format!("field `feature_names`: `{dup}` appears twice"));
        }
        for (j, (name, col)) in self.feature_names.iter().zip(&pre.columns).enumerate() {
            if *name != col.name {
                return Err(format!(
                    "field `feature_names[{j}]`: `{name}` but the preprocessor's column {j} is `{}`",
                    col.name
                ));
            }
        }
        let sources: Vec<(&str, FeatureKind)> = self
            .source_features
            .iter()
            .map(|f| (f.name.as_str(), f.kind))
            .collect();
        let features: Vec<(&str, FeatureKind)> = pre
            .features
            .iter()
            .map(|f| (f.name.as_str(), f.kind))
            .collect();
        if sources != features {
            return Err("field `source_features` does not list the preprocessor's features".into());
        }
        for (k, f) in pre.features.iter().enumerate() {
            if f.median.is_some_and(|m| !m.is_finite()) {
                return Err(format!(
                    "field `preprocessor.features[{k}].median` ({}) is not finite",
                    f.name
                ));
            }
        }
        Ok(())
    }
}

/// A PSI reference: ascending finite edges, one fraction per bin plus the missing bin, summing
/// to one.
fn check_psi(r: &PsiReference) -> std::result::Result<(), String> {
    if r.edges.iter().any(|e| !e.is_finite()) || r.edges.windows(2).any(|w| w[0] >= w[1]) {
        return Err("edges must be finite and strictly ascending".into());
    }
    if r.fractions.len() != r.edges.len() + 2 {
        return Err(format!(
            "{} fractions for {} edges (need edges + 2)",
            r.fractions.len(),
            r.edges.len()
        ));
    }
    let sum: f64 = r.fractions.iter().sum();
    if r.fractions.iter().any(|f| !(0.0..=1.0).contains(f)) || (sum - 1.0).abs() > 1e-6 {
        return Err(format!("fractions must be shares summing to 1 (sum {sum})"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::params::TrainParams;
    use crate::model::train::tests::{synthetic, valid};
    use crate::model::train::train;

    fn model() -> ChurnModel {
        let params = valid(TrainParams::new().alphas(vec![1.0]));
        train(&synthetic(300, 0.3, 5), &params).unwrap().model
    }

    fn refused(m: &ChurnModel, field: &str) {
        let err = m.check().unwrap_err();
        assert!(
            matches!(err, Error::ModelMismatch { ref reason, .. } if reason.contains(field)),
            "{field}: {err}"
        );
    }

    #[test]
    fn a_trained_model_passes() {
        model().check().unwrap();
    }

    #[test]
    fn every_damaged_number_is_refused_by_name() {
        let base = model();
        type Damage = Box<dyn Fn(&mut ChurnModel)>;
        let cases: Vec<(Damage, &str)> = vec![
            (Box::new(|m| m.coefficients[1] = 1e308), "coefficients[1]"),
            (
                Box::new(|m| m.coefficients[0] = f64::NAN),
                "coefficients[0]",
            ),
            (Box::new(|m| m.intercept = f64::INFINITY), "intercept"),
            (Box::new(|m| m.tiers.high = 1.5), "tiers"),
            (Box::new(|m| m.tiers.medium = m.tiers.high + 0.01), "tiers"),
            (
                Box::new(|m| m.feature_names[0] = "renamed".into()),
                "feature_names[0]",
            ),
            (Box::new(|m| m.alpha = 0.0), "alpha"),
            (
                Box::new(|m| m.psi_reference[0].fractions.clear()),
                "psi_reference[0]",
            ),
            (
                Box::new(|m| m.psi_reference[0].edges = vec![2.0, 1.0]),
                "psi_reference[0]",
            ),
            (
                Box::new(|m| m.preprocessor.columns[0].std = 0.0),
                "preprocessor.columns[0]",
            ),
            (
                Box::new(|m| m.preprocessor.features[0].median = Some(f64::NAN)),
                "median",
            ),
            (
                Box::new(|m| m.source_features.pop().map(|_| ()).unwrap()),
                "source_features",
            ),
        ];
        for (damage, field) in cases {
            let mut m = base.clone();
            damage(&mut m);
            refused(&m, field);
        }
    }
}
