//! The brakes a person puts on the town: an emergency stop (everything of the town or of one
//! rig frozen where it stands) and a rig's rest (parked: no new work, running agents finish;
//! docked: everything of it stopped, hooks kept). Each is one record in the ledger's config
//! (durable, transactional, seen by every process at its next read); every part of gt that
//! starts or lands work asks here first: sling, the scheduler, the refinery, the witness.
//! Putting them on and taking them off is `town::estop` and `town::rest`.

use crate::Result;
use crate::ledger::Reader;
use serde::{Deserialize, Serialize};

/// Config key of the town's emergency stop.
const TOWN_ESTOP: &str = "gt.estop";
/// Prefix of a rig's emergency stop (`gt.estop.rig.<rig>`).
const RIG_ESTOP: &str = "gt.estop.rig.";
/// Prefix of a rig's rest (`gt.rest.<rig>`).
const REST: &str = "gt.rest.";

pub(crate) fn estop_key(rig: Option<&str>) -> String {
    match rig {
        None => TOWN_ESTOP.to_string(),
        Some(r) => format!("{RIG_ESTOP}{r}"),
    }
}

pub(crate) fn rest_key(rig: &str) -> String {
    format!("{REST}{rig}")
}

/// An emergency stop in force.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Estop {
    /// None: the whole town.
    pub rig: Option<String>,
    pub by: String,
    pub why: Option<String>,
    /// RFC 3339.
    pub at: String,
    /// What was stopped, so a thaw resumes exactly that.
    pub frozen: Vec<Frozen>,
}

/// One agent held by an emergency stop.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Frozen {
    pub agent: String,
    /// It was busy and its runtime was interrupted (the thaw tells it to go on).
    pub interrupted: bool,
    /// The runtime put the interrupted prompt back into its input (Claude Code does): the
    /// thaw submits it again — the very turn that was stopped — rather than a new message,
    /// if the input still holds exactly that (this is its fingerprint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restored: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RestKind {
    /// No new work; running agents finish and their work lands.
    Parked,
    /// Everything stopped, hooks kept; nothing slung or merged.
    Docked,
}

impl RestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RestKind::Parked => "parked",
            RestKind::Docked => "docked",
        }
    }
}

/// A rig at rest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Rest {
    pub state: RestKind,
    pub by: String,
    pub why: Option<String>,
    pub at: String,
    /// Agents whose sessions docking stopped (started again on undock).
    #[serde(default)]
    pub stopped: Vec<String>,
}

/// Every brake in force, read in one query.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Brakes {
    pub town: Option<Estop>,
    /// Rigs frozen on their own.
    pub rig_estops: Vec<Estop>,
    /// Rigs at rest, by name.
    pub rests: Vec<(String, Rest)>,
}

/// What the brakes hold back, said to whoever asked.
impl Brakes {
    pub fn read(r: &Reader<'_>) -> Result<Brakes> {
        let mut b = Brakes::default();
        for (key, value) in r.config_all()? {
            let Some(value) = value else { continue };
            if key == TOWN_ESTOP {
                b.town = parse(&key, &value);
            } else if key.starts_with(RIG_ESTOP) {
                b.rig_estops.extend(parse(&key, &value));
            } else if let Some(rig) = key.strip_prefix(REST)
                && let Some(rest) = parse(&key, &value)
            {
                b.rests.push((rig.to_string(), rest));
            }
        }
        Ok(b)
    }

    /// Nothing is held anywhere (the common case, so callers skip all else).
    pub fn is_clear(&self) -> bool {
        self.town.is_none() && self.rig_estops.is_empty() && self.rests.is_empty()
    }

    /// The emergency stop that freezes `rig` (the town's first), if any.
    pub fn estop_of(&self, rig: Option<&str>) -> Option<&Estop> {
        self.town.as_ref().or_else(|| {
            let rig = rig?;
            self.rig_estops
                .iter()
                .find(|e| e.rig.as_deref() == Some(rig))
        })
    }

    pub fn rest_of(&self, rig: &str) -> Option<&Rest> {
        self.rests.iter().find(|(r, _)| r == rig).map(|(_, r)| r)
    }

