//! Shared helpers for the criterion benches in `tests/benches/`: where the
//! inputs of `bash bench/make-data.sh` live, loading them through
//! `cellmap-io` outside the timed loops, and the clock to time with.
//!
//! A bench whose input is missing prints how to make it and skips (the
//! loaders return `None`), so `cargo bench` still runs in a fresh checkout.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use cellmap_core::{Connectivity, Grid, fill_holes_and_label, fill_holes_and_label_scratch_len};
use cellmap_io::Limits;
use cellmap_io::npy::ArrayData;
use cellmap_io::npz::{IndexArray, ValueArray};

/// `target/bench-data`: under `CARGO_TARGET_DIR` when it is set, else under
/// the workspace's `target/`.
pub fn data_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("target"))
        .join("bench-data")
}

/// `target/bench-data/<name>` if it exists; otherwise prints that
/// `bash bench/make-data.sh` makes it and returns `None` (the bench skips).
pub fn data_file(name: &str) -> Option<PathBuf> {
    let path = data_dir().join(name);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!("{} is missing: run `bash bench/make-data.sh` first; skipping", path.display());
        None
    }
}

/// The raw bytes of a bench input (for timing the decoders themselves).
pub fn read_bytes(name: &str) -> Option<Vec<u8>> {
    let path = data_file(name)?;
    Some(std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// A bench mask: `uint8` pixels, 0 background and 255 foreground.
#[derive(Debug, Clone)]
pub struct Mask {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Pixels in row-major order.
    pub pixels: Vec<u8>,
}

impl Mask {
    /// The pixels as a grid for the core kernels.
    pub fn grid(&self) -> Grid<'_, u8> {
        Grid::new(self.width, self.height, &self.pixels[..]).expect("mask pixels are width × height")
    }

    /// Hole-filled and labelled like scipy's `binary_fill_holes` then
    /// `ndimage.label` (same numbering).
    pub fn fill_and_label(&self, connectivity: Connectivity) -> Labels {
        let (width, height) = (self.width, self.height);
        let mut labels = vec![0i32; width * height];
        let mut scratch = vec![0u32; fill_holes_and_label_scratch_len(width, height)];
        let cells = fill_holes_and_label(self.grid(), connectivity, &mut labels, &mut scratch)
            .expect("scratch and labels are sized for the mask");
        Labels { width, height, labels, cells }
    }
}

/// A label image with its cells numbered `1..=cells` (0 = background).
#[derive(Debug, Clone)]
pub struct Labels {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Labels in row-major order.
    pub labels: Vec<i32>,
    /// Number of cells (the largest label).
    pub cells: usize,
}

impl Labels {
    /// The labels as a grid for the core kernels.
    pub fn grid(&self) -> Grid<'_, i32> {
        Grid::new(self.width, self.height, &self.labels[..]).expect("labels are width × height")
    }
}

/// `mask_<side>x<side>_s0.npy` (the seed-0 synthetic tissue of `side` pixels
/// square), or `None` when it has not been generated.
pub fn load_mask(side: usize) -> Option<Mask> {
    let path = data_file(&format!("mask_{side}x{side}_s0.npy"))?;
    let array =
        cellmap_io::fs::read_mask(&path, &Limits::default()).unwrap_or_else(|e| panic!("bench mask: {e}"));
    let (height, width) = array.dims_2d(&path.display().to_string(), "mask").expect("read_mask checks 2-D");
    let ArrayData::U8(pixels) = array.into_parts().1 else {
        panic!("{}: expected a uint8 mask (bench/make-data.sh writes 0/255 bytes)", path.display())
    };
    Some(Mask { width, height, pixels })
}

/// The bench tile: the 1024×1024 mask (2,487 cells) hole-filled and
/// labelled with 4-connectivity, as scipy would.
pub fn load_tile() -> Option<Labels> {
    Some(load_mask(1024)?.fill_and_label(Connectivity::Four))
}

/// A bench CSR matrix (pixels × genes) with the dtypes `bench/gen_masks.py`
/// writes: `int32` indices, `float32` values.
#[derive(Debug, Clone)]
pub struct Csr32 {
    /// Columns (genes).
    pub genes: usize,
    /// `rows + 1` row pointers.
    pub indptr: Vec<i32>,
    /// Column of each stored value.
    pub indices: Vec<i32>,
    /// Stored values.
    pub data: Vec<f32>,
}

