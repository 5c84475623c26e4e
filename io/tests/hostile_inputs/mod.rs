//! Builders of hostile inputs, made at test time in a few milliseconds and
//! a few MB (nothing large is committed): deflate streams that inflate to
//! gigabytes are made by repeating one independently compressed block, so
//! nothing big is ever compressed or held.
#![allow(dead_code)]

use std::io::Write;

use flate2::{Compress, Compression, FlushCompress};

/// `bytes` compressed by a fresh compressor: with `last`, a final block;
/// otherwise non-final blocks ending byte-aligned (full flush) that refer to
/// nothing before them, so copies can follow one another.
fn deflate_block(bytes: &[u8], last: bool) -> Vec<u8> {
    let mut c = Compress::new(Compression::best(), false);
    let mut out = Vec::with_capacity(bytes.len() / 100 + 1024);
    let flush = if last { FlushCompress::Finish } else { FlushCompress::Full };
    loop {
        out.reserve(64 << 10);
        let consumed = c.total_in() as usize;
        c.compress_vec(&bytes[consumed..], &mut out, flush).unwrap();
        if c.total_in() as usize == bytes.len() && out.len() < out.capacity() {
            return out;
        }
    }
}

/// A raw deflate stream of `prefix`, then `chunk` `times` times, then
/// `suffix`: it inflates to `prefix.len() + times × chunk.len() +
/// suffix.len()` bytes.
pub fn repeated_deflate(prefix: &[u8], chunk: &[u8], times: u64, suffix: &[u8]) -> Vec<u8> {
    let mut out = deflate_block(prefix, false);
    let block = deflate_block(chunk, false);
    for _ in 0..times {
        out.extend_from_slice(&block);
    }
    out.extend_from_slice(&deflate_block(suffix, true));
    out
}

/// A `.npy` header (format 1.0) for `shape` of `descr`.
pub fn npy_header(descr: &str, shape: &[u64]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(u64::to_string).collect();
    let shape = if dims.len() == 1 { format!("({},)", dims[0]) } else { format!("({})", dims.join(", ")) };
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let total = (10 + dict.len() + 1).div_ceil(64) * 64;
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&((total - 10) as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out
}

/// A small `.npy` array of little-endian values.
pub fn npy_i32(values: &[i32]) -> Vec<u8> {
    let mut out = npy_header("<i4", &[values.len() as u64]);
    values.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
    out
}

/// A small `.npy` array of int64.
pub fn npy_i64(values: &[i64]) -> Vec<u8> {
    let mut out = npy_header("<i8", &[values.len() as u64]);
    values.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
    out
}

/// scipy's `format` member: `b'csr'`.
pub fn npy_format_csr() -> Vec<u8> {
    let mut out = npy_header("|S3", &[]);
    out.extend_from_slice(b"csr");
    out
}

/// A zip member: its name and content.
pub enum Member {
    /// Stored as is.
    Stored(&'static str, Vec<u8>),
    /// `header`, then `zeros` zero bytes, deflated (CRC left 0: a reader
    /// must refuse it long before the CRC is checked).
    Zeros(&'static str, Vec<u8>, u64),
}

/// A zip archive (no ZIP64: every member below 4 GiB) written by hand, so
/// that deflated members can be made by repeating blocks.
pub fn zip(members: &[Member]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for member in members {
        let (name, method, crc, data, size) = match member {
            Member::Stored(name, bytes) => {
                let mut crc = flate2::Crc::new();
                crc.update(bytes);
                (*name, 0u16, crc.sum(), bytes.clone(), bytes.len() as u64)
            }
            Member::Zeros(name, header, zeros) => {
                let chunk = vec![0u8; 1 << 20];
                let (whole, rest) = (zeros >> 20, (zeros & ((1 << 20) - 1)) as usize);
                let data = repeated_deflate(header, &chunk, whole, &chunk[..rest]);
                (*name, 8, 0, data, header.len() as u64 + zeros)
            }
        };
        let size = u32::try_from(size).expect("members below 4 GiB");
        let offset = out.len() as u32;
        let fields = |out: &mut Vec<u8>| {
            out.extend_from_slice(&20u16.to_le_bytes()); // version needed
            out.extend_from_slice(&0u16.to_le_bytes()); // flags
            out.extend_from_slice(&method.to_le_bytes());
            out.extend_from_slice(&[0, 0, 0x21, 0]); // time, date
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&size.to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes()); // extra
        };
        out.extend_from_slice(b"PK\x03\x04");
        fields(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&data);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        fields(&mut central);
        central.extend_from_slice(&[0; 6]); // comment len, disk, internal attrs
        central.extend_from_slice(&0u32.to_le_bytes()); // external attrs
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let start = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&start.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A gzip stream of `prefix`, `chunk` × `times`, `suffix` (CRC left 0).
pub fn gzip_repeated(prefix: &[u8], chunk: &[u8], times: u64, suffix: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend_from_slice(&repeated_deflate(prefix, chunk, times, suffix));
    let size = (prefix.len() as u64 + chunk.len() as u64 * times + suffix.len() as u64) as u32;
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out
}

/// An 8-bit greyscale PNG of `width × height` zeros (checksums right
/// except the zlib Adler-32, which the decoder only sees at the end).
pub fn png_of_zeros(width: u32, height: u32) -> Vec<u8> {
    let row = vec![0u8; width as usize + 1]; // filter byte + pixels
    let mut idat = vec![0x78, 0xda];
    idat.extend_from_slice(&repeated_deflate(&[], &row, u64::from(height), &[]));
    idat.extend_from_slice(&1u32.to_be_bytes()); // Adler-32 of nothing, wrong here
    let chunk = |out: &mut Vec<u8>, kind: &[u8], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    };
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &idat);
    chunk(&mut png, b"IEND", &[]);
    png
}

/// Writes `bytes` to `path`.
pub fn write(path: &std::path::Path, bytes: &[u8]) {
    std::fs::File::create(path).and_then(|mut f| f.write_all(bytes)).unwrap();
}
