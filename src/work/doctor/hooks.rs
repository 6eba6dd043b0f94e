//! The ledger: SQLite's integrity, and hooks that point nowhere — agents whose hook names a
//! bead that is gone, closed or someone else's, and beads hooked to agents that do not exist.

use super::Check;
use crate::Result;
use crate::ledger::{ListFilter, Reader};
use crate::work::Ctx;
use crate::work::agents::{self, AgentInfo};
use std::collections::HashSet;

pub(super) fn integrity(ctx: &mut Ctx, fix: bool, imported: Option<usize>) -> Check {
    let problems = match ctx.ledger.integrity_problems() {
        Ok(p) => p,
        Err(e) => {
            return Check::error(
                "ledger",
                format!("the integrity check could not run: {e}"),
                restore_advice(ctx),
            );
        }
    };
    if problems.is_empty() {
        let mut detail = "integrity_check ok, foreign keys ok".to_string();
        if let Some(n) = imported {
            detail.push_str(&format!(
                "; it was empty and was filled with {n} beads from .beads/issues.jsonl"
            ));
        }
        return Check::ok("ledger", detail);
    }
    let mut c = Check::error(
        "ledger",
        format!(
            "{} does not pass SQLite's checks: {}",
            ctx.ledger.path().display(),
            problems.join("; ")
        ),
        format!(
            "rebuild its indexes (REINDEX), which mends damage confined to indexes; if that is not enough: {}",
            restore_advice(ctx)
        ),
    )
    .fixable();
    if fix {
        let res = ctx
            .ledger
            .reindex()
            .map_err(crate::Error::from)
            .and_then(|()| {
                let left = ctx.ledger.integrity_problems()?;
                if left.is_empty() {
                    tracing::info!("gt doctor rebuilt the ledger's indexes");
                    Ok(())
                } else {
                    Err(crate::Error::failed(format!(
                        "REINDEX ran, but problems remain: {}; {}",
                        left.join("; "),
                        restore_advice(ctx)
                    )))
                }
            });
        c.outcome(res);
    }
    c
}

fn restore_advice(ctx: &Ctx) -> String {
    format!(
        "copy {} somewhere safe, move it aside, and run any gt command: a new ledger is filled \
         from {} (agents, deliveries and other unexported state are lost)",
        ctx.ledger.path().display(),
        ctx.town.paths.issues_jsonl().display()
    )
}

/// A hook that points nowhere.
#[derive(Debug, Clone)]
enum Dangling {
    /// The agent's record names a bead it cannot be working on.
    AgentHook {
        address: String,
        agent_bead: String,
        bead: String,
    },
    /// The bead is hooked to someone who is not an agent of the town.
    Bead {
        bead: String,
        assignee: Option<String>,
    },
}

pub(super) fn check(ctx: &mut Ctx, fix: bool) -> Vec<Check> {
    match check_inner(ctx, fix) {
        Ok(v) => v,
        Err(e) => vec![Check::error(
            "hooks",
            format!("could not check the hooks: {e}"),
            "see the error; `gt doctor` again after fixing the ledger",
        )],
    }
}

fn check_inner(ctx: &mut Ctx, fix: bool) -> Result<Vec<Check>> {
    let found = find(&ctx.reader())?;
    if found.is_empty() {
        return Ok(vec![Check::ok(
            "hooks",
            "every hooked bead is on a known agent's hook; every agent's hook names open work",
        )]);
    }
    let mut checks: Vec<Check> = Vec::new();
    for (d, why) in &found {
        let c = match d {
            Dangling::AgentHook { address, .. } => Check::error(
                "hooks",
                why.clone(),
                format!("clear {address}'s hook (its state becomes idle)"),
            ),
            Dangling::Bead { .. } => Check::error(
                "hooks",
                why.clone(),
                "release it: back to open with no assignee, and a comment saying gt doctor did it",
            ),
        };
        checks.push(c.fixable());
    }
    if fix {
        // One transaction for every repair; each is checked again inside it, so a sling or
        // `gt done` that set things right meanwhile is left alone.
        let res = ctx.write(|tx| {
            let mut done = Vec::new();
            for (d, _) in &found {
                let still = still_dangling(&tx.reader(), d)?;
                if still {
                    repair(tx, d)?;
                }
                done.push(still);
            }
            Ok(done)
        });
        match res {
            Ok(done) => {
                for (c, still) in checks.iter_mut().zip(done) {
                    c.fixed = true;
                    if !still {
                        c.action =
                            Some("nothing to do any more: it was set right meanwhile".into());
                    }
                }
            }
            Err(e) => {
                for c in &mut checks {
                    c.fix_error = Some(e.to_string());
                }
            }
        }
    }
    Ok(checks)
}

