//! `churn demo` (to be written).

/// Flags of `churn demo`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run `churn demo`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`churn demo` is not implemented yet")
}
