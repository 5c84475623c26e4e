//! Support of `tests/robustness.rs`: the `cellmap` binary run under a memory and a time limit,
//! and hostile inputs made at test time (nothing large is committed). A deflate stream of N
//! repeated bytes is built from one compressed 1 MiB chunk repeated, so a member that inflates
//! to 4 GB costs a few MB and milliseconds to make.

#![allow(dead_code)] // each helper is used by some test of the suite

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Address-space cap of every run (`setrlimit(RLIMIT_AS)`): an input that makes cellmap
/// allocate more fails the run instead of the machine.
pub const MEMORY_LIMIT: u64 = 3 << 30;
/// Default wall-time limit of a run; then it is killed and the test fails as a hang.
pub const TIME_LIMIT: Duration = Duration::from_secs(20);

/// Where the child's stdout or stderr goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Into a file, read back into [`Outcome`].
    Captured,
    /// A pipe whose reading end is closed (`cellmap … | head -c0`): writes fail with EPIPE.
    BrokenPipe,
    /// The descriptor is closed in the child (`cellmap … >&-`).
    Closed,
}

/// A `cellmap` command line to run under the limits.
#[derive(Debug)]
pub struct Cellmap {
    args: Vec<OsString>,
    limit: Duration,
    stdout: Stream,
    stderr: Stream,
}

/// `cellmap ARGS…` (the binary under test).
pub fn cellmap<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> Cellmap {
    Cellmap {
        args: args.into_iter().map(|a| a.as_ref().to_owned()).collect(),
        limit: TIME_LIMIT,
        stdout: Stream::Captured,
        stderr: Stream::Captured,
    }
}

/// A pipe with its reading end already closed.
fn broken_pipe() -> OwnedFd {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into `fds`, which we then own.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2: {}", std::io::Error::last_os_error());
    // SAFETY: fresh descriptors from pipe2, owned once each.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(read);
    write
}

impl Cellmap {
    /// Kills the run after `seconds` (a hang fails the test, it does not stall the suite).
    pub fn limit(mut self, seconds: f64) -> Self {
        self.limit = Duration::from_secs_f64(seconds);
        self
    }

    pub fn stdout(mut self, stream: Stream) -> Self {
        self.stdout = stream;
        self
    }

    pub fn stderr(mut self, stream: Stream) -> Self {
        self.stderr = stream;
        self
    }

    /// Starts the process (stdin is /dev/null).
    pub fn start(self) -> Running {
        let shown = format!(
            "cellmap {}",
            self.args.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" ")
        );
        let mut command = Command::new(env!("CARGO_BIN_EXE_cellmap"));
        command.args(&self.args).stdin(Stdio::null());
        let captured = |stream: Stream| -> (Stdio, Option<File>) {
            match stream {
                Stream::Captured => {
                    let file = tempfile::tempfile().expect("temporary file for output");
                    (Stdio::from(file.try_clone().expect("dup")), Some(file))
                }
                Stream::BrokenPipe => (Stdio::from(broken_pipe()), None),
                Stream::Closed => (Stdio::inherit(), None),
            }
        };
        let (out_stdio, out) = captured(self.stdout);
        let (err_stdio, err) = captured(self.stderr);
        command.stdout(out_stdio).stderr(err_stdio);
        let (close_out, close_err) = (self.stdout == Stream::Closed, self.stderr == Stream::Closed);
        // SAFETY: only async-signal-safe calls (setrlimit, close) between fork and exec.
        unsafe {
            command.pre_exec(move || {
                let cap = libc::rlimit { rlim_cur: MEMORY_LIMIT, rlim_max: MEMORY_LIMIT };
                if libc::setrlimit(libc::RLIMIT_AS, &cap) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                let no_core = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
                libc::setrlimit(libc::RLIMIT_CORE, &no_core);
                if close_out {
                    libc::close(1);
                }
                if close_err {
                    libc::close(2);
                }
                Ok(())
            });
        }
        let child = command.spawn().expect("cellmap starts");
        Running { child, started: Instant::now(), limit: self.limit, out, err, max_threads: 0, shown }
    }

    /// Runs to completion (or to the time limit).
    pub fn run(self) -> Outcome {
        self.start().wait()
    }
}

/// A started `cellmap` process.
#[derive(Debug)]
pub struct Running {
    child: Child,
    started: Instant,
    limit: Duration,
    out: Option<File>,
    err: Option<File>,
    max_threads: usize,
    shown: String,
}

/// `Threads:` of /proc/<pid>/status (0 once the process is gone).
pub fn threads_of(pid: u32) -> usize {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("Threads:").and_then(|n| n.trim().parse().ok())))
        .unwrap_or(0)
}