    /// Why no new work may start on `rig` (None: the mayor or a town-wide agent), if it may not.
    pub fn sling_refusal(&self, rig: Option<&str>) -> Option<String> {
        if let Some(e) = self.estop_of(rig) {
            return Some(format!(
                "{} (`{}` resumes it)",
                e.describe(),
                e.thaw_command()
            ));
        }
        let rig = rig?;
        self.rest_of(rig).map(|r| {
            format!(
                "rig {rig} is {} (`gt rig {} {rig}` lets work in again)",
                r.state.as_str(),
                match r.state {
                    RestKind::Parked => "unpark",
                    RestKind::Docked => "undock",
                }
            )
        })
    }

    /// Why nothing may land on `rig`'s default branch now, if it may not. A parked rig's
    /// running agents finish, so their work lands.
    pub fn merge_hold(&self, rig: &str) -> Option<String> {
        if let Some(e) = self.estop_of(Some(rig)) {
            return Some(e.describe());
        }
        self.rest_of(rig)
            .filter(|r| r.state == RestKind::Docked)
            .map(|_| format!("rig {rig} is docked"))
    }

    /// Why the witness must leave `rig`'s agents alone now (frozen agents look stalled; a
    /// docked rig's agents were stopped on purpose), if it must.
    pub fn witness_hold(&self, rig: &str) -> Option<String> {
        self.merge_hold(rig)
    }

    /// An emergency stop covers the agent's rig (or the town): nothing may reach it.
    pub fn holds_agent(&self, agent: &str) -> bool {
        let rig = crate::agent::Address::parse(agent)
            .ok()
            .and_then(|a| a.rig().map(str::to_string));
        self.estop_of(rig.as_deref()).is_some()
    }

    /// The agent is frozen by an emergency stop.
    pub fn is_frozen(&self, agent: &str) -> bool {
        self.town
            .iter()
            .chain(&self.rig_estops)
            .any(|e| e.frozen.iter().any(|f| f.agent == agent))
    }
}

impl Estop {
    /// "the town is frozen (emergency stop by ann: why)".
    pub fn describe(&self) -> String {
        let what = match &self.rig {
            None => "the town is frozen".to_string(),
            Some(r) => format!("rig {r} is frozen"),
        };
        let why = self
            .why
            .as_deref()
            .map(|w| format!(": {w}"))
            .unwrap_or_default();
        format!("{what} (emergency stop by {}{why})", self.by)
    }

    pub fn thaw_command(&self) -> String {
        match &self.rig {
            None => "gt thaw".into(),
            Some(r) => format!("gt thaw {r}"),
        }
    }
}

/// A record another version wrote in a shape this one cannot read is logged and treated as
/// a brake of unknown detail rather than dropped: a brake must never be lost silently.
pub(crate) fn parse<T: for<'de> Deserialize<'de> + Fallback>(key: &str, value: &str) -> Option<T> {
    match serde_json::from_str(value) {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::warn!(key, error = %e, "a brake record could not be read; kept as it is");
            Some(T::unreadable(key))
        }
    }
}

pub(crate) trait Fallback {
    fn unreadable(key: &str) -> Self;
}

impl Fallback for Estop {
    fn unreadable(key: &str) -> Self {
        Estop {
            rig: key.strip_prefix(RIG_ESTOP).map(str::to_string),
            by: "?".into(),
            why: Some("its record could not be read".into()),
            at: String::new(),
            frozen: Vec::new(),
        }
    }
}

impl Fallback for Rest {
    fn unreadable(_key: &str) -> Self {
        Rest {
            state: RestKind::Docked,
            by: "?".into(),
            why: Some("its record could not be read".into()),
            at: String::new(),
            stopped: Vec::new(),
        }
    }
}

/// The rig a sling target names (`shop`, `shop/polecats/ash`, `shop/crew/bo`).
pub fn target_rig(target: &str) -> Option<&str> {
    let rig = target.split('/').next()?;
    (!rig.is_empty() && crate::agent::Address::parse(target).ok()?.rig().is_some()).then_some(rig)
}

