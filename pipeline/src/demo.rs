//! The demo: a synthetic tissue tile with expression, made by the simulator
//! (`cellmap-sim`), the same for the same arguments on every target. The
//! viewer opens on it and `cellmap demo` writes it as files.
//!
//! Genes are named by the simulator's scheme ([`ExpressionModel::gene_name`]):
//! `sp3_F2` (spatial gene 3, driven by spatial factor 2), `mix0_F1_U0`,
//! `ns2_U1`. The true factors, added as genes by [`Demo::factor_images`], are
//! `F0`, `F1`, ... (spatial) and `U0`, ... (non-spatial).

use cellmap_core::Grid;
use cellmap_io::npz::{Csr, IndexArray, ValueArray};
use cellmap_sim::{
    ExpressionModel, Factor, ModalityParams, SimCell, Transcript, demo_mask_params, demo_modality_params,
    demo_nsf_params, generate_mask,
};

use crate::memory::filled;
use crate::{Error, Expression, Image};

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
