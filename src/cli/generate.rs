//! `churn generate`: write a synthetic SaaS history (the contract's five tables) for demos,
//! tests and benchmarks.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use churn::data::generate::{self, GenerateParams, GenerateSummary, TableFormat, Treatment};
use churn::score::groups::DEFAULT_CAMPAIGN;
use churn::time::{self, Day};

use super::common::{parse_date, Bar};

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
    /// A known treatment effect for testing `churn outcomes`: each customer of the campaign's
    /// outreach group is saved from churning in the window with this probability (0 to 1).
    #[arg(long, value_name = "E", requires = "treatment_from")]
    pub treatment_effect: Option<f64>,
    /// First day of the treatment window (the as-of date of the list being tested).
    #[arg(long, value_name = "DATE", value_parser = parse_date, requires = "treatment_effect")]
    pub treatment_from: Option<Day>,
    /// Length of the treatment window in days.
    #[arg(
        long,
        value_name = "DAYS",
        default_value_t = 30,
        requires = "treatment_effect"
    )]
    pub treatment_days: u32,
    /// The campaign's control share, as `churn score --control-share`.
    #[arg(
        long,
        value_name = "SHARE",
        default_value_t = 0.5,
        requires = "treatment_effect"
    )]
    pub control_share: f64,
    /// The campaign, as `churn score --campaign`.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_CAMPAIGN, requires = "treatment_effect")]
    pub campaign: String,
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
    let mut params = GenerateParams::new()
        .customers(args.customers)
        .months(args.months)
        .seed(args.seed)
        .format(args.format.into())
        .part_size(args.part_size);
    if let (Some(effect), Some(from)) = (args.treatment_effect, args.treatment_from) {
        params = params.treatment(Treatment {
            effect,
            from,
            days: args.treatment_days,
            control_share: args.control_share,
            campaign: args.campaign.clone(),
        });
    }
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
