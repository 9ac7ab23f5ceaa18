//! A tabular model over its one table: the model's columns read as the tabular loader reads
//! them (numbers with blank, `NA`, `N/A`, `NaN`, `null` and `?` as missing; categories as
//! trimmed text), then the same scoring as event mode, with an empty `as_of`.

use crate::error::{Error, Result};
use crate::features::tabular::MISSING_TOKENS;
use crate::model::{ChurnModel, FeatureKind};
use crate::schema::feature;

use super::dialect::Dialect;
use super::model::{list_select, scoring_ctes, ListColumns};
use super::{assemble, Export};

/// A cell of column `name` as the loader's number: NULL for a missing token, else the number.
fn number(d: Dialect, name: &str) -> String {
    let text = format!("TRIM(CAST({} AS {}))", d.ident(name), d.text_type());
    let tokens: Vec<String> = MISSING_TOKENS.iter().map(|t| d.literal(t)).collect();
    format!(
        "CASE WHEN {text} IS NULL OR LOWER({text}) IN ({}) THEN NULL ELSE {} END",
        tokens.join(", "),
        d.try_double(&text)
    )
}

/// The at-risk list of a tabular model.
///
/// # Errors
/// `Usage` without an id column or with `features_only`; `ModelMismatch` for a form the SQL
/// cannot reproduce.
pub fn export(model: &ChurnModel, export: &Export) -> Result<String> {
    let d = export.dialect;
    if export.features_only {
        return Err(Error::Usage(
            "a tabular model's table is its features: --features-only is for event models".into(),
        ));
    }
    let id = export.id_column.as_deref().ok_or_else(|| {
        Error::Usage(
            "a tabular model needs --id COL: SQL tables have no row numbers to stand in for ids"
                .into(),
        )
    })?;
    let mut columns = vec![
        format!("{} AS customer_id", d.text(&d.ident(id))),
        "'' AS as_of".to_string(),
    ];
    for f in &model.source_features {
        let expr = match f.kind {
            FeatureKind::Numeric => number(d, &f.name),
            FeatureKind::Categorical => d.text(&d.ident(&f.name)),
        };
        columns.push(format!("{expr} AS {}", d.ident(&f.name)));
    }
    let numeric_feature = |name: &str| {
        model
            .source_features
            .iter()
            .any(|f| f.name == name && f.kind == FeatureKind::Numeric)
    };
    let revenue = match &export.revenue_column {
        Some(col) => number(d, col),
        None if numeric_feature(feature::MONTHLY_REVENUE) => number(d, feature::MONTHLY_REVENUE),
        None => "NULL".into(),
    };
    columns.push(format!("{revenue} AS churn__revenue"));
    let features = format!("SELECT {} FROM {}", columns.join(", "), export.tables.table);
    let list = ListColumns {
        revenue: "s.churn__revenue".into(),
        tenure: if numeric_feature(feature::TENURE_DAYS) {
            format!("s.{}", d.ident(feature::TENURE_DAYS))
        } else {
            "NULL".into()
        },
        as_of: String::new(),
    };
    let mut ctes = vec![("features".to_string(), features)];
    ctes.extend(scoring_ctes(model, d, &list)?);
    Ok(assemble(&ctes, &list_select(model, d, &list)))
}
