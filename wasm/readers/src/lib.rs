//! # cellmap-wasm-readers
//!
//! The viewer's optional readers module: the mask and label image formats
//! the main wasm package (`cellmap-wasm`) leaves out to stay within its size
//! budget — TIFF (integer or float, LZW/Deflate/PackBits), Cellpose
//! `_seg.npy`, scipy sparse `.npz` (COO/CSR/CSC) and Xenium `cells.zarr.zip`
//! — decoded here and handed back as plain `.npy` bytes.
//! The viewer loads this module only when `maskReaderNeeded` (main package)
//! says a dropped mask needs it, and passes the result to `Session.fromMask`,
//! so the pipeline's one label policy (the `auto` rule, the id bound, the
//! intensity warning) applies to these files exactly as to any `.npy`.
//!
//! ```js
//! import initReaders, { labelImageToNpy } from './pkg/readers/cellmap_wasm_readers.js';
//! if (maskReaderNeeded(bytes.subarray(0, 4096))) {
//!   await initReaders();
//!   bytes = labelImageToNpy(bytes, file.name);
//! }
//! const session = Session.fromMask(bytes, file.name);
//! ```

use cellmap_io::image::{MaskFormat, read_tiff};
use cellmap_io::labels::{is_zip, pickle, read_zip_labels};
use cellmap_io::{Error, ErrorKind, Limits};
use wasm_bindgen::prelude::*;

/// Decodes a mask or label image file the main package does not read —
/// TIFF, Cellpose `_seg.npy`, scipy sparse `.npz`, Xenium `cells.zarr.zip` —
/// into the bytes of a `.npy` file of the same shape and dtype. Errors are the readers'
/// one-line messages, naming `file_name`.
#[wasm_bindgen(js_name = labelImageToNpy)]
pub fn label_image_to_npy(bytes: Vec<u8>, file_name: &str) -> Result<Vec<u8>, JsError> {
    decode(bytes, file_name).map_err(|error| JsError::new(&error.to_string()))
}

fn decode(bytes: Vec<u8>, source: &str) -> Result<Vec<u8>, Error> {
    let limits = Limits::default();
    let array = if is_zip(&bytes) {
        read_zip_labels(&bytes, source, &limits)?
    } else if pickle::is_pickled_npy(&bytes) {
        pickle::read_seg_npy(&bytes, source, &limits)?
    } else if MaskFormat::sniff(&bytes) == Some(MaskFormat::Tiff) {
        read_tiff(&bytes, source, &limits)?
    } else {
        return Err(Error::new(
            source,
            ErrorKind::Header(
                "not a TIFF, Cellpose _seg.npy, scipy sparse .npz or cells.zarr.zip label image".into(),
            ),
        ));
    };
    drop(bytes);
    array.dims_2d(source, "label image")?;
    array.encode(source)
}

#[cfg(test)]
mod tests {
    use super::decode;
    use cellmap_io::npy;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/../../tests/fixtures/labels/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn every_label_format_becomes_the_generators_array() {
        let expected = npy::read(&fixture("expected_labels.npy"), "expected").unwrap();
        let expected = expected.data().to_f64().unwrap();
        for name in
            ["cellpose_seg.npy", "cellpose32_seg.npy", "labels_coo.npz", "labels_csc.npz", "cells.zarr.zip"]
        {
            let decoded = npy::read(&decode(fixture(name), name).unwrap(), name).unwrap();
            assert_eq!(decoded.shape(), &[40, 50], "{name}");
            assert_eq!(decoded.data().to_f64().unwrap(), expected, "{name}");
        }
    }

    #[test]
    fn files_of_the_main_package_and_damaged_ones_get_one_line_naming_them() {
        let png = decode(fixture("../wasm/labels_u16.png"), "labels.png").unwrap_err().to_string();
        assert!(png.starts_with("labels.png: ") && png.contains("not a TIFF, Cellpose _seg.npy"), "{png}");
        let truncated = decode(fixture("truncated_seg.npy"), "t_seg.npy").unwrap_err().to_string();
        assert!(truncated.starts_with("t_seg.npy: ") && !truncated.contains('\n'), "{truncated}");
    }
}
