//! [`Session`]: one tile held for interactive use (the viewer): the cells,
//! the expression in gene-major form, the shown genes' per-cell values and
//! the painted pixels, with every per-frame buffer kept so that a gene
//! switch or a repaint allocates nothing.

use cellmap_core::stats::CellStats;
use cellmap_io::npy;
use cellmap_io::ranges::{RangeReader, ReadAt};

use crate::categories::Categories;
use crate::color::Painter;
use crate::expression::{GeneColumns, gene_stats_scratch_len};
use crate::input::CellImage;
use crate::memory::{filled, grouped, refill};
use crate::regions::Region;
use crate::segment::Segmenter;
use crate::tally::{COUNT_STATS, GeneCounts};
use crate::{
    ColorScale, Demo, Error, Expression, REGIONS_CSV_HEADER, Range, SegmentOptions, Stat, region_fields,
    write_region_fields,
};

/// What a front end opens new data on ([`Session::suggested_view`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewDefaults {
    /// The per-cell statistic.
    pub stat: Stat,
    /// The colour range.
    pub range: Range,
    /// Whether to draw cell outlines.
    pub outlines: bool,
}

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
    /// Whether every stored expression value is a whole number ≥ 0.
    whole_numbers: bool,
    /// Transcript counts per cell and gene, and whether they are for the
    /// current labels.
    counts: Option<(GeneCounts, bool)>,
    gene_names: Vec<String>,
    categories: Option<Categories>,
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
            whole_numbers: false,
            counts: None,
            gene_names: Vec::new(),
            categories: None,
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
    /// the [`Session::suggested_view`] statistic of its counts,
    /// [`Stat::Sum`] (the mean of a cell's nonzero counts is mostly 1).
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
        session.compute(&[demo.first_spatial_gene()], session.suggested_view().stat)?;
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
    ///
    /// A one-gene `(H, W)` image of dtype bool or uint8 whose nonzero
    /// pixels all hold the same value is refused: it is a second mask, not
    /// expression.
    pub fn attach_expression(&mut self, expression: &Expression) -> Result<usize, Error> {
        if expression.looks_like_mask() {
            return Err(mask_like(expression.source()));
        }
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
        Ok(self.adopt(columns))
    }

    /// Attaches expression read from a file's `bytes` (range by range, so
    /// they can stay where they are): a scipy CSR `.npz` decoded straight
    /// to gene-major ([`GeneColumns::read_npz`]: it takes about the
    /// gene-major form's memory, checked against the budget before it is
    /// allocated) or a dense `.npy` ([`Expression::from_dense`]). Returns
    /// the gene count; the old expression is dropped first, so a failed
    /// read leaves none. `progress(done, total)` reports bytes of the file
    /// decoded.
    pub fn attach_expression_file(
        &mut self,
        bytes: &dyn ReadAt,
        source: &str,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<usize, Error> {
        self.detach_expression();
        let mut magic = [0u8; 6];
        let got = bytes.read_at(0, &mut magic);
        let columns = if magic[..got].starts_with(b"PK") {
            GeneColumns::read_npz(bytes, source, self.height, self.width, progress)?
        } else if magic[..got].starts_with(b"\x93NUMPY") {
            let (len, mut reader) = (bytes.len(), RangeReader::new(bytes));
            let header = npy::read_header(&mut reader, source)?;
            let available = len.saturating_sub(header.data_offset as u64);
            let values =
                npy::read_data(&mut reader, &header, available, source, &cellmap_io::Limits::default())?;
            let expression = Expression::from_dense(&values, source, self.height, self.width)?;
            drop(values);
            if expression.looks_like_mask() {
                return Err(mask_like(source));
            }
            progress(len, len);
            GeneColumns::new(&expression)?
        } else {
            return Err(crate::expression::not_expression(source));
        };
        Ok(self.adopt(columns))
    }

    /// Makes `columns` the expression; returns its gene count.
    fn adopt(&mut self, columns: GeneColumns) -> usize {
        let genes = columns.n_genes();
        self.whole_numbers = columns.whole_numbers();
        self.counts = None;
        self.columns = Some(columns);
        self.gene_names = (0..genes).map(|g| format!("gene {g}")).collect();
        self.selection = None;
        self.values.fill(f64::NAN);
        genes
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
    /// let (counts, ..) = count_in_frame(&labels, &[0.5, 3.5, 3.2], &[0.5; 3], &[0, 1, 1], 2, frame, "t.csv")?;
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
        self.whole_numbers = false;
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
        refill(&mut self.values, len, f64::NAN, "the per-cell values")?;
        for &gene in genes {
            self.gene_layer(gene, stat)?;
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

    /// Paints every cell in a [`crate::CATEGORICAL`] colour by its label
    /// (label `l` gets entry `(l - 1) % 20`), so that neighbours differ.
    pub fn paint_cell_ids(&mut self, outlines: bool) -> Result<(), Error> {
        let labels = cellmap_core::Grid::new(self.width, self.height, &self.labels[..])
            .map_err(|e| Error::core("labels", e))?;
        let ids = |label: usize| u32::try_from(label.saturating_sub(1)).ok();
        self.painter.paint_categories(labels, self.n_cells + 1, ids, outlines, &mut self.pixels)
    }

    /// Paints every cell in the colour of its category's slot
    /// ([`Categories::slots`], [`crate::slot_rgba`]; from
    /// [`Session::attach_categories`]); cells without one get
    /// [`crate::NO_VALUE_RGBA`].
    pub fn paint_categories(&mut self, outlines: bool) -> Result<(), Error> {
        let categories = self
            .categories
            .as_ref()
            .ok_or_else(|| Error::argument("no categories attached: open a cell_id,<column> CSV first"))?;
        let slots = categories.slots_by_label();
        self.paint_slots(&slots, outlines)
    }

    /// Paints every cell in the colour of its slot, `slots[label]`
    /// ([`crate::slot_rgba`]: `0..CATEGORY_SLOTS` the categorical palette,
    /// `CATEGORY_SLOTS` "other", `u32::MAX` no value) — what
    /// [`Categories::slots_by_label`] gives; `n_cells + 1` entries.
    ///
    /// ```
    /// use cellmap::{CATEGORICAL, CellImage, Image, NO_VALUE_RGBA, Session};
    /// let mask = Image::new(3, 1, vec![true, false, true])?;
    /// let mut session = Session::new(CellImage::Mask(mask))?;
    /// session.paint_slots(&[u32::MAX, 1, u32::MAX], false)?;
    /// let [r, g, b] = CATEGORICAL[1];
    /// assert_eq!(session.pixels()[0].to_ne_bytes(), [r, g, b, 255]);
    /// assert_eq!(session.pixels()[2].to_ne_bytes(), NO_VALUE_RGBA);
    /// # Ok::<(), cellmap::Error>(())
    /// ```
    pub fn paint_slots(&mut self, slots: &[u32], outlines: bool) -> Result<(), Error> {
        self.check_by_label("paint_slots", slots.len())?;
        let labels = cellmap_core::Grid::new(self.width, self.height, &self.labels[..])
            .map_err(|e| Error::core("labels", e))?;
        let slot = |label: usize| Some(slots[label]).filter(|&s| s != u32::MAX);
        self.painter.paint_colors(
            labels,
            self.n_cells + 1,
            |label| crate::slot_rgba(slot(label)),
            outlines,
            &mut self.pixels,
        )
    }

    /// Paints per-cell values given by the caller (`values[label]`,
    /// `n_cells + 1` entries, NaN = no value; e.g. a numeric column of
    /// [`crate::Annotations`]) as [`Session::paint`] paints the computed
    /// ones, and returns the range used. The computed values are not touched.
    ///
    /// ```
    /// use cellmap::{CellImage, ColorScale, Image, Session};
    /// let mask = Image::new(3, 1, vec![true, false, true])?;
    /// let mut session = Session::new(CellImage::Mask(mask))?;
    /// assert_eq!(session.paint_values(&[f64::NAN, 2.0, 5.0], &ColorScale::default(), false)?, Some((2.0, 5.0)));
    /// # Ok::<(), cellmap::Error>(())
    /// ```
    pub fn paint_values(
        &mut self,
        values: &[f64],
        scale: &ColorScale,
        outlines: bool,
    ) -> Result<Option<(f64, f64)>, Error> {
        self.check_by_label("paint_values", values.len())?;
        let labels = cellmap_core::Grid::new(self.width, self.height, &self.labels[..])
            .map_err(|e| Error::core("labels", e))?;
        self.painter.paint(labels, values, &self.regions, scale, outlines, &mut self.pixels)
    }

    /// An error unless `len` is one entry per label and the background.
    fn check_by_label(&self, what: &str, len: usize) -> Result<(), Error> {
        if len != self.n_cells + 1 {
            return Err(Error::argument(format!(
                "{what}: {} entries for {} cells (one per label, and the background first)",
                grouped(len),
                grouped(self.n_cells)
            )));
        }
        Ok(())
    }

    /// Reads cell categories from a `cell_id,<column>` CSV's bytes
    /// ([`Categories::from_csv`]) for the current labels, replacing any.
    pub fn attach_categories(&mut self, bytes: &[u8], source: &str) -> Result<&Categories, Error> {
        self.categories = None;
        Ok(self.categories.insert(Categories::from_csv(bytes, source, self.n_cells)?))
    }

    /// The attached categories.
    pub fn categories(&self) -> Option<&Categories> {
        self.categories.as_ref()
    }

    /// Whether the expression holds counts: transcript counts, or every
    /// stored value a whole number ≥ 0 (the attached file's; the demo's
    /// appended factors do not count). `false` without expression.
    pub fn is_counts(&self) -> bool {
        self.whole_numbers || self.counts.is_some()
    }

    /// What to open the data on: counts → [`Stat::Sum`] with the 1–99th
    /// percentile range (a cell's nonzero counts are mostly 1, so their
    /// mean hides the data, and a few large sums would squash the rest);
    /// other values → [`Stat::Mean`] with the min–max range. Outlines for a
    /// label image (its cells touch; a mask's cells never do).
    ///
    /// ```
    /// use cellmap::{Range, Session, Stat};
    /// let demo = Session::demo(1, 64, 64)?;
    /// let view = demo.suggested_view();
    /// assert!(demo.is_counts());
    /// assert_eq!((view.stat, view.range, view.outlines), (Stat::Sum, Range::Percentile { low: 1.0, high: 99.0 }, false));
    /// # Ok::<(), cellmap::Error>(())
    /// ```
    pub fn suggested_view(&self) -> ViewDefaults {
        let (stat, range) = if self.is_counts() {
            (Stat::Sum, Range::Percentile { low: 1.0, high: 99.0 })
        } else {
            (Stat::Mean, Range::MinMax)
        };
        ViewDefaults { stat, range, outlines: self.is_label_image() }
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

    /// The table of the shown cells ([`CellsTable`]): their region
    /// properties and, with expression, the statistic of each shown gene
    /// (computed here, one gene at a time) and, for several, their sum.
    pub fn cells_table(&mut self) -> Result<CellsTable, Error> {
        let (genes, stat) = match &self.selection {
            Some((genes, stat)) => (genes.clone(), *stat),
            None => (Vec::new(), Stat::Mean),
        };
        let regions = self.regions.iter().skip(1).flat_map(region_fields).collect();
        let mut columns = Vec::new();
        for &gene in &genes {
            columns.extend_from_slice(&self.gene_values(gene, stat)?[1..]);
        }
        let names = genes.iter().map(|&g| self.gene_names.get(g).cloned().unwrap_or_default()).collect();
        let sum = (genes.len() > 1).then(|| self.values[1..].to_vec());
        CellsTable::new(regions, names, stat, columns, sum)
    }

    /// Gene `gene`'s per-cell `stat`, by label (entry 0 is NaN): one column
    /// of [`Session::cells_table`] (the shown values are not touched).
    pub fn gene_values(&mut self, gene: usize, stat: Stat) -> Result<&[f64], Error> {
        if gene >= self.n_genes() {
            return Err(Error::argument(format!(
                "gene {gene} does not exist: the expression has {} genes",
                grouped(self.n_genes())
            )));
        }
        self.gene_layer(gene, stat)?;
        Ok(&self.layer)
    }

    /// The genes with a value in cell `label` under `stat`, largest first (at
    /// most `n`; ties in gene order): `(gene, value)`. A gene counts when at
    /// least one of the cell's pixels has a nonzero, non-NaN value of it —
    /// the same value [`Session::compute`] gives the cell for that gene. It
    /// reads only the entries of the rows of the cell's bounding box.
    pub fn top_genes(&self, label: usize, stat: Stat, n: usize) -> Result<Vec<(usize, f64)>, Error> {
        let columns = self.columns.as_ref().ok_or_else(no_expression)?;
        let region = match self.regions.get(label) {
            Some(region) if label > 0 => region,
            _ => {
                return Err(Error::argument(format!(
                    "no cell {label}: labels run from 1 to {}",
                    grouped(self.n_cells)
                )));
            }
        };
        let Some(bbox) = region.bounding_box() else { return Ok(Vec::new()) };
        let labels = cellmap_core::Grid::new(self.width, self.height, &self.labels[..])
            .map_err(|e| Error::core("labels", e))?;
        let within = self.within()?;
        let rows = bbox.row_start * self.width..bbox.row_end * self.width;
        // the best n so far, best first: an insertion per gene (n is small; no sort in the wasm)
        let mut top: Vec<(usize, f64)> = Vec::new();
        for gene in 0..columns.n_genes() {
            let stats = columns.gene_stats_of_cell(labels, within, gene, label, rows.clone())?;
            if stats.count() == 0 {
                continue;
            }
            let value = stat.of(&stats);
            let at = top.iter().position(|&(_, v)| value.total_cmp(&v).is_gt()).unwrap_or(top.len());
            if at < n {
                top.truncate(n - 1);
                top.insert(at, (gene, value));
            }
        }
        Ok(top)
    }

    /// The pixels statistics are taken over: a mask's own pixels (not the
    /// holes filling adds), as `cellmap run` does; every pixel of a label image.
    fn within(&self) -> Result<Option<cellmap_core::Grid<'_, bool>>, Error> {
        self.mask
            .as_deref()
            .map(|mask| {
                cellmap_core::Grid::new(self.width, self.height, mask).map_err(|e| Error::core("mask", e))
            })
            .transpose()
    }

    /// Gene `gene`'s per-cell `stat` into `layer`, by label.
    fn gene_layer(&mut self, gene: usize, stat: Stat) -> Result<(), Error> {
        let columns = self.columns.as_ref().ok_or_else(no_expression)?;
        let len = self.n_cells + 1;
        refill(&mut self.gene_stats, len, CellStats::EMPTY, "the per-cell statistics")?;
        refill(&mut self.gene_scratch, gene_stats_scratch_len(self.n_cells), 0, "the statistics scratch")?;
        refill(&mut self.layer, len, f64::NAN, "the per-gene values")?;
        let labels = cellmap_core::Grid::new(self.width, self.height, &self.labels[..])
            .map_err(|e| Error::core("labels", e))?;
        let within = match &self.mask {
            Some(mask) => Some(
                cellmap_core::Grid::new(self.width, self.height, &mask[..])
                    .map_err(|e| Error::core("mask", e))?,
            ),
            None => None,
        };
        columns.gene_stats(
            labels,
            within,
            gene,
            self.n_cells,
            &mut self.gene_stats,
            &mut self.gene_scratch,
        )?;
        for (value, s) in self.layer.iter_mut().zip(&self.gene_stats).skip(1) {
            *value = stat.of(s);
        }
        Ok(())
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

/// Cells as a table to export: per cell `1..=N` its [`region_fields`], and
/// the statistic of some genes (the viewer's shown genes,
/// [`Session::cells_table`]) with, for several genes, their sum. Plain
/// numbers, so that a module other than the session's can write it.
#[derive(Debug, Clone, PartialEq)]
pub struct CellsTable {
    /// `region_fields` of each cell, one after the other.
    regions: Vec<f64>,
    names: Vec<String>,
    stat: Stat,
    /// Each gene's values of cells `1..=N`, one gene after the other.
    columns: Vec<f64>,
    /// Several genes: their sum per cell (what the map shows).
    sum: Option<Vec<f64>>,
    /// A last column (an analysis mode's: a per-cell CSV's column, a predicted gene, an IoU).
    extra: Option<(String, ExtraColumn)>,
}

/// The values of a last column of a [`CellsTable`], one per cell `1..=N`.
#[derive(Debug, Clone, PartialEq)]
pub enum ExtraColumn {
    /// Numbers, written as `float64` (`NaN` for no value).
    Numbers(Vec<f64>),
    /// Text (categories), written as CSV fields (empty for no value).
    Text(Vec<String>),
}

impl CellsTable {
    /// A table of `regions.len() / 7` cells: `regions` holds [`region_fields`]
    /// per cell, `columns` one column of `stat` per name in `names`, `sum`
    /// (if any) one value per cell. Lengths that do not agree are an
    /// [`Argument`](crate::ErrorKind::Argument) error.
    pub fn new(
        regions: Vec<f64>,
        names: Vec<String>,
        stat: Stat,
        columns: Vec<f64>,
        sum: Option<Vec<f64>>,
    ) -> Result<Self, Error> {
        let cells = regions.len() / 7;
        if regions.len() % 7 != 0
            || Some(columns.len()) != cells.checked_mul(names.len())
            || sum.as_ref().is_some_and(|s| s.len() != cells)
        {
            return Err(Error::argument(format!(
                "a cells table needs 7 region fields per cell and one value per cell and gene: got {} region \
                 fields, {} values for {} genes, {} sums",
                regions.len(),
                columns.len(),
                names.len(),
                sum.as_ref().map_or(0, Vec::len)
            )));
        }
        Ok(CellsTable { regions, names, stat, columns, sum, extra: None })
    }

    /// The table with a last column `name` holding `values`, one per cell
    /// (what the viewer's analysis mode shows: a per-cell CSV's column, a
    /// predicted gene's map, each cell's best IoU).
    ///
    /// ```
    /// use cellmap::{CellsTable, ExtraColumn, Stat};
    /// let regions = vec![1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 2.0];
    /// let table = CellsTable::new(regions, vec![], Stat::Mean, vec![], None)?
    ///     .with_column("type", ExtraColumn::Text(vec!["T, cell".into(), String::new()]))?;
    /// let mut csv = Vec::new();
    /// table.write_csv(&mut csv)?;
    /// assert!(String::from_utf8(csv)?.ends_with(",type\n1,1,0.0,0.0,0,0,1,1,\"T, cell\"\n2,1,0.0,1.0,0,1,1,2,\n"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_column(mut self, name: &str, values: ExtraColumn) -> Result<Self, Error> {
        let cells = self.regions.len() / 7;
        let len = match &values {
            ExtraColumn::Numbers(v) => v.len(),
            ExtraColumn::Text(v) => v.len(),
        };
        if len != cells {
            return Err(Error::argument(format!("column {name}: {len} values for {cells} cells")));
        }
        self.extra = Some((name.to_string(), values));
        Ok(self)
    }

    /// Writes the table as CSV: `cell_id` and the region columns of
    /// `regions.csv` (the same text, end-exclusive bounding box), then one
    /// column per gene (headed by its name) holding its statistic as
    /// `cellmap run --csv` writes `table.csv` ([`Stat::write_table_value`]),
    /// then for several genes `sum_of_genes`, the value the map shows
    /// (`float64`), then the column of [`CellsTable::with_column`]. Without
    /// genes, the region columns only.
    ///
    /// ```
    /// use cellmap::{Image, Session, Stat, input::CellImage};
    /// // two cells, one gene: 2 . | 6
    /// let mut session = Session::new(CellImage::Mask(Image::new(4, 1, vec![true, true, false, true])?))?;
    /// let values = cellmap_io::npy::read(&cellmap_io::npy::encode(&[1, 4], &[2.0f32, 0.0, 0.0, 6.0])?, "v.npy")?;
    /// session.attach_expression(&cellmap::Expression::from_dense(&values, "v.npy", 1, 4)?)?;
    /// session.compute(&[0], Stat::Mean)?;
    /// let mut csv = Vec::new();
    /// session.cells_table()?.write_csv(&mut csv)?;
    /// assert_eq!(String::from_utf8(csv)?, "\
    /// cell_id,area,centroid_row,centroid_col,bbox_min_row,bbox_min_col,bbox_max_row,bbox_max_col,gene 0
    /// 1,2,0.0,0.5,0,0,1,2,2.0
    /// 2,1,0.0,3.0,0,3,1,4,6.0
    /// ");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_csv(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let regions_header = REGIONS_CSV_HEADER.strip_prefix("label").unwrap_or(REGIONS_CSV_HEADER);
        write!(w, "cell_id{regions_header}")?;
        for name in &self.names {
            write!(w, ",{}", csv_field(name))?;
        }
        if self.sum.is_some() {
            write!(w, ",sum_of_genes")?;
        }
        if let Some((name, _)) = &self.extra {
            write!(w, ",{}", csv_field(name))?;
        }
        writeln!(w)?;
        let cells = self.regions.len() / 7;
        if cells == 0 {
            return Ok(());
        }
        for (cell, fields) in self.regions.chunks_exact(7).enumerate() {
            write!(w, "{},", cell + 1)?;
            let fields: &[f64; 7] = fields.try_into().map_err(std::io::Error::other)?;
            write_region_fields(w, fields)?;
            for column in self.columns.chunks_exact(cells) {
                write!(w, ",")?;
                self.stat.write_table_value(w, column[cell])?;
            }
            if let Some(sum) = &self.sum {
                write!(w, ",{:?}", sum[cell])?;
            }
            match &self.extra {
                Some((_, ExtraColumn::Numbers(values))) => write!(w, ",{:?}", values[cell])?,
                Some((_, ExtraColumn::Text(values))) => write!(w, ",{}", csv_field(&values[cell]))?,
                None => {}
            }
            writeln!(w)?;
        }
        Ok(())
    }
}

/// A CSV field: quoted (quotes doubled) when it holds a comma, a quote or a
/// line break.
fn csv_field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}

/// The error for expression that is a second mask (see [`Expression::looks_like_mask`]).
fn mask_like(source: &str) -> Error {
    Error::input(format!(
        "{source}: this looks like a mask (a one-channel uint8 or bool image of a single value), not expression: \
         open one mask with a CSR .npz or a dense .npy of expression values"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Image;

    fn tile() -> Session {
        // two touching cells of a label image: 1 1 2 2
        let labels = crate::LabelImage::new(Image::new(4, 1, vec![1, 1, 2, 2]).unwrap()).unwrap();
        Session::new(CellImage::Labels(labels)).unwrap()
    }

    fn dense(values: &[f32]) -> Expression {
        let npy = cellmap_io::npy::encode(&[1, 4], values).unwrap();
        Expression::from_bytes(&npy, "v.npy", 1, 4).unwrap()
    }

    #[test]
    fn counts_open_on_the_sum_and_a_percentile_range_other_values_on_the_mean() {
        let mut session = tile();
        assert!(!session.is_counts());
        session.attach_expression(&dense(&[1.0, 0.0, 3.0, 2.0])).unwrap();
        let view = session.suggested_view();
        assert!(session.is_counts());
        assert_eq!(
            (view.stat, view.range, view.outlines),
            (Stat::Sum, Range::Percentile { low: 1.0, high: 99.0 }, true),
            "a label image's touching cells get outlines"
        );
        session.attach_expression(&dense(&[1.5, 0.0, 3.0, 2.0])).unwrap();
        assert_eq!(
            (session.suggested_view().stat, session.suggested_view().range),
            (Stat::Mean, Range::MinMax)
        );
        session.detach_expression();
        assert!(!session.is_counts());
    }

    #[test]
    fn a_masks_statistics_are_over_its_own_pixels_as_in_cellmap_run() {
        // a ring cell with a hole (the centre): filled into the cell, but its value is not the cell's
        #[rustfmt::skip]
        let ring = [
            false, false, false, false, false,
            false, true,  true,  true,  false,
            false, true,  false, true,  false,
            false, true,  true,  true,  false,
            false, false, false, false, false,
        ];
        let mask = Image::new(5, 5, ring.to_vec()).unwrap();
        let mut session = Session::new(CellImage::Mask(mask.clone())).unwrap();
        assert_eq!(session.labels()[12], 1, "the hole is filled into the cell");
        let values: Vec<f32> = (0..25).map(|p| if p == 12 { 100.0 } else { p as f32 }).collect();
        let npy = cellmap_io::npy::encode(&[5, 5], &values).unwrap();
        let expression = Expression::from_bytes(&npy, "v.npy", 5, 5).unwrap();
        session.attach_expression(&expression).unwrap();
        let labels = crate::LabelImage::new(Image::new(5, 5, session.labels().to_vec()).unwrap()).unwrap();
        for stat in [Stat::Mean, Stat::Sum, Stat::Count, Stat::Max] {
            session.compute(&[0], stat).unwrap();
            let selection = crate::Selection { within: Some(&mask), keep_zeros: false };
            let run = crate::cell_table(&labels, &expression, selection, stat).unwrap();
            assert_eq!(session.values()[1].to_bits(), run.values_by_label(0)[1].to_bits(), "{stat:?}");
            let top = session.top_genes(1, stat, 1).unwrap();
            assert_eq!(top[0].1.to_bits(), run.values_by_label(0)[1].to_bits(), "top genes, {stat:?}");
        }
        session.compute(&[0], Stat::Max).unwrap();
        assert_eq!(session.values()[1], 18.0, "the hole's 100 does not count");
    }

    #[test]
    fn a_second_mask_is_refused_as_expression() {
        let mut session = tile();
        let npy = cellmap_io::npy::encode(&[1, 4], &[255u8, 0, 255, 255]).unwrap();
        let mask = Expression::from_bytes(&npy, "other_mask.npy", 1, 4).unwrap();
        let error = session.attach_expression(&mask).unwrap_err().to_string();
        assert!(error.starts_with("other_mask.npy: this looks like a mask"), "{error}");
        // the streaming path (the viewer's) refuses it alike
        let error =
            session.attach_expression_file(&npy.as_slice(), "other_mask.npy", &mut |_, _| {}).unwrap_err();
        assert!(error.to_string().starts_with("other_mask.npy: this looks like a mask"), "{error}");
        // uint8 counts with several values are expression
        let npy = cellmap_io::npy::encode(&[1, 4], &[1u8, 0, 3, 2]).unwrap();
        session.attach_expression(&Expression::from_bytes(&npy, "counts.npy", 1, 4).unwrap()).unwrap();
    }

    #[test]
    fn cells_are_painted_by_id_and_by_category() {
        let mut session = tile();
        session.paint_cell_ids(false).unwrap();
        let colour = |i: usize| {
            let [r, g, b] = crate::CATEGORICAL[i];
            u32::from_ne_bytes([r, g, b, 255])
        };
        assert_eq!(session.pixels(), [colour(0), colour(0), colour(1), colour(1)]);
        assert!(session.paint_categories(false).unwrap_err().to_string().contains("no categories"));
        let categories = session.attach_categories(b"cell_id,cluster\n2,7\n", "c.csv").unwrap();
        assert_eq!(categories.summary(), "cluster: 1 categories for 1 cells");
        session.paint_categories(false).unwrap();
        let none = u32::from_ne_bytes(crate::NO_VALUE_RGBA);
        assert_eq!(session.pixels(), [none, none, colour(0), colour(0)]);
    }
}
