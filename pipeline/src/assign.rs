//! Transcripts to cells: each point's cell, and counts per cell and gene.

use cellmap_core::Grid;
use cellmap_core::assign::{assign_points, count_cell_genes, nearest_cell_map, nearest_cell_map_scratch_len};

pub use cellmap_core::assign::{AssignSummary, BACKGROUND, OUT_OF_IMAGE};

use crate::memory::{budget, filled};
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
    assign_points_to(labels.labels().grid(), x, y, scale, max_distance)
}

/// [`assign_transcripts`] to borrowed labels (e.g. a binding's array).
pub fn assign_points_to(
    grid: Grid<'_, i32>,
    x: &[f64],
    y: &[f64],
    scale: f64,
    max_distance: Option<f64>,
) -> Result<Assignment, Error> {
    let mut cell_ids = filled(x.len(), 0u32, "the transcript cell ids")?;
    let core = |e| Error::core("transcript assignment", e);
    let summary = match max_distance {
        Some(radius) => {
            let (width, height) = (grid.width(), grid.height());
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
    let rows = n_cells as u128 + 1;
    let table = || format!("counts table of {} cells × {} genes", grouped(n_cells + 1), grouped(n_genes));
    budget(table, rows * n_genes as u128, size_of::<u32>())?;
    let len = usize::try_from(rows * n_genes as u128)
        .map_err(|_| Error::input(format!("{} is too large", table())))?;
    let mut counts = filled(len, 0u32, "the cell × gene counts")?;
    count_cell_genes(&assignment.cell_ids, genes, n_cells, n_genes, &mut counts)
        .map_err(|e| Error::core("transcript counts", e))?;
    counts.drain(..n_genes);
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Expression, Image, Selection, Stat, cell_table};
    use cellmap_io::npz::{Csr, IndexArray, ValueArray};

    #[test]
    fn a_counts_table_over_the_budget_is_refused_with_its_size() {
        let assignment = Assignment { cell_ids: vec![1], summary: AssignSummary::default() };
        let e = count_transcripts(&assignment, &[0], 4096, 2_000_000).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::OutOfMemory);
        assert!(
            e.to_string().starts_with(
                "counts table of 4,097 cells × 2,000,000 genes needs 32.8 GB, over the memory budget of"
            ) || crate::MemoryBudget::global().bytes() > 32_776_000_000, // a machine with > 65 GB free
            "{e}"
        );
    }

    #[test]
    fn a_csr_of_2_pow_62_genes_is_an_error_not_a_panic() {
        let labels = LabelImage::new(Image::new(64, 64, (1..=4096).collect()).unwrap()).unwrap();
        let csr = Csr {
            source: "st.npz".into(),
            shape: (4096, 1 << 62),
            indptr: IndexArray::I32([0].into_iter().chain(std::iter::repeat_n(1, 4096)).collect()),
            indices: IndexArray::I32(vec![0]),
            data: ValueArray::F32(vec![1.0]),
        };
        let expression = Expression::from_csr(csr, 64, 64).unwrap();
        for stat in Stat::ALL {
            let e = cell_table(&labels, &expression, Selection::default(), stat).unwrap_err();
            assert!(e.to_string().starts_with("st.npz: "), "{e}");
        }
        let e = crate::GeneColumns::new(&expression).unwrap_err();
        assert!(e.to_string().contains("over the memory budget"), "{e}");
    }
}
