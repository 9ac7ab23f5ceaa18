//! `churn export-sql`: the point-in-time features and a fitted model as ONE portable SQL
//! statement (`WITH ... SELECT ...`, no DDL, no trailing semicolon) that a warehouse or a Spark
//! cluster runs on the contract's tables, returning exactly what `churn features` or
//! `churn score` writes for the same as-of date. Tests run it on DuckDB and on Spark and
//! compare every cell.

pub mod dialect;
mod features;
mod model;
mod tabular;

pub use dialect::Dialect;

use crate::error::{Error, Result};
use crate::features::snapshot::{LabelDefinition, MAX_HORIZON_DAYS};
use crate::model::{ChurnModel, Mode};
use crate::schema::{feature, table};
use crate::time::Day;

use features::FeatureQuery;

/// The tables the query reads, by role (default: the contract's names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    /// The one table of a tabular model (role `table`, default `customers`).
    pub table: String,
    pub customers: String,
    pub events: String,
    pub tickets: String,
    pub nps: String,
    pub churn: String,
}

impl Default for TableNames {
    fn default() -> Self {
        TableNames {
            table: table::CUSTOMERS.into(),
            customers: table::CUSTOMERS.into(),
            events: table::EVENTS.into(),
            tickets: table::TICKETS.into(),
            nps: table::NPS.into(),
            churn: table::CHURN.into(),
        }
    }
}

impl TableNames {
    /// Rename the table of `role` (`customers`, `events`, `tickets`, `nps` or `churn`).
    ///
    /// # Errors
    /// `Usage` for an unknown role or a name that is not a plain (optionally dotted)
    /// identifier.
    pub fn set(&mut self, role: &str, name: &str) -> Result<()> {
        let plain = !name.is_empty()
            && name.split('.').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            });
        if !plain {
            return Err(Error::Usage(format!(
                "table name {name:?}: letters, digits, `_`, `-` and `.` between parts only"
            )));
        }
        let slot = match role {
            "table" => &mut self.table,
            "customers" => &mut self.customers,
            "events" => &mut self.events,
            "tickets" => &mut self.tickets,
            "nps" => &mut self.nps,
            "churn" => &mut self.churn,
            _ => {
                return Err(Error::Usage(format!(
                    "unknown table role {role:?}: customers, events, tickets, nps, churn, or table (tabular models)"
                )))
            }
        };
        *slot = name.to_string();
        Ok(())
    }
}

/// What to export.
#[derive(Debug, Clone)]
pub struct Export {
    pub dialect: Dialect,
    /// The scoring date (event mode; a tabular model has none).
    pub as_of: Option<Day>,
    pub tables: TableNames,
    /// The feature table only (as `churn features --as-of`), not the at-risk list.
    pub features_only: bool,
    /// The customer id column of a tabular model's table.
    pub id_column: Option<String>,
    /// The monthly revenue column of a tabular model's table (default: its `monthly_revenue`
    /// feature, if the model has one).
    pub revenue_column: Option<String>,
}

impl Export {
    fn as_of(&self) -> Result<Day> {
        self.as_of
            .ok_or_else(|| Error::Usage("an event-mode export needs the as-of date".into()))
    }
}

/// The statement for `model` (event mode): the at-risk list, or with `features_only` the
/// feature table with the model's horizon and label definition.
///
/// # Errors
/// `ModelMismatch` (exit 4) for a model the export cannot reproduce exactly (a tabular model,
/// or a model form the SQL does not cover), never a query that scores differently.
pub fn export_sql(model: &ChurnModel, export: &Export) -> Result<String> {
    if model.mode == Mode::Tabular {
        return tabular::export(model, export);
    }
    let horizon_days = model.horizon_days.ok_or_else(|| Error::ModelMismatch {
        model_id: model.model_id.clone(),
        reason: "no label horizon".into(),
    })?;
    let definition = model
        .label_definition
        .unwrap_or(LabelDefinition::Cancellation);
    if export.features_only {
        return features_sql(export, horizon_days, definition);
    }
    let query = feature_query(export, horizon_days, definition)?;
    let mut ctes = query.ctes();
    let d = export.dialect;
    let columns = model::ListColumns {
        revenue: format!("s.{}", d.ident(feature::MONTHLY_REVENUE)),
        tenure: format!("s.{}", d.ident(feature::TENURE_DAYS)),
        as_of: crate::time::format_day(export.as_of()?),
    };
    ctes.extend(model::scoring_ctes(model, d, &columns)?);
    Ok(assemble(&ctes, &model::list_select(model, d, &columns)))
}

/// The feature table alone (what `churn features --as-of` writes) with this label horizon and
/// definition: no model needed, so a warehouse can build the training snapshots first.
///
/// # Errors
/// `Usage` for a horizon outside 1..=3650 days.
pub fn features_sql(
    export: &Export,
    horizon_days: u32,
    definition: LabelDefinition,
) -> Result<String> {
    let query = feature_query(export, horizon_days, definition)?;
    Ok(assemble(&query.ctes(), &features_select(export.dialect)))
}

fn feature_query(
    export: &Export,
    horizon_days: u32,
    definition: LabelDefinition,
) -> Result<FeatureQuery<'_>> {
    if !(1..=MAX_HORIZON_DAYS).contains(&horizon_days) {
        return Err(Error::Usage(format!(
            "the horizon must be 1 to {MAX_HORIZON_DAYS} days, not {horizon_days}"
        )));
    }
    Ok(FeatureQuery {
        dialect: export.dialect,
        tables: &export.tables,
        as_of: export.as_of()?,
        horizon_days,
        definition,
    })
}

/// The feature table's columns, ordered by customer id.
fn features_select(d: Dialect) -> String {
    let cols: Vec<String> = ["customer_id", "as_of"]
        .into_iter()
        .chain(feature::ALL)
        .chain(["label"])
        .map(|c| d.ident(c))
        .collect();
    format!(
        "SELECT {} FROM features ORDER BY {}",
        cols.join(", "),
        d.by_bytes("customer_id")
    )
}

/// `WITH name AS (body), ... select`, one CTE per paragraph.
fn assemble(ctes: &[(String, String)], select: &str) -> String {
    let body: Vec<String> = ctes
        .iter()
        .map(|(name, sql)| format!("{name} AS (\n  {sql}\n)"))
        .collect();
    format!("WITH\n{}\n{select}", body.join(",\n"))
}
