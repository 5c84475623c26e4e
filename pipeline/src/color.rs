//! Colour: per-cell values normalised (min-max over cells, fixed, or
//! percentiles, optionally after `log1p`) and painted with one palette;
//! cells coloured by category ([`CATEGORICAL`]); colour-bar ticks.

use cellmap_core::Grid;
use cellmap_core::color::{
    Normalization, cell_colors, normalize, normalize_scratch_len, paint as paint_pixels,
};
use cellmap_core::regions::Region;

pub use cellmap_core::color::{CATEGORICAL, Colormap, Range};

use crate::memory::{budget, filled, refill};
use crate::{Error, LabelImage, grouped};

/// Colour of pixels outside every cell: transparent (alpha 0, unlike every
/// colormap entry).
pub const BACKGROUND_RGBA: [u8; 4] = [0, 0, 0, 0];
/// Colour of cells without a value (NaN): a light magenta that is at least
/// 100 RGB units away from every entry of every colormap, so that "no value"
/// never looks like a value.
pub const NO_VALUE_RGBA: [u8; 4] = [255, 102, 255, 255];
/// Colour of cell outlines: opaque black.
pub const OUTLINE_RGBA: [u8; 4] = [0, 0, 0, 255];
/// The level of cells at a degenerate range (`lo == hi`): the colormap's
/// middle colour. Cells below it get level 0, cells above it 255.
pub const DEGENERATE_LEVEL: u8 = 128;

/// The kinds of [`Range`] by name, for menus: `(name, description)`, in
/// the order a menu lists them (see [`range_from_name`]).
pub const RANGE_KINDS: [(&str, &str); 3] = [
    ("minmax", "min–max over the cells"),
    ("percentile", "percentiles of the cells' values (clips outliers)"),
    ("fixed", "fixed vmin – vmax"),
];

/// The [`Range`] called `name` ([`RANGE_KINDS`]) with its two numbers:
/// ignored for `minmax`, the low and high percentile (`0 ≤ low ≤ high ≤
/// 100`) for `percentile`, `vmin ≤ vmax` (finite) for `fixed`.
///
/// ```
/// use cellmap::{Range, range_from_name, range_name};
/// let clip = range_from_name("percentile", 1.0, 99.0)?;
/// assert_eq!(clip, Range::Percentile { low: 1.0, high: 99.0 });
/// assert_eq!(range_name(&clip), "percentile");
/// assert!(range_from_name("fixed", 5.0, 4.0).unwrap_err().to_string().contains("vmin (5) is larger than vmax (4)"));
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn range_from_name(name: &str, low: f64, high: f64) -> Result<Range, Error> {
    match name {
        "minmax" => Ok(Range::MinMax),
        "percentile" => {
            if !((0.0..=100.0).contains(&low) && (0.0..=100.0).contains(&high)) {
                Err(Error::argument(format!("percentiles must lie in 0 to 100, got {low} and {high}")))
            } else if low > high {
                Err(Error::argument(format!(
                    "the low percentile ({low}) is larger than the high one ({high})"
                )))
            } else {
                Ok(Range::Percentile { low, high })
            }
        }
        "fixed" => {
            if !(low.is_finite() && high.is_finite()) {
                Err(Error::argument(format!("vmin ({low}) and vmax ({high}) must be finite numbers")))
            } else if low > high {
                Err(Error::argument(format!("vmin ({low}) is larger than vmax ({high})")))
            } else {
                Ok(Range::Fixed { vmin: low, vmax: high })
            }
        }
        _ => {
            let known: Vec<&str> = RANGE_KINDS.iter().map(|(name, _)| *name).collect();
            Err(Error::argument(format!("unknown colour range \"{name}\" (known: {})", known.join(", "))))
        }
    }
}

/// The name of `range`'s kind ([`RANGE_KINDS`]).
pub fn range_name(range: &Range) -> &'static str {
    match range {
        Range::MinMax => "minmax",
        Range::Percentile { .. } => "percentile",
        Range::Fixed { .. } => "fixed",
    }
}

