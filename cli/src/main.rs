//! `cellmap`: per-cell gene maps from cell masks and spatial transcriptomics, as a batch tool.
//!
//! This binary is glue: it turns flags and files into calls of the `cellmap` pipeline crate and
//! atomically written outputs (file formats from `cellmap-io`). Exit codes: 0 ok, 1 bad input (or
//! an internal error, reported as such in one line), 2 usage error. Messages go through
//! [`report`], which never panics on a closed stdout or stderr.

mod anndata;
mod args;
mod bundle;
mod cmd;
mod inputs;
mod memory;
mod out;
mod report;
mod run_folder;
mod tiles;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    report::install_panic_hook();
    // Usage errors exit with 2 (clap's convention); `--help`/`--version` with 0. clap's own
    // printing ignores a closed or broken stream (it returns the error, which is dropped).
    let cli = match Cli::try_parse().and_then(|cli| cli.validate().map(|()| cli)) {
        Ok(cli) => cli,
        Err(usage) => {
            let _ = usage.print();
            return ExitCode::from(u8::try_from(usage.exit_code()).unwrap_or(2));
        }
    };
    memory::init(cli.max_memory);
    // A panic has been reported in one line by the hook; it is a failure like bad input (1),
    // not Rust's 101.
    match std::panic::catch_unwind(|| dispatch(cli.command)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        // A usage error found after parsing (e.g. an output that is also an input).
        Ok(Err(error)) if error.is::<out::UsageError>() => {
            report::error_line(&format!(
                "error: {}\n\nFor more information, try '--help'.",
                report::one_line(&error)
            ));
            ExitCode::from(2)
        }
        Ok(Err(error)) => {
            report::error_line(&format!("error: {}", report::one_line(&error)));
            ExitCode::from(1)
        }
        Err(_) => ExitCode::from(1),
    }
}

/// Runs one subcommand; an error is bad input (exit code 1), or a usage error (2) found after
/// parsing (e.g. an output that is also an input).
fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Label(args) => cmd::label::run(args),
        Command::Rasterize(args) => cmd::rasterize::run(args),
        Command::Reduce(args) => cmd::reduce::run(args),
        Command::Run(args) => cmd::run::run(*args),
        Command::Assign(args) => cmd::assign::run(*args),
        Command::Publish(args) => cmd::publish::run(*args),
        Command::Bench(args) => cmd::bench::run(args),
        Command::Demo(args) => cmd::demo::run(args),
        Command::Cluster(args) => cmd::cluster::run(*args),
        Command::Segeval(args) => cmd::segeval::run(args),
        Command::Heatmap(args) => cmd::heatmap::run(*args),
        Command::Evaluate(args) => cmd::evaluate::run(args),
    }
}
