//! [`Session`]: one tile held for interactive use (the viewer): the cells,
//! the expression in gene-major form, the shown genes' per-cell values and
//! the painted pixels, with every per-frame buffer kept so that a gene
//! switch or a repaint allocates nothing.

use cellmap_core::stats::CellStats;

use crate::color::Painter;
use crate::expression::{GeneColumns, gene_stats_scratch_len};
use crate::input::CellImage;
use crate::memory::{filled, refill};
use crate::regions::Region;
use crate::segment::Segmenter;
use crate::tally::{COUNT_STATS, GeneCounts};
use crate::{ColorScale, Demo, Error, Expression, SegmentOptions, Stat, grouped};

/// One tile in an interactive session.
///
/// ```
/// use cellmap::{ColorScale, Image, Session, Stat, input::CellImage};
/// // two cells and one gene: 2 . | 6
/// let mask = Image::new(4, 1, vec![true, true, false, true])?;
/// let mut session = Session::new(CellImage::Mask(mask))?;
/// assert_eq!(session.n_cells(), 2);
/// let values = cellmap_io::npy::read(&cellmap_io::npy::encode(&[1, 4], &[2.0f32, 0.0, 0.0, 6.0])?, "v.npy")?;
/// session.attach_expression(&cellmap::Expression::from_dense(&values, "v.npy", 1, 4)?)?;
/// session.compute(&[0], Stat::Mean)?;
/// assert_eq!(session.values()[1..], [2.0, 6.0]);
/// assert_eq!(session.paint(&ColorScale::default(), false)?, Some((2.0, 6.0)));
/// assert_eq!(session.pixels().len(), 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Session {
    width: usize,
    height: usize,
    /// The binary mask to label, or `None` for a label image (used as is).
    mask: Option<Vec<bool>>,
    options: SegmentOptions,
    segmenter: Segmenter,
    /// Labels, row-major (0 = background).
    labels: Vec<i32>,
    n_cells: usize,
    /// Region properties by label.
    regions: Vec<Region>,
    /// Per-pixel expression, or (exclusive of it) `counts`.
    columns: Option<GeneColumns>,
    /// Transcript counts per cell and gene, and whether they are for the
    /// current labels.
    counts: Option<(GeneCounts, bool)>,
    gene_names: Vec<String>,
    /// The shown genes and statistic, recomputed when the labels change.
    selection: Option<(Vec<usize>, Stat)>,
    /// Per-cell values of the selection, by label (NaN = no value).
    values: Vec<f64>,
    gene_stats: Vec<CellStats>,
    gene_scratch: Vec<usize>,
    layer: Vec<f64>,
    painter: Painter,
    /// RGBA, one `u32` per pixel whose bytes in memory are R, G, B, A.
    pixels: Vec<u32>,
}

impl Session {
    /// A session over a mask (labelled with [`SegmentOptions::default`]) or
    /// a label image (kept as it is).
    pub fn new(cells: CellImage) -> Result<Session, Error> {
        let (width, height) = (cells.width(), cells.height());
        let (mask, labels, n_cells) = match cells {
            CellImage::Mask(mask) => {
                let labels = filled(mask.data().len(), 0i32, "the labels")?;
                (Some(mask.into_data()), labels, 0)
            }
            CellImage::Labels(labels) => {
                let n = labels.n_cells();
                (None, labels.into_labels().into_data(), n)
            }
        };
        let pixels = filled(labels.len(), 0u32, "the RGBA pixels")
            .map_err(|e| e.context(format!("a {height}×{width} tile does not fit")))?;
        let mut session = Session {
            width,
            height,
            mask,
            options: SegmentOptions::default(),
            segmenter: Segmenter::default(),
            labels,
            n_cells,
            regions: Vec::new(),
            columns: None,
            counts: None,
            gene_names: Vec::new(),
            selection: None,
            values: Vec::new(),
            gene_stats: Vec::new(),
            gene_scratch: Vec::new(),
            layer: Vec::new(),
            painter: Painter::default(),
            pixels,
        };
        session.relabel()?;
        Ok(session)
    }

