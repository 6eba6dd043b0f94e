//! `update(state, msg) -> effects`: every change to the workspace state, and nothing else —
//! no I/O, no clock, no terminal. Effects say what the app should do.

use super::action::{Action, Context};
use super::input::LineInput;
use super::keymap::{KeySpec, Resolution, text_safe};
use super::layout;
use super::msg::{Effect, Msg};
use super::picker::Picker;
use super::rows::{self, RowKind};
use super::state::{ChatLine, Compose, ComposeField, Modal, Outcome, PaneId, State};
use crate::work::views::attention::Kind;
use crate::work::views::snapshot::Request;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, MouseEvent, MouseEventKind};

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let fx = dispatch(state, msg);
    if state.recent.first() != Some(&state.focus) {
        let f = state.focus;
        state.recent.retain(|p| *p != f);
        state.recent.insert(0, f);
    }
    fx
}

fn dispatch(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(k) => {
            state.dirty = true;
            on_key(state, k)
        }
        Msg::Mouse(m) => on_mouse(state, m),
        Msg::Paste(text) => {
            state.dirty = true;
            on_paste(state, &text);
            Vec::new()
        }
        Msg::Resize(w, h) => {
            state.size = (w, h);
            state.dirty = true;
            Vec::new()
        }
        Msg::Snapshot(s) => {
            state.snapshot = s;
            state.loaded = true;
            state.dirty = true;
            Vec::new()
        }
        Msg::Done { id, result } => {
            state.dirty = true;
            finished(state, id, result);
            Vec::new()
        }
        Msg::Slung { id, result, agent } => {
            state.dirty = true;
            finished(state, id, result);
            if let Some(a) = agent {
                state.cursor_mut(PaneId::Agents).selected = Some(a);
            }
            Vec::new()
        }
        Msg::CommandDone {
            id,
            command,
            ok,
            output,
        } => {
            state.dirty = true;
            state.inflight.remove(&id);
            match &mut state.modal {
                Some(Modal::Palette(p)) if p.running == Some(id) => {
                    p.running = None;
                    p.output = Some((command, ok, output));
                }
                _ => {
                    let first = output.lines().next().unwrap_or("").to_string();
                    state.toast(format!("gt {command}: {first}"), !ok);
                }
            }
            vec![Effect::Refresh]
        }
        Msg::TreeLoaded { id, result, edit } => {
            state.dirty = true;
            state.inflight.remove(&id);
            match result {
                Ok(tree) if edit => {
                    state.modal = Some(Modal::BeadForm(Box::new(super::modal::bead::edit_form(
                        &tree,
                    ))));
                }
                Ok(tree) => state.modal = Some(Modal::Details { tree, scroll: 0 }),
                Err(e) => state.toast(format!("could not read the bead: {e}"), true),
            }
            Vec::new()
        }
        Msg::DiffLoaded { id, result } => {
            state.dirty = true;
            state.inflight.remove(&id);
            match result {
                Ok(view) => state.modal = Some(Modal::Diff { view, scroll: 0 }),
                Err(e) => state.toast(format!("no diff to show: {e}"), true),
            }
            Vec::new()
        }
        Msg::MessageLoaded { id, result } => {
            state.dirty = true;
            state.inflight.remove(&id);
            match result {
                Ok(item) => state.modal = Some(Modal::Reader { item, scroll: 0 }),
                Err(e) => state.toast(format!("could not read the message: {e}"), true),
            }
            Vec::new()
        }
        Msg::Notice {
            notice,
            bell,
            desktop,
        } => vec![Effect::Notify {
            title: notice.title,
            body: notice.body,
            bell,
            desktop,
        }],
        Msg::Tick(now) => {
            state.now_ms = now;
            let before = state.toasts.len();
            state.toasts.retain(|t| t.until_ms > now);
            if state.toasts.len() != before {
                state.dirty = true;
            }
            Vec::new()
        }
    }
}

/// What the snapshots should carry for the current view.
pub fn watch_request(state: &State) -> Request {
    let panes = layout::arrangement(state);
    let shown = |pane: PaneId| {
        panes
            .iter()
            .find(|(p, _, _)| *p == pane)
            .map(|(_, r, _)| *r)
    };
    Request {
        identity: state.identity.clone(),
        preview: state.selected_agent(),
        preview_size: shown(PaneId::Preview).map(|r| {
            let body = crate::tui::view::common::inner(r);
            (body.width, body.height)
        }),
        mayor_size: shown(PaneId::Mayor)
            .map(|r| crate::tui::view::text_panes::transcript_size(state, r)),
        screens: Vec::new(),
    }
}

