//! `gt tmux …`: what the town's tmux server runs from its keys and status line.

use super::args::TmuxCmd;
use super::output::Out;
use crate::Result;
use crate::work::{Ctx, views::tmux_ui};
use serde_json::json;

pub fn run(out: &mut Out, ctx: &mut Ctx, cmd: TmuxCmd) -> Result<()> {
    match cmd {
        TmuxCmd::Menu { client, height } => {
            let items = tmux_ui::show_menu(ctx, client.as_deref(), height)?;
            // Silent otherwise: tmux's run-shell would show any output over the pane.
            if out.json {
                return out.json(json!({ "items": items }));
            }
            Ok(())
        }
        TmuxCmd::Status { target } => {
            let status = tmux_ui::status(ctx, &target)?;
            if out.json {
                return out.json(json!({ "status": status }));
            }
            out.line(status.line())
        }
    }
}
