use cellmap_core::graph::{
    Contact, contact_table_len, knn, point_grid_scratch_len, radius_graph, smooth, smooth_scratch_len,
    symmetrize, touching_graph,
};
use cellmap_core::{Connectivity, Grid};

/// The foreground pixels of the 8×8 mask as points: kNN, OR graph, radius graph, smoothing;
/// and the touching graph of the mask's low bits as labels.
pub(crate) fn check(mask: &[u8; 64]) -> u32 {
    let xs: [f64; 64] = core::array::from_fn(|i| if mask[i] != 0 { (i % 8) as f64 } else { f64::NAN });
    let ys: [f64; 64] = core::array::from_fn(|i| (i / 8) as f64);
    let mut nn = [0u32; 64 * 3];
    let mut grid = [0u32; point_grid_scratch_len(64)];
    let mut ok = knn(&xs, &ys, 3, &mut nn, &mut grid).is_ok();
    let (mut indptr, mut indices) = ([0u32; 65], [0u32; 64 * 3 * 2]);
    let edges = symmetrize(&nn, 3, &mut indptr, &mut indices).unwrap_or(0);
    let features: [f64; 64] = core::array::from_fn(|i| i as f64);
    let mut out = [0.0f64; 64];
    let mut scratch = [0.0f64; smooth_scratch_len(64, 1, 2)];
    ok &= smooth(&indptr, &indices[..edges], None, &features, 1, 2, &mut out, &mut scratch).is_ok();
    let (mut rp, mut ri) = ([0u32; 65], [0u32; 64 * 64]);
    let radius_edges = radius_graph(&xs, &ys, 1.5, &mut rp, &mut ri, &mut grid).unwrap_or(0);
    let labels: [u8; 64] = core::array::from_fn(|i| mask[i] & 7);
    let (mut tp, mut ti, mut tw) = ([0u32; 9], [0u32; 64], [0u32; 64]);
    let mut table = [Contact::default(); contact_table_len(28)];
    let touching = match Grid::new(8, 8, &labels[..]) {
        Ok(g) => {
            touching_graph(g, 7, Connectivity::Eight, &mut tp, &mut ti, &mut tw, &mut table).unwrap_or(0)
        }
        Err(_) => 0,
    };
    u32::from(ok) + edges as u32 + radius_edges as u32 + touching as u32 + out.iter().sum::<f64>() as u32
}
