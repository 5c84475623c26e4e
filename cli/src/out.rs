//! Writing outputs without ever losing data.
//!
//! The policy (also in the README's "Outputs" section and in `--help` of `--overwrite`):
//! * cellmap writes only its own file names, and never deletes or replaces a file it did not
//!   write in this run: an existing output is refused (exit 1, naming the files) unless
//!   `--overwrite`, which replaces only those names (never a folder, never another file);
//! * an output path equal to an input path, or two outputs with the same path, is a usage error
//!   (exit 2) found before any work ([`check_paths`]; paths are compared after resolving `.`,
//!   `..` and symlinks, and by file identity);
//! * every file is written under a temporary name `.cellmap-tmp.<pid>.<random>…`
//!   ([`cellmap_io::fs::TEMP_PREFIX`]) and moved to its final name only when all the outputs of
//!   the command (of a tile, for `run`) are complete; every failure path removes its
//!   temporaries, and a later run removes those of a killed run ([`remove_stale_temporaries`]);
//! * a command writing into an output folder holds a lock on it ([`FolderLock`]): a second one
//!   exits 1, "in use by process N".

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result, anyhow, bail};
use cellmap_io::fs::{PendingFile, temp_owner, temp_prefix};
use tempfile::TempDir;

/// A buffered output file (seekable, as the `.npz` writer needs).
pub type Output = BufWriter<File>;

/// A mistake in the command line found after parsing (exit code 2, like clap's usage errors).
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// `path` made absolute, with its longest existing ancestor canonicalised (symlinks, `.` and
/// `..` resolved) and the rest normalised by name: two names of one file give one path, whether
/// the file exists yet or not.
pub fn resolve(path: &Path) -> PathBuf {
    let absolute = std::env::current_dir().map(|cwd| cwd.join(path)).unwrap_or_else(|_| path.to_path_buf());
    let parts: Vec<Component<'_>> = absolute.components().collect();
    for k in (0..=parts.len()).rev() {
        let base: PathBuf = parts[..k].iter().collect();
        let Ok(mut resolved) = base.canonicalize() else { continue };
        for part in &parts[k..] {
            match part {
                Component::ParentDir => _ = resolved.pop(),
                Component::Normal(name) => resolved.push(name),
                _ => {}
            }
        }
        return resolved;
    }
    absolute
}

/// The identity of an existing file (device and inode), to catch hard links.
fn identity(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Usage errors (exit 2) before any work: an output that is also an input, or two outputs with
/// the same path. `outputs` are files and output folders alike.
pub fn check_paths(inputs: &[&Path], outputs: &[&Path]) -> Result<()> {
    let mut by_path: HashMap<PathBuf, &Path> = HashMap::new();
    let mut by_identity: HashMap<(u64, u64), &Path> = HashMap::new();
    for &input in inputs {
        by_path.entry(resolve(input)).or_insert(input);
        if let Some(id) = identity(input) {
            by_identity.entry(id).or_insert(input);
        }
    }
    let mut seen: HashMap<PathBuf, &Path> = HashMap::new();
    for &output in outputs {
        let resolved = resolve(output);
        let input = by_path.get(&resolved).or_else(|| identity(output).and_then(|id| by_identity.get(&id)));
        if let Some(input) = input {
            return Err(UsageError(format!(
                "{}: is also an input ({}); cellmap never writes over its inputs, choose another output",
                output.display(),
                input.display()
            ))
            .into());
        }
        if let Some(other) = seen.insert(resolved, output) {
            return Err(UsageError(format!(
                "{} and {}: two outputs with the same path",
                other.display(),
                output.display()
            ))
            .into());
        }
    }
    Ok(())
}

/// Refuses (exit 1) outputs whose name is taken: by a folder, always; by a file, unless
/// `overwrite`. Checked before any work, and again when each file is moved into place.
pub fn refuse_existing(outputs: &[PathBuf], overwrite: bool) -> Result<()> {
    let mut taken = Vec::new();
    for path in outputs {
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.is_dir() => bail!(
                "{}: is a folder, where cellmap writes a file (it never replaces a folder)",
                path.display()
            ),
            Ok(_) if !overwrite => taken.push(path.as_path()),
            _ => {}
        }
    }
    if taken.is_empty() { Ok(()) } else { Err(already_exist(&taken)) }
}

