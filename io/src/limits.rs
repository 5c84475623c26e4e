//! Caps on what a reader may allocate, so a malformed or malicious file
//! cannot exhaust memory.

/// Size limits for readers.
///
/// Readers never trust a header alone: an array's declared size must also
/// fit in the bytes that are physically there (the rest of the buffer or
/// file, a stored member's size, or 1032 × a deflated member's compressed
/// size, the most deflate can expand), and below these limits.
///
/// ```
/// let limits = cellmap_io::Limits { max_array_bytes: 1 << 20, ..Default::default() };
/// assert_eq!(limits.max_records, cellmap_io::Limits::default().max_records);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest decoded array (`.npy`, `.npz` member, image), in bytes.
    /// Default: 16 GiB on 64-bit targets, 1 GiB on 32-bit ones (wasm32).
    pub max_array_bytes: u64,
    /// Largest number of records read from a transcript table.
    /// Default: 2^31 (≈ 24 GB of points + gene ids).
    pub max_records: u64,
}

impl Default for Limits {
    fn default() -> Self {
        let max_array_bytes = if cfg!(target_pointer_width = "64") { 16 << 30 } else { 1 << 30 };
        Self { max_array_bytes, max_records: 1 << 31 }
    }
}
