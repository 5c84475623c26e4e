//! Gene maps: per-cell values normalised to levels 0..=255, coloured with
//! matplotlib's colormaps, and painted over the label image.
//!
//! The pipeline for one gene is O(cells + pixels):
//!
//! 1. [`normalize`] the per-cell values to levels:
//!    `round(255 · (v − lo) / (hi − lo))`, clamped, NaN → `None`;
//! 2. [`cell_colors`] turns levels into an RGBA table (the background gets
//!    its colour, NaN cells the "no value" colour);
//! 3. [`paint`] indexes that table with the label image into your pixel
//!    buffer, optionally drawing cell outlines.
//!
//! Values, levels and colours are tables **indexed by label**, as the
//! `stats` kernels write them: entry `c` is cell `c`, entry 0 the
//! background. [`normalize`] ignores entry 0 (it never moves the range and
//! gets level `None`) and [`cell_colors`] gives it the background colour.
//! [`levels`], [`value_range`] and [`percentile`] work element-wise or on a
//! sample, for any slice of values.
//!
//! ```
//! use cellmap_core::{Grid, color::{self, Colormap, Normalization}};
//! let labels = Grid::new(4, 2, &[
//!     1u8, 1, 0, 2,
//!     0,   3, 3, 2,
//! ][..])?;
//! let means = [f64::NAN, 10.0, 30.0, f64::NAN]; // by label: background, cells 1, 2, 3
//! let mut levels = [None; 4];
//! let range = color::normalize(&means, &Normalization::default(), &mut [], &mut levels)?;
//! assert_eq!(range, Some((10.0, 30.0)));
//! assert_eq!(levels, [None, Some(0), Some(255), None]);
//!
//! let (background, no_value) = ([0, 0, 0, 0], [128, 128, 128, 255]);
//! let mut table = [[0u8; 4]; 4];
//! color::cell_colors(&levels, Colormap::Gray, background, no_value, &mut table)?;
//! let mut image = [[0u8; 4]; 8];
//! color::paint(labels, &table, None, &mut image)?;
//! let (k, w, n, o) = ([0, 0, 0, 255], [255, 255, 255, 255], no_value, background);
//! assert_eq!(image, [
//!     k, k, o, w,
//!     o, n, n, w,
//! ]);
//! # Ok::<(), cellmap_core::Error>(())
//! ```

use core::cmp::Ordering;
use core::fmt;
use core::str::FromStr;

use crate::labeling::LabelRuns;
use crate::{Error, Grid, Label, error::ensure_len};

#[rustfmt::skip]
mod luts;

/// A matplotlib colormap, as a 256-entry table equal to matplotlib's own
/// `cmap(np.arange(256), bytes=True)` (which truncates `lut · 255`, so
/// about 380 entries per map differ by one from rounding).
///
/// ```
/// use cellmap_core::color::Colormap;
/// let viridis = Colormap::from_name("viridis").unwrap();
/// assert_eq!(viridis, Colormap::Viridis);
/// assert_eq!(viridis.name(), "viridis");
/// assert_eq!(viridis.rgb(0), [68, 1, 84]);
/// assert_eq!(viridis.rgb(255), [253, 231, 36]);
/// assert_eq!("Magma".parse::<Colormap>(), Ok(Colormap::Magma));
/// assert_eq!(Colormap::ALL.len(), 7);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Colormap {
    /// Perceptually uniform, blue → green → yellow (matplotlib's default).
    #[default]
    Viridis,
    /// Perceptually uniform, black → purple → light yellow.
    Magma,
    /// Perceptually uniform, black → red → yellow.
    Inferno,
    /// Perceptually uniform, blue → magenta → yellow.
    Plasma,
    /// Viridis tuned for colour-vision deficiency, blue → yellow.
    Cividis,
    /// Google's improved rainbow.
    Turbo,
    /// Black → white.
    Gray,
}

impl Colormap {
    /// Every colormap, in a stable order (for menus).
    pub const ALL: [Colormap; 7] = [
        Colormap::Viridis,
        Colormap::Magma,
        Colormap::Inferno,
        Colormap::Plasma,
        Colormap::Cividis,
        Colormap::Turbo,
        Colormap::Gray,
    ];

    /// matplotlib's name of the colormap (lowercase).
    pub const fn name(self) -> &'static str {
        match self {
            Colormap::Viridis => "viridis",
            Colormap::Magma => "magma",
            Colormap::Inferno => "inferno",
            Colormap::Plasma => "plasma",
            Colormap::Cividis => "cividis",
            Colormap::Turbo => "turbo",
            Colormap::Gray => "gray",
        }
    }

    /// The colormap called `name` (ASCII case-insensitive), or `None`.
    pub fn from_name(name: &str) -> Option<Colormap> {
        Colormap::ALL.into_iter().find(|c| c.name().eq_ignore_ascii_case(name))
    }

    /// The 256 RGB entries.
    pub const fn lut(self) -> &'static [[u8; 3]; 256] {
        match self {
            Colormap::Viridis => &luts::VIRIDIS,
            Colormap::Magma => &luts::MAGMA,
            Colormap::Inferno => &luts::INFERNO,
            Colormap::Plasma => &luts::PLASMA,
            Colormap::Cividis => &luts::CIVIDIS,
            Colormap::Turbo => &luts::TURBO,
            Colormap::Gray => &luts::GRAY,
        }
    }

    /// The colour of `level`.
    pub const fn rgb(self, level: u8) -> [u8; 3] {
        self.lut()[level as usize]
    }
}

