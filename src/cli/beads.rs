//! `gt bead …`, `gt ready`, `gt blocked`, `gt show`, `gt close`.

use super::json;
use super::output::{Out, Tone, or_dash};
use crate::Result;
use crate::ledger::{BeadSummary, ListFilter};
use crate::work::beads::{self, BeadPatch, CloseOutcome, NewBead};
use crate::work::{Ctx, town::ledger_io};
use serde_json::json;

pub fn run(out: &mut Out, ctx: &mut Ctx, cmd: BeadCmd) -> Result<()> {
    match cmd {
        BeadCmd::Create(a) => create(out, ctx, a),
        BeadCmd::Tree { id, depth } => {
            let t = beads::tree::tree(ctx, &id, depth)?;
            if out.json {
                return out.json_ser(&super::json::One::new("tree", &t));
            }
            for l in t.lines() {
                out.line(l)?;
            }
            Ok(())
        }
        BeadCmd::Show { id } => show(out, ctx, &id),
        BeadCmd::List(a) => list(out, ctx, a),
        BeadCmd::Update(a) => update(out, ctx, a),
        BeadCmd::Close(a) => close(out, ctx, a),
        BeadCmd::Reopen { id } => {
            let bead = beads::reopen(ctx, &id)?;
            if out.json {
                let view = beads::show(ctx, &bead.id)?;
                out.json(json!({ "bead": json::bead(&view) }))
            } else {
                out.line(format!("Reopened {}", bead.id))
            }
        }
        BeadCmd::Comment { id, text } => {
            let c = beads::comment(ctx, &id, &text)?;
            if out.json {
                let v = crate::ledger::jsonl::comment_object(&c);
                out.json_ser(&super::json::One::new("comment", &v))
            } else {
                out.line(format!("Commented on {id} (comment {})", c.id))
            }
        }
        BeadCmd::Dep(cmd) => dep(out, ctx, cmd),
        BeadCmd::Import { path } => {
            let (dialect, r) = ledger_io::import(ctx, &path)?;
            if out.json {
                out.json(json!({ "dialect": dialect, "imported": r }))
            } else {
                let d = serde_json::to_value(dialect).unwrap_or_default();
                out.line(format!(
                    "Imported {} issues ({} new, {} replaced), {} dependencies, {} labels, {} comments, {} events, {} config keys from {} ({})",
                    r.issues, r.created, r.updated, r.dependencies, r.labels, r.comments, r.events, r.config,
                    path.display(), d.as_str().unwrap_or("?")
                ))?;
                if !r.kept_newer.is_empty() {
                    out.line(format!(
                        "Kept {} bead(s) the ledger has in a newer version than the file: {}",
                        r.kept_newer.len(),
                        r.kept_newer.join(", ")
                    ))?;
                }
                Ok(())
            }
        }
        BeadCmd::Export {
            file,
            include_ephemeral,
            force,
        } => export(out, ctx, file, include_ephemeral, force),
        BeadCmd::Flush { follow } => flush(out, ctx, follow),
    }
}

/// `gt bead flush`: `.beads/issues.jsonl` brought up to date now (`--follow`: the background
/// follower a write starts, which waits for writes to settle).
fn flush(out: &mut Out, ctx: &mut Ctx, follow: bool) -> Result<()> {
    use crate::ledger::export::SyncOutcome;
    if follow {
        let n = crate::work::town::jsonl_follow::follow(ctx)?;
        return out.line(format!("{n} rewrites"));
    }
    if !crate::work::town::jsonl_follow::enabled(ctx) {
        return Err(crate::Error::failed(
            "ledger.export_jsonl is off: .beads/issues.jsonl is not kept (`gt config set ledger.export_jsonl true`)",
        ));
    }
    let outcome = crate::work::town::jsonl_follow::flush_now(ctx)?;
    let file = ctx.town.paths.issues_jsonl();
    let what = match outcome {
        SyncOutcome::UpToDate => "was already current".to_string(),
        SyncOutcome::Patched(n) => format!("is current ({n} changed beads written)"),
        SyncOutcome::Rewritten => "is current (rewritten whole)".to_string(),
    };
    if out.json {
        out.json(json!({ "file": file, "outcome": format!("{outcome:?}") }))
    } else {
        out.line(format!("{} {what}", file.display()))
    }
}

