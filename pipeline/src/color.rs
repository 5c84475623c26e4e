//! Colour: per-cell values normalised (min-max over cells, fixed, or
//! percentiles, optionally after `log1p`) and painted with one palette.

use cellmap_core::Grid;
use cellmap_core::color::{
    Normalization, cell_colors, normalize, normalize_scratch_len, paint as paint_pixels,
};
use cellmap_core::regions::Region;

pub use cellmap_core::color::{Colormap, Range};

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
    pub fn paint(
        &mut self,
        labels: Grid<'_, i32>,
        values: &[f64],
        regions: &[Region],
        scale: &ColorScale,
        outlines: bool,
        out: &mut [u32],
    ) -> Result<Option<(f64, f64)>, Error> {
        let n = values.len().saturating_sub(1);
        if regions.len() != values.len() {
            return Err(Error::argument(format!(
                "paint: {} values but {} regions (both by label)",
                values.len(),
                regions.len()
            )));
        }
        refill(&mut self.shown, n + 1, f64::NAN, "the shown values")?;
        for ((shown, &v), region) in self.shown.iter_mut().zip(values).zip(regions).skip(1) {
            *shown = if region.area() > 0 { v } else { f64::NAN };
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
        refill(&mut self.table, n + 1, 0, "the colour table")?;
        cell_colors(&self.levels, scale.colormap, BACKGROUND_RGBA, NO_VALUE_RGBA, &mut self.table)
            .map_err(|e| Error::core("paint", e))?;
        let outline = outlines.then(|| u32::from_ne_bytes(OUTLINE_RGBA));
        paint_pixels(labels, &self.table, outline, out).map_err(|e| Error::core("paint", e))?;
        Ok(range)
    }
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
}
