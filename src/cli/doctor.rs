//! `gt doctor [--fix]`: one line per check; exit 1 while an error is left.

use super::Session;
use super::output::{Out, Tone};
use crate::work::doctor::{self, Check, Status};
use crate::{Error, Result};

pub fn run(out: &mut Out, session: &mut Session, fix: bool) -> Result<()> {
    let cwd = std::env::current_dir().map_err(|e| Error::io("current directory", e))?;
    let user_dir = crate::tui::keymap::user_config_dir();
    let (_, mut ui_warnings) = crate::tui::keymap::Keymap::load(user_dir.as_deref());
    let (_, theme_warnings) =
        crate::tui::theme::Theme::load(crate::tui::theme::DEFAULT_THEME, user_dir.as_deref());
    ui_warnings.extend(theme_warnings);
    let report = doctor::run(&cwd, &session.overrides, fix, ui_warnings)?;
    if out.json {
        #[derive(serde::Serialize)]
        struct DoctorDoc<'a, C> {
            checks: &'a [C],
            ok: bool,
        }
        out.json_ser(&DoctorDoc {
            checks: &report.checks,
            ok: report.ok,
        })?;
    } else if out.batch {
        let rows: Vec<Vec<String>> = report
            .checks
            .iter()
            .map(|c| {
                vec![
                    word(c).to_string(),
                    c.name.clone(),
                    c.detail.clone(),
                    remedy(c, fix).unwrap_or_default(),
                ]
            })
            .collect();
        out.table(&["STATUS", "CHECK", "DETAIL", "ACTION"], &rows)?;
    } else {
        print_lines(out, &report.checks, fix)?;
    }
    out.flush()?;
    if report.ok {
        Ok(())
    } else {
        Err(Error::Silent(1))
    }
}

fn print_lines(out: &mut Out, checks: &[Check], fix: bool) -> Result<()> {
    let width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for c in checks {
        let tone = match (c.fixed, c.status) {
            (true, _) | (false, Status::Ok) => Tone::Good,
            (false, Status::Warn) => Tone::Warn,
            (false, Status::Error) => Tone::Bad,
        };
        let status = out.paint(tone, &format!("{:<6}", word(c)));
        // A multi-line detail (a TOML parse error) stays under its check.
        let detail = c
            .detail
            .trim_end()
            .replace('\n', &format!("\n{:7}{:width$}  ", "", ""));
        out.line(format!("{status} {:<width$}  {detail}", c.name))?;
        if let Some(r) = remedy(c, fix) {
            out.line(format!("{:7}{:width$}  → {r}", "", ""))?;
        }
    }
    let count = |s: Status| checks.iter().filter(|c| c.status == s && !c.fixed).count();
    let fixed = checks.iter().filter(|c| c.fixed).count();
    let fixable = checks.iter().filter(|c| c.fixable && !c.fixed).count();
    let mut summary = format!(
        "{} error(s), {} warning(s)",
        count(Status::Error),
        count(Status::Warn)
    );
    if fix {
        summary.push_str(&format!(", {fixed} fixed"));
    } else if fixable > 0 {
        summary.push_str(&format!("; `gt doctor --fix` repairs {fixable} of them"));
    }
    out.line(summary)
}

/// `fixed` for a repaired problem, else the status.
fn word(c: &Check) -> &'static str {
    if c.fixed { "fixed" } else { c.status.name() }
}

/// What was done, what `--fix` would do, or what the person has to do.
fn remedy(c: &Check, fix: bool) -> Option<String> {
    let action = c.action.as_deref()?;
    Some(if c.fixed {
        format!("fixed: {action}")
    } else if let Some(e) = &c.fix_error {
        format!("--fix failed: {e}")
    } else if c.fixable && !fix {
        format!("--fix: {action}")
    } else {
        action.to_string()
    })
}
