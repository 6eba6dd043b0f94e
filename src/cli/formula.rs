//! `gt formula …`: list, show, run.

use super::output::{Out, Tone, or_dash};
use crate::Result;
use crate::formula::{Formula, Library, Resolved};
use crate::work::{Ctx, convoy::run, formulas};

/// `list` and `show` with only the user's and the built-in formulas.
pub fn run_outside_town(out: &mut Out, cmd: FormulaCmd) -> Result<()> {
    let lib = formulas::library_outside_town();
    match cmd {
        FormulaCmd::List { rig: None } => list(out, &lib),
        FormulaCmd::Show {
            name,
            resolved,
            rig: None,
        } => show(out, &lib, &name, resolved),
        _ => Err(crate::Error::invalid(
            "not inside a town: --rig and `gt formula run` need one (cd into a town or set $GT_TOWN)",
        )),
    }
}

fn show(out: &mut Out, lib: &Library, name: &str, resolved: bool) -> Result<()> {
    if resolved {
        show_resolved(out, &lib.resolve(name)?)
    } else {
        show_written(out, &lib.load(name)?)
    }
}

pub fn run(out: &mut Out, ctx: &mut Ctx, cmd: FormulaCmd) -> Result<()> {
    match cmd {
        FormulaCmd::List { rig } => list(out, &formulas::library(ctx, rig.as_deref())?),
        FormulaCmd::Show {
            name,
            resolved,
            rig,
        } => show(
            out,
            &formulas::library(ctx, rig.as_deref())?,
            &name,
            resolved,
        ),
        FormulaCmd::Run {
            name,
            rig,
            vars,
            preset,
            agent,
        } => run_formula(out, ctx, name, rig, vars, preset, agent),
    }
}

/// `gt formula run`: run a convoy formula: one polecat per leg, then the synthesis after them.
fn run_formula(
    out: &mut Out,
    ctx: &mut Ctx,
    name: String,
    rig: String,
    vars: Vec<String>,
    preset: Option<String>,
    agent: Option<String>,
) -> Result<()> {
    let vars = formulas::parse_vars(&vars)?;
    let r = run::run(ctx, &name, &rig, &vars, preset.as_deref(), agent.as_deref())?;
    let failed = r.legs.iter().filter(|l| l.error.is_some()).count();
    if out.json {
        out.json_ser(&super::json::One::new("run", &r))?;
    } else {
        out.line(format!(
            "Running {} as convoy {}: {} leg(s), synthesis {}",
            r.formula,
            r.convoy,
            r.legs.len(),
            or_dash(r.synthesis.as_deref())
        ))?;
        for l in &r.legs {
            let what = match (&l.agent, &l.queued, &l.error) {
                (Some(a), _, _) => format!("→ {a}"),
                (None, Some(q), _) => q.clone(),
                (None, None, Some(e)) => out.paint(Tone::Bad, &format!("not slung: {e}")),
                (None, None, None) => "-".into(),
            };
            out.line(format!("  {:<20} {}  {what}", l.leg, l.bead))?;
        }
        if let Some(s) = &r.synthesis {
            out.line(format!(
                "  the synthesis {s} is slung when every leg is done (`gt convoy show {}`)",
                r.convoy
            ))?;
        }
    }
    if failed > 0 {
        return Err(crate::Error::failed(format!(
            "{failed} of {} leg(s) could not be slung; their beads stay open: sling them again with `gt sling <bead> {rig} --no-formula`",
            r.legs.len()
        )));
    }
    Ok(())
}

fn list(out: &mut Out, lib: &Library) -> Result<()> {
    let items = lib.list();
    if out.json {
        return out.json_ser(&super::json::Listing::new("formulas", &items));
    }
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|f| {
            let kind = f.kind.map(|k| k.to_string()).unwrap_or_else(|| "?".into());
            let steps = f.steps.map(|n| n.to_string()).unwrap_or_else(|| "-".into());
            let about = match &f.error {
                Some(e) => out.paint(Tone::Bad, &format!("error: {e}")),
                None => first_line(&f.description),
            };
            let origin = if f.shadows.is_empty() {
                f.origin.to_string()
            } else {
                format!("{} (shadows {})", f.origin, f.shadows.len())
            };
            vec![f.name.clone(), kind, steps, origin, about]
        })
        .collect();
    out.table(&["NAME", "TYPE", "STEPS", "FROM", "ABOUT"], &rows)
}

fn first_line(s: &str) -> String {
    let line = s
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    if line.chars().count() > 70 {
        format!("{}…", line.chars().take(69).collect::<String>())
    } else {
        line.to_string()
    }
}

