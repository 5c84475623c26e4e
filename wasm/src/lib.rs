//! # cellmap-wasm
//!
//! The WebAssembly package of cellmap: per-cell gene maps computed in the
//! browser tab. JS glue over the `cellmap` pipeline crate, nothing more: a
//! [`Session`] wraps one `cellmap::Session` (mask or label image, labels,
//! expression, per-cell values, RGBA pixels, all in wasm memory), JS reads
//! its buffers through zero-copy views, and every export that can fail
//! returns `Result<_, JsError>` with the pipeline's one-line message.
//!
//! The viewer's menus come from here too ([`stat_options`],
//! [`colormap_options`], [`scale_options`], [`connectivity_options`]): JS passes the names
//! back and Rust parses them, so the two sides never keep their own lists.
//!
//! The JS API (camelCase) is documented with a usage example in
//! `wasm/README.md`. Build with `scripts/build-wasm.sh` (wasm-pack,
//! `--target web`).

mod js_bytes;
mod memory;
mod progress;
mod session;

use cellmap::{CONNECTIVITIES, Colormap, Connectivity, Stat};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

pub use session::Session;

/// The per-cell statistics for a menu, in `cellmap::Stat::ALL` order: an
/// array of `{name, description}` (`{name: "mean", description: "mean of
/// nonzero values"}`, ...). Pass `name` to `Session.computeValues`.
#[wasm_bindgen(js_name = statOptions)]
pub fn stat_options() -> Result<Array, JsError> {
    Stat::ALL
        .iter()
        .map(|stat| {
            object(&[
                ("name", JsValue::from_str(stat.name())),
                ("description", JsValue::from_str(stat.description())),
            ])
        })
        .collect()
}

/// The colormap names for a menu (`["viridis", "magma", ...]`, matplotlib's
/// names, in `cellmap::Colormap::ALL` order). Pass one to `Session.paint`
/// or `colormapLut`.
#[wasm_bindgen(js_name = colormapOptions)]
pub fn colormap_options() -> Vec<String> {
    Colormap::ALL.iter().map(|c| c.name().to_string()).collect()
}

/// The colour-range kinds for a menu, an array of `{name, description}`
/// (`cellmap::RANGE_KINDS`: `"minmax"`, `"percentile"`, `"fixed"`). Pass
/// `name` to `Session.paint`.
#[wasm_bindgen(js_name = scaleOptions)]
pub fn scale_options() -> Result<Array, JsError> {
    cellmap::RANGE_KINDS
        .iter()
        .map(|(name, description)| {
            object(&[("name", JsValue::from_str(name)), ("description", JsValue::from_str(description))])
        })
        .collect()
}

/// Round ticks for a colour bar over the range `[lo, hi]` that
/// `Session.paint` returned (in log1p units when `log1p`): at most
/// `maxTicks` pairs `[value, position, value, position, ...]` in a
/// `Float64Array`, values in data units, positions 0 (first colour) to 1
/// (last colour). `cellmap::colorbar_ticks`.
#[wasm_bindgen(js_name = colorbarTicks)]
pub fn colorbar_ticks(lo: f64, hi: f64, log1p: bool, max_ticks: u32) -> Vec<f64> {
    cellmap::colorbar_ticks(lo, hi, log1p, max_ticks as usize)
        .iter()
        .flat_map(|t| [t.value, t.position])
        .collect()
}

/// The categorical palette (matplotlib's `tab20`) as RGBA bytes
/// (`Uint8Array` of 80): `Session.paintCellIds` paints label `l` in entry
/// `(l - 1) % 20`.
#[wasm_bindgen(js_name = categoricalPalette)]
pub fn categorical_palette() -> Vec<u8> {
    cellmap::CATEGORICAL.iter().flat_map(|&[r, g, b]| [r, g, b, 255]).collect()
}

/// The RGBA colour `Session.paintCellSlots` gives the categories past the 20 most common
/// (`cellmap::OTHER_CATEGORY_RGBA`).
#[wasm_bindgen(js_name = otherCategoryColor)]
pub fn other_category_color() -> Vec<u8> {
    cellmap::OTHER_CATEGORY_RGBA.to_vec()
}

/// The connectivity names for a menu: `["4", "8"]` (4 = edge neighbours,
/// scipy's default; 8 = edges and corners). Pass one to
/// `Session.setMaskOptions`.
#[wasm_bindgen(js_name = connectivityOptions)]
pub fn connectivity_options() -> Vec<String> {
    CONNECTIVITIES.iter().map(|(_, name)| name.to_string()).collect()
}

