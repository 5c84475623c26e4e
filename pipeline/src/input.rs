//! Inputs: what a mask file means (binary mask or label image), the one
//! label-id policy, and the readers every front end uses.
//!
//! # The rule
//!
//! * **Foreground** is any nonzero pixel (NaN counts, `-0.0` does not).
//! * Under [`MaskKind::Auto`] an image is a **label image** when its values
//!   are whole numbers `≥ 0` (any integer dtype, or a float dtype whose
//!   values are all whole — the float32 label TIFFs CosMx tools write) with
//!   at least **two distinct nonzero values**. Anything else (0/255, 0/1,
//!   bool, fractional or negative floats, NaN) is a **binary mask**.
//! * A binary mask is hole-filled and labelled ([`crate::segment`]); a label
//!   image is used as is: its ids are the cells, touching cells stay apart.
//! * A label image's ids must lie in `0..=`[`max_label_id`]`(pixels)`: the
//!   per-cell tables have one row per id up to the largest, and this bound
//!   keeps them no larger than the image (or a 16-bit id space, for small
//!   crops of a larger label image that keep their ids). Ids without pixels
//!   are empty cells.
//! * The file formats ([`cellmap_io::image::read_mask`], recognised by their
//!   bytes, not their names): `.npy`, PNG, TIFF, Cellpose `*_seg.npy` (its
//!   `masks` entry), scipy sparse `.npz` (COO/CSR/CSC, made dense) and Xenium
//!   `cells.zarr.zip` (its `masks/1` cells array). The rule above applies to
//!   what they hold, whatever the format: a Cellpose or Xenium file with a
//!   single cell is read as a binary mask under `auto` (same cell, same
//!   pixels). The Cellpose, sparse and zarr readers are cellmap-io features
//!   (`seg-npy`, `label-formats`): the CLI has them; the wasm viewer's main
//!   module does not (its size budget) and, when [`missing_reader`] says so,
//!   has its optional readers module turn such a file into `.npy` bytes first,
//!   to which the same rule applies.
//! * Front ends say which kind was chosen and why ([`kind_reason`]), and warn
//!   when a label image looks like an intensity image
//!   ([`LabelImage::intensity_warning`]: most ids have a single pixel).

pub use cellmap_io::labels::missing_reader;

use cellmap_core::MaskValue;
use cellmap_core::grid::max_label;
use cellmap_io::npy::{Array, ArrayData};

use crate::memory::budget;
use crate::{Error, Image, grouped};

/// What a mask file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MaskKind {
    /// Decide from the values (see the [module docs](self)).
    #[default]
    Auto,
    /// Any nonzero pixel is a cell pixel: fill holes and label.
    Binary,
    /// Each nonzero value is a cell id (0 = background): used as is.
    Labels,
}

impl MaskKind {
    /// Every kind, in the order front ends list them.
    pub const ALL: [MaskKind; 3] = [MaskKind::Auto, MaskKind::Binary, MaskKind::Labels];

    /// The kind's name on the command line and in JS (`"auto"`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            MaskKind::Auto => "auto",
            MaskKind::Binary => "binary",
            MaskKind::Labels => "labels",
        }
    }
}

/// The largest cell id a label image of `pixels` pixels may hold:
/// `max(pixels, 65535)` (see the [module docs](self)).
///
/// ```
/// assert_eq!(cellmap::input::max_label_id(64 * 64), 65_535);
/// assert_eq!(cellmap::input::max_label_id(1024 * 1024), 1_048_576);
/// ```
pub const fn max_label_id(pixels: usize) -> usize {
    if pixels > u16::MAX as usize { pixels } else { u16::MAX as usize }
}

/// A validated label image: int32 ids in `0..=max_label_id(pixels)` and
/// the number of cells, which is the largest id (ids without pixels are
/// empty cells).
#[derive(Debug, Clone, PartialEq)]
pub struct LabelImage {
    labels: Image<i32>,
    n_cells: usize,
}

