//! The command line: parse, run against `work/`, print, and map errors to exit codes.

mod account;
mod agent;
mod agents;
mod args;
mod batch;
mod beads;
mod brakes;
mod compact;
mod config;
mod convoy;
mod convoy_plan;
mod costs;
mod crew;
mod daemon;
mod dashboard;
mod deacon;
mod diff;
mod doctor;
mod done;
mod escalate;
mod feed;
mod formula;
mod handoff;
mod hook;
mod host;
mod install;
mod integration;
mod json;
mod mail;
mod mayor;
mod mol;
mod mq;
mod nudge;
mod output;
mod peek;
mod polecat;
mod prime;
mod rig;
mod seance;
mod sling;
mod status;
mod sync;
mod tmux_cmds;

use args::ConfigCmd;
pub use args::{Cli, Command};
pub use output::SCHEMA;

use crate::work::Ctx;
use crate::{Error, Result};
use output::Out;
use std::ffi::OsString;

/// State kept across the commands of one process (`gt --batch -` runs many).
#[derive(Default)]
pub struct Session {
    ctx: Option<Ctx>,
    /// `-c key=value` of the command being run.
    overrides: Vec<String>,
}

impl Session {
    /// The town around the working directory, opened once per process.
    pub fn ctx(&mut self) -> Result<&mut Ctx> {
        match &mut self.ctx {
            Some(ctx) => ctx.set_overrides(&self.overrides)?,
            None => {
                let cwd = std::env::current_dir().map_err(|e| Error::io("current directory", e))?;
                let ctx = Ctx::open_with(&cwd, &self.overrides)?;
                // Every gt command an agent runs is a sign of life for the witness.
                if let Ok(agent) = std::env::var("GT_AGENT")
                    && !agent.trim().is_empty()
                {
                    crate::work::agents::heartbeat::touch(&ctx.town.paths, agent.trim());
                }
                self.ctx = Some(ctx);
            }
        }
        self.ctx
            .as_mut()
            .ok_or_else(|| Error::failed("town not open"))
    }

    fn take_warnings(&mut self) -> Vec<String> {
        self.ctx
            .as_mut()
            .map(|c| std::mem::take(&mut c.warnings))
            .unwrap_or_default()
    }
}

/// Runs `gt` with these arguments (argv[0] included) and returns the exit code.
pub fn main_with_args(args: Vec<OsString>) -> i32 {
    if let Some(globals) = batch::stdin_batch_globals(&args) {
        return batch::run_stdin(&mut Session::default(), &globals);
    }
    let json = args.iter().any(|a| a == "--json");
    match parse_line(args) {
        Ok(cli) => execute(cli, &mut Session::default()),
        Err(e) => clap_exit(e, json),
    }
}

/// Help and version on stdout; a parse error on stderr, inert (it quotes what was typed),
/// and as a JSON error document on stdout under `--json`.
fn clap_exit(e: clap::Error, json: bool) -> i32 {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return 0;
    }
    let text = e.render().to_string();
    eprint!("{}", crate::inert::for_terminal(&text));
    if json {
        let message = text.trim().trim_start_matches("error: ").to_string();
        let mut out = Out::new(true, false);
        let doc = serde_json::json!({ "error": { "code": 2, "message": message } });
        let _ = out.json(doc).and_then(|()| out.flush());
    }
    2
}

/// Runs one parsed command and reports its outcome; returns the exit code.
pub fn execute(cli: Cli, session: &mut Session) -> i32 {
    let mut out = Out::new(cli.json, cli.batch);
    session.overrides = cli.overrides.clone();
    let name = command_name(&cli);
    let res = dispatch(cli, &mut out, session).and_then(|()| out.flush());
    for w in session.take_warnings() {
        output::say(&w.to_string());
    }
    let code = match res {
        Ok(()) => 0,
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(Error::Silent(code)) => code,
        Err(e) => {
            output::say(&format!("{e}"));
            if out.json && !out.wrote_json {
                // Programs reading --json get the failure in the same shape as a result.
                let doc = serde_json::json!({ "error": { "code": e.exit_code(), "message": e.to_string() } });
                let _ = out.json(doc).and_then(|()| out.flush());
            }
            e.exit_code()
        }
    };
    tracing::info!(command = %name, code, "command finished");
    code
}

