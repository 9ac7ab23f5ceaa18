//! Tabular mode: one CSV row per customer, an optional id column, an optional two-valued label
//! column, and every other column a feature (numeric when every filled cell is a number).

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::frame::{ColumnValues, FeatureColumn, FeatureTable};
use crate::schema::LABEL_PAIRS;

/// The reason of the error for a label whose two values are no spelling pair the tool knows: the
/// caller must name the value that means churned.
pub const UNKNOWN_POSITIVE: &str = "cannot tell which of the two values means churned";

/// Cell texts read as a missing number in an otherwise numeric column, lower case.
pub const MISSING_TOKENS: [&str; 6] = ["", "na", "n/a", "nan", "null", "?"];

/// How to read a table: which columns are the id and the label.
#[derive(Debug, Clone, Default)]
pub struct TabularOptions {
    /// Customer id column; default: none, the id is the 1-based data row number.
    pub id_column: Option<String>,
    /// Label column; default: none (scoring), every row's label is unknown.
    pub label_column: Option<String>,
    /// The label value meaning "churned"; default: understood from the values
    /// (`Yes/No`, `True/False`, `1/0`, `churned/active`, any case).
    pub positive: Option<String>,
    /// Columns read as categories even when every cell is a number (integer-coded categories
    /// such as `Status=1/2`); names the file lacks are ignored. Default: none, a column is
    /// numeric when every filled cell is.
    pub categorical: Vec<String>,
}

impl TabularOptions {
    /// Options with no id and no label column.
    pub fn new() -> Self {
        Self::default()
    }

    /// Use `column` as the customer id.
    pub fn id(mut self, column: impl Into<String>) -> Self {
        self.id_column = Some(column.into());
        self
    }

    /// Use `column` as the label.
    pub fn label(mut self, column: impl Into<String>) -> Self {
        self.label_column = Some(column.into());
        self
    }

    /// Treat `value` as the churned label value.
    pub fn positive(mut self, value: impl Into<String>) -> Self {
        self.positive = Some(value.into());
        self
    }
}

/// Fewest rows on which "every value distinct" marks a column as an identifier.
pub const MIN_ROWS_FOR_IDENTIFIERS: usize = 20;

/// Columns that identify rows rather than describe customers, with why: text filled on every
/// row with every value distinct (a name or an id), whole numbers forming a counter (every
/// value distinct and consecutive, like a row number), or whole numbers all distinct under a
/// name that says id, number, key or code (a customer number). A measure that happens to be all
/// distinct (balances, whole-dollar incomes) stays. Only tables of at least
/// [`MIN_ROWS_FOR_IDENTIFIERS`] rows are judged.
pub fn identifier_columns(table: &FeatureTable) -> Vec<(String, &'static str)> {
    let n = table.n_rows();
    if n < MIN_ROWS_FOR_IDENTIFIERS {
        return Vec::new();
    }
    table
        .columns
        .iter()
        .filter_map(|c| {
            let why = match &c.values {
                ColumnValues::Categorical(v)
                    if v.iter().all(Option::is_some) && all_distinct(v.iter().flatten()) =>
                {
                    "a different text on every row"
                }
                ColumnValues::Numeric(v) => numeric_identifier(&c.name, v)?,
                _ => return None,
            };
            Some((c.name.clone(), why))
        })
        .collect()
}

/// Why a numeric column is an identifier, if it is one.
fn numeric_identifier(name: &str, v: &[f64]) -> Option<&'static str> {
    let whole = v.iter().all(|x| x.is_finite() && x.fract() == 0.0);
    if !whole || !all_distinct(v.iter().map(|x| x.to_bits())) {
        return None;
    }
    let (lo, hi) = v
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
            (l.min(x), h.max(x))
        });
    if hi - lo + 1.0 == v.len() as f64 {
        return Some("a counter: every whole number from the first to the last once");
    }
    let words = crate::util::name_words(name);
    let id_like = ["id", "number", "no", "key", "code"]
        .iter()
        .any(|w| words.iter().any(|x| x == w));
    id_like.then_some("a different whole number on every row, under an id-like name")
}

fn all_distinct<T: std::hash::Hash + Eq>(values: impl Iterator<Item = T>) -> bool {
    let mut seen = std::collections::HashSet::new();
    values.into_iter().all(|v| seen.insert(v))
}

