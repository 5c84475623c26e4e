//! Transcript counts as genes: [`count_in_frame`] places a transcript table's
//! points in the cells and counts them per cell and gene ([`GeneCounts`],
//! gene-major so that showing a gene reads only its cells), which a
//! [`crate::Session`] shows like any other genes
//! ([`crate::Session::attach_counts`]). [`frame_points`] gives the points in
//! pixels for drawing them.
//!
//! The viewer splits the work this way to keep its main wasm package small:
//! its optional tables module holds the table and counts it (with the
//! labels the session gives it), the session only holds the counts.

use crate::assign::AssignSummary;
use crate::frame::{Frame, Rounding, assign_in_frame, outside_message};
use crate::memory::filled;
use crate::{Error, LabelImage, SparseCounts, Stat, count_transcripts_sparse, grouped};

/// The statistics that say something about transcript counts: each
/// transcript counts 1, so the sum and the count are both the number of
/// transcripts (as in [`crate::CellTable::from_counts`]).
pub const COUNT_STATS: [Stat; 2] = [Stat::Sum, Stat::Count];

/// Transcript counts per cell and gene, gene-major: gene `g`'s cells are
/// `cells[gene_ptr[g]..gene_ptr[g + 1]]` (ascending), with their counts
/// (`> 0`) in `counts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneCounts {
    n_cells: usize,
    gene_ptr: Vec<u32>,
    cells: Vec<u32>,
    counts: Vec<u32>,
}

impl GeneCounts {
    /// The counts of a [`SparseCounts`] (cell-major), transposed.
    pub fn from_sparse(sparse: &SparseCounts) -> Result<Self, Error> {
        let nnz = sparse.nnz();
        let too_many = || Error::input(format!("{} counts are more than 2^32", grouped(nnz)));
        u32::try_from(nnz).map_err(|_| too_many())?;
        let mut gene_ptr = filled(sparse.n_genes + 1, 0u32, "the gene offsets of the counts")?;
        for &g in &sparse.indices {
            gene_ptr[g as usize + 1] += 1;
        }
        for g in 1..gene_ptr.len() {
            gene_ptr[g] += gene_ptr[g - 1];
        }
        let mut cells = filled(nnz, 0u32, "the cells of the counts")?;
        let mut counts = filled(nnz, 0u32, "the counts per cell and gene")?;
        let mut next = gene_ptr.clone();
        for row in 0..sparse.n_cells {
            for k in sparse.indptr[row] as usize..sparse.indptr[row + 1] as usize {
                let slot = &mut next[sparse.indices[k] as usize];
                cells[*slot as usize] = row as u32 + 1;
                counts[*slot as usize] = u32::try_from(sparse.data[k]).map_err(|_| too_many())?;
                *slot += 1;
            }
        }
        Ok(GeneCounts { n_cells: sparse.n_cells, gene_ptr, cells, counts })
    }

    /// Counts from their parts (see the type docs), checked: `gene_ptr`
    /// starts at 0, never decreases and ends at the number of counts; every
    /// cell is in `1..=n_cells`.
    pub fn from_parts(
        n_cells: usize,
        gene_ptr: Vec<u32>,
        cells: Vec<u32>,
        counts: Vec<u32>,
    ) -> Result<Self, Error> {
        let consistent = gene_ptr.first() == Some(&0)
            && gene_ptr.windows(2).all(|w| w[0] <= w[1])
            && gene_ptr.last().is_some_and(|&end| end as usize == cells.len())
            && cells.len() == counts.len()
            && cells.iter().all(|&c| c >= 1 && c as usize <= n_cells);
        if !consistent {
            return Err(Error::input(format!(
                "transcript counts of {} cells: gene offsets, cells and counts do not agree",
                grouped(n_cells)
            )));
        }
        Ok(GeneCounts { n_cells, gene_ptr, cells, counts })
    }

    /// Number of cells (ids `1..=n_cells`).
    pub fn n_cells(&self) -> usize {
        self.n_cells
    }

    /// Number of genes.
    pub fn n_genes(&self) -> usize {
        self.gene_ptr.len() - 1
    }

    /// The parts: gene offsets, cells, counts.
    pub fn parts(&self) -> (&[u32], &[u32], &[u32]) {
        (&self.gene_ptr, &self.cells, &self.counts)
    }

