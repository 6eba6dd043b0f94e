//! `update()` for every kind of action: focus, lists, filter, the sling and compose flows,
//! chords, modals, chat, mouse and time.

use super::*;
use crate::tui::fixtures;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent};

fn town() -> State {
    fixtures::state(fixtures::busy_town(), (160, 45))
}

fn press(s: &mut State, code: KeyCode) -> Vec<Effect> {
    update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ctrl(s: &mut State, c: char) -> Vec<Effect> {
    update(
        s,
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    )
}

fn chars(s: &mut State, text: &str) -> Vec<Effect> {
    let mut out = Vec::new();
    for c in text.chars() {
        out.extend(press(s, KeyCode::Char(c)));
    }
    out
}

fn selected(s: &State, pane: PaneId) -> Option<String> {
    let rows = rows::rows(s, pane);
    let sel = s.cursor(pane).selected;
    rows::selected_index(&rows, sel.as_deref()).and_then(|i| rows[i].key.clone())
}

#[test]
fn focus_moves_with_tab_numbers_and_back_tab() {
    let mut s = town();
    assert_eq!(s.focus, PaneId::Agents);
    press(&mut s, KeyCode::Tab);
    assert_eq!(s.focus, PaneId::Preview);
    press(&mut s, KeyCode::BackTab);
    assert_eq!(s.focus, PaneId::Agents);
    chars(&mut s, "6");
    assert_eq!(s.focus, PaneId::Mail);
    chars(&mut s, "8");
    assert_eq!(s.focus, PaneId::Attention);
    press(&mut s, KeyCode::Tab);
    assert_eq!(s.focus, PaneId::Queue);
    press(&mut s, KeyCode::Tab);
    assert_eq!(s.focus, PaneId::Agents, "wraps around");
    // A shared slot shows the pane that last had focus.
    let mut small = fixtures::state(fixtures::busy_town(), (80, 24));
    chars(&mut small, "6");
    chars(&mut small, "1");
    let shown: Vec<PaneId> = layout::arrangement(&small)
        .into_iter()
        .map(|a| a.0)
        .collect();
    assert!(shown.contains(&PaneId::Mail), "{shown:?}");
}

#[test]
fn lists_move_over_rows_skipping_headings() {
    let mut s = town();
    // The mayor has its own pane, so the first selection is the first other agent.
    assert_eq!(
        selected(&s, PaneId::Agents).as_deref(),
        Some("docs/polecats/dune")
    );
    chars(&mut s, "k");
    assert_eq!(selected(&s, PaneId::Agents).as_deref(), Some("mayor"));
    let fx = chars(&mut s, "j");
    assert_eq!(
        selected(&s, PaneId::Agents).as_deref(),
        Some("docs/polecats/dune")
    );
    // A new selection asks for that agent's preview (the loop sends what the state asks).
    assert!(fx.is_empty(), "{fx:?}");
    let req = watch_request(&s);
    assert_eq!(req.identity, "overseer");
    assert_eq!(req.preview.as_deref(), Some("docs/polecats/dune"));
    // The agent's window is asked to be the preview's size, and the mayor's the chat's.
    let (w, h) = req.preview_size.expect("the preview is on screen");
    assert!(w > 40 && h > 15, "{w}x{h}");
    assert!(req.mayor_size.is_some());
    chars(&mut s, "2");
    chars(&mut s, "z");
    let (zw, zh) = watch_request(&s).preview_size.expect("zoomed preview");
    assert!(zw > w && zh > h, "zoomed {zw}x{zh} vs {w}x{h}");
    chars(&mut s, "z");
    chars(&mut s, "1");
    chars(&mut s, "G");
    assert_eq!(
        selected(&s, PaneId::Agents).as_deref(),
        Some("shop/polecats/cedar")
    );
    chars(&mut s, "j");
    assert_eq!(
        selected(&s, PaneId::Agents).as_deref(),
        Some("shop/polecats/cedar"),
        "stays at the end"
    );
    chars(&mut s, "k");
    assert_eq!(
        selected(&s, PaneId::Agents).as_deref(),
        Some("shop/polecats/birch")
    );
    press(&mut s, KeyCode::PageUp);
    assert_eq!(selected(&s, PaneId::Agents).as_deref(), Some("mayor"));
    press(&mut s, KeyCode::End);
    assert_eq!(
        selected(&s, PaneId::Agents).as_deref(),
        Some("shop/polecats/cedar")
    );
    // The selection follows its agent across refreshes (by key, not position).
    let mut snap = fixtures::busy_town();
    snap.agents.remove(1);
    update(&mut s, Msg::Snapshot(std::sync::Arc::new(snap)));
    assert_eq!(
        selected(&s, PaneId::Agents).as_deref(),
        Some("shop/polecats/cedar")
    );
}

#[test]
fn chords_wait_for_their_second_key() {
    let mut s = town();
    chars(&mut s, "G");
    chars(&mut s, "g");
    assert_eq!(s.pending.len(), 1, "g alone waits");
    assert_eq!(
        selected(&s, PaneId::Agents).as_deref(),
        Some("shop/polecats/cedar")
    );
    chars(&mut s, "g");
    assert!(s.pending.is_empty());
    assert_eq!(selected(&s, PaneId::Agents).as_deref(), Some("mayor"));
    // A key that does not finish the chord acts on its own.
    chars(&mut s, "g");
    chars(&mut s, "j");
    assert!(s.pending.is_empty());
    assert_eq!(
        selected(&s, PaneId::Agents).as_deref(),
        Some("docs/polecats/dune")
    );
}

#[test]
fn filter_narrows_a_list_and_esc_clears_it() {
    let mut s = town();
    chars(&mut s, "/");
    assert!(s.cursor(PaneId::Agents).filtering);
    chars(&mut s, "birch");
    let keys: Vec<String> = rows::rows(&s, PaneId::Agents)
        .into_iter()
        .filter_map(|r| r.key)
        .collect();
    assert_eq!(keys, vec!["shop/polecats/birch"]);
    // While typing a filter, letters are text, not commands (s would sling).
    assert!(s.modal.is_none());
    press(&mut s, KeyCode::Enter);
    assert!(!s.cursor(PaneId::Agents).filtering);
    assert_eq!(s.cursor(PaneId::Agents).filter, "birch", "kept after Enter");
    press(&mut s, KeyCode::Esc);
    assert!(s.cursor(PaneId::Agents).filter.is_empty(), "Esc clears it");
    assert_eq!(
        rows::rows(&s, PaneId::Agents)
            .iter()
            .filter(|r| r.key.is_some())
            .count(),
        7
    );
}

#[test]
fn the_sling_flow_picks_a_bead_then_a_target_then_confirms() {
    let mut s = town();
    chars(&mut s, "s");
    let Some(Modal::SlingBead { picker }) = &s.modal else {
        panic!("no bead picker");
    };
    // Epics are not offered.
    assert_eq!(picker.len(), 3);
    chars(&mut s, "dark");
    let fx = press(&mut s, KeyCode::Enter);
    assert!(fx.is_empty());
    let Some(Modal::SlingTarget { bead, picker, .. }) = &s.modal else {
        panic!("no target picker");
    };
    assert_eq!(bead, "sh-g7");
    // The bead's own rig comes first.
    assert_eq!(picker.current().map(|c| c.0).as_deref(), Some("shop"));
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Up);
    press(&mut s, KeyCode::Enter);
    assert!(matches!(s.modal, Some(Modal::SlingConfirm { .. })));
    let fx = press(&mut s, KeyCode::Enter);
    assert!(s.modal.is_none());
    let [Effect::Sling { id, bead, target }] = &fx[..] else {
        panic!("{fx:?}");
    };
    assert_eq!((bead.as_str(), target.as_str()), ("sh-g7", "shop"));
    assert!(s.inflight.contains_key(id));
    // Its outcome comes back as a toast and it is no longer in flight.
    update(
        &mut s,
        Msg::Slung {
            id: *id,
            result: Ok("Slung sh-g7 to shop/polecats/birch".into()),
            agent: Some("shop/polecats/birch".into()),
        },
    );
    assert!(s.inflight.is_empty());
    assert_eq!(s.toasts.last().map(|t| t.error), Some(false));
    // The selection follows the agent that took the work.
    assert_eq!(
        selected(&s, PaneId::Agents).as_deref(),
        Some("shop/polecats/birch")
    );
    // Esc at any step cancels without an effect.
    chars(&mut s, "s");
    assert!(press(&mut s, KeyCode::Esc).is_empty());
    assert!(s.modal.is_none());
}