    /// The demo tile ([`Demo`], [`crate::DEMO_GENES`] genes) with its true
    /// factors appended as genes; opens on [`Demo::first_spatial_gene`] with
    /// [`Stat::Sum`] (counts: the mean of a cell's nonzero counts is mostly 1).
    pub fn demo(seed: u64, width: usize, height: usize) -> Result<Session, Error> {
        let demo = Demo::new(seed, width, height, crate::DEMO_GENES)?;
        let mut session = Session::new(CellImage::Mask(demo.mask().clone()))?;
        session.attach_expression(demo.expression())?;
        let mut names = demo.gene_names().to_vec();
        let columns = session.columns.as_mut().ok_or_else(|| Error::input("demo: no expression"))?;
        for (name, image) in demo.factor_images()? {
            columns.push_gene(&image)?;
            names.push(name);
        }
        session.gene_names = names;
        session.compute(&[demo.first_spatial_gene()], Stat::Sum)?;
        Ok(session)
    }

    /// Relabels the mask with `options` (a label image keeps its labels;
    /// the options are stored) and returns the cell count. Regions follow,
    /// and the values of the shown genes (paint again).
    pub fn set_segment_options(&mut self, options: SegmentOptions) -> Result<usize, Error> {
        self.options = options;
        self.relabel()?;
        Ok(self.n_cells)
    }

    /// Attaches expression (converted to gene-major once) and returns its
    /// gene count; names reset to `gene 0`, `gene 1`, ... Past the shape
    /// check the old expression is dropped before the conversion, so a
    /// failed conversion leaves none.
    pub fn attach_expression(&mut self, expression: &Expression) -> Result<usize, Error> {
        if expression.n_pixels() != self.labels.len() {
            return Err(Error::input(format!(
                "{}: shape mismatch: the image is {}×{} but the expression has {} rows (it needs one row per pixel: {} rows)",
                expression.source(),
                self.height,
                self.width,
                grouped(expression.n_pixels()),
                grouped(self.labels.len())
            )));
        }
        // the old columns go first: their memory is reused for the new ones
        self.detach_expression();
        let columns = GeneColumns::new(expression)?;
        let genes = columns.n_genes();
        self.columns = Some(columns);
        self.gene_names = (0..genes).map(|g| format!("gene {g}")).collect();
        self.selection = None;
        self.values.fill(f64::NAN);
        Ok(genes)
    }

    /// Attaches transcript counts as the expression: `counts` (see
    /// [`crate::count_in_frame`], for this session's labels) and one name per
    /// gene. Each gene's per-cell value is its count there
    /// ([`Session::stats`]: sum and count). Relabelling makes them stale until
    /// [`Session::recount`] gives the counts for the new labels.
    ///
    /// ```
    /// use cellmap::{Frame, Image, LabelImage, Session, Stat, count_in_frame, input::CellImage};
    /// // cells 1 and 2: ##.#
    /// let mask = Image::new(4, 1, vec![true, true, false, true])?;
    /// let mut session = Session::new(CellImage::Mask(mask))?;
    /// let labels = LabelImage::new(Image::new(4, 1, session.labels().to_vec())?)?;
    /// let frame = Frame { scale: 1.0, ..Frame::default() };
    /// let (counts, _) = count_in_frame(&labels, &[0.5, 3.5, 3.2], &[0.5; 3], &[0, 1, 1], 2, frame, "t.csv")?;
    /// session.attach_counts(counts, vec!["A".into(), "B".into()])?;
    /// session.compute(&[1], Stat::Sum)?;
    /// assert_eq!(session.values()[1..], [0.0, 2.0]);
    /// assert!(session.compute(&[0], Stat::Mean).is_err());
    /// # Ok::<(), cellmap::Error>(())
    /// ```
    pub fn attach_counts(&mut self, counts: GeneCounts, gene_names: Vec<String>) -> Result<(), Error> {
        self.check_counts(&counts)?;
        if gene_names.len() != counts.n_genes() {
            return Err(Error::input(format!(
                "{} gene names for {} genes of counts",
                grouped(gene_names.len()),
                grouped(counts.n_genes())
            )));
        }
        self.detach_expression();
        self.counts = Some((counts, true));
        self.gene_names = gene_names;
        Ok(())
    }

