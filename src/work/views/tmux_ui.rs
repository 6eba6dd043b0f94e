//! What the town's tmux server shows about agents: the agent menu (`M-g`) and the
//! status-line text. The keys that call these live in `tmux::ui`; this is the content.

use crate::tmux::MenuItem;
use crate::work::Ctx;
use crate::work::agents::live::{self, AgentView};
use crate::{Error, Result};

/// Menu shortcuts in order: digits, then letters tmux's menu does not use to move (j, k,
/// g, G) or close (q).
const KEYS: &str = "1234567890abcdefhilmnoprstuvwxyz";

/// The menu's lines: agents grouped by session (`hq` first, then rigs by name), each with
/// its hooked bead and session state. Agents without a window are listed dimmed. With
/// `max_items` (what fits the client's screen), the tail is cut and says how many are left.
pub fn menu_items(agents: &[AgentView], max_items: Option<usize>) -> Vec<MenuItem> {
    let mut groups: Vec<(String, Vec<&AgentView>)> = Vec::new();
    for a in agents {
        let session = session_of(a);
        match groups.iter_mut().find(|(s, _)| *s == session) {
            Some((_, list)) => list.push(a),
            None => groups.push((session, vec![a])),
        }
    }
    groups.sort_by(|(a, _), (b, _)| (a != "hq", a).cmp(&(b != "hq", b)));
    let mut items = Vec::new();
    let mut keys = KEYS.chars();
    for (session, list) in &groups {
        if !items.is_empty() {
            items.push(MenuItem::Separator);
        }
        items.push(MenuItem::Label {
            text: session.clone(),
        });
        let names: Vec<String> = list.iter().map(|a| short_name(a, session)).collect();
        let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
        let bead_width = list
            .iter()
            .map(|a| a.info.hook.as_deref().map_or(1, |h| h.chars().count()))
            .max()
            .unwrap_or(1);
        for (a, name) in list.iter().zip(names) {
            let bead = a.info.hook.as_deref().unwrap_or("-");
            let text = format!("  {name:<width$}  {bead:<bead_width$}  {}", a.session);
            match &a.window {
                Some(window) => items.push(MenuItem::Switch {
                    text,
                    key: keys.next().map(String::from).unwrap_or_default(),
                    target: format!("={session}:{window}"),
                }),
                None => items.push(MenuItem::Label { text }),
            }
        }
    }
    if items.is_empty() {
        items.push(MenuItem::Label {
            text: "no agents yet (gt sling <bead> <rig>)".into(),
        });
    }
    match max_items {
        Some(max) if items.len() > max && max > 0 => {
            let keep = max - 1;
            let left = items[keep..]
                .iter()
                .filter(|i| !matches!(i, MenuItem::Separator))
                .count();
            items.truncate(keep);
            items.push(MenuItem::Label {
                text: format!("… {left} more lines: gt agents lists all"),
            });
            items
        }
        _ => items,
    }
}

/// The tmux session an agent's window lives in: its rig's, or `hq` for town roles.
fn session_of(a: &AgentView) -> String {
    a.info.rig.clone().unwrap_or_else(|| "hq".into())
}

/// The address without the rig: `polecats/ash`, `witness`, `mayor`.
fn short_name(a: &AgentView, session: &str) -> String {
    a.info
        .address
        .strip_prefix(&format!("{session}/"))
        .unwrap_or(&a.info.address)
        .to_string()
}

/// Shows the agent menu on a client of the town's server (None: the one tmux considers
/// current); `height` is the client's, so the menu fits. Returns what it showed.
pub fn show_menu(ctx: &Ctx, client: Option<&str>, height: Option<usize>) -> Result<Vec<MenuItem>> {
    if client.is_some_and(|c| c.trim().is_empty()) {
        return Err(Error::invalid(
            "--client needs a tmux client name (tmux's #{client_name})",
        ));
    }
    let agents = live::agents(ctx, None)?;
    // The menu's border takes two lines; tmux shows nothing at all if the menu does not fit.
    let items = menu_items(&agents, height.map(|h| h.saturating_sub(2).max(1)));
    let title = format!("agents of {}", ctx.town.config.name);
    match ctx.tmux().display_menu(client, &title, &items) {
        Ok(()) => Ok(items),
        Err(e) if e.is_no_server() => Err(Error::invalid(
            "the town's tmux server is not running: no agent has a window yet",
        )),
        Err(e) if e.is_missing_target() || e.to_string().contains("no current client") => {
            Err(Error::invalid(format!(
                "no tmux client {} on the town's server (tmux's #{{client_name}}; `tmux -L {} list-clients` lists them)",
                client.map_or("is attached".to_string(), |c| format!("{c:?}")),
                ctx.tmux().socket()
            )))
        }
        Err(e) => Err(e.into()),
    }
}

/// What the status line says about one agent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatusText {
    pub agent: String,
    /// The bead on its hook.
    pub bead: Option<String>,
    pub unread_mail: usize,
}

impl StatusText {
    /// `shop/polecats/ash · sh-x1y2 · ✉ 2`.
    pub fn line(&self) -> String {
        match &self.bead {
            Some(b) => format!("{} · {b} · ✉ {}", self.agent, self.unread_mail),
            None => format!("{} · ✉ {}", self.agent, self.unread_mail),
        }
    }
}

