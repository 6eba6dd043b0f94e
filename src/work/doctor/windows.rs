//! Windows on the town's tmux server tagged as an agent's (`@gt_agent`) whose agent the
//! ledger does not know (never recorded, or removed). Untagged windows are not gt's and are
//! never looked at; a window a person is attached to is never killed.

use super::Check;
use crate::agent::Address;
use crate::work::Ctx;
use crate::work::agents;
use std::collections::HashSet;

pub(super) fn check(ctx: &Ctx, fix: bool) -> Vec<Check> {
    let server = ctx.tmux();
    let panes = match server.panes() {
        Ok(p) => p,
        Err(e) => {
            return vec![Check::warn(
                "windows",
                format!("could not list the windows of the town's tmux server: {e}"),
                "check that tmux runs (`tmux -V`) and run `gt doctor` again",
            )];
        }
    };
    let known: HashSet<String> = match agents::list(&ctx.reader(), None) {
        Ok(a) => a.into_iter().map(|a| a.address).collect(),
        Err(e) => {
            return vec![Check::error(
                "windows",
                format!("could not read the agents: {e}"),
                "see the ledger check",
            )];
        }
    };
    let mut seen = HashSet::new();
    let mut tagged = 0;
    let mut out = Vec::new();
    for p in &panes {
        let Some(agent) = p.agent.as_deref() else {
            continue;
        };
        // One entry per window (a person may have split one into panes).
        if !seen.insert(p.window_id.clone()) {
            continue;
        }
        tagged += 1;
        if known.contains(agent) {
            continue;
        }
        let window = format!("window {}:{} ({})", p.session, p.window_name, p.window_id);
        let kill_by_hand = format!(
            "`tmux -L {} kill-window -t {}`",
            server.socket(),
            p.window_id
        );
        let recorded_role = matches!(
            Address::parse(agent),
            Ok(Address::Polecat { .. } | Address::Crew { .. } | Address::Mayor)
        );
        if !recorded_role {
            // Only polecats, crew and the mayor always have an agent record; a window tagged
            // with anything else may be machinery gt does not record, so it stays.
            out.push(Check::warn(
                "windows",
                format!("{window} is tagged @gt_agent={agent:?}, which is not an agent gt records"),
                format!("left alone; if it is not needed, {kill_by_hand}"),
            ));
            continue;
        }
        let detail = format!(
            "{window} runs for {agent}, which the ledger does not know (never recorded, or removed)"
        );
        if p.human_attached() {
            out.push(Check::warn(
                "windows",
                format!("{detail}; someone is attached to it"),
                format!(
                    "gt never kills a window a person is looking at: detach, then `gt doctor --fix` (or {kill_by_hand})"
                ),
            ));
            continue;
        }
        let mut c = Check::warn("windows", detail, "kill the window").fixable();
        if fix {
            let res = server
                .kill_agent_window(&p.window_id)
                .map(|killed| {
                    if killed {
                        tracing::info!(window = %p.window_id, agent, "gt doctor killed an orphaned agent window");
                    }
                })
                .map_err(crate::Error::from);
            c.outcome(res);
        }
        out.push(c);
    }
    if out.is_empty() {
        let detail = if panes.is_empty() {
            "the town's tmux server has no windows".to_string()
        } else {
            format!("{tagged} agent window(s), each of an agent the ledger knows")
        };
        out.push(Check::ok("windows", detail));
    }
    out
}
