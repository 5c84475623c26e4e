//! # cellmap-wasm
//!
//! The WebAssembly package of cellmap: per-cell gene maps computed in the
//! browser tab. A thin layer over `cellmap-core` (the kernels) and
//! `cellmap-io` (the file decoders): a [`Tile`] owns every buffer (mask,
//! labels, per-cell values, RGBA pixels) in wasm memory, JS reads them
//! through zero-copy views, and every export returns `Result<_, JsError>`
//! with a message a person can act on.
//!
//! The JS API (camelCase) is documented with a usage example in
//! `wasm/README.md`. Build with `scripts/build-wasm.sh` (wasm-pack,
//! `--target web`).

mod decode;
mod expression;
mod text;
mod tile;

pub use tile::Tile;
use wasm_bindgen::prelude::*;

/// The simulator's cross-target determinism digest (FNV-1a of a fixed
/// 48×40 tile with seed 2024, as 16 hex digits). It equals
/// `cellmap_sim::REFERENCE_DIGEST` when the simulator runs in this
/// browser exactly as on the host.
#[wasm_bindgen(js_name = referenceDigest)]
pub fn reference_digest() -> Result<String, JsError> {
    let digest = cellmap_sim::reference_digest().map_err(|e| JsError::new(&format!("simulator: {e}")))?;
    Ok(format!("{digest:016x}"))
}

/// Colour maps: 256-entry LUTs equal to matplotlib's.
#[wasm_bindgen]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colormap {
    /// matplotlib `viridis`.
    Viridis,
    /// matplotlib `magma`.
    Magma,
    /// matplotlib `inferno`.
    Inferno,
    /// matplotlib `plasma`.
    Plasma,
    /// matplotlib `cividis`.
    Cividis,
    /// matplotlib `turbo`.
    Turbo,
    /// matplotlib `gray`.
    Gray,
}

/// The per-cell statistic of a gene (or a sum of genes).
#[wasm_bindgen]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stat {
    /// Mean over the cell's pixels whose value is neither 0 nor NaN (NaN if none).
    Mean,
    /// Sum of the cell's values (0 for an empty cell).
    Sum,
    /// Number of the cell's pixels with a value that is neither 0 nor NaN.
    Count,
    /// Largest value in the cell (NaN if none).
    Max,
}

/// Pixel connectivity of cells when labelling the mask.
#[wasm_bindgen]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connectivity {
    /// Edge neighbours only (scipy's default).
    Four,
    /// Edge and corner neighbours.
    Eight,
}

impl From<Connectivity> for cellmap_core::labeling::Connectivity {
    fn from(c: Connectivity) -> Self {
        match c {
            Connectivity::Four => Self::Four,
            Connectivity::Eight => Self::Eight,
        }
    }
}

impl From<Colormap> for cellmap_core::color::Colormap {
    fn from(c: Colormap) -> Self {
        match c {
            Colormap::Viridis => Self::Viridis,
            Colormap::Magma => Self::Magma,
            Colormap::Inferno => Self::Inferno,
            Colormap::Plasma => Self::Plasma,
            Colormap::Cividis => Self::Cividis,
            Colormap::Turbo => Self::Turbo,
            Colormap::Gray => Self::Gray,
        }
    }
}