/// The error naming outputs that already exist.
fn already_exist(paths: &[&Path]) -> anyhow::Error {
    const SHOWN: usize = 8;
    let mut list: Vec<String> = paths.iter().take(SHOWN).map(|p| p.display().to_string()).collect();
    if paths.len() > SHOWN {
        list.push(format!("and {} more", paths.len() - SHOWN));
    }
    let (n, s) = (paths.len(), if paths.len() == 1 { "" } else { "s" });
    anyhow!(
        "refusing to replace {n} existing file{s}: {} (pass --overwrite to replace cellmap's outputs; \
         no other file is touched)",
        list.join(", ")
    )
}

/// Whether process `pid` may still be running (when unsure: yes).
fn process_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else { return true };
        if pid <= 0 {
            return true;
        }
        // SAFETY: signal 0 only checks that the process exists; nothing is sent.
        let found = unsafe { libc::kill(pid, 0) } == 0;
        found || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// Removes the temporary files and folders that a killed cellmap left in `dir`: only names with
/// cellmap's temporary prefix whose process is gone. Best effort (errors are ignored).
pub fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temp_owner) else { continue };
        if pid == std::process::id() || process_alive(pid) {
            continue;
        }
        let path = entry.path();
        // `file_type` does not follow symlinks: a link is removed, not what it points to.
        let _ = match entry.file_type() {
            Ok(t) if t.is_dir() => std::fs::remove_dir_all(&path),
            _ => std::fs::remove_file(&path),
        };
    }
}

/// The name of the lock file inside an output folder (deleted by the run that holds it).
pub const LOCK_NAME: &str = ".cellmap.lock";

/// An exclusive lock on an output folder (`flock` of [`LOCK_NAME`] inside it), held until
/// dropped; the kernel releases it if the process dies, so a stale lock file is harmless.
#[derive(Debug)]
pub struct FolderLock {
    /// Held open for the lock (closing it unlocks).
    #[cfg(unix)]
    _file: File,
    path: PathBuf,
    /// The output folder, if this run created it (removed on drop if still empty).
    created: Option<PathBuf>,
}

impl FolderLock {
    /// Locks `dir` (which must exist), or fails with "in use by process N".
    pub fn acquire(dir: &Path) -> Result<Self> {
        let path = dir.join(LOCK_NAME);
        #[cfg(unix)]
        loop {
            use std::io::Read;
            use std::os::unix::fs::MetadataExt;
            use std::os::unix::io::AsRawFd;
            let cannot = || format!("{}: cannot lock the output folder", dir.display());
            let mut file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .with_context(cannot)?;
            // SAFETY: flock on a file descriptor we own.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
                let error = std::io::Error::last_os_error();
                match error.raw_os_error() {
                    Some(libc::EINTR) => continue,
                    Some(code) if code == libc::EWOULDBLOCK => {
                        // The holder writes its pid just after locking: give it a moment.
                        let mut pid = None;
                        for _ in 0..50 {
                            use std::io::Seek;
                            let mut owner = String::new();
                            let _ = file.rewind().and_then(|()| file.read_to_string(&mut owner));
                            pid = owner.trim().parse::<u32>().ok();
                            if pid.is_some() {
                                break;
                            }
                            std::thread::sleep(std::time::Duration::from_millis(2));
                        }
                        let owner = match pid {
                            Some(pid) => format!("process {pid}"),
                            None => "another process".to_string(),
                        };
                        bail!(
                            "{}: in use by {owner} (another cellmap is writing there); wait for it to \
                             finish, or choose another output folder",
                            dir.display()
                        );
                    }
                    // A file system without locks (some network mounts): go on unlocked; the
                    // outputs are still never written over without --overwrite.
                    Some(libc::ENOLCK | libc::EOPNOTSUPP) => {
                        return Ok(Self { _file: file, path: PathBuf::new(), created: None });
                    }
                    _ => return Err(error).with_context(cannot),
                }
            }
            // A finishing run deletes its lock file: lock the file that is at `path` now.
            let current = std::fs::symlink_metadata(&path).ok().map(|m| (m.dev(), m.ino()));
            let locked = file.metadata().ok().map(|m| (m.dev(), m.ino()));
            if current.is_none() || current != locked {
                continue;
            }
            file.set_len(0).with_context(cannot)?;
            writeln!(file, "{}", std::process::id()).with_context(cannot)?;
            return Ok(Self { _file: file, path, created: None });
        }
        #[cfg(not(unix))]
        Ok(Self { path, created: None })
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        // Deleted while still locked (then closed, which unlocks): a waiting run sees that the
        // file it opened is gone, and locks a new one.
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
        if let Some(dir) = &self.created {
            let _ = std::fs::remove_dir(dir); // only if empty
        }
    }
}