/// Remove the named columns from a loaded table.
///
/// # Errors
/// `MissingColumn` for a name the table does not have.
pub fn drop_columns(table: &mut FeatureTable, names: &[String], source: &str) -> Result<()> {
    if let Some(name) = names.iter().find(|n| table.column(n).is_none()) {
        return Err(Error::MissingColumn {
            table: source.into(),
            column: name.clone(),
            found: table.feature_names().join(", "),
        });
    }
    table.columns.retain(|c| !names.contains(&c.name));
    Ok(())
}

/// One raw CSV column: header and cells (`None` for an empty cell).
struct RawColumn {
    name: String,
    cells: Vec<Option<String>>,
}

/// Load a one-row-per-customer CSV into a feature table (`as_of` is `None` on every row).
///
/// # Errors
/// `Unreadable` when the file cannot be parsed, `MissingColumn` for an absent id or label column,
/// `BadValue`/`Duplicate` for missing or repeated ids and unreadable labels, `SingleClass` when
/// the label has one value.
pub fn load_table(path: &Path, opts: &TabularOptions) -> Result<FeatureTable> {
    let table = path.display().to_string();
    let mut columns = read_string_columns(path, &table)?;
    let n_rows = columns.first().map_or(0, |c| c.cells.len());
    if n_rows == 0 {
        return Err(Error::EmptyTable {
            table,
            reason: "no data rows".into(),
        });
    }
    let ids = match &opts.id_column {
        Some(name) => read_ids(&table, take_column(&mut columns, name, &table)?)?,
        None => (1..=n_rows).map(|r| r.to_string()).collect(),
    };
    let labels = match &opts.label_column {
        Some(name) => {
            let col = take_column(&mut columns, name, &table)?;
            read_labels(&table, &col, opts.positive.as_deref())?
        }
        None => vec![None; n_rows],
    };
    let columns = columns
        .into_iter()
        .map(|c| {
            let text = opts.categorical.contains(&c.name);
            infer_column(c, text)
        })
        .collect();
    Ok(FeatureTable {
        ids,
        as_of: vec![None; n_rows],
        columns,
        labels,
    })
}

