//! Path-based readers (streaming from the file, no whole-file copy where it
//! matters) and atomic output writes. Feature `std-fs` (default).

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::Path;

use crate::error::{Error, ErrorKind};
use crate::image::{self, MaskFormat};
use crate::limits::Limits;
use crate::npy::{self, Array, Element};
use crate::npz::{Csr, Npz};
use crate::transcripts::Transcripts;

/// How a path is named in error messages.
pub fn source_name(path: &Path) -> String {
    path.display().to_string()
}

fn open(path: &Path) -> Result<(File, u64), Error> {
    let io = |e| Error::new(source_name(path), ErrorKind::Io(e));
    let file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    Ok((file, len))
}

/// Reads an `.npy` file straight into its typed `Vec` (the header's size is
/// checked against the file length before allocating).
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("labels.npy");
/// cellmap_io::fs::write_atomic(&path, |w| cellmap_io::npy::write(w, &[2], &[1i32, 2], "labels.npy"))?;
/// let labels = cellmap_io::fs::read_npy(&path, &Default::default())?;
/// assert_eq!(labels.shape(), &[2]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_npy(path: &Path, limits: &Limits) -> Result<Array, Error> {
    let source = source_name(path);
    let (file, len) = open(path)?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let header = npy::read_header(&mut reader, &source)?;
    let available = len.saturating_sub(header.data_offset as u64);
    npy::read_data(&mut reader, &header, available, &source, limits)
}

/// Opens an `.npz` archive (members are read on demand).
pub fn open_npz(path: &Path, limits: &Limits) -> Result<Npz<BufReader<File>>, Error> {
    let (file, _) = open(path)?;
    Npz::new(BufReader::with_capacity(1 << 18, file), &source_name(path), *limits)
}

/// Reads a scipy `save_npz` CSR matrix (see [`Npz::csr`]).
///
/// With the `parallel` feature, `data.npy` inflates on a second thread
/// (its own file handle) while `indptr` and `indices` inflate on this one:
/// about half the wall time for a large deflated matrix on an idle
/// machine. Leave it off when tiles already run in parallel.
pub fn read_csr(path: &Path, limits: &Limits) -> Result<Csr, Error> {
    #[cfg(feature = "parallel")]
    {
        // Every header first: nothing inflates before the members agree
        // and fit in the memory budget.
        let mut npz = open_npz(path, limits)?;
        npz.check_csr()?;
        std::thread::scope(|scope| {
            let data = scope.spawn(|| open_npz(path, limits)?.array("data"));
            npz.csr_with_data(|_| data.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
        })
    }
    #[cfg(not(feature = "parallel"))]
    {
        open_npz(path, limits)?.csr()
    }
}

/// Reads a mask or label image (`.npy`, PNG or TIFF, detected from the
/// first bytes) and checks that it is 2-D.
pub fn read_mask(path: &Path, limits: &Limits) -> Result<Array, Error> {
    let source = source_name(path);
    let (file, len) = open(path)?;
    // Enough of the file to tell an `.npy` array from a pickled one (Cellpose `_seg.npy`).
    let mut magic = [0u8; 1024];
    let got =
        npy::read_full(&mut &file, &mut magic).map_err(|e| Error::new(source.as_str(), ErrorKind::Io(e)))?;
    let array = match MaskFormat::sniff(&magic[..got]) {
        Some(MaskFormat::Npy) if !crate::labels::pickle::is_pickled_npy(&magic[..got]) => {
            read_npy(path, limits)?
        }
        Some(_) => {
            // Compressed images, pickles and zip archives: the decoders need
            // the file in memory (and bound their own output by `limits`).
            if len > limits.max_array_bytes {
                return Err(Error::new(
                    source,
                    ErrorKind::LimitExceeded {
                        what: "image file",
                        needed: len,
                        unit: "bytes",
                        limit: limits.max_array_bytes,
                    },
                ));
            }
            let bytes = std::fs::read(path).map_err(|e| Error::new(source.as_str(), ErrorKind::Io(e)))?;
            image::read_mask_with_limits(&bytes, &source, limits)?
        }
        None => return Err(Error::new(source, ErrorKind::Header(image::NOT_A_MASK.into()))),
    };
    array.dims_2d(&source_name(path), "mask")?;
    Ok(array)
}

/// Opens a file for streaming, transparently decompressing gzip (detected
/// by its magic bytes, whatever the file name).
pub fn open_maybe_gzip(path: &Path) -> Result<Box<dyn std::io::BufRead>, Error> {
    let source = source_name(path);
    let (file, _) = open(path)?;
    crate::transcripts::maybe_gunzip(BufReader::with_capacity(1 << 16, file), &source)
}

/// Writes `path` atomically: `write` fills a temporary file in the same
/// directory (named `.cellmap-tmp.<pid>.<random>.<name>.tmp`, see [`TEMP_PREFIX`]),
/// which is renamed over `path` only if `write` succeeds. On any
/// error the temporary file is removed, so no half-written output is left.
/// (No `fsync`: atomic against crashes of this process, not power loss.)
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("out.npy");
/// let failed = cellmap_io::fs::write_atomic(&path, |w| cellmap_io::npy::write(w, &[3], &[1u8], "out.npy"));
/// assert!(failed.is_err());
/// assert!(!path.exists());
/// assert_eq!(std::fs::read_dir(dir.path())?.count(), 0); // no temporary file left
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_atomic<T>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<T, Error>,
) -> Result<T, Error> {
    let (value, pending) = write_pending(path, write)?;
    pending.persist()?;
    Ok(value)
}

