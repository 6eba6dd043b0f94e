//! `gt mail …`.

use super::output::{Out, Tone};
use crate::work::mail::config::{self, Kind};
use crate::work::mail::{self, MailItem, SendRequest};
use crate::work::{Ctx, agents};
use crate::{Error, Result};
use std::io::Read;

fn body_from(body: Option<String>, stdin: bool) -> Result<String> {
    if stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Error::io("read stdin", e))?;
        Ok(s)
    } else {
        Ok(body.unwrap_or_default())
    }
}

fn me(ctx: &Ctx) -> String {
    agents::whoami(ctx).to_string()
}

fn print_items(out: &mut Out, items: &[MailItem]) -> Result<()> {
    out.list(
        "messages",
        items,
        "No messages.",
        &["", "ID", "SENT", "FROM", "PRIORITY", "SUBJECT"],
        |out, m| {
            let flag = if m.read { " " } else { "*" };
            let pri = match m.priority {
                "urgent" => out.paint(Tone::Bad, "urgent"),
                "high" => out.paint(Tone::Warn, "high"),
                p => p.to_string(),
            };
            vec![
                flag.into(),
                m.id.clone(),
                m.created_at.clone(),
                m.from.clone(),
                pri,
                m.subject.clone(),
            ]
        },
    )
}

pub fn run(out: &mut Out, ctx: &mut Ctx, cmd: MailCmd) -> Result<()> {
    match cmd {
        MailCmd::Send(a) => send(out, ctx, a),
        MailCmd::Inbox {
            address,
            unread,
            all,
        } => {
            let who = address.unwrap_or_else(|| me(ctx));
            let items = mail::inbox(ctx, &who, unread, all)?;
            print_items(out, &items)
        }
        MailCmd::Read { id } => {
            let m = mail::read(ctx, &id)?;
            if out.json {
                return out.json_ser(&super::json::One::new("message", &m));
            }
            out.line(out.paint(Tone::Bold, &m.subject))?;
            out.line(format!("From: {}", m.from))?;
            out.line(format!("To: {}", m.to))?;
            if let Some(n) = &m.note {
                out.line(out.paint(Tone::Warn, &format!("Note: {n}")))?;
            }
            if !m.cc.is_empty() {
                out.line(format!("Cc: {}", m.cc.join(", ")))?;
            }
            out.line(format!(
                "Date: {}   Priority: {}   Id: {}   Thread: {}",
                m.created_at, m.priority, m.id, m.thread
            ))?;
            out.line("")?;
            out.line(m.body.unwrap_or_default())
        }
        MailCmd::Reply {
            id,
            body,
            stdin,
            priority,
        } => reply(out, ctx, id, body, stdin, priority),
        MailCmd::Thread { id } => {
            let items = mail::thread(ctx, &id)?;
            if out.json {
                return out.json_ser(&super::json::Listing::new("messages", &items));
            }
            for m in &items {
                out.line(format!(
                    "── {} {} → {}  {}",
                    m.created_at, m.from, m.to, m.id
                ))?;
                out.line(format!("   {}", m.subject))?;
                for l in m.body.as_deref().unwrap_or("").lines() {
                    out.line(format!("   {l}"))?;
                }
            }
            Ok(())
        }
        MailCmd::Archive { ids } => {
            let n = mail::archive(ctx, &ids)?;
            if out.json {
                return out.json_ser(&super::json::One::new("archived", &n));
            }
            out.line(format!("Archived {n} message(s)"))
        }
        MailCmd::MarkRead { ids } | MailCmd::MarkUnread { ids } if ids.is_empty() => {
            Err(Error::invalid("give message ids"))
        }
        MailCmd::MarkRead { ids } => {
            let n = mail::mark(ctx, &ids, true)?;
            if out.json {
                return out.json_ser(&super::json::One::new("changed", &n));
            }
            out.line(format!("Marked {n} read"))
        }
        MailCmd::MarkUnread { ids } => {
            let n = mail::mark(ctx, &ids, false)?;
            if out.json {
                return out.json_ser(&super::json::One::new("changed", &n));
            }
            out.line(format!("Marked {n} unread"))
        }
        MailCmd::Search {
            text,
            from,
            subject,
            to,
        } => {
            let items = mail::search(ctx, to.as_deref(), &text, from.as_deref(), subject)?;
            print_items(out, &items)
        }
        MailCmd::Check { address, inject } => check(out, ctx, address, inject),
        MailCmd::Claim { queue } => {
            let worker = me(ctx);
            match mail::claim(ctx, &queue, &worker)? {
                Some(m) => {
                    if out.json {
                        return out.json_ser(&super::json::One::new("claimed", &m));
                    }
                    out.line(format!("Claimed {} from {}: {}", m.id, m.from, m.subject))
                }
                None => {
                    if out.json {
                        out.json_ser(&super::json::One::new("claimed", &None::<()>))?;
                    } else {
                        out.line(format!("Nothing waiting in {queue}"))?;
                    }
                    Err(Error::Silent(1))
                }
            }
        }
        MailCmd::Release { id } => {
            let m = mail::release(ctx, &id)?;
            if out.json {
                return out.json_ser(&super::json::One::new("released", &m));
            }
            out.line(format!("{} is back in {}", m.id, m.to))
        }
        MailCmd::List(c) => entry_cmd(out, ctx, Kind::List, c),
        MailCmd::Group(c) => entry_cmd(out, ctx, Kind::Group, c),
        MailCmd::Queue(c) => entry_cmd(out, ctx, Kind::Queue, c),
    }
}

