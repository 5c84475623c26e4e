use cellmap_core::grid::max_label;
use cellmap_core::{
    Connectivity, Grid, StaticSegmenter, fill_holes, fill_holes_and_label, fill_holes_and_label_scratch_len,
    fill_holes_scratch_len, label, label_scratch_len,
};

/// Every hole-filling and labeling entry point once, on stack buffers.
pub(crate) fn check(mask: &[u8; 64]) -> u32 {
    let Ok(grid) = Grid::new(8, 8, &mask[..]) else { return u32::MAX };
    let mut filled = [false; 64];
    let mut fill_scratch = [0u32; fill_holes_scratch_len(8, 8)];
    let mut labels = [0u16; 64];
    let mut scratch = [0u32; label_scratch_len(8, 8)];
    let mut fused_labels = [0i32; 64];
    let mut fused_scratch = [0u32; fill_holes_and_label_scratch_len(8, 8)];
    let mut seg = StaticSegmenter::<8, 8>::new();
    let rows: [[u8; 8]; 8] = core::array::from_fn(|r| core::array::from_fn(|c| mask[r * 8 + c]));
    let results = [
        fill_holes(grid, &mut filled, &mut fill_scratch),
        label(grid, Connectivity::Four, &mut labels, &mut scratch),
        fill_holes_and_label(grid, Connectivity::Eight, &mut fused_labels, &mut fused_scratch),
        seg.fill_holes(&rows),
        seg.label(&rows, Connectivity::Four),
        seg.fill_holes_and_label(&rows, Connectivity::Eight),
        max_label(&fused_labels, usize::MAX),
    ];
    results.iter().fold(0u32, |sum, r| sum.wrapping_add(r.map_or(u32::MAX, |n| n as u32)))
        ^ u32::from(filled[9])
        ^ u32::from(labels[9])
        ^ fused_labels[9] as u32
        ^ seg.labels()[1][1] as u32
}
