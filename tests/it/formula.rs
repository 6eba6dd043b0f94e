//! Formulas through the library API: upstream's files, composition, errors, search order,
//! variables and the built-ins.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gt::formula::{FormulaError, Kind, Library, Origin, Resolved, StepRole};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Upstream's formulas (test inputs, not ours), beside the project checkout.
fn compat_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/compat/formulas");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {} is missing; the upstream compatibility formulas were not checked",
            dir.display()
        );
        None
    }
}

fn compat_lib(dir: &Path) -> Library {
    Library::from_dirs(
        vec![(Origin::Town(dir.to_path_buf()), dir.to_path_buf())],
        false,
    )
}

fn ids(r: &Resolved) -> Vec<&str> {
    r.steps.iter().map(|s| s.id.as_str()).collect()
}

fn needs<'a>(r: &'a Resolved, id: &str) -> Vec<&'a str> {
    r.steps
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no step {id} in {:?}", ids(r)))
        .needs
        .iter()
        .map(String::as_str)
        .collect()
}

/// A library over one temp dir (no built-ins), with `files` written into it.
fn temp_lib(files: &[(&str, &str)]) -> (tempfile::TempDir, Library) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(format!("{name}.formula.toml")), text).unwrap();
    }
    let lib = Library::from_dirs(
        vec![(
            Origin::Town(dir.path().to_path_buf()),
            dir.path().to_path_buf(),
        )],
        false,
    );
    (dir, lib)
}

fn resolve_err(text: &str) -> String {
    let (_dir, lib) = temp_lib(&[("bad", text)]);
    match lib.resolve("bad") {
        Ok(r) => panic!("expected an error, resolved to {:?}", ids(&r)),
        Err(e) => {
            assert!(e.is_bad_input(), "{e}");
            e.to_string()
        }
    }
}

// (a) every upstream file parses, validates and resolves, with the kind its `type` says.
#[test]
fn compat_formulas_all_resolve() {
    let Some(dir) = compat_dir() else { return };
    let lib = compat_lib(&dir);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".formula.toml").map(str::to_string)
        })
        .collect();
    names.sort();
    assert_eq!(names.len(), 31, "{names:?}");
    for name in &names {
        let text = std::fs::read_to_string(dir.join(format!("{name}.formula.toml"))).unwrap();
        let table: toml::Table = toml::from_str(&text).unwrap();
        let written = table.get("type").and_then(|t| t.as_str());
        let r = lib.resolve(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Files without `type` all have [[steps]]: inferred workflow.
        assert_eq!(r.kind.to_string(), written.unwrap_or("workflow"), "{name}");
        assert_eq!(&r.name, name);
        let f = lib.load(name).unwrap();
        assert_eq!(f.kind, r.kind, "{name}");
        assert!(serde_json::to_string(&f).is_ok());
        // Instantiating with nothing given only fails for genuinely required vars.
        let required: Vec<&str> = r
            .vars
            .iter()
            .filter(|v| v.required && v.default.is_none())
            .map(|v| v.name.as_str())
            .collect();
        let given: BTreeMap<String, String> = r
            .vars
            .iter()
            .map(|v| (v.name.clone(), format!("<{}>", v.name)))
            .collect();
        let inst = r
            .instantiate(&given)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(inst.steps.len(), r.steps.len());
        if !required.is_empty() {
            let err = r.instantiate(&BTreeMap::new()).unwrap_err().to_string();
            assert!(err.contains(required[0]), "{name}: {err}");
        }
    }
    let listed = lib.list();
    assert_eq!(listed.len(), 31);
    for l in &listed {
        assert!(l.error.is_none(), "{}: {:?}", l.name, l.error);
        assert!(l.steps.is_some());
        assert!(
            matches!(&l.origin, Origin::Town(p) if p.ends_with(format!("{}.formula.toml", l.name)))
        );
    }
}

