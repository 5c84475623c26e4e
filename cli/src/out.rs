//! Writing outputs so that a failure never leaves a half-written file: every file is written
//! under a temporary name in its destination folder and renamed into place only when all the
//! outputs of a command are complete; a tile's whole folder is built the same way.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use cellmap_io::fs::PendingFile;
use tempfile::TempDir;

/// A buffered output file (seekable, as the `.npz` writer needs).
pub type Output = BufWriter<File>;

/// Outputs written to temporary files, renamed into place together by [`Staged::commit`].
/// Dropping it without committing deletes the temporaries. Each file is the io crate's
/// [`PendingFile`] (the first half of `cellmap_io::fs::write_atomic`).
#[derive(Debug, Default)]
pub struct Staged {
    pending: Vec<PendingFile>,
}

impl Staged {
    /// Writes one output to a temporary file next to `path`.
    pub fn file(&mut self, path: &Path, write: impl FnOnce(&mut Output) -> Result<()>) -> Result<()> {
        let failed = || format!("{}: write failed", path.display());
        let ((), pending) = cellmap_io::fs::write_pending(path, |w| write(w).with_context(failed))?;
        self.pending.push(pending);
        Ok(())
    }

    /// Renames every temporary file to its final name.
    pub fn commit(self) -> Result<()> {
        for pending in self.pending {
            pending.persist().context("cannot rename into place")?;
        }
        Ok(())
    }
}

/// Gives outputs ordinary permissions (temporary files and folders are created private).
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

/// The folder of `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A tile's output folder, built under a hidden temporary name inside the output folder and
/// renamed to its final name by [`StagedDir::commit`]; dropped uncommitted, it is deleted.
#[derive(Debug)]
pub struct StagedDir {
    temp: TempDir,
    target: PathBuf,
}

impl StagedDir {
    /// Starts building `target` (its parent must exist).
    pub fn new(target: &Path) -> Result<Self> {
        let dir = parent_dir(target);
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".partial")
            .tempdir_in(dir)
            .with_context(|| format!("{}: cannot create a folder", dir.display()))?;
        set_mode(temp.path(), 0o755).with_context(|| format!("{}: cannot create a folder", dir.display()))?;
        Ok(Self { temp, target: target.to_path_buf() })
    }

    /// Where a file of the folder is written before the commit.
    fn path(&self, relative: &str) -> PathBuf {
        self.temp.path().join(relative)
    }

    /// Writes the file `relative` (creating its folders) with `write`.
    pub fn file(&self, relative: &str, write: impl FnOnce(&mut Output) -> Result<()>) -> Result<()> {
        let path = self.path(relative);
        let shown = self.target.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("{}: cannot create a folder", shown.display()))?;
        }
        let file = File::create(&path).with_context(|| format!("{}: cannot create", shown.display()))?;
        let mut writer = BufWriter::with_capacity(1 << 20, file);
        write(&mut writer).with_context(|| format!("{}: write failed", shown.display()))?;
        writer.flush().with_context(|| format!("{}: write failed", shown.display()))
    }

    /// Replaces `target` (if it exists, from an earlier run) with the finished folder.
    pub fn commit(self) -> Result<()> {
        let target = &self.target;
        if target.exists() {
            let old = tempfile::Builder::new()
                .prefix(".old.")
                .tempdir_in(parent_dir(target))
                .with_context(|| format!("{}: cannot replace", target.display()))?;
            std::fs::rename(target, old.path().join("x"))
                .with_context(|| format!("{}: cannot replace", target.display()))?;
        }
        let built = self.temp.keep();
        std::fs::rename(&built, target)
            .with_context(|| format!("{}: cannot rename into place", target.display()))
    }
}

/// Encodes an 8-bit RGBA image as PNG (fast deflate: maps are large and many).
pub fn write_rgba_png(out: &mut Output, width: usize, height: usize, rgba: &[u8]) -> Result<()> {
    let (w, h) = (u32::try_from(width)?, u32::try_from(height)?);
    let mut encoder = png::Encoder::new(out, w, h);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgba)?;
    writer.finish()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_files_appear_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        let mut staged = Staged::default();
        staged.file(&a, |w: &mut Output| Ok(w.write_all(b"hello")?)).unwrap();
        assert!(!a.exists());
        staged.commit().unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"hello");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn dropped_staging_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut staged = Staged::default();
        staged.file(&dir.path().join("a"), |w: &mut Output| Ok(w.write_all(b"x")?)).unwrap();
        let failed = staged.file(&dir.path().join("b"), |_: &mut Output| anyhow::bail!("boom"));
        assert!(failed.is_err());
        drop(staged);
        let tile = StagedDir::new(&dir.path().join("tile")).unwrap();
        tile.file("maps/x.png", |w: &mut Output| Ok(w.write_all(b"x")?)).unwrap();
        drop(tile);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn staged_dir_replaces_an_earlier_result() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("tile");
        for content in [&b"one"[..], b"two"] {
            let tile = StagedDir::new(&target).unwrap();
            tile.file("f", |w: &mut Output| Ok(w.write_all(content)?)).unwrap();
            tile.commit().unwrap();
        }
        assert_eq!(std::fs::read(target.join("f")).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
