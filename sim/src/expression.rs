//! NSF-style spatial expression on a simulated tile.
//!
//! # Model
//!
//! On an `nside × nside` grid of spots (default 36×36) the expected
//! expression of gene `j` at spot `s` is, as in the NSF paper's `sim()`,
//!
//! ```text
//! Λ[s, j] = bkg + F[s, :]·W[j, :] + U[s, :]·V[j, :]
//! ```
//!
//! with `F` the spatial factors ([`Scenario`] patterns, Kronecker-enlarged),
//! `U[s, k] ~ Bernoulli(nonspatial_probability)` the non-spatial factors and
//! indicator loadings as in `gen_loadings`: every gene has one spatial factor
//! (uniform among the modality's active factors) and one non-spatial factor
//! (uniform), weighted `expr_mean` for the first `spatial_genes`,
//! `mix_frac_spatial · expr_mean` / `(1 − mix_frac_spatial) · expr_mean` for
//! the next `mixed_genes`, and `0` / `expr_mean` for the last
//! `nonspatial_genes`.
//!
//! # From spots to cells and pixels
//!
//! The grid is stretched over the tile: pixel `(row, col)` lies in spot
//! `(⌊row·nside/height⌋, ⌊col·nside/width⌋)`, and a cell takes the spot of
//! its seed. Each cell is one NSF observation: its gene `j` gets a gamma rate
//! `G ~ gamma(shape r, scale Λ/r)` (or 0 with probability `dropout`), and
//! every pixel of the cell receives `Poisson(G / area)` molecules. The
//! molecules of a cell therefore total `Poisson(G) = NB(mean Λ, shape r)`
//! (zero-inflated by `dropout`): exactly the NSF count model, spread over the
//! cell's pixels by Poisson thinning. Background pixels get nothing.
//!
//! Transcripts are the same molecules as points: each is placed uniformly
//! inside its pixel, so assigning transcripts by pixel gives back the CSR.

use crate::mask::SimCell;
use crate::patterns::Scenario;
use crate::rng::Xoshiro256StarStar;
use crate::samplers::{MAX_POISSON_MEAN, gamma_unchecked, poisson_unchecked};
use cellmap_core::grid::pixel_count;
use cellmap_core::{Error, Grid};

const TAG_NONSPATIAL: u64 = 0x4E53_4600_0001;
const TAG_LOADINGS: u64 = 0x4E53_4600_0002;
const TAG_CELL_RATES: u64 = 0x4E53_4600_0003;
const TAG_PIXELS: u64 = 0x4E53_4600_0004;
const TAG_JITTER: u64 = 0x4E53_4600_0005;

/// Molecules per pixel drawn as iid genes and sorted in a stack buffer;
/// more go through sequential order statistics.
const SMALL_DRAW: usize = 64;

/// Most non-spatial factors a model can have.
///
/// ```
/// use cellmap_sim::{NsfParams, expression::MAX_NONSPATIAL_FACTORS};
/// let p = NsfParams { nonspatial_factors: MAX_NONSPATIAL_FACTORS + 1, ..NsfParams::default() };
/// assert!(p.validate().is_err());
/// ```
pub const MAX_NONSPATIAL_FACTORS: u32 = 16;
/// Largest `nside` accepted.
///
/// ```
/// use cellmap_sim::{NsfParams, Scenario, expression::MAX_NSIDE};
/// let p = NsfParams { scenario: Scenario::GgBlocks, nside: MAX_NSIDE + 6, ..NsfParams::default() };
/// assert!(p.validate().is_err());
/// ```
pub const MAX_NSIDE: u32 = 4096;

/// Spot-level parameters shared by all modalities (the NSF `sim()` arguments).
///
/// ```
/// use cellmap_sim::{NsfParams, Scenario};
/// let p = NsfParams::default();
/// assert_eq!((p.scenario, p.nside, p.nonspatial_factors), (Scenario::Quilt, 36, 3));
/// assert!(p.validate().is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct NsfParams {
    /// Spatial patterns.
    pub scenario: Scenario,
    /// Spots per side of the grid (a multiple of the scenario's unit).
    pub nside: u32,
    /// Background mean `bkg` added to every Λ (0.2).
    pub background_mean: f64,
    /// Number of non-spatial factors `L_ns` (3).
    pub nonspatial_factors: u32,
    /// Probability that a non-spatial factor is 1 at a spot (0.2).
    pub nonspatial_probability: f64,
}

impl Default for NsfParams {
    fn default() -> Self {
        Self {
            scenario: Scenario::Quilt,
            nside: 36,
            background_mean: 0.2,
            nonspatial_factors: 3,
            nonspatial_probability: 0.2,
        }
    }
}

impl NsfParams {
    /// Checks every parameter's domain.
    ///
    /// ```
    /// use cellmap_sim::NsfParams;
    /// assert!(NsfParams { nside: 30, ..NsfParams::default() }.validate().is_err()); // quilt needs a multiple of 12
    /// assert!(NsfParams { nonspatial_probability: 1.5, ..NsfParams::default() }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), Error> {
        if self.nside > MAX_NSIDE {
            return Err(Error::InvalidArgument("nside must be <= 4096"));
        }
        self.scenario.check_nside(self.nside as usize)?;
        if !(self.background_mean >= 0.0 && self.background_mean <= 1e6) {
            return Err(Error::InvalidArgument("background_mean must be in [0, 1e6]"));
        }
        if self.nonspatial_factors > MAX_NONSPATIAL_FACTORS {
            return Err(Error::InvalidArgument("nonspatial_factors must be <= 16"));
        }
        if !(0.0..=1.0).contains(&self.nonspatial_probability) {
            return Err(Error::InvalidArgument("nonspatial_probability must be in [0, 1]"));
        }
        Ok(())
    }
}

/// Per-modality parameters: feature counts, loadings, count noise
/// (the NSF `gen_loadings` arguments plus NB shape, dropout and the active
/// spatial factors).
///
/// ```
/// use cellmap_sim::ModalityParams;
/// let p = ModalityParams::default();
/// assert_eq!(p.genes(), 500);
/// assert_eq!((p.expr_mean, p.mix_frac_spatial, p.nb_shape), (20.0, 0.55, 10.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModalityParams {
    /// Pure spatial genes `J_sp` (first in gene order).
    pub spatial_genes: u32,
    /// Mixed genes `J_mix` (next).
    pub mixed_genes: u32,
    /// Pure non-spatial genes `J_ns` (last).
    pub nonspatial_genes: u32,
    /// Loading scale (20).
    pub expr_mean: f64,
    /// Spatial share of a mixed gene's loading (0.55).
    pub mix_frac_spatial: f64,
    /// Negative-binomial shape `r` (10): variance Λ + Λ²/r.
    pub nb_shape: f64,
    /// Probability that a cell's gene is zeroed (zero inflation).
    pub dropout: f64,
    /// Bit `l` set: spatial factor `l` is expressed by this modality.
    pub active_factors: u16,
}

