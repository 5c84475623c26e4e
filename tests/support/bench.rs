//! Shared helpers for the criterion benches in `tests/benches/`: where the
//! inputs of `bash bench/make-data.sh` live, loading them through
//! `cellmap-io` outside the timed loops, and the clock to time with
//! (`cellmap::bench::Clock`, picked by `CELLMAP_BENCH_CLOCK=wall|cpu`).
//!
//! A bench whose input is missing prints how to make it and skips (the
//! loaders return `None`), so `cargo bench` still runs in a fresh checkout.

use std::path::PathBuf;

use cellmap_core::{Connectivity, Grid, fill_holes_and_label, fill_holes_and_label_scratch_len};
use cellmap_io::Limits;
use cellmap_io::npy::ArrayData;
use cellmap_io::npz::Csr;

/// The one benchmark clock (wall or thread CPU time), shared with
/// `cellmap bench`.
pub use cellmap::bench::Clock;

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

/// A scipy `save_npz` CSR file of `target/bench-data`, e.g.
/// `st_1024x1024_s0_g5100_d0.01.npz` (validated, in the file's dtypes: time
/// kernels on it through [`cellmap_io::npz::Csr::visit`]), or `None` when it
/// has not been generated.
pub fn load_csr(name: &str) -> Option<Csr> {
    let path = data_file(name)?;
    let csr =
        cellmap_io::fs::read_csr(&path, &Limits::default()).unwrap_or_else(|e| panic!("bench CSR: {e}"));
    csr.validate().unwrap_or_else(|e| panic!("bench CSR: {e}"));
    Some(csr)
}

/// The clock a bench times with: `CELLMAP_BENCH_CLOCK=wall|cpu`
/// ([`Clock::from_env`]), `default` when it is unset. Another value stops
/// the bench with the message (exit code 2).
///
/// Use it through criterion's `iter_custom`:
/// `b.iter_custom(|iters| clock.time(iters, || kernel(...)))`, in a group
/// named [`Clock::group_name`] so that CPU and wall results never share a
/// saved baseline.
pub fn clock_from_env(default: Clock) -> Clock {
    Clock::from_env(default).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    })
}
