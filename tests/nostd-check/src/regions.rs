use cellmap_core::Grid;
use cellmap_core::regions::{Region, region_props};

/// Region properties of the 8×8 mask read as a label image (labels 0..=255).
pub(crate) fn check(mask: &[u8; 64]) -> u32 {
    let Ok(labels) = Grid::new(8, 8, &mask[..]) else {
        return 1;
    };
    let mut out = [Region::EMPTY; 256];
    let ok = region_props(labels, 255, &mut out).is_ok();
    let (row, col) = out[255].centroid();
    let bbox = out[255].bounding_box().map_or(0, |b| b.row_end + b.col_end);
    u32::from(ok) + out[255].area() as u32 + (row + col) as u32 + bbox as u32
}
