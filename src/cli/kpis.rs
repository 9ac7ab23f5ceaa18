//! `churn kpis`: retention KPIs per calendar period as a table, a CSV and a chart.

use std::path::PathBuf;

use churn::data::load::load_history_with;
use churn::kpis::{format_table, retention_kpis, write_kpis_csv, Period};
use churn::output::refuse_protected;

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
    /// Folder for kpis.csv and the chart (kpis.png, kpis.svg).
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
    refuse_protected(&args.out.join("kpis.csv"), &[&opts.dir], None)?;
    let history = load_history_with(&opts, &Bar::new())?;
    let rows = retention_kpis(&history.customers, period, history.summary.last)?;
    out!("{}", format_table(&rows));
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
