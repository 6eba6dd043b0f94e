//! Command-line grammar (clap derive).

use clap::{Parser, Subcommand};
use std::path::PathBuf;

// Each command's own arguments live beside it, in its file.
pub use super::account::AccountCmd;
pub use super::agent::AgentCmd;
pub use super::beads::{BeadCmd, CloseArgs, ReadyArgs};
pub use super::config::{AgentSetArgs, ConfigCmd};
pub use super::convoy::ConvoyCmd;
pub use super::costs::CostsArgs;
pub use super::crew::CrewCmd;
pub use super::daemon::{DaemonCmd, WitnessCmd};
pub use super::deacon::{DeaconCmd, SchedulerCmd};
pub use super::escalate::EscalateArgs;
pub use super::formula::FormulaCmd;
pub use super::host::HostCmd;
pub use super::mail::MailCmd;
pub use super::mayor::MayorCmd;
pub use super::mol::MolCmd;
pub use super::mq::{MqCmd, RefineryCmd};
pub use super::nudge::{BroadcastArgs, NudgeArgs};
pub use super::polecat::PolecatCmd;
pub use super::rig::RigCmd;
pub use super::seance::SeanceArgs;
pub use super::sling::{AssignArgs, SlingArgs};
pub use super::tmux_cmds::TmuxCmd;

/// `gt --help`: the operator's controls, one example each.
const OPERATOR_EXAMPLES: &str = "Run `gt` with no command inside a town to open the workspace.
`gt --batch -` reads one command per line from stdin and runs them in one process.

