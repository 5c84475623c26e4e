use cellmap_core::polygon::{fill_polygon, fill_polygon_scratch_len};

/// `cellmap_core::polygon::fill_polygon` on an 8×8 image, with a ring and a
/// hole whose corners come from `mask`.
pub(crate) fn check(mask: &[u8; 64]) -> u32 {
    let s = f64::from(mask[0] % 4);
    let vertices = [[0.0, 0.0], [7.0, 0.0], [7.0, 7.0], [0.0, 7.0], [s, s], [s + 2.0, s], [s + 2.0, s + 2.0]];
    let mut labels = [0i32; 64];
    let mut scratch = [0.0f64; fill_polygon_scratch_len(7)];
    let painted = fill_polygon(&mut labels, 8, 8, &vertices, &[4, 7], 3, &mut scratch).unwrap_or(0) as u32;
    painted + labels.iter().map(|&l| l as u32).sum::<u32>()
}
