//! The few places where SQL engines differ, as expression builders: text casts, day numbers,
//! calendar months, regular expressions and number formatting. Everything else the export
//! writes is plain SQL every dialect shares (CASE, COALESCE, window functions, GROUP BY).

/// An SQL engine the export writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// DuckDB (proven by tests on the `duckdb` command-line program).
    DuckDb,
    /// Spark SQL (proven by tests on pyspark in local mode).
    Spark,
    /// PostgreSQL (generated and parsed, not run by the tests).
    Postgres,
    /// BigQuery standard SQL (generated and parsed, not run by the tests).
    BigQuery,
}

impl Dialect {
    /// The dialect's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::DuckDb => "duckdb",
            Dialect::Spark => "spark",
            Dialect::Postgres => "postgres",
            Dialect::BigQuery => "bigquery",
        }
    }

    /// The text type.
    pub fn text_type(self) -> &'static str {
        match self {
            Dialect::DuckDb => "VARCHAR",
            Dialect::Spark | Dialect::BigQuery => "STRING",
            Dialect::Postgres => "TEXT",
        }
    }

    /// The 64-bit integer type.
    pub fn int_type(self) -> &'static str {
        match self {
            Dialect::BigQuery => "INT64",
            _ => "BIGINT",
        }
    }

    /// The double type.
    pub fn double_type(self) -> &'static str {
        match self {
            Dialect::BigQuery => "FLOAT64",
            Dialect::Postgres => "DOUBLE PRECISION",
            _ => "DOUBLE",
        }
    }

    /// A quoted identifier (`timestamp` is a keyword in every dialect).
    pub fn ident(self, name: &str) -> String {
        match self {
            Dialect::Spark | Dialect::BigQuery => format!("`{}`", name.replace('`', "``")),
            Dialect::DuckDb | Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// `expr` as trimmed text, NULL when empty: the loader's reading of any cell.
    pub fn text(self, expr: &str) -> String {
        format!("NULLIF(TRIM(CAST({expr} AS {})), '')", self.text_type())
    }

    /// `expr` (a number or its text) as a double.
    pub fn double(self, expr: &str) -> String {
        format!("CAST({expr} AS {})", self.double_type())
    }

    /// Text as a double, NULL when it is not a number.
    pub fn try_double(self, text: &str) -> String {
        match self {
            Dialect::DuckDb => format!("TRY_CAST({text} AS DOUBLE)"),
            Dialect::Spark => format!("try_cast({text} AS DOUBLE)"),
            Dialect::BigQuery => format!("SAFE_CAST({text} AS FLOAT64)"),
            Dialect::Postgres => format!(
                "CASE WHEN {text} ~ '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$' \
                 THEN CAST({text} AS DOUBLE PRECISION) END"
            ),
        }
    }

    /// `expr` (an integer or its text) as a 64-bit integer.
    pub fn int(self, expr: &str) -> String {
        format!("CAST({expr} AS {})", self.int_type())
    }

    /// An integer expression as text.
    pub fn int_text(self, expr: &str) -> String {
        format!("CAST({expr} AS {})", self.text_type())
    }

    /// A string literal.
    pub fn literal(self, s: &str) -> String {
        match self {
            // Spark and BigQuery read a backslash in a literal as an escape.
            Dialect::Spark | Dialect::BigQuery => {
                format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
            }
            Dialect::DuckDb | Dialect::Postgres => format!("'{}'", s.replace('\'', "''")),
        }
    }

    /// A double literal that reads back as exactly `x` (`x` finite).
    pub fn number(self, x: f64) -> String {
        // `{:?}` is the shortest text that parses back to the same double, with a decimal point
        // or an exponent, so the engine reads a DOUBLE, never a DECIMAL.
        let text = format!("{x:?}");
        format!("CAST({} AS {})", self.literal(&text), self.double_type())
    }

    /// The date of a `YYYY-MM-DD` text as a date.
    fn date(self, text: &str) -> String {
        match self {
            Dialect::Spark => format!("to_date({text})"),
            _ => format!("CAST({text} AS DATE)"),
        }
    }

    /// Days since 1970-01-01 of the date whose text starts `YYYY-MM-DD`.
    pub fn day_number(self, text: &str) -> String {
        let d = self.date(&format!("SUBSTR({text}, 1, 10)"));
        match self {
            Dialect::DuckDb => format!("date_diff('day', DATE '1970-01-01', {d})"),
            Dialect::Spark => format!("datediff({d}, DATE'1970-01-01')"),
            Dialect::Postgres => format!("({d} - DATE '1970-01-01')"),
            Dialect::BigQuery => format!("DATE_DIFF({d}, DATE '1970-01-01', DAY)"),
        }
    }

    /// The date of day number `day` (days since 1970-01-01).
    fn date_of_day(self, day: &str) -> String {
        match self {
            Dialect::DuckDb => format!("CAST(DATE '1970-01-01' + CAST({day} AS INTEGER) AS DATE)"),
            Dialect::Spark => format!("date_add(DATE'1970-01-01', CAST({day} AS INT))"),
            Dialect::Postgres => format!("(DATE '1970-01-01' + CAST({day} AS INTEGER))"),
            Dialect::BigQuery => format!("DATE_ADD(DATE '1970-01-01', INTERVAL {day} DAY)"),
        }
    }

    /// The day number of day number `day` plus `months` calendar months, clamped to the last
    /// day of the month (Jan 31 + 1 month = Feb 28 or 29).
    pub fn add_months(self, day: &str, months: &str) -> String {
        let d = self.date_of_day(day);
        let shifted = match self {
            Dialect::DuckDb => {
                format!("CAST({d} + to_months(CAST({months} AS INTEGER)) AS DATE)")
            }
            Dialect::Spark => format!("add_months({d}, CAST({months} AS INT))"),
            Dialect::Postgres => {
                format!("CAST({d} + make_interval(months => CAST({months} AS INTEGER)) AS DATE)")
            }
            Dialect::BigQuery => format!("DATE_ADD({d}, INTERVAL {months} MONTH)"),
        };
        let text = format!("CAST({shifted} AS {})", self.text_type());
        self.day_number(&text)
    }

    /// The year and month of day number `day` as `year * 12 + month`.
    pub fn month_index(self, day: &str) -> String {
        let d = self.date_of_day(day);
        format!("(EXTRACT(YEAR FROM {d}) * 12 + EXTRACT(MONTH FROM {d}))")
    }

    /// Capture group `group` (1-based) of `pattern` in `text`; empty text when it does not
    /// match.
    pub fn regex_group(self, text: &str, pattern: &str, group: usize) -> String {
        let p = self.literal(pattern);
        match self {
            Dialect::DuckDb | Dialect::Spark => {
                format!("COALESCE(regexp_extract({text}, {p}, {group}), '')")
            }
            Dialect::Postgres => format!("COALESCE((regexp_match({text}, {p}))[{group}], '')"),
            // BigQuery returns the pattern's only group: wrap the wanted one, others unnamed.
            Dialect::BigQuery => {
                let only = only_group(pattern, group);
                format!(
                    "COALESCE(REGEXP_EXTRACT({text}, {}), '')",
                    self.literal(&only)
                )
            }
        }
    }

    /// Seconds since the epoch (UTC, fractional seconds dropped) of a datetime given as a
    /// TIMESTAMP or as ISO 8601 text: `2025-03-04T12:34:56Z`, an offset `+02:00` / `+0200`, a
    /// space instead of `T`, fractional seconds, no zone (UTC), no seconds, or a bare date.
    /// Typed timestamps are read through their text, in the session's time zone: run Spark
    /// with `spark.sql.session.timeZone=UTC`.
    pub fn epoch_seconds(self, expr: &str) -> String {
        let s = format!("REPLACE({}, 'T', ' ')", self.text(expr));
        let len = format!("LENGTH({s})");
        let part = |from: usize| format!("CAST(SUBSTR({s}, {from}, 2) AS {})", self.int_type());
        let suffix = format!("SUBSTR({s}, 20)");
        let sign = self.regex_group(&suffix, "([+-])([0-9][0-9]):?([0-9][0-9])?$", 1);
        let oh = self.regex_group(&suffix, "([+-])([0-9][0-9]):?([0-9][0-9])?$", 2);
        let om = self.regex_group(&suffix, "([+-])([0-9][0-9]):?([0-9][0-9])?$", 3);
        let int = |t: &str| format!("CAST(NULLIF({t}, '') AS {})", self.int_type());
        format!(
            "(CASE WHEN {s} IS NULL THEN NULL ELSE {day} * 86400 \
             + (CASE WHEN {len} >= 16 THEN {hh} * 3600 + {mi} * 60 ELSE 0 END) \
             + (CASE WHEN {len} >= 19 THEN {ss} ELSE 0 END) \
             - (CASE WHEN {sign} = '-' THEN -1 WHEN {sign} = '+' THEN 1 ELSE 0 END) \
             * (COALESCE({oh_n}, 0) * 3600 + COALESCE({om_n}, 0) * 60) END)",
            day = self.day_number(&s),
            hh = part(12),
            mi = part(15),
            ss = part(18),
            oh_n = int(&oh),
            om_n = int(&om),
        )
    }

    /// The natural logarithm.
    pub fn ln(self, expr: &str) -> String {
        match self {
            Dialect::BigQuery => format!("LN({expr})"),
            _ => format!("LN({expr})"),
        }
    }

    /// Text concatenation of `parts` (each an SQL text expression).
    pub fn concat(self, parts: &[String]) -> String {
        match self {
            Dialect::Spark | Dialect::BigQuery => format!("CONCAT({})", parts.join(", ")),
            Dialect::DuckDb | Dialect::Postgres => format!("({})", parts.join(" || ")),
        }
    }

    /// `expr` (a non-negative integer) as text left-padded with zeros to two digits.
    pub fn two_digits(self, expr: &str) -> String {
        format!("LPAD({}, 2, '0')", self.int_text(expr))
    }

    /// Integer division of non-negative `a` by `b`.
    pub fn div(self, a: &str, b: &str) -> String {
        match self {
            Dialect::DuckDb => format!("({a} // {b})"),
            Dialect::Spark => format!("({a} DIV {b})"),
            // EXTRACT and `/` give numeric in PostgreSQL: div() truncates like the others.
            Dialect::Postgres => {
                format!("CAST(div(CAST({a} AS NUMERIC), CAST({b} AS NUMERIC)) AS BIGINT)")
            }
            Dialect::BigQuery => format!("DIV({a}, {b})"),
        }
    }

    /// `expr` (text) for ordering by bytes, as the crate orders ids.
    pub fn by_bytes(self, expr: &str) -> String {
        match self {
            Dialect::Postgres => format!("{expr} COLLATE \"C\""),
            // DuckDB, Spark and BigQuery compare strings by their bytes (code points).
            _ => expr.to_string(),
        }
    }

    /// The remainder of non-negative `a` divided by `b`.
    pub fn rem(self, a: &str, b: &str) -> String {
        match self {
            Dialect::BigQuery => format!("MOD({a}, {b})"),
            _ => format!("({a} % {b})"),
        }
    }
}

/// `pattern` with every capture group but the `group`-th made non-capturing.
fn only_group(pattern: &str, group: usize) -> String {
    let mut out = String::new();
    let mut k = 0;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '(' && chars.peek() != Some(&'?') {
            k += 1;
            if k != group {
                out.push_str("?:");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_group_captures_for_bigquery() {
        assert_eq!(only_group("(a)(b)?(c)", 2), "(?:a)(b)?(?:c)");
    }

    #[test]
    fn literals_escape_quotes_per_dialect() {
        assert_eq!(Dialect::DuckDb.literal("o'k"), "'o''k'");
        assert_eq!(Dialect::Spark.literal("o'k\\"), "'o\\'k\\\\'");
    }

    #[test]
    fn numbers_read_back_exactly() {
        assert_eq!(Dialect::DuckDb.number(0.1), "CAST('0.1' AS DOUBLE)");
        assert_eq!(Dialect::DuckDb.number(3.0), "CAST('3.0' AS DOUBLE)");
        assert_eq!(Dialect::DuckDb.number(1e-300), "CAST('1e-300' AS DOUBLE)");
    }
}