/// `gt bead update`: change fields of a bead.
fn update(out: &mut Out, ctx: &mut Ctx, a: UpdateArgs) -> Result<()> {
    let priority = a
        .priority
        .as_deref()
        .map(beads::parse_priority)
        .transpose()?;
    let patch = BeadPatch {
        title: a.title,
        description: a.description,
        notes: a.notes,
        status: a.status,
        priority,
        issue_type: a.issue_type,
        assignee: a.assignee,
        add_labels: a.add_labels,
        remove_labels: a.remove_labels,
    };
    let (bead, outcome) = beads::update(ctx, &a.id, patch)?;
    if out.json {
        let view = beads::show(ctx, &bead.id)?;
        out.json(json!({ "bead": json::bead(&view), "landed": outcome.landed }))
    } else {
        out.line(format!("Updated {}", bead.id))?;
        print_landed(out, &outcome)
    }
}

/// `gt bead list`: list beads (open ones unless --all or --status).
fn list(out: &mut Out, ctx: &mut Ctx, a: ListArgs) -> Result<()> {
    let filter = ListFilter {
        statuses: a.status,
        types: a.issue_type,
        assignee: a.assignee,
        label: a.label,
        all: a.all,
        limit: a.limit,
        prefix: None,
    };
    let list = beads::list(ctx, filter, a.rig.as_deref())?;
    print_summaries(out, &list)
}

/// `gt bead create`: file a new bead.
fn create(out: &mut Out, ctx: &mut Ctx, a: CreateArgs) -> Result<()> {
    let CreateArgs {
        title,
        description,
        issue_type,
        priority,
        labels,
        parent,
        rig,
        assignee,
    } = a;

    let priority = priority.as_deref().map(beads::parse_priority).transpose()?;
    let bead = beads::create(
        ctx,
        NewBead {
            title,
            description,
            issue_type,
            priority,
            labels,
            parent,
            rig,
            assignee,
        },
    )?;
    if out.json {
        let view = beads::show(ctx, &bead.id)?;
        out.json(json!({ "bead": json::bead(&view) }))
    } else if out.batch {
        out.line(&bead.id)
    } else {
        out.line(format!("Created {}: {}", bead.id, bead.title))
    }
}

/// `gt bead export`: write the ledger as bd's issue-per-line JSONL (to a file, or stdout).
fn export(
    out: &mut Out,
    ctx: &mut Ctx,
    file: Option<PathBuf>,
    include_ephemeral: bool,
    force: bool,
) -> Result<()> {
    match file {
        Some(f) => {
            let n = ledger_io::export_to(ctx, &f, include_ephemeral, force)?;
            if out.json {
                out.json(json!({ "exported": n, "file": f }))
            } else {
                out.line(format!("Exported {n} beads to {}", f.display()))
            }
        }
        None => {
            let bytes = ledger_io::export_bytes(ctx, include_ephemeral)?;
            let text = String::from_utf8_lossy(&bytes);
            if out.json {
                // Each export line is a JSON object already: join them into one document.
                let lines: Vec<&str> = text.lines().collect();
                out.line(format!(
                    "{{\"schema\":{},\"count\":{},\"issues\":[{}]}}",
                    super::SCHEMA,
                    lines.len(),
                    lines.join(",")
                ))
            } else {
                out.line(text.trim_end())
            }
        }
    }
}

