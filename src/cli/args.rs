//! Command-line grammar (clap derive).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "gt",
    version,
    about = "Gas Town: run a town of AI coding agents from one terminal",
    after_help = "Run `gt` with no command inside a town to open the workspace.\n`gt --batch -` reads one command per line from stdin and runs them in one process."
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
    /// Deliver text into a running agent, confirmed on its screen.
    Nudge(NudgeArgs),
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
    /// The town at a glance: rigs, agents, convoys, your mail, escalations.
    Status,
    /// Check the town: tmux and git, config, ledger, hooks, worktrees, windows, supervisor files.
    Doctor {
        /// Repair what cannot lose anything (and say what was left, and why).
        #[arg(long)]
        fix: bool,
    },
    /// Build (or reuse) a demo town to look around in.
    Demo {
        /// Where to put it (default: <tmp>/gt-demo).
        path: Option<PathBuf>,
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

#[derive(Debug, Subcommand)]
pub enum TmuxCmd {
    /// Show the agent menu (every agent by rig; choose one to switch to its window).
    Menu {
        /// The tmux client to show it on (tmux's #{client_name}; default: the current one).
        #[arg(long)]
        client: Option<String>,
        /// The client's height in lines, so the menu fits (tmux's #{client_height}).
        #[arg(long)]
        height: Option<usize>,
    },
    /// One status-line text for an agent: address · hooked bead · unread mail.
    Status {
        /// An agent address (shop/polecats/ash) or a pane id (%12).
        target: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum RigCmd {
    /// Add a project: bare clone, refinery worktree, rig.toml.
    Add {
        name: String,
        /// Git URL or local path of the repository.
        source: String,
        /// Bead id prefix (derived from the name when not given).
        #[arg(long)]
        prefix: Option<String>,
        /// Default branch (the repository's HEAD when not given).
        #[arg(long)]
        branch: Option<String>,
    },
    /// List rigs.
    List,
    /// Show a rig with its worktrees.
    Show { name: String },
    /// Remove a rig's directory (its beads stay in the ledger).
    Remove {
        name: String,
        /// Remove even if uncommitted or unpushed work would be lost.
        #[arg(long)]
        force: bool,
    },
}

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
    Create {
        title: String,
        #[arg(short, long)]
        description: Option<String>,
        /// task, bug, feature, epic, chore, decision (or a custom type).
        #[arg(short = 't', long = "type")]
        issue_type: Option<String>,
        /// 0 (critical) to 4 (backlog); P0–P4 also accepted.
        #[arg(short, long)]
        priority: Option<String>,
        /// Labels (repeat, or separate with commas).
        #[arg(short, long = "label", value_delimiter = ',')]
        labels: Vec<String>,
        /// Make it a child of this bead (id `<parent>.<n>`).
        #[arg(long)]
        parent: Option<String>,
        /// Rig whose prefix the bead gets (default: the rig you are in, else town-level `hq`).
        #[arg(long)]
        rig: Option<String>,
        #[arg(long)]
        assignee: Option<String>,
    },
    /// Show one bead with labels, dependencies and comments.
    Show { id: String },
    /// List beads (open ones unless --all or --status).
    List {
        #[arg(short, long, value_delimiter = ',')]
        status: Vec<String>,
        #[arg(short = 't', long = "type", value_delimiter = ',')]
        issue_type: Vec<String>,
        #[arg(long)]
        assignee: Option<String>,
        #[arg(short, long)]
        label: Option<String>,
        #[arg(long)]
        rig: Option<String>,
        /// Include closed beads, mail and ephemeral beads.
        #[arg(long)]
        all: bool,
        #[arg(long, value_parser = count)]
        limit: Option<usize>,
    },
    /// Change fields of a bead.
    Update {
        id: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(short, long)]
        description: Option<String>,
        #[arg(long)]
        notes: Option<String>,
        #[arg(short, long)]
        status: Option<String>,
        #[arg(short, long)]
        priority: Option<String>,
        #[arg(short = 't', long = "type")]
        issue_type: Option<String>,
        /// Assign (an empty value clears the assignee).
        #[arg(long)]
        assignee: Option<String>,
        #[arg(long = "add-label", value_delimiter = ',')]
        add_labels: Vec<String>,
        #[arg(long = "remove-label", value_delimiter = ',')]
        remove_labels: Vec<String>,
    },
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

#[derive(Debug, Subcommand)]
pub enum MqCmd {
    /// Unfinished merge requests of a rig (or every rig), in the order they are worked.
    List {
        #[arg(long)]
        rig: Option<String>,
    },
    /// One merge request with what happened to it.
    Show { id: String },
    /// Put a failed merge request back in the queue.
    Retry { id: String },
    /// Close a merge request without landing it (its branch stays).
    Reject {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RefineryCmd {
    /// Work the rig's merge queue until it is empty (or one request with --once).
    Run {
        #[arg(long)]
        rig: String,
        #[arg(long)]
        once: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DaemonCmd {
    /// Run the supervisor here until Ctrl-C, SIGTERM or `gt down` (what `gt up` starts).
    Run,
    /// Whether a supervisor runs, and each of its duties.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum WitnessCmd {
    /// The last round of the witness of each rig (or one rig).
    Status { rig: Option<String> },
}

#[derive(Debug, Subcommand)]
pub enum DeaconCmd {
    /// One pass of the deacon's duties, with a report of what it did (needs --once).
    Run {
        #[arg(long)]
        once: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SchedulerCmd {
    /// The limit, the working polecats, the queue in order, and whether it is paused.
    Status,
    /// Stop dispatching: slings to a rig wait in the queue until `gt scheduler resume`.
    Pause,
    /// Dispatch again (the deacon slings queued beads as polecats free up).
    Resume,
}

#[derive(Debug, Subcommand)]
pub enum FormulaCmd {
    /// Every formula visible here (rig, town, user, built-in), which one wins, and broken files.
    List {
        /// Search the rig's formulas/ first (default: the rig of the working directory).
        #[arg(long)]
        rig: Option<String>,
    },
    /// A formula as written, or with --resolved the composed step graph in parallel waves.
    Show {
        name: String,
        /// Compose extends, expansions and aspects; show every step with its needs and waves.
        #[arg(long)]
        resolved: bool,
        #[arg(long)]
        rig: Option<String>,
    },
    /// Run a convoy formula: one polecat per leg, then the synthesis after them.
    Run {
        name: String,
        /// The rig whose polecats do the legs.
        #[arg(long)]
        rig: String,
        /// A variable (input): `--var name=value`; repeatable.
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
        /// Run only the legs of this preset.
        #[arg(long)]
        preset: Option<String>,
        /// Runtime for the polecats (overrides role_agents / default_agent).
        #[arg(long)]
        agent: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MolCmd {
    /// Create a molecule: a root bead and one step bead per formula step, in one transaction.
    Pour {
        formula: String,
        /// A variable: `--var name=value`; repeatable.
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
        /// The rig whose prefix the beads take (default: the working directory's rig, else hq).
        #[arg(long)]
        rig: Option<String>,
        /// Pour it for this work bead (the molecule guides that bead's work).
        #[arg(long = "for", value_name = "BEAD")]
        for_bead: Option<String>,
    },
    /// Steps with their state and what is ready now (default: the molecule on your hook).
    Status { id: Option<String> },
    /// Step commands: `gt mol step done <step>`.
    #[command(subcommand)]
    Step(MolStepCmd),
    /// Remove an unfinished molecule and its steps.
    Burn { id: String },
    /// Close a molecule, keeping only its root with a summary of every step.
    Squash { id: String },
}

#[derive(Debug, Subcommand)]
pub enum MolStepCmd {
    /// Close a step (by step id like `implement`, or by bead id); shows what is ready next.
    Done {
        step: String,
        /// The molecule (default: the one on your hook); needed only for a step id.
        #[arg(long)]
        mol: Option<String>,
        /// Close it even though steps it needs are still open.
        #[arg(long)]
        force: bool,
    },
}

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
    /// Close a convoy by hand.
    Close {
        id: String,
        #[arg(short, long)]
        reason: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// The town's agent runtimes (built-in presets plus its own).
    #[command(subcommand)]
    Agent(AgentConfigCmd),
    /// Set the runtime agents use when no role-specific one is configured.
    DefaultAgent { name: String },
    /// Effective value of a setting and where it comes from.
    Get {
        key: String,
        #[arg(long)]
        rig: Option<String>,
    },
    /// Set a setting in town.toml (or rig.toml with --rig, or your user config with --user).
    Set {
        key: String,
        value: String,
        #[arg(long, conflicts_with = "user")]
        rig: Option<String>,
        #[arg(long)]
        user: bool,
    },
    /// Remove a setting from town.toml (or rig.toml / user config).
    Unset {
        key: String,
        #[arg(long, conflicts_with = "user")]
        rig: Option<String>,
        #[arg(long)]
        user: bool,
    },
    /// Every setting with its effective value and source.
    List {
        #[arg(long)]
        rig: Option<String>,
    },
    /// Print a built-in keymap or theme, to start your own keymap.toml / theme.toml from.
    Dump {
        /// What to print: keymap or theme.
        kind: String,
        /// Which one: a theme (dark, light, high-contrast; default dark) or keymap (default).
        #[arg(long)]
        name: Option<String>,
        /// Write it to this file instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the --out file if it exists.
        #[arg(long, requires = "out")]
        force: bool,
    },
}

#[derive(Debug, Args)]
pub struct SlingArgs {
    /// One or more bead ids, then the target (a rig, `<rig>/polecats/<name>` or `<rig>/<name>`).
    #[arg(required = true, num_args = 2.., value_name = "BEAD… TARGET")]
    pub items: Vec<String>,
    /// Runtime to start (overrides role_agents / default_agent).
    #[arg(long)]
    pub agent: Option<String>,
    /// Do not create a `Work: <title>` convoy for untracked beads.
    #[arg(long)]
    pub no_convoy: bool,
    /// Move a bead that is on another agent's hook; to a rig, also start it now even when
    /// the scheduler is full or paused.
    #[arg(long)]
    pub force: bool,
    /// Pour this formula for the bead (the agent works through its steps).
    #[arg(long, conflicts_with = "no_formula")]
    pub formula: Option<String>,
    /// Pour no formula, even when `sling.formula` names one.
    #[arg(long)]
    pub no_formula: bool,
    /// A formula variable: `--var name=value`; repeatable.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NudgeArgs {
    /// The agent's address.
    #[arg(required_unless_present = "status")]
    pub agent: Option<String>,
    /// The text (words are joined with spaces); or use --stdin.
    pub text: Vec<String>,
    /// Read the text from stdin.
    #[arg(long, conflicts_with = "text")]
    pub stdin: bool,
    /// Seconds to wait for a busy agent before leaving the message queued.
    #[arg(long, default_value_t = 10, value_parser = at_most::<WEEK>)]
    pub wait: u64,
    /// Show the state of an earlier message by its id.
    #[arg(long, conflicts_with_all = ["agent", "text", "stdin"])]
    pub status: Option<i64>,
    /// Do not hand a still-queued message to a background deliverer.
    #[arg(long)]
    pub no_background: bool,
}

#[derive(Debug, Subcommand)]
pub enum PolecatCmd {
    /// Polecats with their state, hook, branch and unsaved work.
    List {
        #[arg(long)]
        rig: Option<String>,
    },
    /// One polecat in detail.
    Show { agent: String },
    /// Remove a polecat (its window, worktree and record); refuses to lose work without --force.
    Remove {
        agent: String,
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AgentCmd {
    /// The simulator: a stand-in for an AI coding CLI (no AI), used by `gt demo` and the tests.
    Sim(SimArgs),
    /// Deliver an agent's queued messages once it is idle (run in the background by `gt nudge`).
    Flush {
        agent: String,
        /// Give up (leaving messages queued) after this many seconds.
        #[arg(long, default_value_t = 1800, value_parser = at_most::<WEEK>)]
        wait: u64,
    },
}

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Seconds before the prompt first appears [env GT_SIM_SLOW_START].
    #[arg(long, env = "GT_SIM_SLOW_START", default_value_t = 0.0, value_parser = seconds)]
    pub slow_start: f64,
    /// Seconds each piece of work keeps it busy [env GT_SIM_BUSY].
    #[arg(long, env = "GT_SIM_BUSY", default_value_t = 1.0, value_parser = seconds)]
    pub busy: f64,
    /// Swallow the first Enter it receives [env GT_SIM_IGNORE_FIRST_ENTER].
    #[arg(long, env = "GT_SIM_IGNORE_FIRST_ENTER")]
    pub ignore_first_enter: bool,
    /// Show the prompt, then never read input again [env GT_SIM_HANG].
    #[arg(long, env = "GT_SIM_HANG")]
    pub hang: bool,
    /// Crash (exit 3) after this many seconds [env GT_SIM_CRASH_AFTER].
    #[arg(long, env = "GT_SIM_CRASH_AFTER", value_parser = seconds)]
    pub crash_after: Option<f64>,
    /// Make the change, then exit without committing or `gt done` [env GT_SIM_NO_COMMIT].
    #[arg(long, env = "GT_SIM_NO_COMMIT")]
    pub no_commit: bool,
    /// Exit (status 4) as soon as anything is typed or pasted [env GT_SIM_EXIT_ON_INPUT].
    #[arg(long, env = "GT_SIM_EXIT_ON_INPUT")]
    pub exit_on_input: bool,
    /// Mail this address a short report after each `gt done`.
    #[arg(long)]
    pub report_to: Option<String>,
    /// Misbehave (hang, crash, no commit) only in this agent's first session; a restarted
    /// session works normally, as a transient failure would [env GT_SIM_ONCE].
    #[arg(long, env = "GT_SIM_ONCE")]
    pub once: bool,
    /// Seconds each step of a molecule keeps it busy [env GT_SIM_STEP_SECS].
    #[arg(long, env = "GT_SIM_STEP_SECS", default_value_t = 0.0, value_parser = seconds)]
    pub step_secs: f64,
    /// The first prompt (gt passes the beacon here).
    pub prompt: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AgentConfigCmd {
    /// Define a runtime, or change fields of a preset or of the town's own:
    /// `gt config agent set mycodex "codex --model o3"`, `gt config agent set claude --env IS_SANDBOX=1`.
    Set(Box<AgentSetArgs>),
    /// Every runtime: built-in presets and the town's own, and which the suite verified.
    List,
    /// Remove one of the town's own runtimes (or the town's changes to a preset).
    Remove { name: String },
    /// Start a runtime once in a scratch window: which dialogs it met, whether it reached
    /// its prompt.
    Check { name: String },
    /// Make the changes a runtime's preset lists to its own config files in your home
    /// directory (e.g. Claude Code's first-run onboarding); shows them first without --yes.
    Prepare {
        name: String,
        /// Write them (without it, only say what would change).
        #[arg(long)]
        yes: bool,
    },
}

/// `gt config agent set`: every field of a runtime.
#[derive(Debug, Args)]
pub struct AgentSetArgs {
    pub name: String,
    /// The program and its arguments (needed for a new runtime).
    pub command_line: Option<String>,
    /// How the first prompt is given: arg, flag or paste.
    #[arg(long)]
    pub prompt: Option<String>,
    /// The flag before the first prompt (with --prompt flag), e.g. --prompt-flag --prompt.
    #[arg(long, allow_hyphen_values = true)]
    pub prompt_flag: Option<String>,
    /// Text that starts its input line (enables confirmed delivery).
    #[arg(long, allow_hyphen_values = true)]
    pub ready_marker: Option<String>,
    /// Text visible while it works.
    #[arg(long, allow_hyphen_values = true)]
    pub busy_marker: Option<String>,
    /// More texts that mean it works (repeatable).
    #[arg(long = "busy-text", allow_hyphen_values = true)]
    pub busy_markers: Vec<String>,
    /// A regular expression that matches a line shown while it works (repeatable).
    #[arg(long = "busy-pattern", allow_hyphen_values = true)]
    pub busy_patterns: Vec<String>,
    /// Hint text its empty input shows (repeatable).
    #[arg(long = "placeholder", allow_hyphen_values = true)]
    pub placeholders: Vec<String>,
    /// File it reads instructions from (CLAUDE.md, AGENTS.md, …).
    #[arg(long)]
    pub instruction_file: Option<String>,
    /// Seconds to wait for its first prompt (default 60).
    #[arg(long, value_parser = at_most::<DAY>)]
    pub startup_timeout: Option<u64>,
    /// Escape stops its work, and urgent mail may interrupt it that way.
    #[arg(long)]
    pub urgent_interrupts: bool,
    /// Whether Escape stops its current work (true or false).
    #[arg(long)]
    pub escape_cancels: Option<bool>,
    /// KEY=VALUE for its sessions' environment (repeatable); KEY= removes a variable.
    #[arg(long, allow_hyphen_values = true)]
    pub env: Vec<String>,
    /// A process name it runs as (repeatable; default: its command's, plus node for Node scripts).
    #[arg(long = "process-name")]
    pub process_names: Vec<String>,
    /// Leading characters it treats as commands (e.g. "!/").
    #[arg(long, allow_hyphen_values = true)]
    pub command_chars: Option<String>,
    /// Leading characters gt refuses for it (no prefix makes them text there).
    #[arg(long, allow_hyphen_values = true)]
    pub refuse_chars: Option<String>,
    /// What makes such text plain: space or word_joiner.
    #[arg(long)]
    pub neutralize: Option<String>,
    /// Milliseconds to wait between a paste and Enter.
    #[arg(long)]
    pub submit_delay_ms: Option<u64>,
    /// Any field as FIELD=<TOML value> (repeatable), e.g. --field 'dialogs=[{name="x", screen=["Trust?"], keys=["Enter"], answer="trust_worktree"}]'.
    #[arg(long = "field", allow_hyphen_values = true)]
    pub set: Vec<String>,
    /// A field the town stops setting (repeatable): a preset's own value comes back.
    #[arg(long)]
    pub unset: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum MailCmd {
    /// Send a message (one copy per recipient; running recipients are told at their prompt).
    Send {
        /// Agent addresses, overseer, <rig>/, list:<name>, queue:<name>, @group, patterns.
        #[arg(required = true)]
        to: Vec<String>,
        #[arg(short, long)]
        subject: String,
        #[arg(short = 'm', long = "message", conflicts_with = "stdin")]
        body: Option<String>,
        /// Read the body from stdin.
        #[arg(long)]
        stdin: bool,
        /// urgent, high, normal or low.
        #[arg(long, default_value = "normal")]
        priority: String,
        #[arg(long)]
        cc: Vec<String>,
        /// Answer this message (same thread).
        #[arg(long)]
        reply_to: Option<String>,
    },
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

#[derive(Debug, Subcommand)]
pub enum MayorCmd {
    /// Start the mayor (a no-op when it is running).
    Start {
        #[arg(long)]
        agent: Option<String>,
    },
    /// Stop the mayor's session.
    Stop {
        #[arg(long)]
        force: bool,
    },
    /// Attach to the mayor's window.
    Attach,
    Status,
    /// Say something to the mayor (confirmed delivery).
    Say {
        #[arg(required = true)]
        text: Vec<String>,
        #[arg(long, default_value_t = 30, value_parser = at_most::<WEEK>)]
        wait: u64,
    },
    /// What the mayor's pane shows.
    Transcript {
        #[arg(short = 'n', long, default_value_t = 40, value_parser = count)]
        lines: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum CrewCmd {
    /// Add a crew member: worktree <rig>/crew/<name> on branch crew/<name>, and its window.
    Add {
        name: String,
        #[arg(long)]
        rig: String,
        #[arg(long)]
        agent: Option<String>,
        /// Create the workspace without starting a session.
        #[arg(long)]
        no_start: bool,
    },
    /// Crew members (of one rig with --rig) with their state and branch.
    List {
        #[arg(long)]
        rig: Option<String>,
    },
    /// Start a crew member's session in its workspace (a no-op when it is running).
    Start { agent: String },
    /// Stop a crew member's session; its workspace and branch stay.
    Stop {
        agent: String,
        /// Stop it even when someone is attached to its window.
        #[arg(long)]
        force: bool,
    },
    /// Attach to a crew member's window.
    At { agent: String },
    /// Remove a crew member; refuses to lose unmerged or uncommitted work without --force.
    Remove {
        agent: String,
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct EscalateArgs {
    #[command(subcommand)]
    pub cmd: Option<EscalateCmd>,
    /// critical, high, medium or low.
    #[arg(short, long)]
    pub severity: Option<String>,
    /// What is blocked, and what is needed.
    pub text: Option<String>,
    /// The bead this is about.
    #[arg(long)]
    pub bead: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum EscalateCmd {
    /// Open escalations (raising overdue ones first).
    List {
        #[arg(long)]
        unacked: bool,
        /// Closed ones too.
        #[arg(long)]
        all: bool,
    },
    /// Acknowledge an escalation (it stops rising; it stays open).
    Ack { id: String },
    /// Close an escalation: the blocker is gone.
    Close {
        id: String,
        #[arg(short, long)]
        reason: Option<String>,
    },
    /// Raise overdue, unacknowledged escalations one level (the deacon does this on a cadence).
    Sweep,
}

const WEEK: u64 = 7 * 86_400;
const DAY: u64 = 86_400;
/// The largest count a listing takes (SQLite's integers are signed 64-bit; beyond a
/// billion rows nothing is meant).
const MAX_COUNT: usize = 1_000_000_000;

/// A number of seconds no larger than `MAX` (a deadline beyond the clock's range would
/// panic; nobody means more than `MAX`).
fn at_most<const MAX: u64>(s: &str) -> Result<u64, String> {
    let n: u64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a whole number of seconds"))?;
    if n > MAX {
        return Err(format!("{n} is too long; at most {MAX} seconds"));
    }
    Ok(n)
}

/// A count of lines or rows, at most `MAX_COUNT`.
fn count(s: &str) -> Result<usize, String> {
    let n: usize = s
        .parse()
        .map_err(|_| format!("{s:?} is not a whole number"))?;
    if n > MAX_COUNT {
        return Err(format!("{n} is too many; at most {MAX_COUNT}"));
    }
    Ok(n)
}

/// Seconds as a decimal: finite, not negative, at most a day.
fn seconds(s: &str) -> Result<f64, String> {
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