impl Default for ModalityParams {
    fn default() -> Self {
        Self {
            spatial_genes: 0,
            mixed_genes: 500,
            nonspatial_genes: 0,
            expr_mean: 20.0,
            mix_frac_spatial: 0.55,
            nb_shape: 10.0,
            dropout: 0.0,
            active_factors: u16::MAX,
        }
    }
}

impl ModalityParams {
    /// Total genes `J = J_sp + J_mix + J_ns` (saturating).
    ///
    /// ```
    /// use cellmap_sim::ModalityParams;
    /// let p = ModalityParams { spatial_genes: 7, mixed_genes: 2, nonspatial_genes: 1, ..Default::default() };
    /// assert_eq!(p.genes(), 10);
    /// ```
    pub const fn genes(&self) -> usize {
        (self.spatial_genes as usize)
            .saturating_add(self.mixed_genes as usize)
            .saturating_add(self.nonspatial_genes as usize)
    }

    /// Checks every parameter's domain.
    ///
    /// ```
    /// use cellmap_sim::ModalityParams;
    /// assert!(ModalityParams::default().validate().is_ok());
    /// assert!(ModalityParams { nb_shape: 0.0, ..Default::default() }.validate().is_err());
    /// assert!(ModalityParams { dropout: f64::NAN, ..Default::default() }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), Error> {
        if !(self.expr_mean >= 0.0 && self.expr_mean <= 1e6) {
            return Err(Error::InvalidArgument("expr_mean must be in [0, 1e6]"));
        }
        if !(0.0..=1.0).contains(&self.mix_frac_spatial) || !(0.0..=1.0).contains(&self.dropout) {
            return Err(Error::InvalidArgument("mix_frac_spatial and dropout must be in [0, 1]"));
        }
        if !(self.nb_shape > 0.0 && self.nb_shape <= 1e9) {
            return Err(Error::InvalidArgument("nb_shape must be in (0, 1e9]"));
        }
        if self.genes() > u32::MAX as usize {
            return Err(Error::InvalidArgument("too many genes"));
        }
        Ok(())
    }
}

/// A gene's loadings: its spatial and non-spatial factor and their weights
/// (a row of `W` and of `V`, which are indicator matrices times a weight).
///
/// ```
/// use cellmap_sim::{ExpressionModel, ModalityParams, NsfParams};
/// let m = ExpressionModel::new(2, &NsfParams::default(), &ModalityParams::default(), 0)?;
/// let l = m.loading(0)?; // a mixed gene: 55 % spatial, 45 % non-spatial
/// assert!(l.spatial_factor.unwrap() < 4 && l.nonspatial_factor.unwrap() < 3);
/// assert!((l.spatial_weight - 11.0).abs() < 1e-12 && (l.nonspatial_weight - 9.0).abs() < 1e-12);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeneLoading {
    /// Spatial factor index, or `None` when the modality has no active factor.
    pub spatial_factor: Option<u8>,
    /// Weight of the spatial factor (`W[j, spatial_factor]`).
    pub spatial_weight: f64,
    /// Non-spatial factor index, or `None` when there are none.
    pub nonspatial_factor: Option<u8>,
    /// Weight of the non-spatial factor (`V[j, nonspatial_factor]`).
    pub nonspatial_weight: f64,
}

/// The factor values of one spot (spatial factors are at most 8, see
/// [`Scenario::factors`]).
struct SpotFactors {
    spatial: [f64; 8],
    nonspatial: [f64; MAX_NONSPATIAL_FACTORS as usize],
}

/// Which factor to paint with [`ExpressionModel::factor_image`].
///
/// ```
/// use cellmap_sim::Factor;
/// let shown = [Factor::Spatial(0), Factor::NonSpatial(2)];
/// assert_ne!(shown[0], shown[1]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    /// Spatial factor `F[:, l]`.
    Spatial(usize),
    /// Non-spatial factor `U[:, k]`.
    NonSpatial(usize),
}

/// Sizes of a simulated expression matrix.
///
/// ```
/// use cellmap_sim::CsrSize;
/// let s = CsrSize::default();
/// assert_eq!((s.nnz, s.molecules), (0, 0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CsrSize {
    /// Stored entries (pixel, gene) with a nonzero count.
    pub nnz: usize,
    /// Total molecules (sum of all counts = number of transcripts).
    pub molecules: u64,
}

/// One simulated molecule: position in pixels (x = column, y = row, uniform
/// inside its pixel), gene and true cell.
///
/// ```
/// use cellmap_sim::Transcript;
/// let t = Transcript { x: 3.5, y: 1.25, gene: 4, cell: 9 };
/// // assignment by pixel: row trunc(y), column trunc(x)
/// assert_eq!((t.y as usize, t.x as usize), (1, 3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Transcript {
    /// Column coordinate in pixels.
    pub x: f32,
    /// Row coordinate in pixels.
    pub y: f32,
    /// Gene index.
    pub gene: u32,
    /// True owner cell (1-based, as in the owner image).
    pub cell: u32,
}

/// A validated expression model for one modality: a pure function of the
/// seed (no buffers); the per-cell draws go to a caller `rates` buffer.
///
/// ```
/// use cellmap_sim::{ExpressionModel, ModalityParams, NsfParams};
/// let m = ExpressionModel::new(1, &NsfParams::default(), &ModalityParams::default(), 0)?;
/// assert_eq!((m.genes(), m.spots()), (500, 1296));
/// let l = m.lambda(0, 0)?;
/// assert!(l >= 0.2 && l <= 0.2 + 20.0);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExpressionModel {
    seed: u64,
    nsf: NsfParams,
    modality: ModalityParams,
    modality_index: u32,
}

impl ExpressionModel {
    /// Validates the parameters. `modality_index` separates the random
    /// streams of modalities that share one seed (and one `U`).
    ///
    /// ```
    /// use cellmap_sim::{ExpressionModel, ModalityParams, NsfParams};
    /// let bad = ModalityParams { mix_frac_spatial: 2.0, ..Default::default() };
    /// assert!(ExpressionModel::new(0, &NsfParams::default(), &bad, 0).is_err());
    /// ```
    pub fn new(
        seed: u64,
        nsf: &NsfParams,
        modality: &ModalityParams,
        modality_index: u32,
    ) -> Result<Self, Error> {
        nsf.validate()?;
        modality.validate()?;
        Ok(Self { seed, nsf: *nsf, modality: *modality, modality_index })
    }

