//! `gt prime`: what an agent reads first.

use super::output::{Out, or_dash};
use crate::Result;
use crate::work::{Ctx, views::prime};

pub fn prime_cmd(out: &mut Out, ctx: &mut Ctx) -> Result<()> {
    let p = prime::prime(ctx)?;
    if out.json {
        return out.json_ser(&PrimeDoc::of(&p, &ctx.town.config.name));
    }
    out.line(prime_text(&p, &ctx.town.config.name).trim_end())
}

/// What an agent reads first: who it is, its role, a handoff note, its hook (with the
/// molecule's checklist), its mail.
pub(super) fn prime_text(p: &prime::Prime, town: &str) -> String {
    let mut t = String::new();
    line(
        &mut t,
        format!(
            "# gt prime — {} ({} of {}) in town {}",
            p.address,
            p.address.role(),
            p.address.rig().unwrap_or("the town"),
            town
        ),
    );
    line(&mut t, "");
    line(&mut t, p.role_text.trim_end());
    if let Some((id, note)) = &p.handoff {
        line(
            &mut t,
            format!("\n## Handoff note from your previous session ({id})"),
        );
        line(&mut t, note.trim_end());
        line(&mut t, format!("(mark it read with `gt mail read {id}`)"));
    }
    line(&mut t, "\n## Your hook");
    match &p.hook {
        Some(b) => {
            line(
                &mut t,
                format!(
                    "{}: {}  [{}, P{}, {}]",
                    b.id, b.title, b.status, b.priority, b.issue_type
                ),
            );
            if let Some(d) = b.description.as_deref().filter(|d| !d.is_empty()) {
                line(&mut t, "");
                line(&mut t, d);
            }
            if let Some(m) = &p.intent.message {
                line(&mut t, "\n### Instructions that came with this work");
                line(&mut t, m.trim_end());
            }
            if let Some(br) = &p.branch {
                line(
                    &mut t,
                    format!("\nBranch {br} in {}", or_dash(p.worktree.as_deref())),
                );
            }
            let lands = match p.intent.merge {
                crate::work::sling::intent::MergeMode::Mr => None,
                crate::work::sling::intent::MergeMode::Direct => {
                    Some("`gt done` lands it directly (fast-forward, no merge queue)")
                }
                crate::work::sling::intent::MergeMode::Local => {
                    Some("`gt done` keeps it on your branch (nothing is merged)")
                }
                crate::work::sling::intent::MergeMode::None => {
                    Some("nothing is merged: `gt done` closes it when you have finished")
                }
            };
            if let Some(base) = &p.lands_on {
                line(&mut t, format!("It branches from and lands onto {base}."));
            }
            if let Some(l) = lands {
                line(&mut t, format!("How it lands: {l}."));
            }
            match &p.molecule {
                Some(m) => checklist(&mut t, m),
                None => line(
                    &mut t,
                    "\nThis is your work now: do it, commit, then run `gt done`.",
                ),
            }
        }
        None => line(
            &mut t,
            "Nothing is on your hook. Wait for work to be slung to you.",
        ),
    }
    line(&mut t, format!("\n## Mail\n{} unread", p.unread_mail));
    t
}

/// The molecule as a checklist, the current step spelled out: what an agent works from.
fn checklist(t: &mut String, m: &crate::work::molecule::MolView) {
    use crate::work::molecule::StepState;
    line(
        t,
        format!(
            "\n## Checklist: molecule {} ({}), {}/{} steps done",
            m.root,
            m.formula.as_deref().unwrap_or("formula"),
            m.done_count(),
            m.steps.len()
        ),
    );
    let current = m.ready().next().map(|s| s.bead.clone());
    for s in &m.steps {
        let mark = match s.state {
            StepState::Done => "[x]",
            _ if Some(&s.bead) == current.as_ref() => "[>]",
            StepState::Ready => "[ ]",
            StepState::Blocked => "[ ]",
        };
        let wait = if s.state == StepState::Blocked {
            format!("  (after {})", s.needs.join(", "))
        } else {
            String::new()
        };
        line(t, format!("{mark} {}  {}{wait}", s.key, s.title));
    }
    match m.steps.iter().find(|s| Some(&s.bead) == current.as_ref()) {
        Some(s) => {
            line(t, format!("\n### Now: {} ({})", s.title, s.key));
            if let Some(d) = s.description.as_deref().filter(|d| !d.is_empty()) {
                line(t, d);
            }
            if let Some(a) = s.acceptance.as_deref().filter(|a| !a.is_empty()) {
                line(t, format!("Done when: {a}"));
            }
            line(
                t,
                format!(
                    "\nWhen it is done: `gt mol step done {}`. Then `gt prime` (or `gt mol status`) shows the next step. After the last step, commit and run `gt done`.",
                    s.key
                ),
            )
        }
        None if m.is_complete() => line(t, "\nEvery step is done: commit, then run `gt done`."),
        None => line(
            t,
            "\nNo step is ready: the open ones wait on something outside this molecule (`gt mol status`).",
        ),
    }
}

/// One line of the text.
fn line(t: &mut String, text: impl AsRef<str>) {
    t.push_str(text.as_ref());
    t.push('\n');
}

/// `gt prime --json`: what an agent reads first, for a script or a runtime hook.
#[derive(serde::Serialize)]
struct PrimeDoc<'a> {
    agent: String,
    role: crate::agent::Role,
    rig: Option<&'a str>,
    town: &'a str,
    hook: Option<HookDoc<'a>>,
    branch: &'a Option<String>,
    worktree: &'a Option<String>,
    runtime: &'a Option<String>,
    unread_mail: usize,
    role_text: &'a str,
    handoff: Option<HandoffDoc<'a>>,
    molecule: &'a Option<crate::work::molecule::MolView>,
}

#[derive(serde::Serialize)]
struct HookDoc<'a> {
    id: &'a str,
    title: &'a str,
    status: &'a str,
    description: &'a Option<String>,
}

#[derive(serde::Serialize)]
struct HandoffDoc<'a> {
    mail: &'a str,
    note: &'a str,
}

impl<'a> PrimeDoc<'a> {
    fn of(p: &'a prime::Prime, town: &'a str) -> Self {
        PrimeDoc {
            agent: p.address.to_string(),
            role: p.address.role(),
            rig: p.address.rig(),
            town,
            hook: p.hook.as_ref().map(|b| HookDoc {
                id: &b.id,
                title: &b.title,
                status: &b.status,
                description: &b.description,
            }),
            branch: &p.branch,
            worktree: &p.worktree,
            runtime: &p.runtime,
            unread_mail: p.unread_mail,
            role_text: &p.role_text,
            handoff: p
                .handoff
                .as_ref()
                .map(|(id, note)| HandoffDoc { mail: id, note }),
            molecule: &p.molecule,
        }
    }
}
