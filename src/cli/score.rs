//! `churn score` (to be written).

/// Flags of `churn score`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run `churn score`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`churn score` is not implemented yet")
}