/// `bead create`, `ready`, … for the log.
fn command_name(cli: &Cli) -> String {
    let debug = format!("{:?}", cli.command);
    debug
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && *w != "Some")
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn dispatch(cli: Cli, out: &mut Out, session: &mut Session) -> Result<()> {
    let Some(command) = cli.command else {
        return no_command(out, cli.batch || cli.json);
    };
    match command {
        Command::Config(ConfigCmd::Dump {
            kind,
            name,
            out: file,
            force,
        }) => config::dump(out, &kind, name.as_deref(), file.as_deref(), force),
        Command::Install { path, force } => install::run(out, &path, force),
        Command::Rig(cmd) => rig::run(out, session.ctx()?, cmd),
        Command::Host(cmd) => host::run(out, session.ctx()?, cmd),
        Command::Bead(cmd) => beads::run(out, session.ctx()?, cmd),
        Command::Ready(a) => beads::ready(out, session.ctx()?, a),
        Command::Blocked { rig } => beads::blocked(out, session.ctx()?, rig.as_deref()),
        Command::Show { id } => beads::show(out, session.ctx()?, &id),
        Command::Close(a) => beads::close(out, session.ctx()?, a),
        Command::Convoy(cmd) => convoy::run(out, session.ctx()?, cmd),
        Command::Config(cmd) => config::run(out, session.ctx()?, cmd),
        Command::Sling(a) => sling::sling(out, session.ctx()?, a),
        Command::Assign(a) => sling::assign(out, session.ctx()?, a),
        Command::Hook { bead, agent } => hook::hook_cmd(out, session.ctx()?, bead, agent),
        Command::Unsling { bead, agent } => hook::unsling(out, session.ctx()?, bead, agent),
        Command::Done { agent, status } => done::done_cmd(out, session.ctx()?, agent, status),
        Command::Prime => prime::prime_cmd(out, session.ctx()?),
        Command::Agents { rig } => agents::agents_cmd(out, session.ctx()?, rig),
        Command::Whoami => agents::whoami(out, session.ctx()?),
        Command::Nudge(a) => nudge::nudge(out, session.ctx()?, a),
        Command::Broadcast(a) => nudge::broadcast_cmd(out, session.ctx()?, a),
        Command::Peek { agent, lines } => peek::peek(out, session.ctx()?, &agent, lines),
        Command::Attach { agent } => {
            let batch = out.batch;
            peek::attach(out, session.ctx()?, &agent, batch)
        }
        Command::Polecat(cmd) => polecat::polecat_cmd(out, session.ctx()?, cmd),
        Command::Agent(cmd) => agent::agent_cmd(out, session, cmd),
        Command::Mail(cmd) => mail::run(out, session.ctx()?, cmd),
        Command::Mayor(cmd) => mayor::mayor_cmd(out, session.ctx()?, cmd),
        Command::Crew(cmd) => crew::crew_cmd(out, session.ctx()?, cmd),
        Command::Handoff { agent, note } => handoff::handoff_cmd(out, session.ctx()?, agent, note),
        Command::Escalate(a) => escalate::escalate_cmd(out, session.ctx()?, a),
        Command::Formula(cmd) => match session.ctx() {
            Ok(ctx) => formula::run(out, ctx, cmd),
            // Outside a town the user's and the built-in formulas can still be read.
            Err(Error::Town(crate::town::TownError::NotATown { .. }))
                if !matches!(cmd, args::FormulaCmd::Run { .. }) =>
            {
                formula::run_outside_town(out, cmd)
            }
            Err(e) => Err(e),
        },
        Command::Mol(cmd) => mol::run(out, session.ctx()?, cmd),
        Command::Mq(cmd) => mq::run(out, session.ctx()?, cmd),
        Command::Refinery(cmd) => mq::refinery(out, session.ctx()?, cmd),
        Command::Daemon(cmd) => daemon::run(out, session.ctx()?, cmd),
        Command::Up => daemon::up(out, session.ctx()?),
        Command::Estop { rig, message } => brakes::estop_cmd(out, session.ctx()?, rig, message),
        Command::Thaw { rig } => brakes::thaw_cmd(out, session.ctx()?, rig),
        Command::Down { force } => daemon::down(out, session.ctx()?, force),
        Command::Witness(cmd) => daemon::witness(out, session.ctx()?, cmd),
        Command::Deacon(cmd) => deacon::run(out, session.ctx()?, cmd),
        Command::Scheduler(cmd) => deacon::scheduler(out, session.ctx()?, cmd),
        Command::Feed {
            plain: _,
            since,
            follow,
            lines,
        } => feed::feed_cmd(out, session.ctx()?, since, follow, lines),
        Command::Account(cmd) => account::run(out, session.ctx()?, cmd),
        Command::Costs(a) => costs::costs_cmd(out, session.ctx()?, a),
        Command::Seance(a) => seance::seance_cmd(out, session.ctx()?, a),
        Command::Status => status::status_cmd(out, session.ctx()?),
        Command::Diff { target, stat } => diff::diff_cmd(out, session.ctx()?, target, stat),
        Command::Doctor { fix } => doctor::run(out, session, fix),
        Command::Compact { dry_run } => compact::compact_cmd(out, session.ctx()?, dry_run),
        Command::Demo { path, dashboard } => demo(out, path.as_deref(), dashboard),
        Command::Sync { remote } => sync::sync_cmd(out, session.ctx()?, &remote),
        Command::MergeJsonl { base, ours, theirs } => {
            sync::merge_jsonl_cmd(out, &base, &ours, &theirs)
        }
        Command::Dashboard { listen, token } => {
            dashboard::dashboard_cmd(out, session.ctx()?, listen, token)
        }
        Command::Tmux(cmd) => tmux_cmds::run(out, session.ctx()?, cmd),
        Command::Completion { shell } => {
            // Made whole first, then written: a reader that stops early (`| head`) is not an
            // error, and clap_complete panics on a failed write.
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "gt", &mut script);
            use std::io::Write;
            let mut stdout = std::io::stdout();
            match stdout.write_all(&script).and_then(|()| stdout.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(Error::io("write the completion script", e))
                }
                _ => Ok(()),
            }
        }
    }
}

