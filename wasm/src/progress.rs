//! Progress of long steps, posted to the page while wasm is busy: inside the
//! viewer's Web Worker the page's `message` handler receives
//! `{type: "progress", step, file, done, total}` (bytes of the file decoded
//! so far) while the call still runs. Elsewhere (node, the page itself)
//! there is nobody to tell and reports are dropped.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::DedicatedWorkerGlobalScope;

use crate::object;

/// A `progress(done, total)` callback for step `step` (`"decode"`) of
/// `file`, posting to the worker's page.
pub(crate) fn reporter(step: &'static str, file: &str) -> impl FnMut(u64, u64) + use<> {
    let scope = js_sys::global().dyn_into::<DedicatedWorkerGlobalScope>().ok();
    let file = JsValue::from_str(file);
    move |done, total| {
        let Some(scope) = &scope else { return };
        let message = object(&[
            ("type", JsValue::from_str("progress")),
            ("step", JsValue::from_str(step)),
            ("file", file.clone()),
            ("done", JsValue::from_f64(done as f64)),
            ("total", JsValue::from_f64(total as f64)),
        ]);
        // a report that cannot be posted is not worth failing the decode for
        if let Ok(message) = message {
            let _ = scope.post_message(&message);
        }
    }
}
