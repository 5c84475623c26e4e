//! The demo: a synthetic tissue tile with expression, made by the simulator
//! (`cellmap-sim`), the same for the same arguments on every target. The
//! viewer opens on it and `cellmap demo` writes it as files.
//!
//! Genes are named by the simulator's scheme ([`ExpressionModel::gene_name`]):
//! `sp3_F2` (spatial gene 3, driven by spatial factor 2), `mix0_F1_U0`,
//! `ns2_U1`. The true factors, added as genes by [`Demo::factor_images`], are
//! `F0`, `F1`, ... (spatial) and `U0`, ... (non-spatial). Each cell's dominant
//! spatial factor ([`Demo::dominant_factors`], written by
//! [`write_factor_truth_csv`]) is a truth labelling to score clusters against.

use cellmap_core::Grid;
use cellmap_io::npz::{Csr, IndexArray, ValueArray};
use cellmap_sim::{
    ExpressionModel, Factor, ModalityParams, SimCell, Transcript, demo_mask_params, demo_modality_params,
    demo_nsf_params, generate_mask,
};

use crate::memory::filled;
use crate::{Error, Expression, Image, LabelImage};

/// Genes of the viewer's demo.
pub const DEMO_GENES: usize = cellmap_sim::DEMO_GENES;

/// A simulated tile: a binary mask, its pixels × genes counts, the gene
/// names, and what they were drawn from (for transcripts and true factors).
#[derive(Debug)]
pub struct Demo {
    mask: Image<bool>,
    expression: Expression,
    gene_names: Vec<String>,
    model: ExpressionModel,
    owner: Vec<u32>,
    cells: Vec<SimCell>,
    rates: Vec<f64>,
    molecules: u64,
}

impl Demo {
    /// Simulates a `width × height` tissue tile with `genes` genes (40 %
    /// spatial, 40 % mixed, 20 % non-spatial), deterministic for `seed`.
    ///
    /// ```
    /// let demo = cellmap::Demo::new(7, 64, 48, cellmap::DEMO_GENES)?;
    /// assert_eq!((demo.mask().width(), demo.expression().n_genes()), (64, 20));
    /// assert_eq!(demo.gene_names()[0], "sp0_F0");
    /// # Ok::<(), cellmap::Error>(())
    /// ```
    pub fn new(seed: u64, width: usize, height: usize, genes: usize) -> Result<Demo, Error> {
        let sim = |e| Error::core("demo", e);
        let pixels = cellmap_core::grid::pixel_count(width, height).map_err(sim)?;
        let genes32 = u32::try_from(genes).map_err(|_| Error::argument("demo: too many genes"))?;
        let spatial = genes32 * 2 / 5;
        let modality = ModalityParams {
            spatial_genes: spatial,
            mixed_genes: spatial,
            nonspatial_genes: genes32 - 2 * spatial,
            ..demo_modality_params()
        };
        let model = ExpressionModel::new(seed, &demo_nsf_params(), &modality, 0).map_err(sim)?;
        let params = demo_mask_params();
        let mut mask = filled(pixels, 0u8, "the demo mask")?;
        let mut owner = filled(pixels, 0u32, "the cell owners")?;
        let mut cells = filled(params.cell_capacity(width, height), SimCell::EMPTY, "the demo cells")?;
        let info =
            generate_mask(seed, width, height, &params, &mut mask, &mut owner, &mut cells).map_err(sim)?;
        cells.truncate(info.cells);
        let mut rates = filled(model.rates_len(info.cells), 0f64, "the expression rates")?;
        model.cell_rates(width, height, &cells, &mut rates).map_err(sim)?;
        let owner_grid = Grid::new(width, height, &owner[..]).map_err(sim)?;
        let size = model.csr_size(&owner_grid, &rates).map_err(sim)?;
        let mut indptr = filled(pixels + 1, 0u32, "the CSR row offsets")?;
        let mut indices = filled(size.nnz, 0u32, "the CSR gene indices")?;
        let mut data = filled(size.nnz, 0f32, "the CSR values")?;
        model.fill_csr(&owner_grid, &rates, &mut indptr, &mut indices, &mut data).map_err(sim)?;
        let to_i32 = |v: Vec<u32>| -> Result<Vec<i32>, Error> {
            v.into_iter().map(|x| i32::try_from(x).map_err(|_| Error::argument("demo: too large"))).collect()
        };
        let csr = Csr {
            source: "demo".to_string(),
            shape: (pixels, model.genes()),
            indptr: IndexArray::I32(to_i32(indptr)?),
            indices: IndexArray::I32(to_i32(indices)?),
            data: ValueArray::F32(data),
        };
        let expression = Expression::from_csr(csr, height, width)?;
        let gene_names = (0..model.genes())
            .map(|g| model.gene_name(g).map(|name| name.as_str().to_string()))
            .collect::<Result<_, _>>()
            .map_err(sim)?;
        let mask = Image::new(width, height, mask.into_iter().map(|v| v != 0).collect())?;
        Ok(Demo { mask, expression, gene_names, model, owner, cells, rates, molecules: size.molecules })
    }

