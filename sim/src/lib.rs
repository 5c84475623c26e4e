//! # cellmap-sim
//!
//! A deterministic simulator of tissue masks and spatial gene expression:
//! a cell-segmentation mask with its **true partition**, and NSF-style
//! expression as a pixels × genes CSR or as transcripts.
//!
//! ## Should I use this crate?
//!
//! Use it for demo data, tests and benchmarks: data with a known truth,
//! identical for the same seed on every target (x86, wasm32, thumbv7em).
//! It is `#![no_std]` without `alloc` like `cellmap-core`, writes into
//! buffers you pass in and returns `cellmap_core::Error`. To compute
//! per-cell gene maps of real data you need `cellmap-core` (kernels) and
//! `cellmap-io` (files), not this crate.
//!
//! ## Modules
//!
//! * [`rng`] — xoshiro256\*\* seeded by SplitMix64; [`samplers`] — uniform,
//!   normal, gamma, Poisson, negative binomial, Bernoulli.
//! * [`mask`] — a tissue tile (touching and separated cells, gaps, holes,
//!   nested and border-open holes, 1-pixel cells, diagonal contacts, a
//!   cell-free corner) and its **true partition**.
//! * [`patterns`] — the NSF paper's quilt and ggblocks spatial factors.
//! * [`expression`] — Λ = bkg + F·Wᵀ + U·Vᵀ, negative-binomial counts with
//!   dropout, spread over each cell's pixels as a pixels × genes CSR or as
//!   transcripts.
//! * [`spec`] — a multi-modal specification (RNA, protein, ...), serde-ready.
//!
//! The quickest start is [`demo_tissue`]:
//!
//! ```
//! use cellmap_core::Grid;
//! use cellmap_sim::{demo_cell_capacity, demo_tissue, SimCell, DEMO_GENES};
//! let (w, h) = (64, 48);
//! let mut mask = vec![0u8; w * h];
//! let mut owner = vec![0u32; w * h];
//! let mut cells = vec![SimCell::EMPTY; demo_cell_capacity(w, h)];
//! let mut rates = vec![0f64; cells.len() * DEMO_GENES];
//! let demo = demo_tissue(1, w, h, &mut mask, &mut owner, &mut cells, &mut rates)?;
//! let grid = Grid::new(w, h, &owner)?;
//! let size = demo.model.csr_size(&grid, &rates)?;
//! let mut indptr = vec![0u32; w * h + 1];
//! let (mut indices, mut data) = (vec![0u32; size.nnz], vec![0f32; size.nnz]);
//! demo.model.fill_csr(&grid, &rates, &mut indptr, &mut indices, &mut data)?;
//! assert_eq!(indptr[w * h] as usize, size.nnz);
//! # Ok::<(), cellmap_core::Error>(())
//! ```
//!
//! # Crate features
//!
//! * `serde` — derives `Serialize`/`Deserialize` for the parameter and spec
//!   types ([`MaskParams`], [`NsfParams`], [`ModalityParams`], [`Scenario`],
//!   [`spec::SimSpec`]; no default features of serde; still `no_std`).
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

#[cfg(test)]
extern crate std;

pub mod expression;
pub mod mask;
pub mod patterns;
pub mod rng;
pub mod samplers;
pub mod spec;

pub use expression::{CsrSize, ExpressionModel, Factor, GeneLoading, ModalityParams, NsfParams, Transcript};
pub use mask::{CellKind, MaskInfo, MaskParams, SimCell, generate_mask};
pub use patterns::Scenario;
pub use rng::{SplitMix64, Xoshiro256StarStar};

use cellmap_core::{Error, Grid};

/// Genes of the demo model: 8 spatial, 8 mixed, 4 non-spatial.
///
/// ```
/// use cellmap_sim::{demo_modality_params, DEMO_GENES};
/// assert_eq!(demo_modality_params().genes(), DEMO_GENES);
/// ```
pub const DEMO_GENES: usize = 20;

/// The demo's mask parameters (the defaults).
///
/// ```
/// use cellmap_sim::{demo_cell_capacity, demo_mask_params};
/// assert_eq!(demo_mask_params().cell_capacity(300, 200), demo_cell_capacity(300, 200));
/// ```
pub fn demo_mask_params() -> MaskParams {
    MaskParams::default()
}

