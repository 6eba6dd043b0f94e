//! Small filesystem helpers shared by modules: atomic writes and cross-process locks.

use std::fs::OpenOptions;
use std::io;
use std::path::Path;

/// Makes every file and folder this process (and whatever it starts: tmux, git, the agents)
/// creates private to the user — 0600 files, 0700 folders: a town holds mail and work that
/// other local users must not read.
pub fn private_umask() {
    // SAFETY: umask only sets this process's file-creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

/// The gt executable to start agents and helpers with. A binary replaced while this process
/// runs (an upgrade, a rebuild) shows as `… (deleted)`; the new one at that path is meant.
pub fn gt_exe() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap_or_else(|_| std::path::PathBuf::from("gt"));
    match exe.to_str().and_then(|s| s.strip_suffix(" (deleted)")) {
        Some(live) if !exe.exists() => std::path::PathBuf::from(live),
        _ => exe,
    }
}

/// A folder only this user can enter (made if missing). One that exists must be this
/// user's and is made 0700: in a shared place like /tmp another user could have made it first.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    std::fs::create_dir_all(dir)?;
    let meta = std::fs::symlink_metadata(dir)?;
    // SAFETY: geteuid only reads this process's effective user id.
    let me = unsafe { libc::geteuid() };
    if !meta.is_dir() || meta.uid() != me {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{} is not a folder of this user's", dir.display()),
        ));
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// Writes a file by writing a sibling temp file and renaming it over, so readers never see
/// half a file. The temp file is made new (never through a link someone left at its name)
/// and private (0600): what gt writes is the user's alone.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes));
    written
        .and_then(|()| std::fs::rename(&tmp, path))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
}

/// A file written through a private sibling temp file and renamed over `path` by `commit`
/// after its bytes are on disk: readers see the old file or the new one, never a torn one,
/// even across a crash or a power cut. Dropped without `commit`, the temp file goes.
pub struct AtomicFile {
    path: std::path::PathBuf,
    tmp: std::path::PathBuf,
    out: Option<io::BufWriter<std::fs::File>>,
}

impl AtomicFile {
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        use std::os::unix::fs::OpenOptionsExt;
        let dir = path.parent().unwrap_or(Path::new("."));
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            tmp,
            out: Some(io::BufWriter::with_capacity(1 << 20, file)),
        })
    }

    pub fn commit(mut self) -> io::Result<()> {
        let Some(out) = self.out.take() else {
            return Ok(());
        };
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&self.tmp, &self.path)
    }
}

impl io::Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.out.as_mut() {
            Some(o) => o.write(buf),
            None => Err(io::Error::other("file already committed")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.as_mut().map_or(Ok(()), |o| o.flush())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.out.is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Runs `f` while holding an exclusive lock on `path` (created if missing), waiting for it.
/// The lock dies with the process, so a crash never leaves anything locked.
pub fn with_lock<T, E>(path: &Path, f: impl FnOnce() -> Result<T, E>) -> Result<T, E>
where
    E: From<LockError>,
{
    let _guard = LockGuard::acquire(path)?;
    f()
}

#[derive(Debug, thiserror::Error)]
#[error("lock {path}: {source}")]
pub struct LockError {
    pub path: String,
    #[source]
    pub source: io::Error,
}

impl LockError {
    fn new(path: &Path, source: io::Error) -> Self {
        LockError {
            path: path.display().to_string(),
            source,
        }
    }
}

/// An exclusive lock held for as long as the guard lives (across awaits too). Released by
/// the OS when the process dies.
pub struct LockGuard {
    _file: std::fs::File,
}

impl LockGuard {
    pub fn acquire(path: &Path) -> Result<LockGuard, LockError> {
        let file = open_lock_file(path)?;
        file.lock().map_err(|e| LockError::new(path, e))?;
        Ok(LockGuard { _file: file })
    }

    /// The lock if it is free now; None while another process holds it.
    pub fn try_acquire(path: &Path) -> Result<Option<LockGuard>, LockError> {
        let file = open_lock_file(path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(LockGuard { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(LockError::new(path, e)),
        }
    }
}

fn open_lock_file(path: &Path) -> Result<std::fs::File, LockError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| LockError::new(path, e))?;
    }
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| LockError::new(path, e))
}