impl LabelImage {
    /// Checks `labels` against the policy and finds the number of cells.
    ///
    /// ```
    /// use cellmap::{Image, input::LabelImage};
    /// // 1 1 .
    /// // . 3 3     (id 2 unused: an empty cell)
    /// let labels = LabelImage::new(Image::new(3, 2, vec![1, 1, 0, 0, 3, 3])?)?;
    /// assert_eq!(labels.n_cells(), 3);
    /// assert!(LabelImage::new(Image::new(1, 1, vec![-1])?).is_err());
    /// # Ok::<(), cellmap::Error>(())
    /// ```
    pub fn new(labels: Image<i32>) -> Result<Self, Error> {
        let max = max_label_id(labels.data().len());
        let n_cells = max_label(labels.data(), max).map_err(|e| label_error(e, max))?;
        Ok(LabelImage { labels, n_cells })
    }

    /// Labels known to be valid with `n_cells` cells (made by the labeling
    /// kernels).
    pub(crate) fn from_kernel(labels: Image<i32>, n_cells: usize) -> Self {
        LabelImage { labels, n_cells }
    }

    /// The labels (0 = background).
    pub fn labels(&self) -> &Image<i32> {
        &self.labels
    }

    /// The labels, by value.
    pub fn into_labels(self) -> Image<i32> {
        self.labels
    }

    /// Number of cells: the largest id.
    pub fn n_cells(&self) -> usize {
        self.n_cells
    }

    /// Columns.
    pub fn width(&self) -> usize {
        self.labels.width()
    }

    /// Rows.
    pub fn height(&self) -> usize {
        self.labels.height()
    }

    /// The cell pixels (nonzero ids) as a mask.
    pub fn foreground(&self) -> Image<bool> {
        let data = self.labels.data().iter().map(|&l| l != 0).collect();
        Image::new(self.width(), self.height(), data).unwrap_or_else(|_| unreachable!("same shape"))
    }

    /// Reads a label image from a file's bytes (`.npy`, PNG or TIFF): an
    /// integer image, or a float image of whole numbers. `source` names the
    /// file in errors.
    pub fn from_bytes(bytes: &[u8], source: &str) -> Result<Self, Error> {
        let array = cellmap_io::image::read_mask(bytes, source)?;
        label_image_owned(array, source)
    }

    /// Reads a label image file (see [`LabelImage::from_bytes`]).
    #[cfg(feature = "fs")]
    pub fn read(path: &std::path::Path) -> Result<Self, Error> {
        let source = cellmap_io::fs::source_name(path);
        label_image_owned(read_image_file(path)?, &source)
    }
}

/// Why a file was taken for `chosen` when `asked` was requested, in words
/// for front ends (`"label image"` / `"binary mask"` follow from `chosen`).
///
/// ```
/// use cellmap::input::{MaskKind, kind_reason};
/// assert_eq!(
///     kind_reason(MaskKind::Auto, MaskKind::Labels),
///     "--mask-kind auto: whole numbers >= 0 with several distinct nonzero values"
/// );
/// ```
pub const fn kind_reason(asked: MaskKind, chosen: MaskKind) -> &'static str {
    match (asked, chosen) {
        (MaskKind::Auto, MaskKind::Labels) => {
            "--mask-kind auto: whole numbers >= 0 with several distinct nonzero values"
        }
        (MaskKind::Auto, _) => {
            "--mask-kind auto: not whole numbers >= 0 with several distinct nonzero values (e.g. 0/255, 0/1, fractions)"
        }
        (MaskKind::Labels, _) => "--mask-kind labels",
        (MaskKind::Binary, _) => "--mask-kind binary",
    }
}

