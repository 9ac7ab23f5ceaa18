//! `churn changes`: what changed between two at-risk lists, for a CS lead on the terminal: who
//! entered and who left the high tier, and the biggest risers with why their score moved.

use std::path::PathBuf;

use churn::output::{json_bytes, write_output};
use churn::score::changes::{compare_lists, ListChanges, Moved, TOP_RISERS};
use churn::score::read_list::read_list;

/// Flags of `churn changes`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The new list (CSV, Parquet or JSON Lines).
    #[arg(long, value_name = "FILE")]
    pub list: PathBuf,
    /// The earlier list.
    #[arg(long, value_name = "FILE")]
    pub previous: PathBuf,
    /// Rows shown per section.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,
    /// Write the comparison as JSON instead (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// Run `churn changes`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let new = read_list(&args.list)?;
    let old = read_list(&args.previous)?;
    let changes = compare_lists(&new, &old, args.top.max(TOP_RISERS));
    if let Some(path) = &args.json {
        churn::store::guard_output(path, &[&args.list, &args.previous], None)?;
        let bytes = json_bytes(&changes)?;
        return Ok(write_output(path, |w| {
            w.write_all(&bytes).map_err(|e| churn::Error::io(path, e))
        })?);
    }
    print(&changes, args.top)
}

fn day(d: &Option<String>) -> &str {
    d.as_deref().unwrap_or("(no date)")
}

fn print(c: &ListChanges, top: usize) -> anyhow::Result<()> {
    outln!(
        "{} -> {}: {} customers (was {}); {} new, {} gone",
        day(&c.previous_as_of),
        day(&c.as_of),
        c.customers,
        c.previous_customers,
        c.new_customers,
        c.gone_customers
    );
    if c.model_id != c.previous_model_id {
        outln!(
            "note: the lists come from different models ({} -> {}): a move may be the model's",
            c.previous_model_id,
            c.model_id
        );
    }
    section("newly high risk", &c.newly_high, top)?;
    section("no longer high risk", &c.left_high, top)?;
    section("biggest risers", &c.biggest_risers, top)
}

fn section(title: &str, rows: &[Moved], top: usize) -> anyhow::Result<()> {
    outln!();
    outln!("{title} ({}):", rows.len());
    if rows.is_empty() {
        return Ok(());
    }
    outln!(
        "  {:<14} {:>6} {:>6} {:<8} {:>11} {:>8}  why",
        "customer",
        "rank",
        "was",
        "tier",
        "probability",
        "change"
    );
    let opt = |x: Option<usize>| x.map_or("-".to_string(), |x| x.to_string());
    for m in rows.iter().take(top) {
        outln!(
            "  {:<14} {:>6} {:>6} {:<8} {:>11} {:>8}  {}",
            m.customer_id,
            opt(m.rank),
            opt(m.previous_rank),
            m.risk_tier.map_or("gone", |t| t.name()),
            m.churn_probability
                .map_or("-".into(), |p| format!("{:.1} %", p * 100.0)),
            m.probability_change
                .map_or("-".into(), |d| format!("{:+.1}", d * 100.0)),
            m.change_reason
        );
    }
    if rows.len() > top {
        outln!("  ... and {} more", rows.len() - top);
    }
    Ok(())
}
