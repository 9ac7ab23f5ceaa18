//! Reading one table's files (CSV or Parquet, a file or a folder of parts) with polars, and
//! turning its columns into typed Rust vectors whose errors name the table, column and row.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::config::TableMapping;
use crate::error::{Error, Result};
use crate::schema::parse_label;
use crate::time::{self, Day, Ts};

/// One file of a table, with enough to name its rows in errors.
#[derive(Debug, Clone)]
pub struct Part {
    pub path: PathBuf,
    pub csv: bool,
}

impl Part {
    /// Human name of data row `i` (0-based): a CSV line number (header is line 1) or a Parquet row.
    pub fn row(&self, i: usize) -> String {
        if self.csv {
            format!("line {} of {}", i + 2, self.path.display())
        } else {
            format!("row {} of {}", i + 1, self.path.display())
        }
    }
}

/// Find a table's files: the mapping's `file`, else `<table>.csv`, `<table>.parquet` or a folder
/// `<table>/` of `*.csv` / `*.parquet` parts (sorted by name). `None` when absent.
///
/// # Errors
/// A mapped file that does not exist, or a folder with no parts.
pub fn locate(dir: &Path, table: &str, mapping: &TableMapping) -> Result<Option<Vec<Part>>> {
    let candidates: Vec<PathBuf> = match &mapping.file {
        Some(f) => vec![dir.join(f)],
        None => vec![
            dir.join(format!("{table}.csv")),
            dir.join(format!("{table}.parquet")),
            dir.join(table),
        ],
    };
    let Some(found) = candidates.into_iter().find(|p| p.exists()) else {
        if let Some(f) = &mapping.file {
            return Err(Error::MissingTable {
                table: table.into(),
                looked_for: dir.join(f).display().to_string(),
            });
        }
        return Ok(None);
    };
    if !found.is_dir() {
        let csv = !has_ext(&found, "parquet");
        return Ok(Some(vec![Part { path: found, csv }]));
    }
    let mut parts: Vec<Part> = std::fs::read_dir(&found)
        .map_err(|e| Error::io(&found, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| has_ext(p, "csv") || has_ext(p, "parquet"))
        .map(|p| Part {
            csv: has_ext(&p, "csv"),
            path: p,
        })
        .collect();
    parts.sort_by(|a, b| a.path.cmp(&b.path));
    if parts.is_empty() {
        return Err(Error::EmptyTable {
            table: table.into(),
            reason: format!("folder {} has no .csv or .parquet parts", found.display()),
        });
    }
    Ok(Some(parts))
}

fn has_ext(p: &Path, ext: &str) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// One part as read: the wanted columns it has, and the (cleaned) name of every column it has.
pub struct PartFrame {
    pub df: DataFrame,
    pub header: Vec<String>,
}

/// Most columns a table may have. Wider files are refused before they are parsed: a few rows
/// with a million columns would otherwise take gigabytes.
pub const MAX_COLUMNS: usize = 10_000;

/// Longest header line kept (1 MiB); a longer one is refused, whatever its column count.
pub const MAX_HEADER_BYTES: usize = 1 << 20;

/// The header of a CSV file, read before polars sees it, so that a header polars would repair
/// (`x_duplicated_0`) or choke on (a million columns) is refused with a clear error. Names are
/// trimmed, unquoted and stripped of a UTF-8 byte-order mark. Reads the first line only, in
/// chunks, keeping at most [`MAX_HEADER_BYTES`].
///
/// # Errors
/// `Unreadable` for an unreadable file, a header that is not UTF-8, too long or too wide;
/// `DuplicateColumn` for a name that appears twice.
pub fn csv_header(table: &str, path: &Path) -> Result<Vec<String>> {
    use std::io::{BufRead, BufReader};
    let unreadable = |reason: String| Error::Unreadable {
        table: table.into(),
        path: path.to_path_buf(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = BufReader::new(file);
    let (mut kept, mut len, mut commas) = (Vec::new(), 0usize, 0usize);
    loop {
        let chunk = reader.fill_buf().map_err(|e| Error::io(path, e))?;
        if chunk.is_empty() {
            break;
        }
        let end = chunk.iter().position(|&b| b == b'\n');
        let part = &chunk[..end.unwrap_or(chunk.len())];
        commas += part.iter().filter(|&&b| b == b',').count();
        let room = MAX_HEADER_BYTES.saturating_sub(kept.len());
        kept.extend_from_slice(&part[..part.len().min(room)]);
        len += part.len();
        let used = part.len() + usize::from(end.is_some());
        reader.consume(used);
        if end.is_some() {
            break;
        }
    }
    if commas + 1 > MAX_COLUMNS {
        return Err(unreadable(format!(
            "the header has {} columns; at most {MAX_COLUMNS} are read",
            commas + 1
        )));
    }
    if len > MAX_HEADER_BYTES {
        return Err(unreadable(format!(
            "the header line is {len} bytes long; at most {MAX_HEADER_BYTES} are read"
        )));
    }
    let text = std::str::from_utf8(&kept)
        .map_err(|_| unreadable("line 1 (the header) is not UTF-8 text".into()))?;
    let names = split_header(text);
    check_unique_names(table, path, &names)?;
    Ok(names)
}

/// Header fields, quote-aware (`"a,b"` is one name, `""` an escaped quote).
fn split_header(line: &str) -> Vec<String> {
    let line = line.trim_end_matches('\r').trim_start_matches('\u{feff}');
    let (mut names, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => names.push(std::mem::take(&mut field).trim().to_string()),
            _ => field.push(c),
        }
    }
    names.push(field.trim().to_string());
    names
}

/// Refuse a table whose header names a column twice (the first copy would be used silently).
///
/// # Errors
/// `DuplicateColumn` naming the column.
pub fn check_unique_names(table: &str, path: &Path, names: &[String]) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    match names.iter().find(|n| !seen.insert(n.as_str())) {
        Some(name) => Err(Error::DuplicateColumn {
            table: table.into(),
            column: name.clone(),
            path: path.to_path_buf(),
        }),
        None => Ok(()),
    }
}

/// Why a CSV file polars could not read is bad, naming the line: the first line that is not
/// UTF-8 text, or the first line with another field count than the header.
pub fn explain_csv_failure(path: &Path) -> Option<String> {
    use std::io::{BufRead, BufReader};
    // Line by line, so a multi-gigabyte file is not held in memory to find one bad byte.
    let mut reader = BufReader::new(std::fs::File::open(path).ok()?);
    let mut line = Vec::new();
    for number in 1.. {
        line.clear();
        if reader.read_until(b'\n', &mut line).ok()? == 0 {
            break;
        }
        if let Err(e) = std::str::from_utf8(&line) {
            return Some(format!(
                "line {number} is not UTF-8 text (byte 0x{:02X}); save the file as UTF-8",
                line[e.valid_up_to()]
            ));
        }
    }
    first_ragged_line(path)
}

/// Read one part, keeping only the `wanted` source columns that exist. CSV cells stay text (we
/// parse and check them ourselves, to name the row); Parquet keeps its types.
///
/// # Errors
/// An empty or unreadable file (a binary file, ragged rows, a broken Parquet footer).
pub fn read_part(table: &str, part: &Part, wanted: &[&str]) -> Result<PartFrame> {
    let unreadable = |reason: String| Error::Unreadable {
        table: table.into(),
        path: part.path.clone(),
        reason,
    };
    let meta = std::fs::metadata(&part.path).map_err(|e| Error::io(&part.path, e))?;
    if meta.len() == 0 {
        return Err(Error::EmptyTable {
            table: table.into(),
            reason: format!("{} is empty (no header)", part.path.display()),
        });
    }
    if part.csv && looks_binary(&part.path) {
        return Err(unreadable(
            "binary content (NUL bytes): not a CSV text file".into(),
        ));
    }
    if part.csv {
        csv_header(table, &part.path)?;
    }
    // polars can panic on some malformed inputs; a bad file must be an error, never a crash.
    let result = std::panic::catch_unwind(|| scan(part, wanted));
    match result {
        Ok(Ok(df)) => {
            check_width(table, &part.path, &df.header)?;
            check_unique_names(table, &part.path, &df.header)?;
            Ok(df)
        }
        Ok(Err(e)) => {
            let mut reason = e.to_string();
            if part.csv {
                if let Some(line) = explain_csv_failure(&part.path) {
                    reason = line;
                }
            }
            Err(unreadable(reason))
        }
        Err(_) => Err(unreadable(
            "the file is not a valid table of this format".into(),
        )),
    }
}

/// Refuse a table wider than [`MAX_COLUMNS`] (a Parquet schema; CSV headers are checked before
/// parsing).
fn check_width(table: &str, path: &Path, header: &[String]) -> Result<()> {
    if header.len() <= MAX_COLUMNS {
        return Ok(());
    }
    Err(Error::Unreadable {
        table: table.into(),
        path: path.to_path_buf(),
        reason: format!("{} columns; at most {MAX_COLUMNS} are read", header.len()),
    })
}

/// True when the first 8 KiB hold a NUL byte, which no CSV text has.
fn looks_binary(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 8192];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    head[..n].contains(&0)
}