fn read_back(file: Option<File>) -> String {
    let Some(mut file) = file else { return String::new() };
    let mut bytes = Vec::new();
    file.rewind().and_then(|()| file.read_to_end(&mut bytes)).expect("read captured output");
    String::from_utf8_lossy(&bytes).into_owned()
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// SIGKILL, as an out-of-memory killer or a power cut would end it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
    }

    /// Waits for the exit, sampling the thread count; kills the process at the time limit.
    pub fn wait(mut self) -> Outcome {
        let mut timed_out = false;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for cellmap") {
                break status;
            }
            self.max_threads = self.max_threads.max(threads_of(self.child.id()));
            if self.started.elapsed() > self.limit {
                timed_out = true;
                let _ = self.child.kill();
                break self.child.wait().expect("wait for killed cellmap");
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        Outcome {
            shown: self.shown,
            code: status.code(),
            signal: status.signal(),
            stdout: read_back(self.out),
            stderr: read_back(self.err),
            elapsed: self.started.elapsed(),
            timed_out,
            max_threads: self.max_threads,
        }
    }
}

/// How a run ended.
#[derive(Debug)]
pub struct Outcome {
    pub shown: String,
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    pub timed_out: bool,
    pub max_threads: usize,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let clip = |s: &str| -> String {
            if s.len() > 1500 {
                let cut = (0..=1500).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
                format!("{}… ({} bytes)", &s[..cut], s.len())
            } else {
                s.to_string()
            }
        };
        write!(
            f,
            "`{}`: exit code {:?}, signal {:?}{}, {:.2} s, max threads {}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.shown,
            self.code,
            self.signal,
            if self.timed_out { " (KILLED AT THE TIME LIMIT: a hang)" } else { "" },
            self.elapsed.as_secs_f64(),
            self.max_threads,
            clip(&self.stdout),
            clip(&self.stderr)
        )
    }
}

impl Outcome {
    /// Ended on its own within the time limit: no signal death (abort, segfault, kill), no
    /// panic (exit code 101 or "panicked" on stderr), no failed allocation message.
    #[track_caller]
    pub fn no_crash(&self) -> &Self {
        assert!(!self.timed_out, "hang: {self}");
        assert_eq!(self.signal, None, "killed by a signal (abort?): {self}");
        assert_ne!(self.code, Some(101), "panic: {self}");
        assert!(!self.stderr.contains("panicked"), "panic: {self}");
        assert!(!self.stderr.contains("memory allocation of"), "allocation failure: {self}");
        self
    }

    /// [`no_crash`](Self::no_crash) and exit code `code`.
    #[track_caller]
    pub fn code(&self, code: i32) -> &Self {
        self.no_crash();
        assert_eq!(self.code, Some(code), "exit code: {self}");
        self
    }

    /// Finished within `seconds`.
    #[track_caller]
    pub fn within(&self, seconds: f64) -> &Self {
        assert!(self.elapsed.as_secs_f64() <= seconds, "took over {seconds} s: {self}");
        self
    }

    /// stderr contains `text`.
    #[track_caller]
    pub fn says(&self, text: &str) -> &Self {
        assert!(self.stderr.contains(text), "stderr should name `{text}`: {self}");
        self
    }

    /// One error message (a single line starting with `error`), under 1 KB in all.
    #[track_caller]
    pub fn one_short_error(&self) -> &Self {
        let errors = self.stderr.lines().filter(|l| l.trim_start().starts_with("error")).count();
        assert_eq!(errors, 1, "exactly one error line: {self}");
        assert!(self.stderr.len() < 1024, "message over 1 KB: {self}");
        self
    }
}

// ------------------------------------------------------------------ folders

/// A temporary folder under the target dir (large hostile inputs stay off a RAM /tmp).
pub fn workdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("robust-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir")
}

pub fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

/// Every file under `dir` with its bytes, by relative path.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("list folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap_or_default();
                out.insert(path.strip_prefix(dir).unwrap().to_path_buf(), bytes);
            }
        }
    }
    out
}

/// Hidden entries under `dir`, recursively: cellmap's temporaries (`.x.partial`, `.x.tmp`,
/// `.old.*`, `.cellmap-tmp.*`, …). The tests create no hidden names of their own.
pub fn leftovers(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_name().as_encoded_bytes().starts_with(b".") {
                found.push(path.clone());
            }
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(path);
            }
        }
    }
    found
}

#[track_caller]
pub fn assert_no_leftovers(dir: &Path) {
    let found = leftovers(dir);
    assert!(found.is_empty(), "temporaries left behind in {}: {found:?}", dir.display());
}

/// Writes `bytes` to `dir/name` and returns the path.
pub fn put(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    path
}

/// `cellmap demo` into `dir/name`, with 64×64 tiles unless told.
pub fn demo(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let mut args = vec!["demo", "-o", s(&path)];
    let defaults = ["--size", "64", "--genes", "12", "--tiles", "2"];
    for pair in defaults.chunks(2) {
        if !extra.contains(&pair[0]) {
            args.extend(pair);
        }
    }
    args.extend(extra);
    cellmap(&args).limit(120.0).run().code(0);
    path
}

