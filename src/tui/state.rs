//! Everything the workspace shows and remembers, as plain data. `update()` changes it; the
//! view only reads it.

use super::input::LineInput;
use super::keymap::{KeySpec, Keymap};
use super::picker::Picker;
use super::theme::Theme;
use crate::work::mail::MailItem;
use crate::work::views::snapshot::TownSnapshot;
use ratatui_textarea::TextArea;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// The panes, in focus order (their number keys are 1–8 in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PaneId {
    Agents,
    Preview,
    Mayor,
    Convoys,
    Hooks,
    Mail,
    Feed,
    Attention,
    Queue,
}

impl PaneId {
    pub const ALL: [PaneId; 9] = [
        PaneId::Agents,
        PaneId::Preview,
        PaneId::Mayor,
        PaneId::Convoys,
        PaneId::Hooks,
        PaneId::Mail,
        PaneId::Feed,
        PaneId::Attention,
        PaneId::Queue,
    ];

    pub fn title(self) -> &'static str {
        match self {
            PaneId::Agents => "Agents",
            PaneId::Preview => "Preview",
            PaneId::Mayor => "Mayor",
            PaneId::Convoys => "Convoys",
            PaneId::Hooks => "Hooks",
            PaneId::Mail => "Mail",
            PaneId::Feed => "Feed",
            PaneId::Attention => "Attention",
            PaneId::Queue => "Merge queue",
        }
    }

    pub fn number(self) -> usize {
        PaneId::ALL.iter().position(|p| *p == self).unwrap_or(0) + 1
    }

    /// Panes that are lists of selectable rows.
    pub fn is_list(self) -> bool {
        !matches!(self, PaneId::Preview | PaneId::Mayor)
    }
}

/// Where a list is: the selected row by its key (stable across refreshes), the first row
/// shown, and a filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    pub selected: Option<String>,
    pub offset: usize,
    pub filter: String,
    /// The filter is being typed.
    pub filtering: bool,
}

/// A line typed to the mayor and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatLine {
    pub id: u64,
    pub text: String,
    pub state: Outcome,
}

/// The state of something the workspace asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pending,
    Done(String),
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub text: String,
    pub error: bool,
    /// Milliseconds (workspace clock) after which it goes away.
    pub until_ms: u64,
}

/// A target a bead can be slung to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub address: String,
    pub label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComposeField {
    To,
    Subject,
    Body,
}

/// A message as written, to reopen it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub reply_to: Option<String>,
}

pub struct Compose {
    pub to: LineInput,
    pub subject: LineInput,
    pub body: TextArea<'static>,
    pub field: ComposeField,
    pub reply_to: Option<String>,
    pub error: Option<String>,
}

/// The fields of the bead form, in order.
pub const BEAD_FIELDS: [&str; 5] = ["title", "type", "priority", "rig", "description"];

/// A bead being created or edited.
#[derive(Clone, Default)]
pub struct BeadForm {
    /// The bead being edited (None: a new one).
    pub editing: Option<String>,
    /// One input per `BEAD_FIELDS` entry.
    pub fields: [LineInput; 5],
    pub focus: usize,
    /// Why the last save failed.
    pub error: Option<String>,
    /// The fields as loaded, when editing (only what differs is saved).
    pub original: Option<[String; 5]>,
}

/// The command palette: the line being typed, the completion chosen, and what the last
/// command printed.
#[derive(Default)]
pub struct Palette {
    pub input: LineInput,
    pub selected: usize,
    /// The command, whether it succeeded, and its output; `running` until it comes back.
    pub output: Option<(String, bool, String)>,
    pub running: Option<u64>,
    pub scroll: usize,
}

pub enum Modal {
    Palette(Box<Palette>),
    BeadForm(Box<BeadForm>),
    /// A bead with what it depends on and what depends on it.
    Details {
        tree: Box<crate::work::beads::tree::BeadTree>,
        scroll: usize,
    },
    Help {
        scroll: usize,
    },
    SlingBead {
        picker: Picker<String>,
    },
    SlingTarget {
        bead: String,
        title: String,
        picker: Picker<String>,
    },
    SlingConfirm {
        bead: String,
        title: String,
        target: String,
    },
    Compose(Box<Compose>),
    Nudge {
        agent: String,
        input: LineInput,
    },
    NewConvoyBeads {
        picker: Picker<String>,
    },
    NewConvoyTitle {
        beads: Vec<String>,
        input: LineInput,
    },
    Identity {
        input: LineInput,
    },
    Reader {
        item: Box<MailItem>,
        scroll: usize,
    },
    ConfirmQuit,
    /// What a piece of work changes: files, then the patch; a merge request waiting for
    /// review can be approved or sent back from here.
    Diff {
        view: Box<crate::work::refinery::diff::DiffView>,
        scroll: usize,
    },
    /// The comment that goes with sending a merge request back.
    SendBack {
        mr: String,
        input: LineInput,
    },
    /// An escalation shown in full; Enter acknowledges it.
    Escalation {
        escalation: String,
    },
}

impl Compose {
    pub fn from_draft(d: &Draft, error: Option<String>) -> Compose {
        Compose {
            to: LineInput::with_text(&d.to),
            subject: LineInput::with_text(&d.subject),
            body: TextArea::new(d.body.lines().map(str::to_string).collect()),
            field: ComposeField::To,
            reply_to: d.reply_to.clone(),
            error,
        }
    }
}