/// The problem is still there (looked at inside the repairing transaction).
fn still_dangling(r: &Reader<'_>, d: &Dangling) -> Result<bool> {
    match d {
        Dangling::AgentHook {
            agent_bead, bead, ..
        } => {
            let cur = r
                .bead(agent_bead)?
                .filter(|b| !b.is_closed())
                .and_then(|b| agents::from_bead(&b));
            match cur {
                Some(cur) if cur.hook.as_deref() == Some(bead.as_str()) => {
                    Ok(agent_problem(r, &cur)?.is_some())
                }
                _ => Ok(false),
            }
        }
        Dangling::Bead { bead, assignee } => {
            let Some(b) = r.bead(bead)? else {
                return Ok(false);
            };
            let holder = b.assignee.as_deref().filter(|a| !a.is_empty());
            if b.status != crate::ledger::Status::Hooked || holder != assignee.as_deref() {
                return Ok(false);
            }
            match holder {
                Some(a) => Ok(agents::find(r, a)?.is_none()),
                None => Ok(true),
            }
        }
    }
}

fn repair(tx: &mut crate::ledger::Tx<'_>, d: &Dangling) -> Result<()> {
    match d {
        Dangling::AgentHook {
            address,
            agent_bead,
            bead,
        } => {
            agents::set_state(tx, agent_bead, crate::work::agents::AgentState::Idle, None)?;
            let note = format!("gt doctor cleared {address}'s hook, which named {bead}");
            tx.record_event(Some(agent_bead), "doctor_repair", None, None, Some(&note))?;
            tracing::info!(agent = %address, bead = %bead, "gt doctor cleared a dangling hook");
        }
        Dangling::Bead { bead, assignee } => {
            crate::work::agents::unhook_in(tx, bead)?;
            let who = assignee.as_deref().unwrap_or("nobody");
            tx.add_comment(
                bead,
                &format!(
                    "gt doctor released this bead: it was hooked to {who}, which is not an agent \
                     of this town. It is open again; anything committed for it stays on its branch."
                ),
            )?;
            tracing::info!(bead = %bead, holder = %who, "gt doctor released a bead hooked to no agent");
        }
    }
    Ok(())
}

/// Every dangling hook, with a sentence saying what is wrong.
fn find(r: &Reader<'_>) -> Result<Vec<(Dangling, String)>> {
    let live = agents::list(r, None)?;
    let mut out = Vec::new();
    for a in &live {
        if let Some(why) = agent_problem(r, a)? {
            out.push((
                Dangling::AgentHook {
                    address: a.address.clone(),
                    agent_bead: a.bead_id.clone(),
                    bead: a.hook.clone().unwrap_or_default(),
                },
                why,
            ));
        }
    }
    let known: HashSet<&str> = live.iter().map(|a| a.address.as_str()).collect();
    let hooked = r.list(&ListFilter {
        statuses: vec![crate::ledger::Status::Hooked.into()],
        all: true,
        ..Default::default()
    })?;
    for b in hooked {
        let assignee = b.assignee.clone().filter(|a| !a.is_empty());
        let why = match assignee.as_deref() {
            None => format!("{} is hooked to nobody (status hooked, no assignee)", b.id),
            Some(a) if known.contains(a) => continue,
            Some(a) if removed(r, a)? => {
                format!("{} is hooked to {a}, which was removed", b.id)
            }
            Some(a) => format!(
                "{} is hooked to {a}, which is not an agent of this town",
                b.id
            ),
        };
        out.push((
            Dangling::Bead {
                bead: b.id.clone(),
                assignee,
            },
            why,
        ));
    }
    Ok(out)
}

/// Why an agent's hook is dangling, if it is.
fn agent_problem(r: &Reader<'_>, a: &AgentInfo) -> Result<Option<String>> {
    let Some(h) = a.hook.as_deref() else {
        return Ok(None);
    };
    let why = match r.bead(h)? {
        None => format!("{}'s hook names {h}, which is not in the ledger", a.address),
        Some(b) if b.is_closed() => format!("{}'s hook names {h}, which is closed", a.address),
        Some(b)
            if b.status == crate::ledger::Status::Hooked
                && b.assignee.as_deref().is_some_and(|o| o != a.address) =>
        {
            format!(
                "{}'s hook names {h}, which is on {}'s hook",
                a.address,
                b.assignee.as_deref().unwrap_or_default()
            )
        }
        Some(_) => return Ok(None),
    };
    Ok(Some(why))
}

/// An agent bead of this address exists but is closed (the agent was removed).
fn removed(r: &Reader<'_>, address: &str) -> Result<bool> {
    let beads = r.list(&ListFilter {
        types: vec!["agent".into()],
        statuses: vec![crate::ledger::Status::Closed.into()],
        all: true,
        ..Default::default()
    })?;
    for s in beads {
        if let Some(b) = r.bead(&s.id)?
            && agents::from_bead(&b).is_some_and(|a| a.address == address)
        {
            return Ok(true);
        }
    }
    Ok(false)
}