/// Prepares an output folder: creates it if missing (it may exist, with other files), locks it,
/// and removes the temporaries of killed runs from it. A folder created here is removed again
/// when the lock is dropped if it is still empty (a command that failed before writing).
pub fn output_folder(dir: &Path) -> Result<FolderLock> {
    if std::fs::metadata(dir).is_ok_and(|m| !m.is_dir()) {
        bail!("{}: exists and is not a folder", dir.display());
    }
    let created = !dir.exists();
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create the folder", dir.display()))?;
    let mut lock = FolderLock::acquire(dir)?;
    lock.created = created.then(|| dir.to_path_buf());
    remove_stale_temporaries(dir);
    Ok(lock)
}

/// The folder of `path` (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The checks of a command that writes the files `outputs` (no output folder of its own), before
/// any work: usage errors, then the temporaries of killed runs next to the outputs are removed,
/// then taken names are refused (unless `overwrite`).
pub fn prepare_files(inputs: &[&Path], outputs: &[&Path], overwrite: bool) -> Result<()> {
    check_paths(inputs, outputs)?;
    for output in outputs {
        remove_stale_temporaries(folder_of(output));
    }
    let outputs: Vec<PathBuf> = outputs.iter().map(|p| p.to_path_buf()).collect();
    refuse_existing(&outputs, overwrite)
}

/// Outputs written to temporary files next to their destinations, moved into place together by
/// [`Staged::commit`]. Dropping it without committing deletes the temporaries. Each file is the
/// io crate's [`PendingFile`] (the first half of `cellmap_io::fs::write_atomic`).
#[derive(Debug, Default)]
pub struct Staged {
    pending: Vec<PendingFile>,
    overwrite: bool,
}

impl Staged {
    /// Outputs that replace existing files only if `overwrite`.
    pub fn new(overwrite: bool) -> Self {
        Self { pending: Vec::new(), overwrite }
    }

    /// Writes one output to a temporary file next to `path`.
    pub fn file(&mut self, path: &Path, write: impl FnOnce(&mut Output) -> Result<()>) -> Result<()> {
        let failed = || format!("{}: write failed", path.display());
        let ((), pending) = cellmap_io::fs::write_pending(path, |w| write(w).with_context(failed))?;
        self.pending.push(pending);
        Ok(())
    }