fn finished(state: &mut State, id: u64, result: Result<String, String>) {
    let what = state.inflight.remove(&id);
    if let Some(mut form) = state.bead_drafts.remove(&id)
        && let Err(e) = &result
        && state.modal.is_none()
    {
        // Not saved: the form comes back as it was, with the reason.
        form.error = Some(e.clone());
        state.modal = Some(Modal::BeadForm(Box::new(form)));
        return;
    }
    if let Some(draft) = state.outbox.remove(&id)
        && let Err(e) = &result
    {
        // Not sent: the form comes back with what was written and why.
        if state.modal.is_none() {
            state.modal = Some(Modal::Compose(Box::new(Compose::from_draft(
                &draft,
                Some(format!("not sent: {e}")),
            ))));
            return;
        }
        state.outbox.insert(0, draft);
        state.toast(
            format!("message not sent: {e} — press m to reopen it"),
            true,
        );
        return;
    }
    if let Some(line) = state.chat.iter_mut().find(|l| l.id == id) {
        line.state = match &result {
            Ok(s) => Outcome::Done(s.clone()),
            Err(e) => Outcome::Failed(e.clone()),
        };
        if result.is_ok() {
            return;
        }
    }
    match result {
        Ok(text) => state.toast(text, false),
        Err(e) => state.toast(
            match what {
                Some(w) => format!("{w} failed: {e}"),
                None => e,
            },
            true,
        ),
    }
}

pub(super) fn start(state: &mut State, what: impl Into<String>) -> u64 {
    let id = state.new_id();
    state.inflight.insert(id, what.into());
    id
}

fn pane_context(p: PaneId) -> Option<Context> {
    match p {
        PaneId::Agents => Some(Context::Agents),
        PaneId::Convoys => Some(Context::Convoys),
        PaneId::Hooks => Some(Context::Hooks),
        PaneId::Mail => Some(Context::Mail),
        PaneId::Queue => Some(Context::Queue),
        PaneId::Mayor => Some(Context::Chat),
        PaneId::Preview | PaneId::Feed | PaneId::Attention => None,
    }
}

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    let Some(spec) = KeySpec::from_event(&key) else {
        return Vec::new();
    };
    if state.modal.is_some() {
        return super::modal::key(state, key, spec);
    }
    if state.cursor(state.focus).filtering {
        return filter_key(state, key, spec);
    }
    let typing = state.focus == PaneId::Mayor;
    let mut contexts = Vec::new();
    if let Some(c) = pane_context(state.focus) {
        contexts.push(c);
    }
    // In the chat input, plain characters are text unless the chat itself binds them.
    if !(typing && text_safe(spec) && state.pending.is_empty()) {
        contexts.push(Context::Global);
    }
    let pending = std::mem::take(&mut state.pending);
    match state.keymap.resolve(&contexts, &pending, spec) {
        Resolution::Action(a) => act(state, a),
        Resolution::Pending(keys) => {
            state.pending = keys;
            Vec::new()
        }
        Resolution::Unbound => {
            if typing {
                state.chat_input.input(key);
            }
            Vec::new()
        }
    }
}

fn on_paste(state: &mut State, text: &str) {
    // Terminals send a pasted line break as a carriage return: every ending becomes `\n`
    // (the multi-line fields keep it, the one-line ones make it a space).
    let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
    let text = normalized.as_str();
    match &mut state.modal {
        Some(Modal::Compose(c)) => match c.field {
            ComposeField::To => c.to.insert_str(text),
            ComposeField::Subject => c.subject.insert_str(text),
            ComposeField::Body => {
                c.body.insert_str(text);
            }
        },
        Some(Modal::Nudge { input, .. })
        | Some(Modal::Identity { input })
        | Some(Modal::NewConvoyTitle { input, .. }) => input.insert_str(text),
        Some(Modal::SlingBead { picker })
        | Some(Modal::SlingTarget { picker, .. })
        | Some(Modal::NewConvoyBeads { picker }) => {
            picker.filter.insert_str(text);
            picker.refilter();
        }
        Some(_) => {}
        None if state.focus == PaneId::Mayor => {
            state.chat_input.insert_str(text);
        }
        None => {}
    }
}