    /// Number of genes `J`.
    ///
    /// ```
    /// use cellmap_sim::{ExpressionModel, ModalityParams, NsfParams};
    /// let m = ExpressionModel::new(0, &NsfParams::default(), &ModalityParams { mixed_genes: 3, ..Default::default() }, 0)?;
    /// assert_eq!(m.genes(), 3);
    /// # Ok::<(), cellmap_core::Error>(())
    /// ```
    pub fn genes(&self) -> usize {
        self.modality.genes()
    }

    /// Number of spots `nside²`.
    ///
    /// ```
    /// use cellmap_sim::{ExpressionModel, ModalityParams, NsfParams};
    /// let m = ExpressionModel::new(0, &NsfParams { nside: 12, ..NsfParams::default() }, &ModalityParams::default(), 0)?;
    /// assert_eq!(m.spots(), 144);
    /// # Ok::<(), cellmap_core::Error>(())
    /// ```
    pub fn spots(&self) -> usize {
        (self.nsf.nside as usize) * (self.nsf.nside as usize)
    }

    /// The spot-level parameters.
    ///
    /// ```
    /// use cellmap_sim::{ExpressionModel, ModalityParams, NsfParams};
    /// let m = ExpressionModel::new(0, &NsfParams::default(), &ModalityParams::default(), 0)?;
    /// assert_eq!(m.nsf().background_mean, 0.2);
    /// # Ok::<(), cellmap_core::Error>(())
    /// ```
    pub fn nsf(&self) -> &NsfParams {
        &self.nsf
    }

    /// The modality parameters.
    ///
    /// ```
    /// use cellmap_sim::{ExpressionModel, ModalityParams, NsfParams};
    /// let m = ExpressionModel::new(0, &NsfParams::default(), &ModalityParams::default(), 0)?;
    /// assert_eq!(m.modality().nb_shape, 10.0);
    /// # Ok::<(), cellmap_core::Error>(())
    /// ```
    pub fn modality(&self) -> &ModalityParams {
        &self.modality
    }

    /// Spatial factor `F[spot, l]` (0 or 1; 0 out of range).
    ///
    /// ```
    /// use cellmap_sim::{ExpressionModel, ModalityParams, NsfParams};
    /// let m = ExpressionModel::new(0, &NsfParams::default(), &ModalityParams::default(), 0)?;
    /// // quilt factor 2 (scotland) on 36×36 spots: the diagonal blocks are 3×3.
    /// assert_eq!(m.spatial_factor(0, 2), 1.0);
    /// assert_eq!(m.spatial_factor(3 * 36 + 3, 2), 1.0);
    /// assert_eq!(m.spatial_factor(3, 2), 0.0);
    /// # Ok::<(), cellmap_core::Error>(())
    /// ```
    pub fn spatial_factor(&self, spot: usize, l: usize) -> f64 {
        let n = self.nsf.nside as usize;
        if spot >= self.spots() {
            return 0.0;
        }
        self.nsf.scenario.factor_at(n, l, spot / n, spot % n)
    }

    /// Non-spatial factor `U[spot, k]` (0 or 1; 0 out of range): one
    /// Bernoulli draw from its own stream, shared by all modalities.
    ///
    /// ```
    /// use cellmap_sim::{ExpressionModel, ModalityParams, NsfParams};
    /// let m = ExpressionModel::new(0, &NsfParams::default(), &ModalityParams::default(), 0)?;
    /// let ones = (0..m.spots()).filter(|&s| m.nonspatial_factor(s, 0) == 1.0).count();
    /// assert!(ones > 200 && ones < 320); // 1296 × 0.2 = 259, sd 14
    /// assert_eq!(m.nonspatial_factor(0, 3), 0.0); // only 3 factors
    /// # Ok::<(), cellmap_core::Error>(())
    /// ```
    pub fn nonspatial_factor(&self, spot: usize, k: usize) -> f64 {
        if spot >= self.spots() || k >= self.nsf.nonspatial_factors as usize {
            return 0.0;
        }
        let index = (spot as u64) * u64::from(MAX_NONSPATIAL_FACTORS) + k as u64;
        let mut rng = Xoshiro256StarStar::stream(self.seed, TAG_NONSPATIAL, index);
        if rng.next_f64() < self.nsf.nonspatial_probability { 1.0 } else { 0.0 }
    }

    /// Loadings of `gene` (drawn from its own stream).
    ///
    /// ```
    /// use cellmap_sim::{ExpressionModel, ModalityParams, NsfParams};
    /// let modality = ModalityParams { spatial_genes: 1, mixed_genes: 1, nonspatial_genes: 1, ..Default::default() };
    /// let m = ExpressionModel::new(3, &NsfParams::default(), &modality, 0)?;
    /// let w = |g| { let l = m.loading(g).unwrap(); (l.spatial_weight, l.nonspatial_weight) };
    /// assert_eq!(w(0), (20.0, 0.0));
    /// assert!((w(1).0 - 11.0).abs() < 1e-12 && (w(1).1 - 9.0).abs() < 1e-12);
    /// assert_eq!(w(2), (0.0, 20.0));
    /// assert!(m.loading(3).is_err());
    /// # Ok::<(), cellmap_core::Error>(())
    /// ```
    pub fn loading(&self, gene: usize) -> Result<GeneLoading, Error> {
        if gene >= self.genes() {
            return Err(Error::InvalidArgument("gene index out of range"));
        }
        let m = &self.modality;
        let mut rng =
            Xoshiro256StarStar::stream(self.seed, TAG_LOADINGS + u64::from(self.modality_index), gene as u64);
        let factors = self.nsf.scenario.factors();
        let active = (0..factors).filter(|&l| m.active_factors & (1 << l) != 0).count();
        let spatial_factor = if active > 0 {
            let pick = rng.below(active as u64) as usize;
            (0..factors).filter(|&l| m.active_factors & (1 << l) != 0).nth(pick).map(|l| l as u8)
        } else {
            None
        };
        let lns = self.nsf.nonspatial_factors;
        let nonspatial_factor = if lns > 0 { Some(rng.below(u64::from(lns)) as u8) } else { None };
        let (sp, mix) = (m.spatial_genes as usize, m.spatial_genes as usize + m.mixed_genes as usize);
        let (ws, wn) = if gene < sp {
            (m.expr_mean, 0.0)
        } else if gene < mix {
            (m.mix_frac_spatial * m.expr_mean, (1.0 - m.mix_frac_spatial) * m.expr_mean)
        } else {
            (0.0, m.expr_mean)
        };
        Ok(GeneLoading {
            spatial_factor,
            spatial_weight: if spatial_factor.is_some() { ws } else { 0.0 },
            nonspatial_factor,
            nonspatial_weight: if nonspatial_factor.is_some() { wn } else { 0.0 },
        })
    }

