//! Masks and label images: PNG (8/16-bit grayscale, e.g. Cellpose
//! `*_cp_masks.png`), TIFF (8/16/32-bit, e.g. 32-bit label TIFFs as Xenium
//! Ranger accepts them), and `.npy`; plus PNG output for gene maps.
//!
//! Every reader returns a 2-D [`Array`] of shape `(height, width)`.

use std::io::{Cursor, Write};

use crate::error::{Error, ErrorKind};
use crate::limits::Limits;
use crate::npy::{self, Array, ArrayData};

/// The file format of a mask, recognised by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaskFormat {
    /// numpy `.npy`
    Npy,
    /// PNG
    Png,
    /// TIFF (classic or BigTIFF, either byte order)
    Tiff,
    /// A zip archive: scipy sparse `.npz` or zarr `cells.zarr.zip` (see [`crate::labels`])
    Zip,
}

impl MaskFormat {
    /// Detects the format from magic bytes.
    ///
    /// ```
    /// use cellmap_io::image::MaskFormat;
    /// assert_eq!(MaskFormat::sniff(b"\x89PNG\r\n\x1a\n..."), Some(MaskFormat::Png));
    /// assert_eq!(MaskFormat::sniff(b"II*\0...."), Some(MaskFormat::Tiff));
    /// assert_eq!(MaskFormat::sniff(b"\x93NUMPY\x01\x00"), Some(MaskFormat::Npy));
    /// assert_eq!(MaskFormat::sniff(b"hello"), None);
    /// ```
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x93NUMPY") {
            Some(MaskFormat::Npy)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(MaskFormat::Png)
        } else if [&b"II*\0"[..], b"MM\0*", b"II+\0", b"MM\0+"].iter().any(|m| bytes.starts_with(m)) {
            Some(MaskFormat::Tiff)
        } else if crate::labels::is_zip(bytes) {
            Some(MaskFormat::Zip)
        } else {
            None
        }
    }
}

/// What [`read_mask`] says of bytes in no format it knows.
pub const NOT_A_MASK: &str =
    "not a .npy, PNG, TIFF, Cellpose _seg.npy, scipy sparse .npz or zarr cells.zarr.zip file";

/// Reads a mask or label image (`.npy`, PNG, TIFF, Cellpose `_seg.npy`,
/// scipy sparse `.npz` or Xenium `cells.zarr.zip`, detected from the bytes;
/// see [`crate::labels`]) and checks that it is 2-D.
///
/// ```
/// use cellmap_io::{image, npy};
/// let mask = image::read_mask(&npy::encode(&[2, 3], &[0u8, 255, 0, 0, 255, 255])?, "mask.npy")?;
/// assert_eq!(mask.shape(), &[2, 3]);
/// let err = image::read_mask(&npy::encode(&[3, 1, 1], &[0u8; 3])?, "mask.npy").unwrap_err();
/// assert_eq!(err.to_string(), "mask.npy: expected a 2-D mask, got shape (3, 1, 1)");
/// let err = image::read_mask(b"GIF89a", "mask.gif").unwrap_err();
/// assert!(err.to_string().starts_with("mask.gif: bad header: not a .npy, PNG, TIFF"));
/// # Ok::<(), cellmap_io::Error>(())
/// ```
pub fn read_mask(bytes: &[u8], source: &str) -> Result<Array, Error> {
    read_mask_with_limits(bytes, source, &Limits::default())
}

/// [`read_mask`] with explicit [`Limits`].
pub fn read_mask_with_limits(bytes: &[u8], source: &str, limits: &Limits) -> Result<Array, Error> {
    let array = match MaskFormat::sniff(bytes) {
        Some(MaskFormat::Npy) if crate::labels::pickle::is_pickled_npy(bytes) => {
            crate::labels::pickle::read_seg_npy(bytes, source, limits)?
        }
        Some(MaskFormat::Npy) => npy::read_with_limits(bytes, source, limits)?,
        Some(MaskFormat::Png) => read_png(bytes, source, limits)?,
        Some(MaskFormat::Tiff) => read_tiff(bytes, source, limits)?,
        Some(MaskFormat::Zip) => crate::labels::read_zip_labels(bytes, source, limits)?,
        None => return Err(Error::new(source, ErrorKind::Header(NOT_A_MASK.into()))),
    };
    array.dims_2d(source, "mask")?;
    Ok(array)
}

