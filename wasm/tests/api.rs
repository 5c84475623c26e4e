//! wasm-bindgen tests of the JS API. They run in node
//! (`cargo test -p cellmap-wasm --target wasm32-unknown-unknown --tests`) and,
//! with `WASM_BINDGEN_USE_BROWSER=1`, in headless Chromium; on the host they
//! count as 0 tests.
use cellmap_wasm::{Colormap, Connectivity, Stat};
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn enums_have_the_documented_js_values() {
    assert_eq!((Colormap::Viridis as u32, Colormap::Gray as u32), (0, 6));
    assert_eq!((Stat::Mean as u32, Stat::Max as u32), (0, 3));
    assert_eq!((Connectivity::Four as u32, Connectivity::Eight as u32), (0, 1));
}