impl fmt::Display for Colormap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Colormap {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self, Error> {
        Colormap::from_name(name).ok_or(Error::InvalidArgument(
            "unknown colormap (viridis, magma, inferno, plasma, cividis, turbo, gray)",
        ))
    }
}

/// matplotlib's categorical palette `tab20` (20 RGB colours, 10 hues in a
/// dark and a light shade), for colouring cells by id or by category:
/// category `i` gets entry `i % 20`.
///
/// ```
/// use cellmap_core::color::CATEGORICAL;
/// assert_eq!(CATEGORICAL.len(), 20);
/// assert_eq!(CATEGORICAL[0], [31, 119, 180]); // matplotlib's tab:blue
/// ```
pub static CATEGORICAL: &[[u8; 3]; 20] = &luts::TAB20;

/// Where the normalisation range `lo..=hi` comes from.
///
/// For the research scripts' pixel-level range (min and max over all
/// pixels of the masked gene image), compute it with the `stats` kernels
/// and pass it as [`Range::Fixed`].
///
/// ```
/// use cellmap_core::color::{value_range, Normalization, Range};
/// let v = [0.0, 1.0, 2.0, 3.0, 100.0];
/// let range = |range| value_range(&v, &Normalization { range, log1p: false }, &mut [0.0; 5]);
/// assert_eq!(range(Range::MinMax)?, Some((0.0, 100.0)));
/// assert_eq!(range(Range::Fixed { vmin: 1.0, vmax: 2.0 })?, Some((1.0, 2.0)));
/// assert_eq!(range(Range::Percentile { low: 25.0, high: 75.0 })?, Some((1.0, 3.0)));
/// # Ok::<(), cellmap_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Range {
    /// The minimum and maximum over the finite values.
    #[default]
    MinMax,
    /// Fixed bounds in data units (finite, `vmin ≤ vmax`); with `log1p`
    /// they are transformed too.
    Fixed {
        /// Maps to level 0.
        vmin: f64,
        /// Maps to level 255.
        vmax: f64,
    },
    /// Percentiles of the finite values, numpy's default (linear) method:
    /// `np.percentile(v[np.isfinite(v)], [low, high])`, `0 ≤ low ≤ high ≤ 100`.
    Percentile {
        /// Lower percentile (e.g. 2).
        low: f64,
        /// Upper percentile (e.g. 98).
        high: f64,
    },
}

/// How per-cell values become levels 0..=255.
///
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Normalization {
    /// The range mapped to 0..=255.
    pub range: Range,
    /// Apply `ln(1 + v)` to every value (and to fixed bounds) first; values
    /// below −1 become NaN, i.e. "no value". (`libm`'s `log1p`: within one
    /// ulp of numpy's, so a level can differ from numpy's only when the
    /// scaled value lies within an ulp of a rounding boundary.)
    pub log1p: bool,
}

/// `f64` scratch elements [`normalize`] (and [`value_range`], which needs
/// the same) takes for `n_values` values under `normalization`: `n_values`
/// for a percentile range, else 0.
///
/// ```
/// use cellmap_core::color::{normalize_scratch_len, Normalization, Range};
/// let n = Normalization { range: Range::Percentile { low: 2.0, high: 98.0 }, log1p: true };
/// assert_eq!(normalize_scratch_len(&n, 2_500), 2_500);
/// assert_eq!(normalize_scratch_len(&Normalization::default(), 2_500), 0);
/// ```
pub const fn normalize_scratch_len(normalization: &Normalization, n_values: usize) -> usize {
    match normalization.range {
        Range::Percentile { .. } => n_values,
        _ => 0,
    }
}

/// `f64` scratch elements [`percentile`] takes for `n_values` values: one
/// per value.
///
/// ```
/// assert_eq!(cellmap_core::color::percentile_scratch_len(6), 6);
/// ```
pub const fn percentile_scratch_len(n_values: usize) -> usize {
    n_values
}

/// `ln(1 + v)` when `log1p`, else `v`.
#[inline]
fn transform(v: f64, log1p: bool) -> f64 {
    if log1p { libm::log1p(v) } else { v }
}

/// The `p`-th percentile of the finite values of `values`, exactly as
/// `np.percentile(v[np.isfinite(v)], p)` computes it (method `"linear"`:
/// index `(n − 1) · p/100`, then numpy's two-sided interpolation), or
/// `None` when no value is finite. O(n) by selection in `scratch`
/// ([`percentile_scratch_len`]`(values.len())` elements; its contents are
/// overwritten).
///
/// Errors: `p` outside `0..=100` or NaN ([`Error::InvalidArgument`]),
/// `scratch` too short ([`Error::BufferTooSmall`]). It writes no output
/// (only its scratch).
///
/// ```
/// use cellmap_core::color::percentile;
/// let v = [4.0, f64::NAN, 1.0, 3.0, 2.0, f64::INFINITY];
/// let mut scratch = [0.0; 6];
/// assert_eq!(percentile(&v, 50.0, &mut scratch)?, Some(2.5));
/// assert_eq!(percentile(&v, 25.0, &mut scratch)?, Some(1.75));
/// assert_eq!(percentile(&v, 100.0, &mut scratch)?, Some(4.0));
/// assert_eq!(percentile(&[f64::NAN], 50.0, &mut scratch)?, None);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn percentile(values: &[f64], p: f64, scratch: &mut [f64]) -> Result<Option<f64>, Error> {
    ensure_len("scratch", scratch, percentile_scratch_len(values.len()))?;
    check_percentile(p)?;
    let n = copy_finite(values, false, scratch);
    Ok(percentile_of_finite(scratch.get_mut(..n).unwrap_or_default(), p))
}