/// `gt` alone: the workspace on the town around the working directory.
fn no_command(out: &mut Out, batch: bool) -> Result<()> {
    if batch {
        return Err(Error::invalid(
            "--batch needs a command (or `-` to read commands from stdin); see `gt --help`",
        ));
    }
    let cwd = std::env::current_dir().map_err(|e| Error::io("current directory", e))?;
    let town = match crate::town::Town::discover(&cwd) {
        Ok(t) => t,
        Err(e) => {
            out.line("gt — Gas Town: run a town of AI coding agents from one terminal")?;
            out.line("")?;
            out.line("  gt demo                    a demo town, opened in the workspace")?;
            out.line("  gt install <path>          create a town")?;
            out.line("  gt --help                  every command")?;
            out.flush()?;
            return Err(Error::invalid(format!(
                "the workspace opens inside a town: {e}"
            )));
        }
    };
    need_terminal()?;
    crate::tui::app::open(town.root())
}

/// The workspace draws on a terminal; scripts get the commands instead.
fn need_terminal() -> Result<()> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        Ok(())
    } else {
        Err(Error::invalid(
            "the workspace needs a terminal (stdin and stdout); from scripts use the commands, e.g. `gt --batch status`",
        ))
    }
}

fn demo(out: &mut Out, path: Option<&std::path::Path>, dashboard: Option<String>) -> Result<()> {
    use std::io::IsTerminal;
    let listen = dashboard
        .as_deref()
        .map(crate::web::parse_listen)
        .transpose()?;
    let d = crate::work::town::demo::ensure(path)?;
    if let Some(addr) = listen {
        let mut ctx = crate::work::Ctx::open(&d.root)?;
        crate::work::town::demo::liven(&mut ctx)?;
        let _keeper = crate::work::town::demo::Keeper::start(
            &d.root,
            crate::work::town::demo::KEEP_BUSY_EVERY,
        );
        return dashboard::dashboard_cmd(out, &mut ctx, Some(addr.to_string()), false);
    }
    let interactive = !out.json
        && !out.batch
        && std::io::stdin().is_terminal()
        && std::io::stdout().is_terminal();
    if interactive {
        let mut ctx = crate::work::Ctx::open(&d.root)?;
        crate::work::town::demo::liven(&mut ctx)?;
        drop(ctx);
        // New work keeps arriving while the demo is open (it stops when the workspace does).
        let _keeper = crate::work::town::demo::Keeper::start(
            &d.root,
            crate::work::town::demo::KEEP_BUSY_EVERY,
        );
        return crate::tui::app::open(&d.root);
    }
    if out.json {
        return out.json(serde_json::json!({ "demo": d }));
    }
    let verb = if d.created { "Built" } else { "Reusing" };
    out.line(format!(
        "{verb} the demo town at {} ({} beads, {} convoys).",
        d.root.display(),
        d.beads,
        d.convoys.len()
    ))?;
    out.line("")?;
    out.line(format!("  cd {} && gt", d.root.display()))?;
    out.line("  gt ready            # work that can start now")?;
    out.line("  gt convoy list      # groups of work and their progress")?;
    out.line("")?;
    out.line(
        "(Run `gt demo` in a terminal to open it in the workspace with simulated agents at work.)",
    )
}

/// Entry point of the binary.
pub fn main() -> i32 {
    crate::fsutil::private_umask();
    main_with_args(std::env::args_os().collect())
}

/// Parses a command line; usage errors are plain text in `--batch`, with NO_COLOR, or when
/// stderr is not a terminal.
pub(crate) fn parse_line<T: Into<OsString> + Clone>(
    args: Vec<T>,
) -> std::result::Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    use std::io::IsTerminal;
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let plain = args.iter().any(|a| a == "--batch")
        || std::env::var_os("NO_COLOR").is_some()
        || !std::io::stderr().is_terminal();
    let mut cmd = Cli::command();
    if plain {
        cmd = cmd.color(clap::ColorChoice::Never);
    }
    let matches = cmd.try_get_matches_from(args)?;
    Cli::from_arg_matches(&matches)
}

/// The command line's grammar (every command, its subcommands and flags), for completion in
/// the workspace's palette.
pub fn grammar() -> clap::Command {
    let mut g = <Cli as clap::CommandFactory>::command();
    // Global flags (--json, --batch) become every subcommand's own.
    g.build();
    g
}
