//! Role instructions: our own texts in `roles/<role>.md`, embedded, overridable per town
//! (`<town>/roles/<role>.md`) and per rig (`<town>/<rig>/roles/<role>.md`).

use std::path::Path;

const BUILTIN: &[(&str, &str)] = &[
    ("polecat", include_str!("../../roles/polecat.md")),
    ("crew", include_str!("../../roles/crew.md")),
    ("mayor", include_str!("../../roles/mayor.md")),
    ("witness", include_str!("../../roles/witness.md")),
    ("refinery", include_str!("../../roles/refinery.md")),
    ("deacon", include_str!("../../roles/deacon.md")),
];

pub fn builtin(role: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|(r, _)| *r == role).map(|(_, t)| *t)
}

/// The role text for an agent: rig override, else town override, else built-in; with
/// `{{agent}}`, `{{rig}}`, `{{town}}` and `{{role}}` filled in.
pub fn text(
    town_root: &Path,
    rig: Option<&str>,
    role: &str,
    agent: &str,
    town_name: &str,
) -> String {
    let from_file = |p: &Path| std::fs::read_to_string(p).ok();
    let raw = rig
        .and_then(|r| from_file(&town_root.join(r).join("roles").join(format!("{role}.md"))))
        .or_else(|| from_file(&town_root.join("roles").join(format!("{role}.md"))))
        .or_else(|| builtin(role).map(str::to_string))
        .unwrap_or_default();
    raw.replace("{{agent}}", agent)
        .replace("{{rig}}", rig.unwrap_or("(town)"))
        .replace("{{town}}", town_name)
        .replace("{{role}}", role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_has_text_and_overrides_win() {
        for role in ["polecat", "crew", "mayor", "witness", "refinery", "deacon"] {
            assert!(builtin(role).is_some_and(|t| t.len() > 100), "{role}");
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let t = text(dir.path(), Some("r"), "polecat", "r/polecats/ash", "town");
        assert!(t.contains("r/polecats/ash") && !t.contains("{{"), "{t}");
        std::fs::create_dir_all(dir.path().join("r/roles")).expect("mkdir");
        std::fs::write(
            dir.path().join("r/roles/polecat.md"),
            "custom for {{agent}}",
        )
        .expect("write");
        assert_eq!(
            text(dir.path(), Some("r"), "polecat", "r/polecats/ash", "town"),
            "custom for r/polecats/ash"
        );
    }
}
