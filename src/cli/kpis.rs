//! `churn kpis` (to be written).

/// Flags of `churn kpis`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run `churn kpis`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`churn kpis` is not implemented yet")
}
