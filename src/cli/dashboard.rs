//! `gt dashboard [--listen ADDR] [--token]`: serves the town's web dashboard here until
//! Ctrl-C, or prints the token that lets a page act.

use super::output::{Out, say};
use crate::Result;
use crate::work::Ctx;

pub fn dashboard_cmd(
    out: &mut Out,
    ctx: &mut Ctx,
    listen: Option<String>,
    token: bool,
) -> Result<()> {
    let addr = match &listen {
        Some(l) => crate::web::parse_listen(l)?,
        None => crate::web::configured_listen(ctx)?,
    };
    if token {
        let t = crate::web::token::ensure(&ctx.town.paths)?;
        let link = format!("http://{addr}/#token={t}");
        if out.json {
            return out.json(serde_json::json!({ "token": t, "link": link }));
        }
        out.line(&t)?;
        out.line(format!(
            "Open {link} to act from the page (the page keeps it, not the address bar)."
        ))?;
        return Ok(());
    }
    if let Some(w) = crate::web::exposure_warning(addr) {
        say(&w);
    }
    let root = ctx.town.root().to_path_buf();
    let bound = crate::web::bind(&root, addr)?;
    let url = format!("http://{}/", bound.addr);
    if out.json {
        out.json(serde_json::json!({ "dashboard": { "url": url, "town": ctx.town.config.name } }))?;
    } else {
        out.line(format!("Dashboard of {} on {url}", ctx.town.config.name))?;
        out.line("Read-only without the town's token: `gt dashboard --token` prints a link that can act. Ctrl-C stops it.")?;
    }
    out.flush()?;
    bound.serve_until_signalled()
}