fn scan(part: &Part, wanted: &[&str]) -> PolarsResult<PartFrame> {
    let mut lf = if part.csv {
        // polars' eager CSV reader takes half the lazy scan's time on event files (1.4M rows:
        // 0.08-0.10 s against 0.19-0.21 s, most of the scan's in its line counting).
        csv_as_text(&part.path)?.lazy()
    } else {
        let path = PlRefPath::new(part.path.to_string_lossy().into_owned());
        LazyFrame::scan_parquet(path, ScanArgsParquet::default())?
    };
    let schema = lf.collect_schema()?;
    let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    // A UTF-8 byte-order mark sticks to the first header name.
    let header: Vec<String> = names
        .iter()
        .map(|n| n.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let exprs: Vec<Expr> = names
        .iter()
        .zip(&header)
        .filter(|(_, clean)| wanted.contains(&clean.as_str()))
        .map(|(name, clean)| col(name.as_str()).alias(clean.as_str()))
        .collect();
    let df = if exprs.is_empty() {
        DataFrame::empty()
    } else {
        lf.select(exprs).collect()?
    };
    Ok(PartFrame { df, header })
}

/// The first CSV line whose field count differs from the header's (quote-aware), as
/// `line N has X fields, the header has Y`.
fn first_ragged_line(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let mut expected = None;
    let (mut fields, mut in_quotes, mut line, mut any) = (1usize, false, 1usize, false);
    for ch in text.chars() {
        match ch {
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => fields += 1,
            '\n' if !in_quotes => {
                if any {
                    match expected {
                        None => expected = Some(fields),
                        Some(n) if n != fields => {
                            return Some(format!(
                                "line {line} has {fields} fields, the header has {n}"
                            ))
                        }
                        _ => {}
                    }
                }
                fields = 1;
                line += 1;
                any = false;
            }
            '\r' => {}
            _ => any = true,
        }
    }
    match expected {
        Some(n) if any && n != fields => Some(format!(
            "line {line} has {fields} fields, the header has {n}"
        )),
        _ => None,
    }
}

/// Read a whole CSV file with every column as text (cells are parsed by the caller, so that its
/// errors can name the row); the table is named by the file's path.
///
/// # Errors
/// `Unreadable` for a missing or unparsable file.
pub fn read_text_csv(path: &Path) -> Result<DataFrame> {
    let unreadable = |reason: String| Error::Unreadable {
        table: path.display().to_string(),
        path: path.to_path_buf(),
        reason,
    };
    if !path.is_file() {
        return Err(unreadable("no such file".into()));
    }
    csv_header(&path.display().to_string(), path)?;
    csv_as_text(path)
        .map_err(|e| unreadable(explain_csv_failure(path).unwrap_or_else(|| e.to_string())))
}

/// Every column of a CSV file as text, with polars' eager reader.
fn csv_as_text(path: &Path) -> PolarsResult<DataFrame> {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))?
        .finish()
}