    /// Moves every temporary file to its final name (without `overwrite`, only where no file is;
    /// the existing ones are checked first, so then nothing is moved).
    pub fn commit(self) -> Result<()> {
        let paths: Vec<PathBuf> = self.pending.iter().map(|p| p.path().to_path_buf()).collect();
        refuse_existing(&paths, self.overwrite)?;
        for pending in self.pending {
            let path = pending.path().to_path_buf();
            let moved = if self.overwrite { pending.persist() } else { pending.persist_noclobber() };
            if let Err(error) = moved {
                if path.symlink_metadata().is_ok() && !self.overwrite {
                    return Err(already_exist(&[&path]));
                }
                return Err(error).context("cannot rename into place");
            }
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

/// Moves `from` to `to` unless something is at `to` (error kind `AlreadyExists`): a hard link
/// then an unlink, atomic against other writers; a plain rename where links are unsupported.
fn move_noclobber(from: &Path, to: &Path) -> std::io::Result<()> {
    match std::fs::hard_link(from, to) {
        Ok(()) => std::fs::remove_file(from),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
        Err(_) if to.symlink_metadata().is_ok() => Err(std::io::ErrorKind::AlreadyExists.into()),
        Err(_) => std::fs::rename(from, to),
    }
}

/// The files of an output folder (a tile's folder, or `assign`'s), written into a temporary
/// folder `.cellmap-tmp.<pid>.<random>` inside an existing folder `root` (the output folder: same
/// file system) and moved one by one to their names in `target` by [`StagedDir::commit`], which
/// creates `target` and its subfolders if needed. Other files in `target` are never touched.
/// Dropped uncommitted, the temporary folder is deleted.
#[derive(Debug)]
pub struct StagedDir {
    temp: TempDir,
    target: PathBuf,
    overwrite: bool,
    files: Mutex<Vec<String>>,
}

impl StagedDir {
    /// Starts building the files of `target`, staged inside `root` (which must exist).
    pub fn new(root: &Path, target: &Path, overwrite: bool) -> Result<Self> {
        let temp = tempfile::Builder::new()
            .prefix(&temp_prefix())
            .tempdir_in(root)
            .with_context(|| format!("{}: cannot create a folder", root.display()))?;
        Ok(Self { temp, target: target.to_path_buf(), overwrite, files: Mutex::new(Vec::new()) })
    }

    /// The final paths of `relative` names in `target` (for [`refuse_existing`]).
    pub fn paths(target: &Path, relative: &[String]) -> Vec<PathBuf> {
        relative.iter().map(|r| target.join(r)).collect()
    }

    /// Writes the file `relative` (creating its folders) with `write`.
    pub fn file(&self, relative: &str, write: impl FnOnce(&mut Output) -> Result<()>) -> Result<()> {
        let path = self.temp.path().join(relative);
        let shown = self.target.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("{}: cannot create a folder", shown.display()))?;
        }
        let file = File::create(&path).with_context(|| format!("{}: cannot create", shown.display()))?;
        let mut writer = BufWriter::with_capacity(1 << 20, file);
        write(&mut writer).with_context(|| format!("{}: write failed", shown.display()))?;
        writer.flush().with_context(|| format!("{}: write failed", shown.display()))?;
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        drop(file);
        set_mode(&path, 0o644).with_context(|| format!("{}: cannot create", shown.display()))?;
        self.files.lock().unwrap_or_else(|e| e.into_inner()).push(relative.to_string());
        Ok(())
    }

    /// Moves every file to its name in `target`. Without `overwrite`, nothing is moved if any
    /// name is taken. The temporary folder is then deleted.
    pub fn commit(self) -> Result<()> {
        let mut files = self.files.into_inner().unwrap_or_else(|e| e.into_inner());
        files.sort();
        let target = &self.target;
        refuse_existing(&Self::paths(target, &files), self.overwrite)?;
        for relative in &files {
            let dest = target.join(relative);
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("{}: cannot create a folder", parent.display()))?;
            }
        }
        for relative in &files {
            let (from, dest) = (self.temp.path().join(relative), target.join(relative));
            let moved =
                if self.overwrite { std::fs::rename(&from, &dest) } else { move_noclobber(&from, &dest) };
            match moved {
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(already_exist(&[&dest]));
                }
                other => other.with_context(|| format!("{}: cannot rename into place", dest.display()))?,
            }
        }
        Ok(())
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

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn staged_files_appear_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        let mut staged = Staged::new(false);
        staged.file(&a, |w: &mut Output| Ok(w.write_all(b"hello")?)).unwrap();
        assert!(!a.exists());
        staged.commit().unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"hello");
        assert_eq!(names(dir.path()), ["a.txt"]);
    }

    #[test]
    fn staged_files_replace_only_with_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&b, b"mine").unwrap();
        let mut staged = Staged::new(false);
        staged.file(&a, |w: &mut Output| Ok(w.write_all(b"new")?)).unwrap();
        staged.file(&b, |w: &mut Output| Ok(w.write_all(b"new")?)).unwrap();
        let error = staged.commit().unwrap_err().to_string();
        assert!(error.contains("refusing to replace 1 existing file") && error.contains("/b"), "{error}");
        assert_eq!(names(dir.path()), ["b"]); // nothing moved, no temporary left
        assert_eq!(std::fs::read(&b).unwrap(), b"mine");
        let mut staged = Staged::new(true);
        staged.file(&b, |w: &mut Output| Ok(w.write_all(b"new")?)).unwrap();
        staged.commit().unwrap();
        assert_eq!(std::fs::read(&b).unwrap(), b"new");
    }

    #[test]
    fn dropped_staging_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut staged = Staged::default();
        staged.file(&dir.path().join("a"), |w: &mut Output| Ok(w.write_all(b"x")?)).unwrap();
        let failed = staged.file(&dir.path().join("b"), |_: &mut Output| anyhow::bail!("boom"));
        assert!(failed.is_err());
        drop(staged);
        let tile = StagedDir::new(dir.path(), &dir.path().join("tile"), false).unwrap();
        tile.file("maps/x.png", |w: &mut Output| Ok(w.write_all(b"x")?)).unwrap();
        drop(tile);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn staged_dir_keeps_foreign_files_and_replaces_its_own_only_with_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("tile");
        std::fs::create_dir_all(target.join("maps")).unwrap();
        std::fs::write(target.join("notes.txt"), b"mine").unwrap();
        std::fs::write(target.join("maps/old.png"), b"mine").unwrap();
        for (content, overwrite) in [(&b"one"[..], false), (b"two", true)] {
            let tile = StagedDir::new(dir.path(), &target, overwrite).unwrap();
            tile.file("f", |w: &mut Output| Ok(w.write_all(content)?)).unwrap();
            tile.file("maps/g.png", |w: &mut Output| Ok(w.write_all(content)?)).unwrap();
            tile.commit().unwrap();
        }
        let tile = StagedDir::new(dir.path(), &target, false).unwrap();
        tile.file("f", |w: &mut Output| Ok(w.write_all(b"three")?)).unwrap();
        assert!(tile.commit().unwrap_err().to_string().contains("tile/f"));
        assert_eq!(std::fs::read(target.join("f")).unwrap(), b"two");
        assert_eq!(std::fs::read(target.join("maps/g.png")).unwrap(), b"two");
        assert_eq!(std::fs::read(target.join("notes.txt")).unwrap(), b"mine");
        assert_eq!(std::fs::read(target.join("maps/old.png")).unwrap(), b"mine");
        assert_eq!(names(dir.path()), ["tile"]);
    }

    #[test]
    fn paths_are_compared_after_resolving() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("x.npy");
        std::fs::write(&input, b"x").unwrap();
        let dotted = dir.path().join("sub/../x.npy");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        assert_eq!(resolve(&dotted), resolve(&input));
        let usage = |r: Result<()>| r.unwrap_err().downcast::<UsageError>().unwrap().0;
        assert!(usage(check_paths(&[&input], &[&dotted])).contains("is also an input"));
        #[cfg(unix)]
        {
            let link = dir.path().join("link.npy");
            std::os::unix::fs::symlink(&input, &link).unwrap();
            assert!(usage(check_paths(&[&link], &[&input])).contains("is also an input"));
            let hard = dir.path().join("hard.npy");
            std::fs::hard_link(&input, &hard).unwrap();
            assert!(usage(check_paths(&[&input], &[&hard])).contains("is also an input"));
        }
        let (a, b) = (dir.path().join("new/a.npy"), dir.path().join("new/./a.npy"));
        assert!(usage(check_paths(&[&input], &[&a, &b])).contains("two outputs with the same path"));
        check_paths(&[&input], &[&a, &dir.path().join("b.npy")]).unwrap();
    }

    #[test]
    fn stale_temporaries_of_dead_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        // A child that has exited (and been reaped) has a pid no process uses, for a while.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = format!(".cellmap-tmp.{dead}.abc123");
        let stale_file = format!(".cellmap-tmp.{dead}.abc124.x.npy.tmp");
        let alive = format!(".cellmap-tmp.{}.abc125", std::process::id());
        std::fs::create_dir_all(dir.path().join(&stale).join("maps")).unwrap();
        std::fs::write(dir.path().join(&stale).join("maps/a.png"), b"x").unwrap();
        for name in [stale_file.as_str(), &alive, ".cellmap-tmp.notes", "notes.txt", ".x.npy.abc.tmp"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        remove_stale_temporaries(dir.path());
        let mut want = vec![alive, ".cellmap-tmp.notes".into(), ".x.npy.abc.tmp".into(), "notes.txt".into()];
        want.sort();
        assert_eq!(names(dir.path()), want);
    }

    #[cfg(unix)]
    #[test]
    fn a_locked_folder_names_its_owner_and_is_free_again_after_drop() {
        let dir = tempfile::tempdir().unwrap();
        let lock = FolderLock::acquire(dir.path()).unwrap();
        // flock locks belong to open files: a second open in this process conflicts too.
        let error = FolderLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(error.contains(&format!("in use by process {}", std::process::id())), "{error}");
        drop(lock);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        drop(FolderLock::acquire(dir.path()).unwrap());
    }
}
