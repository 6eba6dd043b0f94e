//! The list panes: Agents, Convoys, Hooks, Mail, Feed, Attention. Each row is one line,
//! built from the snapshot; the selected row is highlighted.

use super::common::{delivery_icon, empty_line, fit, frame, inner, pad, row_style, state_icon};
use crate::ledger::Status;
use crate::tui::rows::{self, Row, RowKind};
use crate::tui::state::{PaneId, State};
use crate::tui::theme::Slot;
use crate::work::refinery::board::{QueueRow, QueueState};
use crate::work::views::attention::Kind;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(f: &mut Frame, state: &State, pane: PaneId, area: Rect, group: &[PaneId]) {
    let rows = rows::rows(state, pane);
    let cursor = state.cursor(pane);
    let body = inner(area);
    let width = body.width as usize;
    let selected = rows::selected_index(&rows, cursor.selected.as_deref());
    let height = body.height as usize;
    // Keep the selection on screen even before the first key moved it.
    let mut offset = cursor.offset.min(rows.len().saturating_sub(1));
    if let Some(i) = selected {
        if i < offset {
            offset = i;
        } else if height > 0 && i >= offset + height {
            offset = i + 1 - height;
        }
    }
    let mut lines: Vec<Line> = rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, r)| {
            let line = row_line(state, r, width);
            let st = row_style(state, pane, Some(i) == selected && r.key.is_some());
            line.patch_style(st)
        })
        .collect();
    if lines.is_empty() {
        lines.push(empty_line(state, empty_text(state, pane)));
    }
    let extra = count_text(state, pane, &rows);
    f.render_widget(
        Paragraph::new(lines).block(frame(state, pane, group, extra)),
        area,
    );
}

fn empty_text(state: &State, pane: PaneId) -> &'static str {
    if !state.loaded {
        return "loading…";
    }
    if !state.cursor(pane).filter.is_empty() {
        return "nothing matches the filter";
    }
    match pane {
        PaneId::Agents => "no agents yet — press s to sling a bead",
        PaneId::Convoys => "no open convoys — c makes one",
        PaneId::Hooks => "nothing is on anyone's hook",
        PaneId::Mail => "no mail",
        PaneId::Feed => "nothing has happened yet",
        PaneId::Attention => "nothing needs you ✓",
        PaneId::Queue => "the merge queue is empty",
        PaneId::Preview | PaneId::Mayor => "",
    }
}

fn count_text(state: &State, pane: PaneId, rows: &[Row]) -> String {
    let s = &state.snapshot;
    match pane {
        PaneId::Agents => {
            let working = s
                .agents
                .iter()
                .filter(|a| a.session == crate::work::agents::live::SessionState::Working)
                .count();
            format!("{} · {working} working", s.agents.len())
        }
        PaneId::Mail => format!("{} · {} unread", s.identity, s.unread),
        PaneId::Attention => {
            if s.attention.is_empty() {
                String::new()
            } else {
                format!("{}", s.attention.len())
            }
        }
        PaneId::Convoys => format!("{}", s.convoys.len()),
        PaneId::Queue => {
            let review = s
                .queue
                .iter()
                .filter(|q| q.state == QueueState::Review)
                .count();
            if review > 0 {
                format!("{review} to review")
            } else {
                String::new()
            }
        }
        _ => {
            let n = rows.iter().filter(|r| r.key.is_some()).count();
            if n == 0 { String::new() } else { n.to_string() }
        }
    }
}

fn styled(state: &State, text: String, slot: Slot) -> Span<'static> {
    Span::styled(text, state.theme.style(slot))
}

