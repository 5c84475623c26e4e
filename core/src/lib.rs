//! # cellmap-core
//!
//! The allocation-free engine of cellmap: it turns a cell-segmentation mask
//! and per-pixel gene expression into per-cell gene maps, with exactly the
//! numbers scipy gives (`ndimage.binary_fill_holes`, `ndimage.label`,
//! zero/NaN-skipping per-cell means).
//!
//! ## Should I use this crate?
//!
//! Use it if you embed cellmap in firmware, instrument software, or another
//! library and want to own every buffer: it is `#![no_std]`, never allocates,
//! never panics on caller data, and every kernel writes into slices you pass
//! in. If you want to read files, use `cellmap-io`; for a command-line batch
//! job, the `cellmap` binary (`cellmap-cli`); in a browser, the
//! `cellmap-wasm` package and the viewer in `web/`. This crate holds the
//! kernels only: synthetic masks and expression with a known truth (demo
//! data, tests, benchmarks) come from `cellmap-sim`.
//!
//! ## Conventions
//!
//! * Images are row-major slices wrapped once in a [`Grid`], which checks
//!   `len == width * height`.
//! * Foreground is any nonzero mask value ([`MaskValue`]); labels are
//!   `0` for background and `1..=N` for cells ([`Label`]).
//! * Every kernel returns `Result<_, Error>`; buffer sizes are checked
//!   before anything is written.
//! * **Per-cell tables are indexed by label**, inputs and outputs alike:
//!   entry `c` is cell `c` and entry 0 the background, so a table for
//!   `n_cells` cells has [`stats::table_len`]`(n_cells) = n_cells + 1`
//!   entries; a per-label × gene table is row-major with entry
//!   `label * n_genes + gene` (row 0: the background). This holds for
//!   [`stats`], [`sparse`], [`regions`], [`assign::count_cell_genes`] and
//!   the colour tables ([`color::normalize`] reads and writes them and
//!   ignores entry 0, [`color::cell_colors`] gives entry 0 the background
//!   colour, [`color::paint`] indexes the colour table with the labels).
//!   Functions that are not about cells — [`color::levels`],
//!   [`color::value_range`], [`color::percentile`],
//!   [`stats::add_skipping_nan`] — work on any slice, element by element
//!   or as one sample; they never treat entry 0 specially.
//!
//! ### Outputs on error
//!
//! Scratch buffers may hold anything after a call, whether it succeeds or
//! not — except that [`label`] and [`fill_holes_and_label`] leave the
//! labels as runs in theirs on success, which [`labeling::LabelRuns`]
//! reads back for the kernels that work on runs
//! ([`stats::channel_means_of_runs`], [`color::paint_runs`]). Output
//! buffers:
//!
//! * are **untouched** on every error — all checks, labels included,
//!   happen before the first write — for [`fill_holes`], [`label`],
//!   [`fill_holes_and_label`], the [`StaticSegmenter`] methods,
//!   [`sparse::csr_cell_stats`], [`sparse::csr_cell_means`],
//!   [`sparse::csr_to_gene_major`], [`stats::add_skipping_nan`],
//!   [`color::levels`], [`color::normalize`], [`color::cell_colors`],
//!   [`color::paint`], [`color::paint_runs`], [`assign::nearest_cell_map`],
//!   [`assign::count_cell_genes`] and [`polygon::fill_polygon`];
//! * are untouched on shape, size and argument errors but **reset** on
//!   [`Error::LabelOutOfRange`] (found while writing, so as not to read
//!   the labels twice) — to the empty value, never a partial result — for
//!   [`stats::cell_stats`], [`stats::cell_means`], [`stats::channel_sums`],
//!   [`stats::channel_means`] (and their `_of_runs` forms),
//!   [`regions::region_props`],
//!   [`sparse::gene_cell_stats`] and [`assign::assign_points`].
//!
//! Each kernel's docs say which applies.
//!
//! ### Buffer sizes
//!
//! One rule names every size helper; all are `const fn`s (usable in array
//! lengths), take sizes only (never data), and saturate at `usize::MAX` for
//! impossible sizes, which then fail the kernel's length check:
//!
//! * a kernel `foo` that takes one scratch buffer has
//!   `pub const fn foo_scratch_len(..) -> usize` next to it, e.g.
//!   [`label_scratch_len`]`(width, height)`,
//!   [`color::normalize_scratch_len`]`(&normalization, n_values)`;
//! * a kernel `foo` that takes several scratch buffers has a `FooScratch`
//!   struct whose `const fn new(..)` gives one length per buffer, in fields
//!   named like the kernel's parameters, e.g.
//!   [`sparse::CsrCellStatsScratch`]`::new(n_pixels, n_cells, n_genes)`
//!   `.row_sums` / `.order`;
//! * kernels that take the same scratch share one helper, named after one
//!   of them, and their docs say so ([`sparse::csr_cell_means`] uses
//!   [`sparse::CsrCellStatsScratch`], [`color::value_range`] uses
//!   [`color::normalize_scratch_len`]);
//! * outputs: per-label tables hold [`stats::table_len`]`(n_cells)`
//!   entries, per-label × gene tables
//!   [`stats::cell_gene_table_len`]`(n_cells, n_genes)`; other outputs are
//!   as long as an input (`width * height`, `values.len()`, ...) or have a
//!   helper named after the buffer ([`sparse::gene_ptr_len`]).
//!
//! # Crate features
//!
//! * `serde` — derives `Serialize`/`Deserialize` for configuration types
//!   (no default features of serde; still `no_std`).
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

#[cfg(test)]
extern crate std;

pub mod assign;
pub mod cluster;
pub mod color;
pub mod error;
pub mod evaluate;
pub mod fill;
pub mod graph;
pub mod grid;
pub mod heatmap;
pub mod labeling;
pub mod linalg;
pub mod loess;
pub mod polygon;
pub mod preprocess;
pub mod regions;
pub mod segeval;
pub mod sparse;
pub mod static_segmenter;
pub mod stats;

pub use color::Colormap;
pub use error::Error;
pub use fill::{fill_holes, fill_holes_scratch_len};
pub use grid::{Grid, Label, MaskValue};
pub use labeling::{
    Connectivity, fill_holes_and_label, fill_holes_and_label_scratch_len, label, label_background,
    label_scratch_len,
};
pub use regions::{BoundingBox, Region};
pub use sparse::{Csr, GeneMajor};
pub use static_segmenter::StaticSegmenter;
pub use stats::CellStats;
