//! [`JsBytes`]: a file's bytes left in JS memory, read by range.

use cellmap::ranges::ReadAt;
use js_sys::Uint8Array;

/// A `Uint8Array` read range by range: each read copies just the bytes
/// asked for into wasm memory, so a large file is never held in wasm
/// memory whole (which never shrinks).
#[derive(Debug)]
pub(crate) struct JsBytes {
    bytes: Uint8Array,
    len: u32,
}

impl JsBytes {
    pub(crate) fn new(bytes: Uint8Array) -> Self {
        let len = bytes.length();
        Self { bytes, len }
    }
}

impl ReadAt for JsBytes {
    fn len(&self) -> u64 {
        u64::from(self.len)
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize {
        let start = u32::try_from(offset).unwrap_or(u32::MAX).min(self.len);
        let end = start.saturating_add(u32::try_from(buf.len()).unwrap_or(u32::MAX)).min(self.len);
        let n = (end - start) as usize;
        if n > 0 {
            self.bytes.subarray(start, end).copy_to(&mut buf[..n]);
        }
        n
    }
}