    /// Replaces the attached counts by those for the current labels (after
    /// relabelling: same genes) and recomputes the shown genes' values.
    pub fn recount(&mut self, counts: GeneCounts) -> Result<(), Error> {
        self.check_counts(&counts)?;
        if counts.n_genes() != self.n_genes() || self.counts.is_none() {
            return Err(Error::argument(format!(
                "recount: the session has {} genes of transcript counts, the new counts {}",
                grouped(self.n_genes()),
                grouped(counts.n_genes())
            )));
        }
        self.counts = Some((counts, true));
        match self.selection.take() {
            Some((genes, stat)) => self.compute(&genes, stat),
            None => Ok(()),
        }
    }

    fn check_counts(&self, counts: &GeneCounts) -> Result<(), Error> {
        if counts.n_cells() != self.n_cells {
            return Err(Error::input(format!(
                "transcript counts of {} cells, but the labels have {} cells",
                grouped(counts.n_cells()),
                grouped(self.n_cells)
            )));
        }
        Ok(())
    }

    /// The statistics that apply to the expression: all of [`Stat::ALL`] for
    /// per-pixel expression; sum and count for transcript counts (each
    /// transcript counts 1: both are the number of transcripts).
    pub fn stats(&self) -> &'static [Stat] {
        if self.counts.is_some() { &COUNT_STATS } else { &Stat::ALL }
    }

    /// Drops the expression (and the shown genes' values): the session
    /// shows cells without values until [`Session::attach_expression`].
    pub fn detach_expression(&mut self) {
        self.columns = None;
        self.counts = None;
        self.gene_names = Vec::new();
        self.selection = None;
        self.values.fill(f64::NAN);
    }

    /// Replaces the gene names (one per gene, in column order).
    pub fn set_gene_names(&mut self, names: Vec<String>) -> Result<(), Error> {
        if names.len() != self.n_genes() {
            return Err(Error::input(format!(
                "{} gene names but the expression has {} genes (one name per gene, in column order)",
                grouped(names.len()),
                grouped(self.n_genes())
            )));
        }
        self.gene_names = names;
        Ok(())
    }

    /// Computes the per-cell values of `genes` under `stat`: of one gene,
    /// or for several the sum of each gene's per-cell value
    /// ([`crate::add_layer`]). Remembered across relabelling.
    pub fn compute(&mut self, genes: &[usize], stat: Stat) -> Result<(), Error> {
        if self.columns.is_none() && self.counts.is_none() {
            return Err(no_expression());
        }
        if genes.is_empty() {
            return Err(Error::argument("no gene selected (pass at least one gene index)"));
        }
        let n_genes = self.n_genes();
        if let Some(&g) = genes.iter().find(|&&g| g >= n_genes) {
            return Err(Error::argument(format!(
                "gene {g} does not exist: the expression has {} genes (indices 0 to {})",
                grouped(n_genes),
                grouped(n_genes.saturating_sub(1))
            )));
        }
        let len = self.n_cells + 1;
        if let Some((counts, current)) = &self.counts {
            if !*current {
                return Err(Error::argument(
                    "the transcript counts are for the previous labels: count them again for the new ones",
                ));
            }
            refill(&mut self.values, len, f64::NAN, "the per-cell values")?;
            for &gene in genes {
                counts.add_gene(gene, stat, &mut self.values)?;
            }
            self.remember(genes, stat);
            return Ok(());
        }
        let Some(columns) = &self.columns else { return Err(no_expression()) };
        refill(&mut self.gene_stats, len, CellStats::EMPTY, "the per-cell statistics")?;
        refill(&mut self.gene_scratch, gene_stats_scratch_len(self.n_cells), 0, "the statistics scratch")?;
        refill(&mut self.layer, len, f64::NAN, "the per-gene values")?;
        refill(&mut self.values, len, f64::NAN, "the per-cell values")?;
        let labels = cellmap_core::Grid::new(self.width, self.height, &self.labels[..])
            .map_err(|e| Error::core("labels", e))?;
        for &gene in genes {
            columns.gene_stats(labels, gene, self.n_cells, &mut self.gene_stats, &mut self.gene_scratch)?;
            for (value, s) in self.layer.iter_mut().zip(&self.gene_stats).skip(1) {
                *value = stat.of(s);
            }
            crate::add_layer(&mut self.values, &self.layer)?;
        }
        self.remember(genes, stat);
        Ok(())
    }

    /// Keeps `genes` and `stat` as the selection (reusing its allocation).
    fn remember(&mut self, genes: &[usize], stat: Stat) {
        match &mut self.selection {
            Some((shown, shown_stat)) => {
                shown.clear();
                shown.extend_from_slice(genes);
                *shown_stat = stat;
            }
            None => self.selection = Some((genes.to_vec(), stat)),
        }
    }

    /// Paints the values into [`Session::pixels`] and returns the range
    /// used (`None` when no cell has a value).
    pub fn paint(&mut self, scale: &ColorScale, outlines: bool) -> Result<Option<(f64, f64)>, Error> {
        let labels = cellmap_core::Grid::new(self.width, self.height, &self.labels[..])
            .map_err(|e| Error::core("labels", e))?;
        self.painter.paint(labels, &self.values, &self.regions, scale, outlines, &mut self.pixels)
    }

    /// Columns.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Rows.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Number of cells (labels `1..=n_cells`).
    pub fn n_cells(&self) -> usize {
        self.n_cells
    }

    /// Number of labels that have pixels (fewer than [`Session::n_cells`]
    /// when a label image skips ids).
    pub fn n_cells_with_pixels(&self) -> usize {
        self.regions.iter().skip(1).filter(|r| r.area() > 0).count()
    }

    /// `true` when the session holds a label image (its labels are kept).
    pub fn is_label_image(&self) -> bool {
        self.mask.is_none()
    }

    /// The current segmentation options.
    pub fn segment_options(&self) -> SegmentOptions {
        self.options
    }

    /// The labels, row-major.
    pub fn labels(&self) -> &[i32] {
        &self.labels
    }

    /// The label under pixel `(row, col)`; 0 for background and outside.
    pub fn cell_at(&self, row: usize, col: usize) -> usize {
        if row < self.height && col < self.width {
            self.labels[row * self.width + col].max(0) as usize
        } else {
            0
        }
    }

    /// Region properties by label (entry 0: the background).
    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    /// Per-cell values of the shown genes, by label (entry 0 is NaN).
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The painted pixels (see [`Session::paint`]).
    pub fn pixels(&self) -> &[u32] {
        &self.pixels
    }

    /// Number of genes (0 without expression).
    pub fn n_genes(&self) -> usize {
        match (&self.columns, &self.counts) {
            (Some(columns), _) => columns.n_genes(),
            (None, Some((counts, _))) => counts.n_genes(),
            (None, None) => 0,
        }
    }

    /// The gene names.
    pub fn gene_names(&self) -> &[String] {
        &self.gene_names
    }

    /// The shown genes and statistic of the last [`Session::compute`].
    pub fn selection(&self) -> Option<(&[usize], Stat)> {
        self.selection.as_ref().map(|(genes, stat)| (genes.as_slice(), *stat))
    }

    /// Labels the mask (not a label image), then regions, then the values
    /// of the current selection.
    fn relabel(&mut self) -> Result<(), Error> {
        if let Some(mask) = &self.mask {
            let grid = cellmap_core::Grid::new(self.width, self.height, &mask[..])
                .map_err(|e| Error::core("mask", e))?;
            self.n_cells = self.segmenter.segment(grid, self.options, &mut self.labels)?;
        }
        refill(&mut self.regions, self.n_cells + 1, Region::EMPTY, "the region table")?;
        let labels = cellmap_core::Grid::new(self.width, self.height, &self.labels[..])
            .map_err(|e| Error::core("labels", e))?;
        cellmap_core::regions::region_props(labels, self.n_cells, &mut self.regions)
            .map_err(|e| Error::core("region properties", e))?;
        if let Some((_, current)) = &mut self.counts {
            // counted for other labels: shown again after `recount`
            *current = self.mask.is_none();
        }
        refill(&mut self.values, self.n_cells + 1, f64::NAN, "the per-cell values")?;
        if let Some((genes, stat)) = self.selection.take() {
            if matches!(self.counts, Some((_, false))) {
                self.selection = Some((genes, stat));
            } else {
                self.compute(&genes, stat)?;
            }
        }
        Ok(())
    }
}

fn no_expression() -> Error {
    Error::argument("no expression attached: attach an expression file first")
}