    /// A short display name for `gene` saying what drives it: `sp3_F1`
    /// (pure spatial gene 3, spatial factor 1), `mix0_F2_U1` (mixed gene 0)
    /// or `ns2_U0` (pure non-spatial gene 2); the index counts within the
    /// gene's group.
    ///
    /// ```
    /// use cellmap_sim::{ExpressionModel, ModalityParams, NsfParams};
    /// let modality = ModalityParams { spatial_genes: 1, mixed_genes: 1, nonspatial_genes: 1, ..Default::default() };
    /// let m = ExpressionModel::new(3, &NsfParams::default(), &modality, 0)?;
    /// assert!(m.gene_name(0)?.starts_with("sp0_F"));
    /// assert!(m.gene_name(1)?.starts_with("mix0_F") && m.gene_name(1)?.contains("_U"));
    /// assert!(m.gene_name(2)?.starts_with("ns0_U"));
    /// # Ok::<(), cellmap_core::Error>(())
    /// ```
    pub fn gene_name(&self, gene: usize) -> Result<heapless::String<32>, Error> {
        use core::fmt::Write;
        let loading = self.loading(gene)?;
        let m = &self.modality;
        let (sp, mix) = (m.spatial_genes as usize, m.spatial_genes as usize + m.mixed_genes as usize);
        let (group, index) = if gene < sp {
            ("sp", gene)
        } else if gene < mix {
            ("mix", gene - sp)
        } else {
            ("ns", gene - mix)
        };
        let mut name = heapless::String::new();
        // At most 3 + 20 + 2 × 4 = 31 bytes: always fits.
        let _ = write!(name, "{group}{index}");
        if let (Some(l), true) = (loading.spatial_factor, loading.spatial_weight > 0.0) {
            let _ = write!(name, "_F{l}");
        }
        if let (Some(k), true) = (loading.nonspatial_factor, loading.nonspatial_weight > 0.0) {
            let _ = write!(name, "_U{k}");
        }
        Ok(name)
    }

    /// Expected expression `Λ[spot, gene]`.
    ///
    /// ```
    /// use cellmap_sim::{ExpressionModel, ModalityParams, NsfParams};
    /// let modality = ModalityParams { spatial_genes: 1, mixed_genes: 0, ..Default::default() };
    /// let m = ExpressionModel::new(0, &NsfParams::default(), &modality, 0)?;
    /// let l = m.loading(0)?.spatial_factor.unwrap() as usize;
    /// let spot = (0..m.spots()).find(|&s| m.spatial_factor(s, l) == 1.0).unwrap();
    /// assert_eq!(m.lambda(spot, 0)?, 20.2); // signal: bkg + expr_mean
    /// # Ok::<(), cellmap_core::Error>(())
    /// ```
    pub fn lambda(&self, spot: usize, gene: usize) -> Result<f64, Error> {
        if spot >= self.spots() {
            return Err(Error::InvalidArgument("spot index out of range"));
        }
        Ok(self.lambda_with(spot, &self.loading(gene)?))
    }

    fn lambda_with(&self, spot: usize, loading: &GeneLoading) -> f64 {
        self.lambda_from(&self.spot_factors(spot), loading)
    }

    /// All factor values at `spot`: `F[spot, 0..8]` and `U[spot, 0..16]`.
    fn spot_factors(&self, spot: usize) -> SpotFactors {
        let mut factors =
            SpotFactors { spatial: [0.0; 8], nonspatial: [0.0; MAX_NONSPATIAL_FACTORS as usize] };
        for (l, f) in factors.spatial.iter_mut().enumerate().take(self.nsf.scenario.factors()) {
            *f = self.spatial_factor(spot, l);
        }
        for (k, u) in factors.nonspatial.iter_mut().enumerate().take(self.nsf.nonspatial_factors as usize) {
            *u = self.nonspatial_factor(spot, k);
        }
        factors
    }

    fn lambda_from(&self, factors: &SpotFactors, loading: &GeneLoading) -> f64 {
        let f = loading.spatial_factor.map_or(0.0, |l| factors.spatial[l as usize]);
        let u = loading.nonspatial_factor.map_or(0.0, |k| factors.nonspatial[k as usize]);
        self.nsf.background_mean + f * loading.spatial_weight + u * loading.nonspatial_weight
    }

    /// Spot of pixel `(row, col)` of a `width × height` tile (the grid
    /// stretched over the tile); `None` outside the tile.
    ///
    /// ```
    /// use cellmap_sim::{ExpressionModel, ModalityParams, NsfParams};
    /// let m = ExpressionModel::new(0, &NsfParams::default(), &ModalityParams::default(), 0)?;
    /// assert_eq!(m.spot_of(72, 36, 0, 71), Some(35));
    /// assert_eq!(m.spot_of(72, 36, 35, 0), Some(35 * 36));
    /// assert_eq!(m.spot_of(72, 36, 36, 0), None);
    /// # Ok::<(), cellmap_core::Error>(())
    /// ```
    pub fn spot_of(&self, width: usize, height: usize, row: usize, col: usize) -> Option<usize> {
        if row >= height || col >= width {
            return None;
        }
        let n = self.nsf.nside as u128;
        let r = (row as u128 * n / height as u128) as usize;
        let c = (col as u128 * n / width as u128) as usize;
        Some(r * self.nsf.nside as usize + c)
    }

    fn cell_spot(&self, width: usize, height: usize, cell: &SimCell) -> Option<usize> {
        if width == 0 || height == 0 {
            return None;
        }
        let row = libm::round(cell.row).clamp(0.0, height as f64 - 1.0) as usize;
        let col = libm::round(cell.col).clamp(0.0, width as f64 - 1.0) as usize;
        self.spot_of(width, height, row, col)
    }

    /// Length of the `rates` buffer for `cells` cells.
    ///
    /// ```
    /// use cellmap_sim::{ExpressionModel, ModalityParams, NsfParams};
    /// let m = ExpressionModel::new(0, &NsfParams::default(), &ModalityParams::default(), 0)?;
    /// assert_eq!(m.rates_len(10), 10 * 500);
    /// # Ok::<(), cellmap_core::Error>(())
    /// ```
    pub fn rates_len(&self, cells: usize) -> usize {
        cells.saturating_mul(self.genes())
    }

