//! Where git records branch moves, so a file watcher can see commits without polling git.

use std::path::{Path, PathBuf};

/// The directory of a repository's loose branch refs (a commit on a branch rewrites its file).
pub fn refs_dir(repo: &Path) -> PathBuf {
    repo.join("refs").join("heads")
}

/// The branch a changed file under `refs_dir(repo)` stands for (`polecat/ash/gt-12`).
pub fn branch_of_ref_file(repo: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(refs_dir(repo)).ok()?;
    let name = rel.to_str()?;
    // git writes `<ref>.lock` and renames it over the ref; the lock names the same branch.
    let name = name.strip_suffix(".lock").unwrap_or(name);
    (!name.is_empty()).then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_names_from_ref_files() {
        let repo = Path::new("/t/r/.repo.git");
        let f = repo.join("refs/heads/polecat/ash/gt-1");
        assert_eq!(
            branch_of_ref_file(repo, &f).as_deref(),
            Some("polecat/ash/gt-1")
        );
        let lock = repo.join("refs/heads/main.lock");
        assert_eq!(branch_of_ref_file(repo, &lock).as_deref(), Some("main"));
        assert_eq!(branch_of_ref_file(repo, Path::new("/elsewhere/x")), None);
    }
}
