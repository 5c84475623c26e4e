//! [`JsChunks`]: an `io::Write` that hands what is written to a JS function in chunks, so that a
//! large export (a CSV of every cell, every transcript's cell) never sits whole in wasm memory.
//! Shared by the viewer's wasm modules `cellmap-wasm-exports` and `cellmap-wasm-tables`.

use std::io::{self, Write};

use js_sys::{Function, Uint8Array};
use wasm_bindgen::JsValue;

/// Bytes handed over per call.
pub const CHUNK: usize = 1 << 20;

/// Collects written bytes and calls `sink(Uint8Array)` with each full chunk of [`CHUNK`] bytes
/// (a copy: JS keeps it, e.g. as a `Blob` part) and with the rest on `flush`. A sink that throws
/// (it could not keep the chunk) is an out-of-memory error.
#[derive(Debug)]
pub struct JsChunks<'a> {
    sink: &'a Function,
    buffer: Vec<u8>,
}

impl<'a> JsChunks<'a> {
    /// A writer that hands its bytes to `sink`.
    pub fn new(sink: &'a Function) -> Self {
        JsChunks { sink, buffer: Vec::new() }
    }

    fn hand_over(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Uint8Array::from(&self.buffer[..]);
        self.buffer.clear();
        match self.sink.call1(&JsValue::NULL, &chunk) {
            Ok(_) => Ok(()),
            Err(_) => Err(io::ErrorKind::OutOfMemory.into()),
        }
    }
}

impl Write for JsChunks<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.hand_over()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.hand_over()
    }
}
