//! `churn generate`: write a synthetic SaaS history (the contract's five tables) for demos,
//! tests and benchmarks.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use churn::data::generate::{self, GenerateParams, GenerateSummary, TableFormat};
use churn::time;

use super::common::Bar;

/// Flags of `churn generate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder to create for the tables; it must not exist or be empty.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Number of customers.
    #[arg(long, value_name = "N", default_value_t = generate::DEFAULT_CUSTOMERS)]
    pub customers: u64,
    /// Length of the history in calendar months, from 2024-01-01 (1 to 120).
    #[arg(long, value_name = "M", default_value_t = generate::DEFAULT_MONTHS)]
    pub months: u32,
    /// Random seed; the same seed gives byte-identical files.
    #[arg(long, value_name = "S", default_value_t = generate::DEFAULT_SEED)]
    pub seed: u64,
    /// File format of the tables.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Customers per part: above this, every table is a folder of part files.
    #[arg(long, value_name = "N", default_value_t = generate::DEFAULT_PART_SIZE)]
    pub part_size: u64,
}

/// `--format` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Csv,
    Parquet,
}

impl From<Format> for TableFormat {
    fn from(f: Format) -> Self {
        match f {
            Format::Csv => TableFormat::Csv,
            Format::Parquet => TableFormat::Parquet,
        }
    }
}

/// Run `churn generate`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let params = GenerateParams::new()
        .customers(args.customers)
        .months(args.months)
        .seed(args.seed)
        .format(args.format.into())
        .part_size(args.part_size);
    let started = Instant::now();
    let summary = generate::generate_with(&params, &args.out, &Bar::new())
        .with_context(|| format!("generating into {}", args.out.display()))?;
    log::info!("generated in {:.1} s", started.elapsed().as_secs_f64());
    if let Some(mib) = churn::util::peak_rss_mib() {
        log::info!("peak memory {mib:.0} MiB");
    }
    print_summary(&summary)
}

fn print_summary(s: &GenerateSummary) -> anyhow::Result<()> {
    outln!(
        "wrote {} ({} to {}) to {}",
        if s.n_parts > 1 {
            format!("5 tables in {} parts each", s.n_parts)
        } else {
            "5 tables".into()
        },
        time::format_day(s.start),
        time::format_day(s.last_day),
        s.out.display()
    );
    for t in &s.tables {
        outln!("  {:<10} {:>12}  {}", t.table, t.rows, t.path.display());
    }
    Ok(())
}
