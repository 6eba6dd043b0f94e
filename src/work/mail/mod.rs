//! Mail: durable messages between agents and the human, stored as `message` beads (one per
//! recipient). After the write, a running recipient is told through confirmed delivery — in
//! the background, so sending never waits on the recipient.

pub mod address;
pub mod broadcast;
pub mod config;
pub mod escalation;

use super::Ctx;
use crate::ledger::{Bead, Dependency, MessageRow, Tx};
use crate::{Error, Result};
use address::Recipient;
use serde_json::{Value, json};

pub const READ: &str = "read";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    Urgent,
    High,
    Normal,
    Low,
}

impl Priority {
    pub fn parse(s: &str) -> Result<Priority> {
        match s {
            "urgent" => Ok(Priority::Urgent),
            "high" => Ok(Priority::High),
            "normal" => Ok(Priority::Normal),
            "low" => Ok(Priority::Low),
            _ => Err(Error::invalid(format!(
                "priority must be urgent, high, normal or low, not {s:?}"
            ))),
        }
    }

    pub fn level(self) -> i64 {
        match self {
            Priority::Urgent => 0,
            Priority::High => 1,
            Priority::Normal => 2,
            Priority::Low => 3,
        }
    }

    pub fn name_of(level: i64) -> &'static str {
        match level {
            0 => "urgent",
            1 => "high",
            2 => "normal",
            _ => "low",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct SendRequest {
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub body: String,
    pub priority: Option<String>,
    pub reply_to: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Sent {
    /// One message bead per recipient.
    pub ids: Vec<String>,
    pub recipients: Vec<String>,
    pub thread: String,
    /// Running recipients told about it (delivery ids).
    pub notifications: Vec<i64>,
    /// Why a copy went elsewhere than asked (an agent that is gone).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Sent {
    /// What the sender is told: where it went, and why a copy went elsewhere.
    pub fn describe(&self, verb: &str) -> String {
        let mut out = format!("{verb} {}", self.recipients.join(", "));
        for n in &self.notes {
            out.push_str(&format!(" — {n}"));
        }
        out
    }
}

/// A message as a person reads it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MailItem {
    pub id: String,
    pub from: String,
    pub to: String,
    pub cc: Vec<String>,
    pub subject: String,
    pub priority: &'static str,
    pub read: bool,
    pub archived: bool,
    pub thread: String,
    pub reply_to: Option<String>,
    pub created_at: String,
    pub claimed_by: Option<String>,
    /// Meant for this agent, which is gone; kept here instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirected_from: Option<String>,
    /// Why it was kept here (said with the message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

fn meta(text: Option<&str>) -> Value {
    text.and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or(Value::Null)
}

/// The parts of a message's metadata a listing needs (parsed without building a JSON tree:
/// inboxes list thousands).
#[derive(Default, serde::Deserialize)]
struct ListMeta {
    #[serde(default)]
    cc: Vec<String>,
    thread: Option<String>,
    reply_to: Option<String>,
    claimed_by: Option<String>,
    redirected_from: Option<String>,
    note: Option<String>,
}

pub fn item_from_row(r: &MessageRow) -> MailItem {
    let m: ListMeta = r
        .metadata
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    MailItem {
        id: r.id.clone(),
        from: r.from.clone().unwrap_or_else(|| "?".into()),
        to: r.to.clone(),
        cc: m.cc,
        subject: r.subject.clone(),
        priority: Priority::name_of(r.priority),
        read: r.read,
        archived: r.status == crate::ledger::Status::Closed,
        thread: m.thread.unwrap_or_else(|| r.id.clone()),
        reply_to: m.reply_to,
        created_at: r.created_at.clone(),
        claimed_by: m.claimed_by,
        redirected_from: m.redirected_from,
        note: m.note,
        body: None,
    }
}

fn item_from_bead(b: &Bead, read: bool) -> MailItem {
    let row = MessageRow {
        id: b.id.clone(),
        to: b.assignee.clone().unwrap_or_default(),
        from: b.sender.clone(),
        subject: b.title.clone(),
        priority: b.priority,
        status: b.status.clone(),
        created_at: b.created_at.clone(),
        metadata: b.metadata.clone(),
        read,
    };
    let mut item = item_from_row(&row);
    item.body = Some(b.description.clone().unwrap_or_default());
    item
}

/// The message bead `id`, or a clear error.
fn require_message(ctx: &Ctx, id: &str) -> Result<Bead> {
    let b = super::beads::require(ctx, &ctx.reader(), id)?;
    if b.issue_type != "message" {
        return Err(Error::invalid(format!(
            "{id} is a {}, not a message",
            b.issue_type
        )));
    }
    Ok(b)
}

pub fn send(ctx: &mut Ctx, from: &str, req: &SendRequest) -> Result<Sent> {
    send_and(ctx, from, req, |_| Ok(()))
}

/// `send`, with `also` run in the same transaction as the messages: the mail and the
/// caller's bookkeeping (say, "this landing was announced") are recorded together or not at
/// all. An error from `also` sends nothing.
pub(crate) fn send_and(
    ctx: &mut Ctx,
    from: &str,
    req: &SendRequest,
    also: impl FnOnce(&mut Tx<'_>) -> Result<()>,
) -> Result<Sent> {
    let out = Outgoing::prepare(ctx, from, req)?;
    let written = ctx.write(|tx| {
        let w = out.write(tx, &req.body)?;
        also(tx)?;
        Ok(w)
    })?;
    out.notify(ctx, written)
}

/// A message checked and addressed but not yet written: for a caller whose transaction
/// makes what the body names (a bead made in the same write), so both land or neither.
pub(crate) struct Outgoing {
    from: String,
    subject: String,
    priority: Priority,
    to: Vec<Recipient>,
    cc: Vec<Recipient>,
    original: Option<Bead>,
}

/// What `Outgoing::write` recorded.
pub(crate) struct Written {
    ids: Vec<String>,
    thread: String,
}

impl Outgoing {
    /// Checks the request and resolves its recipients (nothing is written).
    pub(crate) fn prepare(ctx: &Ctx, from: &str, req: &SendRequest) -> Result<Outgoing> {
        let subject = req.subject.trim().to_string();
        if subject.is_empty() {
            return Err(Error::invalid("a message needs a subject (-s)"));
        }
        if req.to.is_empty() {
            return Err(Error::invalid("give at least one recipient"));
        }
        let priority = Priority::parse(req.priority.as_deref().unwrap_or("normal"))?;
        let to = address::resolve_all(ctx, &req.to)?;
        let cc: Vec<Recipient> = address::resolve_all(ctx, &req.cc)?
            .into_iter()
            .filter(|r| !to.contains(r))
            .collect();
        let original = match &req.reply_to {
            Some(id) => Some(require_message(ctx, id)?),
            None => None,
        };
        Ok(Outgoing {
            from: from.to_string(),
            subject,
            priority,
            to,
            cc,
            original,
        })
    }

    fn to_names(&self) -> Vec<String> {
        self.to.iter().map(Recipient::assignee).collect()
    }

    fn cc_names(&self) -> Vec<String> {
        self.cc.iter().map(Recipient::assignee).collect()
    }

    /// Writes one message bead per recipient, inside the caller's transaction.
    pub(crate) fn write(&self, tx: &mut Tx<'_>, body: &str) -> Result<Written> {
        let (to_names, cc_names) = (self.to_names(), self.cc_names());
        let mut ids = Vec::new();
        let mut thread = self.original.as_ref().map(|o| {
            meta(o.metadata.as_deref())["thread"]
                .as_str()
                .unwrap_or(&o.id)
                .to_string()
        });
        for r in self.to.iter().chain(self.cc.iter()) {
            let id = tx.new_id("hq", &self.subject)?;
            let thread_id = thread.get_or_insert_with(|| id.clone()).clone();
            let m = json!({
                "msg": ids.first().unwrap_or(&id),
                "thread": thread_id,
                "to": to_names,
                "cc": cc_names,
                "reply_to": self.original.as_ref().map(|o| o.id.clone()),
                "queue": matches!(r, Recipient::Queue(_)).then(|| r.assignee()),
            });
            let m = match r {
                Recipient::Forwarded { gone, why } => {
                    let mut m = m;
                    m["redirected_from"] = json!(gone);
                    m["note"] = json!(why);
                    m
                }
                _ => m,
            };
            insert_message(
                tx,
                &id,
                &self.from,
                &r.assignee(),
                &self.subject,
                body,
                self.priority,
                &m,
            )?;
            tx.add_label(&id, &format!("thread:{thread_id}"))?;
            if let Some(o) = &self.original {
                let d = Dependency {
                    issue_id: id.clone(),
                    depends_on_id: o.id.clone(),
                    kind: "replies-to".into(),
                    created_at: Some(tx.now().to_string()),
                    created_by: Some(self.from.clone()),
                    extra: Default::default(),
                };
                tx.add_dep(&d)?;
            }
            ids.push(id);
        }
        let ev = json!({"from": self.from, "to": to_names, "cc": cc_names, "subject": self.subject, "priority": Priority::name_of(self.priority.level())});
        tx.record_event(
            ids.first().map(String::as_str),
            "mail_sent",
            None,
            Some(ev),
            None,
        )?;
        Ok(Written {
            ids,
            thread: thread.unwrap_or_default(),
        })
    }

    /// After the commit: tells the running recipients (in the background).
    pub(crate) fn notify(&self, ctx: &mut Ctx, written: Written) -> Result<Sent> {
        let mailboxes: Vec<String> = self
            .to
            .iter()
            .chain(self.cc.iter())
            .filter_map(|r| match r {
                Recipient::Mailbox(a) if a != "overseer" => Some(a.clone()),
                _ => None,
            })
            .collect();
        let line = notification(&self.from, &self.subject, self.priority);
        let notifications = notify(ctx, &mailboxes, &line, self.priority == Priority::Urgent)?;
        Ok(Sent {
            ids: written.ids,
            recipients: self.to_names().into_iter().chain(self.cc_names()).collect(),
            thread: written.thread,
            notifications,
            notes: self
                .to
                .iter()
                .chain(self.cc.iter())
                .filter_map(|r| match r {
                    Recipient::Forwarded { why, .. } => Some(why.clone()),
                    _ => None,
                })
                .collect(),
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn insert_message(
    tx: &mut Tx<'_>,
    id: &str,
    from: &str,
    to: &str,
    subject: &str,
    body: &str,
    priority: Priority,
    meta: &Value,
) -> Result<()> {
    let now = tx.now().to_string();
    let b = Bead {
        id: id.to_string(),
        title: subject.to_string(),
        description: Some(body.to_string()).filter(|b| !b.is_empty()),
        status: crate::ledger::Status::Open.into(),
        priority: priority.level(),
        issue_type: "message".into(),
        created_at: now.clone(),
        updated_at: now,
        created_by: Some(from.to_string()),
        sender: Some(from.to_string()),
        assignee: Some(to.to_string()),
        metadata: Some(meta.to_string()),
        ..Bead::default()
    };
    tx.insert_bead(&b)?;
    Ok(())
}

/// The one line a running recipient sees.
pub fn notification(from: &str, subject: &str, priority: Priority) -> String {
    let urgent = if priority == Priority::Urgent {
        "URGENT "
    } else {
        ""
    };
    format!("You have new {urgent}mail from {from}: {subject} — run `gt mail inbox`")
}

/// Queues a notification for each running recipient and leaves delivery to a background
/// deliverer, so the sender never waits on a busy or slow agent. An `urgent` one may
/// interrupt a busy recipient whose runtime allows it (`urgent_interrupts`).
pub fn notify(ctx: &mut Ctx, mailboxes: &[String], line: &str, urgent: bool) -> Result<Vec<i64>> {
    if mailboxes.is_empty() {
        return Ok(Vec::new());
    }
    let server = ctx.tmux();
    let panes = server.panes()?;
    let live: Vec<&String> = mailboxes
        .iter()
        .filter(|a| {
            panes
                .iter()
                .any(|p| p.agent.as_deref() == Some(a.as_str()) && !p.dead)
        })
        .collect();
    let mut ids = Vec::new();
    for a in live {
        let id = super::agents::delivery::enqueue(ctx, a, "mail", line, urgent)?;
        super::agents::delivery::spawn_flusher(ctx, a);
        ids.push(id);
    }
    Ok(ids)
}

pub fn inbox(ctx: &Ctx, address: &str, unread_only: bool, archived: bool) -> Result<Vec<MailItem>> {
    // The common case first, with no address lookups: a full address with mail in it.
    let rows = ctx.reader().messages_for(address, archived, unread_only)?;
    if !rows.is_empty() || address.starts_with("queue:") {
        return Ok(rows.iter().map(item_from_row).collect());
    }
    // Nothing there: resolve shorthand (`<rig>/<name>`), and refuse addresses that name
    // nobody — or had mail once (a departed agent's archive stays readable).
    let known = address::known_addresses(ctx)?;
    let who = match address::canonical(ctx, address, &known) {
        Ok(w) => w,
        Err(e) if ctx.reader().messages_for(address, true, false)?.is_empty() => return Err(e),
        Err(_) => address.to_string(),
    };
    if who == address {
        return Ok(Vec::new());
    }
    Ok(ctx
        .reader()
        .messages_for(&who, archived, unread_only)?
        .iter()
        .map(item_from_row)
        .collect())
}

/// A message in full; marks it read.
pub fn read(ctx: &mut Ctx, id: &str) -> Result<MailItem> {
    let b = require_message(ctx, id)?;
    ctx.write(|tx| {
        if tx.add_label(id, READ)? {
            tx.record_event(Some(id), "mail_read", None, None, None)?;
        }
        Ok(())
    })?;
    Ok(item_from_bead(&b, true))
}

pub fn mark(ctx: &mut Ctx, ids: &[String], read: bool) -> Result<usize> {
    for id in ids {
        require_message(ctx, id)?;
    }
    ctx.write(|tx| {
        let mut n = 0;
        for id in ids {
            let changed = if read {
                tx.add_label(id, READ)?
            } else {
                tx.remove_label(id, READ)?
            };
            if changed {
                n += 1;
            }
        }
        Ok(n)
    })
}

pub fn archive(ctx: &mut Ctx, ids: &[String]) -> Result<usize> {
    if ids.is_empty() {
        return Err(Error::invalid("give at least one message id"));
    }
    for id in ids {
        require_message(ctx, id)?;
    }
    ctx.write(|tx| {
        let mut n = 0;
        for id in ids {
            let old = tx.reader().require(id)?;
            if old.status == crate::ledger::Status::Closed {
                continue;
            }
            let mut new = old.clone();
            new.status = crate::ledger::Status::Closed.into();
            new.closed_at = Some(tx.now().to_string());
            new.close_reason = Some("archived".into());
            tx.update_bead(&old, new, "mail_archived")?;
            n += 1;
        }
        Ok(n)
    })
}

/// Answers a message: to its sender, same thread, `Re:` subject.
pub fn reply(
    ctx: &mut Ctx,
    from: &str,
    id: &str,
    body: &str,
    priority: Option<String>,
) -> Result<Sent> {
    let orig = require_message(ctx, id)?;
    let to = orig
        .sender
        .clone()
        .ok_or_else(|| Error::invalid(format!("{id} has no sender to reply to")))?;
    let subject = if orig.title.starts_with("Re: ") {
        orig.title.clone()
    } else {
        format!("Re: {}", orig.title)
    };
    send(
        ctx,
        from,
        &SendRequest {
            to: vec![to],
            cc: Vec::new(),
            subject,
            body: body.to_string(),
            priority,
            reply_to: Some(id.to_string()),
        },
    )
}

/// Every message of `id`'s thread, oldest first; copies of one send appear once.
pub fn thread(ctx: &Ctx, id: &str) -> Result<Vec<MailItem>> {
    let b = require_message(ctx, id)?;
    let root = meta(b.metadata.as_deref())["thread"]
        .as_str()
        .unwrap_or(&b.id)
        .to_string();
    let rows = ctx.reader().messages_labelled(&format!("thread:{root}"))?;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for r in rows {
        let msg = meta(r.metadata.as_deref())["msg"]
            .as_str()
            .unwrap_or(&r.id)
            .to_string();
        if seen.insert(msg) {
            let full = ctx.reader().require(&r.id)?;
            out.push(item_from_bead(&full, r.read));
        }
    }
    Ok(out)
}

pub fn search(
    ctx: &Ctx,
    address: Option<&str>,
    text: &str,
    from: Option<&str>,
    subject_only: bool,
) -> Result<Vec<MailItem>> {
    if text.trim().is_empty() {
        return Err(Error::invalid("give something to search for"));
    }
    Ok(ctx
        .reader()
        .search_messages(address, text, from, subject_only)?
        .iter()
        .map(item_from_row)
        .collect())
}

/// Unread mail for `address`, most urgent first (then oldest first).
pub fn unread(ctx: &Ctx, address: &str) -> Result<Vec<MailItem>> {
    let mut items = inbox(ctx, address, true, false)?;
    items.sort_by(|a, b| {
        let rank = |p: &str| match p {
            "urgent" => 0,
            "high" => 1,
            "normal" => 2,
            _ => 3,
        };
        rank(a.priority)
            .cmp(&rank(b.priority))
            .then(a.created_at.cmp(&b.created_at))
    });
    Ok(items)
}

/// The compact block a prompt hook shows: `[urgent] id from: subject`, urgent first.
pub fn inject_block(items: &[MailItem]) -> String {
    let mut out = format!(
        "📬 {} unread message(s) — `gt mail read <id>`:\n",
        items.len()
    );
    for m in items {
        let tag = match m.priority {
            "urgent" => "[urgent] ",
            "high" => "[high] ",
            "low" => "[low] ",
            _ => "",
        };
        out.push_str(&format!("{tag}{} {}: {}\n", m.id, m.from, m.subject));
    }
    out
}

/// Claims the oldest unclaimed message of a queue for `worker` (one claimer wins).
pub fn claim(ctx: &mut Ctx, queue: &str, worker: &str) -> Result<Option<MailItem>> {
    let q = queue.strip_prefix("queue:").unwrap_or(queue).to_string();
    check_worker(ctx, &q, worker)?;
    let assignee = format!("queue:{q}");
    let worker = worker.to_string();
    let claimed = ctx.write(|tx| {
        let rows = tx.reader().messages_for(&assignee, false, false)?;
        let Some(oldest) = rows.into_iter().last() else {
            return Ok(None);
        };
        let old = tx.reader().require(&oldest.id)?;
        let mut new = old.clone();
        new.assignee = Some(worker.clone());
        let mut m = meta(old.metadata.as_deref());
        m["claimed_by"] = json!(worker);
        new.metadata = Some(m.to_string());
        tx.update_bead(&old, new, "mail_claimed")?;
        Ok(Some(oldest.id))
    })?;
    match claimed {
        Some(id) => {
            let b = ctx.reader().require(&id)?;
            Ok(Some(item_from_bead(&b, false)))
        }
        None => Ok(None),
    }
}

/// Puts a claimed message back in its queue.
pub fn release(ctx: &mut Ctx, id: &str) -> Result<MailItem> {
    let b = require_message(ctx, id)?;
    let m = meta(b.metadata.as_deref());
    let Some(queue) = m["queue"].as_str().map(str::to_string) else {
        return Err(Error::invalid(format!("{id} did not come from a queue")));
    };
    ctx.write(|tx| {
        let old = tx.reader().require(id)?;
        let mut new = old.clone();
        new.assignee = Some(queue.clone());
        let mut m = meta(old.metadata.as_deref());
        m["claimed_by"] = Value::Null;
        new.metadata = Some(m.to_string());
        tx.update_bead(&old, new, "mail_released")?;
        Ok(())
    })?;
    let b = ctx.reader().require(id)?;
    Ok(item_from_bead(&b, false))
}

fn check_worker(ctx: &Ctx, queue: &str, worker: &str) -> Result<()> {
    let table = ctx
        .town
        .config
        .raw
        .get("mail")
        .and_then(|m| m.get("queues"))
        .and_then(|q| q.get(queue))
        .ok_or_else(|| Error::invalid(format!("unknown queue {queue:?}")))?;
    let workers: Vec<String> = table
        .get("workers")
        .and_then(|w| w.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if workers.is_empty()
        || workers
            .iter()
            .any(|p| address::pattern_matches(p, worker) || p == worker)
    {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "{worker} is not a worker of queue {queue} (workers: {})",
            workers.join(", ")
        )))
    }
}