/// `gt mail send`: send a message (one copy per recipient; running recipients are told at their prompt).
fn send(out: &mut Out, ctx: &mut Ctx, a: SendArgs) -> Result<()> {
    let SendArgs {
        to,
        subject,
        body,
        stdin,
        priority,
        cc,
        reply_to,
    } = a;

    let body = body_from(body, stdin)?;
    let from = ctx.actor.clone();
    let sent = mail::send(
        ctx,
        &from,
        &SendRequest {
            to,
            cc,
            subject,
            body,
            priority: Some(priority),
            reply_to,
        },
    )?;
    if out.json {
        return out.json_ser(&super::json::One::new("sent", &sent));
    }
    if out.batch {
        return out.line(sent.ids.join("\n"));
    }
    out.line(format!(
        "Sent to {} ({} message(s), thread {})",
        sent.recipients.join(", "),
        sent.ids.len(),
        sent.thread
    ))?;
    if !sent.notifications.is_empty() {
        out.line(format!(
            "  {} running recipient(s) will see it at their prompt",
            sent.notifications.len()
        ))?;
    }
    notes(out, &sent)
}

/// Why a copy went elsewhere than asked (a recipient that is gone).
fn notes(out: &mut Out, sent: &mail::Sent) -> Result<()> {
    for n in &sent.notes {
        out.line(format!("  note: {n}"))?;
    }
    Ok(())
}

/// `gt mail reply`: answer a message (to its sender, same thread).
fn reply(
    out: &mut Out,
    ctx: &mut Ctx,
    id: String,
    body: Option<String>,
    stdin: bool,
    priority: Option<String>,
) -> Result<()> {
    let body = body_from(body, stdin)?;
    let from = ctx.actor.clone();
    let sent = mail::reply(ctx, &from, &id, &body, priority)?;
    if out.json {
        return out.json_ser(&super::json::One::new("sent", &sent));
    }
    out.line(format!(
        "Replied to {} ({})",
        sent.recipients.join(", "),
        sent.ids.join(", ")
    ))?;
    notes(out, &sent)
}

/// `gt mail check`: exit 0 when there is unread mail, 1 when none; --inject prints a block for a prompt hook.
fn check(out: &mut Out, ctx: &mut Ctx, address: Option<String>, inject: bool) -> Result<()> {
    let who = address.unwrap_or_else(|| me(ctx));
    let items = mail::unread(ctx, &who)?;
    if out.json {
        #[derive(serde::Serialize)]
        struct CheckDoc<'a, T> {
            address: &'a str,
            unread: usize,
            messages: &'a [T],
        }
        out.json_ser(&CheckDoc {
            address: &who,
            unread: items.len(),
            messages: &items,
        })?;
    } else if inject {
        if !items.is_empty() {
            out.line(mail::inject_block(&items).trim_end())?;
        }
    } else {
        out.line(format!("{} unread message(s) for {who}", items.len()))?;
    }
    if items.is_empty() {
        Err(Error::Silent(1))
    } else {
        Ok(())
    }
}

