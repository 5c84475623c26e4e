//! Hole filling and labeling on the seeded synthetic tissue masks
//! (`bash bench/make-data.sh` writes them to `target/bench-data/`):
//! fill, label (4 and 8), the fused fill+label, and fill then label as two
//! calls (what the fused kernel saves). Compare with the Python peers in the
//! same session: `.venv/bin/python bench/peers/labeling.py`.
//!
//! On a shared, loaded machine wall time mostly measures the scheduler:
//! `CELLMAP_BENCH_CLOCK=cpu cargo bench --bench labeling` times thread CPU
//! time instead (groups `labeling_cpu_<size>`; Unix only), to be compared
//! with `bench/peers/labeling.py --clock cpu`.

use std::path::PathBuf;

use cellmap_core::{
    Connectivity, Grid, fill_holes, fill_holes_and_label, fill_holes_and_label_scratch_len,
    fill_holes_scratch_len, label, label_scratch_len,
};
use criterion::measurement::{Measurement, WallTime};
use criterion::{Criterion, criterion_group, criterion_main};

fn bench_data_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("bench-data")
}

/// The mask as (width, height, 0/255 bytes), or `None` when the data is missing.
fn load_mask(size: usize) -> Option<(usize, usize, Vec<u8>)> {
    let path = bench_data_dir().join(format!("mask_{size}x{size}_s0.npy"));
    let Ok(bytes) = std::fs::read(&path) else {
        eprintln!("{} is missing: run `bash bench/make-data.sh` first; skipping", path.display());
        return None;
    };
    let array = cellmap_tests::npy::parse(&bytes).expect("bench mask is a valid .npy");
    let (height, width) = (array.shape[0], array.shape[1]);
    Some((width, height, array.to::<u8>()))
}

/// True when `CELLMAP_BENCH_CLOCK=cpu` asks for CPU time.
fn cpu_clock_requested() -> bool {
    std::env::var("CELLMAP_BENCH_CLOCK").is_ok_and(|clock| clock == "cpu")
}

fn labeling_wall(c: &mut Criterion<WallTime>) {
    if !cpu_clock_requested() {
        labeling(c, "labeling");
    }
}

#[cfg(unix)]
fn labeling_cpu(c: &mut Criterion<cpu_clock::ThreadCpuTime>) {
    if cpu_clock_requested() {
        labeling(c, "labeling_cpu");
    }
}

fn labeling<M: Measurement>(c: &mut Criterion<M>, prefix: &str) {
    for size in [1024, 4096] {
        let Some((width, height, mask)) = load_mask(size) else { continue };
        let grid = Grid::new(width, height, &mask).expect("square mask");
        let mut group = c.benchmark_group(format!("{prefix}_{size}"));
        if size > 1024 {
            group.sample_size(10);
        }
        let mut filled = vec![false; width * height];
        let mut labels = vec![0i32; width * height];
        let mut scratch = vec![
            0u32;
            fill_holes_scratch_len(width, height)
                .max(label_scratch_len(width, height))
                .max(fill_holes_and_label_scratch_len(width, height))
        ];
        group.bench_function("fill", |b| b.iter(|| fill_holes(grid, &mut filled, &mut scratch).unwrap()));
        group.bench_function("label_4", |b| {
            b.iter(|| label(grid, Connectivity::Four, &mut labels, &mut scratch).unwrap())
        });
        group.bench_function("label_8", |b| {
            b.iter(|| label(grid, Connectivity::Eight, &mut labels, &mut scratch).unwrap())
        });
        group.bench_function("fill_label_4", |b| {
            b.iter(|| fill_holes_and_label(grid, Connectivity::Four, &mut labels, &mut scratch).unwrap())
        });
        group.bench_function("fill_then_label_4", |b| {
            b.iter(|| {
                fill_holes(grid, &mut filled, &mut scratch).unwrap();
                let filled = Grid::new(width, height, &filled[..]).unwrap();
                label(filled, Connectivity::Four, &mut labels, &mut scratch).unwrap()
            })
        });
        let cells = fill_holes_and_label(grid, Connectivity::Four, &mut labels, &mut scratch).unwrap();
        eprintln!("labeling_{size}: {cells} cells after fill + label (4-connectivity)");
        group.finish();
    }
}

#[cfg(unix)]
mod cpu_clock {
    use criterion::measurement::{Measurement, ValueFormatter, WallTime};

    /// Criterion measurement of the calling thread's CPU time
    /// (`CLOCK_THREAD_CPUTIME_ID`), in nanoseconds like `WallTime`.
    #[derive(Debug)]
    pub struct ThreadCpuTime;

    static NANOSECONDS: WallTime = WallTime;

    fn now_ns() -> u64 {
        let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `now` is a valid, writable timespec and the clock id is a
        // constant every Unix this runs on supports; nothing is retained.
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
        now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64
    }

    impl Measurement for ThreadCpuTime {
        type Intermediate = u64;
        type Value = u64;
        fn start(&self) -> u64 {
            now_ns()
        }
        fn end(&self, start: u64) -> u64 {
            now_ns().saturating_sub(start)
        }
        fn add(&self, a: &u64, b: &u64) -> u64 {
            a + b
        }
        fn zero(&self) -> u64 {
            0
        }
        fn to_f64(&self, value: &u64) -> f64 {
            *value as f64
        }
        fn formatter(&self) -> &dyn ValueFormatter {
            NANOSECONDS.formatter()
        }
    }
}

criterion_group!(wall, labeling_wall);
#[cfg(unix)]
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(cpu_clock::ThreadCpuTime);
    targets = labeling_cpu
}
#[cfg(unix)]
criterion_main!(wall, cpu);
#[cfg(not(unix))]
criterion_main!(wall);
