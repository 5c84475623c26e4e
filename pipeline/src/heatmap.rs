//! Transcript location heatmaps (GeneSegNet's location map, see
//! [`cellmap_core::heatmap`]): every transcript's pixel gets a Gaussian bump
//! of peak 1 (σ = 7 px, cut at `d²/(2σ²) > 4.6052`), combined by maximum or
//! summed; for all genes together or one map per gene.

use cellmap_core::assign::Coordinate;
use cellmap_core::heatmap::{self as kernels, heatmap_scratch_len};

pub use cellmap_core::heatmap::{Bump, Combine, GENESEGNET_CUTOFF, GENESEGNET_SIGMA};

use crate::memory::{budget, filled};
use crate::{Error, Frame, Rounding, Transform, grouped};

/// The pixel `[column, row]` of each transcript in `frame`, exactly as
/// [`assign_in_frame`](crate::assign_in_frame) places it; `None` outside
/// the `width × height` image (or not finite).
///
/// ```
/// use cellmap::{Frame, heatmap::transcript_pixels};
/// let frame = Frame { scale: 1.0, ..Frame::default() };
/// let p = transcript_pixels(&[0.5, 3.9, -0.1], &[1.2, 0.0, 0.0], frame, 4, 2)?;
/// assert_eq!(p, [Some([0, 1]), Some([3, 0]), None]);
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn transcript_pixels(
    x: &[f64],
    y: &[f64],
    frame: Frame,
    width: usize,
    height: usize,
) -> Result<Vec<Option<[u32; 2]>>, Error> {
    if x.len() != y.len() {
        return Err(Error::input(format!("{} x and {} y coordinates", x.len(), y.len())));
    }
    if !(frame.scale.is_finite() && frame.scale > 0.0) {
        return Err(Error::input("the scale must be finite and > 0".to_string()));
    }
    if width > u32::MAX as usize || height > u32::MAX as usize {
        return Err(Error::input(format!("a {height}×{width} image is too large for a heatmap")));
    }
    let half = if frame.rounding == Rounding::Nearest { 0.5 } else { 0.0 };
    let identity = frame.transform == Transform::IDENTITY;
    let mut out = filled(x.len(), None, "the transcript pixels")?;
    for ((slot, &x), &y) in out.iter_mut().zip(x).zip(y) {
        let (tx, ty) = if identity { (x, y) } else { frame.transform.apply(x, y) };
        let (cx, cy) = if frame.scale == 1.0 { (tx, ty) } else { (tx / frame.scale, ty / frame.scale) };
        if let (Some(c), Some(r)) = ((cx + half).pixel(1.0, width), (cy + half).pixel(1.0, height)) {
            *slot = Some([c as u32, r as u32]);
        }
    }
    Ok(out)
}

/// The heatmap of `points` in a `width × height` image (row-major `f32`).
///
/// ```
/// use cellmap::heatmap::{location_heatmap, Bump, Combine};
/// let map = location_heatmap(&[[2, 1]], 5, 3, Bump::GENESEGNET, Combine::Max)?;
/// assert_eq!(map[5 + 2], 1.0);
/// assert_eq!(map[0], (-5.0f64 / 98.0).exp() as f32); // d² = 4 + 1
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn location_heatmap(
    points: &[[u32; 2]],
    width: usize,
    height: usize,
    bump: Bump,
    combine: Combine,
) -> Result<Vec<f32>, Error> {
    let mut out = filled(width.saturating_mul(height), 0.0f32, "the heatmap")?;
    let mut scratch = filled(heatmap_scratch_len(bump), 0.0f32, "the bump table")?;
    kernels::location_heatmap(points, width, height, bump, combine, &mut out, &mut scratch)
        .map_err(|e| Error::core("heatmap", e))?;
    Ok(out)
}

/// One heatmap per gene of `genes` (ids into the transcripts' `gene`),
/// stacked gene-major (`genes.len() × height × width`); transcript `i` at
/// `pixels[i]` (skipped when `None`).
///
/// ```
/// use cellmap::heatmap::{gene_heatmaps, Bump, Combine};
/// let maps = gene_heatmaps(&[Some([0, 0]), Some([3, 0]), None], &[0, 1, 1], &[1], 4, 1, Bump::GENESEGNET, Combine::Max)?;
/// assert_eq!(maps[3], 1.0);
/// assert!(maps[0] < 1.0);
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn gene_heatmaps(
    pixels: &[Option<[u32; 2]>],
    gene: &[u32],
    genes: &[usize],
    width: usize,
    height: usize,
    bump: Bump,
    combine: Combine,
) -> Result<Vec<f32>, Error> {
    if pixels.len() != gene.len() {
        return Err(Error::input(format!("{} pixels and {} gene ids", pixels.len(), gene.len())));
    }
    let plane = width.saturating_mul(height);
    let total = (plane as u128) * genes.len() as u128;
    budget(|| format!("{} heatmaps of {height}×{width}", grouped(genes.len())), total, size_of::<f32>())?;
    let mut out = filled(plane * genes.len(), 0.0f32, "the heatmaps")?;
    let mut scratch = filled(heatmap_scratch_len(bump), 0.0f32, "the bump table")?;
    let mut points = Vec::new();
    for (&wanted, map) in genes.iter().zip(out.chunks_exact_mut(plane.max(1))) {
        points.clear();
        points
            .extend(pixels.iter().zip(gene).filter(|(_, g)| **g as usize == wanted).filter_map(|(p, _)| *p));
        kernels::location_heatmap(&points, width, height, bump, combine, map, &mut scratch)
            .map_err(|e| Error::core("heatmap", e))?;
    }
    Ok(out)
}

/// RGBA pixels of a heatmap coloured by `colormap` over `[0, max]` (max =
/// the map's largest value; an all-zero map is the colormap's first colour).
///
/// ```
/// use cellmap::{Colormap, heatmap::heatmap_rgba};
/// let rgba = heatmap_rgba(&[0.0, 0.5, 1.0], Colormap::Gray)?;
/// assert_eq!(rgba, [0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255]);
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn heatmap_rgba(map: &[f32], colormap: crate::Colormap) -> Result<Vec<u8>, Error> {
    let values: Vec<f64> = map.iter().map(|&v| f64::from(v)).collect();
    let hi = values.iter().copied().fold(0.0f64, f64::max);
    let mut levels = filled(values.len(), None, "the heatmap levels")?;
    cellmap_core::color::levels(&values, 0.0, hi, false, &mut levels)
        .map_err(|e| Error::core("heatmap colours", e))?;
    let mut rgba = filled(values.len() * 4, 255u8, "the heatmap image")?;
    for (pixel, level) in rgba.chunks_exact_mut(4).zip(levels) {
        pixel[..3].copy_from_slice(&colormap.rgb(level.unwrap_or(0)));
    }
    Ok(rgba)
}
