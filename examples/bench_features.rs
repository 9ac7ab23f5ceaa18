//! Benchmark: load a history once, then build features for one cutoff and for 12 monthly
//! cutoffs; prints wall time, events per second and peak RSS.
//!
//! `cargo run --release --example bench_features -- DATA_DIR [LAST_CUTOFF]`
//! (see `bench/features.sh`, which generates 1,000,000 customers first).

// Errors carry named fields (table, column, row, value) for clear messages; they are the
// cold path, so their size does not matter.
#![allow(clippy::result_large_err)]

use std::time::Instant;

use churn::data::load::{load_history, LoadOptions};
use churn::features::snapshot::default_cutoffs;
use churn::features::{build_features, FeatureSpec, LabelDefinition};
use churn::util::peak_rss_mib;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .ok_or("usage: bench_features DATA_DIR")?;
    let t0 = Instant::now();
    let history = load_history(&LoadOptions::new(&dir))?;
    let load_s = t0.elapsed().as_secs_f64();
    let n_events = history.events.rows.len();
    let tickets = history.tickets.as_ref().map_or(0, |t| t.rows.len());
    println!(
        "load: {:.2} s for {} customers, {} events, {} tickets ({:.1} M events/s), peak RSS {:.0} MiB",
        load_s,
        history.customers.len(),
        n_events,
        tickets,
        n_events as f64 / load_s / 1e6,
        peak_rss_mib().unwrap_or(f64::NAN)
    );
    let all = default_cutoffs(&history, 30);
    let last12: Vec<_> = all.iter().rev().take(12).rev().copied().collect();
    if let (Some(first), Some(last)) = (last12.first(), last12.last()) {
        println!(
            "cutoffs: one T = {}; 12 monthly = {}..{}",
            churn::time::format_day(*last),
            churn::time::format_day(*first),
            churn::time::format_day(*last)
        );
    }
    for (name, cutoffs) in [
        ("1 cutoff", vec![*last12.last().ok_or("no cutoff")?]),
        ("12 monthly cutoffs", last12),
    ] {
        let spec = FeatureSpec {
            cutoffs,
            horizon_days: 30,
            definition: LabelDefinition::Cancellation,
        };
        let t = Instant::now();
        let table = build_features(&history, &spec)?;
        let s = t.elapsed().as_secs_f64();
        println!(
            "features, {name}: {:.2} s for {} rows ({:.1} M events/s scanned per cutoff pass, {:.2} M rows/s); end to end with load {:.2} s = {:.1} M events/s; peak RSS {:.0} MiB",
            s,
            table.n_rows(),
            n_events as f64 * spec.cutoffs.len() as f64 / s / 1e6,
            table.n_rows() as f64 / s / 1e6,
            s + load_s,
            n_events as f64 / (s + load_s) / 1e6,
            peak_rss_mib().unwrap_or(f64::NAN)
        );
    }
    Ok(())
}
