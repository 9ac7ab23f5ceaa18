//! `churn validate`: load every table, check it against the contract, print a summary.

use churn::data::load::load_history_with;
use churn::time;

use super::common::{Bar, DataArgs};

/// Flags of `churn validate`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["data"])))]
pub struct Args {
    #[command(flatten)]
    pub data: DataArgs,
}

/// Run `churn validate`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let opts = args.data.required()?;
    let history = load_history_with(&opts, &Bar::new())?;
    let s = &history.summary;
    outln!("data: {} — valid", opts.dir.display());
    for (table, rows) in &s.rows {
        outln!("  {table:<10} {rows:>12} rows");
    }
    let cu = &history.customers;
    let churned = cu.churned_at.iter().filter(|c| c.is_some()).count();
    outln!(
        "  span       {} .. {}",
        time::format_ts(s.first),
        time::format_ts(s.last)
    );
    outln!("  data end   {}", time::format_ts(history.data_end));
    outln!("  customers  {}", cu.len());
    if history.has_churn {
        outln!(
            "  churned    {} ({:.1} %)",
            churned,
            100.0 * churned as f64 / cu.len().max(1) as f64
        );
    }
    if !s.absent.is_empty() {
        outln!(
            "  absent     {} (no such signal: their features are zero)",
            s.absent.join(", ")
        );
    }
    for w in &s.warnings {
        outln!("  warning    {w}");
    }
    Ok(())
}
