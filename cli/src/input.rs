//! Reading inputs with `cellmap-io` and turning them into the slices the core kernels take.
//! Every error names the file.

use std::path::Path;

use anyhow::{Context, Result, bail};
use cellmap_core::{Grid, MaskValue};
use cellmap_io::Limits;
use cellmap_io::npy::{Array, ArrayData};
use cellmap_io::npz::Csr;

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
        // `data.len() == width * height` holds by construction (see `from_array`).
        Grid::new(self.width, self.height, &self.data).expect("image dimensions checked on read")
    }

    fn from_parts(path: &Path, (height, width): (usize, usize), data: Vec<T>) -> Result<Self> {
        if data.len() != width * height {
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

fn foreground<T: MaskValue>(values: &[T]) -> Vec<bool> {
    values.iter().map(|&v| v.is_foreground()).collect()
}

/// Reads a cell mask (`.npy` of any numeric or bool dtype, `.png`, `.tif`): `true` = cell pixel.
pub fn read_mask(path: &Path) -> Result<Image<bool>> {
    let array = read_image(path)?;
    let shape = dims(path, &array, "mask")?;
    let data = match array.into_parts().1 {
        ArrayData::Bool(v) => v,
        ArrayData::U8(v) => foreground(&v),
        ArrayData::I8(v) => foreground(&v),
        ArrayData::U16(v) => foreground(&v),
        ArrayData::I16(v) => foreground(&v),
        ArrayData::U32(v) => foreground(&v),
        ArrayData::I32(v) => foreground(&v),
        ArrayData::U64(v) => foreground(&v),
        ArrayData::I64(v) => foreground(&v),
        ArrayData::F32(v) => foreground(&v),
        ArrayData::F64(v) => foreground(&v),
        other => {
            bail!("{}: a mask must be numeric or bool, got dtype {}", path.display(), other.dtype().name())
        }
    };
    Image::from_parts(path, shape, data)
}

/// Reads a label image (`.npy` of an integer or bool dtype, 16-bit PNG, 32-bit TIFF; 0 =
/// background) as int32 and returns it with its number of cells (the largest label).
pub fn read_labels(path: &Path) -> Result<(Image<i32>, usize)> {
    let array = read_image(path)?;
    let shape = dims(path, &array, "label image")?;
    fn narrow<T: Copy + TryInto<i32> + std::fmt::Display>(path: &Path, v: &[T]) -> Result<Vec<i32>> {
        v.iter()
            .map(|&x| {
                x.try_into().ok().filter(|l: &i32| *l >= 0).with_context(|| {
                    format!(
                        "{}: label {x} is outside 0..=2147483647 (labels must be non-negative int32)",
                        path.display()
                    )
                })
            })
            .collect()
    }
    let data = match array.into_parts().1 {
        ArrayData::I32(v) => narrow(path, &v)?,
        ArrayData::Bool(v) => v.into_iter().map(i32::from).collect(),
        ArrayData::U8(v) => v.into_iter().map(i32::from).collect(),
        ArrayData::U16(v) => v.into_iter().map(i32::from).collect(),
        ArrayData::I8(v) => narrow(path, &v)?,
        ArrayData::I16(v) => narrow(path, &v)?,
        ArrayData::U32(v) => narrow(path, &v)?,
        ArrayData::I64(v) => narrow(path, &v)?,
        ArrayData::U64(v) => narrow(path, &v)?,
        other => bail!("{}: labels must be integers, got dtype {}", path.display(), other.dtype().name()),
    };
    let image = Image::from_parts(path, shape, data)?;
    let cells = image.data.iter().copied().max().unwrap_or(0) as usize;
    // Per-cell tables have one row per label up to the largest: refuse sizes no image can need.
    if cells > image.data.len() {
        bail!(
            "{}: largest label {cells} exceeds the {} pixels of the image; relabel it to 1..N first",
            path.display(),
            image.data.len()
        );
    }
    Ok((image, cells))
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