/// A Parquet file with every column cast to text, so one parser checks CSV and Parquet alike.
///
/// # Errors
/// `Unreadable` for a missing or unparsable file.
pub fn read_parquet_text(path: &Path) -> Result<DataFrame> {
    let unreadable = |reason: String| Error::Unreadable {
        table: path.display().to_string(),
        path: path.to_path_buf(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| unreadable(e.to_string()))?;
    let df = ParquetReader::new(file)
        .finish()
        .map_err(|e| unreadable(e.to_string()))?;
    let cols = df
        .columns()
        .iter()
        .map(|c| c.cast(&DataType::String))
        .collect::<PolarsResult<Vec<Column>>>()?;
    Ok(DataFrame::new_infer_height(cols)?)
}

/// One column of one part, with what is needed to name its cells in errors.
pub struct Cells<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub part: &'a Part,
    pub col: &'a Column,
}

impl Cells<'_> {
    fn bad(&self, i: usize, value: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::BadValue {
            table: self.table.into(),
            column: self.column.into(),
            row: self.part.row(i),
            value: value.into(),
            reason: reason.into(),
        }
    }

    /// Text cells; empty text is `None`. Non-text columns are cast to text.
    pub fn strings(&self) -> Result<Vec<Option<String>>> {
        let casted = self.col.cast(&DataType::String)?;
        Ok(casted
            .str()?
            .iter()
            .map(|v| v.map(str::trim).filter(|s| !s.is_empty()).map(String::from))
            .collect())
    }

    /// Visit every text cell (cast to text if needed) without allocating.
    pub fn for_each_str(&self, mut f: impl FnMut(usize, Option<&str>) -> Result<()>) -> Result<()> {
        let casted;
        let ca = if self.col.dtype() == &DataType::String {
            self.col.str()?
        } else {
            casted = self.col.cast(&DataType::String)?;
            casted.str()?
        };
        for (i, v) in ca.iter().enumerate() {
            f(i, v.map(str::trim).filter(|s| !s.is_empty()))?;
        }
        Ok(())
    }

    /// Parse every text cell; empty cells are `None`, a cell `parse` rejects is an error
    /// naming its row, value and `expected`.
    fn parse_text<T>(
        &self,
        parse: impl Fn(&str) -> Option<T>,
        expected: &str,
    ) -> Result<Vec<Option<T>>> {
        let mut out = Vec::with_capacity(self.col.len());
        self.for_each_str(|i, v| {
            out.push(match v {
                None => None,
                Some(s) => Some(parse(s).ok_or_else(|| self.bad(i, s, expected))?),
            });
            Ok(())
        })?;
        Ok(out)
    }

    /// Datetimes as seconds since the epoch; empty cells are `None`.
    pub fn timestamps(&self, format: Option<&str>) -> Result<Vec<Option<Ts>>> {
        match self.col.dtype() {
            DataType::Datetime(unit, _) => {
                let per_sec = per_second(*unit);
                Ok(self
                    .col
                    .datetime()?
                    .physical()
                    .iter()
                    .map(|v| v.map(|x| x.div_euclid(per_sec)))
                    .collect())
            }
            DataType::Date => Ok(self
                .col
                .date()?
                .physical()
                .iter()
                .map(|v| v.map(time::day_start))
                .collect()),
            DataType::String => self.parse_text(
                |s| time::parse_ts(s, format),
                &format!(
                    "not a datetime{}",
                    expect_fmt(format, "ISO 8601, e.g. 2025-03-04T12:34:56Z")
                ),
            ),
            other => Err(self.wrong_type(other, "a datetime")),
        }
    }

    /// Visit every datetime (as [`Cells::timestamps`]) without collecting a typed column first.
    pub fn for_each_timestamp(
        &self,
        format: Option<&str>,
        mut f: impl FnMut(usize, Option<Ts>) -> Result<()>,
    ) -> Result<()> {
        if let DataType::Datetime(unit, _) = self.col.dtype() {
            let per_sec = per_second(*unit);
            let ca = self.col.datetime()?;
            for (i, v) in ca.physical().iter().enumerate() {
                f(i, v.map(|x| x.div_euclid(per_sec)))?;
            }
            return Ok(());
        }
        for (i, v) in self.timestamps(format)?.into_iter().enumerate() {
            f(i, v)?;
        }
        Ok(())
    }

    /// The first number below `min`, if any (as [`Cells::floats`], so NaN and infinities are
    /// refused the same way, without collecting the numbers of a typed column).
    pub fn first_below(&self, min: f64) -> Result<Option<(usize, f64)>> {
        if self.col.dtype() == &DataType::Float64 {
            let ca = self.col.f64()?;
            for (i, x) in ca.iter().enumerate() {
                match x {
                    Some(x) if !x.is_finite() => return Err(self.not_finite(i, x)),
                    Some(x) if x < min => return Ok(Some((i, x))),
                    _ => {}
                }
            }
            return Ok(None);
        }
        Ok(self
            .floats()?
            .into_iter()
            .enumerate()
            .find_map(|(i, x)| x.filter(|x| *x < min).map(|x| (i, x))))
    }

    /// Dates as days since the epoch; empty cells are `None`.
    pub fn days(&self, format: Option<&str>) -> Result<Vec<Option<Day>>> {
        match self.col.dtype() {
            DataType::Date => Ok(self.col.date()?.physical().iter().collect()),
            DataType::Datetime(..) => Ok(self
                .timestamps(None)?
                .into_iter()
                .map(|v| v.map(time::day_of_ts))
                .collect()),
            DataType::String => self.parse_text(
                |s| time::parse_day(s, format),
                &format!("not a date{}", expect_fmt(format, "YYYY-MM-DD")),
            ),
            other => Err(self.wrong_type(other, "a date")),
        }
    }

    /// Numbers; empty cells are `None`, text that is not a number is an error. One rule for
    /// every format: NaN and infinities are refused whether a CSV cell spells them or a Parquet
    /// column holds them.
    pub fn floats(&self) -> Result<Vec<Option<f64>>> {
        let values: Vec<Option<f64>> = match self.col.dtype() {
            DataType::String => self.parse_text(|s| s.parse::<f64>().ok(), "not a number")?,
            dt if dt.is_primitive_numeric() || dt == &DataType::Boolean => {
                let c = self.col.cast(&DataType::Float64)?;
                c.f64()?.iter().collect()
            }
            other => return Err(self.wrong_type(other, "a number")),
        };
        match values
            .iter()
            .position(|v| v.is_some_and(|x| !x.is_finite()))
        {
            Some(i) => Err(self.not_finite(i, values[i].unwrap_or(f64::NAN))),
            None => Ok(values),
        }
    }

    fn not_finite(&self, i: usize, x: f64) -> Error {
        self.bad(
            i,
            x.to_string(),
            "not a number (NaN and infinities are not values)",
        )
    }

    /// Whole numbers; `12` and `12.0` are fine, `12.5` or text is an error.
    pub fn integers(&self) -> Result<Vec<Option<i64>>> {
        let floats = self.floats()?;
        floats
            .into_iter()
            .enumerate()
            .map(|(i, v)| match v {
                Some(x) if x.fract() != 0.0 || x.abs() > 9e15 => {
                    Err(self.bad(i, x.to_string(), "not a whole number"))
                }
                Some(x) => Ok(Some(x as i64)),
                None => Ok(None),
            })
            .collect()
    }

    /// Booleans: true/false, yes/no, 1/0, t/f (any case).
    pub fn bools(&self) -> Result<Vec<Option<bool>>> {
        if self.col.dtype() == &DataType::Boolean {
            return Ok(self.col.bool()?.iter().collect());
        }
        let mut out = Vec::with_capacity(self.col.len());
        self.for_each_str(|i, v| {
            out.push(match v.map(str::to_ascii_lowercase).as_deref() {
                None => None,
                Some("true" | "yes" | "1" | "t" | "y") => Some(true),
                Some("false" | "no" | "0" | "f" | "n") => Some(false),
                Some(s) => return Err(self.bad(i, s, "not a boolean (true/false)")),
            });
            Ok(())
        })?;
        Ok(out)
    }

    /// Error for a whole column whose type cannot hold the contract's values.
    fn wrong_type(&self, found: &DataType, expected: &str) -> Error {
        Error::BadValue {
            table: self.table.into(),
            column: self.column.into(),
            row: format!("every row of {}", self.part.path.display()),
            value: format!("<{found}>"),
            reason: format!("the column's type cannot hold {expected}"),
        }
    }

    /// Error for a required cell that is empty.
    pub fn missing(&self, i: usize) -> Error {
        self.bad(i, "", "required value is empty")
    }

    /// Error for a cell outside its allowed range or set.
    pub fn out_of_range(
        &self,
        i: usize,
        value: impl Into<String>,
        reason: impl Into<String>,
    ) -> Error {
        self.bad(i, value, reason)
    }
}