fn filter_key(state: &mut State, key: KeyEvent, spec: KeySpec) -> Vec<Effect> {
    let pane = state.focus;
    match key.code {
        KeyCode::Enter => state.cursor_mut(pane).filtering = false,
        KeyCode::Esc => {
            let c = state.cursor_mut(pane);
            c.filtering = false;
            c.filter.clear();
        }
        KeyCode::Backspace => {
            state.cursor_mut(pane).filter.pop();
        }
        KeyCode::Char(ch) if text_safe(spec) => state.cursor_mut(pane).filter.push(ch),
        _ => {
            // Moving through the filtered list still works.
            if let Resolution::Action(a) = state.keymap.resolve(&[Context::Global], &[], spec)
                && matches!(
                    a,
                    Action::Up | Action::Down | Action::PageUp | Action::PageDown
                )
            {
                return act(state, a);
            }
            return Vec::new();
        }
    }
    keep_selection_visible(state, pane);
    Vec::new()
}

pub(super) fn quit(state: &mut State) -> Vec<Effect> {
    state.quit = true;
    vec![Effect::Quit]
}

fn focus(state: &mut State, pane: PaneId) -> Vec<Effect> {
    state.focus = pane;
    Vec::new()
}

fn act(state: &mut State, a: Action) -> Vec<Effect> {
    let focus_pane = state.focus;
    match a {
        Action::Quit => {
            if state.inflight.is_empty() {
                return quit(state);
            }
            state.modal = Some(Modal::ConfirmQuit);
        }
        Action::Help => state.modal = Some(Modal::Help { scroll: 0 }),
        Action::FocusNext | Action::FocusPrev => {
            let panes = layout::visible_panes(state.size, state.zoomed, state.focus);
            let i = panes.iter().position(|p| *p == state.focus).unwrap_or(0);
            let n = panes.len().max(1);
            let next = if a == Action::FocusNext {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            };
            if let Some(p) = panes.get(next) {
                state.focus = *p;
            }
        }
        Action::FocusAgents => return focus(state, PaneId::Agents),
        Action::FocusPreview => return focus(state, PaneId::Preview),
        Action::FocusMayor => return focus(state, PaneId::Mayor),
        Action::FocusConvoys => return focus(state, PaneId::Convoys),
        Action::FocusHooks => return focus(state, PaneId::Hooks),
        Action::FocusMail => return focus(state, PaneId::Mail),
        Action::FocusFeed => return focus(state, PaneId::Feed),
        Action::FocusAttention => return focus(state, PaneId::Attention),
        Action::FocusQueue => return focus(state, PaneId::Queue),
        Action::Diff => return diff_selected(state),
        Action::Palette => state.modal = Some(Modal::Palette(Box::default())),
        Action::Details | Action::EditBead => match selected_bead(state) {
            Some(bead) => {
                let edit = a == Action::EditBead;
                let id = start(state, format!("reading {bead}"));
                return vec![Effect::LoadTree { id, bead, edit }];
            }
            None => state.toast(
                "select a bead, an agent with work, or a merge request",
                true,
            ),
        },
        Action::NewBead => {
            let rig = state
                .selected_agent()
                .and_then(|a| a.split('/').next().map(str::to_string))
                .filter(|r| state.snapshot.rigs.contains(r))
                .or_else(|| state.snapshot.rigs.first().cloned())
                .unwrap_or_default();
            state.modal = Some(Modal::BeadForm(Box::new(super::modal::bead::new_form(
                &rig,
            ))));
        }
        Action::StopAgent => {
            if let Some(a) = state.selected_agent() {
                return run_in_palette(state, &["agent", "stop", &a]);
            }
        }
        Action::StartAgent => {
            if let Some(a) = state.selected_agent() {
                return run_in_palette(state, &["agent", "start", &a]);
            }
        }
        Action::LaunchConvoy => match selected_convoy(state) {
            // Typed, not run: Enter confirms what it would start.
            Some(id) => prefill_palette(state, &["convoy", "launch", &id]),
            None => state.toast("select a convoy first", true),
        },
        Action::ParkRig | Action::DockRig => {
            let Some(rig) = selected_rig(state) else {
                state.toast("select an agent of the rig first", true);
                return Vec::new();
            };
            use crate::work::brakes::RestKind;
            let now = state.snapshot.brakes.rest_of(&rig).map(|r| r.state);
            // Typed, not run: Enter confirms (a reason can be added with -m).
            let verb = match (a, now) {
                (Action::ParkRig, Some(RestKind::Parked)) => "unpark",
                (Action::ParkRig, _) => "park",
                (_, Some(RestKind::Docked)) => "undock",
                _ => "dock",
            };
            prefill_palette(state, &["rig", verb, &rig]);
        }
        Action::RestartAgent => {
            if let Some(a) = state.selected_agent() {
                return run_in_palette(state, &["agent", "restart", &a]);
            }
        }
        Action::Unsling => {
            let agent = state.selected_agent();
            let hook = agent.as_ref().and_then(|a| {
                state
                    .snapshot
                    .agents
                    .iter()
                    .find(|r| &r.address == a)
                    .and_then(|r| r.hook.clone())
            });
            match (agent, hook) {
                (Some(a), Some(h)) => {
                    return run_in_palette(state, &["unsling", &h, "--agent", &a]);
                }
                _ => state.toast("the selected agent has nothing on its hook", true),
            }
        }
        Action::Mayor => {
            // Typed, not run: Enter confirms what the (maybe stale) view suggests.
            let verb = if state.snapshot.mayor.running {
                "stop"
            } else {
                "start"
            };
            prefill_palette(state, &["mayor", verb]);
        }
        Action::PauseScheduler => {
            let verb = if state.snapshot.scheduler_paused {
                "resume"
            } else {
                "pause"
            };
            prefill_palette(state, &["scheduler", verb]);
        }
        Action::AddRig => prefill_palette(state, &["rig", "add", ""]),
        Action::EmergencyStop => {
            // Typed, not run: the person reads it and presses Enter (or adds a reason).
            if state.snapshot.brakes.town.is_some() {
                prefill_palette(state, &["thaw"]);
            } else {
                prefill_palette(state, &["estop"]);
            }
        }
        Action::Approve => {
            if let Some(mr) =
                selected_key(state, PaneId::Queue).filter(|_| focus_pane == PaneId::Queue)
            {
                let id = start(state, format!("approving {mr}"));
                return vec![Effect::Approve { id, mr }];
            }
        }
        Action::SendBack => {
            if let Some(mr) =
                selected_key(state, PaneId::Queue).filter(|_| focus_pane == PaneId::Queue)
            {
                state.modal = Some(Modal::SendBack {
                    mr,
                    input: super::input::LineInput::default(),
                });
            }
        }
        Action::Zoom => state.zoomed = !state.zoomed,
        Action::Refresh => return vec![Effect::Refresh],
        Action::Up => return move_by(state, -1),
        Action::Down => return move_by(state, 1),
        Action::PageUp => return move_by(state, -page(state)),
        Action::PageDown => return move_by(state, page(state)),
        Action::Top => return move_to(state, false),
        Action::Bottom => return move_to(state, true),
        Action::Filter => {
            if focus_pane.is_list() {
                state.cursor_mut(focus_pane).filtering = true;
            }
        }
        Action::Back => {
            let c = state.cursor_mut(focus_pane);
            if !c.filter.is_empty() {
                c.filter.clear();
            } else if state.zoomed {
                state.zoomed = false;
            } else if focus_pane == PaneId::Mayor {
                state.focus = PaneId::Agents;
            }
        }
        Action::Open => return open(state),
        Action::Expand | Action::Collapse | Action::ToggleMark => {
            if focus_pane == PaneId::Convoys
                && let Some(id) = selected_convoy(state)
            {
                let open = match a {
                    Action::Expand => true,
                    Action::Collapse => false,
                    _ => !state.expanded.contains(&id),
                };
                if open {
                    state.expanded.insert(id.clone());
                } else {
                    state.expanded.remove(&id);
                    state.cursor_mut(PaneId::Convoys).selected = Some(id);
                }
            }
        }
        Action::Sling => {
            let items: Vec<(String, String)> = state
                .snapshot
                .ready
                .iter()
                // Epics are containers: their children are the work.
                .filter(|b| b.issue_type != "epic")
                .map(|b| {
                    (
                        b.id.clone(),
                        format!("{}  P{}  {}", b.id, b.priority, b.title),
                    )
                })
                .collect();
            if items.is_empty() {
                state.toast("nothing is ready to sling", true);
            } else {
                state.modal = Some(Modal::SlingBead {
                    picker: Picker::new(items),
                });
            }
        }
        Action::Compose => {
            // A message that could not be sent while another dialog was open waits here.
            if let Some(d) = state.outbox.remove(&0) {
                state.modal = Some(Modal::Compose(Box::new(Compose::from_draft(&d, None))));
                return Vec::new();
            }
            let to = if focus_pane == PaneId::Agents {
                state.selected_agent().unwrap_or_default()
            } else {
                String::new()
            };
            state.modal = Some(super::modal::compose::new(&to));
        }
        Action::Reply => {
            if let Some(item) = selected_mail(state) {
                state.modal = Some(super::modal::compose::reply_to(&item));
            }
        }
        Action::Nudge => match state.selected_agent() {
            Some(agent) => {
                state.modal = Some(Modal::Nudge {
                    agent,
                    input: LineInput::default(),
                })
            }
            None => state.toast("select an agent to nudge", true),
        },
        Action::Attach => return attach_selected(state),
        Action::NewConvoy => {
            let items: Vec<(String, String)> = state
                .snapshot
                .open
                .iter()
                .map(|b| (b.id.clone(), format!("{}  {}  {}", b.id, b.status, b.title)))
                .collect();
            if items.is_empty() {
                state.toast("no open beads to put in a convoy", true);
            } else {
                state.modal = Some(Modal::NewConvoyBeads {
                    picker: Picker::new(items),
                });
            }
        }
        Action::Archive | Action::MarkUnread => {
            if let Some(item) = selected_mail(state) {
                let message = item.id.clone();
                return if a == Action::Archive {
                    let id = start(state, format!("archiving {message}"));
                    vec![Effect::Archive { id, message }]
                } else {
                    let id = start(state, format!("marking {message} unread"));
                    vec![Effect::MarkUnread { id, message }]
                };
            }
        }
        Action::SwitchIdentity => {
            state.modal = Some(Modal::Identity {
                input: LineInput::with_text(&state.identity.clone()),
            })
        }
        Action::Send => return send_chat(state),
        Action::Newline => {
            if focus_pane == PaneId::Mayor {
                state.chat_input.insert_newline();
            }
        }
        // Modal-only actions do nothing outside a modal.
        Action::Confirm
        | Action::Cancel
        | Action::NextField
        | Action::PrevField
        | Action::Submit => {}
    }
    Vec::new()
}