/// How per-cell values become colours.
///
/// ```
/// use cellmap::{ColorScale, Colormap, Range};
/// let scale = ColorScale { colormap: Colormap::Magma, range: Range::Percentile { low: 1.0, high: 99.0 }, log1p: true };
/// assert_eq!(ColorScale::default().colormap, Colormap::Viridis);
/// # let _ = scale;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ColorScale {
    /// The colour table.
    pub colormap: Colormap,
    /// Which values map to the first and last colour.
    pub range: Range,
    /// Apply `ln(1 + v)` first.
    pub log1p: bool,
}

/// The buffers of painting, kept between calls so that a repaint allocates
/// nothing.
#[derive(Debug, Default)]
pub struct Painter {
    /// Values by label of cells that have pixels; NaN for the background
    /// and for ids without pixels.
    shown: Vec<f64>,
    levels: Vec<Option<u8>>,
    scratch: Vec<f64>,
    table: Vec<u32>,
}

impl Painter {
    /// Paints every pixel of `labels` with its cell's colour into `out`
    /// (RGBA as `u32::from_ne_bytes([r, g, b, a])`, one per pixel) and
    /// returns the range used, `None` when no cell has a finite value.
    ///
    /// `values` and `regions` are indexed by label (entry 0, the
    /// background, is ignored); the automatic range runs over the cells
    /// that have pixels. `outlines` draws cell borders in [`OUTLINE_RGBA`].
    ///
    /// A degenerate range (`lo == hi`: every cell has the same value, or a
    /// fixed `vmin == vmax`) paints the cells at it in the middle colour
    /// ([`DEGENERATE_LEVEL`]), cells below it in the first colour and cells
    /// above it in the last.
    pub fn paint(
        &mut self,
        labels: Grid<'_, i32>,
        values: &[f64],
        regions: &[Region],
        scale: &ColorScale,
        outlines: bool,
        out: &mut [u32],
    ) -> Result<Option<(f64, f64)>, Error> {
        if regions.len() != values.len() {
            return Err(Error::argument(format!(
                "paint: {} values but {} regions (both by label)",
                values.len(),
                regions.len()
            )));
        }
        self.paint_window(
            labels,
            values,
            |label| regions.get(label).is_some_and(|r| r.area() > 0),
            scale,
            outlines,
            out,
        )
    }

    /// [`Painter::paint`] for a window of a larger label image (a tile of a
    /// published store's pyramid): the range runs over every cell of
    /// `values` for which `has_pixels(label)` says it has pixels somewhere,
    /// not only over those in the window, so a cell keeps its colour as the
    /// window moves. Labels in the window above `values.len() - 1` are an error.
    ///
    /// ```
    /// use cellmap::{ColorScale, Colormap, Painter};
    /// let window = cellmap_core::Grid::new(2, 1, &[0, 2][..]).unwrap();
    /// let mut out = [0u32; 2];
    /// let scale = ColorScale { colormap: Colormap::Gray, ..ColorScale::default() };
    /// // cell 1 is outside the window but sets the low end of the range
    /// let range = Painter::default().paint_window(window, &[f64::NAN, 1.0, 3.0], |_| true, &scale, false, &mut out)?;
    /// assert_eq!(range, Some((1.0, 3.0)));
    /// assert_eq!(out[1].to_ne_bytes(), [255, 255, 255, 255]);
    /// # Ok::<(), cellmap::Error>(())
    /// ```
    pub fn paint_window(
        &mut self,
        labels: Grid<'_, i32>,
        values: &[f64],
        has_pixels: impl Fn(usize) -> bool,
        scale: &ColorScale,
        outlines: bool,
        out: &mut [u32],
    ) -> Result<Option<(f64, f64)>, Error> {
        let n = values.len().saturating_sub(1);
        refill(&mut self.shown, n + 1, f64::NAN, "the shown values")?;
        for (label, (shown, &v)) in self.shown.iter_mut().zip(values).enumerate().skip(1) {
            *shown = if has_pixels(label) { v } else { f64::NAN };
        }
        let normalization = Normalization { range: scale.range, log1p: scale.log1p };
        refill(&mut self.levels, n + 1, None, "the colour levels")?;
        refill(
            &mut self.scratch,
            normalize_scratch_len(&normalization, n + 1),
            0.0,
            "the normalisation scratch",
        )?;
        let range = normalize(&self.shown, &normalization, &mut self.scratch, &mut self.levels)
            .map_err(|e| Error::argument(format!("colour range: {e}")))?;
        if let Some((lo, hi)) = range.filter(|(lo, hi)| lo == hi) {
            for (level, &v) in self.levels.iter_mut().zip(&self.shown).skip(1) {
                let v = if scale.log1p { libm::log1p(v) } else { v };
                if level.is_some() {
                    *level = Some(if v < lo {
                        0
                    } else if v > hi {
                        255
                    } else {
                        DEGENERATE_LEVEL
                    });
                }
            }
        }
        refill(&mut self.table, n + 1, 0, "the colour table")?;
        cell_colors(&self.levels, scale.colormap, BACKGROUND_RGBA, NO_VALUE_RGBA, &mut self.table)
            .map_err(|e| Error::core("paint", e))?;
        let outline = outlines.then(|| u32::from_ne_bytes(OUTLINE_RGBA));
        paint_pixels(labels, &self.table, outline, out).map_err(|e| Error::core("paint", e))?;
        Ok(range)
    }