impl LabelImage {
    /// A warning when this label image looks like an intensity image: of at
    /// least 8 ids with pixels, most have a single pixel. `None` otherwise.
    ///
    /// ```
    /// use cellmap::{Image, input::LabelImage};
    /// let speckle = LabelImage::new(Image::new(10, 1, (1..=10).collect())?)?;
    /// assert!(speckle.intensity_warning().unwrap().contains("10 of 10 ids have a single pixel"));
    /// let cells = LabelImage::new(Image::new(4, 1, vec![1, 1, 2, 2])?)?;
    /// assert_eq!(cells.intensity_warning(), None);
    /// # Ok::<(), cellmap::Error>(())
    /// ```
    pub fn intensity_warning(&self) -> Option<String> {
        // n_cells <= max(pixels, 65535): one u32 per id is bounded by the image.
        budget(|| "pixel counts per id".into(), self.n_cells as u128 + 1, size_of::<u32>()).ok()?;
        let mut pixels = vec![0u32; self.n_cells + 1];
        for &l in self.labels.data() {
            if let Some(p) = pixels.get_mut(l as usize) {
                *p = p.saturating_add(1);
            }
        }
        let used = pixels[1..].iter().filter(|&&p| p > 0).count();
        let single = pixels[1..].iter().filter(|&&p| p == 1).count();
        (used >= 8 && single * 2 > used).then(|| {
            format!(
                "{single} of {used} ids have a single pixel: is this an intensity image rather than a label image? \
                 (pass --mask-kind binary to read it as a mask)"
            )
        })
    }
}

/// A mask file as the pipeline uses it: a binary mask to fill and label, or
/// a label image used as is.
#[derive(Debug, Clone, PartialEq)]
pub enum CellImage {
    /// A binary cell mask (`true` = cell pixel).
    Mask(Image<bool>),
    /// An already-labelled image (Cellpose, Xenium, CosMx).
    Labels(LabelImage),
}

impl CellImage {
    /// Decodes a mask or label image file's bytes (`.npy`, PNG or TIFF,
    /// recognised by their first bytes) as `kind` says.
    ///
    /// ```
    /// use cellmap::input::{CellImage, MaskKind};
    /// let npy = |values: &[f32]| cellmap_io::npy::encode(&[2, 2], values);
    /// let binary = CellImage::from_bytes(&npy(&[0.0, 255.0, 255.0, 0.0])?, "m.npy", MaskKind::Auto)?;
    /// assert!(matches!(binary, CellImage::Mask(_)));
    /// // whole-number floats with several ids: a label image (CosMx float32 label TIFFs)
    /// let labels = CellImage::from_bytes(&npy(&[0.0, 1.0, 2.0, 2.0])?, "l.npy", MaskKind::Auto)?;
    /// assert!(matches!(labels, CellImage::Labels(ref l) if l.n_cells() == 2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_bytes(bytes: &[u8], source: &str, kind: MaskKind) -> Result<Self, Error> {
        let array = cellmap_io::image::read_mask(bytes, source)?;
        CellImage::from_array(&array, source, kind)
    }

    /// Reads a mask or label image file (see [`CellImage::from_bytes`]).
    #[cfg(feature = "fs")]
    pub fn read(path: &std::path::Path, kind: MaskKind) -> Result<Self, Error> {
        let source = cellmap_io::fs::source_name(path);
        CellImage::from_array(&read_image_file(path)?, &source, kind)
    }

    /// Interprets a decoded 2-D array as `kind` says.
    pub fn from_array(array: &Array, source: &str, kind: MaskKind) -> Result<Self, Error> {
        let labelled = match kind {
            MaskKind::Binary => false,
            MaskKind::Labels => true,
            MaskKind::Auto => is_label_image(array.data()),
        };
        if labelled {
            Ok(CellImage::Labels(label_image(array, source)?))
        } else {
            Ok(CellImage::Mask(mask(array, source)?))
        }
    }

    /// [`MaskKind::Binary`] or [`MaskKind::Labels`]: what the file was taken for.
    pub fn kind(&self) -> MaskKind {
        match self {
            CellImage::Mask(_) => MaskKind::Binary,
            CellImage::Labels(_) => MaskKind::Labels,
        }
    }

    /// Columns.
    pub fn width(&self) -> usize {
        match self {
            CellImage::Mask(m) => m.width(),
            CellImage::Labels(l) => l.width(),
        }
    }

    /// Rows.
    pub fn height(&self) -> usize {
        match self {
            CellImage::Mask(m) => m.height(),
            CellImage::Labels(l) => l.height(),
        }
    }
}

/// Reads a binary mask file: any nonzero pixel is a cell pixel.
#[cfg(feature = "fs")]
pub fn read_mask(path: &std::path::Path) -> Result<Image<bool>, Error> {
    mask(&read_image_file(path)?, &cellmap_io::fs::source_name(path))
}