/// The demo's spot-level parameters: quilt patterns on 36×36 spots.
///
/// ```
/// use cellmap_sim::{demo_nsf_params, Scenario};
/// assert_eq!((demo_nsf_params().scenario, demo_nsf_params().nside), (Scenario::Quilt, 36));
/// ```
pub fn demo_nsf_params() -> NsfParams {
    NsfParams::default()
}

/// The demo's genes: 8 spatial, 8 mixed and 4 non-spatial, NB shape 10,
/// no dropout.
///
/// ```
/// let p = cellmap_sim::demo_modality_params();
/// assert_eq!((p.spatial_genes, p.mixed_genes, p.nonspatial_genes, p.dropout), (8, 8, 4, 0.0));
/// ```
pub fn demo_modality_params() -> ModalityParams {
    ModalityParams { spatial_genes: 8, mixed_genes: 8, nonspatial_genes: 4, ..ModalityParams::default() }
}

/// Length of the `cells` buffer [`demo_tissue`] needs.
///
/// ```
/// assert!(cellmap_sim::demo_cell_capacity(512, 512) > 900);
/// ```
pub const fn demo_cell_capacity(width: usize, height: usize) -> usize {
    // Must agree with `demo_mask_params()`: spacing 17, 4 small features.
    mask::cell_capacity(width, height, 17, 4)
}

/// What [`demo_tissue`] made.
///
/// ```
/// use cellmap_sim::{demo_cell_capacity, demo_tissue, SimCell, DEMO_GENES};
/// let (mut mask, mut owner) = ([0u8; 32 * 32], [0u32; 32 * 32]);
/// let mut cells = [SimCell::EMPTY; demo_cell_capacity(32, 32)];
/// let mut rates = [0f64; demo_cell_capacity(32, 32) * DEMO_GENES];
/// let demo = demo_tissue(5, 32, 32, &mut mask, &mut owner, &mut cells, &mut rates)?;
/// assert_eq!((demo.mask.width, demo.model.genes()), (32, DEMO_GENES));
/// # Ok::<(), cellmap_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemoTissue {
    /// The mask summary.
    pub mask: MaskInfo,
    /// The expression model (use it for the CSR, transcripts and factor images).
    pub model: ExpressionModel,
}

/// One call for a demo: draws the tissue into `mask`/`owner`/`cells` and
/// the per-cell rates into `rates` (`cells.len() · DEMO_GENES`), and returns
/// the model to produce the CSR ([`ExpressionModel::csr_size`] then
/// [`ExpressionModel::fill_csr`]) or transcripts. See the module example.
///
/// ```
/// use cellmap_sim::{demo_tissue, SimCell};
/// let (mut mask, mut owner) = ([0u8; 16], [0u32; 16]);
/// let mut cells = [SimCell::EMPTY; 1]; // too small
/// assert!(demo_tissue(0, 4, 4, &mut mask, &mut owner, &mut cells, &mut [0.0; 0]).is_err());
/// ```
pub fn demo_tissue(
    seed: u64,
    width: usize,
    height: usize,
    mask: &mut [u8],
    owner: &mut [u32],
    cells: &mut [SimCell],
    rates: &mut [f64],
) -> Result<DemoTissue, Error> {
    let model = ExpressionModel::new(seed, &demo_nsf_params(), &demo_modality_params(), 0)?;
    let capacity = demo_cell_capacity(width, height);
    crate::ensure_len("rates", rates, model.rates_len(capacity))?;
    let info = generate_mask(seed, width, height, &demo_mask_params(), mask, owner, cells)?;
    model.cell_rates(width, height, &cells[..info.cells], rates)?;
    Ok(DemoTissue { mask: info, model })
}

/// 64-bit FNV-1a over bytes, for determinism checks across targets.
///
/// ```
/// use cellmap_sim::Fnv1a;
/// let mut h = Fnv1a::new();
/// h.write(b"a");
/// assert_eq!(h.finish(), 0xAF63_DC4C_8601_EC8C); // the published FNV-1a test vector
/// assert_eq!(Fnv1a::new().finish(), 0xCBF2_9CE4_8422_2325);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Self::new()
    }
}