    /// Paints every cell in the [`CATEGORICAL`] colour of its category
    /// (entry `category % 20`) into `out`: `category(label)` for labels
    /// `1..n_labels` (`None`: no category, painted [`NO_VALUE_RGBA`]).
    /// Background and `outlines` as in [`Painter::paint`].
    pub fn paint_categories(
        &mut self,
        labels: Grid<'_, i32>,
        n_labels: usize,
        category: impl Fn(usize) -> Option<u32>,
        outlines: bool,
        out: &mut [u32],
    ) -> Result<(), Error> {
        self.paint_colors(
            labels,
            n_labels,
            |label| match category(label) {
                Some(c) => {
                    let [r, g, b] = CATEGORICAL[c as usize % CATEGORICAL.len()];
                    [r, g, b, 255]
                }
                None => NO_VALUE_RGBA,
            },
            outlines,
            out,
        )
    }

    /// Paints every cell `1..n_labels` in the colour `color(label)` gives
    /// (RGBA) into `out`; background and `outlines` as in [`Painter::paint`].
    ///
    /// ```
    /// use cellmap::Painter;
    /// let labels = cellmap_core::Grid::new(3, 1, &[0, 1, 2][..]).unwrap();
    /// let mut out = [0u32; 3];
    /// Painter::default().paint_colors(labels, 3, |label| [label as u8, 0, 0, 255], false, &mut out)?;
    /// assert_eq!(out.map(|p| p.to_ne_bytes()), [[0, 0, 0, 0], [1, 0, 0, 255], [2, 0, 0, 255]]);
    /// # Ok::<(), cellmap::Error>(())
    /// ```
    pub fn paint_colors(
        &mut self,
        labels: Grid<'_, i32>,
        n_labels: usize,
        color: impl Fn(usize) -> [u8; 4],
        outlines: bool,
        out: &mut [u32],
    ) -> Result<(), Error> {
        refill(&mut self.table, n_labels.max(1), 0, "the colour table")?;
        self.table[0] = u32::from_ne_bytes(BACKGROUND_RGBA);
        for (label, entry) in self.table.iter_mut().enumerate().skip(1) {
            *entry = u32::from_ne_bytes(color(label));
        }
        let outline = outlines.then(|| u32::from_ne_bytes(OUTLINE_RGBA));
        paint_pixels(labels, &self.table, outline, out).map_err(|e| Error::core("paint", e))
    }
}

/// A colour-bar tick: a round value in data units and where it sits on
/// the bar, `0.0` (first colour) to `1.0` (last colour).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tick {
    /// The value, in data units (before `log1p`).
    pub value: f64,
    /// Its place on the bar, `0.0..=1.0`.
    pub position: f64,
}

