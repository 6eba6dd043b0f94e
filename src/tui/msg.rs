//! What reaches `update()` and what it asks for in return.

use crate::work::mail::MailItem;
use crate::work::views::snapshot::TownSnapshot;
use crossterm::event::{KeyEvent, MouseEvent};
use std::sync::Arc;

pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize(u16, u16),
    Snapshot(Arc<TownSnapshot>),
    /// An effect finished: a line for the user, or why it failed.
    Done {
        id: u64,
        result: Result<String, String>,
    },
    /// A sling finished; the selection follows the agent that took the work.
    Slung {
        id: u64,
        result: Result<String, String>,
        agent: Option<String>,
    },
    /// A palette command finished: what it printed, and whether it succeeded.
    CommandDone {
        id: u64,
        command: String,
        ok: bool,
        output: String,
    },
    /// A bead's tree was read: for the details view, or to fill the edit form.
    TreeLoaded {
        id: u64,
        result: Result<Box<crate::work::beads::tree::BeadTree>, String>,
        edit: bool,
    },
    /// A diff was read for the diff view.
    DiffLoaded {
        id: u64,
        result: Result<Box<crate::work::refinery::diff::DiffView>, String>,
    },
    /// A message was read (and marked read) for the reader.
    MessageLoaded {
        id: u64,
        result: Result<Box<MailItem>, String>,
    },
    /// Something needs the person: ring and/or send a desktop notification.
    Notice {
        notice: crate::work::views::notify::Notice,
        bell: bool,
        desktop: bool,
    },
    /// Time passed (workspace clock, ms).
    Tick(u64),
}

/// Work `update()` wants done. The app runs them off the UI thread (attach excepted: it needs
/// the terminal) and reports back with `Msg::Done` and friends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Refresh everything now.
    Refresh,
    Sling {
        id: u64,
        bead: String,
        target: String,
    },
    SendMail {
        id: u64,
        to: Vec<String>,
        subject: String,
        body: String,
        reply_to: Option<String>,
    },
    ReadMail {
        id: u64,
        message: String,
    },
    Archive {
        id: u64,
        message: String,
    },
    MarkUnread {
        id: u64,
        message: String,
    },
    Nudge {
        id: u64,
        agent: String,
        text: String,
    },
    MayorSay {
        id: u64,
        text: String,
    },
    NewConvoy {
        id: u64,
        title: String,
        beads: Vec<String>,
    },
    AckEscalation {
        id: u64,
        escalation: String,
    },
    /// Run a gt command typed in the palette (as a child process, no shell).
    RunCommand {
        id: u64,
        line: String,
    },
    /// Read a bead with its dependencies (to show it, or to edit it).
    LoadTree {
        id: u64,
        bead: String,
        edit: bool,
    },
    /// Create a bead (`editing` None) or change one.
    SaveBead {
        id: u64,
        fields: crate::work::beads::BeadFields,
    },
    /// Read what an agent, a bead or a merge request changes.
    Diff {
        id: u64,
        target: String,
    },
    Approve {
        id: u64,
        mr: String,
    },
    SendBack {
        id: u64,
        mr: String,
        comment: String,
    },
    Attach {
        agent: String,
    },
    /// Tell the person through their terminal: the bell, a desktop notification.
    Notify {
        title: String,
        body: String,
        bell: bool,
        desktop: bool,
    },
    Quit,
}
