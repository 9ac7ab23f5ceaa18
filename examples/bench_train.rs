//! Benchmark of training: each alpha's linfa-logistic fit cold and as the grid walks it (CPU
//! seconds), then the grid search (alphas x folds) under rayon pools of 1 and 2 threads, with
//! the speedup and peak memory. `--dump DIR` also writes the standardised matrix for
//! `bench/train_sklearn.py`, which times scikit-learn on the same numbers.
//!
//! `cargo run --release --example bench_train -- [--rows N] [--features P] [--seed S] [--dump DIR]`

// Errors carry named fields (table, column, row, value) for clear messages; they are the
// cold path, so their size does not matter.
#![allow(clippy::result_large_err)]

use std::time::Instant;

use churn::frame::{ColumnValues, FeatureColumn, FeatureTable};
use churn::model::fit::{self, SolverOptions};
use churn::model::train::grid_search;
use churn::model::Preprocessor;
use churn::model::TrainParams;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().expect("a number"))
        .unwrap_or(default)
}

/// `n` rows x `p` numeric features with scales 1..1e3, a seeded logistic label (~20 % churn).
fn generate(n: usize, p: usize, seed: u64) -> FeatureTable {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let weights: Vec<f64> = (0..p)
        .map(|j| {
            if j % 3 == 0 {
                0.0
            } else {
                rng.gen_range(-1.0..1.0)
            }
        })
        .collect();
    let scales: Vec<f64> = (0..p).map(|j| 10f64.powi((j % 4) as i32)).collect();
    let mut logit = vec![-1.6; n];
    let mut columns = Vec::with_capacity(p);
    for j in 0..p {
        let z: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
        for (l, v) in logit.iter_mut().zip(&z) {
            *l += weights[j] * v;
        }
        let values = z.iter().map(|v| v * scales[j]).collect();
        columns.push(FeatureColumn {
            name: format!("f{j:02}"),
            values: ColumnValues::Numeric(values),
        });
    }
    let labels = logit
        .iter()
        .map(|&l| Some(rng.gen::<f64>() < churn::stats::sigmoid(l)))
        .collect();
    FeatureTable {
        ids: (0..n).map(|i| i.to_string()).collect(),
        as_of: vec![None; n],
        columns,
        labels,
    }
}

/// `--dump DIR`: where to write the standardised matrix for the scikit-learn side.
fn dump_dir() -> Option<std::path::PathBuf> {
    let args: Vec<String> = std::env::args().collect();
    let i = args.iter().position(|a| a == "--dump")?;
    args.get(i + 1).map(Into::into)
}

/// `x.f64` (column-major, little-endian), `y.u8` (1 = churned) and `shape.txt` (`rows cols`).
fn dump(dir: &std::path::Path, x: &ndarray::Array2<f64>, y: &[bool]) {
    std::fs::create_dir_all(dir).unwrap();
    let mut bytes = Vec::with_capacity(x.len() * 8);
    for column in x.columns() {
        for v in column {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    std::fs::write(dir.join("x.f64"), bytes).unwrap();
    std::fs::write(
        dir.join("y.u8"),
        y.iter().map(|&b| u8::from(b)).collect::<Vec<_>>(),
    )
    .unwrap();
    std::fs::write(
        dir.join("shape.txt"),
        format!("{} {}\n", x.nrows(), x.ncols()),
    )
    .unwrap();
}

/// CPU seconds (user + system) used by this process so far, from `/proc/self/stat`, assuming
/// the usual 100 clock ticks per second; `None` off Linux.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// The 1-minute load average, to show how busy the shared machine was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn main() {
    let (n, p) = (arg("--rows", 1_000_000), arg("--features", 30));
    let seed = arg("--seed", 7) as u64;
    let t0 = Instant::now();
    let table = generate(n, p, seed);
    println!(
        "generated {n} rows x {p} features in {:.2} s",
        t0.elapsed().as_secs_f64()
    );

    let rows: Vec<usize> = (0..n).collect();
    let t0 = Instant::now();
    let pre = Preprocessor::fit(&table, &rows).unwrap();
    let x = pre.transform(&table, None).unwrap();
    let y: Vec<bool> = table.labels.iter().map(|l| *l == Some(true)).collect();
    println!(
        "matrix (column-major) built in {:.2} s",
        t0.elapsed().as_secs_f64()
    );
    let settings = TrainParams::new()
        .check()
        .expect("default settings are valid");
    // Every alpha of the grid on the whole matrix: cold (from the intercept-only optimum) and
    // as the grid walks it (largest alpha first, each fit from the last one's optimum).
    let mut alphas = settings.alphas().to_vec();
    alphas.sort_by(|a, b| b.total_cmp(a));
    let opts = SolverOptions::default();
    let (mut cold_total, mut walk_total) = (0.0, 0.0);
    let mut last = None;
    println!("alpha       cold fit CPU s   walk fit CPU s   (1 thread, tolerance 1e-4 x n)");
    let limit = |m: &fit::LogitFit| {
        if m.convergence.hit_limit {
            " (limit)"
        } else {
            ""
        }
    };
    for &alpha in &alphas {
        let cpu0 = cpu_seconds().unwrap_or(f64::NAN);
        let cold = fit::fit(x.view(), &y, alpha, &opts).unwrap();
        let cpu1 = cpu_seconds().unwrap_or(f64::NAN);
        let walk = fit::fit_from(x.view(), &y, alpha, &opts, last.as_ref()).unwrap();
        let cpu2 = cpu_seconds().unwrap_or(f64::NAN);
        println!(
            "{alpha:<10} {:>10.2}{}      {:>10.2}{}",
            cpu1 - cpu0,
            limit(&cold),
            cpu2 - cpu1,
            limit(&walk),
        );
        cold_total += cpu1 - cpu0;
        walk_total += cpu2 - cpu1;
        last = Some(walk);
    }
    let k = alphas.len() as f64;
    println!(
        "mean CPU per fit: cold {:.2} s, walk {:.2} s",
        cold_total / k,
        walk_total / k
    );
    if let Some(dir) = dump_dir() {
        dump(&dir, &x, &y);
        println!(
            "matrix written to {} for bench/train_sklearn.py",
            dir.display()
        );
    }
    drop(x);

    let mut walls = Vec::new();
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let (t0, cpu0) = (Instant::now(), cpu_seconds());
        let search = pool
            .install(|| grid_search(&table, &settings, 0, &churn::progress::Silent))
            .unwrap();
        let wall = t0.elapsed().as_secs_f64();
        // CPU time / wall time: the cores this process actually got (2.0 at best).
        let cores = cpu_seconds()
            .zip(cpu0)
            .map_or(f64::NAN, |(b, a)| (b - a) / wall);
        println!(
            "grid search {} alphas x {} folds, {threads} thread(s): {wall:.2} s wall, \
             {cores:.2} cores busy (chosen alpha {}, load average {})",
            search.alphas.len(),
            search.plan.folds.len(),
            search.alphas[search.chosen],
            load_average()
        );
        walls.push(wall);
    }
    println!("speedup 2 threads vs 1: {:.2}x", walls[0] / walls[1]);
    if let Some(mib) = churn::util::peak_rss_mib() {
        println!("peak RSS: {mib:.0} MiB");
    }
}
