use cellmap_core::heatmap::{Bump, Combine, heatmap_scratch_len, location_heatmap};

/// GeneSegNet's location map of the 8×8 mask's foreground pixels.
pub(crate) fn check(mask: &[u8; 64]) -> u32 {
    let mut points = [[0u32; 2]; 64];
    let mut n = 0;
    for (i, &m) in mask.iter().enumerate() {
        if m != 0 {
            points[n] = [(i % 8) as u32, (i / 8) as u32];
            n += 1;
        }
    }
    let mut out = [0.0f32; 64];
    let mut scratch = [0.0f32; heatmap_scratch_len(Bump::GENESEGNET)];
    let ok =
        location_heatmap(&points[..n], 8, 8, Bump::GENESEGNET, Combine::Sum, &mut out, &mut scratch).is_ok();
    u32::from(ok) + out.iter().sum::<f32>() as u32
}