#[test]
fn the_compose_flow_checks_fields_sends_and_keeps_a_failed_message() {
    let mut s = town();
    chars(&mut s, "6");
    chars(&mut s, "m");
    let Some(Modal::Compose(c)) = &s.modal else {
        panic!("no compose");
    };
    assert_eq!(
        c.field,
        ComposeField::To,
        "nothing prefilled outside Agents"
    );
    assert!(ctrl(&mut s, 's').is_empty(), "no recipient: not sent");
    let Some(Modal::Compose(c)) = &s.modal else {
        panic!("closed");
    };
    assert!(c.error.as_deref().unwrap_or("").contains("recipient"));
    chars(&mut s, "mayor");
    press(&mut s, KeyCode::Tab);
    chars(&mut s, "Status");
    press(&mut s, KeyCode::Tab);
    chars(&mut s, "line one");
    press(&mut s, KeyCode::Enter);
    chars(&mut s, "line two");
    let fx = ctrl(&mut s, 's');
    let [
        Effect::SendMail {
            id,
            to,
            subject,
            body,
            reply_to,
        },
    ] = &fx[..]
    else {
        panic!("{fx:?}");
    };
    assert_eq!(to, &vec!["mayor".to_string()]);
    assert_eq!(subject, "Status");
    assert_eq!(body, "line one\nline two");
    assert_eq!(reply_to, &None);
    assert!(s.modal.is_none());
    // The send fails: the form comes back with everything in it and the reason.
    update(
        &mut s,
        Msg::Done {
            id: *id,
            result: Err("unknown address".into()),
        },
    );
    let Some(Modal::Compose(c)) = &s.modal else {
        panic!("the message was lost");
    };
    assert_eq!(c.to.text(), "mayor");
    assert_eq!(c.body.lines().join("\n"), "line one\nline two");
    assert!(c.error.as_deref().unwrap_or("").contains("unknown address"));
}

