//! Region properties (area, centroid, bounding box) per cell, and their
//! table as `regions.csv` and the viewer show them.
//!
//! Bounding boxes are **end-exclusive**, like the slices of
//! `scipy.ndimage.find_objects`: a cell spans rows `bbox_min_row ..
//! bbox_max_row` (the last row is `bbox_max_row − 1`).

use std::io::Write;

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
    let mut out = filled(labels.n_cells() + 1, Region::EMPTY, "the region table")?;
    region_props(labels.labels().grid(), labels.n_cells(), &mut out)
        .map_err(|e| Error::core("region properties", e))?;
    Ok(out)
}

/// The header of [`write_regions_csv`].
pub const REGIONS_CSV_HEADER: &str =
    "label,area,centroid_row,centroid_col,bbox_min_row,bbox_min_col,bbox_max_row,bbox_max_col";

/// One cell's row of the regions table: `label,area,centroid_row,...`
/// (empty bounding box fields for an id without pixels).
pub fn region_csv_row(label: usize, region: &Region) -> String {
    let (row, col) = region.centroid();
    let bbox = region.bounding_box().map_or_else(
        || ",,,".to_string(),
        |b| format!("{},{},{},{}", b.row_start, b.col_start, b.row_end, b.col_end),
    );
    format!("{label},{},{row:?},{col:?},{bbox}", region.area())
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