/// Decodes a grayscale PNG (1/2/4/8-bit → `U8`, 16-bit → `U16`) into a
/// `(height, width)` array.
///
/// ```
/// use cellmap_io::{image, npy::ArrayData, Limits};
/// let mut png = Vec::new();
/// image::write_png_gray16(&mut png, 2, 1, &[0, 40000], "m.png")?;
/// let labels = image::read_png(&png, "m.png", &Limits::default())?;
/// assert_eq!(labels.shape(), &[1, 2]);
/// assert_eq!(labels.data(), &ArrayData::U16(vec![0, 40000]));
/// # Ok::<(), cellmap_io::Error>(())
/// ```
pub fn read_png(bytes: &[u8], source: &str, limits: &Limits) -> Result<Array, Error> {
    let image_error = |e: png::DecodingError| Error::new(source, ErrorKind::Image(format!("bad PNG: {e}")));
    let byte_limit = usize::try_from(limits.max_array_bytes).unwrap_or(usize::MAX);
    let mut decoder = png::Decoder::new_with_limits(Cursor::new(bytes), png::Limits { bytes: byte_limit });
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().map_err(image_error)?;
    let (width, height) = reader.info().size();
    if reader.info().color_type == png::ColorType::Indexed {
        return Err(Error::new(
            source,
            ErrorKind::Image(
                "a palette (indexed-colour) PNG; a mask or label image must be greyscale \
                 (8- or 16-bit grey, 0 = background)"
                    .into(),
            ),
        ));
    }
    let (color, depth) = reader.output_color_type();
    if !matches!(color, png::ColorType::Grayscale) {
        return Err(Error::new(
            source,
            ErrorKind::Image(format!("expected a grayscale mask or label PNG, got {color:?} pixels")),
        ));
    }
    let size = reader.output_buffer_size().ok_or_else(|| {
        Error::new(source, ErrorKind::Image(format!("PNG of {width}×{height} pixels is too large")))
    })?;
    // Never trust the header's dimensions alone: the pixels must fit in what
    // the compressed data can inflate to (zlib expands at most 1032:1).
    check_decoded_size(size as u64, bytes.len() as u64 * MAX_ZLIB_RATIO, source, limits)?;
    // The decoded rows, plus their 16-bit copy.
    let copies = if depth == png::BitDepth::Sixteen { 2 } else { 1 };
    check_budget(width, height, size as u128 * copies, "PNG", source, limits)?;
    let mut buffer = vec![0u8; size];
    let frame = reader.next_frame(&mut buffer).map_err(image_error)?;
    buffer.truncate(frame.buffer_size());
    let (height, width) = (height as usize, width as usize);
    let data = match depth {
        png::BitDepth::Sixteen => {
            ArrayData::U16(buffer.chunks_exact(2).map(|b| u16::from_be_bytes([b[0], b[1]])).collect())
        }
        _ => ArrayData::U8(buffer),
    };
    Array::new(vec![height, width], data, source)
}

/// Decodes a TIFF: refused in a build without the `tiff-images` feature
/// (the viewer's main wasm package, whose readers module decodes TIFFs).
#[cfg(not(feature = "tiff-images"))]
pub fn read_tiff(_bytes: &[u8], source: &str, _limits: &Limits) -> Result<Array, Error> {
    Err(Error::new(
        source,
        ErrorKind::Header(
            "a TIFF image: read by the cellmap CLI and the viewer's readers module, not by this build \
             (cellmap-io feature tiff-images)"
                .into(),
        ),
    ))
}

