//! `gt daemon run|status`, `gt up`, `gt down`, `gt witness status`.

use super::output::{Out, Tone};
use crate::daemon::status::{self, DutyState};
use crate::work::town::{autostart, daemon_logs};
use crate::work::witness::{self, Action, Verdict};
use crate::work::{Ctx, town::up};
use crate::{Error, Result};
use serde_json::json;

pub fn run(out: &mut Out, ctx: &mut Ctx, cmd: DaemonCmd) -> Result<()> {
    match cmd {
        DaemonCmd::Run => {
            let root = ctx.town.root().to_path_buf();
            crate::daemon::foreground::run(&root).map(|_| ())
        }
        DaemonCmd::Status => status(out, ctx),
        DaemonCmd::Logs { lines, follow, all } => logs(out, ctx, lines, follow, all),
        DaemonCmd::Enable { print, systemd } => enable(out, ctx, print, systemd),
        DaemonCmd::Disable => disable(out, ctx),
    }
}

/// `gt daemon logs`: the supervisor's lines of the town's log (every line with --all).
fn logs(out: &mut Out, ctx: &mut Ctx, lines: usize, follow: bool, all: bool) -> Result<()> {
    let mut reader = daemon_logs::LogReader::open(&ctx.town.paths, all);
    let shown = reader.last(lines)?;
    if shown.is_empty() && !follow && !out.json {
        out.line(format!(
            "No {} in {} yet.",
            if all { "log lines" } else { "supervisor lines" },
            ctx.town.paths.logs_dir().display()
        ))?;
    }
    for r in &shown {
        log_line(out, r)?;
    }
    out.flush()?;
    if !follow {
        return Ok(());
    }
    // Until interrupted (or the reader of the output goes away: a broken pipe ends quietly).
    loop {
        std::thread::sleep(std::time::Duration::from_millis(250));
        for r in reader.since_last()? {
            log_line(out, &r)?;
        }
        out.flush()?;
    }
}

fn log_line(out: &mut Out, record: &str) -> Result<()> {
    if out.json {
        return out.json_ser(&super::json::One::new("log", &record));
    }
    out.line(record)
}

/// `gt daemon enable`: the supervisor started at login/boot (see work::town::autostart).
fn enable(out: &mut Out, ctx: &mut Ctx, print: bool, systemd: bool) -> Result<()> {
    let root = ctx.town.root().to_path_buf();
    if print {
        let launch = autostart::launch_for(&root)?;
        let text = autostart::unit_text(&launch);
        if out.json {
            let dir = autostart::unit_dir().ok();
            let name = autostart::unit_name(&launch.town);
            return out.json_ser(&super::json::One::new(
                "autostart",
                &json!({
                    "unit_name": name,
                    "unit_path": dir.map(|d| d.join(&name)),
                    "unit": text,
                    "crontab_line": autostart::crontab_line(&launch),
                }),
            ));
        }
        // The unit exactly as it would be written (a file, not a terminal display: only
        // the seam's check that it carries no control character, done by Launch::new).
        use std::io::Write;
        let mut stdout = std::io::stdout();
        return stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
            .map_err(|e| Error::io("write the unit", e));
    }
    let r = autostart::enable(&root, systemd)?;
    if out.json {
        out.json_ser(&super::json::One::new("autostart", &r))?;
    } else if r.enabled {
        out.line(format!(
            "Enabled: {} starts the supervisor of {} when you log in ({}).",
            r.unit_name,
            root.display(),
            r.unit_path.display()
        ))?;
        if !r.by_systemctl {
            out.line(format!(
                "No systemd user instance answers here ({}); the unit is linked as `systemctl --user enable` would, and takes effect when your systemd user instance starts.",
                r.no_systemd.clone().unwrap_or_default()
            ))?;
        }
        out.line(match &r.verified {
            autostart::Verified::Passed => "systemd-analyze verify: no complaint.".to_string(),
            autostart::Verified::Unavailable(why) => format!("Not verified: {why}."),
            autostart::Verified::Failed(w) => format!("systemd-analyze verify: {w}"),
        })?;
        if r.lingering == Some(false) {
            out.line("To start it at boot without a login: `loginctl enable-linger`.")?;
        }
        out.line("`gt up` starts it now; `gt daemon disable` undoes this.")?;
    } else {
        out.line(format!(
            "No systemd user instance answers here ({}), so nothing was enabled.",
            r.no_systemd.clone().unwrap_or_default()
        ))?;
        out.line("To bring this town up at boot, add this line to your crontab (`crontab -e`):")?;
        out.line("")?;
        out.line(&r.crontab_line)?;
        out.line("")?;
        out.line("(`gt daemon enable --systemd` writes the systemd unit anyway, for a systemd that runs later.)")?;
    }
    if !r.enabled {
        return Err(Error::failed(
            "not enabled: add the crontab line above yourself (gt does not edit your crontab)",
        ));
    }
    Ok(())
}