#[cfg(feature = "fs")]
fn read_image_file(path: &std::path::Path) -> Result<Array, Error> {
    Ok(cellmap_io::fs::read_mask(path, &cellmap_io::Limits::default())?)
}

/// `(height, width)` of a 2-D array, or an error naming `source`.
fn dims(array: &Array, source: &str, what: &str) -> Result<(usize, usize), Error> {
    Ok(array.dims_2d(source, what)?)
}

/// The cell pixels of a mask array: nonzero values ([`MaskValue`]: NaN
/// counts, `-0.0` does not).
fn mask(array: &Array, source: &str) -> Result<Image<bool>, Error> {
    let (height, width) = dims(array, source, "mask")?;
    let what = || format!("{source}: mask of {width}×{height} pixels");
    budget(what, array.data().len() as u128, size_of::<bool>())?;
    let data = foreground(array.data())
        .ok_or_else(|| Error::input(format!("{source}: a mask must hold numbers, not strings")))?;
    Image::new(width, height, data).map_err(|e| e.context(source))
}

/// `true` where an element is foreground; `None` for strings.
///
/// ```
/// use cellmap::input::foreground;
/// use cellmap_io::npy::ArrayData;
/// // . # # .
/// assert_eq!(foreground(&ArrayData::F32(vec![0.0, 255.0, f32::NAN, -0.0])), Some(vec![false, true, true, false]));
/// ```
pub fn foreground(data: &ArrayData) -> Option<Vec<bool>> {
    fn fg<T: MaskValue>(values: &[T]) -> Vec<bool> {
        values.iter().map(|&v| v.is_foreground()).collect()
    }
    Some(match data {
        ArrayData::Bool(v) => v.clone(),
        ArrayData::I8(v) => fg(v),
        ArrayData::U8(v) => fg(v),
        ArrayData::I16(v) => fg(v),
        ArrayData::U16(v) => fg(v),
        ArrayData::I32(v) => fg(v),
        ArrayData::U32(v) => fg(v),
        ArrayData::I64(v) => fg(v),
        ArrayData::U64(v) => fg(v),
        ArrayData::F32(v) => fg(v),
        ArrayData::F64(v) => fg(v),
        ArrayData::Str(_) => return None,
    })
}

/// The [`MaskKind::Auto`] rule: whole numbers `≥ 0` with at least two
/// distinct nonzero values.
///
/// ```
/// use cellmap::input::is_label_image;
/// use cellmap_io::npy::ArrayData;
/// assert!(is_label_image(&ArrayData::U16(vec![0, 1, 1, 2])));      // two cells
/// assert!(!is_label_image(&ArrayData::U8(vec![0, 255, 255, 0])));  // binary
/// assert!(is_label_image(&ArrayData::F32(vec![0.0, 1.0, 2.0])));   // whole-number floats
/// assert!(!is_label_image(&ArrayData::F32(vec![0.0, 1.0, 2.5])));  // an intensity image
/// assert!(!is_label_image(&ArrayData::I16(vec![0, -1, 2])));       // a negative value
/// ```
pub fn is_label_image(data: &ArrayData) -> bool {
    /// Two distinct nonzero values, every value `ok`.
    fn several<T: Copy + PartialEq + Default>(values: &[T], ok: impl Fn(T) -> bool) -> bool {
        let mut first = None;
        let mut several = false;
        for &v in values {
            if !ok(v) {
                return false;
            }
            if v != T::default() {
                match first {
                    None => first = Some(v),
                    Some(f) => several |= f != v,
                }
            }
        }
        several
    }
    let whole = |v: f64| v >= 0.0 && v.fract() == 0.0 && v <= i32::MAX as f64;
    match data {
        ArrayData::I8(v) => several(v, |x| x >= 0),
        ArrayData::U8(v) => several(v, |_| true),
        ArrayData::I16(v) => several(v, |x| x >= 0),
        ArrayData::U16(v) => several(v, |_| true),
        ArrayData::I32(v) => several(v, |x| x >= 0),
        ArrayData::U32(v) => several(v, |_| true),
        ArrayData::I64(v) => several(v, |x| x >= 0),
        ArrayData::U64(v) => several(v, |_| true),
        ArrayData::F32(v) => several(v, |x| whole(f64::from(x))),
        ArrayData::F64(v) => several(v, whole),
        ArrayData::Bool(_) | ArrayData::Str(_) => false,
    }
}

