//! What a convoy asks of the deacon, kept as labels on the convoy bead (so they travel with
//! it in issues.jsonl): watchers to mail when it lands (`watch:<address>`), feeding
//! (`feed`), and a landing not yet announced (`landing-unannounced`).

use crate::work::Ctx;
use crate::work::convoy::{self, ConvoyView};
use crate::{Error, Result};

/// The deacon slings the convoy's next ready bead whenever a polecat is free.
pub const FEED_LABEL: &str = "feed";
/// `watch:<address>`: mailed when the convoy lands.
pub const WATCH_PREFIX: &str = "watch:";
/// Put on a convoy when it lands, taken off with the mail that announces it.
pub use crate::work::beads::tracking::ANNOUNCE_LABEL;

/// The watchers named by a convoy's labels.
pub fn watchers(labels: &[String]) -> Vec<String> {
    labels
        .iter()
        .filter_map(|l| l.strip_prefix(WATCH_PREFIX))
        .map(str::to_string)
        .collect()
}

/// Each address must reach somebody now (an agent, `overseer`, a list, a group); a typo is
/// bad input rather than mail that silently goes nowhere when the convoy lands.
pub fn validate_watchers(ctx: &Ctx, addresses: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for a in addresses {
        let a = a.trim();
        if a.is_empty() {
            return Err(Error::invalid("a watcher address is empty"));
        }
        crate::work::mail::address::resolve(ctx, a)
            .map_err(|e| Error::invalid(format!("cannot watch a convoy as {a:?}: {e}")))?;
        if !out.iter().any(|x| x == a) {
            out.push(a.to_string());
        }
    }
    Ok(out)
}

/// `gt convoy watch <convoy> <address> [--off]`. Returns the convoy and whether anything
/// changed.
pub fn watch(ctx: &mut Ctx, id: &str, address: &str, off: bool) -> Result<(ConvoyView, bool)> {
    convoy::require_convoy(ctx, id)?;
    let label = if off {
        format!("{WATCH_PREFIX}{}", address.trim())
    } else {
        let list = validate_watchers(ctx, &[address.to_string()])?;
        format!("{WATCH_PREFIX}{}", list.join(""))
    };
    let changed = ctx.write(|tx| {
        Ok(if off {
            tx.remove_label(id, &label)?
        } else {
            tx.add_label(id, &label)?
        })
    })?;
    if off && !changed {
        return Err(Error::not_found(format!(
            "{address} does not watch convoy {id}"
        )));
    }
    Ok((convoy::show(ctx, id)?, changed))
}

/// `gt convoy feed <convoy> [--off]`. Returns the convoy and whether anything changed.
pub fn feed(ctx: &mut Ctx, id: &str, off: bool) -> Result<(ConvoyView, bool)> {
    convoy::require_convoy(ctx, id)?;
    let changed = ctx.write(|tx| {
        Ok(if off {
            tx.remove_label(id, FEED_LABEL)?
        } else {
            tx.add_label(id, FEED_LABEL)?
        })
    })?;
    Ok((convoy::show(ctx, id)?, changed))
}
