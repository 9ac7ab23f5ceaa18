//! The at-risk list preview: the top rows of a ranked list with the contract's columns, and the
//! tier sizes and revenue at risk of a whole list for the summary.

use std::path::Path;

use super::{shown_path, Section, Table};
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

/// Customers and revenue at risk of one tier of a list.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TierTally {
    pub customers: usize,
    /// Sum of `revenue_at_risk` (empty cells count 0).
    pub revenue_at_risk: f64,
}

/// Tier sizes of a whole at-risk list.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ListTally {
    pub high: TierTally,
    pub medium: TierTally,
    pub low: TierTally,
}

impl ListTally {
    /// Count the rows of a list (cells in [`AT_RISK_COLUMNS`] order).
    pub fn of(rows: &[Vec<String>]) -> Self {
        let mut t = ListTally::default();
        for r in rows {
            let tier = match r[3].trim() {
                "high" => &mut t.high,
                "medium" => &mut t.medium,
                _ => &mut t.low,
            };
            tier.customers += 1;
            tier.revenue_at_risk += r[4].trim().parse::<f64>().unwrap_or(0.0);
        }
        t
    }

    /// Rows on the list.
    pub fn customers(&self) -> usize {
        self.high.customers + self.medium.customers + self.low.customers
    }

    /// Revenue at risk over every tier.
    pub fn revenue_at_risk(&self) -> f64 {
        self.high.revenue_at_risk + self.medium.revenue_at_risk + self.low.revenue_at_risk
    }
}

/// The at-risk list the report previews.
#[derive(Debug, Clone, PartialEq)]
pub struct ListPreview {
    /// Where it came from, as shown (a path relative to the working folder, or a description).
    pub source: String,
    /// Its first rows by rank.
    pub top: Vec<Vec<String>>,
    /// Tier sizes of the whole list; `None` for the model folder's preview, which keeps only
    /// its top rows.
    pub tally: Option<ListTally>,
}

/// What the report has of an at-risk list.
#[derive(Debug, Clone, PartialEq)]
pub enum ListState {
    /// A list (given, or the model folder's preview of its latest one).
    Read(ListPreview),
    /// Nothing scored yet.
    None,
    /// The folder's preview exists but could not be read (the reason).
    Unreadable(String),
}

/// Every row of an at-risk list CSV, sorted by rank (see [`read_at_risk_top`]).
fn read_all(path: &Path) -> Result<Vec<Vec<String>>> {
    read_at_risk_top(path, usize::MAX)
}

/// The list to preview: `scores` when given (its errors are the caller's; tier sizes counted),
/// else the model folder's preview of its latest list when present (an unreadable one is noted,
/// not fatal). Paths are shown relative to `base`.
///
/// # Errors
/// Reading an explicitly given `scores` file.
pub fn read_list(dir: &ModelDir, scores: Option<&Path>, base: &Path) -> Result<ListState> {
    if let Some(path) = scores {
        let rows = read_all(path)?;
        return Ok(ListState::Read(ListPreview {
            source: shown_path(path, base),
            tally: Some(ListTally::of(&rows)),
            top: rows.into_iter().take(PREVIEW_ROWS).collect(),
        }));
    }
    let path = dir.preview_path();
    match read_at_risk_top(&path, PREVIEW_ROWS) {
        Ok(top) => Ok(ListState::Read(ListPreview {
            source: "the top rows the last scoring run kept beside the model".into(),
            top,
            tally: None,
        })),
        Err(_) if !path.exists() => Ok(ListState::None),
        Err(e) => {
            log::warn!("leaving the at-risk preview out: {e}");
            Ok(ListState::Unreadable(e.to_string()))
        }
    }
}

/// A number cell rounded to `decimals`, or the cell as it is.
fn round_cell(cell: &str, decimals: usize) -> String {
    cell.trim()
        .parse::<f64>()
        .map_or(cell.to_string(), |v| format!("{v:.decimals$}"))
}

/// The distinct values of column `k`, joined.
fn distinct(rows: &[Vec<String>], k: usize) -> String {
    let mut v: Vec<&str> = rows.iter().map(|r| r[k].as_str()).collect();
    v.sort_unstable();
    v.dedup();
    v.join(", ")
}

