//! A multi-modal simulation spec: shared spots and factors, one
//! [`ExpressionModel`] per modality with its own feature counts, NB shape,
//! dropout and active spatial factors (shared and modality-private factors,
//! as in the SpatialGlue/SpaMV multi-omics simulations).
//!
//! Fixed capacity (no heap): up to [`MAX_MODALITIES`] modalities, names up
//! to 16 bytes, up to 8 active factors each. With the `serde` feature the
//! spec deserialises from JSON like
//!
//! ```json
//! { "seed": 7, "scenario": "quilt", "nside": 36,
//!   "modalities": [
//!     { "name": "RNA", "params": { "Jsp": 200, "Jmix": 200, "Jns": 200, "expr_mean": 20.0,
//!                                  "nb_shape": 10.0, "dropout_rate": 0.5 },
//!       "active_factors": [0, 1] } ] }
//! ```

use crate::expression::{ExpressionModel, ModalityParams, NsfParams};
use crate::patterns::Scenario;
use cellmap_core::Error;

/// Most modalities in a spec.
///
/// ```
/// use cellmap_sim::spec::{SimSpec, MAX_MODALITIES};
/// assert_eq!(SimSpec::default().modalities.capacity(), MAX_MODALITIES);
/// ```
pub const MAX_MODALITIES: usize = 4;

/// A modality's feature parameters, named as in the NSF code and the
/// multi-omics notes (`Jsp`, `Jmix`, `Jns`, `expr_mean`, `mix_frac_spat`,
/// `nb_shape`, `dropout_rate`).
///
/// ```
/// use cellmap_sim::spec::FeatureSpec;
/// let f = FeatureSpec::default(); // the NSF gen_loadings defaults
/// assert_eq!((f.jsp, f.jmix, f.jns, f.expr_mean, f.mix_frac_spat), (0, 500, 0, 20.0, 0.55));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct FeatureSpec {
    /// Pure spatial features.
    #[cfg_attr(feature = "serde", serde(rename = "Jsp"))]
    pub jsp: u32,
    /// Mixed features.
    #[cfg_attr(feature = "serde", serde(rename = "Jmix"))]
    pub jmix: u32,
    /// Pure non-spatial features.
    #[cfg_attr(feature = "serde", serde(rename = "Jns"))]
    pub jns: u32,
    /// Loading scale.
    pub expr_mean: f64,
    /// Spatial share of mixed features.
    pub mix_frac_spat: f64,
    /// Negative-binomial shape.
    pub nb_shape: f64,
    /// Zero-inflation probability.
    pub dropout_rate: f64,
}

impl Default for FeatureSpec {
    fn default() -> Self {
        let p = ModalityParams::default();
        Self {
            jsp: p.spatial_genes,
            jmix: p.mixed_genes,
            jns: p.nonspatial_genes,
            expr_mean: p.expr_mean,
            mix_frac_spat: p.mix_frac_spatial,
            nb_shape: p.nb_shape,
            dropout_rate: p.dropout,
        }
    }
}

/// One modality: a name, its features and the spatial factors it expresses.
///
/// ```
/// use cellmap_sim::spec::SimSpec;
/// let spec = SimSpec::default();
/// assert_eq!(spec.modalities[1].name.as_str(), "protein");
/// assert_eq!(spec.modalities[1].active_factors.as_slice(), &[1, 2, 3]);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct ModalitySpec {
    /// Display name ("RNA", "protein", ...).
    pub name: heapless::String<16>,
    /// Feature counts and noise.
    pub params: FeatureSpec,
    /// Active spatial factors (indices `< 16`; empty = no spatial signal).
    pub active_factors: heapless::Vec<u8, 8>,
}

impl ModalitySpec {
    /// The modality as validated [`ModalityParams`].
    ///
    /// ```
    /// use cellmap_sim::spec::ModalitySpec;
    /// let mut m = ModalitySpec::default();
    /// m.active_factors.extend_from_slice(&[0, 3]).unwrap();
    /// assert_eq!(m.params()?.active_factors, 0b1001);
    /// m.active_factors[0] = 16;
    /// assert!(m.params().is_err());
    /// # Ok::<(), cellmap_core::Error>(())
    /// ```
    pub fn params(&self) -> Result<ModalityParams, Error> {
        let mut active = 0u16;
        for &f in &self.active_factors {
            if f >= 16 {
                return Err(Error::InvalidArgument("active factor index must be < 16"));
            }
            active |= 1 << f;
        }
        let p = &self.params;
        let params = ModalityParams {
            spatial_genes: p.jsp,
            mixed_genes: p.jmix,
            nonspatial_genes: p.jns,
            expr_mean: p.expr_mean,
            mix_frac_spatial: p.mix_frac_spat,
            nb_shape: p.nb_shape,
            dropout: p.dropout_rate,
            active_factors: active,
        };
        params.validate()?;
        Ok(params)
    }
}

