//! cellmap-io decoders on in-memory bytes (no file I/O in the timed loop):
//! a 64 MB int32 `.npy` next to a plain `memcpy` of the same bytes (the
//! floor), the 100-gene scipy CSR `.npz` (3 MB deflated), and 200 k
//! transcript CSV rows with the Xenium preset.
//!
//! Input: `target/bench-data/` (run `bash bench/make-data.sh`).

use std::hint::black_box;

use cellmap_io::npz::Npz;
use cellmap_io::transcripts::{self, Options};
use cellmap_tests::bench::{self, Clock};
use criterion::{Criterion, criterion_group, criterion_main};

/// 200 k Xenium-style rows (1 in 16 a control probe, qv uniform in 0..40).
fn xenium_csv() -> Vec<u8> {
    let mut text = String::from(
        "transcript_id,cell_id,overlaps_nucleus,feature_name,x_location,y_location,z_location,qv\n",
    );
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for i in 0..200_000u64 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let gene =
            if i % 16 == 0 { "NegControlProbe_00042".to_string() } else { format!("GENE{}", state % 300) };
        let (x, y, qv) = ((state >> 12) % 217_600, (state >> 30) % 217_600, (state >> 50) % 400);
        text.push_str(&format!(
            "{i},UNASSIGNED,0,{gene},{}.{:03},{}.{:03},5.0,{}.{}\n",
            x / 1000,
            x % 1000,
            y / 1000,
            y % 1000,
            qv / 10,
            qv % 10
        ));
    }
    text.into_bytes()
}

fn bench(c: &mut Criterion) {
    let clock = bench::clock_from_env(Clock::Wall);
    let mut group = c.benchmark_group(clock.group_name("io"));
    group.sample_size(10);
    if let Some(bytes) = bench::read_bytes("owner_4096x4096_s0.npy") {
        group.bench_function("npy_read_64MB_int32", |b| {
            b.iter_custom(|iters| {
                clock
                    .time(iters, || cellmap_io::npy::read(black_box(&bytes), "owner.npy").expect("valid npy"))
            })
        });
        group.bench_function("memcpy_64MB_peer", |b| {
            b.iter_custom(|iters| clock.time(iters, || black_box(&bytes).to_vec()))
        });
    }
    if let Some(bytes) = bench::read_bytes("st_1024x1024_s0_g100_d0.01.npz") {
        group.bench_function("npz_csr_g100", |b| {
            b.iter_custom(|iters| {
                clock.time(iters, || {
                    Npz::from_bytes(black_box(&bytes), "st.npz")
                        .and_then(|mut npz| npz.csr())
                        .expect("valid csr")
                })
            })
        });
    }
    let csv = xenium_csv();
    group.bench_function("transcripts_xenium_200k_rows", |b| {
        b.iter_custom(|iters| {
            clock.time(iters, || {
                transcripts::read_bytes(black_box(&csv), "t.csv", &Options::xenium()).expect("valid csv")
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
