//! `gt.log` with a bounded size: a record that would take it past `max_bytes` first turns it
//! into `gt.log.1` (`gt.log.1` becomes `.2`, and so on; the file beyond `keep` is removed), and
//! a new `gt.log` begins.
//!
//! Many gt processes append to the same file at once (every command, the supervisor, the
//! workspace, the agents' `gt` calls). The way chosen, and why:
//! - every record is one write(2) on an O_APPEND descriptor, so records of different processes
//!   never mix inside a line, whoever rotates;
//! - the renames are done under an exclusive lock on `gt.log.lock`, and the process holding it
//!   first checks that `gt.log` is still the file it measured: another process may have
//!   rotated it meanwhile, and a file is rotated once, never twice;
//! - before each record a writer compares its descriptor with the file the name `gt.log`
//!   stands for now (device and inode) and reopens when another process rotated. A record
//!   written in the instant between that check and another process's rename lands at the end
//!   of `gt.log.1`: kept, not lost (the readers read the old files too).
//!
//! Not chosen: copy-and-truncate (it loses what is appended during the copy; our writers
//! would also write at stale offsets without O_APPEND) and rotation by the supervisor alone
//! (a town without a supervisor would grow its log without bound).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// How big the log may grow and how many old files are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: u64,
    /// Old files kept (`gt.log.1` … `gt.log.<keep>`), at least 1.
    pub keep: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 10 * 1024 * 1024,
            keep: 3,
        }
    }
}

/// The file name of the log and of its `n`th old file (0: the live one).
pub fn file_name(n: u32) -> String {
    if n == 0 {
        "gt.log".into()
    } else {
        format!("gt.log.{n}")
    }
}

/// A file's identity: a rotation gives the name `gt.log` to another file.
pub fn identity(m: &std::fs::Metadata) -> (u64, u64) {
    (m.dev(), m.ino())
}

/// The appending end of the town's log, shared by the threads of one process.
pub struct Rotating {
    dir: PathBuf,
    limits: Limits,
    file: Mutex<Option<(File, (u64, u64))>>,
}

impl Rotating {
    pub fn new(dir: &Path, limits: Limits) -> io::Result<Rotating> {
        let log = Rotating {
            dir: dir.to_path_buf(),
            limits: Limits {
                keep: limits.keep.max(1),
                ..limits
            },
            file: Mutex::new(None),
        };
        let opened = log.open_live()?;
        if let Ok(mut f) = log.file.lock() {
            *f = Some(opened);
        }
        Ok(log)
    }

    fn live(&self) -> PathBuf {
        self.dir.join(file_name(0))
    }

    fn open_live(&self) -> io::Result<(File, (u64, u64))> {
        let f = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(self.live())?;
        let id = identity(&f.metadata()?);
        Ok((f, id))
    }

    /// Appends one whole record (one write), rotating first when it would not fit.
    pub fn append(&self, record: &[u8]) -> io::Result<()> {
        let mut slot = self
            .file
            .lock()
            .map_err(|_| io::Error::other("the log writer was poisoned"))?;
        // Another process rotated (or the file was removed): write where the name is now.
        let current = std::fs::metadata(self.live()).ok().map(|m| identity(&m));
        if slot.is_none() || current != slot.as_ref().map(|(_, id)| *id) {
            *slot = Some(self.open_live()?);
        }
        let size = match slot.as_ref() {
            Some((f, _)) => f.metadata()?.len(),
            None => 0,
        };
        if size > 0 && size + record.len() as u64 > self.limits.max_bytes {
            let ours = slot.as_ref().map(|(_, id)| *id);
            self.rotate(ours, record.len() as u64)?;
            *slot = Some(self.open_live()?);
        }
        match slot.as_mut() {
            Some((f, _)) => f.write_all(record),
            None => Err(io::Error::other("no log file")),
        }
    }

    /// Renames gt.log → gt.log.1 (and the older ones along) unless another process did it
    /// already; under the cross-process lock.
    fn rotate(&self, ours: Option<(u64, u64)>, adding: u64) -> io::Result<()> {
        let _lock = crate::fsutil::LockGuard::acquire(&self.dir.join("gt.log.lock"))
            .map_err(|e| io::Error::other(e.to_string()))?;
        let still_ours = match std::fs::metadata(self.live()) {
            Ok(m) => Some(identity(&m)) == ours && m.len() + adding > self.limits.max_bytes,
            Err(_) => false,
        };
        if !still_ours {
            return Ok(());
        }
        let keep = self.limits.keep;
        let _ = std::fs::remove_file(self.dir.join(file_name(keep)));
        for n in (1..keep).rev() {
            match std::fs::rename(self.dir.join(file_name(n)), self.dir.join(file_name(n + 1))) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        std::fs::rename(self.live(), self.dir.join(file_name(1)))
    }
}

/// What tracing writes through: each record goes to `Rotating::append` in one piece
/// (tracing-subscriber formats a whole record, then writes it with one `write_all`).
pub struct RecordWriter(pub std::sync::Arc<Rotating>);

impl Write for RecordWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.append(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(dir: &Path, n: u32) -> String {
        std::fs::read_to_string(dir.join(file_name(n))).unwrap_or_default()
    }

    #[test]
    fn past_the_limit_the_log_moves_to_dot_one_and_the_oldest_goes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = Rotating::new(
            dir.path(),
            Limits {
                max_bytes: 100,
                keep: 2,
            },
        )
        .expect("open");
        for i in 0..20 {
            log.append(format!("record {i:02} ......................\n").as_bytes())
                .expect("append");
        }
        // 33 bytes a record: 3 fit in 100 bytes.
        for n in 0..=2 {
            let text = read(dir.path(), n);
            assert!(text.len() <= 100, "file {n} has {} bytes", text.len());
            assert!(!text.is_empty(), "file {n} is empty");
        }
        assert!(!dir.path().join(file_name(3)).exists(), "keep = 2");
        let all = format!(
            "{}{}{}",
            read(dir.path(), 2),
            read(dir.path(), 1),
            read(dir.path(), 0)
        );
        let kept: Vec<&str> = all.lines().collect();
        assert_eq!(kept.last(), Some(&"record 19 ......................"));
        // Nothing between the oldest kept and the newest is missing or doubled.
        let first: usize = kept[0][7..9].parse().expect("number");
        for (i, l) in kept.iter().enumerate() {
            assert_eq!(&l[7..9], format!("{:02}", first + i), "{all}");
        }
    }

    /// Two writers (as two processes would be) share the file: whoever rotates, the other
    /// follows to the new gt.log, and no record is lost or written twice.
    #[test]
    fn two_writers_rotate_once_and_lose_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let limits = Limits {
            max_bytes: 400,
            keep: 50,
        };
        let a = Rotating::new(dir.path(), limits).expect("a");
        let b = Rotating::new(dir.path(), limits).expect("b");
        for i in 0..100 {
            let w = if i % 3 == 0 { &a } else { &b };
            w.append(format!("line {i:03}\n").as_bytes())
                .expect("append");
        }
        let mut seen = Vec::new();
        for n in (0..=50).rev() {
            let text = read(dir.path(), n);
            assert!(text.len() <= 400);
            seen.extend(text.lines().map(str::to_string));
        }
        let want: Vec<String> = (0..100).map(|i| format!("line {i:03}")).collect();
        assert_eq!(seen, want);
    }
}