// (b)
#[test]
fn towers_of_hanoi_7_is_one_long_chain() {
    let Some(dir) = compat_dir() else { return };
    let r = compat_lib(&dir).resolve("towers-of-hanoi-7").unwrap();
    assert_eq!(r.kind, Kind::Workflow);
    assert_eq!(r.steps.len(), 129);
    assert_eq!(r.steps[0].id, "setup");
    assert!(r.steps[0].needs.is_empty());
    for pair in r.steps.windows(2) {
        assert_eq!(pair[1].needs, vec![pair[0].id.clone()], "{}", pair[1].id);
    }
    assert_eq!(r.steps[128].id, "verify");
    let waves = r.waves();
    assert_eq!(waves.len(), 129);
    assert!(waves.iter().all(|w| w.len() == 1));
}

// (c) extends + an aspect with pointcuts.
#[test]
fn shiny_secure_wraps_implement_and_submit() {
    let Some(dir) = compat_dir() else { return };
    let r = compat_lib(&dir).resolve("shiny-secure").unwrap();
    assert_eq!(r.kind, Kind::Workflow);
    assert_eq!(
        ids(&r),
        [
            "design",
            "implement-security-prescan",
            "implement",
            "implement-security-postscan",
            "review",
            "test",
            "submit-security-prescan",
            "submit",
            "submit-security-postscan",
        ]
    );
    assert_eq!(needs(&r, "implement-security-prescan"), ["design"]);
    assert_eq!(needs(&r, "implement"), ["implement-security-prescan"]);
    assert_eq!(needs(&r, "implement-security-postscan"), ["implement"]);
    assert_eq!(needs(&r, "review"), ["implement-security-postscan"]);
    assert_eq!(needs(&r, "submit-security-prescan"), ["test"]);
    assert_eq!(needs(&r, "submit"), ["submit-security-prescan"]);
    assert_eq!(needs(&r, "submit-security-postscan"), ["submit"]);
    let pre = &r.steps[1];
    assert_eq!(pre.title, "Security prescan for implement");
    assert_eq!(pre.role, StepRole::Aspect);
    // Inherited vars and description.
    assert!(r.vars.iter().any(|v| v.name == "feature" && v.required));
    assert!(r.description.contains("security audit"));
    let given = BTreeMap::from([("feature".to_string(), "dark mode".to_string())]);
    let inst = r.instantiate(&given).unwrap();
    assert_eq!(inst.steps[2].title, "Implement dark mode");
}

// (d) an expansion applied through [[compose.expand]] in a formula that extends shiny.
#[test]
fn rule_of_five_expands_implement() {
    let Some(compat) = compat_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("shiny-five.formula.toml"),
        r#"
formula = "shiny-five"
extends = ["shiny"]
description = "Shiny, with implement done as five passes."

[[compose.expand]]
target = "implement"
with = "rule-of-five"
"#,
    )
    .unwrap();
    let lib = Library::from_dirs(
        vec![
            (
                Origin::Town(tmp.path().to_path_buf()),
                tmp.path().to_path_buf(),
            ),
            (Origin::Town(compat.clone()), compat),
        ],
        false,
    );
    let r = lib.resolve("shiny-five").unwrap();
    assert_eq!(r.kind, Kind::Workflow);
    assert_eq!(
        ids(&r),
        [
            "design",
            "implement.draft",
            "implement.refine-1",
            "implement.refine-2",
            "implement.refine-3",
            "implement.refine-4",
            "review",
            "test",
            "submit",
        ]
    );
    assert_eq!(needs(&r, "implement.draft"), ["design"]);
    assert_eq!(needs(&r, "implement.refine-1"), ["implement.draft"]);
    assert_eq!(needs(&r, "review"), ["implement.refine-4"]);
    assert_eq!(r.steps[1].title, "Draft: Implement {{feature}}");
    assert!(
        r.steps[1]
            .description
            .contains("Write the code for {{feature}}")
    );
    assert!(r.vars.iter().any(|v| v.name == "feature"));
}

