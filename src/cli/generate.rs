//! `churn generate` (to be written).

/// Flags of `churn generate`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run `churn generate`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`churn generate` is not implemented yet")
}
