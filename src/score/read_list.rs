//! Reading an at-risk list back (CSV, Parquet or JSON Lines, as `churn score` writes them): the
//! previous list of a run with changes, both lists of `churn changes`, and the list whose
//! outcomes `churn outcomes` reads out. Every cell is checked, and errors name the file, the
//! column and the row.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::data::read::{missing_column, read_parquet_text, read_text_csv};
use crate::error::{Error, Result};
use crate::model::RiskTier;
use crate::schema::AT_RISK_COLUMNS;
use crate::time::{self, Day};

use super::groups::Group;
use super::list::{CHANGE_COLUMNS, GROUP_COLUMN};

/// One row of a list read back.
#[derive(Debug, Clone, PartialEq)]
pub struct ListRow {
    pub rank: usize,
    pub customer_id: String,
    pub churn_probability: f64,
    pub risk_tier: RiskTier,
    pub revenue_at_risk: Option<f64>,
    /// The `group` column, when the list has one.
    pub group: Option<Group>,
    /// The `probability_change` column, when the list has one and the row a value.
    pub probability_change: Option<f64>,
    /// The `change_reason` column, when the list has one (empty for none).
    pub change_reason: Option<String>,
}

/// A list read back: its rows in rank order, the model and the as-of date they share.
#[derive(Debug, Clone)]
pub struct ListFile {
    pub path: PathBuf,
    pub rows: Vec<ListRow>,
    pub model_id: String,
    /// `None` for a tabular list (empty `as_of`).
    pub as_of: Option<Day>,
    /// Whether the list has the `group` column.
    pub has_groups: bool,
}

impl ListFile {
    /// Row index by customer id.
    pub fn index(&self) -> FxHashMap<&str, usize> {
        self.rows
            .iter()
            .enumerate()
            .map(|(k, r)| (r.customer_id.as_str(), k))
            .collect()
    }
}

/// The formats a list may come in.
enum Sniffed {
    Csv,
    Parquet,
    Jsonl,
}

/// A list's format from its first bytes, whatever its name: Parquet starts with `PAR1`, JSON
/// Lines with `{`, anything else is read as CSV.
fn sniff(path: &Path) -> Sniffed {
    use std::io::Read;
    let mut head = [0u8; 64];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let head = &head[..n];
    if head.starts_with(b"PAR1") {
        Sniffed::Parquet
    } else if head
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{')
    {
        Sniffed::Jsonl
    } else {
        Sniffed::Csv
    }
}

/// Read a list in any of the three formats (told apart by content, not by name).
///
/// # Errors
/// `Unreadable` for a missing or unparsable file; `MissingColumn`; `BadValue` naming the row for
/// a bad rank, probability, tier or group, a duplicate customer id, or rows with different
/// models or as-of dates; `EmptyTable` for a list without rows.
pub fn read_list(path: &Path) -> Result<ListFile> {
    let name = path.display().to_string();
    let df = match sniff(path) {
        Sniffed::Parquet => read_parquet_text(path)?,
        Sniffed::Jsonl => read_jsonl_text(path)?,
        Sniffed::Csv => read_text_csv(path)?,
    };
    if df.height() == 0 {
        return Err(Error::EmptyTable {
            table: name,
            reason: "the list has no rows".into(),
        });
    }
    parse_list(path, &df)
}

/// A JSON Lines list as a frame of text columns (numbers in their JSON spelling, null as null).
fn read_jsonl_text(path: &Path) -> Result<DataFrame> {
    let file = std::fs::File::open(path).map_err(|e| Error::Unreadable {
        table: path.display().to_string(),
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let mut names: Vec<String> = Vec::new();
    let mut cells: Vec<Vec<Option<String>>> = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| Error::io(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |reason: String| Error::BadValue {
            table: path.display().to_string(),
            column: "(record)".into(),
            row: format!("line {}", n + 1),
            value: line.chars().take(80).collect(),
            reason,
        };
        let record: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&line).map_err(|e| bad(e.to_string()))?;
        let row = cells.first().map_or(0, Vec::len);
        for (key, value) in record {
            let c = match names.iter().position(|k| *k == key) {
                Some(c) => c,
                None => {
                    names.push(key);
                    cells.push(vec![None; row]);
                    cells.len() - 1
                }
            };
            cells[c].push(match value {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(s),
                other => Some(other.to_string()),
            });
        }
        for column in &mut cells {
            column.resize(row + 1, None);
        }
    }
    let cols = names
        .into_iter()
        .zip(cells)
        .map(|(n, v)| Column::new(n.into(), v))
        .collect();
    Ok(DataFrame::new_infer_height(cols)?)
}

/// The text cells of one column, with what its errors need.
struct TextColumn<'a> {
    path: &'a Path,
    name: &'static str,
    cells: Vec<Option<&'a str>>,
}

impl<'a> TextColumn<'a> {
    fn get(path: &'a Path, df: &'a DataFrame, name: &'static str) -> Result<Option<Self>> {
        let Ok(col) = df.column(name) else {
            return Ok(None);
        };
        Ok(Some(TextColumn {
            path,
            name,
            cells: col.str()?.iter().collect(),
        }))
    }

    fn required(path: &'a Path, df: &'a DataFrame, name: &'static str) -> Result<Self> {
        Self::get(path, df, name)?
            .ok_or_else(|| missing_column(df, &path.display().to_string(), name))
    }

    fn bad(&self, i: usize, reason: &str) -> Error {
        Error::BadValue {
            table: self.path.display().to_string(),
            column: self.name.into(),
            row: format!("row {}", i + 1),
            value: self.cells[i].unwrap_or("").to_string(),
            reason: reason.into(),
        }
    }

    fn text(&self, i: usize) -> &'a str {
        let t = self.cells[i].unwrap_or("").trim();
        // A list written with --excel-safe: `'` before a cell that would start a formula.
        match t.strip_prefix('\'') {
            Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
            _ => t,
        }
    }

    fn parse<T>(&self, i: usize, f: impl Fn(&str) -> Option<T>, reason: &str) -> Result<T> {
        f(self.text(i)).ok_or_else(|| self.bad(i, reason))
    }

    /// A number, or `None` for an empty cell.
    fn optional_number(&self, i: usize) -> Result<Option<f64>> {
        match self.text(i) {
            "" => Ok(None),
            t => t
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .map(Some)
                .ok_or_else(|| self.bad(i, "expected a number or an empty cell")),
        }
    }
}