// (e)
#[test]
fn code_review_convoy_and_gate_preset() {
    let Some(dir) = compat_dir() else { return };
    let r = compat_lib(&dir).resolve("code-review").unwrap();
    assert_eq!(r.kind, Kind::Convoy);
    assert_eq!(r.steps.len(), 11);
    let legs: Vec<&str> = r
        .steps
        .iter()
        .filter(|s| s.role == StepRole::Leg)
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(legs.len(), 10);
    assert!(r.steps[..10].iter().all(|s| s.needs.is_empty()));
    let synth = &r.steps[10];
    assert_eq!(synth.id, "synthesis");
    assert_eq!(synth.role, StepRole::Synthesis);
    let mut synth_needs: Vec<&str> = synth.needs.iter().map(String::as_str).collect();
    synth_needs.sort();
    let mut sorted_legs = legs.clone();
    sorted_legs.sort();
    assert_eq!(synth_needs, sorted_legs);
    assert!(r.steps[0].description.starts_with("Focus: "));
    assert_eq!(r.waves().len(), 2);
    assert_eq!(
        r.vars.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(),
        ["pr", "files", "branch"]
    );

    let gate = r.with_preset("gate").unwrap();
    let gate_legs: Vec<&str> = gate
        .steps
        .iter()
        .filter(|s| s.role == StepRole::Leg)
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(gate_legs, ["security", "smells", "wiring", "test-quality"]);
    let gate_synth = gate.steps.last().unwrap();
    assert_eq!(gate_synth.needs.len(), 4);

    let err = r.with_preset("nope").unwrap_err().to_string();
    assert!(
        err.contains("nope") && err.contains("gate") && err.contains("refactor"),
        "{err}"
    );

    // The inputs are alternatives: any one of them is enough.
    let err = r.instantiate(&BTreeMap::new()).unwrap_err().to_string();
    assert!(err.contains("pr (or one of: files, branch)"), "{err}");
    assert!(err.contains("--var pr=<value>"), "{err}");
    let given = BTreeMap::from([("branch".to_string(), "feature/x".to_string())]);
    assert!(r.instantiate(&given).is_ok());
}

// (f) invalid formulas: each message says what and where.
#[test]
fn syntax_error_names_file_line_and_column() {
    let err = resolve_err("formula = \"bad\"\n\n[[steps]]\nid = \"a\"\ntitle = \"unterminated\n");
    assert!(err.contains("bad.formula.toml:5:"), "{err}");
    assert!(err.contains("TOML syntax error"), "{err}");
}

#[test]
fn unknown_type_names_file_and_type() {
    let err = resolve_err("formula = \"bad\"\ntype = \"workfloe\"\n[[steps]]\nid = \"a\"\n");
    assert!(err.contains("bad.formula.toml:2"), "{err}");
    assert!(err.contains("unknown formula type `workfloe`"), "{err}");
}

#[test]
fn duplicate_step_id_names_both_lines() {
    let err = resolve_err(
        "formula = \"bad\"\n[[steps]]\nid = \"a\"\n[[steps]]\nid = \"b\"\n[[steps]]\nid = \"a\"\n",
    );
    assert!(err.contains("bad.formula.toml:7"), "{err}");
    assert!(err.contains("step id `a` is used twice"), "{err}");
    assert!(err.contains(":3"), "{err}");
}

#[test]
fn duplicate_leg_and_synthesis_id() {
    let err = resolve_err(
        "formula = \"bad\"\n[[legs]]\nid = \"synthesis\"\n[synthesis]\ntitle = \"s\"\n",
    );
    assert!(err.contains("step id `synthesis` is used twice"), "{err}");
}

#[test]
fn needs_naming_a_missing_step() {
    let err = resolve_err(
        "formula = \"bad\"\n[[steps]]\nid = \"a\"\n[[steps]]\nid = \"b\"\nneeds = [\"a\", \"ghost\"]\n",
    );
    assert!(err.contains("bad.formula.toml:5"), "{err}");
    assert!(
        err.contains("step `b` needs `ghost`, which is not a step"),
        "{err}"
    );
}

