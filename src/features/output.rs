//! Writing a feature table as `churn features` output: `customer_id, as_of, <features>, label`,
//! CSV or Parquet by the file's extension, atomically. Empty cells are nulls, never made-up numbers.

use std::io::Write;
use std::path::Path;

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::frame::{ColumnValues, FeatureTable};
use crate::output::{is_stdout, write_atomic, write_output};
use crate::schema::{OUT_AS_OF, OUT_CUSTOMER_ID, OUT_LABEL};
use crate::time;
use crate::util::{csv_cell, fmt_f64};

/// Write `table` to `path` (`.csv` or `.parquet`), or as CSV to standard output for `-`.
///
/// # Errors
/// An unknown extension, I/O errors. Nothing is left at `path` on failure.
pub fn write_features(table: &FeatureTable, path: &Path) -> Result<()> {
    if is_stdout(path) {
        return write_output(path, |w| write_csv(table, w, path));
    }
    match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => write_atomic(path, |w| write_csv(table, w, path)),
        Some("parquet") => {
            let mut df = to_dataframe(table)?;
            write_atomic(path, |w| {
                ParquetWriter::new(w).finish(&mut df)?;
                Ok(())
            })
        }
        _ => Err(Error::Usage(format!(
            "{}: output must end in .csv or .parquet",
            path.display()
        ))),
    }
}

fn write_csv(table: &FeatureTable, w: &mut dyn Write, path: &Path) -> Result<()> {
    let io = |e| Error::io(path, e);
    let mut header = vec![OUT_CUSTOMER_ID.to_string(), OUT_AS_OF.to_string()];
    header.extend(table.feature_names());
    header.push(OUT_LABEL.into());
    writeln!(w, "{}", header.join(",")).map_err(io)?;
    let mut line = String::new();
    for i in 0..table.n_rows() {
        line.clear();
        line.push_str(&csv_cell(&table.ids[i]));
        line.push(',');
        if let Some(d) = table.as_of[i] {
            line.push_str(&time::format_day(d));
        }
        for c in &table.columns {
            line.push(',');
            match &c.values {
                ColumnValues::Numeric(v) => line.push_str(&fmt_f64(v[i])),
                ColumnValues::Categorical(v) => {
                    line.push_str(&csv_cell(v[i].as_deref().unwrap_or("")))
                }
            }
        }
        line.push(',');
        if let Some(l) = table.labels[i] {
            line.push(if l { '1' } else { '0' });
        }
        line.push('\n');
        w.write_all(line.as_bytes()).map_err(io)?;
    }
    Ok(())
}

/// The table as a polars frame with typed columns (`as_of` a Date, `label` a nullable Int8).
///
/// # Errors
/// Polars errors.
pub fn to_dataframe(table: &FeatureTable) -> Result<DataFrame> {
    let mut cols: Vec<Column> = Vec::with_capacity(table.n_features() + 3);
    cols.push(Column::new(OUT_CUSTOMER_ID.into(), &table.ids));
    let as_of: Vec<Option<i32>> = table.as_of.clone();
    cols.push(Column::new(OUT_AS_OF.into(), as_of).cast(&DataType::Date)?);
    for c in &table.columns {
        cols.push(match &c.values {
            ColumnValues::Numeric(v) => {
                let v: Vec<Option<f64>> =
                    v.iter().map(|x| Some(*x).filter(|x| !x.is_nan())).collect();
                Column::new(c.name.as_str().into(), v)
            }
            ColumnValues::Categorical(v) => Column::new(c.name.as_str().into(), v),
        });
    }
    let labels: Vec<Option<i8>> = table.labels.iter().map(|l| l.map(i8::from)).collect();
    cols.push(Column::new(OUT_LABEL.into(), labels));
    Ok(DataFrame::new_infer_height(cols)?)
}
