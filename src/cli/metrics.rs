//! `churn metrics` (to be written).

/// Flags of `churn metrics`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run `churn metrics`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`churn metrics` is not implemented yet")
}