/// An array as a label image (integers, bool, or whole-number floats),
/// validated against [`max_label_id`].
/// [`label_image`] of an array read for it: an `int32` one is validated where it is (no copy: a
/// whole slide's labels are gigabytes), any other is converted.
fn label_image_owned(array: Array, source: &str) -> Result<LabelImage, Error> {
    if !matches!(array.data(), ArrayData::I32(_)) {
        return label_image(&array, source);
    }
    let (height, width) = dims(&array, source, "label image")?;
    let (_, ArrayData::I32(values)) = array.into_parts() else {
        return Err(Error::input(format!("{source}: a label image of int32 expected")));
    };
    let max = max_label_id(values.len());
    if let Some(&bad) = values.iter().find(|&&v| v < 0 || v as usize > max) {
        return Err(label_range_error(source, max, u128::try_from(bad).ok()));
    }
    let labels = Image::new(width, height, values).map_err(|e| e.context(source))?;
    LabelImage::new(labels).map_err(|e| e.context(source))
}

/// "`source`: label image holds id N (or a negative id), outside 0..=`max` …".
fn label_range_error(source: &str, max: usize, label: Option<u128>) -> Error {
    let shown = label.map_or_else(|| "a negative id".to_string(), |l| format!("id {l}"));
    Error::input(format!(
        "{source}: label image holds {shown}, outside 0..={} (one table row per id up to the largest, \
         at most max(pixels, 65535) = {}); relabel it to 1..N first",
        grouped(max),
        grouped(max)
    ))
}

fn label_image(array: &Array, source: &str) -> Result<LabelImage, Error> {
    let (height, width) = dims(array, source, "label image")?;
    let pixels = array.data().len();
    budget(|| format!("{source}: label image of {width}×{height} pixels"), pixels as u128, size_of::<i32>())?;
    let max = max_label_id(pixels);
    let out_of_range = |label: Option<u128>| label_range_error(source, max, label);
    fn narrow<T: Copy>(
        values: &[T],
        max: usize,
        bad: impl Fn(Option<u128>) -> Error,
    ) -> Result<Vec<i32>, Error>
    where
        i128: From<T>,
    {
        values
            .iter()
            .map(|&v| {
                let wide = i128::from(v);
                if wide < 0 {
                    Err(bad(None))
                } else if wide > max as i128 {
                    Err(bad(Some(wide as u128)))
                } else {
                    Ok(wide as i32)
                }
            })
            .collect()
    }
    fn whole<T: Copy + Into<f64>>(
        values: &[T],
        max: usize,
        source: &str,
        bad: impl Fn(Option<u128>) -> Error,
    ) -> Result<Vec<i32>, Error> {
        values
            .iter()
            .map(|&v| {
                let v: f64 = v.into();
                if v.is_nan() || v.fract() != 0.0 {
                    Err(Error::input(format!(
                        "{source}: a label image must hold whole numbers, found {v}; is this an intensity image? \
                         (use it as a binary mask with --mask-kind binary)"
                    )))
                } else if v < 0.0 {
                    Err(bad(None))
                } else if v > max as f64 {
                    Err(bad(Some(v as u128)))
                } else {
                    Ok(v as i32)
                }
            })
            .collect()
    }
    let labels: Vec<i32> = match array.data() {
        ArrayData::Bool(v) => v.iter().map(|&b| i32::from(b)).collect(),
        ArrayData::I8(v) => narrow(v, max, out_of_range)?,
        ArrayData::U8(v) => narrow(v, max, out_of_range)?,
        ArrayData::I16(v) => narrow(v, max, out_of_range)?,
        ArrayData::U16(v) => narrow(v, max, out_of_range)?,
        ArrayData::I32(v) => narrow(v, max, out_of_range)?,
        ArrayData::U32(v) => narrow(v, max, out_of_range)?,
        ArrayData::I64(v) => narrow(v, max, out_of_range)?,
        ArrayData::U64(v) => narrow(v, max, out_of_range)?,
        ArrayData::F32(v) => whole(v, max, source, out_of_range)?,
        ArrayData::F64(v) => whole(v, max, source, out_of_range)?,
        ArrayData::Str(_) => {
            return Err(Error::input(format!("{source}: a label image must hold numbers, not strings")));
        }
    };
    let labels = Image::new(width, height, labels).map_err(|e| e.context(source))?;
    LabelImage::new(labels).map_err(|e| e.context(source))
}