fn send_chat(state: &mut State) -> Vec<Effect> {
    if state.focus != PaneId::Mayor {
        return Vec::new();
    }
    let text = state.chat_input.lines().join("\n").trim().to_string();
    if text.is_empty() {
        return Vec::new();
    }
    state.chat_input = Default::default();
    state
        .chat_input
        .set_placeholder_text("Talk to the mayor (Enter sends)");
    let id = start(state, "a line to the mayor");
    state.chat.push(ChatLine {
        id,
        text: text.clone(),
        state: Outcome::Pending,
    });
    if state.chat.len() > 50 {
        state.chat.remove(0);
    }
    vec![Effect::MayorSay { id, text }]
}

/// The bead behind the selection: a tracked bead or convoy, a hook, an agent's hook, a
/// merge request's bead.
fn selected_bead(state: &State) -> Option<String> {
    let s = &state.snapshot;
    match state.focus {
        PaneId::Convoys => selected_key(state, PaneId::Convoys)
            .map(|k| k.rsplit('/').next().unwrap_or(&k).to_string()),
        PaneId::Hooks => {
            let a = selected_key(state, PaneId::Hooks)?;
            s.hooks.iter().find(|h| h.agent == a)?.bead.clone()
        }
        PaneId::Queue => {
            let mr = selected_key(state, PaneId::Queue)?;
            let q = s.queue.iter().find(|q| q.id == mr)?;
            Some(q.source_bead.clone().unwrap_or(mr))
        }
        _ => {
            let a = state.selected_agent()?;
            s.agents.iter().find(|r| r.address == a)?.hook.clone()
        }
    }
}

