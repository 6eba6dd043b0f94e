//! Formulas as the CLI and sling use them: the library for a rig, pouring a formula into a
//! molecule, and the variables given on the command line.

pub mod sling;

use super::Ctx;
use super::molecule::{self, PourSpec, PourStep, Poured};
use crate::formula::{Kind, Library, Resolved};
use crate::ledger::Bead;
use crate::{Error, Result};
use std::collections::BTreeMap;

/// The formulas visible from `rig` (rig dir first), or from the working directory's rig.
pub fn library(ctx: &Ctx, rig: Option<&str>) -> Result<Library> {
    let rig = match rig {
        Some(r) => Some(ctx.town.rig(r)?.name),
        None => ctx.current_rig(),
    };
    Ok(Library::new(ctx.town.root(), rig.as_deref()))
}

/// Outside a town: the user's formulas, then the built-ins.
pub fn library_outside_town() -> Library {
    let mut dirs = Vec::new();
    if let Some(dir) = crate::town::settings::user_config_path()
        .and_then(|p| p.parent().map(|d| d.join("formulas")))
    {
        dirs.push((crate::formula::Origin::User(dir.clone()), dir));
    }
    Library::from_dirs(dirs, true)
}

/// `--var name=value` items; a repeated name is an error rather than a silent override.
pub fn parse_vars(raw: &[String]) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for item in raw {
        let (k, v) = item
            .split_once('=')
            .ok_or_else(|| Error::invalid(format!("--var needs name=value, got {item:?}")))?;
        let k = k.trim();
        let ok = !k.is_empty()
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !k.starts_with(|c: char| c.is_ascii_digit());
        if !ok {
            return Err(Error::invalid(format!(
                "--var {item:?}: a variable name is letters, digits and '_', not starting with a digit"
            )));
        }
        if out.insert(k.to_string(), v.to_string()).is_some() {
            return Err(Error::invalid(format!("--var {k} is given twice")));
        }
    }
    Ok(out)
}

/// Fills variables a formula declares from the work bead it is poured for (`issue`,
/// `title`, `rig`), unless given explicitly.
fn with_context_vars(
    resolved: &Resolved,
    given: &BTreeMap<String, String>,
    work: Option<&Bead>,
    rig: Option<&str>,
) -> BTreeMap<String, String> {
    let mut vars = given.clone();
    let declared = |n: &str| resolved.vars.iter().any(|v| v.name == n);
    let mut offer = |name: &str, value: Option<String>| {
        if let Some(v) = value
            && declared(name)
            && !vars.contains_key(name)
        {
            vars.insert(name.to_string(), v);
        }
    };
    offer("issue", work.map(|b| b.id.clone()));
    offer("title", work.map(|b| b.title.clone()));
    offer("rig", rig.map(str::to_string));
    vars
}

/// Resolves and instantiates `name` into what `molecule::pour_in` writes.
pub fn prepare(
    ctx: &Ctx,
    name: &str,
    given: &BTreeMap<String, String>,
    rig: Option<&str>,
    work: Option<&Bead>,
) -> Result<PourSpec> {
    let lib = library(ctx, rig)?;
    let resolved = lib.resolve(name)?;
    let vars = with_context_vars(&resolved, given, work, rig);
    let inst = resolved.instantiate(&vars)?;
    if inst.steps.is_empty() {
        let hint = match inst.kind {
            Kind::Aspect => " (an aspect is applied to other formulas through [compose] aspects)",
            Kind::Expansion => {
                " (an expansion replaces a step of another formula through [[compose.expand]])"
            }
            _ => "",
        };
        return Err(Error::invalid(format!(
            "formula {name} has no steps to pour{hint}"
        )));
    }
    let prefix = match rig {
        Some(r) => ctx.town.rig(r)?.prefix,
        None => "hq".to_string(),
    };
    let title = match work {
        Some(b) => format!("{}: {}", inst.name, b.title),
        None if vars.is_empty() => inst.name.clone(),
        None => {
            let shown: Vec<String> = given
                .iter()
                .take(3)
                .map(|(k, v)| format!("{k}={}", short(v, 24)))
                .collect();
            format!("{} ({})", inst.name, shown.join(", "))
        }
    };
    Ok(PourSpec {
        formula: inst.name.clone(),
        title,
        description: inst.description.clone(),
        steps: inst
            .steps
            .iter()
            .map(|s| PourStep {
                key: s.id.clone(),
                title: s.title.clone(),
                description: s.description.clone(),
                needs: s.needs.clone(),
                acceptance: s.acceptance.clone(),
            })
            .collect(),
        vars,
        prefix,
        attach_to: work.map(|b| b.id.clone()),
        priority: work.map(|b| b.priority).unwrap_or(2),
    })
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

/// `gt mol pour`: one transaction, root and every step, or nothing.
pub fn pour(
    ctx: &mut Ctx,
    name: &str,
    given: &BTreeMap<String, String>,
    rig: Option<&str>,
    for_bead: Option<&str>,
) -> Result<Poured> {
    let work = match for_bead {
        Some(id) => Some(super::beads::require(ctx, &ctx.reader(), id)?),
        None => None,
    };
    let rig = match (rig, &work) {
        (Some(r), _) => Some(ctx.town.rig(r)?.name),
        (None, Some(b)) => ctx.rig_for_prefix(b.prefix())?.map(|r| r.name),
        (None, None) => ctx.current_rig(),
    };
    let spec = prepare(ctx, name, given, rig.as_deref(), work.as_ref())?;
    ctx.write(|tx| molecule::pour_in(tx, &spec))
}

/// Removes a molecule this same operation poured and must take back (a failed sling).
pub fn discard(ctx: &mut Ctx, root: &str) -> Result<()> {
    let m = molecule::view(&ctx.reader(), root)?;
    ctx.write(|tx| {
        for s in &m.steps {
            tx.delete_bead(&s.bead)?;
        }
        tx.delete_bead(root)?;
        Ok(())
    })
}