pub fn show(out: &mut Out, ctx: &mut Ctx, id: &str) -> Result<()> {
    let view = beads::show(ctx, id)?;
    if out.json {
        return out.json_ser(&json::One::new("bead", &json::bead(&view)));
    }
    let b = &view.record.bead;
    let title = out.paint(Tone::Bold, &format!("{}  {}", b.id, b.title));
    out.line(title)?;
    let rig = view
        .rig
        .as_ref()
        .map(|r| r.name.as_str())
        .unwrap_or(if b.prefix() == "hq" { "(town)" } else { "-" });
    let status = out.status(&b.status);
    out.line(format!(
        "  status: {status}   priority: P{}   type: {}   rig: {rig}",
        b.priority, b.issue_type
    ))?;
    out.line(format!(
        "  assignee: {}   owner: {}",
        or_dash(b.assignee.as_deref()),
        or_dash(b.owner.as_deref())
    ))?;
    out.line(format!(
        "  created: {} by {}   updated: {}",
        b.created_at,
        or_dash(b.created_by.as_deref()),
        b.updated_at
    ))?;
    if let Some(closed) = &b.closed_at {
        out.line(format!(
            "  closed: {closed}   reason: {}",
            or_dash(b.close_reason.as_deref())
        ))?;
    }
    if !view.record.labels.is_empty() {
        out.line(format!("  labels: {}", view.record.labels.join(", ")))?;
    }
    if !view.convoys.is_empty() {
        out.line(format!("  convoys: {}", view.convoys.join(", ")))?;
    }
    if let Some(d) = b.description.as_deref().filter(|d| !d.is_empty()) {
        out.line("")?;
        for l in d.lines() {
            out.line(format!("  {l}"))?;
        }
    }
    if let Some(n) = b.notes.as_deref().filter(|d| !d.is_empty()) {
        out.line("\n  Notes:")?;
        for l in n.lines() {
            out.line(format!("    {l}"))?;
        }
    }
    let describe = |id: &str| -> String {
        match beads::brief(ctx, id) {
            Ok(Some((status, title))) => format!("{id} [{status}] {title}"),
            _ => format!("{id} (not in this ledger)"),
        }
    };
    let deps: Vec<String> = view
        .record
        .dependencies
        .iter()
        .map(|d| format!("{:<13} {}", d.kind, describe(&d.depends_on_id)))
        .collect();
    let dependents: Vec<String> = view
        .dependents
        .iter()
        .map(|d| format!("{:<13} {}", d.kind, describe(&d.issue_id)))
        .collect();
    if !deps.is_empty() {
        out.line("\n  Depends on:")?;
        for d in deps {
            out.line(format!("    {d}"))?;
        }
    }
    if !dependents.is_empty() {
        out.line("\n  Depended on by:")?;
        for d in dependents {
            out.line(format!("    {d}"))?;
        }
    }
    if !view.record.comments.is_empty() {
        out.line(format!("\n  Comments ({}):", view.record.comments.len()))?;
        for c in &view.record.comments {
            out.line(format!(
                "    [{}] {}:",
                or_dash(c.created_at.as_deref()),
                or_dash(c.author.as_deref())
            ))?;
            for l in c.text.lines() {
                out.line(format!("      {l}"))?;
            }
        }
    }
    Ok(())
}

fn print_summaries(out: &mut Out, list: &[BeadSummary]) -> Result<()> {
    if out.json {
        return out.json_ser(&json::summaries(list));
    }
    if list.is_empty() && !out.batch {
        return out.line("No beads.");
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|b| {
            vec![
                b.id.clone(),
                format!("P{}", b.priority),
                out.status(&b.status),
                b.issue_type.clone(),
                or_dash(b.assignee.as_deref()),
                b.title.clone(),
            ]
        })
        .collect();
    out.table(&["ID", "PRI", "STATUS", "TYPE", "ASSIGNEE", "TITLE"], &rows)
}

pub fn ready(out: &mut Out, ctx: &mut Ctx, a: ReadyArgs) -> Result<()> {
    let list = beads::ready(ctx, a.rig.as_deref(), a.limit)?;
    if !out.json && !out.batch && list.is_empty() {
        return out
            .line("Nothing is ready: every open bead is blocked, deferred, or there is none.");
    }
    print_summaries(out, &list)
}

pub fn blocked(out: &mut Out, ctx: &mut Ctx, rig: Option<&str>) -> Result<()> {
    let list = beads::blocked(ctx, rig)?;
    if out.json {
        return out.json_ser(&json::blocked(&list));
    }
    if list.is_empty() && !out.batch {
        return out.line("Nothing is blocked.");
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|b| {
            let why = if !b.blocked_by.is_empty() {
                b.blocked_by.join(",")
            } else if let Some(p) = &b.blocked_parent {
                format!("parent {p}")
            } else {
                "status blocked".into()
            };
            vec![
                b.bead.id.clone(),
                format!("P{}", b.bead.priority),
                out.status(&b.bead.status),
                why,
                b.bead.title.clone(),
            ]
        })
        .collect();
    out.table(&["ID", "PRI", "STATUS", "WAITING ON", "TITLE"], &rows)
}

