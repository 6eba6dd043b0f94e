//! `gt mayor start|stop|status|say|transcript`.

use super::output::{Out, or_dash};
use crate::work::agents::delivery::DeliveryState;
use crate::work::{Ctx, agents::live, agents::mayor};
use crate::{Error, Result};
use std::time::Duration;

pub fn mayor_cmd(out: &mut Out, ctx: &mut Ctx, cmd: MayorCmd) -> Result<()> {
    match cmd {
        MayorCmd::Start { agent } => {
            let l = mayor::start(ctx, agent.as_deref())?;
            if out.json {
                return out.json_ser(&super::json::One::new("mayor", &l));
            }
            if l.already {
                out.line(format!(
                    "The mayor is already running (window {}).",
                    l.window
                ))
            } else {
                out.line(format!(
                    "Started the mayor in window {} (session hq).",
                    l.window
                ))
            }
        }
        MayorCmd::Stop { force } => {
            let stopped = mayor::stop(ctx, force)?;
            if out.json {
                return out.json_ser(&super::json::One::new("stopped", &stopped));
            }
            out.line(if stopped {
                "Stopped the mayor."
            } else {
                "The mayor was not running."
            })
        }
        MayorCmd::Attach => {
            if out.batch {
                return Err(Error::invalid(
                    "attaching needs a terminal; it cannot run in --batch mode",
                ));
            }
            live::attach(ctx, "mayor")
        }
        MayorCmd::Status => {
            let st = mayor::status(ctx)?;
            if out.json {
                return out.json_ser(&super::json::One::new("mayor", &st));
            }
            out.line(format!(
                "mayor: {} (runtime {}, window {})",
                st.session,
                or_dash(st.runtime.as_deref()),
                or_dash(st.window.as_deref())
            ))
        }
        MayorCmd::Say { text, wait } => {
            let r = mayor::say(ctx, &text.join(" "), Duration::from_secs(wait))?;
            if out.json {
                out.json_ser(&super::json::One::new("delivery", &r))?;
            } else if r.state == DeliveryState::Delivered {
                out.line(format!("The mayor has it (message {}).", r.id))?;
            } else if r.state == DeliveryState::Queued {
                out.line(format!(
                    "The mayor is busy; it gets this at its next prompt (message {}).",
                    r.id
                ))?;
            }
            if r.state == DeliveryState::Failed {
                return Err(Error::failed(format!(
                    "not delivered to the mayor: {}",
                    r.reason.unwrap_or_default()
                )));
            }
            Ok(())
        }
        MayorCmd::Transcript { lines } => {
            let text = mayor::transcript(ctx, lines)?;
            if out.json {
                return out.json_ser(&super::json::One::new("transcript", &text));
            }
            out.line(text)
        }
    }
}

// ---- command-line grammar of these commands (clap) ----

use super::args::{WEEK, at_most, count};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum MayorCmd {
    /// Start the mayor (a no-op when it is running).
    Start {
        #[arg(long)]
        agent: Option<String>,
    },
    /// Stop the mayor's session.
    Stop {
        #[arg(long)]
        force: bool,
    },
    /// Attach to the mayor's window.
    Attach,
    Status,
    /// Say something to the mayor (confirmed delivery).
    Say {
        #[arg(required = true)]
        text: Vec<String>,
        #[arg(long, default_value_t = 30, value_parser = at_most::<WEEK>)]
        wait: u64,
    },
    /// What the mayor's pane shows.
    Transcript {
        #[arg(short = 'n', long, default_value_t = 40, value_parser = count)]
        lines: usize,
    },
}
