//! `churn evaluate` (to be written).

/// Flags of `churn evaluate`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run `churn evaluate`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`churn evaluate` is not implemented yet")
}