/// A scipy `save_npz` CSR file of `target/bench-data`, e.g.
/// `st_1024x1024_s0_g5100_d0.01.npz`, or `None` when it has not been generated.
pub fn load_csr(name: &str) -> Option<Csr32> {
    let path = data_file(name)?;
    let csr =
        cellmap_io::fs::read_csr(&path, &Limits::default()).unwrap_or_else(|e| panic!("bench CSR: {e}"));
    match (csr.indptr, csr.indices, csr.data) {
        (IndexArray::I32(indptr), IndexArray::I32(indices), ValueArray::F32(data)) => {
            Some(Csr32 { genes: csr.shape.1, indptr, indices, data })
        }
        _ => panic!("{}: expected int32 indices and float32 data", path.display()),
    }
}

/// What a bench times: wall-clock time, or the CPU time of the benchmark
/// thread (`CLOCK_THREAD_CPUTIME_ID`, which includes memory stalls: the
/// clock of Python's `time.thread_time()`). On a shared, loaded machine wall
/// time mostly measures the scheduler; thread CPU time does not.
///
/// Used through criterion's `iter_custom`:
/// `b.iter_custom(|iters| clock.time(iters, || kernel(...)))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Wall-clock time (what criterion's `iter` measures).
    Wall,
    /// CPU time of the calling thread (Unix only).
    #[cfg(unix)]
    ThreadCpu,
}

impl Clock {
    /// `CELLMAP_BENCH_CLOCK=wall` or `=cpu`; `default` when it is unset.
    /// Panics on any other value, or on `cpu` where there is no thread CPU
    /// clock (not Unix).
    pub fn from_env(default: Clock) -> Clock {
        let Some(value) = std::env::var_os("CELLMAP_BENCH_CLOCK") else { return default };
        match value.to_str() {
            Some("wall") => Clock::Wall,
            #[cfg(unix)]
            Some("cpu") => Clock::ThreadCpu,
            _ => panic!("CELLMAP_BENCH_CLOCK must be `wall` or `cpu` (`cpu` on Unix only), got {value:?}"),
        }
    }

    /// The criterion group name for `base`: `base` for wall time,
    /// `<base>_cpu` for thread CPU time, so the two never share a saved
    /// baseline.
    pub fn group_name(self, base: &str) -> String {
        match self {
            Clock::Wall => base.to_string(),
            #[cfg(unix)]
            Clock::ThreadCpu => format!("{base}_cpu"),
        }
    }

    /// Time of `iters` calls of `routine` on this clock (its results go
    /// through `black_box`, as with criterion's `iter`).
    pub fn time<O>(self, iters: u64, mut routine: impl FnMut() -> O) -> Duration {
        match self {
            Clock::Wall => {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(routine());
                }
                start.elapsed()
            }
            #[cfg(unix)]
            Clock::ThreadCpu => {
                let start = thread_cpu_time();
                for _ in 0..iters {
                    black_box(routine());
                }
                thread_cpu_time().saturating_sub(start)
            }
        }
    }
}

/// CPU time consumed so far by the calling thread
/// (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)`; precise, unlike the
/// tick-granular `/proc/thread-self/schedstat`).
#[cfg(unix)]
pub fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid, writable timespec; the call only writes it
    // and retains nothing.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(status, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_keep_cpu_results_apart_from_wall_results() {
        assert_eq!(Clock::Wall.group_name("labeling"), "labeling");
        #[cfg(unix)]
        assert_eq!(Clock::ThreadCpu.group_name("labeling"), "labeling_cpu");
    }

    #[test]
    fn both_clocks_run_the_routine_iters_times_and_measure_it() {
        let clocks = [
            Clock::Wall,
            #[cfg(unix)]
            Clock::ThreadCpu,
        ];
        for clock in clocks {
            let mut calls = 0u64;
            let elapsed = clock.time(200, || {
                calls += 1;
                (0..10_000u64).map(black_box).sum::<u64>()
            });
            assert_eq!(calls, 200, "{clock:?}");
            assert!(elapsed > Duration::ZERO, "{clock:?}");
        }
    }
}