pub fn close(out: &mut Out, ctx: &mut Ctx, a: CloseArgs) -> Result<()> {
    let outcome = crate::work::sling::close::close(ctx, &a.ids, a.reason.as_deref(), a.force)?;
    if out.json {
        return out.json(serde_json::to_value(&outcome).unwrap_or_default());
    }
    for id in &outcome.closed {
        out.line(format!("Closed {id}"))?;
    }
    for id in &outcome.already_closed {
        out.line(format!("{id} was already closed"))?;
    }
    for agent in &outcome.freed {
        out.line(format!("{agent} was freed and told"))?;
    }
    print_landed(out, &outcome)
}

fn print_landed(out: &mut Out, outcome: &CloseOutcome) -> Result<()> {
    for c in &outcome.landed {
        let msg = out.paint(
            Tone::Good,
            &format!("Convoy {c} landed: every tracked bead is closed"),
        );
        out.line(msg)?;
    }
    Ok(())
}

fn dep(out: &mut Out, ctx: &mut Ctx, cmd: DepCmd) -> Result<()> {
    match cmd {
        DepCmd::Add {
            id,
            target,
            kind,
            allow_missing,
        } => {
            let added = beads::dep_add(ctx, &id, &target, &kind, allow_missing)?;
            if out.json {
                out.json(json!({ "added": added, "issue_id": id, "depends_on_id": target, "type": kind }))
            } else if added {
                out.line(format!("{id} now depends on {target} ({kind})"))
            } else {
                out.line(format!("{id} already depended on {target} ({kind})"))
            }
        }
        DepCmd::Remove { id, target, kind } => {
            let n = beads::dep_remove(ctx, &id, &target, kind.as_deref())?;
            if out.json {
                out.json_ser(&super::json::One::new("removed", &n))
            } else {
                out.line(format!(
                    "Removed {n} dependenc{} of {id} on {target}",
                    if n == 1 { "y" } else { "ies" }
                ))
            }
        }
        DepCmd::List { id } => {
            let l = beads::dep_list(ctx, &id)?;
            if out.json {
                let deps: Vec<_> = l.dependencies.iter().map(|(d, _)| json::dep(d)).collect();
                let dents: Vec<_> = l.dependents.iter().map(|(d, _)| json::dep(d)).collect();
                #[derive(serde::Serialize)]
                struct DepsDoc<'a> {
                    id: &'a str,
                    dependencies: Vec<serde_json::Value>,
                    dependents: Vec<serde_json::Value>,
                }
                return out.json_ser(&DepsDoc {
                    id: &id,
                    dependencies: deps,
                    dependents: dents,
                });
            }
            let mut rows = Vec::new();
            for (d, b) in &l.dependencies {
                rows.push(vec![
                    "depends on".into(),
                    d.kind.clone(),
                    d.depends_on_id.clone(),
                    status_of(b),
                    title_of(b),
                ]);
            }
            for (d, b) in &l.dependents {
                rows.push(vec![
                    "needed by".into(),
                    d.kind.clone(),
                    d.issue_id.clone(),
                    status_of(b),
                    title_of(b),
                ]);
            }
            if rows.is_empty() && !out.batch {
                return out.line(format!(
                    "{id} has no dependencies and nothing depends on it."
                ));
            }
            out.table(&["DIRECTION", "TYPE", "ID", "STATUS", "TITLE"], &rows)
        }
    }
}

fn status_of(b: &Option<crate::ledger::Bead>) -> String {
    b.as_ref()
        .map(|b| b.status.clone())
        .unwrap_or_else(|| "(missing)".into())
}

fn title_of(b: &Option<crate::ledger::Bead>) -> String {
    b.as_ref().map(|b| b.title.clone()).unwrap_or_default()
}

// ---- command-line grammar of these commands (clap) ----

use super::args::count;
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ReadyArgs {
    #[arg(long)]
    pub rig: Option<String>,
    /// Show at most this many.
    #[arg(long, value_parser = count)]
    pub limit: Option<usize>,
}

