//! Region properties (area, centroid, bounding box) per cell, and their
//! table as `regions.csv` and the viewer show them.
//!
//! Bounding boxes are **end-exclusive**, like the slices of
//! `scipy.ndimage.find_objects`: a cell spans rows `bbox_min_row ..
//! bbox_max_row` (the last row is `bbox_max_row − 1`).

use std::io::Write;

use cellmap_core::Grid;
use cellmap_core::polygon::point_in_ring;
use cellmap_core::regions::region_props;

pub use cellmap_core::regions::{BoundingBox, Region};

use crate::memory::filled;
use crate::{Error, LabelImage};

/// The region of every label (entry 0: the background; an id without
/// pixels has area 0).
///
/// ```
/// use cellmap::{Image, LabelImage, regions};
/// // 1 1 .
/// // . 1 .
/// let labels = LabelImage::new(Image::new(3, 2, vec![1, 1, 0, 0, 1, 0])?)?;
/// let table = regions(&labels)?;
/// let b = table[1].bounding_box().unwrap();
/// assert_eq!((table[1].area(), (b.row_start, b.row_end, b.col_start, b.col_end)), (3, (0, 2, 0, 2)));
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn regions(labels: &LabelImage) -> Result<Vec<Region>, Error> {
    regions_of(labels.labels().grid(), labels.n_cells())
}

/// [`regions`] of borrowed labels `0..=n_cells` (e.g. a binding's array).
pub fn regions_of(labels: Grid<'_, i32>, n_cells: usize) -> Result<Vec<Region>, Error> {
    let mut out = filled(n_cells + 1, Region::EMPTY, "the region table")?;
    region_props(labels, n_cells, &mut out).map_err(|e| Error::core("region properties", e))?;
    Ok(out)
}

/// The header of [`write_regions_csv`].
pub const REGIONS_CSV_HEADER: &str =
    "label,area,centroid_row,centroid_col,bbox_min_row,bbox_min_col,bbox_max_row,bbox_max_col";

/// One cell's row of the regions table: `label,area,centroid_row,...`
/// (empty bounding box fields for an id without pixels).
pub fn region_csv_row(label: usize, region: &Region) -> String {
    let mut row = format!("{label},").into_bytes();
    // writing into a Vec cannot fail, and the fields are ASCII
    let _ = write_region_fields(&mut row, &region_fields(region));
    String::from_utf8_lossy(&row).into_owned()
}

/// A region's numbers in the columns of `regions.csv` after the label:
/// `area, centroid_row, centroid_col, bbox_min_row, bbox_min_col,
/// bbox_max_row, bbox_max_col` (the box end-exclusive; NaN box for an id
/// without pixels, and NaN centroid). Plain numbers, for a front end to
/// hand to [`write_region_fields`] elsewhere (another wasm module).
pub fn region_fields(region: &Region) -> [f64; 7] {
    let (row, col) = region.centroid();
    let b = region.bounding_box();
    let bound = |f: fn(&BoundingBox) -> usize| b.as_ref().map_or(f64::NAN, |b| f(b) as f64);
    let box_fields =
        [bound(|b| b.row_start), bound(|b| b.col_start), bound(|b| b.row_end), bound(|b| b.col_end)];
    [region.area() as f64, row, col, box_fields[0], box_fields[1], box_fields[2], box_fields[3]]
}

/// Writes [`region_fields`] as `regions.csv` does: `area,centroid_row,...`
/// (integers, shortest round-trip centroids, empty box fields when the
/// box is NaN).
pub fn write_region_fields(w: &mut dyn Write, fields: &[f64; 7]) -> std::io::Result<()> {
    let [area, row, col, bbox @ ..] = *fields;
    write!(w, "{},{row:?},{col:?}", area as u64)?;
    for bound in bbox {
        if bound.is_nan() { write!(w, ",")? } else { write!(w, ",{}", bound as u64)? }
    }
    Ok(())
}

/// Writes `regions.csv`: the header, then one row per cell `1..=N`
/// (`regions` by label, as [`regions`] returns them).
pub fn write_regions_csv(w: &mut dyn Write, regions: &[Region]) -> std::io::Result<()> {
    writeln!(w, "{REGIONS_CSV_HEADER}")?;
    for (label, region) in regions.iter().enumerate().skip(1) {
        writeln!(w, "{}", region_csv_row(label, region))?;
    }
    Ok(())
}

/// The cells whose centroid lies in the polygon `ring`, in label order: a
/// viewer's rectangle or lasso selection. Vertices are `[x, y]` =
/// `[column, row]` with integers at pixel centres, the frame of
/// [`Region::centroid`] (from a frame where pixel `c` spans `[c, c + 1)`,
/// subtract 0.5); a centroid on the boundary is in (skimage's
/// `point_in_polygon`, [`cellmap_core::polygon::point_in_ring`]). Ids
/// without pixels are never in.
///
/// ```
/// use cellmap::{Image, LabelImage, cells_in_ring, regions};
/// // 1 1 . .
/// // . . . 2      centroids: 1 at (row 0, col 0.5), 2 at (1.5, 3)
/// // . . . 2
/// let labels = LabelImage::new(Image::new(4, 3, vec![1, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 2])?)?;
/// let table = regions(&labels)?;
/// let left_half = [[-0.5, -0.5], [1.5, -0.5], [1.5, 2.5], [-0.5, 2.5]];
/// assert_eq!(cells_in_ring(&table, &left_half), [1]);
/// assert_eq!(cells_in_ring(&table, &[[0.5, 0.0], [3.0, 0.0], [3.0, 1.5]]), [1, 2]); // on the boundary
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn cells_in_ring(regions: &[Region], ring: &[[f64; 2]]) -> Vec<usize> {
    regions
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, region)| {
            let (row, col) = region.centroid();
            region.area() > 0 && point_in_ring(ring, col, row)
        })
        .map(|(label, _)| label)
        .collect()
}