/// Round ticks for a colour bar over the range `(lo, hi)` a paint
/// returned (in `log1p` units when `log1p`): at most `max_ticks` (≥ 2)
/// round values in data units: for a linear bar multiples of a step of
/// 1, 2, 2.5 or 5 times a power of ten; with `log1p` reaching 10 or more,
/// 0 and the 1–2–5 series (0, 1, 2, 5, 10, 20, …; then 1–5, then powers
/// of ten, when too many fall in the range), spaced as the colours are
/// (below 10 the bar is nearly linear and gets linear round values). A degenerate range (`lo == hi`) has one tick, in the
/// middle ([`DEGENERATE_LEVEL`]); a range that is not finite has none.
///
/// ```
/// use cellmap::colorbar_ticks;
/// let values = |ticks: Vec<cellmap::Tick>| ticks.iter().map(|t| t.value).collect::<Vec<_>>();
/// assert_eq!(values(colorbar_ticks(0.0, 10.0, false, 6)), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
/// assert_eq!(values(colorbar_ticks(0.3, 0.72, false, 6)), [0.3, 0.4, 0.5, 0.6, 0.7]);
/// let log = colorbar_ticks(0.0, 100f64.ln_1p(), true, 6);
/// assert_eq!(values(log), [0.0, 1.0, 5.0, 10.0, 50.0, 100.0]);
/// assert_eq!(colorbar_ticks(3.0, 3.0, false, 6), [cellmap::Tick { value: 3.0, position: 0.5 }]);
/// ```
pub fn colorbar_ticks(lo: f64, hi: f64, log1p: bool, max_ticks: usize) -> Vec<Tick> {
    let max_ticks = max_ticks.max(2);
    if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
        return Vec::new();
    }
    let data = |t: f64| if log1p { libm::expm1(t) } else { t };
    if lo == hi {
        return vec![Tick { value: data(lo), position: 0.5 }];
    }
    let position = |v: f64| ((if log1p { libm::log1p(v) } else { v }) - lo) / (hi - lo);
    let (low, high) = (data(lo), data(hi));
    let mut values = Vec::new();
    // below 10 the log1p bar is nearly linear: round linear values read better
    if log1p && high >= 10.0 {
        // 0 and the 1–2–5 series; then 1–5, then powers of ten, until they fit
        for multipliers in [&[1.0, 2.0, 5.0][..], &[1.0, 5.0], &[1.0]] {
            let series: Vec<f64> = core::iter::once(0.0)
                .chain((0..20).flat_map(|e| multipliers.iter().map(move |m| m * 10f64.powi(e))))
                .filter(|&v| low <= v && v <= high)
                .collect();
            if series.len() >= 2 {
                let step = series.len().div_ceil(max_ticks);
                values = series.into_iter().step_by(step).collect();
                if step == 1 {
                    break;
                }
            }
        }
    }
    if values.is_empty() {
        let step = nice_step((high - low) / (max_ticks - 1) as f64);
        let first = libm::ceil(low / step - 1e-9);
        let mut k = first;
        while k * step <= high + step * 1e-9 {
            // rounded to the step's decimals, so 0.1 · 3 shows as 0.3
            let decimals = (-libm::floor(libm::log10(step))).max(0.0);
            let scale = 10f64.powi(decimals as i32);
            // (+ 0.0 turns −0, from ceil of a tiny negative, into 0)
            values.push(libm::round(k * step * scale) / scale + 0.0);
            k += 1.0;
        }
    }
    values.into_iter().map(|value| Tick { value, position: position(value).clamp(0.0, 1.0) }).collect()
}

/// The smallest of 1, 2, 2.5, 5 (× a power of ten) at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let magnitude = 10f64.powi(libm::floor(libm::log10(raw)) as i32);
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&step| step >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude)
}

/// A painted map: RGBA pixels (4 bytes each, row-major) and the range used.
#[derive(Debug, Clone, PartialEq)]
pub struct Map {
    /// `width · height · 4` bytes, R G B A.
    pub rgba: Vec<u8>,
    /// The values mapped to the first and last colour (after `log1p` when
    /// the scale has it); `None` when no cell has a value.
    pub range: Option<(f64, f64)>,
}

