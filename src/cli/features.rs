//! `churn features` (to be written).

/// Flags of `churn features`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run `churn features`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`churn features` is not implemented yet")
}
