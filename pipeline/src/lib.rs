//! # cellmap
//!
//! The cellmap pipeline, once for every front end: a cell mask or label
//! image plus spatial expression in, labels, per-cell statistics and
//! coloured maps out — with scipy's numbers. The `cellmap` CLI, the
//! WebAssembly viewer and other programs call this crate; it puts the
//! allocation-free kernels of `cellmap-core` together (the way `regex` sits
//! over `regex-automata`) and owns the policies they share:
//!
//! * **inputs** ([`input`]): when a file is a binary mask or a label image,
//!   and which label ids are accepted;
//! * **labels** ([`segment`]): `binary_fill_holes` + `label`, 4- or 8-connected;
//! * **expression** ([`Expression`]): a scipy CSR `.npz` or a dense `.npy` of
//!   any numeric dtype, as one pixels × genes matrix;
//! * **statistics** ([`Stat`], [`cell_table`], [`add_layer`]) of the genes
//!   of a [`GeneSelection`] (`10..30`, `1,5,7`; ranges, never expanded);
//! * **colour** ([`ColorScale`], [`paint_map`], [`Painter`]) with one palette;
//! * **regions** ([`regions`], `regions.csv`), **transcripts**
//!   ([`assign_transcripts`]), the **demo** ([`Demo`]);
//! * a [`Session`] that keeps every per-frame buffer for interactive use;
//! * **tiles** ([`tiles`]): slides labelled tile by tile, merged across the
//!   seams (hole filling included) to scipy's labels of the whole slide.
//!
//! ## Should I use this crate?
//!
//! Use it to compute per-cell gene maps from Rust with files or owned
//! buffers. For firmware or code that must own every byte, use
//! `cellmap-core` (`no_std`, no allocation); for the command line, the
//! `cellmap` binary; in a browser, the viewer in `web/`.
//!
//! ## Example
//!
//! Read a mask and a CSR, get the cell × gene means, paint a gene:
//!
//! ```
//! # let dir = tempfile::tempdir()?;
//! # let (mask_path, csr_path) = (dir.path().join("tile.npy"), dir.path().join("tile.npz"));
//! # let demo = cellmap::Demo::new(1, 96, 64, 20)?;
//! # let mask: Vec<u8> = demo.mask().data().iter().map(|&p| u8::from(p) * 255).collect();
//! # cellmap_io::fs::write_npy(&mask_path, &[64, 96], &mask)?;
//! # demo.expression().csr().write(std::fs::File::create(&csr_path)?, "tile.npz")?;
//! use cellmap::{CellImage, ColorScale, Expression, MaskKind, Selection, Stat};
//! let cells = match CellImage::read(&mask_path, MaskKind::Auto)? {
//!     CellImage::Mask(mask) => cellmap::segment(&mask, Default::default())?,
//!     CellImage::Labels(labels) => labels,
//! };
//! let expression = Expression::read(&csr_path, cells.height(), cells.width())?;
//! let means = cellmap::cell_table(&cells, &expression, Selection::default(), Stat::Mean)?;
//! let regions = cellmap::regions(&cells)?;
//! let map = cellmap::paint_map(&cells, &means.values_by_label(3), &regions, &ColorScale::default(), true)?;
//! assert_eq!(map.rgba.len(), 96 * 64 * 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Crate features
//!
//! * `fs` (default) — readers by file path (`std::fs`); without it only the
//!   bytes-in readers remain (the wasm viewer).
//! * `publish` — the module `publish`: labels and a cell × gene table as a SpatialData
//!   Zarr v3 store (`cellmap publish`); native only.
//! * `bench` — the module `bench`: the one benchmark clock (wall or thread CPU time),
//!   the median-of-repeats harness and the kernel suite of `cellmap bench`.
//! * `published` — the module `published`: viewing a `cellmap publish` store lazily
//!   (the caller fetches the chunks; LRU caches of label chunks and gene
//!   columns, windows of a pyramid level painted as [`Session`] paints).

#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

