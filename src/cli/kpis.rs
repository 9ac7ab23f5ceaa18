//! `churn kpis`: retention KPIs per calendar period as a table, a CSV and a chart.

use std::path::{Path, PathBuf};

use churn::data::load::load_history_with;
use churn::kpis::{format_table, retention_kpis, write_kpis_csv, Period};
use churn::store::guard_output;

use super::common::refuse_folder_stdout;

use super::common::{Bar, DataArgs};

/// Flags of `churn kpis`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["data"])))]
pub struct Args {
    #[command(flatten)]
    pub data: DataArgs,
    /// Calendar period.
    #[arg(long, value_enum, default_value_t = PeriodArg::Month)]
    pub period: PeriodArg,
    /// Folder for kpis.csv and the charts (kpis.png/.svg, kpis_customers.png/.svg).
    #[arg(long, value_name = "DIR", default_value = "kpis")]
    pub out: PathBuf,
}

/// `--period` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum PeriodArg {
    Month,
    Quarter,
}

impl From<PeriodArg> for Period {
    fn from(p: PeriodArg) -> Self {
        match p {
            PeriodArg::Month => Period::Month,
            PeriodArg::Quarter => Period::Quarter,
        }
    }
}

/// Run `churn kpis`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let period = Period::from(args.period);
    let opts = args.data.required()?;
    refuse_folder_stdout(&args.out)?;
    let inputs = opts.input_paths();
    let inputs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    guard_output(&args.out.join("kpis.csv"), &inputs, None)?;
    let history = load_history_with(&opts, &Bar::new())?;
    let rows = retention_kpis(&history.customers, period, history.summary.last)?;
    // Files first: a closed stdout (`| head`) must not leave them unwritten.
    let csv = args.out.join("kpis.csv");
    write_kpis_csv(&rows, &csv)?;
    churn::kpis::plot_kpis(&rows, &args.out.join("kpis"))?;
    log::info!(
        "wrote {}, {}.png and {}.svg",
        csv.display(),
        args.out.join("kpis").display(),
        args.out.join("kpis").display()
    );
    out!("{}", format_table(&rows));
    Ok(())
}