/// Ticks of a datetime unit per second.
fn per_second(unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Nanoseconds => 1_000_000_000,
        TimeUnit::Microseconds => 1_000_000,
        TimeUnit::Milliseconds => 1_000,
    }
}

fn expect_fmt(format: Option<&str>, default: &str) -> String {
    match format {
        Some(f) => format!(" in format {f}"),
        None => format!(" ({default})"),
    }
}

/// Read a label column and a probability column from a CSV file with a header. Labels may be
/// 0/1, true/false, yes/no or churned/active (any case); probabilities must be numbers in [0, 1].
///
/// # Errors
/// `Error::Unreadable` for a missing or unparsable file, `Error::MissingColumn` naming the column,
/// `Error::BadValue` naming the row (data row and file line) and value.
pub fn read_scored_csv(
    path: &Path,
    label_col: &str,
    score_col: &str,
) -> Result<(Vec<bool>, Vec<f64>)> {
    let table = path.display().to_string();
    // Every column as text: each cell is parsed below so that errors can name the row.
    let df = read_text_csv(path)?;
    let labels = parse_column(
        &df,
        &table,
        label_col,
        parse_label,
        "expected 0/1, true/false, yes/no or churned/active",
    )?;
    let scores = parse_column(
        &df,
        &table,
        score_col,
        parse_probability,
        "expected a number in [0, 1]",
    )?;
    Ok((labels, scores))
}

