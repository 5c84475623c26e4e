//! Input files are read from regular files only: the readers open a file more than once (to
//! sniff its format, to inflate an archive's members in parallel) and size their buffers from
//! its length, so a pipe (`<(cat x.npy)`) would be misread and a FIFO with no writer would hang.

use std::path::Path;

use anyhow::{Result, bail};

/// Fails with a one-line message naming `path` when it is a directory, a FIFO, a socket or a
/// device. A path that cannot be examined (missing, no permission) is left to the reader,
/// whose message names the file too.
pub fn check_regular(path: &Path) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => bail!("{}: is a directory", path.display()),
        Ok(meta) if !meta.is_file() => {
            bail!("{}: not a regular file (a pipe?); save it to a file first", path.display())
        }
        _ => Ok(()),
    }
}

/// [`check_regular`] on every path.
pub fn check_all<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Result<()> {
    paths.into_iter().try_for_each(check_regular)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_pass() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.npy");
        std::fs::write(&file, b"x").unwrap();
        assert!(check_regular(&file).is_ok());
        assert!(check_regular(&dir.path().join("missing")).is_ok(), "left to the reader");
        let e = check_regular(dir.path()).unwrap_err().to_string();
        assert_eq!(e, format!("{}: is a directory", dir.path().display()));
        #[cfg(unix)]
        {
            let e = check_regular(Path::new("/dev/null")).unwrap_err().to_string();
            assert_eq!(e, "/dev/null: not a regular file (a pipe?); save it to a file first");
        }
    }
}