/// The README's Rust examples (the pipeline's and the core's), compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeExamples;

mod analysis;
mod annotations;
mod assign;
#[cfg(feature = "bench")]
pub mod bench;
mod categories;
mod cell_table;
mod color;
mod counts;
pub mod demo;
mod error;
pub mod evaluate;
mod expression;
pub mod frame;
mod genes;
pub mod graph;
pub mod heatmap;
mod image;
pub mod input;
mod memory;
pub mod polygons;
#[cfg(feature = "publish")]
pub mod publish;
#[cfg(feature = "published")]
pub mod published;
mod regions;
pub mod segeval;
mod segment;
mod session;
mod stats;
mod tally;
pub mod tiles;

pub use analysis::{
    Clustering, DenseTable, HighlyVariable, MAX_PCA_GENES, Pca, Prepared, Preprocess, agreement,
    gaussian_mixture, highly_variable_genes, kmeans, pca, preprocess,
};
pub use annotations::{Annotations, CATEGORY_SLOTS, ColumnKind, OTHER_CATEGORY_RGBA, slot_rgba};
pub use assign::{
    AssignSummary, Assignment, BACKGROUND, OUT_OF_IMAGE, assign_points_to, assign_transcripts,
    count_transcripts,
};
pub use categories::Categories;
pub use cell_table::{
    CellGeneTable, read_cell_gene_table_bytes, read_truth_labels_bytes, write_clusters_csv,
};
#[cfg(feature = "fs")]
pub use cell_table::{read_cell_gene_table, read_truth_labels};
/// Borrowed views and the options of the per-cell kernels, for callers that
/// hand their own memory to the `*_of` functions (bindings: numpy arrays).
pub use cellmap_core::sparse::{Csr as CsrView, SparseIndex};
pub use cellmap_core::stats::{AllPixels, CellStats, Options, Within, Zeros};
pub use cellmap_core::{Grid, Label, MaskValue};
/// The counting global allocator a front end installs so that
/// [`MemoryBudget`] sees what is in use.
pub use cellmap_io::CountingAllocator;
/// The memory budget big buffers are checked against (see
/// [`cellmap_io::MemoryBudget`]): set it once with
/// `MemoryBudget::new(bytes).set_global()`.
pub use cellmap_io::MemoryBudget;
/// Bytes read range by range ([`Session::attach_expression_file`] takes
/// them): [`ranges::ReadAt`].
pub use cellmap_io::ranges;
pub use color::{
    BACKGROUND_RGBA, CATEGORICAL, ColorScale, Colormap, DEGENERATE_LEVEL, Map, NO_VALUE_RGBA, OUTLINE_RGBA,
    Painter, RANGE_KINDS, Range, Tick, colorbar_ticks, paint_map, range_from_name, range_name,
};
pub use counts::{SparseCounts, count_transcripts_sparse};
pub use demo::{DEMO_GENES, Demo};
pub use error::{Error, ErrorKind};
pub use expression::{Expression, GeneColumns};
pub use frame::{Bounds, Frame, Rounding, Transform, assign_in_frame};
pub use genes::GeneSelection;
pub use image::Image;
pub use input::{CellImage, LabelImage, MaskKind};
pub use memory::grouped;
pub use polygons::{PolygonLabels, polygons_to_labels, read_polygons};
pub use regions::{
    BoundingBox, REGIONS_CSV_HEADER, Region, cells_in_ring, region_csv_row, region_fields, regions,
    regions_of, write_region_fields, write_regions_csv,
};
pub use segment::{
    CONNECTIVITIES, Connectivity, SegmentOptions, Segmenter, fill_holes_of, fill_mask_holes, segment,
};
pub use session::{CellsTable, ExtraColumn, Session, ViewDefaults};
pub use stats::{
    CellTable, CsrMeans, Selection, Stat, TableValues, add_layer, cell_stat_of, cell_table, csr_cell_stat_of,
    pixel_ranges, present_cell_stats,
};
pub use tally::{COUNT_STATS, GeneCounts, count_in_frame, frame_points};