/// The missing-column error of `table` for a frame `df` that lacks `column`, listing what it has.
pub fn missing_column(df: &DataFrame, table: &str, column: &str) -> Error {
    Error::MissingColumn {
        table: table.to_string(),
        column: column.to_string(),
        found: df
            .get_column_names()
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn parse_column<T>(
    df: &DataFrame,
    table: &str,
    column: &str,
    parse: fn(&str) -> Option<T>,
    expected: &str,
) -> Result<Vec<T>> {
    let col = df
        .column(column)
        .map_err(|_| missing_column(df, table, column))?;
    let text = col.str()?;
    text.iter()
        .enumerate()
        .map(|(i, cell)| {
            cell.and_then(parse).ok_or_else(|| Error::BadValue {
                table: table.to_string(),
                column: column.to_string(),
                row: format!("row {} (line {})", i + 1, i + 2),
                value: cell.unwrap_or("").to_string(),
                reason: expected.to_string(),
            })
        })
        .collect()
}

fn parse_probability(cell: &str) -> Option<f64> {
    cell.trim()
        .parse::<f64>()
        .ok()
        .filter(|p| (0.0..=1.0).contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_column_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.csv");
        std::fs::write(&path, "label,prob\n1,0.5\n").unwrap();
        let err = read_scored_csv(&path, "label", "score").unwrap_err();
        assert!(
            matches!(err, Error::MissingColumn { ref column, .. } if column == "score"),
            "{err}"
        );
    }

    #[test]
    fn bad_score_names_the_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.csv");
        std::fs::write(&path, "label,score\n1,0.5\n0,abc\n").unwrap();
        let err = read_scored_csv(&path, "label", "score").unwrap_err();
        assert!(
            matches!(err, Error::BadValue { ref row, .. } if row == "row 2 (line 3)"),
            "{err}"
        );
        assert!(err.to_string().contains("abc"));
    }

    #[test]
    fn finds_the_first_ragged_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(&p, "a,b\n1,2\n\"x,y\",3\n4,5,6\n").unwrap();
        assert_eq!(
            first_ragged_line(&p).unwrap(),
            "line 4 has 3 fields, the header has 2"
        );
        std::fs::write(&p, "a,b\r\n1,2\r\n").unwrap();
        assert_eq!(first_ragged_line(&p), None);
    }

    #[test]
    fn rows_are_named_by_line_for_csv_and_by_row_for_parquet() {
        let csv = Part {
            path: "e.csv".into(),
            csv: true,
        };
        let pq = Part {
            path: "e.parquet".into(),
            csv: false,
        };
        assert_eq!(csv.row(0), "line 2 of e.csv");
        assert_eq!(pq.row(0), "row 1 of e.parquet");
    }
}
