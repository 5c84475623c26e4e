//! A firmware image's use of the C ABI, for its footprint: a 256×256 `u8`
//! mask and one `f32` channel in, fill + label, per-cell means, a colour
//! table and an RGBA map out, every buffer a `static` (as a C firmware
//! would declare them) and sized at compile time from the same `const fn`s
//! the header's size functions call.
//!
//! Built for `thumbv7em-none-eabihf` it is linked with `--gc-sections` and
//! no linker script (no vector table: this image only measures);
//! `bench/acquire.sh` prints its flash (`.text` + `.rodata` + `.data`) and
//! RAM (`.data` + `.bss`). On a hosted target it is an empty program, so
//! `cargo clippy --workspace` and `cargo test --workspace` pass.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod image {
    use cellmap_ffi::*;
    use core::ptr::{addr_of, addr_of_mut, null, null_mut};

    const W: usize = 256;
    const H: usize = 256;
    const N: usize = W * H;
    /// Per-cell tables hold up to this many cells (a 256×256 tile of
    /// 10-pixel cells has about 650).
    const MAX_CELLS: usize = 4095;
    const TABLE: usize = cellmap_core::stats::table_len(MAX_CELLS);
    const SCRATCH: usize = cellmap_core::fill_holes_and_label_scratch_len(W, H);

    static mut MASK: [u8; N] = [0; N];
    static mut CHANNEL: [f32; N] = [0.0; N];
    static mut LABELS: [i32; N] = [0; N];
    static mut SCRATCH_RUNS: [u32; SCRATCH] = [0; SCRATCH];
    static mut COUNTS: [u32; TABLE] = [0; TABLE];
    static mut MEANS: [f64; TABLE] = [0.0; TABLE];
    static mut COLORS: [u32; TABLE] = [0; TABLE];
    static mut RGBA: [u32; N] = [0; N];

    /// One frame: the camera (DMA) has written `MASK` and `CHANNEL`.
    fn frame() -> CellmapStatus {
        let mut n_cells = 0usize;
        // SAFETY: single-threaded image; each static is used by one call at a time.
        unsafe {
            let status = cellmap_fill_holes_and_label(
                addr_of!(MASK).cast(),
                CELLMAP_U8,
                W,
                H,
                CELLMAP_CONNECTIVITY_4,
                addr_of_mut!(LABELS).cast(),
                N,
                addr_of_mut!(SCRATCH_RUNS).cast(),
                SCRATCH,
                &mut n_cells,
            );
            if status != CELLMAP_OK {
                return status;
            }
            let status = cellmap_cell_means(
                addr_of!(LABELS).cast(),
                W,
                H,
                n_cells,
                addr_of!(CHANNEL).cast(),
                CELLMAP_F32,
                null(),
                0,
                0,
                addr_of_mut!(COUNTS).cast(),
                TABLE,
                addr_of_mut!(MEANS).cast(),
                TABLE,
            );
            if status != CELLMAP_OK {
                return status;
            }
            let table = cellmap_table_len(n_cells);
            let status = cellmap_cell_colors(
                addr_of!(MEANS).cast(),
                table,
                CELLMAP_RANGE_MIN_MAX,
                0.0,
                0.0,
                0,
                CELLMAP_COLORMAP_VIRIDIS,
                0x0000_00FF,
                0x8080_80FF,
                null_mut(),
                0,
                addr_of_mut!(COLORS).cast(),
                TABLE,
                null_mut(),
            );
            if status != CELLMAP_OK {
                return status;
            }
            cellmap_paint(
                addr_of!(LABELS).cast(),
                W,
                H,
                addr_of!(COLORS).cast(),
                table,
                0,
                0,
                addr_of_mut!(RGBA).cast(),
                N,
            )
        }
    }

    /// The entry point (no runtime: the image is measured, not flashed).
    #[unsafe(no_mangle)]
    pub extern "C" fn _start() -> ! {
        loop {
            core::hint::black_box(frame());
        }
    }
}

#[cfg(not(target_os = "none"))]
fn main() {}
