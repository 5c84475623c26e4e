//! `cellmap`: per-cell gene maps from cell masks and spatial transcriptomics, as a batch tool.
//!
//! This binary is glue: it turns flags and files into calls of the `cellmap` pipeline crate and
//! atomically written outputs (file formats from `cellmap-io`). Exit codes: 0 ok, 1 bad input, 2 usage error.

mod args;
mod cmd;
mod memory;
mod out;
mod report;
mod tiles;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    // Usage errors exit with 2 (clap's convention); `--help`/`--version` with 0.
    let cli = Cli::parse();
    memory::init(cli.max_memory);
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}

/// Runs one subcommand; any error is bad input (exit code 1).
fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Label(args) => cmd::label::run(args),
        Command::Reduce(args) => cmd::reduce::run(args),
        Command::Run(args) => cmd::run::run(args),
        Command::Assign(args) => cmd::assign::run(args),
        Command::Bench(args) => cmd::bench::run(args),
        Command::Demo(args) => cmd::demo::run(args),
    }
}