Operator controls, one example each:
  gt estop -m \"runaway costs\"
      hold every agent where it stands (gt estop shop: one rig)
  gt thaw
      let it all go on (gt thaw shop: that rig's own stop)
  gt rig park shop
      no new work on shop; running agents finish
  gt rig unpark shop
      take new work again
  gt rig dock shop -m \"CI is down\"
      stop shop's sessions (hooks kept); nothing slung or merged
  gt rig undock shop
      start again what docking stopped
  gt rig status shop
      active, parked, docked or frozen, and what it has
  gt agent stop shop/polecats/ash
      stop one session (hook and worktree kept)
  gt agent start shop/polecats/ash
      start it again
  gt agent restart shop/polecats/ash
      a fresh session, hook kept
  gt polecat stale --behind 50 --idle 24h
      polecats far behind or idle for long
  gt polecat gc --dry-run
      what would be removed (merged and clean), and why the rest stays
  gt sling sh-12 shop -m \"use the v2 API\"
      instructions that go with the work (also --stdin)
  gt sling sh-12 shop --args \"--model fast\"
      extra runtime arguments for this work's sessions
  gt sling sh-12 shop --base-branch release
      branch from and land onto release
  gt sling sh-12 shop --merge direct
      mr | direct (fast-forward) | local | none
  gt sling sh-12 shop --dry-run
      what would happen; nothing written
  gt assign shop/crew/bo \"Fix login\"
      file a bead and hook it to a crew member
  gt convoy stage sh-40
      a convoy from an epic's graph, shown in waves
  gt convoy launch hq-cv-3
      sling wave after wave as beads become ready
  gt convoy check
      convoys done but not landed, and stranded ones
  gt mq integration create sh-40
      an epic's work lands on integration/sh-40
  gt mq integration land sh-40
      then onto the default branch as one merge
  gt mq integration status sh-40
      how far it is
  gt daemon logs -f
      the supervisor's duties, as they happen
  gt daemon enable
      start the supervisor at login/boot (a systemd user unit, else the crontab line)
  gt daemon disable
      undo it
  gt config set polecats.names harbor
      polecat names from another theme (or your own list)
  gt nudge shop/ \"rebase on main\"
      every agent of a rig (also @crew, shop/polecats/*)
  gt broadcast \"stand-up in 5\"
      every working agent, each confirmed
  gt compact --dry-run
      what the ledger's compaction would remove and summarise (gt compact does it)";

#[derive(Debug, Parser)]
#[command(
    name = "gt",
    version,
    about = "Gas Town: run a town of AI coding agents from one terminal",
    after_help = "Run `gt` with no command inside a town to open the workspace.\n`gt --batch -` reads one command per line from stdin and runs them in one process.",
    after_long_help = OPERATOR_EXAMPLES
)]
pub struct Cli {
    /// Headless: no prompts, no colour, machine-oriented output (for scripts and agents).
    #[arg(long, global = true)]
    pub batch: bool,
    /// Print JSON ({"schema": 1, …}) instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// Override a setting for this command (highest config layer); repeatable.
    #[arg(short = 'c', long = "set", global = true, value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a town (or repair one with --force).
    Install {
        path: PathBuf,
        /// Re-run on an existing town: add what is missing, keep all config.
        #[arg(long)]
        force: bool,
    },
    /// Projects of the town.
    #[command(subcommand)]
    Rig(RigCmd),
    /// Other machines the town runs agents on, over ssh.
    #[command(subcommand)]
    Host(HostCmd),
    /// Work items in the ledger.
    #[command(subcommand)]
    Bead(BeadCmd),
    /// Ready work: open, unblocked, not deferred.
    Ready(ReadyArgs),
    /// Unfinished beads that are waiting on something.
    Blocked {
        #[arg(long)]
        rig: Option<String>,
    },
    /// Show a bead (shortcut for `gt bead show`).
    Show { id: String },
    /// Close beads (shortcut for `gt bead close`).
    Close(CloseArgs),
    /// Groups of beads that land together.
    #[command(subcommand)]
    Convoy(ConvoyCmd),
    /// Settings: flag > env > rig.toml > town.toml > user config > defaults.
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Put beads on polecats' hooks and start them working: `gt sling <bead>… <rig|rig/polecats/name>`,
    /// or a formula: `gt sling <formula> <rig> --var k=v`.
    Sling(SlingArgs),
    /// File a bead and put it on a crew member's hook in one go.
    Assign(AssignArgs),
    /// Show your hook (`gt hook`), or put a bead on an agent's hook without starting it.
    Hook {
        bead: Option<String>,
        agent: Option<String>,
    },
    /// Take work off a hook (by bead, or --agent).
    Unsling {
        bead: Option<String>,
        #[arg(long)]
        agent: Option<String>,
    },
    /// An agent's work is finished: commit leftovers, queue the branch for merge, free the agent.
    Done {
        #[arg(long)]
        agent: Option<String>,
        /// Finish without a merge when nothing needed changing.
        #[arg(long, value_parser = ["deferred"])]
        status: Option<String>,
    },
    /// What an agent reads first: its role, its hook, its mail.
    Prime,
    /// Every agent with its runtime, session state and hook.
    Agents {
        #[arg(long)]
        rig: Option<String>,
    },
    /// Who you are to gt (agent address, role, town).
    Whoami,
    /// Deliver text into a running agent (or a group of them), confirmed on its screen.
    Nudge(NudgeArgs),
    /// Deliver text into every agent with a running session, each confirmed, with a summary.
    Broadcast(BroadcastArgs),
    /// Show the end of an agent's screen.
    Peek {
        agent: String,
        #[arg(short = 'n', long, default_value_t = 30, value_parser = count)]
        lines: usize,
    },
    /// Attach this terminal to an agent's window (detach to come back).
    Attach { agent: String },
    /// Polecats: the rigs' workers.
    #[command(subcommand)]
    Polecat(PolecatCmd),
    /// Agent programs: the simulator, and gt's own background delivery.
    #[command(subcommand)]
    Agent(AgentCmd),
    /// Durable messages between agents and the human.
    #[command(subcommand)]
    Mail(MailCmd),
    /// The mayor: the coordinator agent you chat with.
    #[command(subcommand)]
    Mayor(MayorCmd),
    /// Crew: long-lived, human-directed workspaces.
    #[command(subcommand)]
    Crew(CrewCmd),
    /// Replace an agent's session with a fresh one; the hook stays and a note goes along.
    Handoff {
        #[arg(long)]
        agent: Option<String>,
        /// A note for the successor (shown by its `gt prime`).
        #[arg(short = 'm', long = "message")]
        note: Option<String>,
    },
    /// Raise a blocker: `gt escalate -s critical|high|medium|low "<text>"`, or list/ack/close.
    Escalate(EscalateArgs),
    /// Workflows written once in TOML: list them, show their steps, run convoy formulas.
    #[command(subcommand)]
    Formula(FormulaCmd),
    /// Molecules (formulas poured into the ledger): pour, status, step done, burn, squash.
    #[command(subcommand)]
    Mol(MolCmd),
    /// The merge queue: list, show, retry, reject.
    #[command(subcommand)]
    Mq(MqCmd),
    /// The refinery: work a rig's merge queue now (`gt up` will run it for you).
    #[command(subcommand)]
    Refinery(RefineryCmd),
    /// The town's supervisor: run it in the foreground, or see how it is.
    #[command(subcommand)]
    Daemon(DaemonCmd),
    /// Bring the town up: the supervisor in `hq:daemon` (and the mayor with `up.mayor`).
    Up,
    /// Emergency stop: freeze every agent of the town (or of a rig) where it stands — no
    /// sling, no merge, no restart; nothing is lost. `gt thaw` lets exactly that go on.
    #[command(after_help = "Example: gt estop -m \"runaway costs\"   (then: gt thaw)")]
    Estop {
        /// Only this rig.
        rig: Option<String>,
        /// Why (shown in the workspace's banner and the feed).
        #[arg(short, long)]
        message: Option<String>,
    },
    /// Lift an emergency stop: what it froze goes on where it stopped.
    #[command(after_help = "Example: gt thaw        (gt thaw shop: lift rig shop's own stop)")]
    Thaw {
        /// The rig whose own stop to lift (the town's when not given).
        rig: Option<String>,
    },
    /// Take the town down: stop our agents' windows and the supervisor (hooks are kept).
    Down {
        /// Also stop windows a person is attached to.
        #[arg(long)]
        force: bool,
    },
    /// The witnesses: each agent's verdict, its reason, and what was done about it.
    #[command(subcommand)]
    Witness(WitnessCmd),
    /// The deacon: announces landed convoys, feeds convoys, works the scheduler queue,
    /// re-raises escalations, commits the ledger (the supervisor runs it every few seconds).
    #[command(subcommand)]
    Deacon(DeaconCmd),
    /// The scheduler: at most `scheduler.max_polecats` polecats at once; the queue; pause.
    #[command(subcommand)]
    Scheduler(SchedulerCmd),
    /// The event stream, one line each.
    Feed {
        /// Plain lines (the default here; the workspace has its own feed view).
        #[arg(long)]
        plain: bool,
        /// Only events this recent (90s, 30m, 2h, 1d).
        #[arg(long)]
        since: Option<String>,
        /// Keep printing new events as they happen.
        #[arg(long)]
        follow: bool,
        /// At most this many past events.
        #[arg(short = 'n', long, default_value_t = 200, value_parser = count)]
        lines: usize,
    },
    /// Several accounts per runtime: list them, see who runs on which, choose one.
    #[command(subcommand)]
    Account(AccountCmd),
    /// Tokens and their cost, from the runtimes' transcripts: by agent, bead, rig, convoy,
    /// role, day or session.
    Costs(CostsArgs),
    /// Past sessions of an agent or a bead: what one did (from its transcript), or a
    /// question put to a copy of it (--ask).
    Seance(SeanceArgs),
    /// What a piece of work changes: an agent's branch, a bead's or a merge request's —
    /// the files, then the patch.
    Diff {
        /// An agent address, a bead or a merge request.
        target: String,
        /// Only the files changed and their line counts.
        #[arg(long)]
        stat: bool,
    },
    /// The town at a glance: rigs, agents, convoys, your mail, escalations.
    Status,
    /// Check the town: tmux and git, config, ledger, hooks, worktrees, windows, supervisor files.
    Doctor {
        /// Repair what cannot lose anything (and say what was left, and why).
        #[arg(long)]
        fix: bool,
    },
    /// Keep the ledger small: remove closed wisps, ended delivery records and old events past
    /// their time-to-live (ledger.wisp_ttl, ledger.event_ttl, ledger.delivery_ttl), summarise
    /// beads closed longer than ledger.compact_after, and give the space back. Open work, a
    /// bead open work depends on and undelivered messages are never removed. The deacon runs
    /// it every deacon.compact_every.
    #[command(after_help = "Example: gt compact --dry-run    (what would go; nothing written)")]
    Compact {
        /// Say what would be removed and summarised; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Serve the town's web dashboard (on 127.0.0.1 unless told otherwise) until Ctrl-C.
    #[command(
        after_help = "Examples:\n  gt dashboard                          # http://127.0.0.1:7370/ (dashboard.listen)\n  gt dashboard --token                  # the token, and a link whose page can act\n  ssh -L 7370:127.0.0.1:7370 host       # then open http://127.0.0.1:7370/ here"
    )]
    Dashboard {
        /// Where to listen: IP:PORT, localhost:PORT or PORT. Other than loopback, it warns:
        /// anyone who can reach it can look (acting still needs the token).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Print the town's dashboard token (made on first use, kept 0600 in .gt/) and a link
        /// that hands it to the page; serve nothing.
        #[arg(long)]
        token: bool,
    },
    /// Share this town's beads with other towns through a git remote of the town's repository
    /// (`git remote add NAME URL`): its export is committed on the remote's `gt-beads` branch,
    /// merged with the other towns' bead by bead, pushed, and imported here.
    #[command(after_help = "Example: gt sync --remote origin")]
    Sync {
        /// The town repository's git remote to share through.
        #[arg(long, default_value = "origin")]
        remote: String,
    },
    /// Git's merge driver for `.beads/issues.jsonl`: merges two towns' changes bead by bead
    /// into OURS (newer update wins per field, comments and dependencies unioned, never a
    /// conflict marker). Git runs it as `gt merge-jsonl %O %A %B`.
    #[command(hide = true)]
    MergeJsonl {
        base: PathBuf,
        ours: PathBuf,
        theirs: PathBuf,
    },
    /// Build (or reuse) a demo town to look around in.
    Demo {
        /// Where to put it (default: <tmp>/gt-demo).
        path: Option<PathBuf>,
        /// Bring it to life and show it in the web dashboard (on ADDR, 127.0.0.1:7370 by
        /// default) instead of the workspace, until Ctrl-C.
        #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = crate::web::DEFAULT_LISTEN)]
        dashboard: Option<String>,
    },
    /// Print a shell completion script.
    Completion {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Helpers the town's tmux server calls: its agent menu and status line.
    #[command(subcommand, hide = true)]
    Tmux(TmuxCmd),
}

pub(super) const WEEK: u64 = 7 * 86_400;
pub(super) const DAY: u64 = 86_400;
/// The largest count a listing takes (SQLite's integers are signed 64-bit; beyond a
/// billion rows nothing is meant).
pub(super) const MAX_COUNT: usize = 1_000_000_000;

/// A number of seconds no larger than `MAX` (a deadline beyond the clock's range would
/// panic; nobody means more than `MAX`).
pub(super) fn at_most<const MAX: u64>(s: &str) -> Result<u64, String> {
    let n: u64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a whole number of seconds"))?;
    if n > MAX {
        return Err(format!("{n} is too long; at most {MAX} seconds"));
    }
    Ok(n)
}

/// A count of lines or rows, at most `MAX_COUNT`.
pub(super) fn count(s: &str) -> Result<usize, String> {
    let n: usize = s
        .parse()
        .map_err(|_| format!("{s:?} is not a whole number"))?;
    if n > MAX_COUNT {
        return Err(format!("{n} is too many; at most {MAX_COUNT}"));
    }
    Ok(n)
}

/// Seconds as a decimal: finite, not negative, at most a day.
pub(super) fn seconds(s: &str) -> Result<f64, String> {
    let n: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(0.0..=DAY as f64).contains(&n) {
        return Err(format!("{s} is out of range; 0 to {DAY} seconds"));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    /// Every command's definition holds together (unique names, valid defaults): clap checks
    /// this only when a command is first parsed, so a clash would otherwise show up as a
    /// panic in whichever command a user runs.
    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
