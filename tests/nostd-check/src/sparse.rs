use cellmap_core::Grid;
use cellmap_core::sparse::{
    Csr, CsrCellStatsScratch, GeneMajor, csr_cell_means, csr_cell_stats, csr_to_gene_major, gene_cell_stats,
    gene_cell_stats_scratch_len,
};
use cellmap_core::stats::{CellStats, Options};

/// The 8×8 mask as a 64-pixel × 2-gene CSR matrix (gene 0 = mask value,
/// gene 1 = pixel index on foreground pixels), labels 0/1.
pub(crate) fn check(mask: &[u8; 64]) -> u32 {
    let mut labels = [0u8; 64];
    let mut indptr = [0i32; 65];
    let mut indices = [0i32; 128];
    let mut data = [0f32; 128];
    let mut nnz = 0;
    for (p, &m) in mask.iter().enumerate() {
        labels[p] = u8::from(m != 0);
        if m != 0 {
            indices[nnz] = 1; // unsorted row: gene 1 before gene 0
            data[nnz] = p as f32;
            indices[nnz + 1] = 0;
            data[nnz + 1] = f32::from(m);
            nnz += 2;
        }
        indptr[p + 1] = nnz as i32;
    }
    let (Ok(labels), Ok(x)) =
        (Grid::new(8, 8, &labels[..]), Csr::new(2, &indptr, &indices[..nnz], &data[..nnz]))
    else {
        return 1;
    };
    let mut row_sums = [0f64; CsrCellStatsScratch::new(64, 1, 2).row_sums];
    let mut order = [0u32; CsrCellStatsScratch::new(64, 1, 2).order];
    let mut out = [CellStats::EMPTY; 4];
    let (mut counts, mut means) = ([0u32; 4], [0f64; 4]);
    let a = csr_cell_stats(labels, &x, 1, Options::new(), &mut out, &mut row_sums, &mut order).is_ok();
    let b = csr_cell_means(
        labels,
        &x,
        1,
        Options::new().keep_zeros(),
        &mut counts,
        &mut means,
        &mut row_sums,
        &mut order,
    )
    .is_ok();
    let (mut gene_ptr, mut pixels, mut values) = ([0usize; 3], [0u32; 128], [0f32; 128]);
    let Ok(gm) = csr_to_gene_major(&x, &mut gene_ptr, &mut pixels[..nnz], &mut values[..nnz]) else {
        return 2;
    };
    let Ok(gm) = GeneMajor::new(gm.n_pixels(), &gene_ptr, &pixels[..nnz], &values[..nnz]) else {
        return 3;
    };
    let mut cells = [CellStats::EMPTY; 2];
    let mut gscratch = [0usize; gene_cell_stats_scratch_len(1)];
    let c = gene_cell_stats(labels, &gm, 0, 1, Options::new(), &mut cells, &mut gscratch).is_ok()
        && gene_cell_stats(labels, &gm, 1, 1, Options::new().keep_zeros(), &mut cells, &mut gscratch).is_ok();
    u32::from(a) + u32::from(b) + u32::from(c) + out[3].count() as u32 + counts[3] + cells[1].mean() as u32
}
