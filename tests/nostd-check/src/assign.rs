use cellmap_core::Grid;
use cellmap_core::assign::{assign_points, count_cell_genes, nearest_cell_map, nearest_cell_map_scratch_len};

/// Every public kernel of `cellmap_core::assign` on the 8×8 `mask` (its
/// bytes used as labels), with stack buffers.
pub(crate) fn check(mask: &[u8; 64]) -> u32 {
    let Ok(labels) = Grid::new(8, 8, &mask[..]) else { return 1 };
    let xs = [0.5f32, 3.25, 7.9, -1.0];
    let ys = [0.5f32, 6.0, 2.5, 0.0];
    let mut cells = [0u32; 4];
    let in_cells = assign_points(labels, &xs, &ys, 1.0, &mut cells).map_or(0, |s| s.in_cells as u32);

    let mut nearest = [0u32; 64];
    let mut scratch = [0u32; nearest_cell_map_scratch_len(8, 8)];
    let mut reassigned = 0;
    if nearest_cell_map(labels, 2.0, &mut nearest, &mut scratch).is_ok() {
        if let Ok(map) = Grid::new(8, 8, &nearest[..]) {
            let xy = [1.5f64, 4.5];
            let mut near = [0u32; 2];
            reassigned = assign_points(map, &xy, &xy, 1.0, &mut near).map_or(0, |s| s.in_cells as u32);
        }
    }

    let genes = [0u32, 1, 1, 0];
    let mut counts = [0u32; 256 * 2]; // labels 0..=255, 2 genes
    let counted = count_cell_genes(&cells, &genes, 255, 2, &mut counts).unwrap_or(0) as u32;
    in_cells + reassigned + counted + counts.iter().sum::<u32>()
}