/// Decodes a single-page, single-channel TIFF (8/16/32/64-bit
/// integers or 32/64-bit floats; uncompressed, LZW, Deflate or PackBits)
/// into a `(height, width)` array.
#[cfg(feature = "tiff-images")]
pub fn read_tiff(bytes: &[u8], source: &str, limits: &Limits) -> Result<Array, Error> {
    let image_error = |e: tiff::TiffError| Error::new(source, ErrorKind::Image(format!("bad TIFF: {e}")));
    // TIFF codecs (LZW, Deflate, PackBits) expand at most ~4096:1, so a
    // small file cannot make the decoder allocate a huge buffer.
    let physical = (bytes.len() as u64).saturating_mul(MAX_TIFF_RATIO);
    let byte_limit = usize::try_from(limits.max_array_bytes.min(physical)).unwrap_or(usize::MAX);
    let mut tiff_limits = tiff::decoder::Limits::default();
    tiff_limits.decoding_buffer_size = byte_limit;
    tiff_limits.intermediate_buffer_size = byte_limit;
    let mut decoder =
        tiff::decoder::Decoder::new(Cursor::new(bytes)).map_err(image_error)?.with_limits(tiff_limits);
    let (width, height) = decoder.dimensions().map_err(image_error)?;
    let color = decoder.colortype().map_err(image_error)?;
    if !matches!(color, tiff::ColorType::Gray(_)) {
        return Err(Error::new(
            source,
            ErrorKind::Image(format!("expected a single-channel mask or label TIFF, got {color:?}")),
        ));
    }
    if decoder.more_images() {
        return Err(Error::new(
            source,
            ErrorKind::Shape("expected a 2-D mask, got a multi-page TIFF (a stack); save one page".into()),
        ));
    }
    let bits = match color {
        tiff::ColorType::Gray(bits) => bits,
        _ => 8,
    };
    if bits < 8 && !matches!(bits, 1 | 2 | 4) {
        // A sample of 3, 5, 6 or 7 bits straddles bytes; no mask writer makes one.
        return Err(Error::new(
            source,
            ErrorKind::Image(format!(
                "unsupported TIFF sample size ({bits} bits); use 1, 2, 4, 8, 16 or 32 bits"
            )),
        ));
    }
    // The decoded samples (whole bytes each), plus the packed rows of a
    // 1/2/4-bit image while they are unpacked.
    let pixels = u128::from(width) * u128::from(height);
    let decoded = pixels * u128::from(bits.div_ceil(8).max(1))
        + if bits < 8 { pixels.div_ceil(u128::from(8 / bits.max(1))) } else { 0 };
    check_budget(width, height, decoded, "TIFF", source, limits)?;
    use tiff::decoder::DecodingResult as D;
    let data = match decoder.read_image().map_err(image_error)? {
        D::U8(v) if bits < 8 => ArrayData::U8(unpack_bits(&v, width as usize, height as usize, bits)),
        D::U8(v) => ArrayData::U8(v),
        D::U16(v) => ArrayData::U16(v),
        D::U32(v) => ArrayData::U32(v),
        D::U64(v) => ArrayData::U64(v),
        D::I8(v) => ArrayData::I8(v),
        D::I16(v) => ArrayData::I16(v),
        D::I32(v) => ArrayData::I32(v),
        D::I64(v) => ArrayData::I64(v),
        D::F32(v) => ArrayData::F32(v),
        D::F64(v) => ArrayData::F64(v),
        _ => {
            return Err(Error::new(
                source,
                ErrorKind::Image(
                    "unsupported TIFF sample type (16-bit float); use integer or 32/64-bit float".into(),
                ),
            ));
        }
    };
    Array::new(vec![height as usize, width as usize], data, source).map_err(|_| {
        Error::new(
            source,
            ErrorKind::Image(format!(
                "TIFF pixel data does not fill {}",
                crate::error::shape_string(&[height as usize, width as usize])
            )),
        )
    })
}

/// Rows of `bits`-bit samples (1, 2 or 4; MSB first, each row padded to
/// a byte, as TIFF stores them) as one byte per pixel. Rows missing from
/// `packed` stay 0 (the size check that follows reports them).
#[cfg(feature = "tiff-images")]
fn unpack_bits(packed: &[u8], width: usize, height: usize, bits: u8) -> Vec<u8> {
    let bits = usize::from(bits.clamp(1, 8));
    let row_bytes = (width * bits).div_ceil(8);
    if row_bytes == 0 || packed.len() < row_bytes * height {
        return packed.to_vec(); // not a full image: Array::new rejects it
    }
    let mask = ((1u16 << bits) - 1) as u8;
    let mut out = Vec::with_capacity(width * height);
    for row in packed.chunks_exact(row_bytes).take(height) {
        out.extend((0..width).map(|x| {
            let bit = x * bits;
            (row[bit / 8] >> (8 - bits - bit % 8)) & mask
        }));
    }
    out
}

/// Checks the decoded pixels (`bytes`) of a `width × height` image
/// against the memory budget before decoding.
fn check_budget(
    width: u32,
    height: u32,
    bytes: u128,
    format: &str,
    source: &str,
    limits: &Limits,
) -> Result<(), Error> {
    let what = || format!("decoding a {width}×{height} {format}");
    limits.memory.check(what, bytes).map_err(|e| Error::new(source, ErrorKind::OverBudget(Box::new(e))))
}

/// The most a zlib stream can expand.
const MAX_ZLIB_RATIO: u64 = 1032;
/// A generous bound on TIFF codec expansion (LZW codes of up to 4096 bytes).
#[cfg(feature = "tiff-images")]
const MAX_TIFF_RATIO: u64 = 4096;

fn check_decoded_size(size: u64, physical: u64, source: &str, limits: &Limits) -> Result<(), Error> {
    if size > physical {
        return Err(Error::new(
            source,
            ErrorKind::Image(format!(
                "the header declares {size} bytes of pixels, more than the file's {} compressed bytes can hold",
                physical / MAX_ZLIB_RATIO
            )),
        ));
    }
    if size > limits.max_array_bytes {
        return Err(Error::new(
            source,
            ErrorKind::LimitExceeded {
                what: "image",
                needed: size,
                unit: "bytes",
                limit: limits.max_array_bytes,
            },
        ));
    }
    Ok(())
}