impl Fnv1a {
    /// The offset basis.
    ///
    /// ```
    /// assert_eq!(cellmap_sim::Fnv1a::new().finish(), 0xCBF2_9CE4_8422_2325);
    /// ```
    pub const fn new() -> Self {
        Self(0xCBF2_9CE4_8422_2325)
    }

    /// Hashes `bytes`.
    ///
    /// ```
    /// let mut h = cellmap_sim::Fnv1a::new();
    /// h.write(b"foobar");
    /// assert_eq!(h.finish(), 0x85944171F73967E8); // published FNV-1a 64 test vector
    /// ```
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3);
        }
    }

    /// Hashes each value's little-endian bytes.
    ///
    /// ```
    /// use cellmap_sim::Fnv1a;
    /// let (mut a, mut b) = (Fnv1a::new(), Fnv1a::new());
    /// a.write_u32s(&[1]);
    /// b.write(&[1, 0, 0, 0]);
    /// assert_eq!(a, b);
    /// ```
    pub fn write_u32s(&mut self, values: &[u32]) {
        for v in values {
            self.write(&v.to_le_bytes());
        }
    }

    /// Hashes each value's little-endian IEEE bits.
    ///
    /// ```
    /// use cellmap_sim::Fnv1a;
    /// let (mut a, mut b) = (Fnv1a::new(), Fnv1a::new());
    /// a.write_f32s(&[1.0]);
    /// b.write_u32s(&[0x3F80_0000]);
    /// assert_eq!(a, b);
    /// ```
    pub fn write_f32s(&mut self, values: &[f32]) {
        for v in values {
            self.write(&v.to_bits().to_le_bytes());
        }
    }

    /// The hash so far.
    ///
    /// ```
    /// let mut h = cellmap_sim::Fnv1a::default();
    /// h.write(b"");
    /// assert_eq!(h.finish(), 0xCBF2_9CE4_8422_2325);
    /// ```
    pub const fn finish(&self) -> u64 {
        self.0
    }
}

/// FNV-1a of a simulated tissue: mask bytes, then owner, indptr, indices
/// (little-endian `u32`) and data (little-endian `f32` bits).
///
/// ```
/// let h = cellmap_sim::digest_tissue(&[255], &[1], &[0, 0], &[], &[]);
/// assert_ne!(h, cellmap_sim::digest_tissue(&[0], &[0], &[0, 0], &[], &[]));
/// ```
pub fn digest_tissue(mask: &[u8], owner: &[u32], indptr: &[u32], indices: &[u32], data: &[f32]) -> u64 {
    let mut h = Fnv1a::new();
    h.write(mask);
    h.write_u32s(owner);
    h.write_u32s(indptr);
    h.write_u32s(indices);
    h.write_f32s(data);
    h.finish()
}

/// Seed of the reference tile of [`reference_digest`].
///
/// ```
/// use cellmap_sim::{REFERENCE_HEIGHT, REFERENCE_SEED, REFERENCE_WIDTH};
/// assert_eq!((REFERENCE_SEED, REFERENCE_WIDTH, REFERENCE_HEIGHT), (2024, 48, 40));
/// ```
pub const REFERENCE_SEED: u64 = 2024;
/// Width of the reference tile.
///
/// ```
/// assert_eq!(cellmap_sim::REFERENCE_WIDTH, 48);
/// ```
pub const REFERENCE_WIDTH: usize = 48;
/// Height of the reference tile.
///
/// ```
/// assert_eq!(cellmap_sim::REFERENCE_HEIGHT, 40);
/// ```
pub const REFERENCE_HEIGHT: usize = 40;
/// Largest CSR the reference tile may produce.
const REFERENCE_NNZ: usize = 8192;
const REFERENCE_PARAMS: MaskParams = MaskParams {
    cell_spacing: 12,
    absent_fraction: 0.08,
    empty_fraction: 0.10,
    gap_probabilities: [0.15, 0.45, 0.40],
    hole_fraction: 0.2,
    nested_fraction: 0.0,
    border_holes: 2,
    small_features: 1,
};
const REFERENCE_CELLS: usize = REFERENCE_PARAMS.cell_capacity(REFERENCE_WIDTH, REFERENCE_HEIGHT);

