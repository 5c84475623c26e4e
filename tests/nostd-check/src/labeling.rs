use cellmap_core::{Grid, grid::max_label};

pub(crate) fn check(mask: &[u8; 64]) -> u32 {
    let Ok(grid) = Grid::new(8, 8, &mask[..]) else { return u32::MAX };
    match max_label(grid.as_slice(), 255) {
        Ok(n) => n as u32,
        Err(_) => u32::MAX,
    }
}