impl Modal {
    pub fn title(&self) -> &'static str {
        match self {
            Modal::Help { .. } => "Keys",
            Modal::SlingBead { .. } => "Sling: pick a ready bead",
            Modal::SlingTarget { .. } => "Sling: pick a target",
            Modal::SlingConfirm { .. } => "Sling: confirm",
            Modal::Compose(_) => "New message",
            Modal::Nudge { .. } => "Nudge",
            Modal::NewConvoyBeads { .. } => "New convoy: mark beads (space), then Enter",
            Modal::NewConvoyTitle { .. } => "New convoy: title",
            Modal::Identity { .. } => "Read the mail of",
            Modal::Reader { .. } => "Message",
            Modal::ConfirmQuit => "Quit?",
            Modal::Escalation { .. } => "Escalation",
            Modal::Palette(_) => "gt command (Tab completes, Enter runs)",
            Modal::BeadForm(f) if f.editing.is_some() => "Edit bead",
            Modal::BeadForm(_) => "New bead",
            Modal::Details { .. } => "Bead",
            Modal::Diff { .. } => "Diff",
            Modal::SendBack { .. } => "Send back: what should change?",
        }
    }

    /// Modals whose focused field takes typed text.
    pub fn takes_text(&self) -> bool {
        match self {
            Modal::SlingBead { .. }
            | Modal::SlingTarget { .. }
            | Modal::NewConvoyBeads { .. }
            | Modal::Nudge { .. }
            | Modal::NewConvoyTitle { .. }
            | Modal::Identity { .. }
            | Modal::SendBack { .. }
            | Modal::Palette(_)
            | Modal::BeadForm(_)
            | Modal::Compose(_) => true,
            Modal::Help { .. } | Modal::SlingConfirm { .. } | Modal::Reader { .. } => false,
            Modal::ConfirmQuit
            | Modal::Escalation { .. }
            | Modal::Diff { .. }
            | Modal::Details { .. } => false,
        }
    }
}

pub struct State {
    pub snapshot: Arc<TownSnapshot>,
    /// A snapshot has arrived (before that, panes say "loading").
    pub loaded: bool,
    pub focus: PaneId,
    /// Panes by how recently they had focus (a shared slot shows its most recent one).
    pub recent: Vec<PaneId>,
    pub zoomed: bool,
    pub cursors: HashMap<PaneId, Cursor>,
    /// Lines scrolled back from the end (preview, chat transcript).
    pub scroll: HashMap<PaneId, usize>,
    pub expanded: BTreeSet<String>,
    pub modal: Option<Modal>,
    pub toasts: Vec<Toast>,
    pub chat_input: TextArea<'static>,
    pub chat: Vec<ChatLine>,
    /// Whose inbox the Mail pane shows.
    pub identity: String,
    pub keymap: Keymap,
    pub theme: Theme,
    /// Keys of a chord typed so far.
    pub pending: Vec<KeySpec>,
    /// Effects started and not yet finished, by id (what they are, for the quit question).
    pub inflight: HashMap<u64, String>,
    /// Messages being sent, kept until they are: a failed send reopens its form, so what
    /// was written is never lost.
    pub outbox: HashMap<u64, Draft>,
    /// Bead forms being saved, kept to come back with the reason if the save fails.
    pub bead_drafts: HashMap<u64, BeadForm>,
    pub next_id: u64,
    /// The workspace clock (ms since start), advanced by ticks.
    pub now_ms: u64,
    pub size: (u16, u16),
    pub quit: bool,
    /// Something changed since the last frame.
    pub dirty: bool,
    /// Problems loading the keymap or theme, shown once.
    pub warnings: Vec<String>,
}

impl State {
    pub fn new(keymap: Keymap, theme: Theme, identity: &str) -> State {
        let mut chat_input = TextArea::default();
        chat_input.set_placeholder_text("Talk to the mayor (Enter sends)");
        State {
            snapshot: Arc::new(TownSnapshot::default()),
            loaded: false,
            focus: PaneId::Agents,
            recent: vec![PaneId::Agents],
            zoomed: false,
            cursors: HashMap::new(),
            scroll: HashMap::new(),
            expanded: BTreeSet::new(),
            modal: None,
            toasts: Vec::new(),
            chat_input,
            chat: Vec::new(),
            identity: identity.to_string(),
            keymap,
            theme,
            pending: Vec::new(),
            inflight: HashMap::new(),
            outbox: HashMap::new(),
            bead_drafts: HashMap::new(),
            next_id: 1,
            now_ms: 0,
            size: (80, 24),
            quit: false,
            dirty: true,
            warnings: Vec::new(),
        }
    }

    pub fn cursor(&self, pane: PaneId) -> Cursor {
        self.cursors.get(&pane).cloned().unwrap_or_default()
    }

    pub fn cursor_mut(&mut self, pane: PaneId) -> &mut Cursor {
        self.cursors.entry(pane).or_default()
    }

    pub fn new_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub fn toast(&mut self, text: impl Into<String>, error: bool) {
        let ms = if error { 8000 } else { 4000 };
        self.toasts.push(Toast {
            text: text.into(),
            error,
            until_ms: self.now_ms + ms,
        });
        if self.toasts.len() > 4 {
            self.toasts.remove(0);
        }
    }

    /// The agent selected in the Agents pane (the first one until the person moves).
    pub fn selected_agent(&self) -> Option<String> {
        let rows = super::rows::rows(self, PaneId::Agents);
        let sel = self.cursor(PaneId::Agents).selected;
        super::rows::selected_index(&rows, sel.as_deref()).and_then(|i| rows[i].key.clone())
    }
}
