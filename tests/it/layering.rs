//! The shape of the code, checked from its source: work/'s capability folders form layers
//! (a folder uses only folders below it, so there is no import cycle between them), and
//! nothing below work/ reaches up into it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// work/'s folders, lowest first. Adding a folder means placing it here.
const LAYERS: &[&str] = &[
    "brakes",    // emergency stops and rigs at rest: what they hold (only the ledger below)
    "hosts",     // other machines: connections, remote worktrees and sessions, their health
    "agents",    // agent records, sessions, delivery, live state, crew/polecat/mayor
    "beads",     // bead CRUD, the sling queue, convoy tracking, merge-request labels
    "costs",     // token usage priced, budgets
    "mail",      // addresses, messages, escalations
    "molecule",  // formula steps attached to a bead
    "sling",     // hook, sling, done, close, handoff
    "formulas",  // formulas slung onto beads
    "scheduler", // capacity and the queue's dispatch
    "convoy",    // convoys and formula runs over them
    "refinery",  // the merge queue
    "witness",   // verdicts and recovery
    "views",     // what the CLI and the workspace show
    "compact",   // the ledger kept small: time-to-live, summaries, vacuum
    "deacon",    // the town-wide patrol
    "town",      // install, demo, up/down, rigs, ledger import/export
    "doctor",    // checks everything
];

/// Modules outside work/ that may use it: the edges (CLI, workspace, supervisor).
const ABOVE_WORK: &[&str] = &["cli", "tui", "web", "daemon", "main.rs", "lib.rs"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The source without its test module (tests may reach anywhere).
fn code_of(path: &Path) -> String {
    let s = std::fs::read_to_string(path).unwrap();
    match s.find("#[cfg(test)]") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The module path of a file under src/work (`agents/live.rs` → [agents, live]).
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The work/ folders a file refers to: `crate::work::x…`, `crate::work::{x…, y…}` and
/// `super::…` paths that climb out of the file's folder.
fn folders_used(code: &str, module: &[String]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let absolute = regex::Regex::new(r"crate::work::(\{[^}]*\}|\w+)").unwrap();
    for c in absolute.captures_iter(code) {
        let m = &c[1];
        let items: Vec<&str> = if m.starts_with('{') {
            m.trim_matches(|c| c == '{' || c == '}')
                .split(',')
                .collect()
        } else {
            vec![m]
        };
        for i in items {
            let first = i.trim().split("::").next().unwrap_or("").trim();
            out.insert(first.to_string());
        }
    }
    let relative = regex::Regex::new(r"\b((?:super::)+)(\{[^}]*\}|\w+)").unwrap();
    for c in relative.captures_iter(code) {
        // Each `super` drops one segment of the file's module path.
        let ups = c[1].matches("super::").count();
        if ups > module.len() {
            continue;
        }
        let at = &module[..module.len() - ups];
        let items: Vec<String> = if c[2].starts_with('{') {
            c[2].trim_matches(|c| c == '{' || c == '}')
                .split(',')
                .map(|i| i.trim().split("::").next().unwrap_or("").to_string())
                .collect()
        } else {
            vec![c[2].to_string()]
        };
        for i in items {
            let folder = at.first().cloned().unwrap_or(i);
            out.insert(folder);
        }
    }
    out
}

#[test]
fn work_folders_use_only_the_layers_below_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/work");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut wrong = Vec::new();
    let mut seen = BTreeSet::new();
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap();
        let module = module_of(rel);
        let Some(folder) = module.first() else {
            continue; // work/mod.rs: Ctx only
        };
        seen.insert(folder.clone());
        let Some(level) = LAYERS.iter().position(|l| l == folder) else {
            wrong.push(format!("{folder}/ is not placed in LAYERS"));
            continue;
        };
        for used in folders_used(&code_of(f), &module) {
            if let Some(l) = LAYERS.iter().position(|x| *x == used)
                && l > level
            {
                wrong.push(format!("{} uses {used}/ (a layer above it)", rel.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The check saw the real tree (a moved root would make it vacuous).
    assert!(
        seen.len() >= 10,
        "only {seen:?} found under {}",
        root.display()
    );
}

#[test]
fn nothing_below_work_reaches_up_into_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    let mut checked = 0;
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .unwrap_or_default();
        if top == "work" || ABOVE_WORK.contains(&top.as_str()) {
            continue;
        }
        checked += 1;
        let code = code_of(f);
        if code.contains("crate::work") || code.contains("crate::daemon") {
            wrong.push(rel.display().to_string());
        }
    }
    assert!(checked >= 20, "only {checked} files checked");
    assert!(wrong.is_empty(), "below work/ but using it: {wrong:?}");
}

#[test]
fn the_checker_sees_an_upward_use() {
    // `sling` reaching up to `convoy` must be found, through each way of naming it.
    let folder = ["sling".to_string()];
    let file = ["sling".to_string(), "hook".to_string()];
    for (code, module) in [
        ("use crate::work::convoy::run;", &file[..]),
        ("use crate::work::{Ctx, convoy};", &file[..]),
        ("let x = super::super::convoy::show();", &file[..]),
        ("use super::{Ctx, convoy};", &folder[..]),
        ("use super::convoy;", &folder[..]),
    ] {
        let used = folders_used(code, module);
        assert!(used.contains("convoy"), "{code}: {used:?}");
    }
    // Within its own folder a file is not reaching anywhere.
    let own = folders_used("use super::done;", &file);
    assert_eq!(own.into_iter().collect::<Vec<_>>(), ["sling"]);
}
