//! `churn report` (to be written).

/// Flags of `churn report`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run `churn report`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`churn report` is not implemented yet")
}
