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
//!   (write to a temporary file in the same directory, then rename).
//! * `parallel` (off) — `fs::read_csr` inflates the CSR `data` member on a
//!   second thread; for single-tile use (the CLI parallelises across tiles).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod error;
pub mod image;
pub mod limits;
pub mod npy;
pub mod npz;
pub mod transcripts;

pub use error::{Error, ErrorKind};
pub use limits::Limits;
#[cfg(feature = "std-fs")]
pub mod fs;