/// `gt daemon disable`: undoes `gt daemon enable`.
fn disable(out: &mut Out, ctx: &mut Ctx) -> Result<()> {
    let r = autostart::disable(ctx.town.root())?;
    if out.json {
        return out.json_ser(&super::json::One::new("autostart", &r));
    }
    if r.removed.is_empty() {
        out.line(format!(
            "Nothing to disable: no {} from `gt daemon enable` in {}.",
            r.unit_name,
            r.unit_path
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        ))?;
    } else {
        let removed: Vec<String> = r.removed.iter().map(|p| p.display().to_string()).collect();
        out.line(format!(
            "Disabled: the supervisor no longer starts at login{}. Removed {}.",
            if r.by_systemctl {
                " (systemctl --user disable)"
            } else {
                ""
            },
            removed.join(", ")
        ))?;
        out.line("A supervisor running now keeps running; `gt down` stops the town.")?;
    }
    out.line(format!(
        "If you added the @reboot line to your crontab, take it out (`crontab -e`):\n{}",
        r.crontab_line
    ))?;
    Ok(())
}

/// `gt daemon status`: whether a supervisor runs, and each of its duties.
fn status(out: &mut Out, ctx: &mut Ctx) -> Result<()> {
    let seen = status::seen(&ctx.town.paths);
    if out.json {
        return out.json_ser(&super::json::One::new("daemon", &seen));
    }
    let now = chrono::Utc::now().timestamp();
    out.line(seen.line(now))?;
    if seen.stale {
        out.line("(a status file from a supervisor that is gone is left behind; `gt doctor --fix` removes it)")?;
    }
    if let Some(st) = seen.status.as_ref().filter(|_| seen.running) {
        let rows: Vec<Vec<String>> = st
            .duties
            .iter()
            .map(|d| {
                let tone = match d.state {
                    DutyState::Running => Tone::Good,
                    DutyState::Backoff => Tone::Bad,
                    _ => Tone::Dim,
                };
                vec![
                    d.name.clone(),
                    out.paint(tone, &format!("{:?}", d.state).to_lowercase()),
                    d.restarts.to_string(),
                    d.last_tick_at
                        .map(|t| format!("{} ago", crate::time::human_duration(now - t)))
                        .unwrap_or_else(|| "-".into()),
                    d.last_error.clone().map_or(d.summary.clone(), |e| {
                        format!("{} (last error: {e})", d.summary)
                    }),
                ]
            })
            .collect();
        out.table(&["DUTY", "STATE", "RESTARTS", "LAST ROUND", "NOTE"], &rows)?;
    }
    Ok(())
}

pub fn up(out: &mut Out, ctx: &mut Ctx) -> Result<()> {
    let r = up::up(ctx)?;
    if out.json {
        return out.json_ser(&super::json::One::new("up", &r));
    }
    let pid = r.pid.map(|p| format!(" (pid {p})")).unwrap_or_default();
    if r.already {
        out.line(format!("The town is up: the supervisor runs already{pid}."))?;
    } else {
        out.line(format!(
            "The town is up: supervisor{pid} in window hq:daemon; `gt daemon status` shows its duties."
        ))?;
    }
    if let Some(m) = &r.mayor {
        out.line(format!("mayor: {m}"))?;
    }
    Ok(())
}

pub fn down(out: &mut Out, ctx: &mut Ctx, force: bool) -> Result<()> {
    let r = up::down(ctx, force)?;
    if out.json {
        out.json_ser(&super::json::One::new("down", &r))?;
    } else {
        out.line(if r.supervisor_stopped {
            "Stopped the supervisor."
        } else {
            "No supervisor was running."
        })?;
        out.line(format!(
            "Stopped {} agent window(s); their hooks are kept (`gt up` brings the work back).",
            r.agents_stopped.len()
        ))?;
    }
    if !r.failed.is_empty() {
        return Err(Error::failed(format!(
            "could not stop: {}",
            r.failed.join("; ")
        )));
    }
    if !r.refused.is_empty() {
        return Err(Error::failed(format!(
            "left running because a person is attached: {} (use --force)",
            r.refused.join(", ")
        )));
    }
    Ok(())
}

