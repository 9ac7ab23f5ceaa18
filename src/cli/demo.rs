//! `churn demo`: the whole pipeline on generated data, as the same commands a user would type
//! (each is printed first): generate, validate, kpis, train, evaluate, last month's campaign list
//! and its outcomes, tonight's score, the changes since the campaign list, report.

use std::path::{Path, PathBuf};
use std::time::Instant;

use churn::data::load::{load_history_with, LoadOptions};
use churn::store::Registry;
use churn::time;
use clap::Parser;

/// Marks a folder as the demo's own, so a rerun may replace it.
const MARKER: &str = ".churn-demo";

/// Flags of `churn demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder for everything the demo writes (replaced when it holds an earlier demo's output).
    #[arg(long, value_name = "DIR", default_value = "demo-out")]
    pub out: PathBuf,
    /// Customers to generate.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub customers: u64,
    /// Seed for the data and the folds.
    #[arg(long, value_name = "S", default_value_t = 42)]
    pub seed: u64,
}

/// Run `churn demo`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    prepare(&args.out)?;
    let out = |rel: &str| args.out.join(rel).display().to_string();
    let (data, models) = (out("data"), out("models"));
    let (seed, customers) = (args.seed.to_string(), args.customers.to_string());
    step(&[
        "generate",
        "--out",
        &data,
        "--customers",
        &customers,
        "--seed",
        &seed,
    ])?;
    step(&["validate", "--data", &data])?;
    step(&["kpis", "--data", &data, "--out", &out("kpis")])?;
    step(&[
        "train", "--data", &data, "--models", &models, "--seed", &seed,
    ])?;
    step(&["evaluate", "--model", "latest", "--models", &models])?;
    // Tonight's list: the population the day after the last recorded day.
    let history = load_history_with(&LoadOptions::new(&data), &super::common::Bar::new())?;
    let tonight = time::day_of_ts(history.data_end) + 1;
    let loop_paths = outreach_loop(&args.out, &data, &models, tonight)?;
    step(&[
        "report",
        "--model",
        "latest",
        "--models",
        &models,
        "--data",
        &data,
        "--scores",
        &loop_paths.list,
        "--previous",
        &loop_paths.campaign,
        "--outcomes",
        &loop_paths.campaign,
        "--out",
        &out("report"),
    ])?;
    print_outputs(&args.out, started)
}

/// The lists of the outreach loop.
struct LoopPaths {
    /// Tonight's list.
    list: String,
    /// Last month's campaign list.
    campaign: String,
}

/// Last month's campaign (a list with a 20 % control group, whose outcomes are now in), then
/// tonight's list with the changes since it, and the comparison for a CS lead.
fn outreach_loop(
    root: &Path,
    data: &str,
    models: &str,
    tonight: time::Day,
) -> anyhow::Result<LoopPaths> {
    let out = |rel: &str| root.join(rel).display().to_string();
    let campaign_as_of = time::format_day(time::add_months(tonight, -1));
    let campaign = out(&format!("campaign/at-risk-{campaign_as_of}.csv"));
    let list = out("at-risk.csv");
    let score = |day: &str, extra: &[&str]| {
        let head = [
            "score", "--model", "latest", "--models", models, "--data", data, "--as-of", day,
        ];
        step(&[&head[..], extra].concat())
    };
    score(
        &campaign_as_of,
        &[
            "--control-share",
            "0.2",
            "--campaign",
            "demo",
            "--out",
            &campaign,
        ],
    )?;
    step(&[
        "outcomes",
        "--list",
        &campaign,
        "--data",
        data,
        "--models",
        models,
        "--json",
        &out("campaign/outcomes.json"),
        "--chart",
        &out("campaign/outcomes"),
    ])?;
    let summary = out("at-risk-summary.json");
    score(
        &time::format_day(tonight),
        &[
            "--previous",
            &campaign,
            "--out",
            &list,
            "--summary-json",
            &summary,
        ],
    )?;
    step(&[
        "changes",
        "--list",
        &list,
        "--previous",
        &campaign,
        "--top",
        "5",
    ])?;
    Ok(LoopPaths { list, campaign })
}

/// Where the demo put everything.
fn print_outputs(root: &Path, started: Instant) -> anyhow::Result<()> {
    let out = |rel: &str| root.join(rel).display().to_string();
    let model = Registry::new(root.join("models")).resolve("latest")?;
    outln!(
        "\ndemo finished in {:.1} s; outputs:",
        started.elapsed().as_secs_f64()
    );
    outln!("  data           {}", out("data"));
    outln!(
        "  retention KPIs {}/kpis.csv, kpis.png/.svg, kpis_customers.png/.svg",
        out("kpis")
    );
    outln!(
        "  model          {}/ (model, metrics, holdout predictions)",
        model.path().display()
    );
    outln!("  plots          {}/", model.plots_dir().display());
    outln!(
        "  at-risk list   {} (monitoring summary: {})",
        out("at-risk.csv"),
        out("at-risk-summary.json")
    );
    outln!(
        "  campaign       {}/ (last month's list with a control group, its outcomes and chart)",
        out("campaign")
    );
    outln!(
        "  report         {}/{}.html and .md",
        out("report"),
        model.id()
    );
    Ok(())
}

/// Run one subcommand exactly as `churn ARGS` would, printing it first.
///
/// A closed stdout (`churn demo | head`) does not stop the pipeline: every step prints only after
/// its files are written, so its broken-pipe error is ignored and the next step runs.
fn step(args: &[&str]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout().lock(), "\n$ churn {}", args.join(" "));
    let cli = super::Cli::try_parse_from(std::iter::once("churn").chain(args.iter().copied()))?;
    match super::run(cli) {
        Err(e) if super::is_broken_pipe(&e) => Ok(()),
        done => done,
    }
}

/// Create the output folder, replacing an earlier demo's; refuse any other non-empty folder.
fn prepare(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(churn::Error::Usage(format!(
            "{} exists and is not a folder: choose another --out",
            dir.display()
        ))
        .into());
    }
    if dir.join(MARKER).exists() {
        std::fs::remove_dir_all(dir)?;
    } else if dir.read_dir().is_ok_and(|mut d| d.next().is_some()) {
        return Err(churn::Error::Usage(format!(
            "{} exists and is not an earlier demo's output: choose another --out",
            dir.display()
        ))
        .into());
    }
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join(MARKER),
        "written by churn demo; rerunning the demo replaces this folder\n",
    )?;
    Ok(())
}
