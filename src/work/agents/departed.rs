//! Agents that finished or are gone, and where what was meant for them goes. A removed agent
//! has no mailbox anyone reads: its unread mail, and mail written to it later (a reply to its
//! Done mail), goes to the overseer with a note saying why. A polecat that ran `gt done` and
//! was then sent a message is not removed with its landed work: it may be acting on it.

use super::{AgentInfo, from_bead};
use crate::Result;
use crate::agent::{Address, Role};
use crate::ledger::{Reader, Tx};
use crate::work::Ctx;

/// Who reads what a departed agent can no longer read.
pub const FORWARD_TO: &str = "overseer";

/// A removed agent the ledger still remembers at an address.
#[derive(Debug, Clone)]
pub struct Departed {
    pub address: String,
    /// Why a message for it went elsewhere, in words for the person who reads it.
    pub why: String,
}

/// The removed agent `address` names (its record closed), if it ever existed. A live agent
/// of that address is not departed.
pub fn former(ctx: &Ctx, address: &str) -> Result<Option<Departed>> {
    let Ok(parsed) = Address::parse(address) else {
        return Ok(None);
    };
    let candidates: Vec<(String, Role, String)> = match parsed {
        Address::Short { rig, name } => vec![
            (rig.clone(), Role::Crew, name.clone()),
            (rig, Role::Polecat, name),
        ],
        Address::Polecat { rig, name } => vec![(rig, Role::Polecat, name)],
        Address::Crew { rig, name } => vec![(rig, Role::Crew, name)],
        _ => return Ok(None),
    };
    let r = ctx.reader();
    for (rig, role, name) in candidates {
        let Ok(info) = ctx.town.rig(&rig) else {
            return Ok(None);
        };
        let id = super::agent_bead_id(&info.prefix, &rig, role.as_str(), &name);
        let Some(b) = r.bead(&id)? else { continue };
        if b.agent_state.as_deref() != Some(super::AgentState::Removed.as_str()) {
            continue;
        }
        let Some(agent) = from_bead(&b) else { continue };
        let when = b.closed_at.as_deref().unwrap_or(&b.updated_at);
        let landed = r
            .last_event(&id, "polecat_removed")?
            .and_then(|e| e.new_value)
            .and_then(|v| serde_json::from_str::<serde_json::Value>(&v).ok())
            .and_then(|v| v["landed"].as_str().map(str::to_string));
        return Ok(Some(Departed {
            why: why_removed(&agent.address, landed.as_deref(), when),
            address: agent.address,
        }));
    }
    Ok(None)
}

/// The note on a message kept for the overseer because `address` is gone.
pub fn why_removed(address: &str, landed: Option<&str>, when: &str) -> String {
    let what = match landed {
        Some(branch) => format!("finished (its branch {branch} landed) and was removed"),
        None => "was removed".to_string(),
    };
    format!(
        "{address} {what} at {when}; no one reads its mailbox, so this was kept for the {FORWARD_TO}"
    )
}

/// Why a finished polecat must not be removed yet: a message (not a mail notice — mail
/// stays in its mailbox and follows it to the overseer) reached its session after it ran
/// `gt done`, so it may be acting on it. Removing it now would make that ✓ a message no one
/// reads.
pub fn told_after_finishing(r: &Reader<'_>, info: &AgentInfo) -> Result<Option<String>> {
    let (Some(freed), Some(told)) = (
        r.last_event(&info.bead_id, "agent_freed")?,
        r.last_event(&info.bead_id, "agent_told")?,
    ) else {
        return Ok(None);
    };
    if told.id < freed.id {
        return Ok(None);
    }
    let note: serde_json::Value = told
        .new_value
        .as_deref()
        .and_then(|v| serde_json::from_str(v).ok())
        .unwrap_or_default();
    let text = note["delivery"]
        .as_i64()
        .and_then(|id| r.delivery(id).ok().flatten())
        .map(|d| d.text.chars().take(60).collect::<String>())
        .unwrap_or_default();
    Ok(Some(format!(
        "{} was sent a message after it finished ({text:?}, from {}); it is kept so it can act on it — `gt polecat remove {}` when it is done",
        info.address,
        note["sender"].as_str().unwrap_or("someone"),
        info.address
    )))
}

/// Inside the removal's transaction: every unread message to `address` goes to the
/// overseer, with `why` on it, so nothing meant for the agent is lost with it.
pub fn forward_unread_in(tx: &mut Tx<'_>, address: &str, why: &str) -> Result<usize> {
    let unread = tx.reader().messages_for(address, false, true)?;
    for m in &unread {
        let old = tx.reader().require(&m.id)?;
        let mut new = old.clone();
        new.assignee = Some(FORWARD_TO.to_string());
        let mut meta: serde_json::Value = old
            .metadata
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_else(|| serde_json::json!({}));
        if let Some(obj) = meta.as_object_mut() {
            obj.insert("redirected_from".into(), address.into());
            obj.insert("note".into(), why.into());
        }
        new.metadata = Some(meta.to_string());
        tx.update_bead(&old, new, "mail_redirected")?;
    }
    Ok(unread.len())
}