#[test]
fn synthesis_and_preset_naming_missing_legs() {
    let err = resolve_err(
        "formula = \"bad\"\n[[legs]]\nid = \"x\"\n[synthesis]\ndepends_on = [\"x\", \"y\"]\n",
    );
    assert!(
        err.contains("synthesis `synthesis` depends on `y`, which is not a leg"),
        "{err}"
    );
    let err = resolve_err(
        "formula = \"bad\"\n[[legs]]\nid = \"x\"\n[presets.p]\nlegs = [\"x\", \"z\"]\n",
    );
    assert!(
        err.contains("preset `p` lists `z`, which is not a leg"),
        "{err}"
    );
}

#[test]
fn three_step_cycle_is_named() {
    let err = resolve_err(
        "formula = \"bad\"\n[[steps]]\nid = \"a\"\nneeds = [\"c\"]\n[[steps]]\nid = \"b\"\nneeds = [\"a\"]\n[[steps]]\nid = \"c\"\nneeds = [\"b\"]\n",
    );
    assert!(err.contains("bad.formula.toml:3"), "{err}");
    assert!(err.contains("dependency cycle: a → b → c → a"), "{err}");
}

#[test]
fn undeclared_var_names_var_and_place() {
    let err = resolve_err(
        "formula = \"bad\"\n[vars.known]\ndescription = \"k\"\n[[steps]]\nid = \"a\"\ntitle = \"{{known}} {{.fine}} {{#each x}}{{/each}}\"\n[[steps]]\nid = \"b\"\ndescription = \"uses {{undeclared}}\"\n",
    );
    assert!(err.contains("`{{undeclared}}`"), "{err}");
    assert!(err.contains("the description of step `b`"), "{err}");
    assert!(err.contains("bad.formula.toml:8"), "{err}");
    assert!(err.contains("[vars.undeclared]"), "{err}");
}

#[test]
fn required_var_missing_at_instantiate() {
    let (_dir, lib) = temp_lib(&[(
        "needy",
        "formula = \"needy\"\n[vars.first]\nrequired = true\n[vars.second]\nrequired = true\n[vars.third]\nrequired = true\ndefault = \"x\"\n[[steps]]\nid = \"a\"\ntitle = \"{{first}} {{second}} {{third}}\"\n",
    )]);
    let r = lib.resolve("needy").unwrap();
    let err = r.instantiate(&BTreeMap::new()).unwrap_err();
    assert!(err.is_bad_input());
    let msg = err.to_string();
    assert!(msg.contains("first, second"), "{msg}");
    assert!(!msg.contains("third"), "{msg}");
    assert!(
        msg.contains("--var first=<value> --var second=<value>"),
        "{msg}"
    );
}

#[test]
fn unknown_var_given_names_the_declared_ones() {
    let (_dir, lib) = temp_lib(&[(
        "f",
        "formula = \"f\"\n[vars]\nalpha = \"1\"\nbeta = \"2\"\n[[steps]]\nid = \"a\"\n",
    )]);
    let r = lib.resolve("f").unwrap();
    let given = BTreeMap::from([("gamma".to_string(), "3".to_string())]);
    let msg = r.instantiate(&given).unwrap_err().to_string();
    assert!(msg.contains("`gamma`"), "{msg}");
    assert!(msg.contains("alpha, beta"), "{msg}");
}

#[test]
fn extends_cycle_names_the_chain() {
    let (_dir, lib) = temp_lib(&[
        (
            "one",
            "formula = \"one\"\nextends = [\"two\"]\n[[steps]]\nid = \"a\"\n",
        ),
        ("two", "formula = \"two\"\nextends = [\"three\"]\n"),
        ("three", "formula = \"three\"\nextends = [\"one\"]\n"),
    ]);
    let msg = lib.resolve("one").unwrap_err().to_string();
    assert!(
        msg.contains("extends cycle: one → two → three → one"),
        "{msg}"
    );
    assert!(msg.contains("three.formula.toml"), "{msg}");
}

#[test]
fn file_name_and_formula_key_must_agree() {
    let (_dir, lib) = temp_lib(&[("right", "formula = \"wrong\"\n[[steps]]\nid = \"a\"\n")]);
    let msg = lib.resolve("right").unwrap_err().to_string();
    assert!(msg.contains("right.formula.toml:1"), "{msg}");
    assert!(
        msg.contains("`right`") && msg.contains("\"wrong\""),
        "{msg}"
    );
    assert!(lib.load("right").is_err());
}