#[test]
fn reading_and_replying_to_mail() {
    let mut s = town();
    chars(&mut s, "6");
    let fx = press(&mut s, KeyCode::Enter);
    let [Effect::ReadMail { id, message }] = &fx[..] else {
        panic!("{fx:?}");
    };
    assert_eq!(message, "hq-m1");
    let mut item = s.snapshot.mail[0].clone();
    item.body = Some("How is it going?".into());
    update(
        &mut s,
        Msg::MessageLoaded {
            id: *id,
            result: Ok(Box::new(item)),
        },
    );
    assert!(matches!(s.modal, Some(Modal::Reader { .. })));
    chars(&mut s, "r");
    let Some(Modal::Compose(c)) = &s.modal else {
        panic!("no reply form");
    };
    assert_eq!(c.to.text(), "mayor");
    assert_eq!(c.subject.text(), "Re: Status of the checkout convoy");
    assert_eq!(c.reply_to.as_deref(), Some("hq-m1"));
    assert_eq!(c.field, ComposeField::Body);
    press(&mut s, KeyCode::Esc);
    // Archive and mark-unread act on the selected message.
    chars(&mut s, "j");
    let fx = chars(&mut s, "e");
    assert!(
        matches!(&fx[..], [Effect::Archive { message, .. }] if message == "hq-m2"),
        "{fx:?}"
    );
    let fx = chars(&mut s, "u");
    assert!(matches!(&fx[..], [Effect::MarkUnread { message, .. }] if message == "hq-m2"));
    // Another identity's inbox.
    chars(&mut s, "i");
    ctrl(&mut s, 'u');
    chars(&mut s, "shop/witness");
    let fx = press(&mut s, KeyCode::Enter);
    assert_eq!(s.identity, "shop/witness");
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(watch_request(&s).identity, "shop/witness");
}

#[test]
fn nudge_and_attach_act_on_the_selected_agent() {
    let mut s = town();
    chars(&mut s, "n");
    chars(&mut s, "please rebase");
    let fx = press(&mut s, KeyCode::Enter);
    assert!(
        matches!(&fx[..], [Effect::Nudge { agent, text, .. }] if agent == "docs/polecats/dune" && text == "please rebase"),
        "{fx:?}"
    );
    let fx = press(&mut s, KeyCode::Enter);
    assert_eq!(
        fx,
        vec![Effect::Attach {
            agent: "docs/polecats/dune".into()
        }]
    );
    let fx = chars(&mut s, "a");
    assert_eq!(
        fx,
        vec![Effect::Attach {
            agent: "docs/polecats/dune".into()
        }]
    );
}

