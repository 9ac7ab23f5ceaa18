//! `churn export-sql`: the features and a fitted model as one SQL statement for a warehouse or
//! a Spark cluster (see `churn::sql`).

use std::path::PathBuf;

use churn::output::write_output;
use churn::sql::{export_sql, features_sql, Dialect, Export, TableNames};
use churn::store::{guard_output, Registry};
use churn::time::Day;

use super::common::parse_date;

/// Flags of `churn export-sql`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Model id, or `latest` (not needed with --features-only and --horizon).
    #[arg(long, value_name = "ID|latest", required_unless_present = "horizon")]
    pub model: Option<String>,
    /// Label horizon in days, for --features-only without a model.
    #[arg(
        long,
        value_name = "DAYS",
        requires = "features_only",
        conflicts_with = "model"
    )]
    pub horizon: Option<u32>,
    /// Label definition, for --features-only without a model.
    #[arg(long, value_enum, requires = "horizon")]
    pub definition: Option<super::common::Definition>,
    /// Model registry folder.
    #[arg(long, value_name = "DIR", default_value = "models")]
    pub models: PathBuf,
    /// The SQL dialect: duckdb and spark are proven by the tests; postgres and bigquery are
    /// generated and parsed, not run.
    #[arg(long, value_enum)]
    pub dialect: DialectArg,
    /// The scoring date: features see only rows before it (event models).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<Day>,
    /// The customer id column of a tabular model's table.
    #[arg(long, value_name = "COL")]
    pub id: Option<String>,
    /// The monthly revenue column of a tabular model's table, for revenue at risk.
    #[arg(long, value_name = "COL")]
    pub revenue: Option<String>,
    /// Read a table under another name: `events=analytics.app_events`; a tabular model's one
    /// table is the role `table` (default `customers`). Repeatable.
    #[arg(long = "table", value_name = "ROLE=NAME")]
    pub tables: Vec<String>,
    /// The feature table only (what `churn features --as-of` writes), not the at-risk list.
    #[arg(long)]
    pub features_only: bool,
    /// Write the statement here instead of standard output.
    #[arg(long, value_name = "FILE", default_value = "-")]
    pub out: PathBuf,
}

/// `--dialect` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DialectArg {
    Duckdb,
    Spark,
    Postgres,
    Bigquery,
}

impl From<DialectArg> for Dialect {
    fn from(d: DialectArg) -> Self {
        match d {
            DialectArg::Duckdb => Dialect::DuckDb,
            DialectArg::Spark => Dialect::Spark,
            DialectArg::Postgres => Dialect::Postgres,
            DialectArg::Bigquery => Dialect::BigQuery,
        }
    }
}

/// Run `churn export-sql`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let registry = Registry::new(&args.models);
    guard_output(&args.out, &[], Some(registry.root()))?;
    let mut tables = TableNames::default();
    for spec in &args.tables {
        let (role, name) = spec
            .split_once('=')
            .ok_or_else(|| churn::Error::Usage(format!("--table {spec:?}: expected ROLE=NAME")))?;
        tables.set(role.trim(), name.trim())?;
    }
    let export = Export {
        dialect: args.dialect.into(),
        as_of: args.as_of,
        tables,
        features_only: args.features_only,
        id_column: args.id.clone(),
        revenue_column: args.revenue.clone(),
    };
    let sql = match (&args.model, args.horizon) {
        (Some(id), _) => export_sql(&registry.open(id)?.1, &export)?,
        (None, Some(h)) => features_sql(
            &export,
            h,
            args.definition.map(Into::into).unwrap_or_default(),
        )?,
        (None, None) => unreachable!("clap requires --model or --horizon"),
    };
    write_output(&args.out, |w| {
        w.write_all(sql.as_bytes())
            .and_then(|()| w.write_all(b"\n"))
            .map_err(|e| churn::Error::io(&args.out, e))
    })?;
    Ok(())
}
