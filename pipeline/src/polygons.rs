//! Cell polygons → a label image: the cells of a polygon file (Xenium
//! `cell_boundaries.csv(.gz)`, GeoJSON) rasterised by
//! [`cellmap_core::polygon::fill_polygon`] — exactly the pixels
//! `skimage.draw.polygon` gives (centre inside or on the boundary), holes
//! honoured, a later cell over an earlier one where they overlap.
//!
//! Cells are numbered `1..=N` in reading order; [`PolygonLabels::ids`]
//! keeps each label's id in the file (entry `label - 1`).

use cellmap_core::polygon::{fill_polygon, fill_polygon_scratch_len};
pub use cellmap_io::polygons::{Format as PolygonFormat, Polygons, XENIUM_UM_PER_PIXEL};

use crate::input::{LabelImage, max_label_id};
use crate::memory::filled;
use crate::{Error, Image};

/// A label image made from polygons, and the file's id of each label.
#[derive(Debug, Clone, PartialEq)]
pub struct PolygonLabels {
    /// Cells `1..=N` in reading order (0 = background).
    pub labels: LabelImage,
    /// `ids[label - 1]`: the cell's id in the polygon file.
    pub ids: Vec<String>,
}

/// Rasterises `polygons` (in the rasteriser's frame, as the readers give
/// them) into a `height × width` label image, cell `k` (0-based, reading
/// order) as label `k + 1`.
///
/// ```
/// use cellmap::polygons::{Polygons, polygons_to_labels};
/// let p = Polygons {
///     vertices: vec![[0.0, 0.0], [2.0, 0.0], [2.0, 1.0], [0.0, 1.0]],
///     ring_ends: vec![4],
///     cell_ends: vec![[4, 1]],
///     ids: vec!["cell-a".into()],
/// };
/// let out = polygons_to_labels(&p, 3, 4)?;
/// assert_eq!(out.labels.labels().data(), &[1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0]);
/// assert_eq!((out.labels.n_cells(), out.ids[0].as_str()), (1, "cell-a"));
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn polygons_to_labels(polygons: &Polygons, height: usize, width: usize) -> Result<PolygonLabels, Error> {
    let pixels = width
        .checked_mul(height)
        .ok_or_else(|| Error::argument(format!("a {height}×{width} image is too large")))?;
    let n = polygons.len();
    if n > max_label_id(pixels) || n > i32::MAX as usize {
        return Err(Error::input(format!(
            "{n} cells do not fit a {height}×{width} label image (at most {} ids)",
            max_label_id(pixels)
        )));
    }
    let mut labels: Vec<i32> = filled(pixels, 0, "polygon label image")?;
    let most = (0..n).map(|k| polygons.cell(k).0.len()).max().unwrap_or(0);
    let mut scratch: Vec<f64> = filled(fill_polygon_scratch_len(most), 0.0, "polygon scratch")?;
    for k in 0..n {
        let (vertices, rings) = polygons.cell(k);
        fill_polygon(&mut labels, width, height, vertices, rings, k as i32 + 1, &mut scratch)
            .map_err(|e| Error::core(&format!("cell `{}` (polygon {})", polygons.ids[k], k + 1), e))?;
    }
    let image = Image::new(width, height, labels)?;
    Ok(PolygonLabels { labels: LabelImage::from_kernel(image, n), ids: polygons.ids.clone() })
}

/// Reads a polygon file's bytes: `format` from the name when `None`,
/// `scale` (coordinate units per pixel) the format's default when `None`.
pub fn read_polygons(
    bytes: &[u8],
    source: &str,
    format: Option<PolygonFormat>,
    scale: Option<f64>,
) -> Result<Polygons, Error> {
    let format = match format.or_else(|| PolygonFormat::from_name(source)) {
        Some(f) => f,
        None => {
            return Err(Error::input(format!(
                "{source}: unknown polygon format (expected .geojson, .json, .csv or .csv.gz)"
            )));
        }
    };
    Ok(cellmap_io::polygons::read_bytes(bytes, source, format, scale.unwrap_or(format.default_scale()))?)
}