/// A core label-range error in words.
fn label_error(error: cellmap_core::Error, max: usize) -> Error {
    match error {
        cellmap_core::Error::LabelOutOfRange { label, .. } if label == usize::MAX => {
            Error::input("label image holds a negative id".to_string())
        }
        cellmap_core::Error::LabelOutOfRange { label, .. } => Error::input(format!(
            "label image holds id {}, outside 0..={} (at most max(pixels, 65535)); relabel it to 1..N first",
            grouped(label),
            grouped(max)
        )),
        other => Error::core("label image", other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn array(shape: &[usize], data: ArrayData) -> Array {
        Array::new(shape.to_vec(), data, "t.npy").unwrap()
    }

    #[test]
    fn auto_takes_whole_number_floats_with_several_ids_as_labels() {
        // CosMx-style float32 label image: 67 ids would otherwise merge into fewer blobs
        let a = array(&[2, 3], ArrayData::F32(vec![1.0, 2.0, 0.0, 3.0, 3.0, 0.0]));
        let CellImage::Labels(l) = CellImage::from_array(&a, "t.tif", MaskKind::Auto).unwrap() else {
            panic!("not labels")
        };
        assert_eq!((l.n_cells(), l.labels().data()), (3, &[1, 2, 0, 3, 3, 0][..]));
    }

    #[test]
    fn auto_keeps_binary_and_intensity_images_as_masks() {
        for data in [
            ArrayData::U8(vec![0, 255, 255, 0]),
            ArrayData::F32(vec![0.0, 1.0, 1.0, 0.0]),
            ArrayData::F32(vec![0.0, 1.5, 2.0, 0.0]),
            ArrayData::F64(vec![0.0, f64::NAN, 2.0, 3.0]),
            ArrayData::Bool(vec![true, false, true, true]),
        ] {
            let a = array(&[2, 2], data.clone());
            assert!(
                matches!(CellImage::from_array(&a, "m", MaskKind::Auto).unwrap(), CellImage::Mask(_)),
                "{data:?}"
            );
        }
    }

    #[test]
    fn label_ids_follow_one_bound() {
        // 2×2 image: ids up to 65535 are fine, 65536 is not
        let ok = array(&[2, 2], ArrayData::U32(vec![65_535, 0, 1, 1]));
        assert!(CellImage::from_array(&ok, "l", MaskKind::Labels).is_ok());
        let too_big = array(&[2, 2], ArrayData::U32(vec![65_536, 0, 1, 1]));
        let e = CellImage::from_array(&too_big, "l.npy", MaskKind::Labels).unwrap_err();
        assert!(e.to_string().starts_with("l.npy: label image holds id 65536"), "{e}");
        let huge = array(&[1, 2], ArrayData::U64(vec![u64::MAX, 1]));
        let e = CellImage::from_array(&huge, "u.npy", MaskKind::Labels).unwrap_err();
        assert!(e.to_string().contains("id 18446744073709551615"), "{e}");
        let negative = array(&[1, 2], ArrayData::I16(vec![-3, 1]));
        let e = CellImage::from_array(&negative, "n.npy", MaskKind::Labels).unwrap_err();
        assert!(e.to_string().contains("negative"), "{e}");
    }

    #[test]
    fn fractional_label_values_are_refused_with_a_hint() {
        let a = array(&[1, 2], ArrayData::F32(vec![1.5, 1.0]));
        let e = CellImage::from_array(&a, "f.tif", MaskKind::Labels).unwrap_err();
        assert!(e.to_string().contains("whole numbers"), "{e}");
    }
}