fn check_percentile(p: f64) -> Result<(), Error> {
    if (0.0..=100.0).contains(&p) {
        Ok(())
    } else {
        Err(Error::InvalidArgument("percentile must be in 0..=100"))
    }
}

/// Copies the finite (transformed) values to the front of `scratch`;
/// returns how many.
fn copy_finite(values: &[f64], log1p: bool, scratch: &mut [f64]) -> usize {
    let mut n = 0;
    for &v in values {
        let v = transform(v, log1p);
        if let (true, Some(slot)) = (v.is_finite(), scratch.get_mut(n)) {
            *slot = v;
            n += 1;
        }
    }
    n
}

/// numpy's linear percentile of `sample` (all finite; reordered in place).
fn percentile_of_finite(sample: &mut [f64], p: f64) -> Option<f64> {
    let n = sample.len();
    if n == 0 {
        return None;
    }
    // numpy: q = p / 100; virtual index = (n - 1) * q; gamma = index - floor(index).
    let virtual_index = (n - 1) as f64 * (p / 100.0);
    let below = libm::floor(virtual_index);
    let gamma = virtual_index - below;
    let (previous, next) =
        if virtual_index >= (n - 1) as f64 { (n - 1, n - 1) } else { (below as usize, below as usize + 1) };
    let a = select_nth(sample, previous)?;
    let rest = sample.get(previous + 1..).unwrap_or_default();
    let b = if next == previous { a } else { rest.iter().copied().fold(f64::INFINITY, f64::min) };
    // numpy's _lerp: a + (b - a)·t, but b − (b − a)·(1 − t) when t ≥ 0.5.
    let diff = b - a;
    Some(if gamma >= 0.5 { b - diff * (1.0 - gamma) } else { a + diff * gamma })
}

/// Reorders `v` so that `v[k]` is its `k`-th smallest value by
/// `f64::total_cmp`, with no greater value before it and no smaller one
/// after (as `select_nth_unstable_by(k, f64::total_cmp)`), and returns it;
/// `None` if `k >= v.len()`. A quickselect with three-way partitions
/// around the median of three pseudo-random samples (expected O(n)),
/// written with checked indexing so that it has no panic path, unlike the
/// standard library's.
fn select_nth(v: &mut [f64], k: usize) -> Option<f64> {
    let (mut lo, mut hi) = (0, v.len());
    let mut seed = 0x9E37_79B9u32;
    while k >= lo && k < hi {
        let part = v.get_mut(lo..hi)?;
        let n = part.len();
        if n <= 16 {
            insertion_sort(part);
            return part.get(k - lo).copied();
        }
        let mut sample = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            part.get(seed as usize % n).copied().unwrap_or(0.0)
        };
        let (x, y, z) = (sample(), sample(), sample());
        let pivot = if x.total_cmp(&y).is_lt() == y.total_cmp(&z).is_lt() {
            y
        } else if x.total_cmp(&y).is_lt() == z.total_cmp(&x).is_lt() {
            x
        } else {
            z
        };
        // Dijkstra's partition: part[..less] < pivot, part[more..] > pivot.
        let (mut less, mut i, mut more) = (0, 0, n);
        while i < more {
            let Some(&value) = part.get(i) else { break };
            match value.total_cmp(&pivot) {
                Ordering::Less => {
                    swap(part, less, i);
                    less += 1;
                    i += 1;
                }
                Ordering::Greater => {
                    more -= 1;
                    swap(part, i, more);
                }
                Ordering::Equal => i += 1,
            }
        }
        match k - lo {
            j if j < less => hi = lo + less,
            j if j >= more => lo += more,
            _ => return Some(pivot),
        }
    }
    None
}

/// Sorts a short slice by `f64::total_cmp`.
fn insertion_sort(v: &mut [f64]) {
    for i in 1..v.len() {
        let mut j = i;
        while let Some([a, b]) =
            v.get_mut(j.wrapping_sub(1)..j + 1).and_then(|pair| <&mut [f64; 2]>::try_from(pair).ok())
        {
            if a.total_cmp(b).is_le() {
                break;
            }
            core::mem::swap(a, b);
            j -= 1;
        }
    }
}

/// Swaps `v[i]` and `v[j]` (nothing if either is out of range).
fn swap(v: &mut [f64], i: usize, j: usize) {
    if let (Some(&a), Some(&b)) = (v.get(i), v.get(j)) {
        if let Some(x) = v.get_mut(i) {
            *x = b;
        }
        if let Some(y) = v.get_mut(j) {
            *y = a;
        }
    }
}