#[test]
fn chat_types_text_and_sends_it_to_the_mayor() {
    let mut s = town();
    chars(&mut s, "3");
    // q, s, m are text here, not quit / sling / mail.
    let fx = chars(&mut s, "q s m");
    assert!(fx.is_empty() && !s.quit && s.modal.is_none());
    update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT)),
    );
    chars(&mut s, "!ready");
    let fx = press(&mut s, KeyCode::Enter);
    let [Effect::MayorSay { id, text }] = &fx[..] else {
        panic!("{fx:?}");
    };
    assert_eq!(text, "q s m\n!ready");
    assert!(s.chat_input.is_empty(), "the input is cleared");
    assert_eq!(s.chat.last().map(|l| &l.state), Some(&Outcome::Pending));
    update(
        &mut s,
        Msg::Done {
            id: *id,
            result: Ok("delivered".into()),
        },
    );
    assert_eq!(
        s.chat.last().map(|l| &l.state),
        Some(&Outcome::Done("delivered".into()))
    );
    // Esc leaves the chat; then keys are commands again.
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.focus, PaneId::Agents);
}

#[test]
fn new_convoy_from_marked_beads() {
    let mut s = town();
    chars(&mut s, "4");
    chars(&mut s, "c");
    assert!(matches!(s.modal, Some(Modal::NewConvoyBeads { .. })));
    chars(&mut s, " ");
    chars(&mut s, " ");
    press(&mut s, KeyCode::Enter);
    chars(&mut s, "Polish");
    let fx = press(&mut s, KeyCode::Enter);
    assert!(
        matches!(&fx[..], [Effect::NewConvoy { title, beads, .. }] if title == "Polish" && beads == &vec!["sh-e5".to_string(), "sh-g7".to_string()]),
        "{fx:?}"
    );
}

#[test]
fn convoys_expand_and_collapse() {
    let mut s = town();
    chars(&mut s, "4");
    chars(&mut s, "l");
    assert!(s.expanded.contains("hq-cv-aaaaa"));
    assert_eq!(rows::rows(&s, PaneId::Convoys).len(), 6);
    chars(&mut s, "j");
    assert_eq!(
        selected(&s, PaneId::Convoys).as_deref(),
        Some("hq-cv-aaaaa/sh-a1")
    );
    chars(&mut s, "h");
    assert!(s.expanded.is_empty());
    assert_eq!(
        selected(&s, PaneId::Convoys).as_deref(),
        Some("hq-cv-aaaaa")
    );
}

#[test]
fn help_zoom_and_quit() {
    let mut s = town();
    chars(&mut s, "?");
    assert!(matches!(s.modal, Some(Modal::Help { .. })));
    press(&mut s, KeyCode::Esc);
    assert!(s.modal.is_none());
    chars(&mut s, "z");
    assert!(s.zoomed);
    assert_eq!(layout::arrangement(&s).len(), 1);
    press(&mut s, KeyCode::Esc);
    assert!(!s.zoomed);
    // With something in flight, quitting asks first.
    s.inflight.insert(9, "sling sh-e5 → shop".into());
    assert!(chars(&mut s, "q").is_empty());
    assert!(matches!(s.modal, Some(Modal::ConfirmQuit)));
    press(&mut s, KeyCode::Esc);
    assert!(!s.quit);
    chars(&mut s, "q");
    assert_eq!(chars(&mut s, "y"), vec![Effect::Quit]);
    assert!(s.quit);
}

#[test]
fn attention_jumps_to_its_agent_or_acknowledges() {
    let mut s = town();
    chars(&mut s, "8");
    // Enter shows the escalation first; Esc keeps it, Enter in the dialog acknowledges it.
    assert!(press(&mut s, KeyCode::Enter).is_empty());
    assert!(matches!(&s.modal, Some(Modal::Escalation { escalation }) if escalation == "hq-esc1"));
    assert!(press(&mut s, KeyCode::Esc).is_empty());
    assert!(s.modal.is_none());
    press(&mut s, KeyCode::Enter);
    let fx = press(&mut s, KeyCode::Enter);
    assert!(
        matches!(&fx[..], [Effect::AckEscalation { escalation, .. }] if escalation == "hq-esc1"),
        "{fx:?}"
    );
    assert!(s.modal.is_none());
    chars(&mut s, "j");
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.focus, PaneId::Agents);
    assert_eq!(s.selected_agent().as_deref(), Some("shop/polecats/cedar"));
}