    /// Adds gene `gene`'s count in each cell to `values` (by label; NaN
    /// entries first become 0: a cell without its transcripts counts 0).
    /// `stat` must be one of [`COUNT_STATS`].
    pub(crate) fn add_gene(&self, gene: usize, stat: Stat, values: &mut [f64]) -> Result<(), Error> {
        if !COUNT_STATS.contains(&stat) {
            return Err(Error::argument(format!(
                "{} of transcript counts: each transcript counts 1, so only sum and count (the \
                 number of transcripts) say something",
                stat.name()
            )));
        }
        for value in values.iter_mut().skip(1).filter(|v| v.is_nan()) {
            *value = 0.0;
        }
        let range = self.gene_ptr[gene] as usize..self.gene_ptr[gene + 1] as usize;
        for (&cell, &count) in self.cells[range.clone()].iter().zip(&self.counts[range]) {
            if let Some(value) = values.get_mut(cell as usize) {
                *value += f64::from(count);
            }
        }
        Ok(())
    }
}

/// Places transcripts `(x[i], y[i])` of gene `gene[i]` (`< n_genes`) in the
/// cells of `labels` through `frame` ([`assign_in_frame`], no maximum
/// distance) and counts them per cell and gene
/// ([`count_transcripts_sparse`]) — `cellmap assign`'s numbers — with where
/// they fell and, when more than half fell outside the image, the warning
/// `cellmap assign` prints ([`outside_message`], naming `source`). Every
/// transcript outside the image is an error naming `source`, with their
/// extent and the image's.
///
/// ```
/// use cellmap::{Frame, Image, LabelImage, count_in_frame};
/// // cells 1 and 2: 1 1 . 2
/// let labels = LabelImage::new(Image::new(4, 1, vec![1, 1, 0, 2])?)?;
/// let frame = Frame { scale: 1.0, ..Frame::default() };
/// let (counts, summary, warning) = count_in_frame(&labels, &[0.5, 1.5, 2.5, 3.5], &[0.5; 4], &[0, 1, 1, 1], 2, frame, "t.csv")?;
/// assert_eq!((summary.in_cells, summary.background, warning), (3, 1, None));
/// let (_, _, warning) = count_in_frame(&labels, &[0.5, 5.0, 6.0], &[0.5; 3], &[0, 0, 0], 1, frame, "t.csv")?;
/// assert!(warning.unwrap().starts_with("t.csv: 2 of 3 transcripts fall outside the image"));
/// assert_eq!(counts.parts(), (&[0, 1, 3][..], &[1, 1, 2][..], &[1, 1, 1][..]));
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn count_in_frame(
    labels: &LabelImage,
    x: &[f64],
    y: &[f64],
    gene: &[u32],
    n_genes: usize,
    frame: Frame,
    source: &str,
) -> Result<(GeneCounts, AssignSummary, Option<String>), Error> {
    let (assignment, bounds) = assign_in_frame(labels, x, y, frame, None).map_err(|e| e.context(source))?;
    let (total, outside) = (x.len(), assignment.summary.out_of_image);
    let what = outside_message(total, outside, bounds, labels.width(), labels.height());
    if total > 0 && outside == total {
        let what = what.unwrap_or_default();
        return Err(Error::input(format!(
            "{source}: {what}; check the frame: the scale (units per pixel), the transform, the preset \
             or the x/y columns"
        )));
    }
    let sparse = count_transcripts_sparse(&assignment, gene, labels.n_cells(), n_genes)
        .map_err(|e| e.context(source))?;
    let warning = what.map(|what| format!("{source}: {what}"));
    Ok((GeneCounts::from_sparse(&sparse)?, assignment.summary, warning))
}

