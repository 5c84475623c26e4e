//! The one error type of `cellmap-io`: it always names the file (or the
//! caller-given source name for in-memory bytes) and says what is wrong.

use std::fmt;

use crate::limits::capped_list;

/// A file that could not be read or written.
///
/// [`Display`](fmt::Display) gives `"<source>: <what is wrong>"`, or
/// `"<source>: member <name>: <what is wrong>"` for an archive member, e.g.
/// `st.npz: member indptr.npy: truncated data (expected 4194308 bytes, got 1000)`.
///
/// ```
/// use cellmap_io::{Error, ErrorKind};
/// let e = Error::new("mask.npy", ErrorKind::Shape("expected a 2-D mask, got shape (3, 1024, 1024)".into()));
/// assert_eq!(e.to_string(), "mask.npy: expected a 2-D mask, got shape (3, 1024, 1024)");
/// assert_eq!(e.source_name(), "mask.npy");
/// ```
#[derive(Debug)]
pub struct Error {
    source_name: String,
    member: Option<String>,
    kind: ErrorKind,
}

/// What is wrong, without the file name.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The operating system refused a read or write.
    Io(std::io::Error),
    /// The data ends before the header says it should.
    Truncated {
        /// Bytes the header declares.
        expected: u64,
        /// Bytes present.
        got: u64,
    },
    /// A malformed or unsupported header (npy header, PNG/TIFF header, CSV header).
    Header(String),
    /// A dtype the reader cannot turn into plain numbers (object arrays, complex, ...).
    UnsupportedDtype(String),
    /// An array or image of the wrong dimensionality or shape.
    Shape(String),
    /// A decompressed size above the configured [`Limits`](crate::Limits).
    LimitExceeded {
        /// What was limited.
        what: &'static str,
        /// Amount needed.
        needed: u64,
        /// Unit of `needed` and `limit` (`"bytes"`, `"records"`).
        unit: &'static str,
        /// The configured limit.
        limit: u64,
    },
    /// The zip container is malformed, or a member fails its CRC or deflate stream.
    Zip(String),
    /// A required archive member is absent.
    MissingMember {
        /// The member's name (e.g. `indptr.npy`).
        name: String,
        /// The members that are present.
        present: Vec<String>,
    },
    /// A scipy sparse matrix whose arrays disagree in length or shape.
    Sparse(String),
    /// A table column named in the options is not in the header.
    MissingColumn {
        /// The column asked for.
        name: String,
        /// The header's columns.
        available: Vec<String>,
    },
    /// A bad table record (not UTF-8, wrong field count, unparsable number).
    Record {
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
    /// A bad row of a Parquet table (wrong value, a cell that starts again).
    Row {
        /// 1-based row number, counted over the whole file.
        row: u64,
        /// What is wrong with it.
        message: String,
    },
    /// A table whose rows cannot give what was asked (no rows, none on the chosen plane).
    Table(String),
    /// A zarr store's metadata or chunk is not what the reader can read.
    Zarr(String),
    /// A PNG or TIFF decoder error, or an unsupported pixel format.
    Image(String),
    /// A core kernel rejected the data (see [`cellmap_core::Error`]).
    Core(cellmap_core::Error),
    /// The data would not fit in the [`MemoryBudget`](crate::MemoryBudget)
    /// (refused before allocating).
    OverBudget(Box<crate::limits::OverBudget>),
}

impl Error {
    /// An error about `source_name` (a path or a caller-given name for bytes).
    pub fn new(source_name: impl Into<String>, kind: ErrorKind) -> Self {
        Self { source_name: source_name.into(), member: None, kind }
    }

    /// The same error, located in archive member `member`.
    pub fn in_member(mut self, member: impl Into<String>) -> Self {
        self.member = Some(member.into());
        self
    }

    /// The file (or source name) the error is about.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// The archive member, if the error is inside one.
    pub fn member(&self) -> Option<&str> {
        self.member.as_deref()
    }

    /// What is wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.source_name)?;
        if let Some(member) = &self.member {
            write!(f, "member {member}: ")?;
        }
        fmt::Display::fmt(&self.kind, f)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Io(e) => write!(f, "{e}"),
            ErrorKind::Truncated { expected, got } => {
                write!(f, "truncated data (expected {expected} bytes, got {got})")
            }
            ErrorKind::Header(why) => write!(f, "bad header: {why}"),
            ErrorKind::UnsupportedDtype(why) => write!(f, "unsupported dtype: {why}"),
            ErrorKind::Shape(why) | ErrorKind::Sparse(why) | ErrorKind::Zip(why) | ErrorKind::Image(why) => {
                f.write_str(why)
            }
            ErrorKind::LimitExceeded { what, needed, unit, limit } => {
                write!(f, "{what} needs {needed} {unit}, above the limit of {limit} (raise it in Limits)")
            }
            ErrorKind::MissingMember { name, present } => {
                write!(f, "missing member {name} (members: {})", capped_list(present, 8))
            }
            ErrorKind::MissingColumn { name, available } => {
                write!(f, "missing column `{name}` (columns: {})", capped_list(available, 8))
            }
            ErrorKind::Record { line, message } => write!(f, "line {line}: {message}"),
            ErrorKind::Row { row, message } => write!(f, "row {row}: {message}"),
            ErrorKind::Table(why) | ErrorKind::Zarr(why) => f.write_str(why),
            ErrorKind::Core(e) => write!(f, "{e}"),
            ErrorKind::OverBudget(e) => write!(f, "{e}"),
        }
    }
}

/// No [`source`](std::error::Error::source): the message already ends with the operating
/// system's or the kernel's error (reach it with [`Error::kind`]), and a source would make
/// error reporters (`anyhow`'s `{:#}`, ...) say it twice, as in
/// `x: Is a directory (os error 21): Is a directory (os error 21)`.
///
/// ```
/// use std::error::Error as _;
/// let io = std::io::Error::from(std::io::ErrorKind::NotFound);
/// let e = cellmap_io::Error::new("x.npy", cellmap_io::ErrorKind::Io(io));
/// assert!(e.source().is_none());
/// assert!(matches!(e.kind(), cellmap_io::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::NotFound));
/// ```
impl std::error::Error for Error {}

/// `(3, 1024, 1024)` — a shape written as numpy prints it (at most 8
/// dimensions shown).
pub(crate) fn shape_string(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => format!("({})", capped_list(shape, 8)),
    }
}

/// `1048576` → `"1,048,576"`: numbers in messages, the way people read them.
///
/// ```
/// assert_eq!(cellmap_io::grouped(1_234_567), "1,234,567");
/// ```
pub fn grouped(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
