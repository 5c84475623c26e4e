//! `cellmap bench`: times every kernel (median of repeats, one thread) on a synthetic tile or on
//! the files of `bash bench/make-data.sh`, with `cellmap::bench` (its clock, harness and suite).

use anyhow::Result;
use cellmap::bench::{self, Clock, Input, Timing, Unit};
use serde_json::{Map, Value, json};

use crate::args::BenchArgs;
use crate::report::emit;

pub fn run(args: BenchArgs) -> Result<()> {
    let clock = match args.clock {
        Some(arg) => Clock::from_name(arg.name())?,
        None => Clock::from_env(Clock::Wall)?,
    };
    let input = match &args.data {
        Some(dir) => Input::Files { dir, size: args.size },
        None => Input::Synthetic { size: args.size, genes: args.genes },
    };
    let report = bench::run(&input, clock, args.repeats)?;

    let mut text = format!(
        "{}: {}×{} px, {} cells, {} genes, {} nonzeros; median {} time of {} (ms)\n",
        report.source,
        report.height,
        report.width,
        report.cells,
        report.genes,
        report.nnz,
        report.clock.name(),
        report.repeats
    );
    let width = report.results.iter().map(|t| t.kernel.len()).max().unwrap_or(0).max(12);
    text += &format!("{:<width$} {:>10}", "kernel", "ms");
    for unit in Unit::ALL {
        text += &format!(" {:>10}", unit.label());
    }
    for t in &report.results {
        text += &format!("\n{:<width$} {:>10.3}", t.kernel, t.ms);
        for unit in Unit::ALL {
            let rate = if t.unit == unit { format!("{:.1}", t.rate) } else { "-".to_string() };
            text += &format!(" {rate:>10}");
        }
    }
    let summary = json!({
        "source": report.source,
        "width": report.width,
        "height": report.height,
        "cells": report.cells,
        "genes": report.genes,
        "nnz": report.nnz,
        "repeats": report.repeats,
        "clock": report.clock.name(),
        "threads": 1,
        "results": report.results.iter().map(row).collect::<Vec<_>>(),
    });
    emit(args.json, summary, &text)
}

/// A timing as `bench/compare.py` reads it: `{"kernel", "ms", "<unit>_per_s"}`.
fn row(t: &Timing) -> Value {
    let mut row = Map::new();
    row.insert("kernel".into(), t.kernel.into());
    row.insert("ms".into(), t.ms.into());
    row.insert(t.unit.json_field().into(), t.rate.into());
    Value::Object(row)
}
