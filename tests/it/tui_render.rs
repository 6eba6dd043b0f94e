//! What the workspace draws, frozen as text: each pane and the whole screen at 80×24 and
//! 160×45, for an empty town, a busy town, very long names, and an error toast.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gt::tui::fixtures;
use gt::tui::msg::Msg;
use gt::tui::state::{PaneId, State};
use gt::tui::update::update;
use gt::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn render(state: &State) -> String {
    let (w, h) = state.size;
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| view::draw(f, state)).expect("draw");
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        for x in 0..w {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn key(state: &mut State, c: char) {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    update(
        state,
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
    );
}

#[test]
fn whole_screen_at_two_sizes() {
    for (name, snap) in [
        ("empty", fixtures::empty_town()),
        ("busy", fixtures::busy_town()),
        ("long_names", fixtures::long_names()),
    ] {
        for size in [(80, 24), (160, 45)] {
            let s = fixtures::state(snap.clone(), size);
            insta::assert_snapshot!(format!("screen_{name}_{}x{}", size.0, size.1), render(&s));
        }
    }
}

#[test]
fn an_error_toast_over_the_busy_town() {
    for size in [(80, 24), (160, 45)] {
        let mut s = fixtures::state(fixtures::busy_town(), size);
        s.toast(
            "sling sh-e5 → shop failed: shop/polecats/ash is working on sh-a1",
            true,
        );
        insta::assert_snapshot!(format!("toast_{}x{}", size.0, size.1), render(&s));
    }
}

#[test]
fn each_pane_zoomed() {
    for pane in PaneId::ALL {
        let mut s = fixtures::state(fixtures::busy_town(), (80, 24));
        s.focus = pane;
        s.zoomed = true;
        insta::assert_snapshot!(format!("pane_{}", pane.title().to_lowercase()), render(&s));
    }
}

#[test]
fn expanded_convoy_and_a_filter() {
    let mut s = fixtures::state(fixtures::busy_town(), (160, 45));
    key(&mut s, '4');
    key(&mut s, 'l');
    key(&mut s, '1');
    key(&mut s, '/');
    for c in "ash".chars() {
        key(&mut s, c);
    }
    insta::assert_snapshot!("convoy_expanded_agents_filtered", render(&s));
}

#[test]
fn modals() {
    let mut s = fixtures::state(fixtures::busy_town(), (100, 30));
    key(&mut s, '?');
    insta::assert_snapshot!("modal_help", render(&s));
    let mut s = fixtures::state(fixtures::busy_town(), (100, 30));
    key(&mut s, 's');
    insta::assert_snapshot!("modal_sling_pick_bead", render(&s));
    let mut s = fixtures::state(fixtures::busy_town(), (100, 30));
    key(&mut s, 'm');
    for c in "mayor".chars() {
        key(&mut s, c);
    }
    insta::assert_snapshot!("modal_compose", render(&s));
}

#[test]
fn the_witness_verdict_shows_in_agents_and_attention() {
    use gt::work::witness::Verdict;
    let mut snap = fixtures::busy_town();
    let a = snap
        .agents
        .iter_mut()
        .find(|a| a.hook.is_some())
        .expect("an agent with a hook");
    a.verdict = Some((
        Verdict::Zombie,
        "its runtime exited with status 3; the window is kept".into(),
    ));
    let (name, hook) = (a.name.clone(), a.hook.clone().unwrap_or_default());
    snap.attention = gt::work::views::attention::compute(&gt::work::views::attention::Facts {
        now: snap.taken_at,
        agents: &snap.agents,
        escalations: &[],
        failed_merges: &[],
        budgets: &[],
        stall_after_secs: 600,
        reviews: &[],
    });
    assert!(
        snap.attention.iter().any(|i| i
            .text
            .contains("is zombie: its runtime exited with status 3")),
        "{:?}",
        snap.attention
    );
    let screen = render(&fixtures::state(snap, (160, 45)));
    let line = screen
        .lines()
        .find(|l| l.contains(&format!("✖ {name}")))
        .unwrap_or_else(|| panic!("no zombie line for {name}:\n{screen}"));
    assert!(line.contains(&format!("zombie · {hook}")), "{line}");
    assert!(
        screen.contains(&format!("holds {hook} but is zombie")),
        "{screen}"
    );
}

/// A diff of a merge request waiting for review, with a patch of `lines` added lines.
fn diff_view(lines: usize) -> gt::work::refinery::diff::DiffView {
    let mut patch = String::from(
        "diff --git a/src/cart.rs b/src/cart.rs\n--- a/src/cart.rs\n+++ b/src/cart.rs\n@@ -1,3 +1,4 @@\n fn total() {\n-    0\n",
    );
    for i in 0..lines {
        patch.push_str(&format!("+    let item_{i} = price({i}) * count({i});\n"));
    }
    gt::work::refinery::diff::DiffView {
        target: "sh-mr3".into(),
        what: "merge request sh-mr3 of sh-c3 (polecat/ash/sh-c3)".into(),
        rig: "shop".into(),
        base: "main".into(),
        head: "3f2a9c1d0e".into(),
        merge_request: Some("sh-mr3".into()),
        review: Some(gt::work::refinery::review::WAITING.into()),
        uncommitted: None,
        change: gt::git::Change {
            files: vec![gt::git::FileChange {
                path: "src/cart.rs".into(),
                insertions: lines,
                deletions: 1,
            }],
            insertions: lines,
            deletions: 1,
            patch,
        },
    }
}

#[test]
fn the_merge_queue_and_the_diff_view_at_two_sizes() {
    for size in [(80, 24), (160, 45)] {
        let mut s = fixtures::state(fixtures::busy_town(), size);
        key(&mut s, '9');
        let screen = render(&s);
        assert!(screen.contains("review"), "{screen}");
        insta::assert_snapshot!(format!("queue_{}x{}", size.0, size.1), screen);
        update(
            &mut s,
            Msg::DiffLoaded {
                id: 1,
                result: Ok(Box::new(diff_view(40))),
            },
        );
        let screen = render(&s);
        assert!(screen.contains("a approve · b send back"), "{screen}");
        insta::assert_snapshot!(format!("diff_{}x{}", size.0, size.1), screen);
        // The palette, completing a command.
        let mut s = fixtures::state(fixtures::busy_town(), size);
        for c in ":mq ".chars() {
            key(&mut s, c);
        }
        let screen = render(&s);
        assert!(
            screen.contains("approve") && screen.contains("send-back"),
            "{screen}"
        );
        insta::assert_snapshot!(format!("palette_{}x{}", size.0, size.1), screen);
    }
}

/// Issue 17: an emergency stop shows as a banner across the top — what, by whom, why and how
/// to let it go on — with frozen agents marked; a reason holding escape codes stays inert.
#[test]
fn the_frozen_banner_and_frozen_agents() {
    use gt::work::brakes::{Brakes, Estop, Frozen, Rest, RestKind};
    use gt::work::witness::Verdict;
    let mut snap = fixtures::busy_town();
    let a = snap
        .agents
        .iter_mut()
        .find(|a| a.hook.is_some())
        .expect("an agent with a hook");
    a.verdict = Some((Verdict::Frozen, "frozen by the emergency stop".into()));
    let name = a.name.clone();
    snap.brakes = Brakes {
        town: Some(Estop {
            rig: None,
            by: "ann".into(),
            why: Some("runaway costs \u{1b}[2J".into()),
            at: "2026-12-04T15:00:00Z".into(),
            frozen: vec![Frozen {
                agent: a.address.clone(),
                interrupted: true,
                restored: None,
            }],
        }),
        rig_estops: Vec::new(),
        rests: vec![(
            "shop".into(),
            Rest {
                state: RestKind::Docked,
                by: "ann".into(),
                why: None,
                at: String::new(),
                stopped: Vec::new(),
            },
        )],
    };
    for size in [(80, 24), (160, 45)] {
        let mut s = fixtures::state(snap.clone(), size);
        let screen = render(&s);
        let top = screen.lines().next().unwrap_or_default();
        assert!(top.contains("FROZEN"), "{top}");
        assert!(!screen.contains('\u{1b}'), "the reason is inert");
        if size.0 == 160 {
            assert!(
                top.contains("emergency stop by ann: runaway costs") && top.contains("gt thaw"),
                "{top}"
            );
            assert!(top.contains("shop docked"), "{top}");
            let line = screen
                .lines()
                .find(|l| l.contains(&format!("❄ {name}")))
                .unwrap_or_else(|| panic!("no frozen line for {name}:\n{screen}"));
            assert!(line.contains("frozen"), "{line}");
        }
        insta::assert_snapshot!(format!("frozen_{}x{}", size.0, size.1), screen);
        // E offers the thaw while the town is frozen.
        key(&mut s, 'E');
        let after = render(&s);
        assert!(after.contains("thaw"), "{after}");
    }
}

/// Issue 18: screens tmux could not give this time are said as a failed read — in the status
/// bar and in the preview — never as "the selected agent has no session".
#[test]
fn a_failed_screen_read_is_shown_as_a_failure() {
    let mut snap = fixtures::busy_town();
    snap.preview = None;
    snap.problems = vec!["tmux capture: command too long".into()];
    let screen = render(&fixtures::state(snap, (160, 45)));
    assert!(
        screen.contains("could not read the screens: tmux capture: command too long"),
        "{screen}"
    );
    assert!(!screen.contains("has no session"), "{screen}");
    let bar = screen.lines().last().unwrap_or_default();
    assert!(bar.contains("⚠ not read: tmux capture"), "{bar}");
}
