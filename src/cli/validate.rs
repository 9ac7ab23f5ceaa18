//! `churn validate` (to be written).

/// Flags of `churn validate`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run `churn validate`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`churn validate` is not implemented yet")
}
