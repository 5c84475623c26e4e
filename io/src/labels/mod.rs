//! Label images in the formats segmentation tools save them in, beyond
//! plain `.npy`, PNG and TIFF:
//!
//! * **Cellpose `*_seg.npy`** ([`pickle`]): the `masks` entry of the pickled
//!   dict, read by a bounded pickle interpreter that executes nothing.
//! * **scipy sparse `.npz`** ([`sparse`]): COO, CSR or CSC matrices of shape
//!   `(height, width)` written by `scipy.sparse.save_npz` (pciSeq).
//! * **Xenium `cells.zarr.zip`** ([`zarr`]): the `masks/1` (cells) array of
//!   a zipped zarr group (zlib, gzip or uncompressed chunks).
//!
//! [`crate::image::read_mask`] recognises them from their bytes. The
//! Cellpose reader needs the `seg-npy` feature, the sparse and zarr readers
//! the `label-formats` feature (both on by default; off in the viewer's main
//! wasm package, for its size budget: there [`missing_reader`] tells the
//! viewer to load its readers module, `wasm/readers`, which has them).

#[cfg_attr(not(feature = "seg-npy"), allow(dead_code, unused_imports))]
pub mod pickle;
#[cfg(feature = "label-formats")]
pub mod sparse;
#[cfg(feature = "label-formats")]
pub mod zarr;

use crate::error::{Error, ErrorKind};
use crate::limits::Limits;
use crate::npy::Array;

/// The cellmap-io feature this build lacks to read a mask file that starts
/// with `head` (its first few KB are enough): `Some("seg-npy")` for a
/// Cellpose `_seg.npy`, `Some("label-formats")` for a zip archive (scipy
/// sparse `.npz`, `cells.zarr.zip`), `Some("tiff-images")` for a TIFF,
/// `None` when this build reads it or it is
/// no label format of this module. The wasm viewer asks this to know when to
/// load its optional readers module.
///
/// ```
/// let zip = cellmap_io::labels::missing_reader(b"PK\x03\x04...");
/// assert_eq!(zip, if cfg!(feature = "label-formats") { None } else { Some("label-formats") });
/// assert_eq!(cellmap_io::labels::missing_reader(b"\x89PNG\r\n\x1a\n"), None);
/// ```
pub fn missing_reader(head: &[u8]) -> Option<&'static str> {
    if is_zip(head) && !cfg!(feature = "label-formats") {
        Some("label-formats")
    } else if crate::image::MaskFormat::sniff(head) == Some(crate::image::MaskFormat::Tiff)
        && !cfg!(feature = "tiff-images")
    {
        Some("tiff-images")
    } else if pickle::is_pickled_npy(head) && !cfg!(feature = "seg-npy") {
        Some("seg-npy")
    } else {
        None
    }
}

/// `true` for a zip archive (local file header or an empty archive).
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// Reads a label image from a zip archive: a zarr store (`cells.zarr.zip`)
/// or a scipy sparse `.npz`.
#[cfg(not(feature = "label-formats"))]
pub fn read_zip_labels(_bytes: &[u8], source: &str, _limits: &Limits) -> Result<Array, Error> {
    Err(Error::new(
        source,
        ErrorKind::Header(
            "a zip archive (scipy sparse .npz or zarr cells.zarr.zip): label images in these formats are \
             read by the cellmap CLI, not by this build (cellmap-io feature label-formats)"
                .into(),
        ),
    ))
}

/// Reads a label image from a zip archive: a zarr store (`cells.zarr.zip`)
/// or a scipy sparse `.npz`.
#[cfg(feature = "label-formats")]
pub fn read_zip_labels(bytes: &[u8], source: &str, limits: &Limits) -> Result<Array, Error> {
    use std::io::Cursor;
    let archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| Error::new(source, ErrorKind::Zip(e.to_string())))?;
    if zarr::is_zarr(&archive) {
        let mut archive = archive;
        return zarr::read_zarr_labels(&mut archive, source, limits);
    }
    let mut npz = crate::npz::Npz::new(Cursor::new(bytes), source, *limits)?;
    if sparse::is_sparse(&npz) {
        return sparse::read_sparse_labels(&mut npz, source, limits);
    }
    let mut names = npz.names();
    names.sort();
    Err(Error::new(
        source,
        ErrorKind::Header(format!(
            "a zip archive that is neither a scipy sparse matrix (save_npz) nor a zarr store (cells.zarr.zip); members: {}",
            crate::limits::capped_list(names, 8)
        )),
    ))
}
