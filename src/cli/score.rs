//! `churn score`: the ranked at-risk list, from history tables at an as-of date (the nightly job)
//! or from a one-row-per-customer table. The job itself is [`churn::score::job::run_job`].

use std::path::PathBuf;

use churn::score::batch::{Capacity, RankBy};
use churn::score::groups::{ControlGroups, DEFAULT_CAMPAIGN};
use churn::score::job::{run_job_with, JobReport, Previous, ScoreInput, ScoreJob};
use churn::store::Registry;
use churn::time::Day;

use super::common::{parse_date, parse_max_psi, Bar, CacheArgs, DataArgs, ListFormatArg};

/// Flags of `churn score`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["data", "table"])))]
pub struct Args {
    /// Model id, or `latest`.
    #[arg(long, value_name = "ID|latest")]
    pub model: String,
    /// Model registry folder.
    #[arg(long, value_name = "DIR", default_value = "models")]
    pub models: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Score the population at this date: features see only rows before it (event mode).
    #[arg(long, value_name = "DATE", value_parser = parse_date, required_unless_present = "table")]
    pub as_of: Option<Day>,
    /// One-row-per-customer CSV (tabular mode); columns the model does not know are ignored.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["split_by", "timing"])]
    pub table: Option<PathBuf>,
    /// Customer id column of the table (default: the row number).
    #[arg(long, value_name = "COL", requires = "table")]
    pub id: Option<String>,
    #[command(flatten)]
    pub list: ListArgs,
    /// The table's monthly revenue column, for revenue at risk (tabular mode).
    #[arg(long, value_name = "COL", requires = "table")]
    pub revenue: Option<String>,
}

/// The list's flags, shared by `churn score` and `churn run`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Output file, written atomically (a folder of lists with --split-by).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormatArg::Csv)]
    pub format: ListFormatArg,
    /// Mark exactly the top N as high risk (CS capacity) instead of the model's thresholds;
    /// with control groups, N outreach customers.
    #[arg(long, value_name = "N", conflicts_with = "capacity_revenue")]
    pub capacity: Option<usize>,
    /// Capacity in revenue: the top of the list is high risk while its summed revenue at risk
    /// stays within X (outreach customers only, with control groups).
    #[arg(long, value_name = "X", value_parser = parse_revenue)]
    pub capacity_revenue: Option<f64>,
    /// The list's order.
    #[arg(long, value_enum, default_value_t = RankByArg::Probability)]
    pub rank_by: RankByArg,
    /// Hold back this share of customers (0 to 1, exclusive) as a control group: a `group`
    /// column follows the eleven. The group is a keyed hash of campaign and customer id.
    #[arg(long, value_name = "SHARE")]
    pub control_share: Option<f64>,
    /// The campaign that keys the control groups (a new campaign draws new groups).
    #[arg(long, value_name = "NAME", requires = "control_share")]
    pub campaign: Option<String>,
    /// Leave the control group out of the written list (for the CS export).
    #[arg(long, requires = "control_share")]
    pub outreach_only: bool,
    /// Add previous_rank, previous_tier, probability_change and change_reason against this
    /// earlier list, or `last`: the list now at --out, before it is replaced.
    #[arg(long, value_name = "FILE|last")]
    pub previous: Option<PathBuf>,
    /// Write one list per account owner (the customers table's optional `owner` column) into
    /// the folder --out, each ranked and tiered on its own; --capacity applies per owner.
    #[arg(long, value_enum)]
    pub split_by: Option<SplitBy>,
    /// Write a monitoring summary (tiers, revenue at risk, PSI per feature, timings) as JSON.
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
    /// Exit with the drift code (6) when any feature's PSI exceeds this; the list is still written.
    #[arg(long, value_name = "X", value_parser = parse_max_psi)]
    pub max_psi: Option<f64>,
    /// CSV for spreadsheets: text cells that start like a formula (=, +, -, @) get a leading '.
    #[arg(long)]
    pub excel_safe: bool,
    /// Append `days_to_renewal` and `contact_by` (14 days before the renewal, not before the
    /// as-of date) after the eleven columns: when to call, beside what to offer.
    #[arg(long)]
    pub timing: bool,
}

/// `--split-by` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SplitBy {
    /// The account's customer-success manager.
    Owner,
}

/// `--rank-by` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RankByArg {
    /// Churn probability, highest first.
    Probability,
    /// Revenue at risk, highest first.
    #[value(alias = "revenue_at_risk")]
    RevenueAtRisk,
}

fn parse_revenue(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x > 0.0)
        .ok_or_else(|| format!("expected a positive amount, not {s:?}"))
}

/// Run `churn score`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let input = match (args.data.load_options()?, args.as_of, &args.table) {
        (Some(mut load), Some(as_of), _) => {
            load.cache = args.cache.cache.clone();
            ScoreInput::History {
                load: Box::new(load),
                as_of,
            }
        }
        (None, _, Some(path)) => ScoreInput::Table {
            path: path.clone(),
            id_column: args.id.clone(),
        },
        _ => unreachable!("clap requires --data with --as-of, or --table"),
    };
    let mut job = args
        .list
        .job(Registry::new(&args.models), args.model, input)?;
    job.revenue_column = args.revenue;
    let report = run_job_with(&job, &Bar::new())?;
    log_report(&report);
    report.drift_alarm()?;
    Ok(())
}

impl ListArgs {
    /// The scoring job of these flags: `model` from `registry`, scoring `input`.
    pub fn job(
        &self,
        registry: Registry,
        model: String,
        input: ScoreInput,
    ) -> anyhow::Result<ScoreJob> {
        Ok(ScoreJob {
            registry,
            model,
            input,
            out: self.out.clone(),
            format: self.format.into(),
            capacity: match (self.capacity, self.capacity_revenue) {
                (Some(n), _) => Some(Capacity::Customers(n)),
                (None, Some(x)) => Some(Capacity::Revenue(x)),
                (None, None) => None,
            },
            rank_by: match self.rank_by {
                RankByArg::Probability => RankBy::Probability,
                RankByArg::RevenueAtRisk => RankBy::RevenueAtRisk,
            },
            control: self
                .control_share
                .map(|share| {
                    ControlGroups::new(share, self.campaign.as_deref().unwrap_or(DEFAULT_CAMPAIGN))
                })
                .transpose()?,
            outreach_only: self.outreach_only,
            split_by_owner: matches!(self.split_by, Some(SplitBy::Owner)),
            previous: self.previous.as_ref().map(|p| {
                if p.as_os_str() == "last" {
                    Previous::Last
                } else {
                    Previous::File(p.clone())
                }
            }),
            summary_json: self.summary_json.clone(),
            max_psi: self.max_psi,
            excel_safe: self.excel_safe,
            revenue_column: None,
            timing: self.timing,
        })
    }
}

/// The run's one-line report on stderr.
pub fn log_report(report: &JobReport) {
    let s = &report.summary;
    let t = &s.timings;
    log::info!(
        "scored {} customers with {} -> {} (high {}, medium {}, low {}; revenue at risk {:.0}; {:.2} s)",
        s.population,
        s.model_id,
        s.output,
        s.tiers.high,
        s.tiers.medium,
        s.tiers.low,
        s.total_revenue_at_risk,
        t.load_s + t.features_s + t.score_s + t.write_s
    );
}
