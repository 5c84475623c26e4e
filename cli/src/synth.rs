//! Synthetic tiles from the core simulator (for `cellmap demo` and `cellmap bench`).

use anyhow::{Context, Result};
use cellmap_core::Grid;
use cellmap_core::grid::pixel_count;
use cellmap_sim::{self as sim, ExpressionModel, ModalityParams, SimCell, Transcript};

/// A simulated tile: a 0/255 mask and its pixels × genes CSR (row = `row · width + col`).
#[derive(Debug)]
pub struct SynthTile {
    pub width: usize,
    pub height: usize,
    pub mask: Vec<u8>,
    pub genes: usize,
    pub indptr: Vec<u32>,
    pub indices: Vec<u32>,
    pub data: Vec<f32>,
    /// What the expression was sampled from, to draw the same molecules as transcripts.
    model: ExpressionModel,
    owner: Vec<u32>,
    rates: Vec<f64>,
    molecules: u64,
}

/// Simulates a `size × size` tissue tile with `genes` genes (40 % spatial, 40 % mixed,
/// 20 % non-spatial), deterministic for `seed`.
pub fn tile(seed: u64, size: usize, genes: usize) -> Result<SynthTile> {
    let (width, height) = (size, size);
    let n = pixel_count(width, height)?;
    let spatial = u32::try_from(genes * 2 / 5)?;
    let modality = ModalityParams {
        spatial_genes: spatial,
        mixed_genes: spatial,
        nonspatial_genes: u32::try_from(genes)? - 2 * spatial,
        ..sim::demo_modality_params()
    };
    let model = ExpressionModel::new(seed, &sim::demo_nsf_params(), &modality, 0)?;
    let params = sim::demo_mask_params();
    let mut mask = vec![0u8; n];
    let mut owner = vec![0u32; n];
    let mut cells = vec![SimCell::EMPTY; params.cell_capacity(width, height)];
    let info = sim::generate_mask(seed, width, height, &params, &mut mask, &mut owner, &mut cells)?;
    let mut rates = vec![0f64; model.rates_len(info.cells)];
    model.cell_rates(width, height, &cells[..info.cells], &mut rates)?;
    let owner_grid = Grid::new(width, height, &owner[..])?;
    let size = model.csr_size(&owner_grid, &rates)?;
    let mut indptr = vec![0u32; n + 1];
    let (mut indices, mut data) = (vec![0u32; size.nnz], vec![0f32; size.nnz]);
    model.fill_csr(&owner_grid, &rates, &mut indptr, &mut indices, &mut data)?;
    let genes = model.genes();
    Ok(SynthTile {
        width,
        height,
        mask,
        genes,
        indptr,
        indices,
        data,
        model,
        owner,
        rates,
        molecules: size.molecules,
    })
}

impl SynthTile {
    /// The tile's molecules as transcripts (x = column, y = row, in pixels): the same counts
    /// as the CSR, each molecule at a uniform position inside its pixel.
    pub fn transcripts(&self) -> Result<Vec<Transcript>> {
        let molecules = usize::try_from(self.molecules).context("too many molecules for this machine")?;
        let mut out = vec![Transcript::default(); molecules];
        let owner = Grid::new(self.width, self.height, &self.owner[..])?;
        let written = self.model.transcripts(&owner, &self.rates, &mut out)?;
        out.truncate(written);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_side_too_large_to_index_is_an_error_not_a_panic() {
        let error = tile(0, usize::MAX, 5).unwrap_err();
        assert!(error.to_string().contains("too large"), "{error}");
    }

    #[test]
    fn transcripts_are_the_csr_molecules() {
        let t = tile(3, 24, 5).unwrap();
        let transcripts = t.transcripts().unwrap();
        let molecules: f64 = t.data.iter().map(|&v| f64::from(v)).sum();
        assert_eq!(transcripts.len() as f64, molecules);
        for p in &transcripts {
            let (row, col) = (p.y as usize, p.x as usize);
            let pixel = row * t.width + col;
            let span = t.indptr[pixel] as usize..t.indptr[pixel + 1] as usize;
            assert!(t.indices[span].contains(&p.gene), "gene {} not stored at pixel {pixel}", p.gene);
        }
    }
}
