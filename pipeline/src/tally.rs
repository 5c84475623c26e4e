//! Transcripts held by a [`crate::Session`]: their coordinates and genes, the
//! frame that maps them to pixels, and their counts per cell and gene —
//! gene-major, so that switching the shown gene reads only that gene's
//! cells. Recounted whenever the labels change.

use cellmap_core::Grid;

use crate::assign::AssignSummary;
use crate::frame::{Bounds, Frame, Rounding, assign_grid_in_frame, outside_message};
use crate::memory::filled;
use crate::{Error, Stat, count_transcripts_sparse, grouped};

/// The statistics that say something about transcript counts: each
/// transcript counts 1, so the sum and the count are both the number of
/// transcripts (as in [`crate::CellTable::from_counts`]).
pub(crate) const COUNT_STATS: [Stat; 2] = [Stat::Sum, Stat::Count];

/// A transcript table in a session (see the module docs).
#[derive(Debug)]
pub(crate) struct TranscriptCounts {
    x: Vec<f64>,
    y: Vec<f64>,
    gene: Vec<u32>,
    n_genes: usize,
    frame: Frame,
    /// Where the transcripts fell with the current labels.
    summary: AssignSummary,
    /// Gene `g`'s cells are `cells[gene_ptr[g]..gene_ptr[g + 1]]`, with their counts.
    gene_ptr: Vec<usize>,
    cells: Vec<u32>,
    counts: Vec<u32>,
}

impl TranscriptCounts {
    /// Transcripts `(x[i], y[i])` of gene `gene[i]` (`< n_genes`) in `frame`,
    /// counted in the cells of `labels`. All of them outside the image is an
    /// error naming `source`.
    pub(crate) fn new(
        (x, y, gene): (Vec<f64>, Vec<f64>, Vec<u32>),
        n_genes: usize,
        frame: Frame,
        labels: Grid<'_, i32>,
        n_cells: usize,
        source: &str,
    ) -> Result<Self, Error> {
        if x.len() != gene.len() {
            return Err(Error::input(format!(
                "{source}: {} coordinates but {} genes",
                grouped(x.len()),
                grouped(gene.len())
            )));
        }
        let mut table = TranscriptCounts {
            x,
            y,
            gene,
            n_genes,
            frame,
            summary: AssignSummary::default(),
            gene_ptr: Vec::new(),
            cells: Vec::new(),
            counts: Vec::new(),
        };
        let bounds = table.recount(labels, n_cells).map_err(|e| e.context(source))?;
        let (total, outside) = (table.len(), table.summary.out_of_image);
        if total > 0 && outside == total {
            let what =
                outside_message(total, outside, bounds, labels.width(), labels.height()).unwrap_or_default();
            return Err(Error::input(format!(
                "{source}: {what}; check the frame: the scale (units per pixel), the transform, the preset or the x/y columns"
            )));
        }
        Ok(table)
    }

    /// Number of transcripts.
    pub(crate) fn len(&self) -> usize {
        self.gene.len()
    }

    pub(crate) fn n_genes(&self) -> usize {
        self.n_genes
    }

    pub(crate) fn summary(&self) -> AssignSummary {
        self.summary
    }

    /// Assigns the transcripts to the cells of `labels` and counts them per
    /// cell and gene; returns their bounding box in pixels.
    pub(crate) fn recount(&mut self, labels: Grid<'_, i32>, n_cells: usize) -> Result<Option<Bounds>, Error> {
        let (assignment, bounds) = assign_grid_in_frame(labels, &self.x, &self.y, self.frame, None)?;
        let counts = count_transcripts_sparse(&assignment, &self.gene, n_cells, self.n_genes)?;
        self.summary = assignment.summary;
        drop(assignment);
        // Transposed to gene-major: a counting sort by gene.
        let mut gene_ptr = filled(self.n_genes + 1, 0usize, "the gene offsets of the counts")?;
        for &g in &counts.indices {
            gene_ptr[g as usize + 1] += 1;
        }
        for g in 1..gene_ptr.len() {
            gene_ptr[g] += gene_ptr[g - 1];
        }
        let mut cells = filled(counts.nnz(), 0u32, "the cells of the counts")?;
        let mut values = filled(counts.nnz(), 0u32, "the counts per cell and gene")?;
        let mut next = gene_ptr.clone();
        for row in 0..n_cells {
            for k in counts.indptr[row] as usize..counts.indptr[row + 1] as usize {
                let slot = &mut next[counts.indices[k] as usize];
                cells[*slot] = row as u32 + 1;
                values[*slot] = u32::try_from(counts.data[k]).unwrap_or(u32::MAX);
                *slot += 1;
            }
        }
        (self.gene_ptr, self.cells, self.counts) = (gene_ptr, cells, values);
        Ok(bounds)
    }

