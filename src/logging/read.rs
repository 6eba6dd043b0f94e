//! Reading the town's log back: the last records of `gt.log` and its old files, and
//! following it as it grows, across rotations (see `rotate`).
//!
//! A record starts with its time stamp; a line that does not (a message with a line break in
//! it) belongs to the record above it.

use super::rotate::{file_name, identity};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Whether `line` starts a record (`2026-01-31T12:00:00.000000Z  INFO …`).
pub fn starts_record(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() >= 11
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
}

/// Groups lines into records.
pub fn records(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        match out.last_mut() {
            Some(last) if !starts_record(line) => {
                last.push('\n');
                last.push_str(line);
            }
            _ => out.push(line.to_string()),
        }
    }
    out
}

/// The old files that exist, newest first (`gt.log.1`, `gt.log.2`, …).
fn old_files(dir: &Path) -> Vec<PathBuf> {
    (1..1000)
        .map(|n| dir.join(file_name(n)))
        .take_while(|p| p.is_file())
        .collect()
}

/// Follows `gt.log`: what was appended since the last look, whatever rotated meanwhile.
pub struct Follower {
    dir: PathBuf,
    file: Option<(File, (u64, u64))>,
    /// A line not finished yet (its writer is mid-record).
    partial: String,
    /// A record whose continuation lines may still come.
    pending: Option<String>,
}

impl Follower {
    /// Starts at the beginning of the live file (`take` then returns all of it).
    pub fn open(dir: &Path) -> Follower {
        let mut f = Follower {
            dir: dir.to_path_buf(),
            file: None,
            partial: String::new(),
            pending: None,
        };
        f.file = f.open_live();
        f
    }

    fn open_live(&self) -> Option<(File, (u64, u64))> {
        let file = File::open(self.dir.join(file_name(0))).ok()?;
        let id = identity(&file.metadata().ok()?);
        Some((file, id))
    }

    /// The complete records appended since the last call. A record is held back until the
    /// next one begins or `flush` is true (its continuation lines could still be coming).
    pub fn take(&mut self, flush: bool) -> io::Result<Vec<String>> {
        let mut text = String::new();
        if let Some((f, _)) = self.file.as_mut() {
            read_rest(f, &mut text)?;
        }
        // Rotated (or first created): the old file is read to its end above; then the new.
        let now = std::fs::metadata(self.dir.join(file_name(0)))
            .ok()
            .map(|m| identity(&m));
        if now.is_some() && now != self.file.as_ref().map(|(_, id)| *id) {
            // A writer that checked just before the rename may still add to the old file;
            // one more look at it before leaving it.
            if let Some((f, _)) = self.file.as_mut() {
                read_rest(f, &mut text)?;
            }
            // Rotated more than once since the last look: the files between ours and the
            // live one are read whole.
            if let Some((_, ours)) = &self.file {
                let old = old_files(&self.dir);
                let at = old
                    .iter()
                    .position(|p| std::fs::metadata(p).is_ok_and(|m| identity(&m) == *ours));
                for p in old[..at.unwrap_or(0)].iter().rev() {
                    if let Ok(mut f) = File::open(p) {
                        read_rest(&mut f, &mut text)?;
                    }
                }
            }
            self.file = self.open_live();
            if let Some((f, _)) = self.file.as_mut() {
                read_rest(f, &mut text)?;
            }
        }
        self.partial.push_str(&text);
        let mut out = Vec::new();
        let complete = match self.partial.rfind('\n') {
            Some(i) => {
                let rest = self.partial.split_off(i + 1);
                std::mem::replace(&mut self.partial, rest)
            }
            None => String::new(),
        };
        for line in complete.lines() {
            if starts_record(line) {
                out.extend(self.pending.take());
                self.pending = Some(line.to_string());
            } else if let Some(p) = self.pending.as_mut() {
                p.push('\n');
                p.push_str(line);
            } else {
                out.push(line.to_string());
            }
        }
        if flush {
            out.extend(self.pending.take());
        }
        Ok(out)
    }
}