#[test]
fn expand_target_missing() {
    let (_dir, lib) = temp_lib(&[
        (
            "host",
            "formula = \"host\"\n[[steps]]\nid = \"build\"\n[[compose.expand]]\ntarget = \"biuld\"\nwith = \"twice\"\n",
        ),
        (
            "twice",
            "formula = \"twice\"\ntype = \"expansion\"\n[[template]]\nid = \"{target}.1\"\n[[template]]\nid = \"{target}.2\"\nneeds = [\"{target}.1\"]\n",
        ),
    ]);
    let msg = lib.resolve("host").unwrap_err().to_string();
    assert!(msg.contains("host.formula.toml:5"), "{msg}");
    assert!(msg.contains("target `biuld`"), "{msg}");
    assert!(msg.contains("`twice`"), "{msg}");
}

#[test]
fn expand_with_a_workflow_is_refused() {
    let (_dir, lib) = temp_lib(&[
        (
            "host",
            "formula = \"host\"\n[[steps]]\nid = \"build\"\n[[compose.expand]]\ntarget = \"build\"\nwith = \"plain\"\n",
        ),
        ("plain", "formula = \"plain\"\n[[steps]]\nid = \"x\"\n"),
    ]);
    let msg = lib.resolve("host").unwrap_err().to_string();
    assert!(
        msg.contains("`plain`") && msg.contains("expansion"),
        "{msg}"
    );
}

