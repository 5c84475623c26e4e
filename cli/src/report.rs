//! Printing results: a human sentence or one JSON object on stdout.

use std::io::Write;

use serde_json::Value;

/// Prints `json` (pretty) when `as_json`, else `text`. A closed pipe (`cellmap … | head`) is not an
/// error; any other write failure is.
pub fn emit(as_json: bool, json: Value, text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let written = if as_json { writeln!(out, "{json:#}") } else { writeln!(out, "{text}") };
    match written.and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(anyhow::Error::new(e).context("stdout")),
        _ => Ok(()),
    }
}
