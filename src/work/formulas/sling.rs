//! Slinging with formulas: `gt sling <formula> <target> --var …` pours a molecule and hooks
//! its root; `gt sling <bead> <target> --formula f` (or the rig's `sling.formula`) pours one
//! for the bead. A sling that fails takes its molecule back, so nothing half-made is left.

use crate::agent::Address;
use crate::work::sling::{self, SlingOptions, Slung};
use crate::work::{Ctx, formulas, molecule};
use crate::{Error, Result};

pub fn sling_item(ctx: &mut Ctx, item: &str, target: &str, opts: &SlingOptions) -> Result<Slung> {
    let rig = Address::parse(target)
        .ok()
        .and_then(|a| a.rig().map(str::to_string));
    let Some(bead) = ctx.reader().bead(item)? else {
        return sling_formula(ctx, item, target, rig.as_deref(), opts);
    };
    let Some(formula) = effective_formula(ctx, target, opts)? else {
        if !opts.vars.is_empty() {
            return Err(Error::invalid(
                "--var sets formula variables; give --formula <name> (or sling a formula) to use them",
            ));
        }
        return sling::sling(ctx, item, target, opts);
    };
    // A bead that already has an unfinished molecule keeps it (a repeated or moved sling).
    let existing = match molecule::root_of(&ctx.reader(), &bead)? {
        Some(root) if !ctx.reader().require(&root)?.is_closed() => Some(root),
        _ => None,
    };
    let poured = match existing {
        Some(root) => {
            let m = molecule::view(&ctx.reader(), &root)?;
            let asked = opts.formula.is_some() || !opts.vars.is_empty();
            if asked && (m.formula.as_deref() != Some(formula.as_str()) || !opts.vars.is_empty()) {
                return Err(Error::invalid(format!(
                    "{item} already has molecule {root} (formula {}); to start over with {formula}, remove it first: gt mol burn {root}",
                    m.formula.as_deref().unwrap_or("?")
                )));
            }
            let mut s = sling::sling(ctx, item, target, opts)?;
            s.molecule = Some(root);
            return Ok(s);
        }
        None => {
            let spec = formulas::prepare(ctx, &formula, &opts.vars, rig.as_deref(), Some(&bead))
                .map_err(|e| match &opts.formula {
                    Some(_) => e,
                    None => Error::invalid(format!(
                        "{e} (it is the `sling.formula` setting; fix it with `gt config set sling.formula …`, or sling with --no-formula)"
                    )),
                })?;
            ctx.write(|tx| molecule::pour_in(tx, &spec))?
        }
    };
    sling_poured(ctx, item, &poured.root, target, opts)
}

/// The formula a bead slung to `target` with `opts` is given: `--formula`, else (for
/// polecat work, unless `--no-formula`) the rig's `sling.formula`.
pub fn effective_formula(ctx: &Ctx, target: &str, opts: &SlingOptions) -> Result<Option<String>> {
    let rig = Address::parse(target)
        .ok()
        .and_then(|a| a.rig().map(str::to_string));
    Ok(match (&opts.formula, opts.no_formula) {
        (Some(f), _) => Some(f.clone()),
        (None, true) => None,
        (None, false) if polecat_target(target) => {
            let rig_cfg = match &rig {
                Some(r) => Some(ctx.town.rig(r)?),
                None => None,
            };
            Some(ctx.setting("sling.formula", rig_cfg.as_ref())?.as_str()).filter(|f| !f.is_empty())
        }
        (None, false) => None,
    })
}

/// Slings `item` (the poured root itself, or the bead it was poured for); a failure takes
/// the molecule back.
fn sling_poured(
    ctx: &mut Ctx,
    item: &str,
    root: &str,
    target: &str,
    opts: &SlingOptions,
) -> Result<Slung> {
    match sling::sling(ctx, item, target, opts) {
        Ok(mut s) => {
            s.molecule = Some(root.to_string());
            Ok(s)
        }
        Err(e) => {
            take_back(ctx, root);
            Err(e)
        }
    }
}

/// A rig or a polecat: targets that do "polecat work" and so take the rig's default formula.
fn polecat_target(target: &str) -> bool {
    matches!(
        Address::parse(target),
        Ok(Address::Rig { .. } | Address::Polecat { .. } | Address::Short { .. })
    )
}

fn sling_formula(
    ctx: &mut Ctx,
    name: &str,
    target: &str,
    rig: Option<&str>,
    opts: &SlingOptions,
) -> Result<Slung> {
    let root = pour_named(ctx, name, rig, opts)?;
    let mut plain = opts.clone();
    plain.vars.clear();
    sling_poured(ctx, &root, &root, target, &plain)
}

/// Pours the formula `name` (not a bead id) with `opts.vars`, for a sling to `rig`; returns
/// the molecule's root. Convoy formulas and things that look like missing bead ids are
/// refused with a hint.
pub fn pour_named(
    ctx: &mut Ctx,
    name: &str,
    rig: Option<&str>,
    opts: &SlingOptions,
) -> Result<String> {
    if opts.formula.is_some() {
        return Err(Error::not_found(format!(
            "no bead {name}: --formula attaches a formula to an existing bead"
        )));
    }
    let lib = formulas::library(ctx, rig)?;
    match lib.resolve(name) {
        Err(_) if looks_like_bead_id(ctx, name) => {
            // Say what was most likely meant: a bead that does not exist.
            crate::work::beads::require(ctx, &ctx.reader(), name)?;
        }
        Ok(f) if f.kind == crate::formula::Kind::Convoy => {
            return Err(Error::invalid(format!(
                "{name} is a convoy formula (legs for several polecats at once); run it with `gt formula run {name} --rig {}`",
                rig.unwrap_or("<rig>")
            )));
        }
        _ => {}
    }
    let spec = formulas::prepare(ctx, name, &opts.vars, rig, None)?;
    let poured = ctx.write(|tx| molecule::pour_in(tx, &spec))?;
    Ok(poured.root)
}

/// `<prefix>-<id>` with a prefix of this town (`hq` or a rig's), or with a hash-like tail:
/// how bead ids look (formula names rarely do).
fn looks_like_bead_id(ctx: &Ctx, s: &str) -> bool {
    let Some((p, rest)) = s.split_once('-') else {
        return false;
    };
    if p.is_empty() || rest.is_empty() {
        return false;
    }
    let known = p == "hq" || ctx.rig_for_prefix(p).ok().flatten().is_some();
    known
        || (rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
            && rest.chars().any(|c| c.is_ascii_digit()))
}

fn take_back(ctx: &mut Ctx, root: &str) {
    if let Err(e) = formulas::discard(ctx, root) {
        tracing::warn!(molecule = root, error = %e, "could not remove the molecule of a failed sling");
        ctx.warnings.push(format!(
            "warning: the sling failed and its molecule {root} could not be removed ({e}); remove it with `gt mol burn {root}`"
        ));
    }
}
