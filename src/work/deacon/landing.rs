//! Announcing landed convoys: one mail per landing to the owner and the watchers. A convoy
//! that lands is labelled `landing-unannounced` (in the landing's transaction); the mail and
//! the label's removal are one transaction, so each landing is announced exactly once, across
//! restarts and concurrent passes. A convoy that reopens and lands again is announced again.

use super::DeaconReport;
use crate::ledger::{Bead, ListFilter};
use crate::work::Ctx;
use crate::work::convoy::{self, ANNOUNCE_LABEL};
use crate::work::mail::{self, SendRequest};
use crate::work::{convoy::watch, mail::address};
use crate::{Error, Result};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Announced {
    pub convoy: String,
    pub title: String,
    pub recipients: Vec<String>,
    pub mail: Vec<String>,
}

pub(super) fn announce(ctx: &mut Ctx, report: &mut DeaconReport) {
    let pending = ctx.reader().list(&ListFilter {
        label: Some(ANNOUNCE_LABEL.into()),
        types: vec!["convoy".into()],
        all: true,
        ..Default::default()
    });
    let pending = match pending {
        Ok(p) => p,
        Err(e) => {
            report.errors.push(format!("landed convoys: {e}"));
            return;
        }
    };
    for p in pending {
        match announce_one(ctx, &p.id, report) {
            Ok(Some(a)) => report.notified.push(a),
            Ok(None) => {}
            Err(e) => report.errors.push(format!(
                "the landing of {} could not be announced: {e}",
                p.id
            )),
        }
    }
}

fn announce_one(ctx: &mut Ctx, id: &str, report: &mut DeaconReport) -> Result<Option<Announced>> {
    let c = ctx.reader().require(id)?;
    if !c.is_closed() {
        // Reopened meanwhile (the reopen takes the label off; this is a leftover).
        ctx.write(|tx| Ok(tx.remove_label(id, ANNOUNCE_LABEL)?))?;
        return Ok(None);
    }
    let labels = ctx.reader().labels(id)?;
    let mut to = vec![owner(ctx, &c)];
    for w in watch::watchers(&labels) {
        match address::resolve(ctx, &w) {
            Ok(_) if !to.contains(&w) => to.push(w),
            Ok(_) => {}
            Err(e) => report
                .errors
                .push(format!("watcher {w} of {id} was not mailed: {e}")),
        }
    }
    let req = SendRequest {
        to: to.clone(),
        cc: Vec::new(),
        subject: format!("Convoy landed: {}", c.title),
        body: body(ctx, &c)?,
        priority: None,
        reply_to: None,
    };
    let mut first = true;
    let sent = mail::send_and(ctx, "deacon", &req, |tx| {
        first = tx.remove_label(id, ANNOUNCE_LABEL)?;
        if first {
            Ok(())
        } else {
            Err(Error::failed("announced already"))
        }
    });
    match sent {
        Ok(s) => Ok(Some(Announced {
            convoy: id.to_string(),
            title: c.title.clone(),
            recipients: s.recipients,
            mail: s.ids,
        })),
        // Another pass announced it first; its mail stands, this one was not sent.
        Err(_) if !first => Ok(None),
        Err(e) => Err(e),
    }
}

/// Who owns a convoy's outcome: the town's `owner` when that is a mail address (a person's
/// name or email, as `gt install` writes, means the human: `overseer`); with no owner set,
/// the convoy's creator when it still has a mailbox; else `overseer`.
fn owner(ctx: &Ctx, c: &Bead) -> String {
    let reachable = |a: &str| address::resolve(ctx, a).is_ok();
    let setting = ctx
        .setting("owner", None)
        .map(|r| r.as_str())
        .unwrap_or_default();
    let setting = setting.trim();
    if !setting.is_empty() {
        return if reachable(setting) {
            setting.to_string()
        } else {
            "overseer".to_string()
        };
    }
    match c.created_by.as_deref().map(str::trim) {
        Some(by) if !by.is_empty() && reachable(by) => by.to_string(),
        _ => "overseer".to_string(),
    }
}

/// The tracked beads with how each one closed.
fn body(ctx: &Ctx, c: &Bead) -> Result<String> {
    let view = convoy::show(ctx, &c.id)?;
    let mut text = format!(
        "Convoy {} landed: all {} tracked bead(s) are closed.\n\n",
        c.id, view.total
    );
    for t in &view.tracked {
        let bead = ctx.reader().bead(&t.id)?;
        let reason = bead
            .as_ref()
            .and_then(|b| b.close_reason.clone())
            .filter(|r| !r.trim().is_empty())
            .unwrap_or_else(|| "(no reason given)".into());
        let title = t
            .title
            .clone()
            .unwrap_or_else(|| "(not in this ledger)".into());
        let status = t.status.clone().unwrap_or_else(|| "missing".into());
        text.push_str(&format!("- {} {title} [{status}]: {reason}\n", t.id));
    }
    Ok(text)
}
