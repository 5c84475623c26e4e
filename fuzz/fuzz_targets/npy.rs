//! `.npy` and mask readers (npy / PNG / TIFF sniffed from the bytes) must
//! return `Ok` or an `Err` naming the source — never panic or over-allocate.
#![no_main]

use cellmap_io::{Limits, image, npy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_array_bytes: 64 << 20, ..Limits::default() };
    match npy::read_with_limits(data, "fuzz.npy", &limits) {
        Ok(array) => {
            // Whatever parses must re-encode and read back identically.
            if let npy::ArrayData::F64(values) = array.data() {
                let bytes = npy::encode(array.shape(), values).expect("re-encode");
                let again = npy::read(&bytes, "again.npy").expect("read back");
                assert_eq!(again.shape(), array.shape());
            }
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz.npy: ")),
    }
    if let Err(e) = image::read_mask_with_limits(data, "fuzz.mask", &limits) {
        assert!(e.to_string().starts_with("fuzz.mask: "));
    }
});
