//! Agent addresses (DESIGN.md §2): `mayor`, `deacon`, `overseer`, `<rig>/witness`,
//! `<rig>/refinery`, `<rig>/polecats/<name>`, `<rig>/crew/<name>`, and `<rig>/<name>`.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address {
    Mayor,
    Deacon,
    /// The human.
    Overseer,
    Witness {
        rig: String,
    },
    Refinery {
        rig: String,
    },
    Polecat {
        rig: String,
        name: String,
    },
    Crew {
        rig: String,
        name: String,
    },
    /// `<rig>/<name>`: a polecat or crew member, decided by what exists.
    Short {
        rig: String,
        name: String,
    },
    /// A bare rig name: "a new or idle polecat of this rig" for sling.
    Rig {
        rig: String,
    },
}

/// What an agent is (DESIGN §2), as its address and its agent bead say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Mayor,
    Deacon,
    Overseer,
    Witness,
    Refinery,
    Polecat,
    Crew,
    /// A role this version does not know (a window tagged by another tool, a newer ledger).
    #[serde(other)]
    Unknown,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Mayor => "mayor",
            Role::Deacon => "deacon",
            Role::Overseer => "overseer",
            Role::Witness => "witness",
            Role::Refinery => "refinery",
            Role::Polecat => "polecat",
            Role::Crew => "crew",
            Role::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Role {
        [
            Role::Mayor,
            Role::Deacon,
            Role::Overseer,
            Role::Witness,
            Role::Refinery,
            Role::Polecat,
            Role::Crew,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
        .unwrap_or(Role::Unknown)
    }

    /// A worker with a worktree of its own.
    pub fn has_worktree(self) -> bool {
        matches!(self, Role::Polecat | Role::Crew)
    }
}

impl From<&str> for Role {
    fn from(s: &str) -> Self {
        Role::parse(s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn valid_part(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Address {
    pub fn parse(s: &str) -> Result<Address, String> {
        // `<rig>/` is the rig itself; any other trailing slash is a typo.
        let s = match s.strip_suffix('/') {
            Some(rig) if !rig.contains('/') => rig,
            _ => s,
        };
        let parts: Vec<&str> = s.split('/').collect();
        let bad = || {
            format!(
                "{s:?} is not an agent address; use mayor, deacon, <rig>/witness, <rig>/refinery, \
                 <rig>/polecats/<name>, <rig>/crew/<name> or <rig>/<name>"
            )
        };
        if !parts.iter().all(|p| valid_part(p)) {
            return Err(bad());
        }
        Ok(match parts.as_slice() {
            ["mayor"] => Address::Mayor,
            ["deacon"] => Address::Deacon,
            ["overseer"] => Address::Overseer,
            [rig] => Address::Rig {
                rig: rig.to_string(),
            },
            [rig, "witness"] => Address::Witness {
                rig: rig.to_string(),
            },
            [rig, "refinery"] => Address::Refinery {
                rig: rig.to_string(),
            },
            [rig, name] => Address::Short {
                rig: rig.to_string(),
                name: name.to_string(),
            },
            [rig, "polecats", name] => Address::Polecat {
                rig: rig.to_string(),
                name: name.to_string(),
            },
            [rig, "crew", name] => Address::Crew {
                rig: rig.to_string(),
                name: name.to_string(),
            },
            _ => return Err(bad()),
        })
    }

    pub fn rig(&self) -> Option<&str> {
        match self {
            Address::Witness { rig }
            | Address::Refinery { rig }
            | Address::Polecat { rig, .. }
            | Address::Crew { rig, .. }
            | Address::Short { rig, .. }
            | Address::Rig { rig } => Some(rig),
            _ => None,
        }
    }

    /// The role name used for role files and `role_agents`.
    pub fn role(&self) -> Role {
        match self {
            Address::Mayor => Role::Mayor,
            Address::Deacon => Role::Deacon,
            Address::Overseer => Role::Overseer,
            Address::Witness { .. } => Role::Witness,
            Address::Refinery { .. } => Role::Refinery,
            Address::Polecat { .. } | Address::Short { .. } | Address::Rig { .. } => Role::Polecat,
            Address::Crew { .. } => Role::Crew,
        }
    }

    /// A file-name-safe form (`gastown--polecats--ash`), for locks and logs.
    pub fn slug(&self) -> String {
        self.to_string().replace('/', "--")
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Mayor => write!(f, "mayor"),
            Address::Deacon => write!(f, "deacon"),
            Address::Overseer => write!(f, "overseer"),
            Address::Witness { rig } => write!(f, "{rig}/witness"),
            Address::Refinery { rig } => write!(f, "{rig}/refinery"),
            Address::Polecat { rig, name } => write!(f, "{rig}/polecats/{name}"),
            Address::Crew { rig, name } => write!(f, "{rig}/crew/{name}"),
            Address::Short { rig, name } => write!(f, "{rig}/{name}"),
            Address::Rig { rig } => write!(f, "{rig}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(Address::parse("mayor"), Ok(Address::Mayor));
        assert_eq!(
            Address::parse("gastown"),
            Ok(Address::Rig {
                rig: "gastown".into()
            })
        );
        assert_eq!(
            Address::parse("gastown/witness"),
            Ok(Address::Witness {
                rig: "gastown".into()
            })
        );
        assert_eq!(
            Address::parse("gastown/polecats/ash"),
            Ok(Address::Polecat {
                rig: "gastown".into(),
                name: "ash".into()
            })
        );
        assert_eq!(
            Address::parse("gastown/crew/max").map(|a| a.role()),
            Ok(Role::Crew)
        );
        assert_eq!(
            Address::parse("gastown/ash"),
            Ok(Address::Short {
                rig: "gastown".into(),
                name: "ash".into()
            })
        );
        assert_eq!(
            Address::parse("gastown/polecats/ash").map(|a| a.to_string()),
            Ok("gastown/polecats/ash".into())
        );
        for bad in ["", "a/b/c", "a/../b", "a b", "gastown/polecats/", "x/y/z/w"] {
            assert!(Address::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