/// The digest every target must reproduce from [`reference_digest`]
/// (checked on the host by the tests and in wasm32 by the wasm tests).
///
/// ```
/// use cellmap_sim::{reference_digest, REFERENCE_DIGEST};
/// assert_eq!(reference_digest()?, REFERENCE_DIGEST);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub const REFERENCE_DIGEST: u64 = 0x54D1_555C_1D5C_8598;

/// The cross-target determinism check: simulates the fixed reference tile
/// (48×40, seed 2024, spacing 12, the demo genes) in stack buffers
/// (≈100 KB), takes [`digest_tissue`] of its mask, owner image and CSR, and
/// continues the FNV-1a hash over a sweep that reaches every sampler branch
/// the tile may miss (normal, gamma with shape < 1 and ≥ 1, Poisson by
/// inversion and by PTRS, negative binomial, and a pixel with more than 64
/// molecules). Equal to [`REFERENCE_DIGEST`] on every target.
///
/// ```
/// use cellmap_sim::{reference_digest, REFERENCE_DIGEST};
/// assert_eq!(reference_digest()?, REFERENCE_DIGEST);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn reference_digest() -> Result<u64, Error> {
    const N: usize = REFERENCE_WIDTH * REFERENCE_HEIGHT;
    let mut mask = [0u8; N];
    let mut owner = [0u32; N];
    let mut cells = [SimCell::EMPTY; REFERENCE_CELLS];
    let mut rates = [0f64; REFERENCE_CELLS * DEMO_GENES];
    let mut indptr = [0u32; N + 1];
    let mut indices = [0u32; REFERENCE_NNZ];
    let mut data = [0f32; REFERENCE_NNZ];
    let model = ExpressionModel::new(REFERENCE_SEED, &demo_nsf_params(), &demo_modality_params(), 0)?;
    let (w, h) = (REFERENCE_WIDTH, REFERENCE_HEIGHT);
    let info = generate_mask(REFERENCE_SEED, w, h, &REFERENCE_PARAMS, &mut mask, &mut owner, &mut cells)?;
    model.cell_rates(w, h, &cells[..info.cells], &mut rates)?;
    let grid = Grid::new(w, h, &owner[..])?;
    let size =
        model.fill_csr(&grid, &rates[..info.cells * DEMO_GENES], &mut indptr, &mut indices, &mut data)?;
    let tissue = digest_tissue(&mask, &owner, &indptr, &indices[..size.nnz], &data[..size.nnz]);

    let mut h = Fnv1a(tissue);
    let mut rng = Xoshiro256StarStar::seed_from_u64(REFERENCE_SEED);
    for _ in 0..64 {
        h.write(&samplers::standard_normal(&mut rng).to_bits().to_le_bytes());
        h.write(&samplers::gamma(&mut rng, 0.3, 1.0)?.to_bits().to_le_bytes());
        h.write(&samplers::gamma(&mut rng, 7.5, 2.0)?.to_bits().to_le_bytes());
        h.write(&samplers::poisson(&mut rng, 3.3)?.to_le_bytes());
        h.write(&samplers::poisson(&mut rng, 250.0)?.to_le_bytes());
        h.write(&samplers::negative_binomial(&mut rng, 20.2, 10.0)?.to_le_bytes());
    }
    let busy = ExpressionModel::new(REFERENCE_SEED, &demo_nsf_params(), &demo_modality_params(), 1)?;
    let mut running = [0f64; DEMO_GENES];
    for (gene, r) in running.iter_mut().enumerate() {
        *r = 10.0 * (gene + 1) as f64; // running sums: 200 molecules expected per pixel
    }
    let pixels = [1u32; 4];
    let size =
        busy.fill_csr(&Grid::new(4, 1, &pixels[..])?, &running, &mut indptr, &mut indices, &mut data)?;
    h.write_u32s(&indices[..size.nnz]);
    h.write_f32s(&data[..size.nnz]);
    Ok(h.finish())
}

/// Checks that `buffer` holds at least `needed` elements, as the core's
/// kernels do: [`Error::BufferTooSmall`] names the argument and the numbers.
fn ensure_len<T>(buffer: &'static str, slice: &[T], needed: usize) -> Result<(), Error> {
    if slice.len() < needed {
        Err(Error::BufferTooSmall { buffer, needed, got: slice.len() })
    } else {
        Ok(())
    }
}
