//! The `churn` command line: parse flags, run one library step per subcommand, and map errors to
//! documented exit codes (see `cli::exit_code`).

// Errors carry named fields (table, column, row, value) for clear messages; they are the
// cold path, so their size does not matter.
#![allow(clippy::result_large_err)]

mod cli;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

/// glibc's allocator, which now serves only the C libraries (Zstd, LZ4) and anything else
/// allocated outside Rust. It mmaps large blocks and unmaps them on free by default, so buffers
/// were zeroed pages faulted in anew (measured when it served every Parquet part's buffers, in
/// bench/README.md); with a high mmap and trim threshold freed blocks are reused. Two arenas
/// keep memory from spreading over one heap per thread. Then mimalloc's purge delay (below).
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; called before any thread is started.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
    // mimalloc (v3, the version built) returns freed memory to the system 1,000 ms after it
    // is freed. At 200 ms the 3M-customer score peaked at 1.80-1.84 GiB against 1.94-1.95 GiB
    // with the default, in interleaved runs, at the same speed within the machine's noise
    // (bench/README.md); the nightly job's bound is 2 GiB. MIMALLOC_PURGE_DELAY overrides it.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: mi_option_set only stores an option's value; mimalloc reads it when it next
        // decides to purge.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 200) };
    }
}

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (include/mimalloc.h; an option's
/// number never changes, new ones are appended).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

extern "C" {
    /// mimalloc's `mi_option_set`, linked in with the allocator (libmimalloc-sys).
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// Rust's allocations go to mimalloc. Measured on `churn score` (bench/README.md): at 1M
/// customers it peaked at 1.03-1.10 GiB against 1.19-1.21 GiB with the tuned glibc allocator,
/// at 2-3 s more load; at 3M at 2.37-2.39 GiB against 3.25 GiB, and faster. Allocation never
/// changes a result.
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