fn parse_tier(s: &str) -> Option<RiskTier> {
    match s {
        "high" => Some(RiskTier::High),
        "medium" => Some(RiskTier::Medium),
        "low" => Some(RiskTier::Low),
        _ => None,
    }
}

/// The columns a list is read by.
struct ListColumns<'a> {
    rank: TextColumn<'a>,
    id: TextColumn<'a>,
    probability: TextColumn<'a>,
    tier: TextColumn<'a>,
    revenue: TextColumn<'a>,
    model: TextColumn<'a>,
    as_of: TextColumn<'a>,
    group: Option<TextColumn<'a>>,
    change: Option<TextColumn<'a>>,
    reason: Option<TextColumn<'a>>,
}

impl<'a> ListColumns<'a> {
    fn new(path: &'a Path, df: &'a DataFrame) -> Result<Self> {
        let req = |k: usize| TextColumn::required(path, df, AT_RISK_COLUMNS[k]);
        Ok(ListColumns {
            rank: req(0)?,
            id: req(1)?,
            probability: req(2)?,
            tier: req(3)?,
            revenue: req(4)?,
            model: req(9)?,
            as_of: req(10)?,
            group: TextColumn::get(path, df, GROUP_COLUMN)?,
            change: TextColumn::get(path, df, CHANGE_COLUMNS[2])?,
            reason: TextColumn::get(path, df, CHANGE_COLUMNS[3])?,
        })
    }

    fn row(&self, i: usize) -> Result<ListRow> {
        let id = self.id.text(i);
        if id.is_empty() {
            return Err(self.id.bad(i, "the customer id is empty"));
        }
        let group = match &self.group {
            Some(g) => Some(g.parse(i, Group::parse, "expected outreach or control")?),
            None => None,
        };
        let probability_change = match &self.change {
            Some(c) => c.optional_number(i)?,
            None => None,
        };
        Ok(ListRow {
            rank: self.rank.parse(
                i,
                |s| s.parse::<usize>().ok().filter(|&r| r >= 1),
                "expected a rank (a whole number from 1)",
            )?,
            customer_id: id.to_string(),
            churn_probability: self.probability.parse(
                i,
                |s| s.parse::<f64>().ok().filter(|p| (0.0..=1.0).contains(p)),
                "expected a probability in [0, 1]",
            )?,
            risk_tier: self
                .tier
                .parse(i, parse_tier, "expected high, medium or low")?,
            revenue_at_risk: self.revenue.optional_number(i)?,
            group,
            probability_change,
            change_reason: self.reason.as_ref().map(|r| r.text(i).to_string()),
        })
    }
}

fn parse_list(path: &Path, df: &DataFrame) -> Result<ListFile> {
    let cols = ListColumns::new(path, df)?;
    let mut rows = Vec::with_capacity(df.height());
    let mut seen = FxHashSet::default();
    for i in 0..df.height() {
        let row = cols.row(i)?;
        if !seen.insert(row.customer_id.clone()) {
            return Err(cols.id.bad(i, "the customer appears twice in the list"));
        }
        for col in [&cols.model, &cols.as_of] {
            if col.text(i) != col.text(0) {
                return Err(col.bad(i, &format!("differs from row 1 ({})", col.text(0))));
            }
        }
        rows.push(row);
    }
    let as_of = match cols.as_of.text(0) {
        "" => None,
        t => Some(
            time::parse_iso_day(t)
                .ok_or_else(|| cols.as_of.bad(0, "expected a date YYYY-MM-DD"))?,
        ),
    };
    rows.sort_by_key(|r| r.rank);
    Ok(ListFile {
        path: path.to_path_buf(),
        model_id: cols.model.text(0).to_string(),
        as_of,
        has_groups: cols.group.is_some(),
        rows,
    })
}
