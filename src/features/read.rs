//! Reading a feature table back: the layout `churn features` writes (`customer_id`, `as_of`, the
//! contract's 25 features, `label`), as CSV or Parquet, one file or a folder of parts, for
//! `churn train --features` (snapshots an engine computed with `churn export-sql
//! --features-only`). Every cell is checked; errors name the file, the column and the row.

use std::path::{Path, PathBuf};

use polars::prelude::DataFrame;
use rustc_hash::FxHashSet;

use crate::data::read::{missing_column, read_parquet_text, read_text_csv};
use crate::error::{Error, Result};
use crate::frame::{ColumnValues, FeatureColumn, FeatureTable};
use crate::schema::{feature, OUT_AS_OF, OUT_CUSTOMER_ID, OUT_LABEL};
use crate::time::{self, Day};

/// The files of a feature table: the file itself, or a folder's `*.csv` and `*.parquet` parts
/// in name order.
fn parts(path: &Path) -> Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| Error::io(path, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            !name.starts_with('.') && p.extension().is_some_and(|e| e == "csv" || e == "parquet")
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::EmptyTable {
            table: path.display().to_string(),
            reason: "the folder has no .csv or .parquet parts".into(),
        });
    }
    Ok(files)
}

/// Read a feature table written by `churn features` or by an engine running the exported SQL.
///
/// # Errors
/// `Unreadable`, `MissingColumn`; `BadValue` naming the part, column and row for an
/// unparseable or non-finite number, a bad date or label, or a (customer, as-of) pair seen
/// twice; `EmptyTable` without rows.
pub fn read_feature_table(path: &Path) -> Result<FeatureTable> {
    let mut table = FeatureTable::default();
    for name in feature::ALL {
        let values = if feature::CATEGORICAL.contains(&name) {
            ColumnValues::Categorical(Vec::new())
        } else {
            ColumnValues::Numeric(Vec::new())
        };
        table.columns.push(FeatureColumn {
            name: name.to_string(),
            values,
        });
    }
    let mut seen = FxHashSet::default();
    for part in parts(path)? {
        let df = match part.extension().and_then(|e| e.to_str()) {
            Some("parquet") => read_parquet_text(&part)?,
            _ => read_text_csv(&part)?,
        };
        append(&mut table, &df, &part, &mut seen)?;
    }
    if table.n_rows() == 0 {
        return Err(Error::EmptyTable {
            table: path.display().to_string(),
            reason: "the feature table has no rows".into(),
        });
    }
    Ok(table)
}

/// The text cells of `name` in `df`, or the missing-column error.
fn cells<'a>(df: &'a DataFrame, part: &Path, name: &str) -> Result<Vec<Option<&'a str>>> {
    let col = df
        .column(name)
        .map_err(|_| missing_column(df, &part.display().to_string(), name))?;
    Ok(col
        .str()?
        .iter()
        .map(|c| c.map(str::trim).filter(|c| !c.is_empty()))
        .collect())
}

fn bad(part: &Path, column: &str, i: usize, value: Option<&str>, reason: &str) -> Error {
    Error::BadValue {
        table: part.display().to_string(),
        column: column.into(),
        row: format!("row {}", i + 1),
        value: value.unwrap_or("").into(),
        reason: reason.into(),
    }
}

/// Parse a numeric column's cells onto `out`: empty is missing (NaN), anything else must be a
/// finite number.
fn numbers(values: &[Option<&str>], part: &Path, name: &str, out: &mut Vec<f64>) -> Result<()> {
    for (i, cell) in values.iter().enumerate() {
        out.push(match cell {
            None => f64::NAN,
            Some(c) => c
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| {
                    bad(
                        part,
                        name,
                        i,
                        *cell,
                        "expected a finite number or an empty cell",
                    )
                })?,
        });
    }
    Ok(())
}

fn append(
    table: &mut FeatureTable,
    df: &DataFrame,
    part: &Path,
    seen: &mut FxHashSet<(String, Day)>,
) -> Result<()> {
    let ids = cells(df, part, OUT_CUSTOMER_ID)?;
    let dates = cells(df, part, OUT_AS_OF)?;
    let labels = cells(df, part, OUT_LABEL)?;
    for (i, (id, date)) in ids.iter().zip(&dates).enumerate() {
        let id =
            id.ok_or_else(|| bad(part, OUT_CUSTOMER_ID, i, None, "the customer id is empty"))?;
        let day = date
            .and_then(time::parse_iso_day)
            .ok_or_else(|| bad(part, OUT_AS_OF, i, *date, "expected a date YYYY-MM-DD"))?;
        if !seen.insert((id.to_string(), day)) {
            return Err(bad(
                part,
                OUT_CUSTOMER_ID,
                i,
                Some(id),
                "this customer and as-of date appear twice",
            ));
        }
        table.ids.push(id.to_string());
        table.as_of.push(Some(day));
        let label = match labels[i] {
            None => None,
            Some("1" | "1.0" | "true") => Some(true),
            Some("0" | "0.0" | "false") => Some(false),
            Some(other) => {
                return Err(bad(
                    part,
                    OUT_LABEL,
                    i,
                    Some(other),
                    "expected 1, 0 or empty",
                ))
            }
        };
        table.labels.push(label);
    }
    for column in &mut table.columns {
        let values = cells(df, part, &column.name)?;
        match &mut column.values {
            ColumnValues::Numeric(v) => numbers(&values, part, &column.name, v)?,
            ColumnValues::Categorical(v) => v.extend(values.iter().map(|c| c.map(String::from))),
        }
    }
    Ok(())
}