// ------------------------------------------------------------------ npy

/// A `.npy` header (version 1.0) for `descr` and `shape`, padded to 64 bytes.
pub fn npy_header(descr: &str, shape: &[u64]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape = if dims.len() == 1 { format!("({},)", dims[0]) } else { format!("({})", dims.join(", ")) };
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + dict.len() + 1) % 64 != 0 {
        dict.push(' ');
    }
    dict.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((dict.len() as u16).to_le_bytes());
    out.extend(dict.as_bytes());
    out
}

/// A whole `.npy`: header and little-endian body.
pub fn npy(descr: &str, shape: &[u64], body: &[u8]) -> Vec<u8> {
    let mut out = npy_header(descr, shape);
    out.extend(body);
    out
}

pub fn le_i32(values: &[i32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

pub fn le_i64(values: &[i64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

pub fn le_f32(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// `L.npy` of the issue: a 64×64 int32 label image, 16 cells of 16×16 (ids 1..=16).
pub fn labels_64() -> Vec<u8> {
    let values: Vec<i32> = (0..64 * 64).map(|i: i32| (i / 64) / 16 * 4 + (i % 64) / 16 + 1).collect();
    npy("<i4", &[64, 64], &le_i32(&values))
}

/// A 64×64 int32 label image with 4096 cells (every pixel its own id).
pub fn labels_4096() -> Vec<u8> {
    let values: Vec<i32> = (1..=4096).collect();
    npy("<i4", &[64, 64], &le_i32(&values))
}

// ------------------------------------------------------------------ deflate, gzip, zlib, zip

/// A raw deflate stream being built segment by segment, with the CRC-32 and length of what
/// it inflates to.
pub struct Deflate {
    data: Vec<u8>,
    crc: crc32fast::Hasher,
    len: u64,
}

/// A finished raw deflate stream.
#[derive(Debug, Clone)]
pub struct Deflated {
    pub data: Vec<u8>,
    pub crc: u32,
    pub len: u64,
}

/// Compresses `bytes` as non-final deflate blocks ending on a byte boundary (sync flush), with
/// back-references only inside `bytes`: such segments can be concatenated.
fn segment(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("deflate");
    encoder.flush().expect("sync flush");
    std::mem::take(encoder.get_mut())
}

impl Default for Deflate {
    fn default() -> Self {
        Self::new()
    }
}

impl Deflate {
    pub fn new() -> Self {
        Self { data: Vec::new(), crc: crc32fast::Hasher::new(), len: 0 }
    }

    /// Appends `bytes`.
    pub fn bytes(mut self, bytes: &[u8]) -> Self {
        if !bytes.is_empty() {
            self.data.extend(segment(bytes));
            self.crc.update(bytes);
            self.len += bytes.len() as u64;
        }
        self
    }

    /// Appends `count` copies of `byte` (one compressed 1 MiB chunk, repeated).
    pub fn repeat(mut self, byte: u8, count: u64) -> Self {
        const CHUNK: u64 = 1 << 20;
        let chunk = vec![byte; CHUNK.min(count) as usize];
        if count >= CHUNK {
            let compressed = segment(&chunk);
            let mut chunk_crc = crc32fast::Hasher::new();
            chunk_crc.update(&chunk);
            for _ in 0..count / CHUNK {
                self.data.extend(&compressed);
                self.crc.combine(&chunk_crc);
            }
            self.len += count / CHUNK * CHUNK;
        }
        self.bytes(&chunk[..(count % CHUNK) as usize])
    }

    /// Ends the stream with an empty final block.
    pub fn finish(mut self) -> Deflated {
        self.data.extend([0x03, 0x00]);
        Deflated { data: self.data, crc: self.crc.finalize(), len: self.len }
    }
}

/// A gzip file around a raw deflate stream.
pub fn gzip(deflated: &Deflated) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend(&deflated.data);
    out.extend(deflated.crc.to_le_bytes());
    out.extend((deflated.len as u32).to_le_bytes());
    out
}

/// gzip of `text` (ordinary sizes).
pub fn gzip_bytes(text: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(text).expect("gzip");
    encoder.finish().expect("gzip")
}

/// A zip member, stored or deflated.
#[derive(Debug, Clone)]
pub struct Member {
    pub name: String,
    method: u16,
    data: Vec<u8>,
    crc: u32,
    size: u64,
}

impl Member {
    pub fn stored(name: &str, bytes: &[u8]) -> Self {
        Self {
            name: name.into(),
            method: 0,
            data: bytes.to_vec(),
            crc: crc32fast::hash(bytes),
            size: bytes.len() as u64,
        }
    }

    pub fn deflated(name: &str, bytes: &[u8]) -> Self {
        Self::from_deflate(name, Deflate::new().bytes(bytes).finish())
    }

    /// A deflated member from a prepared stream (its sizes must fit 32 bits: no zip64).
    pub fn from_deflate(name: &str, deflated: Deflated) -> Self {
        assert!(deflated.len <= u64::from(u32::MAX), "no zip64 here");
        Self { name: name.into(), method: 8, crc: deflated.crc, size: deflated.len, data: deflated.data }
    }
}

/// A zip archive of `members` (as numpy's savez writes one: local headers, central directory).
pub fn zip(members: &[Member]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for m in members {
        let offset = out.len() as u32;
        let (csize, usize_) = (m.data.len() as u32, m.size as u32);
        out.extend(0x0403_4b50u32.to_le_bytes());
        out.extend(20u16.to_le_bytes()); // version needed
        out.extend(0u16.to_le_bytes()); // flags
        out.extend(m.method.to_le_bytes());
        out.extend(0u16.to_le_bytes()); // time
        out.extend(0x21u16.to_le_bytes()); // date 1980-01-01
        out.extend(m.crc.to_le_bytes());
        out.extend(csize.to_le_bytes());
        out.extend(usize_.to_le_bytes());
        out.extend((m.name.len() as u16).to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out.extend(m.name.as_bytes());
        out.extend(&m.data);

        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend(20u16.to_le_bytes()); // version made by
        central.extend(20u16.to_le_bytes()); // version needed
        central.extend(0u16.to_le_bytes());
        central.extend(m.method.to_le_bytes());
        central.extend(0u16.to_le_bytes());
        central.extend(0x21u16.to_le_bytes());
        central.extend(m.crc.to_le_bytes());
        central.extend(csize.to_le_bytes());
        central.extend(usize_.to_le_bytes());
        central.extend((m.name.len() as u16).to_le_bytes());
        central.extend([0u8; 12]); // extra len, comment len, disk, internal attrs, external attrs
        central.extend(offset.to_le_bytes());
        central.extend(m.name.as_bytes());
    }
    let (cd_offset, cd_len) = (out.len() as u32, central.len() as u32);
    out.extend(central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]); // disk numbers
    out.extend((members.len() as u16).to_le_bytes());
    out.extend((members.len() as u16).to_le_bytes());
    out.extend(cd_len.to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// The members of a scipy `save_npz` CSR file except `data`, `indices` and `indptr`:
/// `format` (b'csr') and `shape` (int64 (rows, cols)).
pub fn csr_header_members(rows: i64, cols: i64) -> Vec<Member> {
    vec![
        Member::deflated("format.npy", &npy("|S3", &[], b"csr")),
        Member::deflated("shape.npy", &npy("<i8", &[2], &le_i64(&[rows, cols]))),
    ]
}

/// A scipy CSR `.npz` (deflated members) of the given arrays.
pub fn csr_npz(rows: i64, cols: i64, indptr: &[i32], indices: &[i32], data: &[f32]) -> Vec<u8> {
    let mut members = vec![
        Member::deflated("indices.npy", &npy("<i4", &[indices.len() as u64], &le_i32(indices))),
        Member::deflated("indptr.npy", &npy("<i4", &[indptr.len() as u64], &le_i32(indptr))),
    ];
    members.extend(csr_header_members(rows, cols));
    members.push(Member::deflated("data.npy", &npy("<f4", &[data.len() as u64], &le_f32(data))));
    zip(&members)
}

// ------------------------------------------------------------------ png

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], body: &[u8]) {
    out.extend((body.len() as u32).to_be_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(body);
    out.extend(kind);
    out.extend(body);
    out.extend(crc.finalize().to_be_bytes());
}

/// An 8-bit greyscale PNG of `side × side` zeros (the IDAT holds a repeated deflate chunk:
/// 40000² is ~1.6 MB on disk, 1.6 GB decoded).
pub fn png_zeros(side: u32) -> Vec<u8> {
    let raw = u64::from(side) * (u64::from(side) + 1); // a filter byte (0) before each row
    let deflated = Deflate::new().repeat(0, raw).finish();
    let mut zlib = vec![0x78, 0x01];
    zlib.extend(&deflated.data);
    let adler = (((raw % 65521) as u32) << 16) | 1; // Adler-32 of `raw` zero bytes
    zlib.extend(adler.to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(side.to_be_bytes());
    ihdr.extend(side.to_be_bytes());
    ihdr.extend([8, 0, 0, 0, 0]); // 8-bit, greyscale, deflate, adaptive filters, no interlace
    png_chunk(&mut out, b"IHDR", &ihdr);
    for part in zlib.chunks(1 << 20) {
        png_chunk(&mut out, b"IDAT", part);
    }
    png_chunk(&mut out, b"IEND", &[]);
    out
}
