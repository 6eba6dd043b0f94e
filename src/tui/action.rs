//! What a key can do in the workspace. Keymaps name these (kebab-case) per context.

/// Where a key is pressed. Resolution order: the open modal, else the focused pane's context,
/// then `Global`. In a text input (chat, modal text fields, a list filter) unbound printable
/// keys are typed, and `Global` only answers keys that cannot be text (Tab, Esc, Ctrl-/Alt-
/// chords, function keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Global,
    Agents,
    Convoys,
    Hooks,
    Mail,
    Queue,
    Chat,
    Modal,
}

impl Context {
    pub const ALL: [Context; 8] = [
        Context::Global,
        Context::Agents,
        Context::Convoys,
        Context::Hooks,
        Context::Mail,
        Context::Queue,
        Context::Chat,
        Context::Modal,
    ];

    /// The table name in a keymap file.
    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Agents => "agents",
            Context::Convoys => "convoys",
            Context::Hooks => "hooks",
            Context::Mail => "mail",
            Context::Queue => "queue",
            Context::Chat => "chat",
            Context::Modal => "modal",
        }
    }

    pub fn parse(s: &str) -> Option<Context> {
        Context::ALL.into_iter().find(|c| c.name() == s)
    }
}

macro_rules! actions {
    ($($variant:ident = $name:literal : $help:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $($variant,)*
        }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            /// The name keymap files use.
            pub fn name(self) -> &'static str {
                match self {
                    $(Action::$variant => $name,)*
                }
            }

            /// One line for the help overlay.
            pub fn help(self) -> &'static str {
                match self {
                    $(Action::$variant => $help,)*
                }
            }

            pub fn parse(s: &str) -> Option<Action> {
                match s {
                    $($name => Some(Action::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

actions! {
    Quit = "quit": "quit the workspace (asks first if an action is still running)",
    Help = "help": "show the keys of the active keymap",
    FocusNext = "focus-next": "focus the next pane",
    FocusPrev = "focus-prev": "focus the previous pane",
    FocusAgents = "focus-agents": "focus Agents",
    FocusPreview = "focus-preview": "focus Preview",
    FocusMayor = "focus-mayor": "focus the Mayor chat",
    FocusConvoys = "focus-convoys": "focus Convoys",
    FocusHooks = "focus-hooks": "focus Hooks",
    FocusMail = "focus-mail": "focus Mail",
    FocusFeed = "focus-feed": "focus Feed",
    FocusAttention = "focus-attention": "focus Attention",
    FocusQueue = "focus-queue": "focus the Merge queue",
    Zoom = "zoom": "zoom the focused pane (again to restore)",
    Refresh = "refresh": "refresh everything now",
    Up = "up": "move up",
    Down = "down": "move down",
    Top = "top": "go to the first item",
    Bottom = "bottom": "go to the last item",
    PageUp = "page-up": "one page up",
    PageDown = "page-down": "one page down",
    Filter = "filter": "filter the list",
    Open = "open": "open or act on the selected item",
    Back = "back": "close, clear the filter or unzoom",
    ToggleMark = "toggle-mark": "mark or unmark the selected item",
    Expand = "expand": "expand the selected item",
    Collapse = "collapse": "collapse the selected item",
    Sling = "sling": "sling a ready bead to a rig or an agent",
    Compose = "compose": "write a new message",
    Reply = "reply": "reply to the selected message",
    Nudge = "nudge": "send a line to the selected agent",
    Attach = "attach": "attach to the selected agent's window (detach to come back)",
    NewConvoy = "new-convoy": "make a convoy of the marked beads",
    Diff = "diff": "show what the selected work changes (files, then the patch)",
    Palette = "palette": "run any gt command, with completion, and see what it printed",
    Details = "details": "the selected bead in full, with what it depends on and what depends on it",
    NewBead = "new-bead": "create a bead: title, type, priority, rig, description",
    EditBead = "edit-bead": "change the selected bead: title, type, priority, description",
    StopAgent = "stop-agent": "stop the selected agent's session (its hook and worktree are kept)",
    StartAgent = "start-agent": "start the selected agent's stopped session (its hook kept)",
    RestartAgent = "restart-agent": "a new session for the selected agent, its hook kept",
    ParkRig = "park-rig": "park the selected agent's rig (no new work; running agents finish), or unpark it",
    DockRig = "dock-rig": "dock the selected agent's rig (its sessions stopped, hooks kept; nothing slung or merged), or undock it",
    Unsling = "unsling": "take the selected agent's bead off its hook (back to ready work)",
    Mayor = "mayor": "start the mayor, or stop it when it runs",
    PauseScheduler = "pause-scheduler": "pause the scheduler (slings wait in its queue), or resume it",
    AddRig = "add-rig": "add a rig (a project) to the town",
    LaunchConvoy = "launch-convoy": "launch the selected convoy: its ready beads are slung now, the rest wave after wave",
    EmergencyStop = "emergency-stop": "emergency stop: hold every agent where it stands (gt estop), or thaw the town",
    Approve = "approve": "approve the merge request: it lands once its gates pass",
    SendBack = "send-back": "send the merge request back to its polecat with a comment",
    Archive = "archive": "archive the selected message",
    MarkUnread = "mark-unread": "mark the selected message unread",
    SwitchIdentity = "switch-identity": "read the mail of another address",
    Send = "send": "send what you typed",
    Newline = "newline": "start a new line in the input",
    Confirm = "confirm": "confirm",
    Cancel = "cancel": "cancel",
    NextField = "next-field": "next field",
    PrevField = "prev-field": "previous field",
    Submit = "submit": "send or finish the form",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for a in Action::ALL {
            assert_eq!(Action::parse(a.name()), Some(*a));
            assert!(seen.insert(a.name()), "{}", a.name());
            assert!(!a.help().is_empty());
        }
        for c in Context::ALL {
            assert_eq!(Context::parse(c.name()), Some(c));
        }
    }
}