    /// Draws each cell's per-pixel Poisson rates into `rates`
    /// (`cells.len() × genes`, row-major by cell) as **running sums** over
    /// the genes: gene `j` of cell `c` has rate
    /// `rates[c·J + j] − rates[c·J + j − 1]` (see [`ExpressionModel::gene_rate`]),
    /// equal to `G / area` with `G ~ gamma(r, Λ/r)`, or 0 after dropout; 0 for
    /// cells without pixels. (Running sums let every pixel draw its total
    /// count once and split it over the genes: see [`ExpressionModel::csr_size`].)
    ///
    /// ```
    /// use cellmap_sim::{CellKind, ExpressionModel, ModalityParams, NsfParams, SimCell};
    /// let modality = ModalityParams { mixed_genes: 2, ..Default::default() };
    /// let m = ExpressionModel::new(1, &NsfParams::default(), &modality, 0)?;
    /// let cells = [SimCell::EMPTY, SimCell::new(CellKind::Plain, 0.0, 0.0, 10)];
    /// let mut rates = [1.0f64; 4];
    /// m.cell_rates(10, 10, &cells, &mut rates)?;
    /// assert_eq!(&rates[..2], &[0.0, 0.0]); // no pixels: no molecules
    /// assert!(m.gene_rate(&rates, 1, 0)? > 0.0 && rates[3] >= rates[2]);
    /// # Ok::<(), cellmap_core::Error>(())
    /// ```
    pub fn cell_rates(
        &self,
        width: usize,
        height: usize,
        cells: &[SimCell],
        rates: &mut [f64],
    ) -> Result<(), Error> {
        let genes = self.genes();
        crate::ensure_len("rates", rates, self.rates_len(cells.len()))?;
        let shape = self.modality.nb_shape;
        for (index, cell) in cells.iter().enumerate() {
            let out = &mut rates[index * genes..(index + 1) * genes];
            let spot = match self.cell_spot(width, height, cell) {
                Some(spot) if cell.area > 0 => spot,
                _ => {
                    out.fill(0.0);
                    continue;
                }
            };
            let tag = TAG_CELL_RATES + u64::from(self.modality_index);
            let mut rng = Xoshiro256StarStar::stream(self.seed, tag, index as u64);
            let factors = self.spot_factors(spot);
            let mut running = 0.0;
            for (gene, slot) in out.iter_mut().enumerate() {
                let dropped = rng.next_f64() < self.modality.dropout;
                let g = gamma_unchecked(&mut rng, shape);
                let lambda = self.lambda_from(&factors, &self.loading(gene)?);
                if !dropped {
                    running += g * (lambda / shape) / f64::from(cell.area);
                }
                *slot = running;
            }
        }
        Ok(())
    }

    /// The per-pixel rate of `gene` in cell index `cell` (0-based; owner id
    /// minus one) from a `rates` buffer of [`ExpressionModel::cell_rates`].
    ///
    /// ```
    /// use cellmap_sim::{ExpressionModel, ModalityParams, NsfParams};
    /// let m = ExpressionModel::new(0, &NsfParams::default(), &ModalityParams { mixed_genes: 3, ..Default::default() }, 0)?;
    /// let rates = [0.5, 0.5, 2.0]; // one cell: gene rates 0.5, 0, 1.5
    /// assert_eq!([m.gene_rate(&rates, 0, 0)?, m.gene_rate(&rates, 0, 1)?, m.gene_rate(&rates, 0, 2)?], [0.5, 0.0, 1.5]);
    /// assert!(m.gene_rate(&rates, 1, 0).is_err());
    /// # Ok::<(), cellmap_core::Error>(())
    /// ```
    pub fn gene_rate(&self, rates: &[f64], cell: usize, gene: usize) -> Result<f64, Error> {
        let genes = self.genes();
        if gene >= genes {
            return Err(Error::InvalidArgument("gene index out of range"));
        }
        let at = cell.checked_mul(genes).and_then(|i| i.checked_add(gene));
        let Some(&here) = at.and_then(|i| rates.get(i)) else {
            return Err(Error::InvalidArgument("cell index out of range"));
        };
        Ok(if gene == 0 { here } else { here - rates[cell * genes + gene - 1] })
    }

    /// Checks the owner image and `rates` (finite, non-decreasing running
    /// sums whose totals a Poisson draw accepts); returns the gene count.
    fn check_inputs(&self, owner: &Grid<'_, u32>, rates: &[f64]) -> Result<usize, Error> {
        let genes = self.genes();
        // Without genes there is nothing to read: any owner id is fine.
        let cells = rates.len().checked_div(genes).unwrap_or(usize::MAX);
        if let Some(&bad) = owner.as_slice().iter().find(|&&o| o as usize > cells) {
            return Err(Error::LabelOutOfRange { label: bad as usize, max: cells });
        }
        if genes > 0 {
            for cell in rates.chunks_exact(genes) {
                let mut previous = 0.0;
                for &r in cell {
                    if !(r >= previous && r <= MAX_POISSON_MEAN) {
                        return Err(Error::InvalidArgument(
                            "rates must be non-decreasing running sums in [0, 1e15] per cell",
                        ));
                    }
                    previous = r;
                }
            }
        }
        Ok(genes)
    }

    /// Visits every molecule count in pixel-major, gene-ascending order.
    ///
    /// Each pixel draws its total `N ~ Poisson(R)` (R = the cell's summed
    /// rate) and splits it multinomially over the genes by the rates: by
    /// Poisson splitting this is exactly an independent `Poisson(rate_j)` per
    /// gene, at O(N log J) instead of O(J) per pixel. Up to [`SMALL_DRAW`]
    /// molecules are drawn as iid genes and sorted on the stack; more are
    /// drawn at ascending uniform order statistics
    /// (`u ← u + (1 − u)(1 − V^{1/m})`, m molecules left), so the genes come
    /// out sorted and are counted in runs without any buffer.
    fn for_each_count(
        &self,
        owner: &Grid<'_, u32>,
        rates: &[f64],
        mut visit: impl FnMut(usize, u32, u64) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let genes = self.genes();
        if genes == 0 {
            return Ok(());
        }
        let width = owner.width();
        for row in 0..owner.height() {
            let tag = TAG_PIXELS + u64::from(self.modality_index);
            let mut rng = Xoshiro256StarStar::stream(self.seed, tag, row as u64);
            for (col, &o) in owner.row(row).iter().enumerate() {
                if o == 0 {
                    continue;
                }
                let running = &rates[(o as usize - 1) * genes..o as usize * genes];
                let total = running[genes - 1];
                if total <= 0.0 {
                    continue;
                }
                let molecules = poisson_unchecked(&mut rng, total);
                let pixel = row * width + col;
                if molecules as usize <= SMALL_DRAW {
                    // Few molecules (the usual case): iid gene draws, sorted.
                    let mut picked = [0u32; SMALL_DRAW];
                    let picked = &mut picked[..molecules as usize];
                    for slot in picked.iter_mut() {
                        *slot = pick_gene(running, 0, rng.next_f64() * total) as u32;
                    }
                    picked.sort_unstable();
                    for run in picked.chunk_by(|a, b| a == b) {
                        visit(pixel, run[0], run.len() as u64)?;
                    }
                    continue;
                }
                let (mut u, mut gene, mut run) = (0.0f64, 0usize, 0u64);
                for left in (1..=molecules).rev() {
                    let v = rng.next_f64_open();
                    let step = if left == 1 { v } else { libm::pow(v, 1.0 / left as f64) };
                    u += (1.0 - u) * (1.0 - step);
                    let picked = pick_gene(running, gene, u * total);
                    if picked != gene && run > 0 {
                        visit(pixel, gene as u32, run)?;
                        run = 0;
                    }
                    gene = picked;
                    run += 1;
                }
                if run > 0 {
                    visit(pixel, gene as u32, run)?;
                }
            }
        }
        Ok(())
    }

