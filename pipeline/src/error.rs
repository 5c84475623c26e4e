//! The pipeline's error: one line a person can act on, naming the input.

use std::fmt;

/// What kind of problem an [`Error`] reports, so that front ends can pick an
/// exit code or a message style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input data is unusable (a file's content, a shape mismatch).
    Input,
    /// A caller's argument is invalid (a gene index out of range, a
    /// colour range with vmin > vmax).
    Argument,
    /// A buffer could not be allocated.
    OutOfMemory,
}

/// A pipeline error: its kind and a one-line message that names the file or
/// the step.
///
/// ```
/// use cellmap::{Error, ErrorKind};
/// let e = Error::argument("gene 7 does not exist: the expression has 5 genes");
/// assert_eq!((e.kind(), e.to_string().as_str()), (ErrorKind::Argument, "gene 7 does not exist: the expression has 5 genes"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    /// An [`ErrorKind::Input`] error.
    pub fn input(message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Input, message: message.into() }
    }

    /// An [`ErrorKind::Argument`] error.
    pub fn argument(message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Argument, message: message.into() }
    }

    /// An [`ErrorKind::OutOfMemory`] error.
    pub fn out_of_memory(message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::OutOfMemory, message: message.into() }
    }

    /// A core kernel's error in step `step` (e.g. `"labeling"`).
    pub fn core(step: &str, error: cellmap_core::Error) -> Self {
        Error::input(format!("{step}: {error}"))
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The same error with `prefix: ` in front of its message.
    pub fn context(self, prefix: impl fmt::Display) -> Self {
        Error { kind: self.kind, message: format!("{prefix}: {}", self.message) }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<cellmap_io::Error> for Error {
    fn from(error: cellmap_io::Error) -> Self {
        Error::input(error.to_string())
    }
}
