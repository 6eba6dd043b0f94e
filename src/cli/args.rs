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
    #[arg(long)]
    pub limit: Option<usize>,
}

#[derive(Debug, Args)]
pub struct CloseArgs {
    #[arg(required = true)]
    pub ids: Vec<String>,
    #[arg(long, short)]
    pub reason: Option<String>,
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
        #[arg(long)]
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
pub enum ConvoyCmd {
    /// Create a convoy tracking the given beads.
    Create { title: String, ids: Vec<String> },
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
}