    /// Pass 1 of the CSR: the number of nonzeros and molecules
    /// [`ExpressionModel::fill_csr`] will write for this owner image and
    /// `rates` (from [`ExpressionModel::cell_rates`]).
    ///
    /// ```
    /// use cellmap_core::Grid;
    /// use cellmap_sim::{ExpressionModel, ModalityParams, NsfParams};
    /// let m = ExpressionModel::new(0, &NsfParams::default(), &ModalityParams { mixed_genes: 2, ..Default::default() }, 0)?;
    /// let owner = [1u32, 0, 1];
    /// let size = m.csr_size(&Grid::new(3, 1, &owner)?, &[0.0, 0.0])?; // a cell with zero rates
    /// assert_eq!((size.nnz, size.molecules), (0, 0));
    /// # Ok::<(), cellmap_core::Error>(())
    /// ```
    pub fn csr_size(&self, owner: &Grid<'_, u32>, rates: &[f64]) -> Result<CsrSize, Error> {
        self.check_inputs(owner, rates)?;
        let mut size = CsrSize::default();
        self.for_each_count(owner, rates, |_, _, count| {
            size.nnz += 1;
            size.molecules = size.molecules.saturating_add(count);
            Ok(())
        })?;
        Ok(size)
    }

    /// Pass 2: writes the pixels × genes count matrix as CSR — row
    /// `r = row · width + col`, `indptr` of length `width·height + 1`,
    /// sorted gene `indices`, `f32` counts in `data` — like the research
    /// data's `scipy.sparse` matrices. `indices`/`data` must hold
    /// [`ExpressionModel::csr_size`]'s `nnz`; `nnz` must fit an `i32`.
    ///
    /// # Errors
    ///
    /// Bad owner ids or rates, and a short `indptr`, are reported before
    /// anything is written. Shorter `indices`/`data` than pass 1 asked for
    /// give [`Error::BufferTooSmall`] when the first entry does not fit:
    /// nothing is ever written past the buffers, but a prefix is.
    ///
    /// ```
    /// use cellmap_core::Grid;
    /// use cellmap_sim::{ExpressionModel, ModalityParams, NsfParams};
    /// let modality = ModalityParams { spatial_genes: 1, mixed_genes: 0, ..Default::default() };
    /// let m = ExpressionModel::new(1, &NsfParams::default(), &modality, 0)?;
    /// let owner = [0u32, 1, 1, 0]; // one 2-pixel cell in a 2×2 tile
    /// let rates = [30.0f64]; // 30 molecules per pixel expected
    /// let grid = Grid::new(2, 2, &owner)?;
    /// let size = m.csr_size(&grid, &rates)?;
    /// let (mut indptr, mut indices, mut data) = ([0u32; 5], [0u32; 2], [0f32; 2]);
    /// assert_eq!(m.fill_csr(&grid, &rates, &mut indptr, &mut indices, &mut data)?, size);
    /// assert_eq!((size.nnz, indptr), (2, [0, 0, 1, 2, 2]));
    /// assert_eq!(size.molecules, (data[0] + data[1]) as u64);
    /// # Ok::<(), cellmap_core::Error>(())
    /// ```
    pub fn fill_csr(
        &self,
        owner: &Grid<'_, u32>,
        rates: &[f64],
        indptr: &mut [u32],
        indices: &mut [u32],
        data: &mut [f32],
    ) -> Result<CsrSize, Error> {
        self.check_inputs(owner, rates)?;
        let rows = pixel_count(owner.width(), owner.height())?;
        crate::ensure_len("indptr", indptr, rows + 1)?;
        let capacity = indices.len().min(data.len()).min(i32::MAX as usize);
        let mut size = CsrSize::default();
        let mut next_row = 0;
        indptr[0] = 0;
        self.for_each_count(owner, rates, |pixel, gene, count| {
            if size.nnz >= capacity {
                return Err(Error::BufferTooSmall {
                    buffer: "indices/data",
                    needed: size.nnz + 1,
                    got: capacity,
                });
            }
            while next_row < pixel {
                next_row += 1;
                indptr[next_row] = size.nnz as u32;
            }
            indices[size.nnz] = gene;
            data[size.nnz] = count as f32;
            size.nnz += 1;
            size.molecules = size.molecules.saturating_add(count);
            Ok(())
        })?;
        while next_row < rows {
            next_row += 1;
            indptr[next_row] = size.nnz as u32;
        }
        Ok(size)
    }

    /// Writes the molecules as transcripts (pixel-major, gene-minor order,
    /// each uniform inside its pixel); `out` must hold
    /// [`ExpressionModel::csr_size`]'s `molecules`. Returns how many were
    /// written; a shorter `out` gives [`Error::BufferTooSmall`] (with a
    /// prefix written, never past the end).
    ///
    /// ```
    /// use cellmap_core::Grid;
    /// use cellmap_sim::{ExpressionModel, ModalityParams, NsfParams, Transcript};
    /// let modality = ModalityParams { spatial_genes: 1, mixed_genes: 0, ..Default::default() };
    /// let m = ExpressionModel::new(1, &NsfParams::default(), &modality, 0)?;
    /// let owner = [0u32, 1];
    /// let grid = Grid::new(2, 1, &owner)?;
    /// let rates = [3.0f64];
    /// let n = m.csr_size(&grid, &rates)?.molecules as usize;
    /// let mut out = [Transcript::default(); 64];
    /// assert_eq!(m.transcripts(&grid, &rates, &mut out)?, n);
    /// assert!(out[..n].iter().all(|t| t.x >= 1.0 && t.x < 2.0 && t.y < 1.0 && t.cell == 1));
    /// # Ok::<(), cellmap_core::Error>(())
    /// ```
    pub fn transcripts(
        &self,
        owner: &Grid<'_, u32>,
        rates: &[f64],
        out: &mut [Transcript],
    ) -> Result<usize, Error> {
        self.check_inputs(owner, rates)?;
        let width = owner.width().max(1);
        let cells = owner.as_slice();
        let mut written = 0usize;
        let mut jitter =
            Xoshiro256StarStar::stream(self.seed, TAG_JITTER + u64::from(self.modality_index), 0);
        self.for_each_count(owner, rates, |pixel, gene, count| {
            let needed = written.saturating_add(usize::try_from(count).unwrap_or(usize::MAX));
            if needed > out.len() {
                return Err(Error::BufferTooSmall { buffer: "out", needed, got: out.len() });
            }
            let (row, col) = (pixel / width, pixel % width);
            for t in &mut out[written..needed] {
                *t = Transcript {
                    x: (col as f64 + jitter.next_f64()) as f32,
                    y: (row as f64 + jitter.next_f64()) as f32,
                    gene,
                    cell: cells[pixel],
                };
                // f32 rounding can reach the next pixel's edge: stay inside.
                t.x = t.x.min(libm::nextafterf(col as f32 + 1.0, 0.0));
                t.y = t.y.min(libm::nextafterf(row as f32 + 1.0, 0.0));
            }
            written = needed;
            Ok(())
        })?;
        Ok(written)
    }