#[test]
fn not_found_and_bad_names() {
    let (dir, lib) = temp_lib(&[]);
    let err = lib.resolve("missing").unwrap_err();
    assert!(matches!(err, FormulaError::NotFound { .. }));
    let msg = err.to_string();
    assert!(msg.contains(&dir.path().display().to_string()), "{msg}");
    assert!(msg.contains("gt formula list"), "{msg}");
    assert!(matches!(
        lib.resolve("../etc"),
        Err(FormulaError::BadName { .. })
    ));
    let err = gt::Error::from(lib.resolve("missing").unwrap_err());
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn composition_bugs_are_errors_not_panics() {
    // An aspect whose template ignores {step.id} inserts the same id twice.
    let (_dir, lib) = temp_lib(&[
        (
            "host",
            "formula = \"host\"\n[[steps]]\nid = \"a\"\n[[steps]]\nid = \"b\"\nneeds = [\"a\"]\n[compose]\naspects = [\"clumsy\"]\n",
        ),
        (
            "clumsy",
            "formula = \"clumsy\"\ntype = \"aspect\"\n[[advice]]\ntarget = \"*\"\n[[advice.before]]\nid = \"check\"\n",
        ),
    ]);
    let msg = lib.resolve("host").unwrap_err().to_string();
    assert!(msg.contains("step id `check` is used twice"), "{msg}");
    assert!(msg.contains("clumsy.formula.toml"), "{msg}");
}

// (g) search order.
#[test]
fn rig_shadows_town_shadows_builtin() {
    let town = tempfile::tempdir().unwrap();
    let rig_dir = town.path().join("myrig").join("formulas");
    let town_dir = town.path().join("formulas");
    std::fs::create_dir_all(&rig_dir).unwrap();
    std::fs::create_dir_all(&town_dir).unwrap();
    let body = |desc: &str| {
        format!("formula = \"review\"\ndescription = \"{desc}\"\n[[steps]]\nid = \"only\"\n")
    };
    std::fs::write(rig_dir.join("review.formula.toml"), body("rig copy")).unwrap();
    std::fs::write(town_dir.join("review.formula.toml"), body("town copy")).unwrap();
    std::fs::write(town_dir.join("broken.formula.toml"), "formula = [").unwrap();

    let lib = Library::new(town.path(), Some("myrig"));
    assert_eq!(lib.dirs()[0].1, rig_dir);
    assert_eq!(lib.dirs()[1].1, town_dir);
    let r = lib.resolve("review").unwrap();
    assert_eq!(r.description, "rig copy");
    assert_eq!(r.origin, Origin::Rig(rig_dir.join("review.formula.toml")));
    assert_eq!(
        r.origin.to_string(),
        format!("rig {}", rig_dir.join("review.formula.toml").display())
    );

    let listed = lib.list();
    let review = listed.iter().find(|l| l.name == "review").unwrap();
    assert_eq!(
        review.origin,
        Origin::Rig(rig_dir.join("review.formula.toml"))
    );
    assert_eq!(review.description, "rig copy");
    assert_eq!(review.steps, Some(1));
    assert_eq!(
        review.shadows,
        vec![
            Origin::Town(town_dir.join("review.formula.toml")),
            Origin::BuiltIn
        ]
    );
    let broken = listed.iter().find(|l| l.name == "broken").unwrap();
    assert!(
        broken
            .error
            .as_deref()
            .unwrap_or("")
            .contains("TOML syntax error")
    );
    assert!(broken.kind.is_none());
    // Built-ins nobody shadows are listed as built-in.
    let tdd = listed.iter().find(|l| l.name == "tdd").unwrap();
    assert_eq!(tdd.origin, Origin::BuiltIn);
    assert!(tdd.shadows.is_empty());

    // Without the rig, the town copy wins.
    let town_lib = Library::new(town.path(), None);
    assert_eq!(town_lib.resolve("review").unwrap().description, "town copy");
}

// (h) variables.
#[test]
fn instantiate_substitutes_only_declared_vars() {
    let (_dir, lib) = temp_lib(&[(
        "vars",
        r#"
formula = "vars"
description = "For {{who}}."

[vars]
mood = "calm"

[vars.who]
description = "the person"
required = true

[vars.later]
description = "filled in by the agent"

[[steps]]
id = "a"
title = "Hello {{who}}"
description = "{{who}} is {{mood}}; {{.x}} {{#each items}}{{this}}{{/each}} {{later}} {{convoy.title}}"
acceptance = "{{who}} smiles"
"#,
    )]);
    let r = lib.resolve("vars").unwrap();
    assert_eq!(
        r.vars.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(),
        ["mood", "who", "later"]
    );
    let given = BTreeMap::from([("who".to_string(), "Ada {{mood}}".to_string())]);
    let i = r.instantiate(&given).unwrap();
    assert_eq!(i.description, "For Ada {{mood}}.");
    assert_eq!(i.steps[0].title, "Hello Ada {{mood}}");
    assert_eq!(
        i.steps[0].description,
        "Ada {{mood}} is calm; {{.x}} {{#each items}}{{this}}{{/each}} {{later}} {{convoy.title}}"
    );
    assert_eq!(
        i.steps[0].acceptance.as_deref(),
        Some("Ada {{mood}} smiles")
    );
}

// (i) built-ins.
#[test]
fn every_builtin_file_is_embedded_and_resolves() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("formulas");
    let names: Vec<&str> = gt::formula::builtin::names().collect();
    let mut files = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let file = e.unwrap().file_name().into_string().unwrap();
        if let Some(name) = file.strip_suffix(".formula.toml") {
            files += 1;
            assert!(
                names.contains(&name),
                "{file} is not listed in src/formula/builtin.rs"
            );
        }
    }
    assert_eq!(files, names.len());
    let lib = Library::from_dirs(Vec::new(), true);
    for name in &names {
        let r = lib.resolve(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(r.origin, Origin::BuiltIn);
        assert!(!r.steps.is_empty(), "{name}");
        assert!(!r.description.is_empty(), "{name}");
    }
    assert_eq!(lib.list().len(), names.len());
}