/// A multi-modal simulation: seed, shared spot-level parameters, modalities.
///
/// [`SimSpec::default`] has two modalities over the quilt factors:
/// `"RNA"` (1,000 features: 300 spatial, 400 mixed, 300 non-spatial; NB
/// shape 10; dropout 0.5; factors 0, 2, 3) and `"protein"` (100 features:
/// 40/40/20; NB shape 20; no dropout; factors 1, 2, 3): factors 2 and 3 are
/// shared, 0 is RNA-only and 1 protein-only.
///
/// ```
/// use cellmap_sim::spec::SimSpec;
/// let spec = SimSpec::default();
/// assert_eq!(spec.modalities.len(), 2);
/// let rna = spec.model(0)?;
/// let protein = spec.model(1)?;
/// assert_eq!((rna.genes(), protein.genes()), (1000, 100));
/// assert!(spec.model(2).is_err());
/// # Ok::<(), cellmap_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct SimSpec {
    /// Seed of every random draw.
    pub seed: u64,
    /// Spatial patterns.
    pub scenario: Scenario,
    /// Spots per side.
    pub nside: u32,
    /// Background mean.
    pub bkg_mean: f64,
    /// Number of non-spatial factors.
    #[cfg_attr(feature = "serde", serde(rename = "Lns"))]
    pub lns: u32,
    /// Probability of a one in a non-spatial factor.
    pub nzprob_nsp: f64,
    /// The modalities (at most [`MAX_MODALITIES`]).
    pub modalities: heapless::Vec<ModalitySpec, MAX_MODALITIES>,
}

fn modality(name: &str, features: FeatureSpec, active: &[u8]) -> ModalitySpec {
    let mut spec = ModalitySpec { params: features, ..ModalitySpec::default() };
    // Both fit their fixed capacities (callers pass short literals).
    let _ = spec.name.push_str(name);
    let _ = spec.active_factors.extend_from_slice(active);
    spec
}

impl Default for SimSpec {
    fn default() -> Self {
        let nsf = NsfParams::default();
        let rna = FeatureSpec { jsp: 300, jmix: 400, jns: 300, dropout_rate: 0.5, ..FeatureSpec::default() };
        let protein = FeatureSpec { jsp: 40, jmix: 40, jns: 20, nb_shape: 20.0, ..FeatureSpec::default() };
        let mut modalities = heapless::Vec::new();
        let _ = modalities.push(modality("RNA", rna, &[0, 2, 3]));
        let _ = modalities.push(modality("protein", protein, &[1, 2, 3]));
        Self {
            seed: 0,
            scenario: nsf.scenario,
            nside: nsf.nside,
            bkg_mean: nsf.background_mean,
            lns: nsf.nonspatial_factors,
            nzprob_nsp: nsf.nonspatial_probability,
            modalities,
        }
    }
}

impl SimSpec {
    /// The shared spot-level parameters.
    ///
    /// ```
    /// use cellmap_sim::{spec::SimSpec, NsfParams};
    /// assert_eq!(SimSpec::default().nsf(), NsfParams::default());
    /// ```
    pub fn nsf(&self) -> NsfParams {
        NsfParams {
            scenario: self.scenario,
            nside: self.nside,
            background_mean: self.bkg_mean,
            nonspatial_factors: self.lns,
            nonspatial_probability: self.nzprob_nsp,
        }
    }

    /// The validated model of modality `index` (its random streams are
    /// separated by `index`; the spots, `F` and `U` are shared).
    ///
    /// ```
    /// use cellmap_sim::spec::SimSpec;
    /// let spec = SimSpec::default();
    /// assert_eq!(spec.model(0)?.modality().dropout, 0.5);
    /// # Ok::<(), cellmap_core::Error>(())
    /// ```
    pub fn model(&self, index: usize) -> Result<ExpressionModel, Error> {
        let m = self.modalities.get(index).ok_or(Error::InvalidArgument("modality index out of range"))?;
        ExpressionModel::new(self.seed, &self.nsf(), &m.params()?, index as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modalities_share_factors_but_not_loadings() {
        let spec = SimSpec::default();
        let (rna, protein) = (spec.model(0).unwrap(), spec.model(1).unwrap());
        for spot in [0, 500, 1000] {
            assert_eq!(rna.nonspatial_factor(spot, 1), protein.nonspatial_factor(spot, 1));
            assert_eq!(rna.spatial_factor(spot, 2), protein.spatial_factor(spot, 2));
        }
        let private = |m: &ExpressionModel, l: u8| {
            (0..m.genes()).any(|g| m.loading(g).unwrap().spatial_factor == Some(l))
        };
        assert!(private(&rna, 0) && !private(&rna, 1));
        assert!(private(&protein, 1) && !private(&protein, 0));
    }
}
