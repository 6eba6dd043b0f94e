//! `gt convoy …`.

use super::output::{Out, Tone, or_dash};
use crate::Result;
use crate::work::Ctx;
use crate::work::convoy::watch;
use crate::work::convoy::{self, ConvoyView};
use serde_json::json;

pub fn run(out: &mut Out, ctx: &mut Ctx, cmd: ConvoyCmd) -> Result<()> {
    match cmd {
        ConvoyCmd::Create {
            title,
            ids,
            watch,
            feed,
        } => create(out, ctx, title, ids, watch, feed),
        ConvoyCmd::Add { convoy, ids } => add(out, ctx, convoy, ids),
        ConvoyCmd::Remove { convoy, ids } => remove(out, ctx, convoy, ids),
        ConvoyCmd::List { all, status } => list(out, ctx, all, status),
        ConvoyCmd::Show { id } => {
            let v = convoy::show(ctx, &id)?;
            if out.json {
                return out.json_ser(&super::json::One::new("convoy", &v));
            }
            let head = out.paint(Tone::Bold, &format!("{}  {}", v.id, v.title));
            out.line(head)?;
            let status = if v.landed() {
                "landed".to_string()
            } else {
                v.status.clone()
            };
            out.line(format!(
                "  {}  {}/{} closed  {}",
                out.status(&status),
                v.closed,
                v.total,
                bar(&v, 20)
            ))?;
            if v.feed {
                out.line("  fed: the deacon slings its ready beads as polecats free up")?;
            }
            match (v.plan.as_deref(), v.rig.as_deref()) {
                (Some("launched"), rig) if !v.is_closed() => out.line(format!(
                    "  launched to rig {}: the deacon slings each bead as what it waits on closes",
                    rig.unwrap_or("?")
                ))?,
                (Some("staged"), rig) => out.line(format!(
                    "  staged for rig {} (`gt convoy launch {}` sets it going)",
                    rig.unwrap_or("?"),
                    v.id
                ))?,
                _ => {}
            }
            if !v.watchers.is_empty() {
                out.line(format!("  watched by {}", v.watchers.join(", ")))?;
            }
            if !v.tracked.is_empty() {
                out.line("")?;
                let rows: Vec<Vec<String>> = v
                    .tracked
                    .iter()
                    .map(|t| {
                        vec![
                            t.id.clone(),
                            out.status(t.status.as_deref().unwrap_or("(missing)")),
                            or_dash(t.assignee.as_deref()),
                            t.title.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                out.table(&["ID", "STATUS", "ASSIGNEE", "TITLE"], &rows)?;
            }
            Ok(())
        }
        ConvoyCmd::Watch {
            convoy,
            address,
            off,
        } => watch(out, ctx, convoy, address, off),
        ConvoyCmd::Feed { convoy, off } => feed(out, ctx, convoy, off),
        ConvoyCmd::Close { id, reason } => close(out, ctx, id, reason),
        ConvoyCmd::Budget { convoy, usd } => budget(out, ctx, &convoy, &usd),
        ConvoyCmd::Stage {
            ids,
            rig,
            title,
            dry_run,
        } => super::convoy_plan::stage(
            out,
            ctx,
            convoy::plan::StageRequest {
                ids,
                rig,
                title,
                dry_run,
            },
        ),
        ConvoyCmd::Launch { convoy } => super::convoy_plan::launch(out, ctx, &convoy),
        ConvoyCmd::Check { land } => super::convoy_plan::check(out, ctx, land),
    }
}

/// `gt convoy budget <convoy> <usd|none>`.
fn budget(out: &mut Out, ctx: &mut Ctx, convoy: &str, usd: &str) -> Result<()> {
    use crate::work::costs::{self, budget};
    let limit = match usd {
        "none" => None,
        v => Some(budget::parse_usd(v)?),
    };
    budget::set_for_convoy(ctx, convoy, limit)?;
    let spent = costs::spent_by(ctx, crate::ledger::UsageKey::Convoy, None)?
        .get(convoy)
        .copied()
        .unwrap_or(0.0);
    if out.json {
        return out
            .json(serde_json::json!({"convoy": convoy, "budget_usd": limit, "spent_usd": spent}));
    }
    match limit {
        Some(l) => out.line(format!(
            "{convoy}: budget ${l:.2}, ${spent:.2} spent{}",
            if spent >= l {
                " — used up: its beads wait"
            } else {
                ""
            }
        )),
        None => out.line(format!("{convoy}: no budget (${spent:.2} spent)")),
    }
}

/// `gt convoy create`: create a convoy tracking the given beads.
fn create(
    out: &mut Out,
    ctx: &mut Ctx,
    title: String,
    ids: Vec<String>,
    watch: Vec<String>,
    feed: bool,
) -> Result<()> {
    let v = convoy::create_with(ctx, &title, &ids, &watch, feed)?;
    if out.json {
        out.json_ser(&super::json::One::new("convoy", &v))
    } else if out.batch {
        out.line(&v.id)
    } else {
        out.line(format!(
            "Created convoy {}: {} (tracking {})",
            v.id, v.title, v.total
        ))?;
        if v.landed() {
            out.line("Every tracked bead is already closed, so it landed at once.")?;
        }
        Ok(())
    }
}

/// `gt convoy add`: track more beads (a closed convoy that gains open work reopens).
fn add(out: &mut Out, ctx: &mut Ctx, convoy: String, ids: Vec<String>) -> Result<()> {
    let (v, reopened) = convoy::add(ctx, &convoy, &ids)?;
    if out.json {
        return out.json(json!({ "convoy": v, "reopened": reopened }));
    }
    out.line(format!(
        "{} now tracks {} bead(s) ({}/{} closed)",
        v.id, v.total, v.closed, v.total
    ))?;
    if reopened {
        out.line(format!("{} was closed and is open again", v.id))?;
    }
    Ok(())
}

/// `gt convoy remove`: stop tracking beads.
fn remove(out: &mut Out, ctx: &mut Ctx, convoy: String, ids: Vec<String>) -> Result<()> {
    let v = convoy::remove(ctx, &convoy, &ids)?;
    if out.json {
        return out.json_ser(&super::json::One::new("convoy", &v));
    }
    out.line(format!(
        "{} now tracks {} bead(s) ({}/{} closed)",
        v.id, v.total, v.closed, v.total
    ))?;
    if v.landed() {
        out.line(format!(
            "{} landed: every remaining tracked bead is closed",
            v.id
        ))?;
    }
    Ok(())
}

/// `gt convoy list`: open convoys (--all for every one, --status open|closed|landed).
fn list(out: &mut Out, ctx: &mut Ctx, all: bool, status: Option<String>) -> Result<()> {
    let list = convoy::list(ctx, all, status.as_deref())?;
    if out.json {
        let items: Vec<_> = list.iter().map(summary).collect();
        return out.json_ser(&super::json::Listing::new("convoys", &items));
    }
    if list.is_empty() && !out.batch {
        return out.line("No convoys.");
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|v| {
            let status = if v.landed() {
                "landed".to_string()
            } else {
                v.status.clone()
            };
            vec![
                v.id.clone(),
                out.status(&status),
                format!("{}/{}", v.closed, v.total),
                bar(v, 12),
                v.title.clone(),
            ]
        })
        .collect();
    out.table(&["ID", "STATUS", "DONE", "PROGRESS", "TITLE"], &rows)
}

/// `gt convoy watch`: mail an address when the convoy lands (--off: stop).
fn watch(out: &mut Out, ctx: &mut Ctx, convoy: String, address: String, off: bool) -> Result<()> {
    let (v, changed) = watch::watch(ctx, &convoy, &address, off)?;
    if out.json {
        return out.json(json!({ "convoy": v, "changed": changed }));
    }
    let line = match (off, changed) {
        (false, true) => format!("{address} will be mailed when {} lands", v.id),
        (false, false) => format!("{address} already watches {}", v.id),
        (true, _) => format!("{address} no longer watches {}", v.id),
    };
    out.line(line)
}

/// `gt convoy feed`: let the deacon sling the convoy's ready beads as polecats free up (--off: stop).
fn feed(out: &mut Out, ctx: &mut Ctx, convoy: String, off: bool) -> Result<()> {
    let (v, changed) = watch::feed(ctx, &convoy, off)?;
    if out.json {
        return out.json(json!({ "convoy": v, "changed": changed }));
    }
    let line = if off {
        format!("{} is no longer fed", v.id)
    } else {
        format!(
            "The deacon slings {}'s ready beads to their rigs as polecats free up",
            v.id
        )
    };
    out.line(line)
}

/// `gt convoy close`: close a convoy by hand.
fn close(out: &mut Out, ctx: &mut Ctx, id: String, reason: Option<String>) -> Result<()> {
    let v = convoy::close(ctx, &id, reason.as_deref())?;
    if out.json {
        out.json_ser(&super::json::One::new("convoy", &v))
    } else {
        out.line(format!(
            "Closed convoy {} ({}/{} tracked beads closed)",
            v.id, v.closed, v.total
        ))
    }
}

fn summary(v: &ConvoyView) -> serde_json::Value {
    json!({
        "id": v.id, "title": v.title, "status": v.status, "landed": v.landed(),
        "total": v.total, "closed": v.closed, "created_at": v.created_at, "closed_at": v.closed_at,
    })
}

fn bar(v: &ConvoyView, width: usize) -> String {
    let filled = (v.closed * width)
        .checked_div(v.total)
        .unwrap_or(0)
        .min(width);
    format!("[{}{}]", "#".repeat(filled), ".".repeat(width - filled))
}

// ---- command-line grammar of these commands (clap) ----

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ConvoyCmd {
    /// Create a convoy tracking the given beads.
    Create {
        title: String,
        ids: Vec<String>,
        /// Mail this address too when it lands (besides the owner); repeatable.
        #[arg(long = "watch", value_name = "ADDRESS")]
        watch: Vec<String>,
        /// Let the deacon sling its next ready bead whenever a polecat is free.
        #[arg(long)]
        feed: bool,
    },
    /// Mail an address when the convoy lands (--off: stop).
    Watch {
        convoy: String,
        address: String,
        #[arg(long)]
        off: bool,
    },
    /// Let the deacon sling the convoy's ready beads as polecats free up (--off: stop).
    Feed {
        convoy: String,
        #[arg(long)]
        off: bool,
    },
    /// Track more beads (a closed convoy that gains open work reopens).
    Add {
        convoy: String,
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Stop tracking beads.
    Remove {
        convoy: String,
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Open convoys (--all for every one, --status open|closed|landed).
    List {
        #[arg(long)]
        all: bool,
        #[arg(long)]
        status: Option<String>,
    },
    /// Progress and tracked beads of a convoy.
    Show { id: String },
    /// A convoy's budget in dollars (`none`: no budget). Once its work has cost that much,
    /// none of its beads is slung; running agents go on.
    Budget { convoy: String, usd: String },
    /// Build a convoy from a plan and show the waves it runs in: an epic's children
    /// (recursively; epics are not work) or exactly the beads given. A wave waits on the one
    /// before it through `blocks` dependencies. The rig is the one whose prefix every bead has,
    /// or --rig.
    #[command(
        after_help = "Example: gt convoy stage gt-4k2x9 --dry-run   (then without --dry-run, then: gt convoy launch <convoy>)"
    )]
    Stage {
        #[arg(required = true, value_name = "EPIC|BEAD")]
        ids: Vec<String>,
        /// The rig that runs every bead (needed when they are not all of one rig's prefix).
        #[arg(long)]
        rig: Option<String>,
        /// The convoy's title (default: "Plan: <epic title>").
        #[arg(long)]
        title: Option<String>,
        /// Only show the waves; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Sling a convoy's ready beads to its rig now; the deacon slings each later bead as what
    /// it waits on closes (through the scheduler, honouring its limit, pause and the brakes).
    #[command(after_help = "Example: gt convoy launch hq-cv-3fk2a")]
    Launch { convoy: String },
    /// Open convoys that need a hand: every bead closed but never landed, stranded (ready work
    /// nobody has), stalled (launched, nothing in hand). --land lands the first kind.
    #[command(after_help = "Example: gt convoy check --land")]
    Check {
        #[arg(long)]
        land: bool,
    },
    /// Close a convoy by hand.
    Close {
        id: String,
        #[arg(short, long)]
        reason: Option<String>,
    },
}