/// A complete output written under a temporary name next to its
/// destination, not yet in place: [`PendingFile::persist`] renames it there;
/// dropping it deletes it. Several of them make an all-or-nothing group of
/// outputs (persist them only once every one is written).
#[derive(Debug)]
pub struct PendingFile {
    temp: tempfile::TempPath,
    path: std::path::PathBuf,
}

impl PendingFile {
    /// The final destination.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the temporary file to its destination (replacing any file there).
    pub fn persist(self) -> Result<(), Error> {
        let path = self.path;
        self.temp.persist(&path).map_err(|e| Error::new(source_name(&path), ErrorKind::Io(e.error)))
    }

    /// Moves the temporary file to its destination only if nothing is there (atomically: an
    /// existing file, even one created a moment ago by another process, is never replaced; the
    /// error's kind is then `AlreadyExists`). On an error the temporary file is removed.
    pub fn persist_noclobber(self) -> Result<(), Error> {
        let path = self.path;
        self.temp.persist_noclobber(&path).map_err(|e| Error::new(source_name(&path), ErrorKind::Io(e.error)))
    }
}

/// The start of the name of every temporary file or folder cellmap creates:
/// `.cellmap-tmp.<pid>.<random>…` (see [`temp_prefix`]), so that a later run can
/// recognise the leftovers of a killed one, and tell whose they are.
pub const TEMP_PREFIX: &str = ".cellmap-tmp.";

/// This process's temporary prefix, `.cellmap-tmp.<pid>.` (a random part follows).
pub fn temp_prefix() -> String {
    format!("{TEMP_PREFIX}{}.", std::process::id())
}

/// The process id in a name made with [`temp_prefix`] (`None` for any other name).
///
/// ```
/// assert_eq!(cellmap_io::fs::temp_owner(".cellmap-tmp.42.aB3dE9.x.npy.tmp"), Some(42));
/// assert_eq!(cellmap_io::fs::temp_owner(".cellmap-tmp.x.npy"), None);
/// assert_eq!(cellmap_io::fs::temp_owner("notes.txt"), None);
/// ```
pub fn temp_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(TEMP_PREFIX)?;
    let (pid, random) = rest.split_once('.')?;
    if random.is_empty() || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// The first half of [`write_atomic`]: `write` fills a temporary file next
