//! Transcripts to cells: each point's cell, and counts per cell and gene.

use cellmap_core::Grid;
use cellmap_core::assign::{assign_points, count_cell_genes, nearest_cell_map, nearest_cell_map_scratch_len};

pub use cellmap_core::assign::{AssignSummary, BACKGROUND, OUT_OF_IMAGE};

use crate::memory::filled;
use crate::{Error, LabelImage, grouped};

/// Where each transcript fell.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// Each transcript's cell id ([`BACKGROUND`] = 0, [`OUT_OF_IMAGE`]).
    pub cell_ids: Vec<u32>,
    /// How many fell in cells, on background, outside the image.
    pub summary: AssignSummary,
}

/// Assigns points `(x, y)` (x = column, y = row, in units of `scale` per
/// pixel) to the cell under them: `labels[trunc(y/scale), trunc(x/scale)]`;
/// with `max_distance`, a point on background goes to the nearest cell
/// pixel within that many pixels (ties to the smaller label).
///
/// ```
/// use cellmap::{Image, LabelImage, assign_transcripts};
/// let labels = LabelImage::new(Image::new(3, 1, vec![1, 0, 2])?)?;
/// let a = assign_transcripts(&labels, &[0.5f64, 1.5, 2.5, 9.0], &[0.0; 4], 1.0, None)?;
/// assert_eq!(a.cell_ids, [1, 0, 2, u32::MAX]);
/// let near = assign_transcripts(&labels, &[1.5f64], &[0.0], 1.0, Some(1.0))?;
/// assert_eq!(near.cell_ids, [1]); // one pixel from both cells: the smaller label
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn assign_transcripts(
    labels: &LabelImage,
    x: &[f64],
    y: &[f64],
    scale: f64,
    max_distance: Option<f64>,
) -> Result<Assignment, Error> {
    let mut cell_ids = filled(x.len(), 0u32, "the transcript cell ids")?;
    let core = |e| Error::core("transcript assignment", e);
    let grid = labels.labels().grid();
    let summary = match max_distance {
        Some(radius) => {
            let (width, height) = (labels.width(), labels.height());
            let mut nearest = filled(grid.len(), 0u32, "the nearest-cell map")?;
            let mut scratch =
                filled(nearest_cell_map_scratch_len(width, height), 0u32, "the nearest-cell scratch")?;
            nearest_cell_map(grid, radius, &mut nearest, &mut scratch).map_err(core)?;
            let map = Grid::new(width, height, &nearest[..]).map_err(core)?;
            assign_points(map, x, y, scale, &mut cell_ids).map_err(core)?
        }
        None => assign_points(grid, x, y, scale, &mut cell_ids).map_err(core)?,
    };
    Ok(Assignment { cell_ids, summary })
}

/// Counts per cell and gene: a `(cells, genes)` table, row `k − 1` = cell
/// `k` (`genes[i]` is transcript `i`'s gene index, `< n_genes`).
pub fn count_transcripts(
    assignment: &Assignment,
    genes: &[u32],
    n_cells: usize,
    n_genes: usize,
) -> Result<Vec<u32>, Error> {
    let len = (n_cells + 1).checked_mul(n_genes).ok_or_else(|| {
        Error::input(format!(
            "a table of {} cells × {} genes is too large",
            grouped(n_cells),
            grouped(n_genes)
        ))
    })?;
    let mut counts = filled(len, 0u32, "the cell × gene counts")?;
    count_cell_genes(&assignment.cell_ids, genes, n_cells, n_genes, &mut counts)
        .map_err(|e| Error::core("transcript counts", e))?;
    counts.drain(..n_genes);
    Ok(counts)
}
