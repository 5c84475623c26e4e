//! Reading inputs with `cellmap-io` and turning them into the slices the core kernels take.
//! Every error names the file.

use std::path::Path;

use anyhow::{Result, anyhow, bail};
use cellmap_core::{Error, Grid};
use cellmap_io::npy::{Array, ArrayData};
use cellmap_io::npz::Csr;
use cellmap_io::{ErrorKind, Limits};

use crate::args::MaskKindArg;

/// A row-major image owned by the CLI.
#[derive(Debug, Clone)]
pub struct Image<T> {
    pub width: usize,
    pub height: usize,
    pub data: Vec<T>,
}

impl<T> Image<T> {
    /// The core's validated view.
    pub fn grid(&self) -> Grid<'_, T> {
        // `data.len() == width * height` holds by construction (see `from_parts`).
        Grid::new(self.width, self.height, &self.data).expect("image dimensions checked on read")
    }

    fn from_parts(path: &Path, (height, width): (usize, usize), data: Vec<T>) -> Result<Self> {
        if cellmap_core::grid::pixel_count(width, height).ok() != Some(data.len()) {
            bail!("{}: {} values for a {height}×{width} image", path.display(), data.len());
        }
        Ok(Self { width, height, data })
    }
}

/// The file name as the io crate shows it in messages.
pub fn source(path: &Path) -> String {
    cellmap_io::fs::source_name(path)
}

/// Reads a `.npy`, PNG or TIFF image (detected from its first bytes).
fn read_image(path: &Path) -> Result<Array> {
    Ok(cellmap_io::fs::read_mask(path, &Limits::default())?)
}

/// Reads a `.npy` file.
fn read_npy(path: &Path) -> Result<Array> {
    Ok(cellmap_io::fs::read_npy(path, &Limits::default())?)
}

/// A 2-D array's `(height, width)`, or an error naming the file.
fn dims(path: &Path, array: &Array, what: &str) -> Result<(usize, usize)> {
    Ok(array.dims_2d(&source(path), what)?)
}

/// Reads a cell mask (`.npy` of any numeric or bool dtype, `.png`, `.tif`): `true` = cell pixel.
pub fn read_mask(path: &Path) -> Result<Image<bool>> {
    mask_from_array(path, read_image(path)?)
}

fn mask_from_array(path: &Path, array: Array) -> Result<Image<bool>> {
    let shape = dims(path, &array, "mask")?;
    let Some(data) = array.data().foreground() else {
        bail!("{}: a mask must be numeric or bool, got dtype {}", path.display(), array.data().dtype().name())
    };
    Image::from_parts(path, shape, data)
}

/// Reads a label image (`.npy` of an integer or bool dtype, 16-bit PNG, 32-bit TIFF; 0 =
/// background) as int32 and returns it with its number of cells (the largest label).
pub fn read_labels(path: &Path) -> Result<(Image<i32>, usize)> {
    let array = read_image(path)?;
    let labels = labels_from_array(path, array, "label image")?;
    Ok((labels.labels, labels.cells))
}

/// A label image used as is: int32 labels and the number of cells (the largest label; ids
/// with no pixel are empty cells).
#[derive(Debug)]
pub struct LabelImage {
    pub labels: Image<i32>,
    pub cells: usize,
}

impl LabelImage {
    /// The cell pixels (nonzero labels).
    pub fn foreground(&self) -> Image<bool> {
        let data = self.labels.data.iter().map(|&l| l != 0).collect();
        Image { width: self.labels.width, height: self.labels.height, data }
    }
}

/// A mask file as `label` and `run` use it.
#[derive(Debug)]
pub enum MaskInput {
    /// A binary cell mask, to fill and label.
    Binary(Image<bool>),
    /// An already-labelled image (Cellpose, Xenium Ranger), used as is.
    Labels(LabelImage),
}

/// Reads a mask (`.npy`, `.png`, `.tif`) as a binary mask or a label image, per `kind` (`auto`:
/// an integer image with more than one distinct nonzero value is a label image).
pub fn read_mask_input(path: &Path, kind: MaskKindArg) -> Result<MaskInput> {
    let array = read_image(path)?;
    let labelled = match kind {
        MaskKindArg::Binary => false,
        MaskKindArg::Labels => true,
        MaskKindArg::Auto => array.data().is_label_image(),
    };
    if labelled {
        Ok(MaskInput::Labels(labels_from_array(path, array, "label image")?))
    } else {
        Ok(MaskInput::Binary(mask_from_array(path, array)?))
    }
}

/// Integer (or bool) labels as int32, validated: `0..=pixels` (a larger label would need a
/// per-cell table bigger than any image can fill).
fn labels_from_array(path: &Path, array: Array, what: &str) -> Result<LabelImage> {
    let shape = dims(path, &array, what)?;
    let pixels = array.data().len();
    let (data, cells) = array.data().to_labels(pixels, &source(path)).map_err(|e| match e.kind() {
        ErrorKind::Core(Error::LabelOutOfRange { label, .. }) if *label != usize::MAX => anyhow!(
            "{e}: one table row per label up to the largest, and the image has only {pixels} pixels; \
             relabel it to 1..N first"
        ),
        // The message already holds the core error: do not chain it a second time.
        _ => anyhow!("{e}"),
    })?;
    Ok(LabelImage { labels: Image::from_parts(path, shape, data)?, cells })
}

/// Per-pixel values: one dense image, or a pixels × genes CSR matrix.
#[derive(Debug)]
pub enum Values {
    Dense(Image<f32>),
    Sparse(Csr),
}

/// Reads a dense float32 `.npy` image or a scipy CSR `.npz` (checked structurally).
pub fn read_values(path: &Path) -> Result<Values> {
    let is_npz = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("npz"));
    if is_npz {
        return Ok(Values::Sparse(read_csr(path)?));
    }
    let array = read_npy(path)?;
    let shape = dims(path, &array, "value image")?;
    let data = match array.into_parts().1 {
        ArrayData::F32(v) => v,
        ArrayData::U8(v) => v.into_iter().map(f32::from).collect(),
        ArrayData::I8(v) => v.into_iter().map(f32::from).collect(),
        ArrayData::U16(v) => v.into_iter().map(f32::from).collect(),
        ArrayData::I16(v) => v.into_iter().map(f32::from).collect(),
        ArrayData::Bool(v) => v.into_iter().map(|b| f32::from(u8::from(b))).collect(),
        other => bail!(
            "{}: values must be float32 (or 8/16-bit integers), got dtype {}; convert with .astype(np.float32)",
            path.display(),
            other.dtype().name()
        ),
    };
    Ok(Values::Dense(Image::from_parts(path, shape, data)?))
}

/// Reads and validates a scipy CSR `.npz` (lengths, monotone `indptr`, column range).
pub fn read_csr(path: &Path) -> Result<Csr> {
    let csr = cellmap_io::fs::read_csr(path, &Limits::default())?;
    csr.validate()?;
    Ok(csr)
}