/// The status of an agent named by address, or by a pane id (`%12`, one tmux call to read
/// the window's `@gt_agent`). An address costs no tmux call at all: the status line passes
/// the address, and runs this every few seconds.
pub fn status(ctx: &Ctx, target: &str) -> Result<StatusText> {
    let target = target.trim();
    if target.is_empty() {
        return Err(Error::invalid(
            "give an agent address (shop/polecats/ash) or a pane id (%12)",
        ));
    }
    let address = if target.starts_with('%') {
        match ctx.tmux().pane_agent(target) {
            Ok(Some(a)) => a,
            Ok(None) => {
                return Err(Error::invalid(format!(
                    "pane {target} is not an agent's window on the town's tmux server"
                )));
            }
            Err(e) if e.is_missing_target() => {
                return Err(Error::invalid(format!(
                    "no pane {target} on the town's tmux server"
                )));
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        target.to_string()
    };
    let info = crate::work::agents::require(ctx, &address)?;
    let unread_mail = ctx.reader().messages_for(&info.address, false, true)?.len();
    Ok(StatusText {
        agent: info.address,
        bead: info.hook,
        unread_mail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::work::agents::AgentInfo;

    fn view(
        address: &str,
        rig: Option<&str>,
        hook: Option<&str>,
        window: Option<&str>,
    ) -> AgentView {
        AgentView {
            info: AgentInfo {
                address: address.into(),
                role: "polecat".into(),
                rig: rig.map(str::to_string),
                name: address.rsplit('/').next().unwrap_or_default().into(),
                bead_id: String::new(),
                state: "working".into(),
                hook: hook.map(str::to_string),
                runtime: None,
                worktree: None,
                branch: None,
                updated_at: String::new(),
                session_args: Vec::new(),
                host: None,
            },
            window: window.map(str::to_string),
            pane: None,
            session: if window.is_some() {
                "working"
            } else {
                "no session"
            }
            .into(),
            exit_status: None,
            human_attached: false,
            queued_messages: 0,
            verdict: crate::work::witness::Verdict::Working,
            answerable_dialog: None,
            starting: false,
            pid: None,
            last_event: None,
            last_event_age_secs: None,
            reason: String::new(),
            last_activity: None,
        }
    }

    #[test]
    fn menu_groups_agents_by_rig_with_hq_first() {
        let agents = [
            view(
                "shop/polecats/ash",
                Some("shop"),
                Some("sh-x1y2"),
                Some("@3"),
            ),
            view("mayor", None, None, Some("@1")),
            view("app/polecats/fig", Some("app"), None, None),
            view("shop/crew/max", Some("shop"), None, Some("@5")),
        ];
        let items = menu_items(&agents, None);
        let label = |t: &str| MenuItem::Label { text: t.into() };
        assert_eq!(items[0], label("hq"));
        assert_eq!(
            items[1],
            MenuItem::Switch {
                text: "  mayor  -  working".into(),
                key: "1".into(),
                target: "=hq:@1".into()
            }
        );
        assert_eq!(items[2], MenuItem::Separator);
        assert_eq!(items[3], label("app"));
        // No window: listed, but nothing to switch to.
        assert_eq!(items[4], label("  polecats/fig  -  no session"));
        assert_eq!(items[6], label("shop"));
        assert_eq!(
            items[7],
            MenuItem::Switch {
                text: "  polecats/ash  sh-x1y2  working".into(),
                key: "2".into(),
                target: "=shop:@3".into()
            }
        );
        // Columns line up within a rig.
        assert_eq!(
            items[8],
            MenuItem::Switch {
                text: "  crew/max      -        working".into(),
                key: "3".into(),
                target: "=shop:@5".into()
            }
        );
        assert_eq!(items.len(), 9);
    }

    #[test]
    fn a_menu_taller_than_the_screen_is_cut_and_says_so() {
        let agents: Vec<AgentView> = (0..50)
            .map(|i| view(&format!("r/polecats/p{i:02}"), Some("r"), None, Some("@9")))
            .collect();
        let items = menu_items(&agents, Some(10));
        assert_eq!(items.len(), 10);
        assert_eq!(
            items[9],
            MenuItem::Label {
                text: "… 42 more lines: gt agents lists all".into()
            }
        );
        // Shortcuts run out after 32 agents; the rest are chosen with the arrows.
        let all = menu_items(&agents, None);
        assert!(matches!(&all[33], MenuItem::Switch { key, .. } if key.is_empty()));
    }

    #[test]
    fn an_empty_town_gets_a_hint_not_an_empty_menu() {
        assert_eq!(
            menu_items(&[], None),
            vec![MenuItem::Label {
                text: "no agents yet (gt sling <bead> <rig>)".into()
            }]
        );
    }

    #[test]
    fn status_line_reads_agent_bead_mail() {
        let s = StatusText {
            agent: "shop/polecats/ash".into(),
            bead: Some("sh-x1y2".into()),
            unread_mail: 2,
        };
        assert_eq!(s.line(), "shop/polecats/ash · sh-x1y2 · ✉ 2");
        let s = StatusText { bead: None, ..s };
        assert_eq!(s.line(), "shop/polecats/ash · ✉ 2");
    }
}