    /// Paints the true value of a factor at each cell's spot over the cell's
    /// pixels (0 on background) — the factors viewable as "genes".
    ///
    /// ```
    /// use cellmap_core::Grid;
    /// use cellmap_sim::{CellKind, ExpressionModel, Factor, ModalityParams, NsfParams, SimCell};
    /// let m = ExpressionModel::new(1, &NsfParams::default(), &ModalityParams::default(), 0)?;
    /// // quilt factor 1 (corners) is 1 at spot (0, 0): a cell there reads 1.
    /// let cells = [SimCell::new(CellKind::Plain, 0.0, 0.0, 1)];
    /// let owner = [1u32, 0];
    /// let mut out = [9.0f32; 2];
    /// m.factor_image(&Grid::new(2, 1, &owner)?, &cells, Factor::Spatial(1), &mut out)?;
    /// assert_eq!(out, [1.0, 0.0]);
    /// # Ok::<(), cellmap_core::Error>(())
    /// ```
    pub fn factor_image(
        &self,
        owner: &Grid<'_, u32>,
        cells: &[SimCell],
        factor: Factor,
        out: &mut [f32],
    ) -> Result<(), Error> {
        if out.len() != owner.len() {
            return Err(Error::ShapeMismatch { expected: owner.len(), got: out.len() });
        }
        if let Some(&bad) = owner.as_slice().iter().find(|&&o| o as usize > cells.len()) {
            return Err(Error::LabelOutOfRange { label: bad as usize, max: cells.len() });
        }
        let (w, h) = (owner.width(), owner.height());
        for (value, &o) in out.iter_mut().zip(owner.as_slice()) {
            *value = match (o as usize).checked_sub(1).and_then(|i| self.cell_spot(w, h, &cells[i])) {
                None => 0.0,
                Some(spot) => match factor {
                    Factor::Spatial(l) => self.spatial_factor(spot, l) as f32,
                    Factor::NonSpatial(k) => self.nonspatial_factor(spot, k) as f32,
                },
            };
        }
        Ok(())
    }
}

