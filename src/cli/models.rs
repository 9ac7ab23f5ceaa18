//! `churn models` (to be written).

/// Flags of `churn models`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run `churn models`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`churn models` is not implemented yet")
}
