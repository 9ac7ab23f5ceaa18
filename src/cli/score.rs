//! `churn score`: score a table with a registered model and write the ranked list.

use std::path::PathBuf;

use churn::features::tabular::{load_table, TabularOptions};
use churn::model::registry;
use churn::util::{csv_cell, write_atomic};

/// Flags of `churn score`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Model id, or `latest`.
    #[arg(long, value_name = "ID|latest")]
    pub model: String,
    /// Model registry folder.
    #[arg(long, value_name = "DIR", default_value = "models")]
    pub models: PathBuf,
    /// One-row-per-customer CSV to score; columns the model does not know are ignored.
    #[arg(long, value_name = "FILE")]
    pub table: PathBuf,
    /// Customer id column of the table (default: the row number).
    #[arg(long, value_name = "COL")]
    pub id: Option<String>,
    /// Output CSV: `rank,customer_id,churn_probability`, best first.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Run `churn score`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let model = registry::load(&args.models, &args.model)?;
    let mut opts = TabularOptions::new();
    opts.id_column = args.id.clone();
    let table = load_table(&args.table, &opts)?;
    let probabilities = model.predict_proba(&table)?;
    let mut order: Vec<usize> = (0..table.n_rows()).collect();
    // Highest probability first; ties in customer id order so the list is reproducible.
    order.sort_by(|&a, &b| {
        probabilities[b]
            .total_cmp(&probabilities[a])
            .then_with(|| table.ids[a].cmp(&table.ids[b]))
    });
    write_atomic(&args.out, |w| {
        let io = |e| churn::Error::io(&args.out, e);
        writeln!(w, "rank,customer_id,churn_probability").map_err(io)?;
        for (rank, &i) in order.iter().enumerate() {
            writeln!(
                w,
                "{},{},{}",
                rank + 1,
                csv_cell(&table.ids[i]),
                probabilities[i]
            )
            .map_err(io)?;
        }
        Ok(())
    })?;
    log::info!(
        "scored {} customers with {} into {}",
        order.len(),
        model.model_id,
        args.out.display()
    );
    Ok(())
}
