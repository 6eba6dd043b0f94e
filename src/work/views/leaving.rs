//! What a person is told when the workspace closes: which agents keep running, whether
//! anything still watches them, where the town is, and the commands to come back.

use crate::Result;
use crate::work::Ctx;

/// The lines printed after the workspace has given the terminal back. The agents' windows,
/// some sized to the workspace's panes, follow whoever looks at them next.
pub fn farewell(ctx: &Ctx) -> Result<Vec<String>> {
    let server = ctx.tmux();
    let panes = server.panes().unwrap_or_default();
    let ids: Vec<&str> = panes
        .iter()
        .filter(|p| p.agent.is_some())
        .map(|p| p.pane_id.as_str())
        .collect();
    if let Err(e) = server.follow_clients(&ids) {
        tracing::debug!(error = %e, "could not give the agents' windows their own size back");
    }
    let running: Vec<String> = panes
        .into_iter()
        .filter(|p| !p.dead)
        .filter_map(|p| p.agent)
        .collect();
    let root = ctx.town.root().display().to_string();
    let seen = crate::town::supervisor_status::seen(&ctx.town.paths);
    let supervised = seen.running
        && seen
            .status
            .as_ref()
            .is_some_and(|s| s.kind == crate::town::supervisor_status::Kind::Daemon);
    let mut out = vec![format!("Left the workspace of the town at {root}.")];
    if running.is_empty() {
        out.push("No agent is running.".into());
        return Ok(out);
    }
    let names = if running.len() <= 4 {
        format!(" ({})", running.join(", "))
    } else {
        String::new()
    };
    out.push(format!(
        "{} agent(s) keep running in their tmux windows{names}.",
        running.len()
    ));
    if supervised {
        out.push("The supervisor (`gt up`) keeps watching them and landing their work.".into());
    } else {
        out.push("Nothing supervises them now: no witness restarts a stalled one and no refinery lands finished work.".into());
        out.push(format!(
            "Run `gt up` (in {root}) to keep them supervised, `gt` to open the workspace again, or `gt down` to stop them."
        ));
    }
    Ok(out)
}
