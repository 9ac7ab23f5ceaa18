//! The `churn` command line: parse flags, run one library step per subcommand, and map errors to
//! documented exit codes (see `cli::exit_code`).

// Errors carry named fields (table, column, row, value) for clear messages; they are the
// cold path, so their size does not matter.
#![allow(clippy::result_large_err)]

mod cli;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

/// glibc's allocator, which still serves the C code (Zstd, Snappy) and anything allocated
/// outside Rust: large blocks are mmapped and unmapped on free by default, so each Parquet part's
/// buffers were zeroed pages faulted in anew; with a high mmap and trim threshold freed blocks are
/// reused. Two arenas keep memory from spreading over one heap per thread. Measured in
/// bench/README.md.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; called before any thread is started.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Rust's allocations go to mimalloc: at 1M customers `churn score` peaked at 1.28-1.30 GiB
/// with it against 1.40-1.61 GiB with the tuned glibc allocator over the same runs, in the same
/// or less time (bench/README.md). Allocation never changes a result.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tune_allocator();
    let args = cli::Cli::parse();
    cli::init_logging(args.quiet);
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if cli::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            // A closed stderr must not turn a refusal into a panic: ignore failed writes.
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "error: {err:#}");
            if let Some(hint) = cli::hint(&err) {
                let _ = writeln!(stderr, "hint: {hint}");
            }
            ExitCode::from(cli::exit_code(&err))
        }
    }
}
