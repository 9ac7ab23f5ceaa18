//! `churn kpis`: retention KPIs per calendar period as a table, a CSV and a chart.

use std::path::PathBuf;

use churn::data::load::load_history;
use churn::kpis::{format_table, retention_kpis, write_kpis_csv, Period};

use super::common::DataArgs;

/// Flags of `churn kpis`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub data: DataArgs,
    /// Calendar period.
    #[arg(long, default_value = "month", value_parser = ["month", "quarter"])]
    pub period: String,
    /// Folder for kpis.csv and the chart (kpis.png, kpis.svg).
    #[arg(long, value_name = "DIR", default_value = "kpis")]
    pub out: PathBuf,
}

/// Run `churn kpis`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let period: Period = args.period.parse()?;
    let history = load_history(&args.data.load_options()?)?;
    let rows = retention_kpis(&history.customers, period, history.summary.last)?;
    print!("{}", format_table(&rows));
    let csv = args.out.join("kpis.csv");
    write_kpis_csv(&rows, &csv)?;
    churn::kpis::plot_kpis(&rows, &args.out.join("kpis"))?;
    log::info!(
        "wrote {}, {}.png and {}.svg",
        csv.display(),
        args.out.join("kpis").display(),
        args.out.join("kpis").display()
    );
    Ok(())
}