#[test]
fn mouse_clicks_focus_and_select() {
    let mut s = town();
    let (_, rect) = layout::arrangement(&s)
        .into_iter()
        .find(|(p, _, _)| *p == PaneId::Agents)
        .map(|(p, r, _)| (p, r))
        .expect("agents");
    // Row 5 of the body is docs/polecats/dune (rig, mayor, rig, role, dune).
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: rect.x + 3,
        row: rect.y + 5,
        modifiers: KeyModifiers::NONE,
    };
    chars(&mut s, "6");
    update(&mut s, Msg::Mouse(click));
    assert_eq!(s.focus, PaneId::Agents);
    assert_eq!(s.selected_agent().as_deref(), Some("docs/polecats/dune"));
}

#[test]
fn toasts_expire_with_time_and_resizes_relayout() {
    let mut s = town();
    s.toast("hello", false);
    update(&mut s, Msg::Tick(1000));
    assert_eq!(s.toasts.len(), 1);
    update(&mut s, Msg::Tick(60_000));
    assert!(s.toasts.is_empty());
    update(&mut s, Msg::Resize(80, 24));
    assert_eq!(s.size, (80, 24));
    assert!(layout::arrangement(&s).len() < 8);
}

/// A real terminal pastes line breaks as carriage returns (`\r`, sometimes `\r\n`): the mail
/// body and the mayor chat keep them as lines; one-line fields make them spaces.
#[test]
fn pasted_carriage_returns_are_line_breaks() {
    let pasted = "one\rtwo\r\nthree";
    let mut s = town();
    chars(&mut s, "6");
    chars(&mut s, "m");
    chars(&mut s, "mayor");
    update(&mut s, Msg::Paste("a\rb".into()));
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Tab);
    update(&mut s, Msg::Paste(pasted.into()));
    let Some(Modal::Compose(c)) = &s.modal else {
        panic!("no compose");
    };
    assert_eq!(c.body.lines(), ["one", "two", "three"]);
    assert_eq!(c.to.text(), "mayora b");
    let mut s = town();
    s.focus = PaneId::Mayor;
    update(&mut s, Msg::Paste(pasted.into()));
    assert_eq!(s.chat_input.lines(), ["one", "two", "three"]);
}

#[test]
fn the_merge_queue_shows_a_diff_and_approves_or_sends_back() {
    let mut s = town();
    chars(&mut s, "9");
    assert_eq!(s.focus, PaneId::Queue);
    // Waiting for review first.
    assert_eq!(selected(&s, PaneId::Queue).as_deref(), Some("sh-mr3"));
    let fx = press(&mut s, KeyCode::Enter);
    let [Effect::Diff { id, target }] = &fx[..] else {
        panic!("{fx:?}");
    };
    assert_eq!(target, "sh-mr3");
    let view = crate::work::refinery::diff::DiffView {
        target: "sh-mr3".into(),
        what: "merge request sh-mr3 of sh-c3 (polecat/ash/sh-c3)".into(),
        rig: "shop".into(),
        base: "main".into(),
        head: "abc".into(),
        merge_request: Some("sh-mr3".into()),
        review: Some(crate::work::refinery::review::WAITING.into()),
        uncommitted: None,
        change: Default::default(),
    };
    update(
        &mut s,
        Msg::DiffLoaded {
            id: *id,
            result: Ok(Box::new(view.clone())),
        },
    );
    assert!(matches!(s.modal, Some(Modal::Diff { .. })));
    // a approves from the diff view.
    let fx = chars(&mut s, "a");
    assert!(
        matches!(&fx[..], [Effect::Approve { mr, .. }] if mr == "sh-mr3"),
        "{fx:?}"
    );
    assert!(s.modal.is_none());
    // b asks for the comment, Enter sends it back with it.
    update(
        &mut s,
        Msg::DiffLoaded {
            id: 99,
            result: Ok(Box::new(view)),
        },
    );
    chars(&mut s, "b");
    assert!(matches!(s.modal, Some(Modal::SendBack { .. })));
    chars(&mut s, "Use the new API");
    let fx = press(&mut s, KeyCode::Enter);
    assert!(
        matches!(&fx[..], [Effect::SendBack { mr, comment, .. }] if mr == "sh-mr3" && comment == "Use the new API"),
        "{fx:?}"
    );
    // From the list itself too.
    let fx = chars(&mut s, "a");
    assert!(matches!(&fx[..], [Effect::Approve { .. }]), "{fx:?}");
    // A review waiting is in Attention, and Enter there opens its diff.
    assert!(
        s.snapshot
            .attention
            .iter()
            .any(|a| a.kind == crate::work::views::attention::Kind::ReviewWaiting)
    );
}