/// Every column as text, header BOM stripped.
fn read_string_columns(path: &Path, table: &str) -> Result<Vec<RawColumn>> {
    let unreadable = |e: PolarsError| Error::Unreadable {
        table: table.to_string(),
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let pl_path = PlRefPath::try_from_path(path).map_err(unreadable)?;
    crate::data::read::csv_header(table, path)?;
    // Schema inference over zero rows reads every column as String; we infer types ourselves so
    // that a blank cell in a numeric column is a missing number rather than a text column.
    let df = LazyCsvReader::new(pl_path)
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .finish()
        .and_then(|lf| lf.collect())
        .map_err(|e| match crate::data::read::explain_csv_failure(path) {
            Some(reason) => Error::Unreadable {
                table: table.to_string(),
                path: path.to_path_buf(),
                reason,
            },
            None => unreadable(e),
        })?;
    let mut out = Vec::with_capacity(df.width());
    for (i, col) in df.columns().iter().enumerate() {
        let mut name = col.name().to_string();
        if i == 0 {
            name = name.trim_start_matches('\u{feff}').to_string();
        }
        let cells = col
            .str()
            .map_err(unreadable)?
            .iter()
            .map(|c| c.map(str::to_string));
        out.push(RawColumn {
            name,
            cells: cells.collect(),
        });
    }
    Ok(out)
}

/// Remove the column `name` from `columns` and return it.
fn take_column(columns: &mut Vec<RawColumn>, name: &str, table: &str) -> Result<RawColumn> {
    match columns.iter().position(|c| c.name == name) {
        Some(i) => Ok(columns.remove(i)),
        None => Err(missing(table, name, columns)),
    }
}

fn missing(table: &str, name: &str, columns: &[RawColumn]) -> Error {
    Error::MissingColumn {
        table: table.to_string(),
        column: name.to_string(),
        found: columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The CSV line of a 0-based data row (line 1 is the header).
fn line(row: usize) -> String {
    format!("line {}", row + 2)
}

/// Ids, trimmed; empty or repeated ids are errors.
fn read_ids(table: &str, col: RawColumn) -> Result<Vec<String>> {
    let mut first_seen: HashMap<String, usize> = HashMap::with_capacity(col.cells.len());
    let mut ids = Vec::with_capacity(col.cells.len());
    for (row, cell) in col.cells.into_iter().enumerate() {
        let id = cell.map(|c| c.trim().to_string()).unwrap_or_default();
        if id.is_empty() {
            return Err(Error::BadValue {
                table: table.into(),
                column: col.name,
                row: line(row),
                value: id,
                reason: "empty customer id".into(),
            });
        }
        if let Some(&first) = first_seen.get(&id) {
            return Err(Error::Duplicate {
                table: table.into(),
                column: col.name,
                row: line(row),
                value: id,
                first: line(first),
            });
        }
        first_seen.insert(id.clone(), row);
        ids.push(id);
    }
    Ok(ids)
}

/// Labels as churned (`true`) or not; a blank cell is an unknown label.
fn read_labels(table: &str, col: &RawColumn, positive: Option<&str>) -> Result<Vec<Option<bool>>> {
    let bad = |row: usize, value: &str, reason: String| Error::BadValue {
        table: table.into(),
        column: col.name.clone(),
        row: line(row),
        value: value.into(),
        reason,
    };
    // Distinct values in order of appearance, compared case-insensitively.
    let mut values: Vec<String> = Vec::new();
    for (row, cell) in col.cells.iter().enumerate() {
        let v = cell.as_deref().unwrap_or("").trim().to_lowercase();
        if !v.is_empty() && !values.contains(&v) {
            if values.len() == 2 {
                let reason = format!("a label needs two values, found a third after {values:?}");
                return Err(bad(row, cell.as_deref().unwrap_or(""), reason));
            }
            values.push(v);
        }
    }
    if values.len() < 2 {
        return Err(Error::SingleClass {
            what: format!("table `{table}`, label column `{}`", col.name),
            detail: format!("values: {values:?}"),
        });
    }
    let positive = match positive {
        Some(p) => p.trim().to_lowercase(),
        None => understood_positive(&values)
            .ok_or_else(|| bad(0, &values.join(", "), UNKNOWN_POSITIVE.into()))?,
    };
    if !values.contains(&positive) {
        return Err(Error::SingleClass {
            what: format!("table `{table}`, label column `{}`", col.name),
            detail: format!("positive value {positive:?} not among {values:?}"),
        });
    }
    Ok(col
        .cells
        .iter()
        .map(|c| {
            let v = c.as_deref().unwrap_or("").trim().to_lowercase();
            (!v.is_empty()).then(|| v == positive)
        })
        .collect())
}

/// The positive value when the two values are a known pair.
fn understood_positive(values: &[String]) -> Option<String> {
    LABEL_PAIRS.iter().find_map(|(pos, neg)| {
        let pair = values.contains(&pos.to_string()) && values.contains(&neg.to_string());
        pair.then(|| pos.to_string())
    })
}

/// A missing number: blank or a conventional "not available" token.
fn is_missing_token(cell: &str) -> bool {
    let t = cell.trim();
    MISSING_TOKENS.iter().any(|m| t.eq_ignore_ascii_case(m))
}

/// Numeric when every filled cell parses as a finite number (and `text` does not force a
/// category), categorical otherwise.
fn infer_column(col: RawColumn, text: bool) -> FeatureColumn {
    let parsed: Option<Vec<f64>> = (!text).then_some(()).and_then(|()| {
        col.cells
            .iter()
            .map(|c| match c.as_deref() {
                None => Some(f64::NAN),
                Some(s) if is_missing_token(s) => Some(f64::NAN),
                Some(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
            })
            .collect()
    });
    let values = match parsed {
        Some(v) => ColumnValues::Numeric(v),
        None => ColumnValues::Categorical(
            col.cells
                .into_iter()
                .map(|c| c.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()))
                .collect(),
        ),
    };
    FeatureColumn {
        name: col.name,
        values,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_counters_id_named_numbers_or_distinct_full_text_and_measures_stay() {
        let n = 50;
        let num = |name: &str, v: Vec<f64>| FeatureColumn {
            name: name.into(),
            values: ColumnValues::Numeric(v),
        };
        let text = |name: &str, v: Vec<Option<String>>| FeatureColumn {
            name: name.into(),
            values: ColumnValues::Categorical(v),
        };
        let table = FeatureTable {
            ids: (0..n).map(|i| i.to_string()).collect(),
            as_of: vec![None; n],
            columns: vec![
                num("RowNumber", (1..=n).map(|i| i as f64).collect()),
                num(
                    "CustomerId",
                    (0..n).map(|i| (15_600_000 + i * 13) as f64).collect(),
                ),
                // Whole dollars, all distinct, not consecutive, no id-like name: a measure.
                num(
                    "Income",
                    (0..n).map(|i| (30_000 + i * 997) as f64).collect(),
                ),
                num("Balance", (0..n).map(|i| i as f64 * 1.5).collect()),
                text("Email", (0..n).map(|i| Some(format!("c{i}@x"))).collect()),
                // Mostly blank with a few distinct values: not an identifier.
                text(
                    "Note",
                    (0..n).map(|i| (i < 2).then(|| format!("n{i}"))).collect(),
                ),
            ],
            labels: vec![None; n],
        };
        let names: Vec<String> = identifier_columns(&table)
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        assert_eq!(names, ["RowNumber", "CustomerId", "Email"]);
    }

    fn write(dir: &tempfile::TempDir, text: &str) -> std::path::PathBuf {
        let p = dir.path().join("t.csv");
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn infers_numeric_and_categorical_columns_with_blank_numbers_missing() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "\u{feff}id,total,plan,Churn\na, 1.5,pro,Yes\nb, ,basic,No\nc,3,,no\n",
        );
        let t = load_table(&p, &TabularOptions::new().id("id").label("Churn")).unwrap();
        assert_eq!(t.ids, vec!["a", "b", "c"]);
        assert_eq!(t.labels, vec![Some(true), Some(false), Some(false)]);
        match &t.column("total").unwrap().values {
            ColumnValues::Numeric(v) => {
                assert_eq!(v[0], 1.5);
                assert!(v[1].is_nan());
                assert_eq!(v[2], 3.0);
            }
            other => panic!("expected numeric, got {other:?}"),
        }
        assert_eq!(
            t.column("plan").unwrap().values,
            ColumnValues::Categorical(vec![Some("pro".into()), Some("basic".into()), None])
        );
    }

    #[test]
    fn ids_default_to_row_numbers_and_label_is_optional() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "x,y\n1,2\n3,4\n");
        let t = load_table(&p, &TabularOptions::new()).unwrap();
        assert_eq!(t.ids, vec!["1", "2"]);
        assert_eq!(t.labels, vec![None, None]);
        assert_eq!(t.n_features(), 2);
    }

    #[test]
    fn rejects_single_class() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "x,Churn\n1,No\n2,no\n");
        let err = load_table(&p, &TabularOptions::new().label("Churn")).unwrap_err();
        assert!(matches!(err, Error::SingleClass { .. }), "{err}");
    }

    #[test]
    fn rejects_a_third_label_value_naming_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "x,Churn\n1,Yes\n2,No\n3,Maybe\n");
        let err = load_table(&p, &TabularOptions::new().label("Churn")).unwrap_err();
        match err {
            Error::BadValue { row, column, .. } => {
                assert_eq!(row, "line 4");
                assert_eq!(column, "Churn");
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn positive_overrides_and_unknown_pairs_need_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "x,status\n1,gone\n2,stayed\n3,\n");
        let err = load_table(&p, &TabularOptions::new().label("status")).unwrap_err();
        assert!(matches!(err, Error::BadValue { .. }), "{err}");
        let t = load_table(&p, &TabularOptions::new().label("status").positive("Gone")).unwrap();
        assert_eq!(t.labels, vec![Some(true), Some(false), None]);
    }

    #[test]
    fn missing_label_column_and_duplicate_ids_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "id,x\na,1\na,2\n");
        let err = load_table(&p, &TabularOptions::new().label("Churn")).unwrap_err();
        assert!(matches!(err, Error::MissingColumn { ref column, .. } if column == "Churn"));
        let err = load_table(&p, &TabularOptions::new().id("id")).unwrap_err();
        assert!(
            matches!(err, Error::Duplicate { ref row, .. } if row == "line 3"),
            "{err}"
        );
    }
}