#[derive(Debug, Args)]
pub struct CloseArgs {
    #[arg(required = true)]
    pub ids: Vec<String>,
    #[arg(long, short)]
    pub reason: Option<String>,
    /// Close a bead an agent is working on: the agent is freed and told.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum BeadCmd {
    /// File a new bead.
    Create(CreateArgs),
    /// Show one bead with labels, dependencies and comments.
    Show { id: String },
    /// A bead with what it depends on and what depends on it, as a tree.
    Tree {
        id: String,
        /// Levels each way (1–5).
        #[arg(long, default_value_t = 2)]
        depth: usize,
    },
    /// List beads (open ones unless --all or --status).
    List(ListArgs),
    /// Change fields of a bead.
    Update(UpdateArgs),
    /// Close beads; convoys whose beads are all closed land.
    Close(CloseArgs),
    /// Reopen a closed bead.
    Reopen { id: String },
    /// Add a comment.
    Comment { id: String, text: String },
    /// Dependencies between beads.
    #[command(subcommand)]
    Dep(DepCmd),
    /// Import a bd ledger: an issues.jsonl file, or a folder (issues.jsonl or a backup/ table dump).
    Import { path: PathBuf },
    /// Write the ledger as bd's issue-per-line JSONL (to a file, or stdout).
    Export {
        file: Option<PathBuf>,
        /// Include ephemeral beads (wisps), which bd leaves out of its export.
        #[arg(long)]
        include_ephemeral: bool,
        /// Replace the file even if it is not an earlier export (never the town's own files,
        /// never a device or folder).
        #[arg(long, requires = "file")]
        force: bool,
    },
    /// Bring .beads/issues.jsonl up to date now (it otherwise follows every change within a
    /// second or so).
    Flush {
        /// Run as the town's background follower (started by writes; not for people).
        #[arg(long, hide = true)]
        follow: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DepCmd {
    /// ID depends on TARGET.
    Add {
        id: String,
        target: String,
        /// blocks, parent-child, conditional-blocks, waits-for, related, tracks, … (free text).
        #[arg(short = 't', long = "type", default_value = "blocks")]
        kind: String,
        /// Allow a target that is not in this ledger (a reference into another one).
        #[arg(long)]
        allow_missing: bool,
    },
    /// Remove ID's dependency on TARGET (of one type, or of every type).
    Remove {
        id: String,
        target: String,
        #[arg(short = 't', long = "type")]
        kind: Option<String>,
    },
    /// What a bead depends on, and what depends on it.
    List { id: String },
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    pub title: String,
    #[arg(short, long)]
    pub description: Option<String>,
    /// task, bug, feature, epic, chore, decision (or a custom type).
    #[arg(short = 't', long = "type")]
    pub issue_type: Option<String>,
    /// 0 (critical) to 4 (backlog); P0–P4 also accepted.
    #[arg(short, long)]
    pub priority: Option<String>,
    /// Labels (repeat, or separate with commas).
    #[arg(short, long = "label", value_delimiter = ',')]
    pub labels: Vec<String>,
    /// Make it a child of this bead (id `<parent>.<n>`).
    #[arg(long)]
    pub parent: Option<String>,
    /// Rig whose prefix the bead gets (default: the rig you are in, else town-level `hq`).
    #[arg(long)]
    pub rig: Option<String>,
    #[arg(long)]
    pub assignee: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(short, long, value_delimiter = ',')]
    pub status: Vec<String>,
    #[arg(short = 't', long = "type", value_delimiter = ',')]
    pub issue_type: Vec<String>,
    #[arg(long)]
    pub assignee: Option<String>,
    #[arg(short, long)]
    pub label: Option<String>,
    #[arg(long)]
    pub rig: Option<String>,
    /// Include closed beads, mail and ephemeral beads.
    #[arg(long)]
    pub all: bool,
    #[arg(long, value_parser = count)]
    pub limit: Option<usize>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    pub id: String,
    #[arg(long)]
    pub title: Option<String>,
    #[arg(short, long)]
    pub description: Option<String>,
    #[arg(long)]
    pub notes: Option<String>,
    #[arg(short, long)]
    pub status: Option<String>,
    #[arg(short, long)]
    pub priority: Option<String>,
    #[arg(short = 't', long = "type")]
    pub issue_type: Option<String>,
    /// Assign (an empty value clears the assignee).
    #[arg(long)]
    pub assignee: Option<String>,
    #[arg(long = "add-label", value_delimiter = ',')]
    pub add_labels: Vec<String>,
    #[arg(long = "remove-label", value_delimiter = ',')]
    pub remove_labels: Vec<String>,
}
