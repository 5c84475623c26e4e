//! Bytes read range by range from wherever they are held: [`ReadAt`] and
//! its reader [`RangeReader`]. In the browser a file's bytes stay in JS
//! memory and only the ranges a decoder asks for are copied into wasm
//! memory.

use std::io::{self, Read, Seek, SeekFrom};

/// Bytes of a known length that can be read at any offset.
pub trait ReadAt {
    /// Number of bytes.
    fn len(&self) -> u64;

    /// `true` when there are no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Copies the bytes from `offset` into `buf`, as many as fit and are
    /// there; returns how many.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize;
}

impl ReadAt for &[u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize {
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(<[u8]>::len(self));
        let n = buf.len().min(<[u8]>::len(self) - start);
        buf[..n].copy_from_slice(&self[start..start + n]);
        n
    }
}

/// A `Read + Seek` over [`ReadAt`] bytes; clones share the bytes and keep
/// their own position.
///
/// ```
/// use std::io::{Read, Seek, SeekFrom};
/// let bytes: &[u8] = b"cellmap";
/// let mut reader = cellmap_io::ranges::RangeReader::new(&bytes);
/// reader.seek(SeekFrom::End(-3))?;
/// let mut tail = String::new();
/// reader.read_to_string(&mut tail)?;
/// assert_eq!(tail, "map");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct RangeReader<'a> {
    bytes: &'a dyn ReadAt,
    position: u64,
}

impl<'a> RangeReader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a dyn ReadAt) -> Self {
        Self { bytes, position: 0 }
    }
}

impl std::fmt::Debug for RangeReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RangeReader")
            .field("len", &self.bytes.len())
            .field("position", &self.position)
            .finish()
    }
}

impl Read for RangeReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = if self.position < self.bytes.len() { self.bytes.read_at(self.position, buf) } else { 0 };
        self.position += n as u64;
        Ok(n)
    }
}

impl Seek for RangeReader<'_> {
    fn seek(&mut self, position: SeekFrom) -> io::Result<u64> {
        let target = match position {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.bytes.len().checked_add_signed(d),
            SeekFrom::Current(d) => self.position.checked_add_signed(d),
        };
        self.position =
            target.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.position)
    }
}
