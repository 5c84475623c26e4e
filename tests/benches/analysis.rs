//! The analysis kernels of issue 16 on the inputs `bench/analysis.py` writes (a 50,000-cell
//! table by default), timed as median of repeats and printed as one JSON object for that script,
//! which times the Python peers (scikit-learn, scipy.sparse, numpy, squidpy) in the same run.
//!
//! Usage: `cargo bench -p cellmap-tests --bench analysis -- DATA_DIR [REPEATS]`; DATA_DIR holds
//! `coords.f64` (x, y per cell), `table.f64` (cells × genes, row-major) and `shape.txt`
//! (`cells genes`), little-endian `f64`. Times are wall-clock (the peers are timed the same
//! way; some of them use both cores, cellmap's kernels one). `CELLMAP_BENCH_CLOCK=cpu` times
//! thread CPU time instead.
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use cellmap::bench::Clock;
use cellmap::evaluate::{knn_directed, morans_i};
use cellmap::graph::{knn_graph, smooth};

fn read_f64(path: &Path, len: usize) -> Vec<f64> {
    let mut file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::with_capacity(len);
    let mut buf = vec![0u8; 1 << 23];
    while out.len() < len {
        let want = ((len - out.len()) * 8).min(buf.len());
        file.read_exact(&mut buf[..want]).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        out.extend(buf[..want].chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().unwrap())));
    }
    out
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64()
}

fn time<O>(clock: Clock, repeats: usize, mut f: impl FnMut() -> O) -> f64 {
    std::hint::black_box(f()); // warm-up
    median((0..repeats).map(|_| clock.time(1, &mut f)).collect())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let Some(dir) = args.first().map(Path::new) else {
        eprintln!(
            "usage: cargo bench -p cellmap-tests --bench analysis -- DATA_DIR [REPEATS] (see bench/analysis.py)"
        );
        return;
    };
    let repeats: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(3);
    let clock = Clock::from_env(Clock::Wall).unwrap();
    let shape = std::fs::read_to_string(dir.join("shape.txt")).unwrap();
    let dims: Vec<usize> = shape.split_whitespace().map(|v| v.parse().unwrap()).collect();
    let (n, g) = (dims[0], dims[1]);
    let coords = read_f64(&dir.join("coords.f64"), 2 * n);
    let xs: Vec<f64> = coords.iter().step_by(2).copied().collect();
    let ys: Vec<f64> = coords.iter().skip(1).step_by(2).copied().collect();
    let table = read_f64(&dir.join("table.f64"), n * g);
    let knn_s = time(clock, repeats, || knn_graph(&xs, &ys, 5).unwrap());
    let graph = knn_graph(&xs, &ys, 5).unwrap();
    let smooth_s = time(clock, repeats, || smooth(&graph, &table, g, 1).unwrap());
    let (indptr, indices) = knn_directed(&xs, &ys, 8).unwrap();
    let moran_s = time(clock, repeats, || morans_i(&indptr, &indices, &table, g).unwrap());
    // Checksums let the script compare the results with the peers'.
    let smoothed = smooth(&graph, &table, g, 1).unwrap();
    let moran = morans_i(&indptr, &indices, &table, g).unwrap();
    let report = serde_json::json!({
        "cells": n,
        "genes": g,
        "clock": format!("{clock:?}"),
        "repeats": repeats,
        "knn_graph_s": knn_s,
        "knn_graph_entries": graph.indices.len(),
        "smooth_s": smooth_s,
        "smooth_checksum": smoothed.iter().sum::<f64>(),
        "morans_i_s": moran_s,
        "morans_i_first": &moran[..5.min(g)],
        "morans_i_sum": moran.iter().sum::<f64>(),
    });
    println!("{report}");
}