    /// Adds gene `gene`'s count in each cell to `values` (by label; cells
    /// without its transcripts add 0). `stat` must be one of [`COUNT_STATS`].
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
        let range = self.gene_ptr[gene]..self.gene_ptr[gene + 1];
        for (&cell, &count) in self.cells[range.clone()].iter().zip(&self.counts[range]) {
            if let Some(value) = values.get_mut(cell as usize) {
                *value += f64::from(count);
            }
        }
        Ok(())
    }

    /// The pixel coordinates (column, row; pixel `i` spans `[i, i + 1)`) of
    /// the transcripts of each of `genes`, for drawing them as dots: `xy` gets
    /// them interleaved, grouped by gene in the order of `genes`, and
    /// `starts[k]` is where gene `genes[k]`'s points start (with the total at
    /// the end).
    pub(crate) fn points(&self, genes: &[usize], xy: &mut Vec<f32>, starts: &mut Vec<u32>) {
        xy.clear();
        starts.clear();
        let half = if self.frame.rounding == Rounding::Nearest { 0.5 } else { 0.0 };
        for &wanted in genes {
            starts.push((xy.len() / 2) as u32);
            for i in (0..self.gene.len()).filter(|&i| self.gene[i] as usize == wanted) {
                let (tx, ty) = self.frame.transform.apply(self.x[i], self.y[i]);
                xy.push((tx / self.frame.scale + half) as f32);
                xy.push((ty / self.frame.scale + half) as f32);
            }
        }
        starts.push((xy.len() / 2) as u32);
    }
}

#[cfg(test)]
mod tests {
    use crate::{
        Connectivity, Frame, Image, LabelImage, SegmentOptions, Session, Stat, assign_in_frame,
        count_transcripts, input::CellImage,
    };

    /// A mask whose cells join under 8-connectivity: #.# / .#. / #.#
    fn diagonal_mask() -> Image<bool> {
        Image::new(3, 3, vec![true, false, true, false, true, false, true, false, true]).unwrap()
    }

    #[test]
    fn session_counts_are_the_assign_counts_and_follow_the_labels() {
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
        let summary =
            session.attach_transcripts((x.clone(), y.clone(), gene.clone()), names, frame, "t").unwrap();
        for connectivity in [Connectivity::Four, Connectivity::Eight] {
            let cells =
                session.set_segment_options(SegmentOptions { connectivity, ..Default::default() }).unwrap();
            let labels = LabelImage::new(Image::new(3, 3, session.labels().to_vec()).unwrap()).unwrap();
            let (assignment, _) = assign_in_frame(&labels, &x, &y, frame, None).unwrap();
            assert_eq!(session.transcript_summary(), Some(assignment.summary));
            assert_eq!(summary.out_of_image, assignment.summary.out_of_image);
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
        assert_eq!(session.stats(), [Stat::Sum, Stat::Count]);
        let e = session.compute(&[0], Stat::Max).unwrap_err().to_string();
        assert!(e.starts_with("max of transcript counts"), "{e}");
        let (mut xy, mut starts) = (Vec::new(), Vec::new());
        session.transcript_points(&[1], &mut xy, &mut starts);
        let ones = gene.iter().filter(|&&g| g == 1).count();
        assert_eq!((xy.len(), starts), (2 * ones, vec![0, ones as u32]));
    }

    #[test]
    fn transcripts_all_outside_are_an_error_with_their_extent() {
        let mut session = Session::new(CellImage::Mask(diagonal_mask())).unwrap();
        let frame = Frame { scale: 0.5, ..Frame::default() };
        let e = session
            .attach_transcripts(
                (vec![10.0, 20.0], vec![0.0, 1.0], vec![0, 0]),
                vec!["A".into()],
                frame,
                "far.csv",
            )
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "far.csv: 2 of 2 transcripts fall outside the image: transcripts span x 20.000000..40.000000 × \
             y 0.000000..2.000000 pixels, the image is 0..3 × 0..3; check the frame: the scale (units per \
             pixel), the transform, the preset or the x/y columns"
        );
        assert_eq!(session.n_genes(), 0);
    }
}