fn read_rest(f: &mut File, into: &mut String) -> io::Result<()> {
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes)?;
    into.push_str(&String::from_utf8_lossy(&bytes));
    Ok(())
}

/// The last `n` records that `keep` accepts, oldest first: from the live file (read by
/// `follower`, which then goes on from its end) and as many old files as it takes.
pub fn last(
    follower: &mut Follower,
    n: usize,
    keep: impl Fn(&str) -> bool,
) -> io::Result<Vec<String>> {
    let mut found: Vec<String> = follower
        .take(true)?
        .into_iter()
        .filter(|r| keep(r))
        .collect();
    for old in old_files(&follower.dir) {
        if found.len() >= n {
            break;
        }
        let mut text = String::new();
        if let Ok(mut f) = File::open(&old) {
            f.seek(SeekFrom::Start(0))?;
            read_rest(&mut f, &mut text)?;
        }
        let mut older: Vec<String> = records(&text).into_iter().filter(|r| keep(r)).collect();
        older.append(&mut found);
        found = older;
    }
    let skip = found.len().saturating_sub(n);
    Ok(found.split_off(skip))
}

#[cfg(test)]
mod tests {
    use super::super::rotate::{Limits, Rotating};
    use super::*;

    fn rec(i: usize) -> String {
        format!("2026-01-01T00:00:{:02}.000000Z  INFO x: line {i}\n", i % 60)
    }

    #[test]
    fn a_message_with_line_breaks_stays_one_record() {
        let text =
            "2026-01-01T00:00:00Z  WARN a: first\n  more of it\n2026-01-01T00:00:01Z  INFO b\n";
        assert_eq!(
            records(text),
            vec![
                "2026-01-01T00:00:00Z  WARN a: first\n  more of it".to_string(),
                "2026-01-01T00:00:01Z  INFO b".to_string()
            ]
        );
    }

    /// The follower sees every record once, in order, while the log rotates under it.
    /// (Looking every 3 records, the log rotated at most once between looks; every 10, twice.)
    #[test]
    fn following_survives_rotation() {
        for every in [3, 10] {
            let dir = tempfile::tempdir().expect("tempdir");
            let log = Rotating::new(
                dir.path(),
                Limits {
                    max_bytes: 200,
                    keep: 4,
                },
            )
            .expect("open");
            log.append(rec(0).as_bytes()).expect("append");
            let mut f = Follower::open(dir.path());
            let mut seen = last(&mut f, 10, |_| true).expect("last");
            for i in 1..40 {
                log.append(rec(i).as_bytes()).expect("append");
                if i % every == 0 {
                    seen.extend(f.take(false).expect("take"));
                }
            }
            seen.extend(f.take(true).expect("take"));
            assert!(dir.path().join("gt.log.4").exists(), "it rotated");
            let want: Vec<String> = (0..40).map(|i| rec(i).trim_end().to_string()).collect();
            assert_eq!(seen, want, "looking every {every} records");
        }
    }

    #[test]
    fn last_reaches_into_old_files_and_filters() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = Rotating::new(
            dir.path(),
            Limits {
                max_bytes: 200,
                keep: 5,
            },
        )
        .expect("open");
        for i in 0..20 {
            log.append(rec(i).as_bytes()).expect("append");
        }
        let mut f = Follower::open(dir.path());
        let even = last(&mut f, 6, |r| {
            r.rsplit(' ')
                .next()
                .and_then(|n| n.parse::<usize>().ok())
                .is_some_and(|n| n % 2 == 0)
        })
        .expect("last");
        let want: Vec<String> = [8, 10, 12, 14, 16, 18]
            .iter()
            .map(|&i| rec(i).trim_end().to_string())
            .collect();
        assert_eq!(even, want);
    }
}
