//! The town's dashboard token: what a request must carry to change anything. Made once, kept
//! private (0600) in `.gt/dashboard.token`; whoever can read that file can act on the town
//! anyway.

use crate::town::TownPaths;
use crate::{Error, Result};
use std::io::Read;
use std::path::PathBuf;

pub fn path(paths: &TownPaths) -> PathBuf {
    paths.runtime_dir().join("dashboard.token")
}

/// The token, made on first use (32 random bytes from the kernel, in hex). Two processes
/// making it at once agree: the file is created only if absent, and the loser reads the
/// winner's.
pub fn ensure(paths: &TownPaths) -> Result<String> {
    let file = path(paths);
    match std::fs::read_to_string(&file) {
        Ok(t) if well_formed(t.trim()) => return Ok(t.trim().to_string()),
        Ok(_) => {
            tracing::warn!(file = %file.display(), "the dashboard token was not one of ours; a new one is made")
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(format!("read {}", file.display()), e)),
    }
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| Error::io("read random bytes for the dashboard token", e))?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let tmp = file.with_extension(format!("{}.tmp", std::process::id()));
    crate::fsutil::write_atomic(&tmp, format!("{token}\n").as_bytes())
        .map_err(|e| Error::io(format!("write {}", tmp.display()), e))?;
    // Absent: linked into place only if still absent. Malformed: replaced.
    let placed = if file.exists() {
        std::fs::rename(&tmp, &file)
    } else {
        std::fs::hard_link(&tmp, &file)
    };
    let _ = std::fs::remove_file(&tmp);
    match placed {
        Ok(()) => Ok(token),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let t = std::fs::read_to_string(&file)
                .map_err(|e| Error::io(format!("read {}", file.display()), e))?;
            Ok(t.trim().to_string())
        }
        Err(e) => Err(Error::io(format!("write {}", file.display()), e)),
    }
}

fn well_formed(t: &str) -> bool {
    t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Compares in time independent of where the first difference is.
pub fn matches(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_private_and_compared_whole() {
        let dir = tempfile::tempdir().unwrap();
        let paths = TownPaths::new(dir.path().to_path_buf());
        std::fs::create_dir_all(paths.runtime_dir()).unwrap();
        let t = ensure(&paths).unwrap();
        assert!(well_formed(&t));
        assert_eq!(ensure(&paths).unwrap(), t, "kept, not made again");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path(&paths))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(matches(&t, &t));
        assert!(!matches(&t, &t[..63]));
        assert!(!matches(
            &t,
            &format!("{}0", &t[..63]).replace(&t[63..], "x")
        ));
        assert!(!matches(&t, ""));
    }
}