/// The pixel coordinates (column, row; pixel `i` spans `[i, i + 1)`, as
/// [`assign_in_frame`] places them) of the transcripts of each of `genes`, for
/// drawing them as dots: `xy` gets them interleaved, grouped by gene in the
/// order of `genes`, and `starts[k]` is where gene `genes[k]`'s points start
/// (the total last).
///
/// ```
/// use cellmap::{Frame, frame_points};
/// let frame = Frame { scale: 2.0, ..Frame::default() };
/// let (mut xy, mut starts) = (Vec::new(), Vec::new());
/// frame_points(&[2.0, 4.0, 6.0], &[0.0, 1.0, 2.0], &[1, 0, 1], frame, &[1], &mut xy, &mut starts);
/// assert_eq!((xy, starts), (vec![1.0, 0.0, 3.0, 1.0], vec![0, 2]));
/// ```
pub fn frame_points(
    x: &[f64],
    y: &[f64],
    gene: &[u32],
    frame: Frame,
    genes: &[usize],
    xy: &mut Vec<f32>,
    starts: &mut Vec<u32>,
) {
    xy.clear();
    starts.clear();
    let half = if frame.rounding == Rounding::Nearest { 0.5 } else { 0.0 };
    for &wanted in genes {
        starts.push((xy.len() / 2) as u32);
        for ((&x, &y), _) in x.iter().zip(y).zip(gene).filter(|(_, g)| **g as usize == wanted) {
            let (tx, ty) = frame.transform.apply(x, y);
            xy.push((tx / frame.scale + half) as f32);
            xy.push((ty / frame.scale + half) as f32);
        }
    }
    starts.push((xy.len() / 2) as u32);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Connectivity, Image, SegmentOptions, Session, count_transcripts, input::CellImage};

    /// A mask whose cells join under 8-connectivity: #.# / .#. / #.#
    fn diagonal_mask() -> Image<bool> {
        Image::new(3, 3, vec![true, false, true, false, true, false, true, false, true]).unwrap()
    }

    #[test]
    fn session_counts_are_the_assign_counts_for_each_labelling() {
        let mut state = 99u64;
        let mut next = |n: f64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64 * n
        };
        let n = 400;
        let x: Vec<f64> = (0..n).map(|_| next(4.0) - 0.5).collect();
        let y: Vec<f64> = (0..n).map(|_| next(4.0) - 0.5).collect();
        let gene: Vec<u32> = (0..n).map(|_| next(3.0) as u32).collect();
        let frame = Frame { scale: 1.0, ..Frame::default() };
        let mut session = Session::new(CellImage::Mask(diagonal_mask())).unwrap();
        let names = vec!["A".to_string(), "B".into(), "C".into()];
        let labels = |s: &Session| LabelImage::new(Image::new(3, 3, s.labels().to_vec()).unwrap()).unwrap();
        let (counts, ..) = count_in_frame(&labels(&session), &x, &y, &gene, 3, frame, "t").unwrap();
        session.attach_counts(counts, names).unwrap();
        session.compute(&[0], Stat::Sum).unwrap();
        for connectivity in [Connectivity::Eight, Connectivity::Four] {
            let cells =
                session.set_segment_options(SegmentOptions { connectivity, ..Default::default() }).unwrap();
            let e = session.compute(&[0], Stat::Sum).unwrap_err().to_string();
            assert!(e.contains("count them again"), "{e}");
            let (counts, summary, _) =
                count_in_frame(&labels(&session), &x, &y, &gene, 3, frame, "t").unwrap();
            session.recount(counts).unwrap();
            let (assignment, _) = assign_in_frame(&labels(&session), &x, &y, frame, None).unwrap();
            assert_eq!(summary, assignment.summary);
            let dense = count_transcripts(&assignment, &gene, cells, 3).unwrap();
            for g in 0..3 {
                for stat in [Stat::Sum, Stat::Count] {
                    session.compute(&[g], stat).unwrap();
                    let want: Vec<f64> = (0..cells).map(|c| f64::from(dense[c * 3 + g])).collect();
                    assert_eq!(session.values()[1..], want[..], "{connectivity:?} gene {g}");
                }
            }
            session.compute(&[0, 2], Stat::Sum).unwrap();
            let want: Vec<f64> = (0..cells).map(|c| f64::from(dense[c * 3] + dense[c * 3 + 2])).collect();
            assert_eq!(session.values()[1..], want[..]);
        }
        assert_eq!(session.stats(), COUNT_STATS);
        let e = session.compute(&[0], Stat::Max).unwrap_err().to_string();
        assert!(e.starts_with("max of transcript counts"), "{e}");
        let (mut xy, mut starts) = (Vec::new(), Vec::new());
        frame_points(&x, &y, &gene, frame, &[1], &mut xy, &mut starts);
        let ones = gene.iter().filter(|&&g| g == 1).count();
        assert_eq!((xy.len(), starts), (2 * ones, vec![0, ones as u32]));
    }

    #[test]
    fn transcripts_all_outside_are_an_error_with_their_extent() {
        let labels = LabelImage::new(Image::new(3, 3, vec![1; 9]).unwrap()).unwrap();
        let frame = Frame { scale: 0.5, ..Frame::default() };
        let e = count_in_frame(&labels, &[10.0, 20.0], &[0.0, 1.0], &[0, 0], 1, frame, "far.csv")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "far.csv: 2 of 2 transcripts fall outside the image: transcripts span x 20.000000..40.000000 × \
             y 0.000000..2.000000 pixels, the image is 0..3 × 0..3; check the frame: the scale (units per \
             pixel), the transform, the preset or the x/y columns"
        );
    }

    #[test]
    fn counts_whose_parts_disagree_are_refused() {
        assert!(GeneCounts::from_parts(2, vec![0, 1, 2], vec![2, 1], vec![3, 1]).is_ok());
        for (ptr, cells) in [
            (vec![0, 2, 1], vec![2, 1]),
            (vec![1, 1, 2], vec![2, 1]),
            (vec![0, 1, 3], vec![2, 1]),
            (vec![0, 1, 2], vec![3, 1]),
            (vec![0, 1, 2], vec![0, 1]),
            (vec![], vec![]),
        ] {
            let e = GeneCounts::from_parts(2, ptr, cells, vec![1, 1]).unwrap_err().to_string();
            assert!(e.contains("do not agree"), "{e}");
        }
    }
}