#[test]
fn builtin_polecat_work_ends_with_gt_done() {
    let lib = Library::from_dirs(Vec::new(), true);
    let r = lib.resolve("polecat-work").unwrap();
    assert_eq!(
        ids(&r),
        [
            "understand",
            "implement",
            "test",
            "self-review",
            "commit",
            "done"
        ]
    );
    assert!(r.steps[5].description.contains("gt done"));
    let issue = r.vars.iter().find(|v| v.name == "issue").unwrap();
    assert!(!issue.required);
    // Attachable to any bead: nothing has to be given.
    let i = r.instantiate(&BTreeMap::new()).unwrap();
    assert!(!i.steps[0].title.contains("{{"));
    let i = r
        .instantiate(&BTreeMap::from([(
            "issue".to_string(),
            "gt-4k2x9".to_string(),
        )]))
        .unwrap();
    assert_eq!(i.steps[0].title, "Understand gt-4k2x9");
}

#[test]
fn builtin_release_needs_a_version() {
    let lib = Library::from_dirs(Vec::new(), true);
    let r = lib.resolve("release").unwrap();
    assert_eq!(
        ids(&r),
        [
            "changelog",
            "bump",
            "full-test",
            "tag",
            "publish",
            "announce"
        ]
    );
    let msg = r.instantiate(&BTreeMap::new()).unwrap_err().to_string();
    assert!(
        msg.contains("version") && msg.contains("--var version="),
        "{msg}"
    );
    let i = r
        .instantiate(&BTreeMap::from([(
            "version".to_string(),
            "1.4.0".to_string(),
        )]))
        .unwrap();
    assert_eq!(i.steps[3].title, "Tag v1.4.0");
}

#[test]
fn builtin_tdd_composes_into_a_workflow() {
    let lib = Library::from_dirs(Vec::new(), true);
    let alone = lib.resolve("tdd").unwrap();
    assert_eq!(alone.kind, Kind::Expansion);
    assert_eq!(ids(&alone), ["tdd.red", "tdd.green", "tdd.refactor"]);

    let host = r#"
formula = "careful-work"
extends = ["polecat-work"]

[[compose.expand]]
target = "implement"
with = "tdd"
"#;
    let r = lib.resolve_text(host, "careful-work.formula.toml").unwrap();
    assert_eq!(r.kind, Kind::Workflow);
    assert_eq!(
        ids(&r),
        [
            "understand",
            "implement.red",
            "implement.green",
            "implement.refactor",
            "test",
            "self-review",
            "commit",
            "done",
        ]
    );
    assert_eq!(needs(&r, "implement.red"), ["understand"]);
    assert_eq!(needs(&r, "test"), ["implement.refactor"]);
    assert_eq!(r.steps[1].title, "Failing test for: Make the change");
}

#[test]
fn builtin_review_runs_two_checks_in_parallel() {
    let lib = Library::from_dirs(Vec::new(), true);
    let r = lib.resolve("review").unwrap();
    let waves: Vec<Vec<&str>> = r
        .waves()
        .iter()
        .map(|w| w.iter().map(|s| s.id.as_str()).collect())
        .collect();
    assert_eq!(
        waves,
        vec![
            vec!["read"],
            vec!["run", "check-tests"],
            vec!["findings"],
            vec!["verdict"]
        ]
    );
}

#[test]
fn builtin_parallel_review_has_presets() {
    let lib = Library::from_dirs(Vec::new(), true);
    let r = lib.resolve("parallel-review").unwrap();
    assert_eq!(r.kind, Kind::Convoy);
    assert_eq!(
        ids(&r),
        [
            "correctness",
            "security",
            "performance",
            "readability",
            "tests",
            "synthesis"
        ]
    );
    assert_eq!(needs(&r, "synthesis").len(), 5);
    assert_eq!(r.presets["quick"], ["correctness", "tests"]);
    assert_eq!(r.presets["full"].len(), 5);
    let quick = r.with_preset("quick").unwrap();
    assert_eq!(ids(&quick), ["correctness", "tests", "synthesis"]);
    assert_eq!(needs(&quick, "synthesis"), ["correctness", "tests"]);
    let msg = r.instantiate(&BTreeMap::new()).unwrap_err().to_string();
    assert!(msg.contains("--var target="), "{msg}");
}