/// The normalisation range `(lo, hi)` of `values` under `normalization`, in
/// transformed units (after `log1p` if set), or `None` when no value is
/// finite (then every level is 0, see [`levels`]). `scratch` needs
/// [`normalize_scratch_len`]`(normalization, values.len())` elements.
///
/// Errors: fixed bounds not finite (also after `log1p`) or `vmin > vmax`,
/// percentiles outside `0..=100` or `low > high`
/// ([`Error::InvalidArgument`]); `scratch` too short
/// ([`Error::BufferTooSmall`]). It writes no output (only its scratch).
///
/// ```
/// use cellmap_core::color::{value_range, Normalization, Range};
/// let v = [f64::NAN, 3.0, -1.0, f64::INFINITY, 7.0];
/// assert_eq!(value_range(&v, &Normalization::default(), &mut [])?, Some((-1.0, 7.0)));
/// let fixed = Normalization { range: Range::Fixed { vmin: 0.0, vmax: 3.0 }, log1p: true };
/// let (lo, hi) = value_range(&v, &fixed, &mut [])?.unwrap();
/// assert!(lo == 0.0 && (hi - 4f64.ln()).abs() < 1e-15);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn value_range(
    values: &[f64],
    normalization: &Normalization,
    scratch: &mut [f64],
) -> Result<Option<(f64, f64)>, Error> {
    let log1p = normalization.log1p;
    match normalization.range {
        Range::MinMax => {
            let mut range: Option<(f64, f64)> = None;
            for &v in values {
                let v = transform(v, log1p);
                if v.is_finite() {
                    range = Some(range.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))));
                }
            }
            Ok(range)
        }
        Range::Fixed { vmin, vmax } => {
            let (lo, hi) = (transform(vmin, log1p), transform(vmax, log1p));
            if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
                return Err(Error::InvalidArgument(
                    "fixed range needs finite vmin <= vmax (> -1 with log1p)",
                ));
            }
            Ok(Some((lo, hi)))
        }
        Range::Percentile { low, high } => {
            ensure_len("scratch", scratch, normalize_scratch_len(normalization, values.len()))?;
            check_percentile(low)?;
            check_percentile(high)?;
            if low > high {
                return Err(Error::InvalidArgument("percentile range needs low <= high"));
            }
            let n = copy_finite(values, log1p, scratch);
            let sample = scratch.get_mut(..n).unwrap_or_default();
            Ok(percentile_of_finite(sample, low).zip(percentile_of_finite(sample, high)))
        }
    }
}

/// Maps each value to `round(255 · (v' − lo) / (hi − lo))` clamped to
/// 0..=255, where `v' = log1p(v)` if `log1p` else `v`, rounding half to
/// even as `np.round` does; NaN (also after `log1p`) → `None`. When
/// `hi == lo` every non-NaN value gets level 0. Infinite values clamp.
///
/// Errors: `out` shorter than `values` ([`Error::BufferTooSmall`]), `lo` or
/// `hi` not finite or `lo > hi` ([`Error::InvalidArgument`]); both before
/// anything is written (`out` untouched).
///
/// ```
/// use cellmap_core::color::levels;
/// let mut out = [None; 6];
/// levels(&[0.0, 0.5, 1.5, 255.0, 300.0, f64::NAN], 0.0, 255.0, false, &mut out)?;
/// assert_eq!(out, [Some(0), Some(0), Some(2), Some(255), Some(255), None]);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn levels(values: &[f64], lo: f64, hi: f64, log1p: bool, out: &mut [Option<u8>]) -> Result<(), Error> {
    ensure_len("out", out, values.len())?;
    if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
        return Err(Error::InvalidArgument("levels need finite lo <= hi"));
    }
    let span = hi - lo;
    for (level, &v) in out.iter_mut().zip(values) {
        let v = transform(v, log1p);
        *level = if v.is_nan() {
            None
        } else if span == 0.0 {
            Some(0)
        } else {
            // Same operation order as numpy's `255 * (v - lo) / (hi - lo)`.
            let scaled = libm::rint(255.0 * (v - lo) / span);
            Some(if scaled >= 255.0 {
                255
            } else if scaled > 0.0 {
                scaled as u8
            } else {
                0
            })
        };
    }
    Ok(())
}

/// [`value_range`] then [`levels`] on a per-label table: normalises the
/// cells' `values[1..]` into `out[1..]` and returns the range used (`None`
/// when no cell value is finite; then every non-NaN value gets level 0).
/// Entry 0, the background, is ignored: it never moves the range and
/// `out[0]` is set to `None`. `out` needs `values.len()` entries (only those
/// are written); `scratch` needs
/// [`normalize_scratch_len`]`(normalization, values.len())` elements.
///
/// # Errors
///
/// As [`value_range`] and [`levels`]; `out` shorter than `values`
/// ([`Error::BufferTooSmall`]). Every check happens before `out` is
/// written: on error it is untouched.
///
/// ```
/// use cellmap_core::color::{normalize, Normalization, Range};
/// // by label: background (ignored), then cells 1..=6
/// let v = [1e9, 1.0, 2.0, 3.0, 4.0, 5.0, 100.0];
/// let clip = Normalization { range: Range::Percentile { low: 0.0, high: 80.0 }, log1p: false };
/// let mut scratch = [0.0; 7];
/// let mut out = [None; 7];
/// assert_eq!(normalize(&v, &clip, &mut scratch, &mut out)?, Some((1.0, 5.0)));
/// assert_eq!(out, [None, Some(0), Some(64), Some(128), Some(191), Some(255), Some(255)]);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn normalize(
    values: &[f64],
    normalization: &Normalization,
    scratch: &mut [f64],
    out: &mut [Option<u8>],
) -> Result<Option<(f64, f64)>, Error> {
    ensure_len("out", out, values.len())?;
    let Some((background, cells)) = out[..values.len()].split_first_mut() else {
        return value_range(&[], normalization, scratch);
    };
    let range = value_range(&values[1..], normalization, scratch)?;
    let (lo, hi) = range.unwrap_or((0.0, 0.0));
    levels(&values[1..], lo, hi, normalization.log1p, cells)?;
    *background = None;
    Ok(range)
}