fn write_png(
    writer: impl Write,
    width: usize,
    height: usize,
    pixels: &[u8],
    color: png::ColorType,
    depth: png::BitDepth,
    dest: &str,
) -> Result<(), Error> {
    let image_error =
        |e: png::EncodingError| Error::new(dest, ErrorKind::Image(format!("cannot write PNG: {e}")));
    let (w, h) = match (u32::try_from(width), u32::try_from(height)) {
        (Ok(w), Ok(h)) if w > 0 && h > 0 => (w, h),
        _ => {
            return Err(Error::new(dest, ErrorKind::Image(format!("cannot write a {width}×{height} PNG"))));
        }
    };
    let mut encoder = png::Encoder::new(writer, w, h);
    encoder.set_color(color);
    encoder.set_depth(depth);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().map_err(image_error)?;
    writer.write_image_data(pixels).map_err(image_error)?;
    writer.finish().map_err(image_error)
}

/// Writes an RGBA image (4 bytes per pixel, row-major) as a PNG, e.g. a
/// gene map.
///
/// ```
/// let mut png = Vec::new();
/// cellmap_io::image::write_png_rgba(&mut png, 2, 1, &[255, 0, 0, 255, 0, 0, 255, 255], "map.png")?;
/// assert!(png.starts_with(b"\x89PNG"));
/// assert!(cellmap_io::image::write_png_rgba(&mut Vec::new(), 2, 2, &[0; 4], "map.png").is_err());
/// # Ok::<(), cellmap_io::Error>(())
/// ```
pub fn write_png_rgba(
    writer: impl Write,
    width: usize,
    height: usize,
    rgba: &[u8],
    dest: &str,
) -> Result<(), Error> {
    check_len(rgba.len(), width, height, 4, dest)?;
    write_png(writer, width, height, rgba, png::ColorType::Rgba, png::BitDepth::Eight, dest)
}

/// Writes an 8-bit grayscale PNG.
pub fn write_png_gray8(
    writer: impl Write,
    width: usize,
    height: usize,
    gray: &[u8],
    dest: &str,
) -> Result<(), Error> {
    check_len(gray.len(), width, height, 1, dest)?;
    write_png(writer, width, height, gray, png::ColorType::Grayscale, png::BitDepth::Eight, dest)
}

/// Writes a 16-bit grayscale PNG (e.g. a label image with < 65536 cells,
/// as Cellpose saves them).
pub fn write_png_gray16(
    writer: impl Write,
    width: usize,
    height: usize,
    gray: &[u16],
    dest: &str,
) -> Result<(), Error> {
    check_len(gray.len(), width, height, 1, dest)?;
    let bytes: Vec<u8> = gray.iter().flat_map(|v| v.to_be_bytes()).collect();
    write_png(writer, width, height, &bytes, png::ColorType::Grayscale, png::BitDepth::Sixteen, dest)
}

fn check_len(len: usize, width: usize, height: usize, channels: usize, dest: &str) -> Result<(), Error> {
    let needed = width.checked_mul(height).and_then(|n| n.checked_mul(channels));
    if needed != Some(len) {
        return Err(Error::new(
            dest,
            ErrorKind::Shape(format!(
                "a {width}×{height} image with {channels} channel(s) needs {} values, got {len}",
                width as u128 * height as u128 * channels as u128
            )),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_round_trips_8_and_16_bit() {
        let mut png8 = Vec::new();
        write_png_gray8(&mut png8, 3, 2, &[0, 1, 2, 3, 4, 255], "a.png").unwrap();
        let a = read_mask(&png8, "a.png").unwrap();
        assert_eq!(a.shape(), &[2, 3]);
        assert_eq!(a.data(), &ArrayData::U8(vec![0, 1, 2, 3, 4, 255]));
        let mut png16 = Vec::new();
        write_png_gray16(&mut png16, 1, 3, &[1, 256, 65535], "b.png").unwrap();
        assert_eq!(read_mask(&png16, "b.png").unwrap().data(), &ArrayData::U16(vec![1, 256, 65535]));
    }

    #[test]
    fn colour_pngs_and_corrupt_images_are_named() {
        let mut rgba = Vec::new();
        write_png_rgba(&mut rgba, 1, 1, &[1, 2, 3, 4], "c.png").unwrap();
        let err = read_mask(&rgba, "c.png").unwrap_err().to_string();
        assert_eq!(err, "c.png: expected a grayscale mask or label PNG, got Rgba pixels");
        let mut gray = Vec::new();
        write_png_gray8(&mut gray, 64, 64, &[7; 64 * 64], "g.png").unwrap();
        let err = read_mask(&gray[..gray.len() - 20], "c.png").unwrap_err().to_string();
        assert!(err.starts_with("c.png: bad PNG:"), "{err}");
        let err = read_mask(b"II*\0\x08\0\0\0\0\0", "d.tif").unwrap_err().to_string();
        assert!(err.starts_with("d.tif: bad TIFF:"), "{err}");
    }
}