fn show_resolved(out: &mut Out, r: &Resolved) -> Result<()> {
    let waves = r.waves();
    if out.json {
        let wave_ids: Vec<Vec<&str>> = waves
            .iter()
            .map(|w| w.iter().map(|s| s.id.as_str()).collect())
            .collect();
        #[derive(serde::Serialize)]
        struct FormulaDoc<'a> {
            formula: &'a Resolved,
            waves: Vec<Vec<&'a str>>,
            step_count: usize,
        }
        return out.json_ser(&FormulaDoc {
            formula: r,
            waves: wave_ids,
            step_count: r.steps.len(),
        });
    }
    out.line(format!(
        "{} ({}, {}) — {} steps in {} wave(s)",
        r.name,
        r.kind,
        r.origin,
        r.steps.len(),
        waves.len()
    ))?;
    if !r.description.trim().is_empty() {
        out.line(first_line(&r.description))?;
    }
    print_vars(
        out,
        r.vars.iter().map(|v| {
            (
                v.name.as_str(),
                v.required,
                v.default.as_deref(),
                v.description.as_deref(),
            )
        }),
    )?;
    for (i, wave) in waves.iter().enumerate() {
        let parallel = if wave.len() > 1 {
            "  (in parallel)"
        } else {
            ""
        };
        out.line(format!("wave {}{parallel}", i + 1))?;
        for s in wave {
            let needs = if s.needs.is_empty() {
                String::new()
            } else {
                out.paint(Tone::Dim, &format!("  ← {}", s.needs.join(", ")))
            };
            out.line(format!("  {}  {}{needs}", s.id, s.title))?;
        }
    }
    if !r.presets.is_empty() {
        out.line("presets:")?;
        for (name, legs) in &r.presets {
            out.line(format!("  {name}: {}", legs.join(", ")))?;
        }
    }
    Ok(())
}

fn print_vars<'a>(
    out: &mut Out,
    vars: impl Iterator<Item = (&'a str, bool, Option<&'a str>, Option<&'a str>)>,
) -> Result<()> {
    let rows: Vec<Vec<String>> = vars
        .map(|(name, required, default, about)| {
            vec![
                name.to_string(),
                if required {
                    "required".into()
                } else {
                    "optional".into()
                },
                or_dash(default),
                about.map(first_line).unwrap_or_default(),
            ]
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    out.line("variables:")?;
    out.table(&["VAR", "", "DEFAULT", "ABOUT"], &rows)
}

/// The formula as its file says, before composition.
fn show_written(out: &mut Out, f: &Formula) -> Result<()> {
    if out.json {
        return out.json_ser(&super::json::One::new("formula", &f));
    }
    out.line(format!("{} ({})", f.name, f.kind))?;
    if let Some(d) = f.description.as_deref().filter(|d| !d.trim().is_empty()) {
        out.line(first_line(d))?;
    }
    if !f.extends.is_empty() {
        out.line(format!("extends: {}", f.extends.join(", ")))?;
    }
    if !f.compose.aspects.is_empty() {
        out.line(format!("aspects: {}", f.compose.aspects.join(", ")))?;
    }
    for e in &f.compose.expand {
        out.line(format!("expand: {} with {}", e.target, e.with))?;
    }
    print_vars(
        out,
        f.vars.iter().chain(&f.inputs).map(|v| {
            (
                v.name.as_str(),
                v.required.unwrap_or(false),
                v.default.as_deref(),
                v.description.as_deref(),
            )
        }),
    )?;
    let mut lines: Vec<String> = Vec::new();
    for s in &f.steps {
        lines.push(item_line("step", &s.id, s.title.as_deref(), &s.needs));
    }
    for l in &f.legs {
        lines.push(item_line("leg", &l.id, l.title.as_deref(), &[]));
    }
    if let Some(s) = &f.synthesis {
        let needs = s.depends_on.clone().unwrap_or_default();
        lines.push(item_line(
            "synthesis",
            s.id.as_deref().unwrap_or("synthesis"),
            s.title.as_deref(),
            &needs,
        ));
    }
    for t in &f.templates {
        lines.push(item_line("template", &t.id, t.title.as_deref(), &t.needs));
    }
    for a in &f.aspects {
        lines.push(item_line("aspect", &a.id, a.title.as_deref(), &[]));
    }
    for a in &f.advice {
        lines.push(format!(
            "  advice on {}: {} before, {} after",
            a.target,
            a.before.len(),
            a.after.len()
        ));
    }
    for l in lines {
        out.line(l)?;
    }
    out.line(format!(
        "(composed: `gt formula show {} --resolved`)",
        f.name
    ))
}

fn item_line(kind: &str, id: &str, title: Option<&str>, needs: &[String]) -> String {
    let needs = if needs.is_empty() {
        String::new()
    } else {
        format!("  ← {}", needs.join(", "))
    };
    format!("  {kind:<9} {id}  {}{needs}", title.unwrap_or(""))
}

// ---- command-line grammar of these commands (clap) ----

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum FormulaCmd {
    /// Every formula visible here (rig, town, user, built-in), which one wins, and broken files.
    List {
        /// Search the rig's formulas/ first (default: the rig of the working directory).
        #[arg(long)]
        rig: Option<String>,
    },
    /// A formula as written, or with --resolved the composed step graph in parallel waves.
    Show {
        name: String,
        /// Compose extends, expansions and aspects; show every step with its needs and waves.
        #[arg(long)]
        resolved: bool,
        #[arg(long)]
        rig: Option<String>,
    },
    /// Run a convoy formula: one polecat per leg, then the synthesis after them.
    Run {
        name: String,
        /// The rig whose polecats do the legs.
        #[arg(long)]
        rig: String,
        /// A variable (input): `--var name=value`; repeatable.
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
        /// Run only the legs of this preset.
        #[arg(long)]
        preset: Option<String>,
        /// Runtime for the polecats (overrides role_agents / default_agent).
        #[arg(long)]
        agent: Option<String>,
    },
}
