//! Where each pane goes for a terminal size. Large terminals show all eight panes; smaller
//! ones stack several panes in one slot (tabs: the slot shows the focused or most recently
//! focused of its group); a zoomed pane takes the whole screen.

use super::state::{PaneId, State};
use ratatui::layout::{Constraint, Direction, Layout, Rect};

/// A place on screen and the panes that can appear there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub rect: Rect,
    pub group: Vec<PaneId>,
}

/// The body of the screen (everything but the status bar).
pub fn body(size: (u16, u16)) -> Rect {
    Rect::new(0, 0, size.0, size.1.saturating_sub(1))
}

pub fn status_bar(size: (u16, u16)) -> Rect {
    Rect::new(0, size.1.saturating_sub(1), size.0, 1.min(size.1))
}

fn split(area: Rect, dir: Direction, pcts: &[u16]) -> Vec<Rect> {
    let constraints: Vec<Constraint> = pcts.iter().map(|p| Constraint::Percentage(*p)).collect();
    Layout::default()
        .direction(dir)
        .constraints(constraints)
        .split(area)
        .to_vec()
}

pub fn slots(size: (u16, u16), zoomed: bool, focus: PaneId) -> Vec<Slot> {
    use PaneId::*;
    let area = body(size);
    if zoomed {
        return vec![Slot {
            rect: area,
            group: vec![focus],
        }];
    }
    let (w, h) = size;
    let slot = |rect: Rect, group: &[PaneId]| Slot {
        rect,
        group: group.to_vec(),
    };
    if w >= 140 && h >= 34 {
        let cols = split(area, Direction::Horizontal, &[30, 40, 30]);
        let left = split(cols[0], Direction::Vertical, &[65, 35]);
        let mid = split(cols[1], Direction::Vertical, &[55, 45]);
        let right = split(cols[2], Direction::Vertical, &[28, 24, 26, 22]);
        vec![
            slot(left[0], &[Agents]),
            slot(left[1], &[Attention]),
            slot(mid[0], &[Preview]),
            slot(mid[1], &[Mayor]),
            slot(right[0], &[Convoys]),
            slot(right[1], &[Hooks, Queue]),
            slot(right[2], &[Mail]),
            slot(right[3], &[Feed]),
        ]
    } else if w >= 100 && h >= 26 {
        let cols = split(area, Direction::Horizontal, &[35, 40, 25]);
        let left = split(cols[0], Direction::Vertical, &[65, 35]);
        let mid = split(cols[1], Direction::Vertical, &[55, 45]);
        vec![
            slot(left[0], &[Agents]),
            slot(left[1], &[Attention]),
            slot(mid[0], &[Preview]),
            slot(mid[1], &[Mayor]),
            slot(cols[2], &[Convoys, Hooks, Queue, Mail, Feed]),
        ]
    } else {
        let cols = split(area, Direction::Horizontal, &[42, 58]);
        let left = split(cols[0], Direction::Vertical, &[70, 30]);
        vec![
            slot(left[0], &[Agents]),
            slot(left[1], &[Attention]),
            slot(
                cols[1],
                &[Preview, Mayor, Convoys, Hooks, Queue, Mail, Feed],
            ),
        ]
    }
}

/// The pane a slot shows: the focused one if it is in the group, else the group's most
/// recently focused, else its first.
pub fn shown(slot: &Slot, focus: PaneId, recent: &[PaneId]) -> PaneId {
    if slot.group.contains(&focus) {
        return focus;
    }
    recent
        .iter()
        .find(|p| slot.group.contains(p))
        .or(slot.group.first())
        .copied()
        .unwrap_or(PaneId::Agents)
}

/// Every pane on screen now, with its rectangle and its slot's group.
pub fn arrangement(state: &State) -> Vec<(PaneId, Rect, Vec<PaneId>)> {
    slots(state.size, state.zoomed, state.focus)
        .into_iter()
        .map(|s| (shown(&s, state.focus, &state.recent), s.rect, s.group))
        .collect()
}

/// Panes in focus order for Tab: every pane (a hidden one comes forward in its slot).
pub fn visible_panes(_size: (u16, u16), zoomed: bool, focus: PaneId) -> Vec<PaneId> {
    if zoomed {
        return vec![focus];
    }
    PaneId::ALL.to_vec()
}

pub fn pane_rect(state: &State, pane: PaneId) -> Option<Rect> {
    arrangement(state)
        .into_iter()
        .find(|(p, _, _)| *p == pane)
        .map(|(_, r, _)| r)
}

pub fn pane_at(state: &State, x: u16, y: u16) -> Option<(PaneId, Rect)> {
    arrangement(state)
        .into_iter()
        .find(|(_, r, _)| x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height)
        .map(|(p, r, _)| (p, r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pane_has_a_place_at_every_size() {
        for size in [(80, 24), (100, 30), (160, 45), (250, 70)] {
            let slots = slots(size, false, PaneId::Agents);
            let mut all: Vec<PaneId> = slots.iter().flat_map(|s| s.group.clone()).collect();
            all.sort();
            assert_eq!(all, PaneId::ALL.to_vec(), "{size:?}");
            for s in &slots {
                assert!(s.rect.width >= 10 && s.rect.height >= 3, "{size:?} {s:?}");
                assert!(s.rect.x + s.rect.width <= size.0);
                assert!(
                    s.rect.y + s.rect.height < size.1,
                    "the status bar stays free"
                );
            }
        }
    }

    #[test]
    fn a_slot_shows_the_focused_then_the_recent_pane() {
        let slot = Slot {
            rect: Rect::default(),
            group: vec![PaneId::Convoys, PaneId::Mail],
        };
        assert_eq!(shown(&slot, PaneId::Agents, &[]), PaneId::Convoys);
        assert_eq!(shown(&slot, PaneId::Mail, &[]), PaneId::Mail);
        assert_eq!(
            shown(&slot, PaneId::Agents, &[PaneId::Agents, PaneId::Mail]),
            PaneId::Mail
        );
    }
}
