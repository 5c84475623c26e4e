//! The viewer's call sequence on the `Session` API, run natively: the peer of
//! `wasm/bench/node.mjs`, which runs the same calls on the wasm build, so
//! the two print comparable lines ("within 2× of native").
//!
//! `cargo run --release -p cellmap-wasm --example native_timing [BENCH_DATA_DIR]`
//! (default `target/bench-data`; make it with `bash bench/make-data.sh`).
//! Timings are the minimum over repeats (robust on a busy machine).
use std::time::Instant;

use cellmap_wasm::Session;

fn min_ms(repeats: usize, mut f: impl FnMut()) -> f64 {
    (0..repeats)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "target/bench-data".into());
    let read = |name: &str| match std::fs::read(format!("{dir}/{name}")) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("{dir}/{name}: {e}; run `bash bench/make-data.sh` first");
            std::process::exit(1);
        }
    };
    let mask = read("mask_1024x1024_s0.npy");
    let Ok(mut session) = Session::from_mask(mask.clone(), "mask.npy") else {
        eprintln!("mask_1024x1024_s0.npy did not load");
        std::process::exit(1);
    };
    println!("cells {}", session.cell_count());
    let ms = min_ms(10, || drop(Session::from_mask(mask.clone(), "mask.npy")));
    println!("fromMask (decode + fill + label + regions): {ms:.2} ms");
    for (fill, connectivity, name) in [(true, "4", "true, \"4\""), (false, "8", "false, \"8\"")] {
        let ms = min_ms(10, || drop(session.set_mask_options(fill, connectivity)));
        println!("setMaskOptions({name}): {ms:.2} ms");
    }
    drop(session.set_mask_options(true, "4"));
    for file in ["st_1024x1024_s0_g100_d0.01.npz", "st_1024x1024_s0_g5100_d0.01.npz"] {
        let st = read(file);
        let start = Instant::now();
        if session.attach_expression_bytes(&st, file).is_err() {
            eprintln!("{file} did not load");
            std::process::exit(1);
        }
        println!("attachExpression {file}: {:.0} ms", start.elapsed().as_secs_f64() * 1e3);
        let genes = session.gene_count();
        let picks: Vec<u32> = (0..genes).step_by((genes as usize / 50).max(1)).collect();
        let mut compute = f64::INFINITY;
        let mut paint = f64::INFINITY;
        for &g in &picks {
            compute = compute.min(min_ms(3, || drop(session.compute_values(&[g], "mean"))));
            paint = paint.min(min_ms(3, || {
                drop(session.paint("viridis", "minmax", f64::NAN, f64::NAN, false, false))
            }));
        }
        let outlined =
            min_ms(10, || drop(session.paint("viridis", "minmax", f64::NAN, f64::NAN, false, true)));
        let five: Vec<u32> = (3..8).collect();
        let sum5 = min_ms(10, || drop(session.compute_values(&five, "sum")));
        println!(
            "{genes} genes: computeValues(1 gene, mean) {compute:.3} ms, paint {paint:.3} ms, \
             paint with outlines {outlined:.3} ms, computeValues(5 genes, sum) {sum5:.3} ms"
        );
    }
}