/// The preview table: every contract column but `model_id` and `as_of`, which go in a line (the
/// model id only when the list was scored by another model than the report's).
fn preview(list: &ListPreview, model_id: &str) -> Section {
    let rows = &list.top;
    let of = list
        .tally
        .map_or(String::new(), |t| format!(" of {}", t.customers()));
    let mut lines = vec![format!(
        "Top {} customers{of} by churn probability, as of {}, from {}. Each row gives the three strongest reasons (signal=value, push on the log-odds) and the suggested play.",
        rows.len(),
        distinct(rows, 10),
        list.source
    )];
    let scored_by = distinct(rows, 9);
    if scored_by != model_id {
        lines.push(format!(
            "Note: this list was scored by model {scored_by}, not the model of this report."
        ));
    }
    let table = Table::new(
        AT_RISK_COLUMNS[..9].iter().map(|c| c.to_string()).collect(),
        rows.iter()
            .map(|r| {
                let mut cells = r[..9].to_vec();
                cells[2] = round_cell(&r[2], 3);
                cells[4] = round_cell(&r[4], 2);
                cells
            })
            .collect(),
    );
    Section {
        lines,
        tables: vec![table],
        ..Default::default()
    }
}

/// The at-risk preview section of `list` for the report of `model_id`.
pub fn scores_section(title: &str, list: &ListState, model_id: &str) -> Section {
    let mut section = match list {
        ListState::Read(l) => preview(l, model_id),
        ListState::None => Section {
            lines: vec![
                "No scores yet: score customers with this model, or give the report an at-risk list."
                    .into(),
            ],
            ..Default::default()
        },
        ListState::Unreadable(e) => Section {
            lines: vec![format!("The last scores could not be read: {e}")],
            ..Default::default()
        },
    };
    section.title = title.into();
    section
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "rank,customer_id,churn_probability,risk_tier,revenue_at_risk,reason_1,reason_2,reason_3,suggested_action,model_id,as_of";

    fn section_of(dir: &Path, scores: Option<&Path>) -> Section {
        let list = read_list(&ModelDir::at(dir), scores, dir).unwrap();
        scores_section("t", &list, "m1")
    }

    #[test]
    fn preview_sorts_by_rank_keeps_twenty_and_counts_the_whole_list() {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = format!("{HEADER}\n");
        for rank in (1..=25).rev() {
            let tier = if rank <= 3 { "high" } else { "low" };
            csv += &format!(
                "{rank},c{rank},0.{rank:02}123,{tier},12.345,\"open_tickets=4 (+0.61)\",b,c,call,m1,2025-01-01\n"
            );
        }
        let path = dir.path().join("list.csv");
        std::fs::write(&path, csv).unwrap();
        let s = section_of(dir.path(), Some(&path));
        let t = &s.tables[0];
        assert_eq!(t.rows.len(), PREVIEW_ROWS);
        assert_eq!(t.rows[0][0], "1");
        assert_eq!(t.rows[0][2], "0.011");
        assert_eq!(t.rows[0][4], "12.35");
        assert_eq!(t.rows[0][5], "open_tickets=4 (+0.61)");
        assert!(
            s.lines[0].contains("Top 20 customers of 25"),
            "{}",
            s.lines[0]
        );
        assert!(
            s.lines[0].contains("as of 2025-01-01, from list.csv."),
            "{}",
            s.lines[0]
        );
        assert_eq!(s.lines.len(), 1, "scored by the report's model: no note");
        let ListState::Read(l) =
            read_list(&ModelDir::at(dir.path()), Some(&path), dir.path()).unwrap()
        else {
            panic!("list not read");
        };
        let tally = l.tally.unwrap();
        assert_eq!((tally.high.customers, tally.low.customers), (3, 22));
        assert!((tally.revenue_at_risk() - 25.0 * 12.345).abs() < 1e-9);
    }

    #[test]
    fn a_given_list_without_contract_columns_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("list.csv");
        std::fs::write(&path, "rank,customer_id\n1,a\n").unwrap();
        let err = read_list(&ModelDir::at(dir.path()), Some(&path), dir.path()).unwrap_err();
        assert!(
            matches!(err, Error::MissingColumn { ref column, .. } if column == "churn_probability")
        );
    }

    #[test]
    fn latest_scores_are_used_when_no_list_is_given() {
        let dir = tempfile::tempdir().unwrap();
        let s = section_of(dir.path(), None);
        assert!(s.lines[0].starts_with("No scores yet"));
        std::fs::write(
            ModelDir::at(dir.path()).preview_path(),
            format!("{HEADER}\n1,a,0.9,high,10,x,y,z,call,m0,2025-01-01\n"),
        )
        .unwrap();
        let s = section_of(dir.path(), None);
        assert_eq!(s.tables[0].rows.len(), 1);
        assert!(
            !s.lines[0].contains(&dir.path().display().to_string()),
            "no machine path"
        );
        assert!(s.lines[1].contains("scored by model m0"));
    }
}