/// First gene `j >= from` with `running[j] > x` (so genes with a zero
/// rate are never picked); if rounding puts `x` at or past the total, the
/// last gene with a positive rate.
fn pick_gene(running: &[f64], from: usize, x: f64) -> usize {
    let tail = &running[from..];
    let found = from + tail.partition_point(|&r| r <= x);
    if found < running.len() {
        return found;
    }
    let mut last = running.len() - 1;
    while last > 0 && running[last - 1] >= running[last] {
        last -= 1;
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mask::CellKind;
    use std::vec;
    use std::vec::Vec;

    #[test]
    fn lambda_follows_the_nsf_formula() {
        let modality =
            ModalityParams { spatial_genes: 20, mixed_genes: 20, nonspatial_genes: 20, ..Default::default() };
        let m = ExpressionModel::new(4, &NsfParams::default(), &modality, 0).unwrap();
        for gene in 0..60 {
            let l = m.loading(gene).unwrap();
            for spot in [0, 100, 700, 1295] {
                let f = m.spatial_factor(spot, l.spatial_factor.unwrap() as usize);
                let u = m.nonspatial_factor(spot, l.nonspatial_factor.unwrap() as usize);
                let want = 0.2 + f * l.spatial_weight + u * l.nonspatial_weight;
                assert_eq!(m.lambda(spot, gene).unwrap(), want);
            }
        }
    }

    #[test]
    fn nonspatial_factors_are_one_with_probability_nzprob() {
        let m = ExpressionModel::new(5, &NsfParams::default(), &ModalityParams::default(), 0).unwrap();
        let n = m.spots() * 3;
        let ones: f64 = (0..m.spots())
            .flat_map(|s| (0..3).map(move |k| (s, k)))
            .map(|(s, k)| m.nonspatial_factor(s, k))
            .sum();
        let se = (0.2 * 0.8 * n as f64).sqrt();
        assert!((ones - 0.2 * n as f64).abs() < 5.0 * se);
    }

    #[test]
    fn spatial_loadings_use_only_active_factors_roughly_uniformly() {
        let modality = ModalityParams { mixed_genes: 4000, active_factors: 0b1010, ..Default::default() };
        let m = ExpressionModel::new(6, &NsfParams::default(), &modality, 1).unwrap();
        let mut counts = [0usize; 4];
        for g in 0..4000 {
            counts[m.loading(g).unwrap().spatial_factor.unwrap() as usize] += 1;
        }
        assert_eq!((counts[0], counts[2]), (0, 0));
        assert!((counts[1] as i64 - 2000).abs() < 5 * 32); // sd = sqrt(4000/4) ≈ 32
    }

    #[test]
    fn per_cell_totals_are_negative_binomial_with_mean_lambda() {
        // Many 4-pixel cells at one spot with one gene: the cell totals are
        // NB(Λ, r); check mean and variance within 5 standard errors.
        let modality = ModalityParams { spatial_genes: 1, mixed_genes: 0, ..Default::default() };
        let nsf = NsfParams { nonspatial_factors: 0, ..Default::default() };
        let m = ExpressionModel::new(8, &nsf, &modality, 0).unwrap();
        let cells_n = 20_000usize;
        let cells = vec![SimCell::new(CellKind::Plain, 0.0, 0.0, 4); cells_n];
        let mut rates = vec![0f64; cells_n];
        m.cell_rates(1, 1, &cells, &mut rates).unwrap();
        let owner: Vec<u32> = (0..cells_n as u32 * 4).map(|p| p / 4 + 1).collect();
        let grid = Grid::new(4, cells_n, &owner).unwrap();
        let size = m.csr_size(&grid, &rates).unwrap();
        let mut indptr = vec![0u32; owner.len() + 1];
        let mut indices = vec![0u32; size.nnz];
        let mut data = vec![0f32; size.nnz];
        m.fill_csr(&grid, &rates, &mut indptr, &mut indices, &mut data).unwrap();
        let totals: Vec<f64> = (0..cells_n)
            .map(|c| data[indptr[4 * c] as usize..indptr[4 * c + 4] as usize].iter().map(|&v| v as f64).sum())
            .collect();
        let lambda = m.lambda(0, 0).unwrap();
        let r = 10.0;
        let n = cells_n as f64;
        let mean = totals.iter().sum::<f64>() / n;
        let var = totals.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let p = r / (r + lambda);
        let true_var = lambda + lambda * lambda / r;
        let mu4 = r * (1.0 - p) * (p * p - 6.0 * p + 6.0) / p.powi(4) + 3.0 * true_var * true_var;
        assert!((mean - lambda).abs() < 5.0 * (true_var / n).sqrt(), "mean {mean} vs {lambda}");
        assert!(
            (var - true_var).abs() < 5.0 * ((mu4 - true_var * true_var) / n).sqrt(),
            "var {var} vs {true_var}"
        );
    }

    /// Per-gene counts of many one-pixel cells with the given gene rates.
    fn pixel_counts(rates: &[f64], pixels: usize) -> Vec<Vec<f64>> {
        let genes = rates.len() as u32;
        let m = ExpressionModel::new(
            3,
            &NsfParams::default(),
            &ModalityParams { mixed_genes: genes, ..Default::default() },
            0,
        )
        .unwrap();
        let running: Vec<f64> = rates
            .iter()
            .scan(0.0, |acc, r| {
                *acc += r;
                Some(*acc)
            })
            .collect();
        let owner = vec![1u32; pixels];
        let grid = Grid::new(pixels, 1, &owner).unwrap();
        let mut counts = vec![vec![0.0; pixels]; rates.len()];
        m.for_each_count(&grid, &running, |pixel, gene, count| {
            counts[gene as usize][pixel] += count as f64;
            Ok(())
        })
        .unwrap();
        counts
    }

    #[test]
    fn pixel_counts_are_independent_poissons_per_gene_on_both_paths() {
        // Small totals take the sorted iid path, large ones the order
        // statistics; each gene must be Poisson(rate): mean = variance = rate
        // (tolerance 5 standard errors; var of the sample variance is
        // (μ4 − σ⁴)/n with μ4 = λ + 3λ²), and gene pairs uncorrelated.
        for rates in [[0.5, 0.0, 3.0, 1.0], [50.0, 0.0, 100.0, 30.0]] {
            let n = 40_000;
            let counts = pixel_counts(&rates, n);
            for (gene, &lambda) in rates.iter().enumerate() {
                let xs = &counts[gene];
                let mean = xs.iter().sum::<f64>() / n as f64;
                let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0);
                if lambda == 0.0 {
                    assert!(xs.iter().all(|&x| x == 0.0));
                    continue;
                }
                let se_var = ((lambda + 2.0 * lambda * lambda) / n as f64).sqrt();
                assert!(
                    (mean - lambda).abs() < 5.0 * (lambda / n as f64).sqrt(),
                    "{rates:?} gene {gene} mean {mean}"
                );
                assert!((var - lambda).abs() < 5.0 * se_var, "{rates:?} gene {gene} var {var}");
            }
            let (a, b) = (&counts[0], &counts[2]);
            let (ma, mb) = (rates[0], rates[2]);
            let cov = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum::<f64>() / n as f64;
            let corr = cov / (ma * mb).sqrt();
            assert!(corr.abs() < 5.0 / (n as f64).sqrt(), "{rates:?} correlation {corr}");
        }
    }

    #[test]
    fn dropout_zeroes_the_expected_share_of_cell_genes() {
        let modality = ModalityParams { mixed_genes: 50, dropout: 0.3, ..Default::default() };
        let m = ExpressionModel::new(9, &NsfParams::default(), &modality, 0).unwrap();
        let cells = vec![SimCell::new(CellKind::Plain, 0.0, 0.0, 1); 2000];
        let mut rates = vec![0f64; 2000 * 50];
        m.cell_rates(36, 36, &cells, &mut rates).unwrap();
        let zeros = (0..2000)
            .flat_map(|c| (0..50).map(move |g| (c, g)))
            .filter(|&(c, g)| m.gene_rate(&rates, c, g).unwrap() == 0.0)
            .count() as f64;
        let n = rates.len() as f64;
        // Λ >= 0.2 > 0 so a zero rate is a dropout (gamma draws are > 0).
        assert!((zeros - 0.3 * n).abs() < 5.0 * (0.3 * 0.7 * n).sqrt(), "{zeros} of {n}");
    }

    #[test]
    fn owner_ids_beyond_the_rates_buffer_are_rejected() {
        let m = ExpressionModel::new(
            0,
            &NsfParams::default(),
            &ModalityParams { mixed_genes: 2, ..Default::default() },
            0,
        )
        .unwrap();
        let owner = [3u32];
        let grid = Grid::new(1, 1, &owner).unwrap();
        assert_eq!(m.csr_size(&grid, &[0.0; 4]), Err(Error::LabelOutOfRange { label: 3, max: 2 }));
        let one = Grid::new(1, 1, &[1u32][..]).unwrap();
        assert!(m.csr_size(&one, &[2.0, 1.0]).is_err()); // not running sums
        assert!(m.csr_size(&one, &[f64::NAN, 1.0]).is_err());
        let mut out = [Transcript::default(); 1];
        assert!(m.transcripts(&grid, &[0.0; 4], &mut out).is_err());
    }

    #[test]
    fn too_small_csr_buffers_are_errors() {
        let m = ExpressionModel::new(
            0,
            &NsfParams::default(),
            &ModalityParams { mixed_genes: 1, ..Default::default() },
            0,
        )
        .unwrap();
        let owner = [1u32; 4];
        let grid = Grid::new(2, 2, &owner).unwrap();
        let rates = [50.0f64];
        let (mut indptr, mut indices, mut data) = ([0u32; 5], [0u32; 1], [0f32; 1]);
        assert!(matches!(
            m.fill_csr(&grid, &rates, &mut indptr, &mut indices, &mut data),
            Err(Error::BufferTooSmall { .. })
        ));
        assert!(matches!(
            m.fill_csr(&grid, &rates, &mut [0u32; 4], &mut indices, &mut data),
            Err(Error::BufferTooSmall { .. })
        ));
    }
}
