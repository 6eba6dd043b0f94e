//! `gt host add|list|check|remove`: the machines the town runs agents on.

use super::json::{Listing, One};
use super::output::{Out, Tone};
use crate::Result;
use crate::work::Ctx;
use crate::work::hosts::{self, HostCheck};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum HostCmd {
    /// Add a machine reached over ssh (key-based, no prompts: your ssh config or `ssh.config`).
    /// gt checks it (tmux, git, disk) and installs itself there before recording it.
    #[command(after_help = "Example: gt host add box1 ssh://me@box1.lan:22 --max-agents 8")]
    Add {
        /// The host's name in this town (lower-case letters, digits, -).
        name: String,
        /// ssh://user@host[:port]
        url: String,
        /// At most this many agents at once there (0: no limit).
        #[arg(long, default_value_t = 0)]
        max_agents: u32,
    },
    /// The town's hosts and whether each is connected.
    List,
    /// Reach a host (or every host) and check what it has: tmux, git, disk, this gt.
    Check {
        name: Option<String>,
        /// Install this gt there first.
        #[arg(long)]
        install: bool,
    },
    /// Stop using a host; its connection is closed. Refused while agents run there.
    Remove {
        name: String,
        /// Remove it even with agents placed there (their sessions there are left alone).
        #[arg(long)]
        force: bool,
    },
}

pub fn run(out: &mut Out, ctx: &mut Ctx, cmd: HostCmd) -> Result<()> {
    match cmd {
        HostCmd::Add {
            name,
            url,
            max_agents,
        } => {
            let a = hosts::add(ctx, &name, &url, max_agents)?;
            if out.json {
                return out.json_ser(&One::new("host", &a));
            }
            out.line(format!(
                "Added host {} ({}): reached in {:.1} ms, gt installed there",
                a.host.name, a.host.url, a.check.round_trip_ms
            ))?;
            show_check(out, &a.check)
        }
        HostCmd::List => {
            let all = hosts::list(ctx)?;
            if out.json {
                return out.json_ser(&Listing::new("hosts", &all));
            }
            if all.is_empty() {
                return out.line("No hosts: agents run on this machine (`gt host add` adds one).");
            }
            let rows: Vec<Vec<String>> = all
                .iter()
                .map(|h| {
                    vec![
                        h.host.name.clone(),
                        h.host.url.clone(),
                        match h.host.max_agents {
                            0 => "no limit".to_string(),
                            n => n.to_string(),
                        },
                        if h.connected { "connected" } else { "-" }.to_string(),
                    ]
                })
                .collect();
            out.table(&["HOST", "URL", "MAX AGENTS", "CONNECTION"], &rows)
        }
        HostCmd::Check { name, install } => {
            let targets = match name {
                Some(n) => vec![hosts::find(ctx, &n)?],
                None => crate::town::hosts::load(&ctx.town.paths)?,
            };
            let mut checks = Vec::new();
            let mut failed = Vec::new();
            for h in &targets {
                match hosts::check_installing(ctx, h, install) {
                    Ok(c) => checks.push(c),
                    Err(e) => failed.push(format!("{}: {e}", h.name)),
                }
            }
            let bad = !failed.is_empty() || checks.iter().any(|c| !c.problems.is_empty());
            if out.json {
                out.json(serde_json::json!({"checks": checks, "unreachable": failed}))?;
            } else {
                for c in &checks {
                    show_check(out, c)?;
                }
                for f in &failed {
                    let line = out.paint(Tone::Bad, f);
                    out.line(line)?;
                }
            }
            if bad {
                return Err(crate::Error::Silent(1));
            }
            Ok(())
        }
        HostCmd::Remove { name, force } => {
            let h = crate::work::town::host_remove::remove(ctx, &name, force)?;
            if out.json {
                return out.json_ser(&One::new("removed", &h));
            }
            out.line(format!("Removed host {} ({})", h.name, h.url))
        }
    }
}

fn show_check(out: &mut Out, c: &HostCheck) -> Result<()> {
    let none = || "none".to_string();
    out.line(format!(
        "{}: round trip {:.1} ms · {} · {} · {} MB free · gt {}",
        c.host,
        c.round_trip_ms,
        c.tmux.clone().unwrap_or_else(none),
        c.git.clone().unwrap_or_else(none),
        c.disk_free_mb
            .map(|m| m.to_string())
            .unwrap_or_else(|| "?".into()),
        if c.gt_current {
            "current"
        } else {
            "missing or old"
        }
    ))?;
    for p in &c.problems {
        let line = out.paint(Tone::Bad, &format!("  problem: {p}"));
        out.line(line)?;
    }
    Ok(())
}
