//! Synthetic tiles from the core simulator (for `cellmap demo` and `cellmap bench`).

use anyhow::Result;
use cellmap_core::Grid;
use cellmap_core::sim::{self, ExpressionModel, ModalityParams, SimCell};

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
}

/// Simulates a `size × size` tissue tile with `genes` genes (40 % spatial, 40 % mixed,
/// 20 % non-spatial), deterministic for `seed`.
pub fn tile(seed: u64, size: usize, genes: usize) -> Result<SynthTile> {
    let (width, height) = (size, size);
    let n = width * height;
    let spatial = (genes * 2 / 5) as u32;
    let modality = ModalityParams {
        spatial_genes: spatial,
        mixed_genes: spatial,
        nonspatial_genes: genes as u32 - 2 * spatial,
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
    let owner = Grid::new(width, height, &owner[..])?;
    let size = model.csr_size(&owner, &rates)?;
    let mut indptr = vec![0u32; n + 1];
    let (mut indices, mut data) = (vec![0u32; size.nnz], vec![0f32; size.nnz]);
    model.fill_csr(&owner, &rates, &mut indptr, &mut indices, &mut data)?;
    Ok(SynthTile { width, height, mask, genes: model.genes(), indptr, indices, data })
}