fn entry_cmd(out: &mut Out, ctx: &mut Ctx, kind: Kind, cmd: MailEntryCmd) -> Result<()> {
    match cmd {
        MailEntryCmd::Add { name, members } => {
            let e = config::add(ctx, kind, &name, &members)?;
            if out.json {
                return out.json_ser(&super::json::One::new("entry", &e));
            }
            out.line(format!("{}: {}", e.name, e.members.join(", ")))
        }
        MailEntryCmd::Remove { name, members } => {
            config::remove(ctx, kind, &name, &members)?;
            if out.json {
                return out.json_ser(&super::json::One::new("removed", &name));
            }
            out.line(format!("Updated {name}"))
        }
        MailEntryCmd::Show => {
            let list = config::entries(ctx, kind);
            if out.json {
                return out.json_ser(&super::json::One::new("entries", &list));
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|e| vec![e.name.clone(), e.members.join(", ")])
                .collect();
            out.table(&["NAME", "MEMBERS"], &rows)
        }
    }
}

// ---- command-line grammar of these commands (clap) ----

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum MailCmd {
    /// Send a message (one copy per recipient; running recipients are told at their prompt).
    Send(SendArgs),
    /// Messages for an address (yours by default), newest first.
    Inbox {
        address: Option<String>,
        #[arg(long)]
        unread: bool,
        /// Include archived messages.
        #[arg(long)]
        all: bool,
    },
    /// Show a message and mark it read.
    Read { id: String },
    /// Answer a message (to its sender, same thread).
    Reply {
        id: String,
        #[arg(short = 'm', long = "message", conflicts_with = "stdin")]
        body: Option<String>,
        #[arg(long)]
        stdin: bool,
        #[arg(long)]
        priority: Option<String>,
    },
    /// Every message of a thread, oldest first.
    Thread { id: String },
    /// Archive messages (they leave the inbox; `inbox --all` still shows them).
    Archive {
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Mark messages read (without showing them).
    MarkRead {
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Mark messages unread again.
    MarkUnread {
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Find messages by text in the subject or body.
    Search {
        text: String,
        #[arg(long)]
        from: Option<String>,
        /// Search subjects only.
        #[arg(long)]
        subject: bool,
        /// Whose mail to search (default: everyone's).
        #[arg(long)]
        to: Option<String>,
    },
    /// Exit 0 when there is unread mail, 1 when none; --inject prints a block for a prompt hook.
    Check {
        address: Option<String>,
        #[arg(long)]
        inject: bool,
    },
    /// Take the oldest unclaimed message of a queue.
    Claim { queue: String },
    /// Give a claimed message back to its queue.
    Release { id: String },
    /// Mailing lists (fan-out copies): `list add <name> <address>…`, `list remove`, `list show`.
    #[command(subcommand)]
    List(MailEntryCmd),
    /// Groups of address patterns (`@name`): `group add <name> <pattern>…`.
    #[command(subcommand)]
    Group(MailEntryCmd),
    /// Queues (one copy, one claimer): `queue add <name> [<worker pattern>…]`.
    #[command(subcommand)]
    Queue(MailEntryCmd),
}

#[derive(Debug, Subcommand)]
pub enum MailEntryCmd {
    Add {
        name: String,
        members: Vec<String>,
    },
    /// Remove members, or the whole entry when none are given.
    Remove {
        name: String,
        members: Vec<String>,
    },
    Show,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// Agent addresses, overseer, <rig>/, list:<name>, queue:<name>, @group, patterns.
    #[arg(required = true)]
    pub to: Vec<String>,
    #[arg(short, long)]
    pub subject: String,
    #[arg(short = 'm', long = "message", conflicts_with = "stdin")]
    pub body: Option<String>,
    /// Read the body from stdin.
    #[arg(long)]
    pub stdin: bool,
    /// urgent, high, normal or low.
    #[arg(long, default_value = "normal")]
    pub priority: String,
    #[arg(long)]
    pub cc: Vec<String>,
    /// Answer this message (same thread).
    #[arg(long)]
    pub reply_to: Option<String>,
}
