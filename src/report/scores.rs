//! The at-risk list preview: the top rows of a ranked list with the contract's columns.

use std::path::Path;

use super::{Section, Table};
use crate::error::{Error, Result};
use crate::schema::AT_RISK_COLUMNS;
use crate::store::ModelDir;

/// Rows shown in the preview.
pub use crate::score::job::PREVIEW_ROWS;

/// The first `n` rows by `rank` of an at-risk list CSV, cells in [`AT_RISK_COLUMNS`] order (rows
/// whose rank is not a number keep their file order after the others).
///
/// # Errors
/// `Unreadable` for a missing or unparsable file, `MissingColumn` for an absent contract column.
pub fn read_at_risk_top(path: &Path, n: usize) -> Result<Vec<Vec<String>>> {
    let table = path.display().to_string();
    // Every column as text: the cells are shown, not computed with.
    let df = crate::data::read::read_text_csv(path)?;
    let found = || {
        df.get_column_names()
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut columns = Vec::with_capacity(AT_RISK_COLUMNS.len());
    for name in AT_RISK_COLUMNS {
        let col = df.column(name).map_err(|_| Error::MissingColumn {
            table: table.clone(),
            column: name.to_string(),
            found: found(),
        })?;
        let cells: Vec<String> = col
            .str()?
            .iter()
            .map(|c| c.unwrap_or("").to_string())
            .collect();
        columns.push(cells);
    }
    let mut rows: Vec<Vec<String>> = (0..df.height())
        .map(|i| columns.iter().map(|c| c[i].clone()).collect())
        .collect();
    rows.sort_by_key(|r| r[0].trim().parse::<usize>().unwrap_or(usize::MAX));
    rows.truncate(n);
    Ok(rows)
}

/// A number cell rounded to `decimals`, or the cell as it is.
fn round_cell(cell: &str, decimals: usize) -> String {
    cell.trim()
        .parse::<f64>()
        .map_or(cell.to_string(), |v| format!("{v:.decimals$}"))
}

/// The preview table: every contract column but `model_id` and `as_of`, which go in a line.
fn preview(rows: &[Vec<String>], source: &Path) -> Section {
    let distinct = |k: usize| {
        let mut v: Vec<&str> = rows.iter().map(|r| r[k].as_str()).collect();
        v.sort_unstable();
        v.dedup();
        v.join(", ")
    };
    let line = format!(
        "Top {} rows of {} (model {}, as of {}).",
        rows.len(),
        source.display(),
        distinct(9),
        distinct(10)
    );
    let table = Table {
        header: AT_RISK_COLUMNS[..9].iter().map(|c| c.to_string()).collect(),
        rows: rows
            .iter()
            .map(|r| {
                let mut cells = r[..9].to_vec();
                cells[2] = round_cell(&r[2], 3);
                cells[4] = round_cell(&r[4], 2);
                cells
            })
            .collect(),
    };
    Section {
        lines: vec![line],
        tables: vec![table],
        ..Default::default()
    }
}

/// Section 10: the top of `scores` when given (its errors are the caller's), else of the model
/// folder's preview of its latest list when present (an unreadable one is noted, not fatal).
///
/// # Errors
/// Reading an explicitly given `scores` file.
pub fn scores_section(title: &str, dir: &ModelDir, scores: Option<&Path>) -> Result<Section> {
    let mut section = match scores {
        Some(path) => preview(&read_at_risk_top(path, PREVIEW_ROWS)?, path),
        None => {
            let path = dir.preview_path();
            match read_at_risk_top(&path, PREVIEW_ROWS) {
                Ok(rows) => preview(&rows, &path),
                Err(_) if !path.exists() => Section {
                    lines: vec![
                        "No scores yet: score customers with this model, or give the report an at-risk list."
                            .into(),
                    ],
                    ..Default::default()
                },
                Err(e) => {
                    log::warn!("leaving the at-risk preview out: {e}");
                    Section {
                        lines: vec![format!("The last scores could not be read: {e}")],
                        ..Default::default()
                    }
                }
            }
        }
    };
    section.title = title.into();
    Ok(section)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "rank,customer_id,churn_probability,risk_tier,revenue_at_risk,reason_1,reason_2,reason_3,suggested_action,model_id,as_of";

    #[test]
    fn preview_sorts_by_rank_and_keeps_twenty() {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = format!("{HEADER}\n");
        for rank in (1..=25).rev() {
            csv += &format!(
                "{rank},c{rank},0.{rank:02}123,high,12.345,\"open_tickets=4 (+0.61)\",b,c,call,m1,2025-01-01\n"
            );
        }
        let path = dir.path().join("list.csv");
        std::fs::write(&path, csv).unwrap();
        let s = scores_section("t", &ModelDir::at(dir.path()), Some(&path)).unwrap();
        let t = &s.tables[0];
        assert_eq!(t.rows.len(), PREVIEW_ROWS);
        assert_eq!(t.rows[0][0], "1");
        assert_eq!(t.rows[0][2], "0.011");
        assert_eq!(t.rows[0][4], "12.35");
        assert_eq!(t.rows[0][5], "open_tickets=4 (+0.61)");
        assert!(s.lines[0].contains("model m1, as of 2025-01-01"));
    }

    #[test]
    fn a_given_list_without_contract_columns_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("list.csv");
        std::fs::write(&path, "rank,customer_id\n1,a\n").unwrap();
        let err = scores_section("t", &ModelDir::at(dir.path()), Some(&path)).unwrap_err();
        assert!(
            matches!(err, Error::MissingColumn { ref column, .. } if column == "churn_probability")
        );
    }

    #[test]
    fn latest_scores_are_used_when_no_list_is_given() {
        let dir = tempfile::tempdir().unwrap();
        let model_dir = ModelDir::at(dir.path());
        let s = scores_section("t", &model_dir, None).unwrap();
        assert!(s.lines[0].starts_with("No scores yet"));
        std::fs::write(
            model_dir.preview_path(),
            format!("{HEADER}\n1,a,0.9,high,10,x,y,z,call,m,2025-01-01\n"),
        )
        .unwrap();
        let s = scores_section("t", &model_dir, None).unwrap();
        assert_eq!(s.tables[0].rows.len(), 1);
    }
}