#[test]
fn aspect_formula_alone_lists_its_items_or_nothing() {
    let (_dir, lib) = temp_lib(&[
        (
            "angles",
            "formula = \"angles\"\n[[aspects]]\nid = \"speed\"\nfocus = \"fast?\"\n[[aspects]]\nid = \"safety\"\n",
        ),
        (
            "wrap",
            "formula = \"wrap\"\n[[advice]]\ntarget = \"*\"\n[[advice.after]]\nid = \"{step.id}.check\"\n",
        ),
    ]);
    let r = lib.resolve("angles").unwrap();
    assert_eq!(r.kind, Kind::Aspect);
    assert_eq!(ids(&r), ["speed", "safety"]);
    assert!(
        r.steps
            .iter()
            .all(|s| s.needs.is_empty() && s.role == StepRole::Aspect)
    );
    assert_eq!(r.steps[0].description, "Focus: fast?");
    let r = lib.resolve("wrap").unwrap();
    assert_eq!(r.kind, Kind::Aspect);
    assert!(r.steps.is_empty());
}

#[test]
fn wildcard_advice_chains_every_step_once() {
    let (_dir, lib) = temp_lib(&[
        (
            "host",
            "formula = \"host\"\n[[steps]]\nid = \"a\"\n[[steps]]\nid = \"b\"\nneeds = [\"a\"]\n[compose]\naspects = [\"wrap\"]\n",
        ),
        (
            "wrap",
            "formula = \"wrap\"\n[[advice]]\ntarget = \"*\"\n[[advice.before]]\nid = \"{step.id}.pre\"\n[[advice.after]]\nid = \"{step.id}.post\"\ntitle = \"After {step.title}\"\n",
        ),
    ]);
    let r = lib.resolve("host").unwrap();
    assert_eq!(ids(&r), ["a.pre", "a", "a.post", "b.pre", "b", "b.post"]);
    assert_eq!(needs(&r, "b.pre"), ["a.post"]);
    assert_eq!(r.steps[2].title, "After a");
    assert_eq!(r.waves().len(), 6);
}

#[test]
fn extends_replaces_steps_in_place_and_merges_vars() {
    let (_dir, lib) = temp_lib(&[
        (
            "base",
            "formula = \"base\"\ndescription = \"base\"\n[vars.x]\ndescription = \"from base\"\n[[steps]]\nid = \"a\"\ntitle = \"base a\"\n[[steps]]\nid = \"b\"\nneeds = [\"a\"]\n",
        ),
        (
            "child",
            "formula = \"child\"\nextends = [\"base\"]\n[vars.x]\ndefault = \"dx\"\n[[steps]]\nid = \"a\"\ntitle = \"child a {{x}}\"\n[[steps]]\nid = \"c\"\nneeds = [\"b\"]\n",
        ),
    ]);
    let r = lib.resolve("child").unwrap();
    assert_eq!(ids(&r), ["a", "b", "c"]);
    assert_eq!(r.steps[0].title, "child a {{x}}");
    assert_eq!(r.description, "base");
    let x = &r.vars[0];
    assert_eq!(x.description.as_deref(), Some("from base"));
    assert_eq!(x.default.as_deref(), Some("dx"));
    assert_eq!(
        r.instantiate(&BTreeMap::new()).unwrap().steps[0].title,
        "child a dx"
    );
}

#[test]
fn thousand_step_chain_resolves() {
    let mut text = String::from("formula = \"long\"\n[vars.n]\ndefault = \"1\"\n");
    text.push_str("[[steps]]\nid = \"s0\"\ntitle = \"Step {{n}}\"\n");
    for i in 1..1000 {
        text.push_str(&format!(
            "[[steps]]\nid = \"s{i}\"\ntitle = \"Step {i} of {{{{n}}}}\"\nneeds = [\"s{}\"]\n",
            i - 1
        ));
    }
    let lib = Library::from_dirs(Vec::new(), false);
    let r = lib.resolve_text(&text, "long.formula.toml").unwrap();
    assert_eq!(r.steps.len(), 1000);
    assert_eq!(r.steps[999].needs, ["s998"]);
    assert_eq!(r.waves().len(), 1000);
    assert!(r.instantiate(&BTreeMap::new()).is_ok());
}