/// to `path` (removed on any error); the finished file is returned as a
/// [`PendingFile`], not yet renamed into place. `write`'s error type only
/// needs to hold this crate's errors (e.g. `anyhow::Error`).
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let (a, b) = (dir.path().join("a.npy"), dir.path().join("b.npy"));
/// let ((), pa) = cellmap_io::fs::write_pending(&a, |w| cellmap_io::npy::write(w, &[1], &[1u8], "a.npy"))?;
/// let ((), pb) = cellmap_io::fs::write_pending(&b, |w| cellmap_io::npy::write(w, &[1], &[2u8], "b.npy"))?;
/// assert!(!a.exists() && !b.exists());
/// pa.persist()?;
/// pb.persist()?;
/// assert!(a.exists() && b.exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_pending<T, E: From<Error>>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<T, E>,
) -> Result<(T, PendingFile), E> {
    let io = |e| Error::new(source_name(path), ErrorKind::Io(e));
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = tempfile::Builder::new()
        .prefix(&temp_prefix())
        .suffix(&format!(".{file_name}.tmp"))
        .tempfile_in(dir)
        .map_err(io)?;
    let (file, temp) = temp.into_parts();
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    let value = write(&mut writer)?;
    let file = writer.into_inner().map_err(|e| io(e.into_error()))?;
    set_output_permissions(&file).map_err(io)?;
    Ok((value, PendingFile { temp, path: path.to_path_buf() }))
}

/// Temporary files are created `0600`; outputs get the usual `0644`.
fn set_output_permissions(file: &File) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o644))
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        Ok(())
    }
}

/// Streams a transcript table (CSV, or gzip-compressed CSV detected by its
/// magic bytes) from `path`; see [`transcripts::read`](crate::transcripts::read).
pub fn read_transcripts(path: &Path, options: &crate::transcripts::Options) -> Result<Transcripts, Error> {
    #[cfg(feature = "parquet")]
    if is_parquet_file(path)? {
        let file = std::fs::File::open(path).map_err(|e| Error::new(source_name(path), ErrorKind::Io(e)))?;
        return crate::parquet::read(file, &source_name(path), options);
    }
    crate::transcripts::read(open_maybe_gzip(path)?, &source_name(path), options)
}

/// The column names of a transcript table file: a Parquet file's columns,
/// or a CSV/TSV (gzip or not) header line.
pub fn transcript_columns(path: &Path) -> Result<Vec<String>, Error> {
    #[cfg(feature = "parquet")]
    if is_parquet_file(path)? {
        let file = std::fs::File::open(path).map_err(|e| Error::new(source_name(path), ErrorKind::Io(e)))?;
        return crate::parquet::column_names(file, &source_name(path));
    }
    crate::transcripts::header_names(open_maybe_gzip(path)?, &source_name(path))
}

/// Writes `data` as an `.npy` array of `shape` at `path`, atomically
/// (see [`write_atomic`]).
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("labels.npy");
/// cellmap_io::fs::write_npy(&path, &[2, 2], &[0i32, 1, 1, 2])?;
/// let err = cellmap_io::fs::write_npy(&path, &[3, 2], &[0i32, 1]).unwrap_err();
/// assert!(err.to_string().ends_with("labels.npy: shape (3, 2) needs 6 elements, got 2"));
/// assert_eq!(cellmap_io::fs::read_npy(&path, &Default::default())?.shape(), &[2, 2]); // untouched
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_npy<T: Element>(path: &Path, shape: &[usize], data: &[T]) -> Result<(), Error> {
    write_atomic(path, |writer| npy::write(writer, shape, data, &source_name(path)))
}

/// `true` when the file starts with the Parquet magic `PAR1`.
#[cfg(feature = "parquet")]
fn is_parquet_file(path: &Path) -> Result<bool, Error> {
    use std::io::Read;
    let mut magic = [0u8; 4];
    let mut file = std::fs::File::open(path).map_err(|e| Error::new(source_name(path), ErrorKind::Io(e)))?;
    let n = file.read(&mut magic).map_err(|e| Error::new(source_name(path), ErrorKind::Io(e)))?;
    Ok(crate::parquet::is_parquet(&magic[..n]))
}
