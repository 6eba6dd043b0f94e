//! Names of rigs (and later agents) and bead prefixes: validation and derivation.

use super::TownError;

/// Words that name town-level things and so cannot be rig names.
pub const RESERVED: &[&str] = &[
    "hq", "mayor", "deacon", "witness", "refinery", "polecat", "polecats", "crew", "overseer",
    "town", "daemon", "logs", "formulas", "roles", "keymaps", "themes", "all", "beads",
];

const MAX_NAME: usize = 64;

pub fn rig_name_rule() -> String {
    format!(
        "rig names use only letters, digits and '_' (no '/', '..', '-', '.' or spaces), \
         are at most {MAX_NAME} characters, and are not a reserved word ({})",
        RESERVED.join(", ")
    )
}

/// Checks a rig name against the rule; the error carries the rule.
pub fn validate_rig_name(name: &str) -> Result<(), TownError> {
    let ok_chars = !name.is_empty()
        && name.len() <= MAX_NAME
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let reserved = RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name));
    if ok_chars && !reserved {
        return Ok(());
    }
    Err(TownError::BadName {
        what: "rig name",
        name: name.to_string(),
        rule: rig_name_rule(),
    })
}

pub fn prefix_rule() -> String {
    "a bead prefix is 1–10 lowercase letters or digits starting with a letter, and not `hq` \
     (reserved for town-level beads)"
        .into()
}

pub fn validate_prefix(prefix: &str) -> Result<(), TownError> {
    let ok = !prefix.is_empty()
        && prefix.len() <= 10
        && prefix.starts_with(|c: char| c.is_ascii_lowercase())
        && prefix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && prefix != "hq";
    if ok {
        Ok(())
    } else {
        Err(TownError::BadName {
            what: "prefix",
            name: prefix.to_string(),
            rule: prefix_rule(),
        })
    }
}

/// Common endings of compound project names ("gastown" → gas + town → "gt").
const COMPOUND_ENDINGS: &[&str] = &[
    "town", "city", "ville", "port", "works", "hub", "base", "land", "lab", "kit", "box", "stack",
    "flow", "craft", "board", "desk", "forge", "shop", "store", "core", "app", "api", "db",
];

/// The preferred prefix for a rig name: initials of a multi-part name, the whole of a short
/// name, else the first two letters. Lowercase, letters and digits only.
pub fn derive_prefix(name: &str) -> String {
    let parts = split_parts(name);
    let raw = if parts.len() >= 2 {
        parts
            .iter()
            .filter_map(|p| p.chars().next())
            .collect::<String>()
    } else if name.chars().count() <= 3 {
        name.to_string()
    } else {
        name.chars().take(2).collect()
    };
    sanitize(&raw)
}

/// Candidates in order of preference; the first one not taken is used.
pub fn prefix_candidates(name: &str) -> Vec<String> {
    let mut out = vec![derive_prefix(name)];
    let clean = sanitize(name);
    for n in 3..=clean.len().min(10) {
        out.push(clean[..n].to_string());
    }
    let base = out[0].clone();
    for d in 2..=9 {
        out.push(format!("{base}{d}"));
    }
    out.retain(|p| validate_prefix(p).is_ok());
    out.dedup();
    out
}

fn sanitize(s: &str) -> String {
    let mut out: String = s
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    // A prefix must start with a letter.
    while out.starts_with(|c: char| c.is_ascii_digit()) {
        out.remove(0);
    }
    if out.is_empty() { "r".into() } else { out }
}

fn split_parts(name: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for chunk in name.split('_').filter(|s| !s.is_empty()) {
        let mut current = String::new();
        let mut prev_lower = false;
        for c in chunk.chars() {
            if c.is_ascii_uppercase() && prev_lower && !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            current.push(c);
        }
        if !current.is_empty() {
            parts.push(current);
        }
    }
    if parts.len() == 1 {
        let word = parts[0].to_ascii_lowercase();
        for ending in COMPOUND_ENDINGS {
            if word.len() > ending.len() + 1 && word.ends_with(ending) {
                let head = word[..word.len() - ending.len()].to_string();
                return vec![head, ending.to_string()];
            }
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_prefixes() {
        assert_eq!(derive_prefix("gastown"), "gt");
        assert_eq!(derive_prefix("my_cool_app"), "mca");
        assert_eq!(derive_prefix("myFrontend"), "mf");
        assert_eq!(derive_prefix("api"), "api");
        assert_eq!(derive_prefix("beads"), "be");
        assert_eq!(derive_prefix("X1"), "x1");
    }

    #[test]
    fn candidates_are_valid_and_distinct() {
        let c = prefix_candidates("gastown");
        assert_eq!(c[0], "gt");
        assert!(c.contains(&"gas".to_string()));
        assert!(c.iter().all(|p| validate_prefix(p).is_ok()));
    }

    #[test]
    fn rejects_bad_rig_names() {
        for bad in ["", "a/b", "..", "a-b", "a.b", "has space", "mayor", "HQ"] {
            assert!(validate_rig_name(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["gastown", "my_rig", "Rig2"] {
            assert!(validate_rig_name(good).is_ok(), "{good:?} rejected");
        }
    }

    #[test]
    fn rejects_bad_prefixes() {
        for bad in ["", "hq", "1ab", "Ab", "a-b", "abcdefghijk"] {
            assert!(validate_prefix(bad).is_err(), "{bad:?} accepted");
        }
    }
}