    /// The binary cell mask (holes and touching cells included: fill and
    /// label it).
    pub fn mask(&self) -> &Image<bool> {
        &self.mask
    }

    /// Counts per pixel and gene.
    pub fn expression(&self) -> &Expression {
        &self.expression
    }

    /// The genes' names, in column order.
    pub fn gene_names(&self) -> &[String] {
        &self.gene_names
    }

    /// The genes a viewer opens on: the first gene that follows a spatial
    /// factor (its pattern is visible at once).
    pub fn first_spatial_gene(&self) -> usize {
        (0..self.model.genes())
            .find(|&g| {
                self.model.loading(g).is_ok_and(|l| l.spatial_factor.is_some() && l.spatial_weight > 0.0)
            })
            .unwrap_or(0)
    }

    /// The true factors as per-pixel images, spatial first (`F0`, `F1`,
    /// ..., then `U0`, ...): each cell's pixels hold the factor's value at
    /// the cell, so a cell's mean shows it.
    pub fn factor_images(&self) -> Result<Vec<(String, Vec<f32>)>, Error> {
        let (width, height) = (self.mask.width(), self.mask.height());
        let owner = Grid::new(width, height, &self.owner[..]).map_err(|e| Error::core("demo", e))?;
        let spatial = (0..self.model.nsf().scenario.factors()).map(|l| (Factor::Spatial(l), format!("F{l}")));
        let nonspatial = (0..self.model.nsf().nonspatial_factors as usize)
            .map(|k| (Factor::NonSpatial(k), format!("U{k}")));
        spatial
            .chain(nonspatial)
            .map(|(factor, name)| {
                let mut image = filled(width * height, 0f32, "a factor image")?;
                self.model
                    .factor_image(&owner, &self.cells, factor, &mut image)
                    .map_err(|e| Error::core("demo", e))?;
                Ok((name, image))
            })
            .collect()
    }

    /// Each cell's dominant true spatial factor: for cell `k` of `labels`
    /// (at index `k − 1`), the `l` whose image `F<l>`
    /// ([`Demo::factor_images`]) has the largest mean over the cell's pixels
    /// in the demo's mask (the pixels `cellmap run`'s table averages; a hole
    /// that labelling filled holds 0 in every factor image, so counting it
    /// would not change the choice), ties going to the smaller `l`. `None`
    /// for a cell whose means are all 0 (no spatial factor is on at any of
    /// its pixels) or that has no mask pixel. The factors are 0/1 patterns,
    /// so a mean is the share of the cell's pixels where the factor is on.
    ///
    /// ```
    /// let demo = cellmap::Demo::new(7, 64, 48, cellmap::DEMO_GENES)?;
    /// let labels = cellmap::segment(demo.mask(), cellmap::SegmentOptions::default())?;
    /// let factors = demo.dominant_factors(&labels)?;
    /// assert_eq!(factors.len(), labels.n_cells());
    /// assert!(factors.iter().flatten().all(|&l| l < 4)); // the quilt's 4 factors
    /// # Ok::<(), cellmap::Error>(())
    /// ```
    pub fn dominant_factors(&self, labels: &LabelImage) -> Result<Vec<Option<usize>>, Error> {
        let (width, height) = (self.mask.width(), self.mask.height());
        if (labels.width(), labels.height()) != (width, height) {
            return Err(Error::input(format!(
                "demo: the labels are {}×{} but the tile is {height}×{width}",
                labels.height(),
                labels.width()
            )));
        }
        let factors = self.model.nsf().scenario.factors();
        let cells = labels.n_cells();
        let slots = cells.checked_mul(factors).ok_or_else(|| Error::argument("demo: too many cells"))?;
        let mut sums = filled(slots, 0f64, "the factor sums")?;
        let mut counts = filled(cells, 0u64, "the cell pixel counts")?;
        // The cell (index) of each pixel of the mask.
        let cell_of = |(&label, &inside): (&i32, &bool)| {
            usize::try_from(label).ok().filter(|&k| inside && k >= 1 && k <= cells).map(|k| k - 1)
        };
        let pixels = || labels.labels().data().iter().zip(self.mask.data());
        for cell in pixels().filter_map(cell_of) {
            counts[cell] += 1;
        }
        let owner = Grid::new(width, height, &self.owner[..]).map_err(|e| Error::core("demo", e))?;
        let mut image = filled(width * height, 0f32, "a factor image")?;
        for l in 0..factors {
            self.model
                .factor_image(&owner, &self.cells, Factor::Spatial(l), &mut image)
                .map_err(|e| Error::core("demo", e))?;
            for (cell, &value) in pixels().map(cell_of).zip(&image) {
                if let Some(cell) = cell {
                    sums[cell * factors + l] += f64::from(value);
                }
            }
        }
        let dominant = |cell: usize| {
            let n = counts[cell] as f64;
            let means = sums[cell * factors..(cell + 1) * factors].iter().map(|&s| s / n);
            let (best, mean) =
                means.enumerate().fold((0, 0.0), |best, (l, m)| if m > best.1 { (l, m) } else { best });
            (mean > 0.0).then_some(best)
        };
        Ok((0..cells).map(dominant).collect())
    }

