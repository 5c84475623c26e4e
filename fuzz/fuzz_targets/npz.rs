//! `.npz` archives and scipy CSR matrices: every member, then the CSR view
//! and its full validation.
#![no_main]

use cellmap_io::Limits;
use cellmap_io::npz::Npz;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_array_bytes: 64 << 20, ..Limits::default() };
    let Ok(mut npz) = Npz::new(std::io::Cursor::new(data), "fuzz.npz", limits) else { return };
    for name in npz.names() {
        if let Err(e) = npz.array(&name) {
            assert!(e.to_string().starts_with("fuzz.npz: "));
        }
    }
    match npz.csr() {
        Ok(csr) => {
            // The io check and the core's must agree on validity.
            assert_eq!(csr.validate().is_ok(), csr.view().is_ok());
            let _ = csr.check_mask_shape(4, 4);
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz.npz: ")),
    }
});