#[test]
fn the_palette_completes_runs_and_shows_what_a_command_printed() {
    let mut s = town();
    chars(&mut s, ":");
    assert!(matches!(s.modal, Some(Modal::Palette(_))));
    chars(&mut s, "mq ap");
    press(&mut s, KeyCode::Tab);
    chars(&mut s, "sh-mr3");
    let Some(Modal::Palette(p)) = &s.modal else {
        panic!("no palette");
    };
    assert_eq!(p.input.text(), "mq approve sh-mr3");
    let fx = press(&mut s, KeyCode::Enter);
    let [Effect::RunCommand { id, line }] = &fx[..] else {
        panic!("{fx:?}");
    };
    assert_eq!(line, "mq approve sh-mr3");
    let id = *id;
    update(
        &mut s,
        Msg::CommandDone {
            id,
            command: "mq approve sh-mr3".into(),
            ok: true,
            output: "Approved sh-mr3".into(),
        },
    );
    let Some(Modal::Palette(p)) = &s.modal else {
        panic!("the palette stays open with the output");
    };
    assert_eq!(
        p.output.as_ref().map(|o| o.2.as_str()),
        Some("Approved sh-mr3")
    );
    // Something that needs the terminal is refused in words, and nothing runs.
    press(&mut s, KeyCode::Esc);
    chars(&mut s, ":");
    chars(&mut s, "attach shop/polecats/ash");
    assert!(press(&mut s, KeyCode::Enter).is_empty());
    let Some(Modal::Palette(p)) = &s.modal else {
        panic!("no palette");
    };
    assert!(
        p.output
            .as_ref()
            .is_some_and(|o| !o.1 && o.2.contains("needs the terminal"))
    );
}