fn row_line(state: &State, row: &Row, width: usize) -> Line<'static> {
    let s = &state.snapshot;
    let line = match &row.kind {
        RowKind::Rig(name, n) => Some(Line::from(vec![styled(
            state,
            fit(&format!("▾ {name} ({n})"), width),
            Slot::Accent,
        )])),
        RowKind::Role(role) => Some(Line::from(styled(
            state,
            fit(&format!("  {role}"), width),
            Slot::Dim,
        ))),
        RowKind::Agent(i) => s.agents.get(*i).map(|a| agent_line(state, a, width)),
        RowKind::Convoy(i) => s.convoys.get(*i).map(|c| convoy_line(state, c, width)),
        RowKind::Tracked(c, t) => s
            .convoys
            .get(*c)
            .and_then(|c| c.tracked.get(*t))
            .map(|b| tracked_line(state, b, width)),
        RowKind::Hook(i) => s.hooks.get(*i).map(|h| hook_line(state, h, width)),
        RowKind::Mail(i) => s.mail.get(*i).map(|m| mail_line(state, m, width)),
        RowKind::Feed(i) => s.feed.get(*i).map(|e| feed_line(state, e, width)),
        RowKind::Attention(i) => s.attention.get(*i).map(|a| attention_line(state, a, width)),
        RowKind::Queue(i) => s.queue.get(*i).map(|q| queue_line(state, q, width)),
    };
    line.unwrap_or_default()
}

/// A merge request: its state, what it carries and who made it, and why it failed or what
/// it landed as.
fn queue_line(state: &State, q: &QueueRow, width: usize) -> Line<'static> {
    let (icon, slot) = match q.state {
        QueueState::Review => ("◆", Slot::Accent),
        QueueState::Failed => ("⨯", Slot::Failed),
        QueueState::Testing => ("●", Slot::StateWorking),
        QueueState::Approved => ("✓", Slot::StateStarting),
        QueueState::Queued => ("○", Slot::Dim),
        QueueState::Landed => ("✓", Slot::Delivered),
    };
    let who = q
        .worker
        .as_deref()
        .map(|w| w.rsplit('/').next().unwrap_or(w).to_string())
        .unwrap_or_default();
    let what = format!(
        "{} {} {who}{}",
        q.id,
        q.source_bead.as_deref().unwrap_or(&q.branch),
        if q.detail.is_empty() {
            String::new()
        } else {
            format!(" — {}", q.detail)
        }
    );
    Line::from(vec![
        styled(state, format!("{icon} "), slot),
        styled(state, format!("{:<8} ", q.state.word()), slot),
        Span::raw(fit(&what, width.saturating_sub(11))),
    ])
}

/// A convoy with its progress bar (done, working, to do).
fn convoy_line(state: &State, c: &crate::work::convoy::ConvoyView, width: usize) -> Line<'static> {
    let open = if state.expanded.contains(&c.id) {
        "▾"
    } else {
        "▸"
    };
    let bar_w = 10.min(width / 4);
    let working = c
        .tracked
        .iter()
        .filter(|t| {
            t.status
                .as_deref()
                .is_some_and(|st| Status::of(st).is_worked())
        })
        .count();
    let part = |n: usize| (n * bar_w).checked_div(c.total).unwrap_or(0);
    let done = part(c.closed);
    let busy = part(c.closed + working).saturating_sub(done);
    let spent = state
        .snapshot
        .costs
        .by_convoy
        .get(&c.id)
        .map(|x| format!(" {}", x.dollars()))
        .unwrap_or_default();
    let label = format!(" {}/{}{spent}", c.closed, c.total);
    let title_w = width.saturating_sub(bar_w + label.len() + 4);
    Line::from(vec![
        Span::raw(format!("{open} ")),
        Span::raw(pad(&c.title, title_w)),
        Span::raw(" "),
        styled(state, "█".repeat(done), Slot::ProgressDone),
        styled(state, "▓".repeat(busy), Slot::ProgressActive),
        styled(
            state,
            "░".repeat(bar_w.saturating_sub(done + busy)),
            Slot::ProgressTodo,
        ),
        styled(state, label, Slot::Dim),
    ])
}

/// A bead a convoy tracks, marked by its status.
fn tracked_line(
    state: &State,
    b: &crate::work::convoy::TrackedBead,
    width: usize,
) -> Line<'static> {
    let status = b.status.as_deref().unwrap_or("?");
    let (mark, slot) = match Status::of(status) {
        Status::Closed => ("✓", Slot::StateIdle),
        Status::InProgress | Status::Hooked => ("●", Slot::StateWorking),
        Status::Blocked => ("■", Slot::StateStalled),
        _ => ("○", Slot::Dim),
    };
    let who = b
        .assignee
        .as_deref()
        .map(|a| format!(" ← {a}"))
        .unwrap_or_default();
    Line::from(vec![
        Span::raw("   "),
        styled(state, format!("{mark} "), slot),
        Span::raw(fit(
            &format!("{} {}{who}", b.id, b.title.as_deref().unwrap_or("")),
            width.saturating_sub(5),
        )),
    ])
}