/// A pixel format [`cell_colors`] can produce and [`paint`] can write.
///
/// * `[u8; 4]`: R, G, B, A.
/// * `u32`: `u32::from_ne_bytes([r, g, b, a])`, so that its bytes in memory
///   are R, G, B, A on every target — the order of the browser's
///   `ImageData` (on little-endian targets such as wasm the value is
///   `r | g << 8 | b << 16 | a << 24`).
///
/// A `[[u8; 4]]` image is a flat RGBA byte buffer via `as_flattened()`
/// (e.g. for a PNG encoder).
///
/// ```
/// use cellmap_core::color::Pixel;
/// assert_eq!(<[u8; 4]>::from_rgba([1, 2, 3, 4]), [1, 2, 3, 4]);
/// assert_eq!(u32::from_rgba([1, 2, 3, 4]).to_ne_bytes(), [1, 2, 3, 4]);
/// ```
pub trait Pixel: Copy + PartialEq {
    /// The pixel of colour `rgba`.
    fn from_rgba(rgba: [u8; 4]) -> Self;
}

impl Pixel for [u8; 4] {
    #[inline(always)]
    fn from_rgba(rgba: [u8; 4]) -> Self {
        rgba
    }
}

impl Pixel for u32 {
    #[inline(always)]
    fn from_rgba(rgba: [u8; 4]) -> Self {
        u32::from_ne_bytes(rgba)
    }
}

/// Builds the per-label colour table for [`paint`] from per-label `levels`
/// (as [`normalize`] writes them): `out[0] = background` (whatever
/// `levels[0]` holds), `out[c]` = the colormap's colour of `levels[c]`
/// (opaque), or `no_value` for `None`. `out` needs `levels.len()` entries,
/// at least one; entries past those are left alone.
///
/// Errors: `out` too short ([`Error::BufferTooSmall`]), checked before
/// anything is written: on error `out` is untouched.
///
/// ```
/// use cellmap_core::color::{cell_colors, Colormap};
/// let mut table = [0u32; 3];
/// // by label: background, cell 1, cell 2
/// cell_colors(&[None, Some(255), None], Colormap::Gray, [0, 0, 0, 0], [9, 9, 9, 255], &mut table)?;
/// assert_eq!(table.map(u32::to_ne_bytes), [[0, 0, 0, 0], [255, 255, 255, 255], [9, 9, 9, 255]]);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn cell_colors<P: Pixel>(
    levels: &[Option<u8>],
    colormap: Colormap,
    background: [u8; 4],
    no_value: [u8; 4],
    out: &mut [P],
) -> Result<(), Error> {
    ensure_len("out", out, levels.len().max(1))?;
    let lut = colormap.lut();
    let Some((first, cells)) = out.split_first_mut() else { return Ok(()) };
    *first = P::from_rgba(background);
    for (color, level) in cells.iter_mut().zip(levels.iter().skip(1)) {
        *color = P::from_rgba(match *level {
            Some(l) => {
                let [r, g, b] = lut.get(usize::from(l)).copied().unwrap_or_default();
                [r, g, b, 255]
            }
            None => no_value,
        });
    }
    Ok(())
}

/// Paints `out[p] = cell_colors[labels[p]]` for every pixel; with
/// `outline = Some(color)`, cell pixels whose 4-neighbour (inside the image)
/// has a different label — another cell or background — get `color`
/// instead (background pixels are never outlined).
///
/// Errors, before anything is written: `out` not `width · height` pixels
/// ([`Error::ShapeMismatch`]), an empty `cell_colors`
/// ([`Error::BufferTooSmall`]), a label `≥ cell_colors.len()` or negative
/// ([`Error::LabelOutOfRange`]).
///
/// ```
/// use cellmap_core::{Grid, color::paint};
/// let labels = Grid::new(5, 4, &[
///     0, 1, 1, 1, 0,
///     0, 1, 1, 1, 2,
///     0, 1, 1, 1, 2,
///     0, 0, 0, 0, 0,
/// ][..])?;
/// let table = [b'.', b'a', b'b'];
/// let mut image = [0u8; 20];
/// paint(labels, &table, Some(b'#'), &mut image)?;
/// assert_eq!(&image, b"\
///     .#a#.\
///     .#a##\
///     .####\
///     .....");
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn paint<L: Label, P: Copy>(
    labels: Grid<'_, L>,
    cell_colors: &[P],
    outline: Option<P>,
    out: &mut [P],
) -> Result<(), Error> {
    let pixels = labels.as_slice();
    if out.len() != pixels.len() {
        return Err(Error::ShapeMismatch { expected: pixels.len(), got: out.len() });
    }
    ensure_len("cell_colors", cell_colors, 1)?;
    let colors = cell_colors.len();
    if pixels.iter().fold(false, |bad, &l| bad | (l.index() >= colors)) {
        // Only on error: find the first offending label to report.
        let label = pixels.iter().map(|l| l.index()).find(|&i| i >= colors).unwrap_or(usize::MAX);
        return Err(Error::LabelOutOfRange { label, max: colors - 1 });
    }
    for (o, &l) in out.iter_mut().zip(pixels) {
        if let Some(&color) = cell_colors.get(l.index()) {
            *o = color;
        }
    }
    if let Some(edge) = outline {
        let width = labels.width();
        if width > 0 {
            for (r, out_row) in out.chunks_exact_mut(width).enumerate() {
                outline_row(labels, r, edge, out_row);
            }
        }
    }
    Ok(())
}

