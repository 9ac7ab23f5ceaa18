//! `churn train` (to be written).

/// Flags of `churn train`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run `churn train`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`churn train` is not implemented yet")
}