    /// The tile's molecules as transcripts (x = column, y = row, in
    /// pixels): the same counts as the expression, each molecule at a
    /// uniform position inside its pixel.
    pub fn transcripts(&self) -> Result<Vec<Transcript>, Error> {
        let molecules =
            usize::try_from(self.molecules).map_err(|_| Error::argument("demo: too many molecules"))?;
        let mut out = filled(molecules, Transcript::default(), "the transcripts")?;
        let owner = Grid::new(self.mask.width(), self.mask.height(), &self.owner[..])
            .map_err(|e| Error::core("demo", e))?;
        let written =
            self.model.transcripts(&owner, &self.rates, &mut out).map_err(|e| Error::core("demo", e))?;
        out.truncate(written);
        Ok(out)
    }
}

/// A truth labelling as CSV `cell_id,factor`: cell `k` (row `k`, ids `1..`)
/// and its dominant spatial factor from [`Demo::dominant_factors`], by the
/// factor genes' names (`F0`, `F1`, ...), or `none`.
///
/// ```
/// let mut out = Vec::new();
/// cellmap::demo::write_factor_truth_csv(&mut out, &[Some(2), None, Some(0)])?;
/// assert_eq!(out, b"cell_id,factor\n1,F2\n2,none\n3,F0\n");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_factor_truth_csv<W: std::io::Write>(
    mut writer: W,
    factors: &[Option<usize>],
) -> std::io::Result<()> {
    writeln!(writer, "cell_id,factor")?;
    for (k, factor) in factors.iter().enumerate() {
        match factor {
            Some(l) => writeln!(writer, "{},F{l}", k + 1)?,
            None => writeln!(writer, "{},none", k + 1)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dominant_factors_average_the_mask_pixels_and_refuse_another_shape() {
        let (width, height) = (40, 30);
        let demo = Demo::new(5, width, height, 10).unwrap();
        let mask = demo.mask().data();
        // cell 1: the whole tile but two background pixels, cells 2 and 4; cell 3: no pixel
        let mut ids = vec![1; width * height];
        let mut background = (0..width * height).filter(|&p| !mask[p]);
        ids[background.next().unwrap()] = 2;
        ids[background.next().unwrap()] = 4;
        let labels = LabelImage::new(Image::new(width, height, ids).unwrap()).unwrap();
        let means: Vec<f64> = demo
            .factor_images()
            .unwrap()
            .into_iter()
            .filter(|(name, _)| name.starts_with('F'))
            .map(|(_, image)| {
                let inside: Vec<f64> =
                    image.iter().zip(mask).filter(|&(_, &m)| m).map(|(&v, _)| f64::from(v)).collect();
                inside.iter().sum::<f64>() / inside.len() as f64
            })
            .collect();
        let best = (0..means.len()).fold(0, |b, l| if means[l] > means[b] { l } else { b });
        assert!(means[best] > 0.0, "{means:?}");
        let got = demo.dominant_factors(&labels).unwrap();
        assert_eq!(got, [Some(best), None, None, None]);
        let other =
            LabelImage::new(Image::new(width - 1, height, vec![0; (width - 1) * height]).unwrap()).unwrap();
        let err = demo.dominant_factors(&other).unwrap_err().to_string();
        assert!(err.contains("30×39") && err.contains("30×40"), "{err}");
    }
}