/// The palette with `words` typed (running as `running`, if given).
fn palette_with(state: &mut State, words: &[&str], running: Option<u64>) {
    state.modal = Some(Modal::Palette(Box::new(crate::tui::state::Palette {
        input: super::input::LineInput::with_text(&quoted(words)),
        running,
        ..Default::default()
    })));
}

/// The rig of the selected agent.
fn selected_rig(state: &State) -> Option<String> {
    let a = state.selected_agent()?;
    state
        .snapshot
        .agents
        .iter()
        .find(|r| r.address == a)
        .and_then(|r| r.rig.clone())
}

/// The palette with a command typed, not yet run (the person finishes it).
fn prefill_palette(state: &mut State, words: &[&str]) {
    palette_with(state, words, None);
}

/// The palette running `words`, to show what the command printed.
fn run_in_palette(state: &mut State, words: &[&str]) -> Vec<Effect> {
    let line = quoted(words);
    let id = start(state, format!("gt {line}"));
    palette_with(state, words, Some(id));
    vec![Effect::RunCommand { id, line }]
}

/// Words as a command line; an empty last word leaves the line open for typing.
fn quoted(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| match shlex::try_quote(w) {
            _ if w.is_empty() => String::new(),
            Ok(q) => q.into_owned(),
            Err(_) => w.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The diff of what the focused pane has selected: a merge request, an agent's branch.
fn diff_selected(state: &mut State) -> Vec<Effect> {
    let target = match state.focus {
        PaneId::Queue => selected_key(state, PaneId::Queue),
        PaneId::Hooks => selected_key(state, PaneId::Hooks),
        // A bead: its merge request, else the branch of whoever works on it.
        PaneId::Convoys => selected_bead(state),
        _ => state.selected_agent(),
    };
    match target {
        Some(target) => {
            let id = start(state, format!("reading the diff of {target}"));
            vec![Effect::Diff { id, target }]
        }
        None => {
            state.toast("select an agent or a merge request first", true);
            Vec::new()
        }
    }
}

fn attach_selected(state: &mut State) -> Vec<Effect> {
    let agent = match state.focus {
        PaneId::Hooks => selected_key(state, PaneId::Hooks),
        PaneId::Mayor => Some("mayor".to_string()),
        _ => state.selected_agent(),
    };
    match agent {
        Some(agent) => vec![Effect::Attach { agent }],
        None => {
            state.toast("select an agent to attach to", true);
            Vec::new()
        }
    }
}

fn open(state: &mut State) -> Vec<Effect> {
    match state.focus {
        PaneId::Agents | PaneId::Hooks => attach_selected(state),
        PaneId::Convoys => act(state, Action::ToggleMark),
        PaneId::Mail => match selected_mail(state) {
            Some(item) => {
                let message = item.id.clone();
                let id = start(state, format!("reading {message}"));
                vec![Effect::ReadMail { id, message }]
            }
            None => Vec::new(),
        },
        PaneId::Attention => {
            let Some(item) = selected_attention(state) else {
                return Vec::new();
            };
            if matches!(item.kind, Kind::ReviewWaiting | Kind::FailedMerge) {
                let id = start(state, format!("reading the diff of {}", item.subject));
                return vec![Effect::Diff {
                    id,
                    target: item.subject,
                }];
            }
            if item.kind == Kind::Escalation {
                // Shown in full first; acknowledging is the dialog's Enter.
                state.modal = Some(Modal::Escalation {
                    escalation: item.subject,
                });
                return Vec::new();
            }
            if state
                .snapshot
                .agents
                .iter()
                .any(|a| a.address == item.subject)
            {
                state.cursor_mut(PaneId::Agents).selected = Some(item.subject);
                state.focus = PaneId::Agents;
                return Vec::new();
            }
            Vec::new()
        }
        PaneId::Mayor => send_chat(state),
        PaneId::Queue => diff_selected(state),
        PaneId::Preview | PaneId::Feed => Vec::new(),
    }
}

fn selected_convoy(state: &State) -> Option<String> {
    let rows = rows::rows(state, PaneId::Convoys);
    let sel = state.cursor(PaneId::Convoys).selected;
    let i = rows::selected_index(&rows, sel.as_deref())?;
    match rows[i].kind {
        RowKind::Convoy(c) | RowKind::Tracked(c, _) => {
            state.snapshot.convoys.get(c).map(|c| c.id.clone())
        }
        _ => None,
    }
}

/// The key of the row the person sees selected (the first row until they move).
fn selected_key(state: &State, pane: PaneId) -> Option<String> {
    let rows = rows::rows(state, pane);
    let sel = state.cursor(pane).selected;
    rows::selected_index(&rows, sel.as_deref()).and_then(|i| rows[i].key.clone())
}

fn selected_mail(state: &State) -> Option<crate::work::mail::MailItem> {
    let sel = selected_key(state, PaneId::Mail)?;
    state.snapshot.mail.iter().find(|m| m.id == sel).cloned()
}

fn selected_attention(state: &State) -> Option<crate::work::views::attention::Attention> {
    let rows = rows::rows(state, PaneId::Attention);
    let sel = state.cursor(PaneId::Attention).selected;
    let i = rows::selected_index(&rows, sel.as_deref())?;
    match rows[i].kind {
        RowKind::Attention(a) => state.snapshot.attention.get(a).cloned(),
        _ => None,
    }
}

/// Rows in the focused pane's body.
fn page(state: &State) -> i64 {
    layout::pane_rect(state, state.focus)
        .map(|r| r.height.saturating_sub(3).max(1) as i64)
        .unwrap_or(10)
}

fn move_by(state: &mut State, delta: i64) -> Vec<Effect> {
    let pane = state.focus;
    if !pane.is_list() {
        let s = state.scroll.entry(pane).or_default();
        *s = (*s as i64 - delta).max(0) as usize;
        return Vec::new();
    }
    let rows = rows::rows(state, pane);
    let selectable: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].key.is_some()).collect();
    if selectable.is_empty() {
        return Vec::new();
    }
    let sel = state.cursor(pane).selected;
    let cur = rows::selected_index(&rows, sel.as_deref()).unwrap_or(selectable[0]);
    let pos = selectable.iter().position(|&i| i == cur).unwrap_or(0) as i64;
    let next = (pos + delta).clamp(0, selectable.len() as i64 - 1) as usize;
    state.cursor_mut(pane).selected = rows[selectable[next]].key.clone();
    keep_selection_visible(state, pane);
    // No effect: the loop derives what to watch (preview, inbox) from the state.
    Vec::new()
}

