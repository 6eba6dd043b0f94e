//! `gt peek` and `gt attach`: an agent's screen, and its window.

use super::output::Out;
use crate::work::{Ctx, agents::live};
use crate::{Error, Result};

pub fn peek(out: &mut Out, ctx: &mut Ctx, agent: &str, lines: usize) -> Result<()> {
    let text = live::peek(ctx, agent, lines)?;
    if out.json {
        #[derive(serde::Serialize)]
        struct ScreenDoc<'a> {
            agent: &'a str,
            screen: &'a str,
        }
        return out.json_ser(&ScreenDoc {
            agent,
            screen: &text,
        });
    }
    out.line(text)
}

pub fn attach(_out: &mut Out, ctx: &mut Ctx, agent: &str, batch: bool) -> Result<()> {
    if batch {
        return Err(Error::invalid(
            "gt attach needs a terminal; it cannot run in --batch mode",
        ));
    }
    live::attach(ctx, agent)
}
