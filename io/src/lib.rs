//! # cellmap-io
//!
//! File formats for cellmap: turns `.npy`, `.npz` (numpy arrays and scipy
//! CSR matrices), PNG / TIFF masks and transcript tables (CSV, CSV.gz) into
//! plain `Vec`s for [`cellmap_core`], and writes results back.
//!
//! ## Should I use this crate?
//!
//! Use it to feed `cellmap-core` from files or from bytes (every reader
//! takes `&[u8]` plus a source name for error messages, so it works in the
//! browser); the `cellmap` CLI and the wasm viewer are built on it. If you
//! already hold your data in memory as slices, call `cellmap-core` directly.
//!
//! ## A tile, from bytes
//!
//! ```
//! use cellmap_io::npy::{self, ArrayData};
//! use cellmap_io::npz::{Npz, NpzWriter, ValueArray};
//! use cellmap_io::image;
//!
//! // A 2×2 mask and a 4-pixel × 3-gene CSR laid out as scipy.sparse.save_npz writes it.
//! let mask_bytes = npy::encode(&[2, 2], &[0u8, 255, 255, 0])?;
//! let mut st = NpzWriter::new(std::io::Cursor::new(Vec::new()), "st.npz").compressed();
//! st.add("indices", &[2], &[0i32, 2])?;
//! st.add("indptr", &[5], &[0i32, 1, 2, 2, 2])?;
//! st.add_bytes_string("format", b"csr")?;
//! st.add("shape", &[2], &[4i64, 3])?;
//! st.add("data", &[2], &[1.5f32, 2.0])?;
//! let st_bytes = st.finish()?.into_inner();
//!
//! let mask = image::read_mask(&mask_bytes, "mask.npy")?; // .npy, PNG or TIFF
//! let (height, width) = mask.dims_2d("mask.npy", "mask")?;
//! assert_eq!(mask.data(), &ArrayData::U8(vec![0, 255, 255, 0]));
//! let csr = Npz::from_bytes(&st_bytes, "st.npz")?.csr()?;
//! csr.check_mask_shape(height, width)?; // one row per pixel
//! csr.validate()?; // monotone indptr, columns in range
//! assert_eq!(csr.data, ValueArray::F32(vec![1.5, 2.0]));
//! # Ok::<(), cellmap_io::Error>(())
//! ```
//!
//! ## Errors
//!
//! One [`Error`] type; its message always starts with the file (or the
//! source name you passed for bytes) and says what is wrong, e.g.
//! `st.npz: member indptr.npy: truncated data (expected 4194308 bytes, got 1000)`.
//! Readers check declared sizes against the bytes that are really there and
//! against [`Limits`] before allocating.
//!
//! # Crate features
//!
//! * `std-fs` (default) — path-based readers and `fs::write_atomic`
//!   (write to a temporary file in the same directory, then rename;
//!   `fs::write_pending` + `PendingFile::persist` for groups of outputs).
//! * `geojson` (default) — GeoJSON cell polygons in [`polygons`] (adds
//!   `serde_json`; without it the GeoJSON reader returns an error).
//! * `parallel` (off) — `fs::read_csr` inflates the CSR `data` member on a
//!   second thread; for single-tile use (the CLI parallelises across tiles).
//! * `zarr-read` (off) — [`zarr_read`] (zarr v3 from bytes: consolidated metadata, `bytes` +
//!   `zstd` through the pure-Rust `ruzstd`, `vlen-utf8`) and [`published`] (the layout of a
//!   `cellmap publish` store); the viewer's store module has it.
//! * `parquet` (off) — the `parquet` module: Parquet transcript tables (Xenium
//!   `transcripts.parquet`); snappy and gzip in pure Rust so it also builds
//!   for wasm32 (lz4, brotli and zstd on native targets only); `fs::read_transcripts` then detects
//!   Parquet by its magic bytes.
//! * `zarr3` (off) — the `zarr3` module: the Zarr v3 writer (`bytes` + `zstd`
//!   chunks, inline consolidated metadata) of `cellmap publish`; native only
//!   (the `zstd` crate is the C library).
// One `unsafe` call (madvise for huge pages), isolated and measured in `pages`.
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod anndata;
mod counting;
pub mod error;
pub mod image;
pub mod labels;
pub mod limits;
pub mod npy;
pub mod npz;
mod pages;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod polygons;
#[cfg(feature = "zarr-read")]
pub mod published;
pub mod ranges;
pub mod table;
pub mod transcripts;
#[cfg(feature = "zarr3")]
pub mod zarr3;
#[cfg(feature = "zarr-read")]
pub mod zarr_read;
pub mod zarr_write;

pub use counting::CountingAllocator;
pub use error::{Error, ErrorKind, grouped};
pub use limits::{Limits, MemoryBudget};
pub use pages::advise_huge_pages;
#[cfg(feature = "std-fs")]
pub mod fs;