/// An agent's hook: bead, branch, molecule steps, commits ahead and unsaved files.
fn hook_line(
    state: &State,
    h: &crate::work::views::snapshot::HookRow,
    width: usize,
) -> Line<'static> {
    let ahead = h
        .commits_ahead
        .map(|n| format!("+{n}"))
        .unwrap_or("?".into());
    let dirty = match h.dirty_files {
        Some(0) => String::new(),
        Some(n) => format!(" ~{n}"),
        None => " ~?".into(),
    };
    let steps = match &h.steps {
        Some(p) => format!(
            " {}/{}{}",
            p.done,
            p.total,
            p.current
                .as_deref()
                .map(|c| format!(" ▸{c}"))
                .unwrap_or_default()
        ),
        None => String::new(),
    };
    let tail = format!("{steps} {ahead}{dirty}");
    let head = format!(
        "{} → {} {}",
        short_agent(&h.agent),
        h.bead.as_deref().unwrap_or("—"),
        h.branch.as_deref().unwrap_or("")
    );
    Line::from(vec![
        Span::raw(pad(&head, width.saturating_sub(tail.chars().count()))),
        styled(
            state,
            tail,
            if h.dirty_files.unwrap_or(0) > 0 {
                Slot::Queued
            } else {
                Slot::Dim
            },
        ),
    ])
}

/// A message: unread dot, priority, sender, subject and age.
fn mail_line(state: &State, m: &crate::work::mail::MailItem, width: usize) -> Line<'static> {
    let s = &state.snapshot;
    let flag = match m.priority {
        "urgent" => styled(state, "!! ".into(), Slot::PriorityUrgent),
        "high" => styled(state, "!  ".into(), Slot::PriorityHigh),
        _ => Span::raw("   "),
    };
    let dot = if m.read { "  " } else { "● " };
    // Relative to the snapshot's clock, so a frame depends on the state alone.
    let age = crate::time::parse(&m.created_at)
        .map(|t| crate::time::human_duration(s.taken_at - t.timestamp()))
        .unwrap_or_else(|| "?".into());
    let from_w = 16.min(width / 3);
    let subj_w = width.saturating_sub(from_w + age.len() + 7);
    let text_style = if m.read {
        Style::default()
    } else {
        state.theme.style(Slot::Unread)
    };
    Line::from(vec![
        styled(state, dot.into(), Slot::Unread),
        flag,
        Span::styled(pad(&short_agent(&m.from), from_w), text_style),
        Span::raw(" "),
        Span::styled(pad(&m.subject, subj_w), text_style),
        styled(state, format!(" {age}"), Slot::Dim),
    ])
}

/// One feed event: time, actor, what happened.
fn feed_line(state: &State, e: &crate::work::views::feed::FeedLine, width: usize) -> Line<'static> {
    let at = e.at.get(11..19).unwrap_or("").to_string();
    let actor = short_agent(&e.actor);
    let used = at.chars().count() + actor.chars().count() + 2;
    Line::from(vec![
        styled(state, format!("{at} "), Slot::Dim),
        styled(state, format!("{actor} "), Slot::Accent),
        Span::raw(fit(&e.text, width.saturating_sub(used))),
    ])
}

