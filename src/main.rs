//! The `postbode` binary: parse arguments, set up logging, run the command.
//! Everything else lives in the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = postbode::cli::Args::parse();
    std::process::ExitCode::from(postbode::cli::run(args))
}