/// Paints a per-cell map of `values` (by label) over `labels`, with
/// `regions` ([`crate::regions`]) telling which ids have pixels.
///
/// ```
/// use cellmap::{ColorScale, Colormap, Image, LabelImage, paint_map, regions};
/// let labels = LabelImage::new(Image::new(3, 1, vec![1, 0, 2])?)?;
/// let scale = ColorScale { colormap: Colormap::Gray, ..ColorScale::default() };
/// let map = paint_map(&labels, &[f64::NAN, 1.0, 3.0], &regions(&labels)?, &scale, false)?;
/// assert_eq!(map.range, Some((1.0, 3.0)));
/// assert_eq!(map.rgba, [0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255]);
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn paint_map(
    labels: &LabelImage,
    values: &[f64],
    regions: &[Region],
    scale: &ColorScale,
    outlines: bool,
) -> Result<Map, Error> {
    let mut pixels = filled(labels.labels().data().len(), 0u32, "the map pixels")?;
    let range =
        Painter::default().paint(labels.labels().grid(), values, regions, scale, outlines, &mut pixels)?;
    budget(|| format!("the RGBA map of {} pixels", grouped(pixels.len())), pixels.len() as u128, 4)?;
    let rgba = pixels.into_iter().flat_map(u32::to_ne_bytes).collect();
    Ok(Map { rgba, range })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distance(a: [u8; 3], b: [u8; 3]) -> f64 {
        a.iter().zip(b).map(|(&x, y)| (f64::from(x) - f64::from(y)).powi(2)).sum::<f64>().sqrt()
    }

    #[test]
    fn no_value_and_background_differ_from_every_colormap_entry() {
        let [r, g, b, a] = NO_VALUE_RGBA;
        assert_eq!(a, 255);
        for colormap in Colormap::ALL {
            for (level, &entry) in colormap.lut().iter().enumerate() {
                let d = distance(entry, [r, g, b]);
                assert!(
                    d >= 100.0,
                    "{}[{level}] = {entry:?} is {d:.1} from the no-value colour",
                    colormap.name()
                );
            }
        }
        // every colormap entry is painted opaque; the background is transparent
        assert_eq!(BACKGROUND_RGBA[3], 0);
    }

    #[test]
    fn empty_ids_stay_out_of_the_automatic_range() {
        // ids 1 and 3 have pixels, id 2 has none (a label image that skips an id)
        let labels = LabelImage::new(crate::Image::new(2, 1, vec![1, 3]).unwrap()).unwrap();
        let regions = crate::regions(&labels).unwrap();
        let map =
            paint_map(&labels, &[f64::NAN, 2.0, 0.0, 4.0], &regions, &ColorScale::default(), false).unwrap();
        assert_eq!(map.range, Some((2.0, 4.0)));
    }

    fn rgba(map: &Map) -> Vec<[u8; 4]> {
        map.rgba.chunks_exact(4).map(|p| [p[0], p[1], p[2], p[3]]).collect()
    }

    #[test]
    fn a_degenerate_range_paints_the_middle_colour_and_clamps_the_rest() {
        // four cells, one pixel each: 1 2 3 4
        let labels = LabelImage::new(crate::Image::new(4, 1, vec![1, 2, 3, 4]).unwrap()).unwrap();
        let regions = crate::regions(&labels).unwrap();
        let gray = |range| ColorScale { colormap: Colormap::Gray, range, log1p: false };
        let lut = Colormap::Gray.lut();
        let colour = |level: u8| {
            let [r, g, b] = lut[level as usize];
            [r, g, b, 255]
        };
        // every cell has the same value: the automatic range is degenerate
        let map =
            paint_map(&labels, &[f64::NAN, 5.0, 5.0, 5.0, f64::NAN], &regions, &gray(Range::MinMax), false)
                .unwrap();
        assert_eq!(map.range, Some((5.0, 5.0)));
        assert_eq!(rgba(&map), [colour(128), colour(128), colour(128), NO_VALUE_RGBA]);
        // a fixed vmin = vmax: below, at and above it
        let fixed = gray(Range::Fixed { vmin: 2.0, vmax: 2.0 });
        let map = paint_map(&labels, &[f64::NAN, 1.0, 2.0, 3.0, 2.0], &regions, &fixed, false).unwrap();
        assert_eq!(rgba(&map), [colour(0), colour(128), colour(255), colour(128)]);
        // also in log1p units
        let log = ColorScale { log1p: true, ..gray(Range::MinMax) };
        let map = paint_map(&labels, &[f64::NAN, 3.0, 3.0, f64::NAN, 3.0], &regions, &log, false).unwrap();
        assert_eq!(rgba(&map), [colour(128), colour(128), NO_VALUE_RGBA, colour(128)]);
    }

    #[test]
    fn categories_get_tab20_colours_and_outlines_separate_touching_cells() {
        // two touching cells of a label image, and a third without a category
        let labels = crate::Image::new(5, 2, vec![1, 1, 2, 2, 3, 1, 1, 2, 2, 0]).unwrap();
        let mut out = vec![0u32; 10];
        let grid = labels.grid();
        let categories = [None, Some(0), Some(21), None];
        Painter::default().paint_categories(grid, 4, |l| categories[l], false, &mut out).unwrap();
        let tab = |i: usize| {
            let [r, g, b] = CATEGORICAL[i];
            u32::from_ne_bytes([r, g, b, 255])
        };
        let (none, bg) = (u32::from_ne_bytes(NO_VALUE_RGBA), u32::from_ne_bytes(BACKGROUND_RGBA));
        assert_eq!(out, [tab(0), tab(0), tab(1), tab(1), none, tab(0), tab(0), tab(1), tab(1), bg]);
        Painter::default().paint_categories(grid, 4, |l| categories[l], true, &mut out).unwrap();
        let k = u32::from_ne_bytes(OUTLINE_RGBA);
        // the border between cells 1 and 2 is drawn on both sides
        assert_eq!(out[..4], [tab(0), k, k, k]);
        // cells without a category stay apart from the palette
        let [r, g, b, _] = NO_VALUE_RGBA;
        for (i, &entry) in CATEGORICAL.iter().enumerate() {
            let d = distance(entry, [r, g, b]);
            assert!(d >= 60.0, "tab20[{i}] = {entry:?} is {d:.1} from the no-value colour");
        }
    }

    #[test]
    fn ticks_are_round_inside_the_range_and_placed_as_the_colours() {
        for (lo, hi) in [(0.0, 1.0), (-3.7, 12.2), (1e-4, 3e-4), (1234.0, 98765.0), (0.5, 0.5000001)] {
            let ticks = colorbar_ticks(lo, hi, false, 6);
            assert!((2..=6).contains(&ticks.len()), "{lo}..{hi}: {ticks:?}");
            for t in &ticks {
                assert!(
                    lo - 1e-9 * hi.abs() <= t.value && t.value <= hi + 1e-9 * hi.abs(),
                    "{lo}..{hi}: {t:?}"
                );
                assert!((t.position - (t.value - lo) / (hi - lo)).abs() < 1e-6, "{t:?}");
            }
        }
        // log1p: positions follow log1p, so 1 sits a tenth of the way to 1,023
        let (lo, hi) = (0.0, 1023f64.ln_1p());
        let ticks = colorbar_ticks(lo, hi, true, 8);
        let values: Vec<f64> = ticks.iter().map(|t| t.value).collect();
        assert_eq!(values, [0.0, 1.0, 5.0, 10.0, 50.0, 100.0, 500.0, 1000.0]);
        assert!((ticks[1].position - 0.1).abs() < 1e-12, "{:?}", ticks[1]);
        // a narrow log1p range gets linear round values
        let values: Vec<f64> = colorbar_ticks(0.0, 4f64.ln_1p(), true, 5).iter().map(|t| t.value).collect();
        assert_eq!(values, [0.0, 1.0, 2.0, 3.0, 4.0]);
        assert!(colorbar_ticks(f64::NAN, f64::NAN, false, 5).is_empty());
        // a range starting at 0 has a tick at +0, not −0 (shown as "-0")
        assert!(colorbar_ticks(0.0, 61.6, false, 6)[0].value.is_sign_positive());
    }

    #[test]
    fn range_names_round_trip_and_bad_numbers_are_refused() {
        for (name, _) in RANGE_KINDS {
            assert_eq!(range_name(&range_from_name(name, 1.0, 99.0).unwrap()), name);
        }
        let error = |name, a, b| range_from_name(name, a, b).unwrap_err().to_string();
        assert!(error("percentile", -1.0, 50.0).contains("0 to 100"));
        assert!(error("percentile", 60.0, 50.0).contains("low percentile (60) is larger"));
        assert!(error("fixed", f64::NAN, 1.0).contains("finite"));
        assert!(error("log", 0.0, 1.0).contains("known: minmax, percentile, fixed"));
    }
}