#[test]
fn agent_mayor_scheduler_and_bead_actions_are_keys() {
    let mut s = town();
    // The first agent other than the mayor is selected: docs/polecats/dune.
    let run = |s: &mut State, k: &str| -> String {
        press(s, KeyCode::Esc);
        match &chars(s, k)[..] {
            [Effect::RunCommand { line, .. }] => line.clone(),
            other => panic!("{k}: {other:?}"),
        }
    };
    assert_eq!(run(&mut s, "x"), "agent stop docs/polecats/dune");
    assert_eq!(run(&mut s, "S"), "agent start docs/polecats/dune");
    assert_eq!(run(&mut s, "R"), "agent restart docs/polecats/dune");
    assert_eq!(run(&mut s, "u"), "unsling do-d4 --agent docs/polecats/dune");
    // The mayor and the scheduler: the command typed for Enter to confirm (the view may be
    // a moment old).
    for (k, want) in [("M", "mayor stop"), ("P", "scheduler pause")] {
        press(&mut s, KeyCode::Esc);
        assert!(chars(&mut s, k).is_empty());
        let Some(Modal::Palette(p)) = &s.modal else {
            panic!("no palette");
        };
        assert_eq!(p.input.text(), want);
    }
    // Details and edit read the bead (with its dependencies) first.
    press(&mut s, KeyCode::Esc);
    assert!(
        matches!(&chars(&mut s, "i")[..], [Effect::LoadTree { bead, edit: false, .. }] if bead == "do-d4")
    );
    assert!(
        matches!(&chars(&mut s, "e")[..], [Effect::LoadTree { bead, edit: true, .. }] if bead == "do-d4")
    );
    // A new bead: the form, in the selected agent's rig; Tab moves, Ctrl-S saves.
    assert!(chars(&mut s, "+").is_empty());
    let Some(Modal::BeadForm(f)) = &s.modal else {
        panic!("no form");
    };
    assert_eq!(f.fields[3].text(), "docs");
    chars(&mut s, "Write the FAQ");
    for _ in 0..4 {
        press(&mut s, KeyCode::Tab);
    }
    chars(&mut s, "Cover refunds");
    let fx = ctrl(&mut s, 's');
    let want = crate::work::beads::BeadFields {
        editing: None,
        title: Some("Write the FAQ".into()),
        kind: Some("task".into()),
        priority: Some("2".into()),
        rig: "docs".into(),
        description: Some("Cover refunds".into()),
    };
    assert!(
        matches!(&fx[..], [Effect::SaveBead { fields, .. }] if *fields == want),
        "{fx:?}"
    );
    // Not saved: the form comes back with the reason.
    let [Effect::SaveBead { id, .. }] = &fx[..] else {
        panic!("{fx:?}");
    };
    update(
        &mut s,
        Msg::Done {
            id: *id,
            result: Err("priority must be 0–4".into()),
        },
    );
    let Some(Modal::BeadForm(f)) = &s.modal else {
        panic!("the form is back");
    };
    assert_eq!(f.error.as_deref(), Some("priority must be 0–4"));
    assert_eq!(f.fields[0].text(), "Write the FAQ");
    press(&mut s, KeyCode::Esc);
    chars(&mut s, "A");
    let Some(Modal::Palette(p)) = &s.modal else {
        panic!("no palette");
    };
    assert_eq!(p.input.text(), "rig add ");
}

#[test]
fn rig_and_town_brakes_are_typed_into_the_palette_by_state() {
    use crate::work::brakes::{Estop, Rest, RestKind};
    let palette = |s: &State| match &s.modal {
        Some(Modal::Palette(p)) => p.input.text().to_string(),
        _ => panic!("no palette"),
    };
    let mut s = town();
    chars(&mut s, "1");
    // The first selectable agent row, then one of a rig.
    while selected(&s, PaneId::Agents).is_some_and(|a| !a.contains('/')) {
        chars(&mut s, "j");
    }
    let agent = selected(&s, PaneId::Agents).expect("an agent of a rig");
    let rig = agent.split('/').next().expect("rig").to_string();
    chars(&mut s, "K");
    assert_eq!(palette(&s), format!("rig park {rig}"));
    press(&mut s, KeyCode::Esc);
    chars(&mut s, "D");
    assert_eq!(palette(&s), format!("rig dock {rig}"));
    press(&mut s, KeyCode::Esc);
    let rest = |state| Rest {
        state,
        by: "ann".into(),
        why: None,
        at: String::new(),
        stopped: Vec::new(),
    };
    std::sync::Arc::make_mut(&mut s.snapshot).brakes.rests =
        vec![(rig.clone(), rest(RestKind::Docked))];
    chars(&mut s, "D");
    assert_eq!(palette(&s), format!("rig undock {rig}"));
    press(&mut s, KeyCode::Esc);
    std::sync::Arc::make_mut(&mut s.snapshot).brakes.rests =
        vec![(rig.clone(), rest(RestKind::Parked))];
    chars(&mut s, "K");
    assert_eq!(palette(&s), format!("rig unpark {rig}"));
    press(&mut s, KeyCode::Esc);
    chars(&mut s, "E");
    assert_eq!(palette(&s), "estop");
    press(&mut s, KeyCode::Esc);
    std::sync::Arc::make_mut(&mut s.snapshot).brakes.town = Some(Estop {
        rig: None,
        by: "ann".into(),
        why: None,
        at: String::new(),
        frozen: Vec::new(),
    });
    chars(&mut s, "E");
    assert_eq!(palette(&s), "thaw");
}

#[test]
fn launch_types_the_selected_convoy_into_the_palette() {
    let mut s = town();
    chars(&mut s, "4");
    let id = s.snapshot.convoys[0].id.clone();
    chars(&mut s, "L");
    let Some(Modal::Palette(p)) = &s.modal else {
        panic!("no palette");
    };
    assert_eq!(p.input.text(), format!("convoy launch {id}"));
}