/// The 256 colours of colormap `name` as RGBA bytes (`Uint8Array` of
/// 1024), for a colour-bar legend.
#[wasm_bindgen(js_name = colormapLut)]
pub fn colormap_lut(name: &str) -> Result<Vec<u8>, JsError> {
    Ok(colormap(name)?.lut().iter().flat_map(|&[r, g, b]| [r, g, b, 255]).collect())
}

/// The RGBA colour `Session.paint` gives cells without a value
/// (`cellmap::NO_VALUE_RGBA`).
#[wasm_bindgen(js_name = noValueColor)]
pub fn no_value_color() -> Vec<u8> {
    cellmap::NO_VALUE_RGBA.to_vec()
}

/// The RGBA colour `Session.paint` gives background pixels
/// (`cellmap::BACKGROUND_RGBA`: transparent).
#[wasm_bindgen(js_name = backgroundColor)]
pub fn background_color() -> Vec<u8> {
    cellmap::BACKGROUND_RGBA.to_vec()
}

/// The optional reader a mask file needs, from its first bytes (4 KB are
/// plenty): `"tiff-images"` (a TIFF), `"seg-npy"` (Cellpose `_seg.npy`),
/// `"label-formats"` (scipy sparse `.npz`, Xenium `cells.zarr.zip`) or
/// `undefined` when
/// `Session.fromMask` reads it as is. For the former, load the readers module
/// (`pkg-readers/`, see `wasm/readers`) and pass its `labelImageToNpy` output
/// to `Session.fromMask`.
#[wasm_bindgen(js_name = maskReaderNeeded)]
pub fn mask_reader_needed(head: &[u8]) -> Option<String> {
    cellmap::input::missing_reader(head).map(str::to_string)
}

/// A label image file's ids as they are (`cellmap::LabelImage::from_bytes`, as `cellmap segeval`
/// reads its images: `.npy`, PNG or TIFF; other label formats through the readers module's
/// `labelImageToNpy` first): `{width, height, labels}`, `labels` an `Int32Array` row-major. No
/// labelling: a binary 0/255 mask is one cell, id 255. `fileName` names the file in errors.
#[wasm_bindgen(js_name = labelImage)]
pub fn label_image(bytes: &[u8], file_name: &str) -> Result<JsValue, JsError> {
    let labels = cellmap::LabelImage::from_bytes(bytes, file_name).map_err(js_error)?;
    let (width, height) = (labels.width(), labels.height());
    let data = js_sys::Int32Array::from(labels.labels().data());
    object(&[
        ("width", JsValue::from_f64(width as f64)),
        ("height", JsValue::from_f64(height as f64)),
        ("labels", data.into()),
    ])
}

/// The statistic called `name`, or an error listing the known names.
pub(crate) fn stat(name: &str) -> Result<Stat, JsError> {
    Stat::from_name(name).ok_or_else(|| unknown("statistic", name, Stat::ALL.map(Stat::name)))
}

/// The colormap called `name`, or an error listing the known names.
pub(crate) fn colormap(name: &str) -> Result<Colormap, JsError> {
    Colormap::from_name(name).ok_or_else(|| unknown("colormap", name, Colormap::ALL.map(Colormap::name)))
}

/// The connectivity called `name` (`"4"`, `"8"`), or an error listing them.
pub(crate) fn connectivity(name: &str) -> Result<Connectivity, JsError> {
    CONNECTIVITIES
        .iter()
        .find(|(_, n)| *n == name)
        .map(|&(c, _)| c)
        .ok_or_else(|| unknown("connectivity", name, CONNECTIVITIES.map(|(_, n)| n)))
}

/// The name of `connectivity` (`"4"`, `"8"`).
pub(crate) fn connectivity_name(connectivity: Connectivity) -> &'static str {
    CONNECTIVITIES.iter().find(|(c, _)| *c == connectivity).map_or("?", |(_, name)| name)
}

fn unknown<const N: usize>(what: &str, name: &str, known: [&str; N]) -> JsError {
    JsError::new(&format!("unknown {what} \"{name}\" (known: {})", known.join(", ")))
}

/// A plain JS object with these fields.
pub(crate) fn object(fields: &[(&str, JsValue)]) -> Result<JsValue, JsError> {
    let out = Object::new();
    for (key, value) in fields {
        Reflect::set(&out, &JsValue::from_str(key), value)
            .map_err(|_| JsError::new("could not build a JS object"))?;
    }
    Ok(out.into())
}

/// A pipeline error as a JS `Error` with the same one-line message.
pub(crate) fn js_error(error: cellmap::Error) -> JsError {
    JsError::new(&error.to_string())
}
