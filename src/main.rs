//! The `churn` command line: parse flags, run one library step per subcommand, and map errors to
//! documented exit codes (see `cli::exit_code`).

// Errors carry named fields (table, column, row, value) for clear messages; they are the
// cold path, so their size does not matter.
#![allow(clippy::result_large_err)]

mod cli;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
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