pub fn witness(out: &mut Out, ctx: &mut Ctx, cmd: WitnessCmd) -> Result<()> {
    let WitnessCmd::Status { rig } = cmd;
    let rigs = match rig {
        Some(r) => vec![ctx.town.rig(&r)?],
        None => ctx.town.rigs()?,
    };
    let running = status::lock_held(&ctx.town.paths);
    let mut reports = Vec::new();
    for r in &rigs {
        let saved = witness::load(ctx, &r.name).filter(|_| running);
        reports.push(match saved {
            Some(rep) => (true, rep),
            None => (false, witness::observe(ctx, r)?),
        });
    }
    if out.json {
        let list: Vec<_> = reports
            .iter()
            .map(|(live, r)| json!({"rig": r.rig, "witness_running": live, "at": r.at, "agents": r.agents, "memory": r.memory}))
            .collect();
        return out.json_ser(&super::json::One::new("witnesses", &list));
    }
    let now = chrono::Utc::now().timestamp();
    for (live, rep) in &reports {
        let head = if *live {
            format!(
                "witness of {}: last round {} ago",
                rep.rig,
                crate::time::human_duration(now - rep.at)
            )
        } else {
            format!(
                "witness of {}: not running (verdicts computed now; nothing is acted on — `gt up`)",
                rep.rig
            )
        };
        out.line(head)?;
        if rep.agents.is_empty() {
            out.line("  no agents in this rig")?;
            continue;
        }
        let rows: Vec<Vec<String>> = rep
            .agents
            .iter()
            .map(|a| {
                let tone = match a.verdict {
                    Verdict::Working => Tone::Warn,
                    Verdict::Idle => Tone::Good,
                    Verdict::Waiting => Tone::Dim,
                    _ => Tone::Bad,
                };
                let restarts = rep.memory.get(&a.address).map_or(0, |m| m.restarts.len());
                let act = match &a.action {
                    Action::None(w) | Action::Wait(w) if w.is_empty() => "-".to_string(),
                    Action::None(w) | Action::Wait(w) => w.clone(),
                    Action::Nudge(_) => "nudged".into(),
                    Action::Restart(_) => "restarted".into(),
                    Action::Escalate(_) => "escalated".into(),
                    Action::Answer(d) => format!("answered {d:?}"),
                };
                vec![
                    a.address.clone(),
                    out.paint(tone, a.verdict.as_str()),
                    a.reason.clone(),
                    restarts.to_string(),
                    a.outcome
                        .clone()
                        .map_or(act.clone(), |o| format!("{act}: {o}")),
                ]
            })
            .collect();
        out.table(&["AGENT", "VERDICT", "REASON", "RESTARTS", "ACTION"], &rows)?;
    }
    Ok(())
}

// ---- command-line grammar of these commands (clap) ----

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum DaemonCmd {
    /// Run the supervisor here until Ctrl-C, SIGTERM or `gt down` (what `gt up` starts).
    Run,
    /// Whether a supervisor runs, and each of its duties.
    Status,
    /// The supervisor's lines of the town's log (.gt/logs/gt.log and its rotated files).
    #[command(after_help = "Example: gt daemon logs -n 100 -f")]
    Logs {
        /// How many of the last lines to show.
        #[arg(short = 'n', long, default_value_t = 50)]
        lines: usize,
        /// Keep printing new lines as they are written (like tail -f; rotations are followed).
        #[arg(short = 'f', long)]
        follow: bool,
        /// Every gt process's lines, not only the supervisor's.
        #[arg(long)]
        all: bool,
    },
    /// Start the supervisor at login/boot: a systemd user unit, or the crontab line to add.
    #[command(
        after_help = "Example: gt daemon enable --print > gt-town.service   (look before writing)\n\nWith a systemd user instance: writes ~/.config/systemd/user/gt-town-<hash>.service (checked with systemd-analyze verify where installed) and enables it. Without one: writes nothing, prints the exact crontab @reboot line to add, and exits 1 (nothing was enabled)."
    )]
    Enable {
        /// Print the unit file and write nothing.
        #[arg(long)]
        print: bool,
        /// Write and link the systemd unit even though no systemd user instance answers now
        /// (for one that starts later: a first login, WSL with systemd turned on).
        #[arg(long, conflicts_with = "print")]
        systemd: bool,
    },
    /// Undo `gt daemon enable`: disable and remove the town's unit.
    #[command(after_help = "Example: gt daemon disable")]
    Disable,
}

#[derive(Debug, Subcommand)]
pub enum WitnessCmd {
    /// The last round of the witness of each rig (or one rig).
    Status { rig: Option<String> },
}