/// Refuses to start a session on `rig` while it is frozen or docked (a parked rig's agents
/// may go on: they are finishing their work).
pub fn check_start(r: &Reader<'_>, rig: Option<&str>) -> Result<()> {
    let b = Brakes::read(r)?;
    let why = match (b.estop_of(rig), rig) {
        (Some(e), _) => Some(format!("{} (`{}` first)", e.describe(), e.thaw_command())),
        (None, Some(rig)) => b
            .merge_hold(rig)
            .map(|w| format!("{w} (`gt rig undock {rig}` first)")),
        (None, None) => None,
    };
    match why {
        Some(why) => Err(crate::Error::failed(format!("not started: {why}"))),
        None => Ok(()),
    }
}

/// A reason given with `-m`: said back in the workspace and the log, so one line of sense.
pub(crate) fn check_reason(why: Option<&str>) -> Result<()> {
    match why {
        Some(w) if w.trim().is_empty() => Err(crate::Error::invalid(
            "the reason (-m) is empty; leave -m out or say why",
        )),
        Some(w) if w.chars().count() > 500 => Err(crate::Error::invalid(format!(
            "the reason (-m) is {} characters; at most 500",
            w.chars().count()
        ))),
        _ => Ok(()),
    }
}

/// Refuses new work on `rig` while a brake holds it: the one check every way of starting
/// work calls (nothing is written when it refuses).
pub fn check_sling(r: &Reader<'_>, rig: Option<&str>) -> Result<()> {
    match Brakes::read(r)?.sling_refusal(rig) {
        Some(why) => Err(crate::Error::failed(format!(
            "not slung: {why}; nothing was written"
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estop(rig: Option<&str>) -> Estop {
        Estop {
            rig: rig.map(str::to_string),
            by: "ann".into(),
            why: Some("runaway".into()),
            at: "2026-12-04T00:00:00Z".into(),
            frozen: vec![Frozen {
                agent: "shop/polecats/ash".into(),
                interrupted: true,
                restored: None,
            }],
        }
    }

    fn rest(state: RestKind) -> Rest {
        Rest {
            state,
            by: "ann".into(),
            why: None,
            at: String::new(),
            stopped: vec![],
        }
    }

    #[test]
    fn what_each_brake_holds() {
        let clear = Brakes::default();
        assert!(clear.is_clear() && clear.sling_refusal(Some("shop")).is_none());

        let town = Brakes {
            town: Some(estop(None)),
            ..Default::default()
        };
        assert!(town.sling_refusal(None).is_some(), "the mayor too");
        assert!(town.merge_hold("any").is_some());
        assert!(town.is_frozen("shop/polecats/ash") && !town.is_frozen("shop/polecats/elm"));

        let one = Brakes {
            rig_estops: vec![estop(Some("shop"))],
            ..Default::default()
        };
        assert!(one.sling_refusal(Some("shop")).is_some());
        assert!(one.sling_refusal(Some("lab")).is_none() && one.sling_refusal(None).is_none());
        assert!(
            one.sling_refusal(Some("shop"))
                .is_some_and(|w| w.contains("gt thaw shop"))
        );

        let parked = Brakes {
            rests: vec![("shop".into(), rest(RestKind::Parked))],
            ..Default::default()
        };
        assert!(
            parked
                .sling_refusal(Some("shop"))
                .is_some_and(|w| w.contains("unpark"))
        );
        assert!(
            parked.merge_hold("shop").is_none(),
            "parked work still lands"
        );
        assert!(parked.witness_hold("shop").is_none());

        let docked = Brakes {
            rests: vec![("shop".into(), rest(RestKind::Docked))],
            ..Default::default()
        };
        assert!(docked.merge_hold("shop").is_some() && docked.witness_hold("shop").is_some());
        assert!(docked.merge_hold("lab").is_none());
    }

    #[test]
    fn an_unreadable_record_still_holds() {
        let e: Option<Estop> = parse("gt.estop.rig.shop", "{not json");
        let e = e.expect("kept");
        assert_eq!(e.rig.as_deref(), Some("shop"));
        let r: Option<Rest> = parse("gt.rest.shop", "nope");
        assert_eq!(r.map(|r| r.state), Some(RestKind::Docked));
    }
}