/// [`paint`] from a [`LabelRuns`] (the runs that labelling left in its
/// scratch) instead of a label image, without outlines: `out[p] =
/// cell_colors[label of p]`, written run by run (no label is read, no
/// table lookup per pixel). Equal to [`paint`] with `outline = None` on
/// the label image of the same runs.
///
/// Errors, before anything is written: `out` not `width · height` pixels
/// ([`Error::ShapeMismatch`]), an empty `cell_colors`
/// ([`Error::BufferTooSmall`]), fewer than `runs.n_labels() + 1` colours
/// ([`Error::LabelOutOfRange`] for label `runs.n_labels()`).
///
/// ```
/// use cellmap_core::{Grid, color::paint_runs, labeling::{label, label_scratch_len, Connectivity, LabelRuns}};
/// let mask = Grid::new(5, 1, &[1u8, 1, 0, 0, 1])?;
/// let (mut labels, mut scratch) = ([0u8; 5], [0u32; label_scratch_len(5, 1)]);
/// let n = label(mask, Connectivity::Four, &mut labels, &mut scratch)?;
/// let mut image = [0u8; 5];
/// paint_runs(&LabelRuns::from_scratch(5, 1, n, &scratch)?, b".ab", &mut image)?;
/// assert_eq!(&image, b"aa..b");
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn paint_runs<P: Copy>(runs: &LabelRuns<'_>, cell_colors: &[P], out: &mut [P]) -> Result<(), Error> {
    let (width, height) = (runs.width(), runs.height());
    let pixels = crate::grid::pixel_count(width, height)?;
    if out.len() != pixels {
        return Err(Error::ShapeMismatch { expected: pixels, got: out.len() });
    }
    let Some(&background) = cell_colors.first() else {
        return Err(Error::BufferTooSmall { buffer: "cell_colors", needed: 1, got: 0 });
    };
    if runs.n_labels() >= cell_colors.len() {
        return Err(Error::LabelOutOfRange { label: runs.n_labels(), max: cell_colors.len() - 1 });
    }
    for (row, out_row) in out.chunks_exact_mut(width.max(1)).enumerate() {
        let mut done = 0;
        for (start, end, label) in runs.row(row) {
            let color = cell_colors.get(label).copied().unwrap_or(background);
            crate::labeling::paint(out_row, done, start, background);
            crate::labeling::paint(out_row, start, end, color);
            done = end;
        }
        crate::labeling::paint(out_row, done, width, background);
    }
    Ok(())
}

