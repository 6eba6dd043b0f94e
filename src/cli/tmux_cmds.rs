//! `gt tmux …`: what the town's tmux server runs from its keys and status line.

use super::output::Out;
use crate::Result;
use crate::work::{Ctx, views::tmux_ui};

pub fn run(out: &mut Out, ctx: &mut Ctx, cmd: TmuxCmd) -> Result<()> {
    match cmd {
        TmuxCmd::Menu { client, height } => {
            let items = tmux_ui::show_menu(ctx, client.as_deref(), height)?;
            // Silent otherwise: tmux's run-shell would show any output over the pane.
            if out.json {
                return out.json_ser(&super::json::One::new("items", &items));
            }
            Ok(())
        }
        TmuxCmd::Status { target } => {
            let status = tmux_ui::status(ctx, &target)?;
            if out.json {
                return out.json_ser(&super::json::One::new("status", &status));
            }
            out.line(status.line())
        }
    }
}

// ---- command-line grammar of these commands (clap) ----

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum TmuxCmd {
    /// Show the agent menu (every agent by rig; choose one to switch to its window).
    Menu {
        /// The tmux client to show it on (tmux's #{client_name}; default: the current one).
        #[arg(long)]
        client: Option<String>,
        /// The client's height in lines, so the menu fits (tmux's #{client_height}).
        #[arg(long)]
        height: Option<usize>,
    },
    /// One status-line text for an agent: address · hooked bead · unread mail.
    Status {
        /// An agent address (shop/polecats/ash) or a pane id (%12).
        target: String,
    },
}