/// One thing that needs a person, with its icon.
fn attention_line(
    state: &State,
    a: &crate::work::views::attention::Attention,
    width: usize,
) -> Line<'static> {
    let (icon, slot) = match a.kind {
        Kind::Escalation => ("⚑", Slot::PriorityUrgent),
        Kind::Budget => ("$", Slot::PriorityUrgent),
        Kind::StartFailed => ("✖", Slot::Failed),
        Kind::Blocked => ("⊘", Slot::StateWaiting),
        Kind::Dead => ("✖", Slot::StateExited),
        Kind::FailedMerge => ("⨯", Slot::Failed),
        Kind::ReviewWaiting => ("◆", Slot::Accent),
        Kind::Undelivered => ("✉", Slot::Failed),
        Kind::Stalled => ("⏸", Slot::StateStalled),
        Kind::RateLimited => ("⧗", Slot::StateStalled),
        Kind::NeedsInput => ("?", Slot::StateWaiting),
    };
    Line::from(vec![
        styled(state, format!("{icon} "), slot),
        Span::raw(fit(&a.text, width.saturating_sub(2))),
    ])
}

/// `shop/polecats/ash` → `shop/ash` where the role is clear from the heading.
fn short_agent(addr: &str) -> String {
    let parts: Vec<&str> = addr.split('/').collect();
    match parts.as_slice() {
        [rig, "polecats", name] => format!("{rig}/{name}"),
        _ => addr.to_string(),
    }
}

fn agent_line(
    state: &State,
    a: &crate::work::views::snapshot::AgentRow,
    width: usize,
) -> Line<'static> {
    // The witness's verdict wins when it says something is wrong.
    let trouble = a
        .verdict
        .as_ref()
        .filter(|(v, _)| v.is_trouble() || *v == crate::agent::liveness::Verdict::Frozen)
        .map(|(v, _)| v.as_str());
    let (icon, slot) = match trouble {
        Some("stalled") => ("◔", Slot::StateStarting),
        Some("frozen") => ("❄", Slot::StateWaiting),
        Some("blocked") => ("⊘", Slot::StateWaiting),
        Some("rate-limited") => ("⧗", Slot::StateStalled),
        Some(_) => ("✖", Slot::StateExited),
        None => state_icon(a.session),
    };
    let age = a
        .last_activity
        .map(|t| crate::time::human_duration(state.snapshot.taken_at - t))
        .unwrap_or_else(|| "-".into());
    // Always three columns, so the age column lines up.
    let delivery = match &a.last_delivery {
        _ if a.queued > 0 => styled(state, format!(" ✉{}", a.queued.min(9)), Slot::Queued),
        Some((st, _)) => {
            let (mark, slot) = delivery_icon(st);
            styled(state, format!(" {mark} "), slot)
        }
        None => Span::raw("   "),
    };
    let name_w = 12.min(width / 3);
    // What it has spent (its sessions' tokens priced), where there is room.
    // A column only as wide as the widest figure (none when nothing was spent).
    let costs = &state.snapshot.costs.by_agent;
    let cost_w = costs
        .values()
        .map(|c| c.dollars().len() + 1)
        .max()
        .unwrap_or(0);
    let cost = match costs.get(&a.address) {
        _ if width < 40 => String::new(),
        Some(c) => format!("{:>cost_w$}", c.dollars()),
        None => " ".repeat(cost_w),
    };
    let tail = format!(" {age:>4}");
    let hook = match (&a.hook, &a.hook_title) {
        (Some(h), _) if trouble.is_some() => format!("{} · {h}", trouble.unwrap_or_default()),
        (Some(h), Some(t)) => format!("{h} {t}"),
        (Some(h), None) => h.clone(),
        (None, _) => a.session.to_string(),
    };
    // indent 3 + icon 2 + name + space 1 + hook + delivery 3 + age
    let hook_w =
        width.saturating_sub(3 + 2 + name_w + 1 + cost.chars().count() + 3 + tail.chars().count());
    let hook_slot = if a.hook.is_some() {
        Slot::Base
    } else {
        Slot::Dim
    };
    let mut spans = vec![
        Span::raw("   "),
        styled(state, format!("{icon} "), slot),
        Span::styled(
            pad(&a.name, name_w),
            Style::default().add_modifier(Modifier::BOLD),
        ),
        Span::raw(" "),
        styled(state, pad(&hook, hook_w), hook_slot),
        styled(state, cost, Slot::Dim),
        delivery,
        styled(state, tail, Slot::Dim),
    ];
    Line::from(std::mem::take(&mut spans))
}