/// Overwrites with `edge` the cell pixels of row `r` that have a 4-neighbour
/// with another label. A missing neighbour (outside the image) is replaced
/// by the pixel itself, which never differs. Compare-and-select only, so
/// the interior loop vectorises.
fn outline_row<'a, L: Label, P: Copy>(labels: Grid<'a, L>, r: usize, edge: P, out: &mut [P]) {
    let row = labels.row(r);
    let above = if r > 0 { labels.row(r - 1) } else { row };
    let below = if r + 1 < labels.height() { labels.row(r + 1) } else { row };
    let background = L::default();
    let width = row.len();
    // Rows all have `width` labels: `at` never misses.
    let at = |labels: &[L], c: usize| labels.get(c).copied().unwrap_or(background);
    if width < 3 {
        for c in 0..width {
            let (l, left, right) =
                (at(row, c), at(row, c.saturating_sub(1)), at(row, (c + 1).min(width - 1)));
            if l != background && (left != l || right != l || at(above, c) != l || at(below, c) != l) {
                if let Some(o) = out.get_mut(c) {
                    *o = edge;
                }
            }
        }
        return;
    }
    let tail = |labels: &'a [L]| -> &'a [L] { labels.get(1..).unwrap_or_default() };
    let interior =
        row.windows(3).zip(tail(above)).zip(tail(below)).zip(out.get_mut(1..width - 1).unwrap_or_default());
    for (((three, &up), &down), o) in interior {
        let &[left, l, right] = three else { continue };
        let boundary = (left != l) | (right != l) | (up != l) | (down != l);
        // An unconditional store (a select), so the loop vectorises.
        *o = if boundary & (l != background) { edge } else { *o };
    }
    for (c, side) in [(0, 1), (width - 1, width - 2)] {
        let l = at(row, c);
        if l != background && (at(row, side) != l || at(above, c) != l || at(below, c) != l) {
            if let Some(o) = out.get_mut(c) {
                *o = edge;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec;
    use std::vec::Vec;

    proptest! {
        #[test]
        fn select_nth_is_the_sorted_order_statistic(
            v in proptest::collection::vec(prop_oneof![-5.0f64..5.0, Just(0.0), Just(-0.0), Just(1.0)], 0..80),
            k in 0usize..80,
        ) {
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let mut work = v.clone();
            let got = select_nth(&mut work, k);
            prop_assert_eq!(got.map(f64::to_bits), sorted.get(k).map(|x| x.to_bits()));
            if let Some(a) = got {
                prop_assert!(work[..k].iter().all(|x| x.total_cmp(&a).is_le()));
                prop_assert!(work[k + 1..].iter().all(|x| x.total_cmp(&a).is_ge()));
                work.sort_by(f64::total_cmp);
                prop_assert_eq!(work.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), sorted.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_errors() {
        for c in Colormap::ALL {
            assert_eq!(Colormap::from_name(c.name()), Some(c));
            assert_eq!(c.name().parse::<Colormap>(), Ok(c));
        }
        assert_eq!(Colormap::from_name("VIRIDIS"), Some(Colormap::Viridis));
        assert_eq!(Colormap::from_name("jet"), None);
        assert_eq!(Colormap::from_name(""), None);
        assert!(matches!("grey ".parse::<Colormap>(), Err(Error::InvalidArgument(_))));
    }

    #[test]
    fn gray_is_matplotlibs_truncated_ramp() {
        // matplotlib's `gray` at bytes=True is int(255 · i/255 computed in
        // floating point): mostly i, sometimes i − 1.
        let lut = Colormap::Gray.lut();
        assert_eq!(lut[0], [0, 0, 0]);
        assert_eq!(lut[255], [255, 255, 255]);
        for (i, rgb) in lut.iter().enumerate() {
            assert!(rgb[0] as usize == i || rgb[0] as usize + 1 == i, "{i}: {rgb:?}");
            assert!(rgb[0] == rgb[1] && rgb[1] == rgb[2]);
        }
    }

    #[test]
    fn levels_round_half_to_even_and_clamp() {
        let mut out = [None; 9];
        let v = [0.5, 1.5, 2.5, 253.5, 254.5, -1.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN];
        levels(&v, 0.0, 255.0, false, &mut out).unwrap();
        assert_eq!(out, [Some(0), Some(2), Some(2), Some(254), Some(254), Some(0), Some(255), Some(0), None]);
    }

    #[test]
    fn constant_and_empty_ranges_give_level_zero() {
        let mut out = [Some(9); 4];
        let range =
            normalize(&[-7.0, 4.0, 4.0, f64::NAN], &Normalization::default(), &mut [], &mut out).unwrap();
        assert_eq!((range, out), (Some((4.0, 4.0)), [None, Some(0), Some(0), None]));
        let range =
            normalize(&[1.0, f64::NAN, f64::INFINITY], &Normalization::default(), &mut [], &mut out).unwrap();
        assert_eq!((range, &out[..3]), (None, &[None, None, Some(0)][..]));
        let mut out = [Some(9); 2];
        let range = normalize(&[1.0], &Normalization::default(), &mut [], &mut out).unwrap();
        assert_eq!((range, out), (None, [None, Some(9)]), "background only");
        let range = normalize(&[], &Normalization::default(), &mut [], &mut []).unwrap();
        assert_eq!(range, None);
    }

    #[test]
    fn log1p_turns_values_below_minus_one_into_no_value() {
        let mut out = [None; 5];
        let n = Normalization { range: Range::MinMax, log1p: true };
        let (lo, hi) = normalize(&[f64::NAN, 0.0, 3.0, -2.0, -1.0], &n, &mut [], &mut out).unwrap().unwrap();
        assert!(lo == 0.0 && (hi - 4f64.ln()).abs() < 1e-15);
        assert_eq!(out, [None, Some(0), Some(255), None, Some(0)]); // log1p(-1) = -inf clamps
    }

    #[test]
    fn invalid_ranges_are_rejected_before_writing() {
        let mut out = [Some(7u8); 2];
        let mut scratch = [0.0; 2];
        let bad = [
            Range::Fixed { vmin: 2.0, vmax: 1.0 },
            Range::Fixed { vmin: f64::NAN, vmax: 1.0 },
            Range::Fixed { vmin: 0.0, vmax: f64::INFINITY },
            Range::Percentile { low: -1.0, high: 50.0 },
            Range::Percentile { low: 10.0, high: 100.5 },
            Range::Percentile { low: 60.0, high: 50.0 },
            Range::Percentile { low: f64::NAN, high: 50.0 },
        ];
        for range in bad {
            let n = Normalization { range, log1p: false };
            assert!(matches!(
                normalize(&[1.0, 2.0], &n, &mut scratch, &mut out),
                Err(Error::InvalidArgument(_))
            ));
        }
        let n = Normalization { range: Range::Fixed { vmin: -1.0, vmax: 1.0 }, log1p: true };
        assert!(matches!(normalize(&[1.0, 2.0], &n, &mut scratch, &mut out), Err(Error::InvalidArgument(_))));
        let n = Normalization { range: Range::Percentile { low: 0.0, high: 50.0 }, log1p: false };
        assert!(matches!(
            normalize(&[1.0, 2.0], &n, &mut scratch[..0], &mut out),
            Err(Error::BufferTooSmall { buffer: "scratch", needed: 1, got: 0 })
        ));
        assert!(matches!(
            normalize(&[1.0, 2.0], &n, &mut scratch, &mut out[..1]),
            Err(Error::BufferTooSmall { buffer: "out", needed: 2, got: 1 })
        ));
        assert!(matches!(levels(&[1.0], 1.0, 0.0, false, &mut out), Err(Error::InvalidArgument(_))));
        assert_eq!(out, [Some(7); 2]);
    }

    #[test]
    fn paint_rejects_labels_without_a_colour() {
        let mut image = [0u32; 3];
        let labels = [0i32, 3, 1];
        let g = Grid::new(3, 1, &labels[..]).unwrap();
        assert_eq!(
            paint(g, &[1u32, 2, 3], None, &mut image),
            Err(Error::LabelOutOfRange { label: 3, max: 2 })
        );
        let labels = [0i32, 3, -1];
        let g = Grid::new(3, 1, &labels[..]).unwrap();
        assert!(matches!(paint(g, &[0u32; 0], None, &mut image), Err(Error::BufferTooSmall { .. })));
        assert!(matches!(paint(g, &[0u32; 4], None, &mut image[..2]), Err(Error::ShapeMismatch { .. })));
        assert_eq!(
            paint(g, &[1u32, 2, 3, 4], Some(9), &mut image),
            Err(Error::LabelOutOfRange { label: usize::MAX, max: 3 })
        );
        assert_eq!(image, [0; 3]);
        let mut table = [0u32; 2];
        assert!(matches!(
            cell_colors(&[None, None, None], Colormap::Gray, [0; 4], [0; 4], &mut table),
            Err(Error::BufferTooSmall { buffer: "out", needed: 3, got: 2 })
        ));
        assert!(matches!(
            cell_colors(&[], Colormap::Gray, [0; 4], [0; 4], &mut [0u32; 0]),
            Err(Error::BufferTooSmall { buffer: "out", needed: 1, got: 0 })
        ));
        assert_eq!(table, [0; 2]);
    }

    #[test]
    fn outlines_follow_the_four_neighbourhood() {
        let labels = Grid::new(
            6,
            5,
            &[
                1u8, 1, 1, 0, 0, 0, //
                1, 1, 1, 0, 2, 0, //
                1, 1, 1, 3, 3, 3, //
                1, 1, 1, 3, 3, 3, //
                0, 0, 0, 3, 3, 3, //
            ][..],
        )
        .unwrap();
        let mut image = [0u8; 30];
        paint(labels, b".abc", Some(b'#'), &mut image).unwrap();
        assert_eq!(
            &image,
            b"\
            aa#...\
            aa#.#.\
            aa####\
            ####cc\
            ...#cc"
        );
        // Single rows and columns: only label changes count.
        let one_row = Grid::new(4, 1, &[1u8, 1, 2, 0][..]).unwrap();
        let mut image = [0u8; 4];
        paint(one_row, b".ab", Some(b'#'), &mut image).unwrap();
        assert_eq!(&image, b"a##.");
        let empty = Grid::new(0, 3, &[0u8; 0][..]).unwrap();
        paint(empty, b".", Some(b'#'), &mut []).unwrap();
    }

    proptest! {
        #[test]
        fn percentile_matches_the_sorted_definition(
            mut v in proptest::collection::vec(-1e3f64..1e3, 1..60),
            p in 0.0f64..=100.0,
        ) {
            let mut scratch = vec![0.0; v.len()];
            let got = percentile(&v, p, &mut scratch).unwrap().unwrap();
            v.sort_by(f64::total_cmp);
            let index = (v.len() - 1) as f64 * (p / 100.0);
            let (i, t) = (index.floor() as usize, index - index.floor());
            let j = (i + 1).min(v.len() - 1);
            let expected = v[i] + (v[j] - v[i]) * t;
            prop_assert!((got - expected).abs() <= 1e-9 * (1.0 + expected.abs()), "{} vs {}", got, expected);
            prop_assert!(v[i] <= got && got <= v[j]);
        }

        #[test]
        fn outlined_paint_equals_the_neighbour_definition(
            (w, h, data) in (1usize..8, 1usize..8).prop_flat_map(|(w, h)| {
                (Just(w), Just(h), proptest::collection::vec(0u8..4, w * h))
            })
        ) {
            let mut image = vec![0u8; w * h];
            paint(Grid::new(w, h, &data[..]).unwrap(), b".abc", Some(b'#'), &mut image).unwrap();
            for r in 0..h {
                for c in 0..w {
                    let l = data[r * w + c];
                    let mut neighbours = Vec::new();
                    if r > 0 { neighbours.push(data[(r - 1) * w + c]); }
                    if r + 1 < h { neighbours.push(data[(r + 1) * w + c]); }
                    if c > 0 { neighbours.push(data[r * w + c - 1]); }
                    if c + 1 < w { neighbours.push(data[r * w + c + 1]); }
                    let edge = l != 0 && neighbours.iter().any(|&n| n != l);
                    let expected = if edge { b'#' } else { b".abc"[l as usize] };
                    prop_assert_eq!(image[r * w + c], expected);
                }
            }
        }
    }
}