fn move_to(state: &mut State, last: bool) -> Vec<Effect> {
    let pane = state.focus;
    if !pane.is_list() {
        state
            .scroll
            .insert(pane, if last { 0 } else { usize::MAX / 2 });
        return Vec::new();
    }
    let rows = rows::rows(state, pane);
    let key = if last {
        rows.iter().rev().find_map(|r| r.key.clone())
    } else {
        rows.iter().find_map(|r| r.key.clone())
    };
    state.cursor_mut(pane).selected = key;
    keep_selection_visible(state, pane);
    // No effect: the loop derives what to watch (preview, inbox) from the state.
    Vec::new()
}

/// Scrolls the list so its selected row is on screen.
pub fn keep_selection_visible(state: &mut State, pane: PaneId) {
    let rows = rows::rows(state, pane);
    let height = layout::pane_rect(state, pane)
        .map(|r| r.height.saturating_sub(2) as usize)
        .unwrap_or(10)
        .max(1);
    let sel = state.cursor(pane).selected;
    let Some(i) = rows::selected_index(&rows, sel.as_deref()) else {
        state.cursor_mut(pane).offset = 0;
        return;
    };
    let c = state.cursor_mut(pane);
    if i < c.offset {
        c.offset = i;
    } else if i >= c.offset + height {
        c.offset = i + 1 - height;
    }
}

fn on_mouse(state: &mut State, m: MouseEvent) -> Vec<Effect> {
    let Some((pane, rect)) = layout::pane_at(state, m.column, m.row) else {
        return Vec::new();
    };
    match m.kind {
        MouseEventKind::Down(_) => {
            state.dirty = true;
            if state.modal.is_some() {
                return Vec::new();
            }
            state.focus = pane;
            if pane.is_list() && m.row > rect.y && m.row < rect.y + rect.height - 1 {
                let rows = rows::rows(state, pane);
                let i = (m.row - rect.y - 1) as usize + state.cursor(pane).offset;
                if let Some(key) = rows.get(i).and_then(|r| r.key.clone()) {
                    state.cursor_mut(pane).selected = Some(key);
                    return Vec::new();
                }
            }
            Vec::new()
        }
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            state.dirty = true;
            let before = state.focus;
            state.focus = pane;
            let d = if m.kind == MouseEventKind::ScrollDown {
                3
            } else {
                -3
            };
            let fx = move_by(state, d);
            state.focus = before;
            fx
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
