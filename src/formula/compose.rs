//! Composition: `extends`, `[[compose.expand]]`, `[compose] aspects`, then the final checks.
//!
//! Our semantics (upstream leaves most of this unwritten):
//!
//! * **extends** — each parent is loaded and its own `extends` flattened first (recursively; a
//!   cycle is an error naming the chain). Parents merge left to right, then the child on top.
//!   Steps, legs, templates and aspect items merge by id: a later one with the same id replaces
//!   the earlier one *in place*, new ones append. Vars/inputs merge by name, field by field
//!   (the child's written fields win). Presets merge by name. Advice, pointcuts and compose
//!   lists append (parents' first; duplicate aspect names dropped). Description, version,
//!   pour, synthesis and unknown keys: the child's when written. Type: the child's when
//!   written or implied by its content, else the first parent's. A parent's `[compose]` is
//!   not applied on its own: its lists join the child's and are applied once, on the merged
//!   steps, so nothing is applied twice.
//! * **expand** (applied first, in order) — step X is replaced, at its position, by the
//!   expansion's templates with `{target}`, `{target.title}`, `{target.description}` filled
//!   from X. Templates without `needs` take X's needs; every step that needed X needs the
//!   templates' leaves (those no other template needs) instead.
//! * **aspects** (applied after expansions, in order, advice by advice) — every step matching
//!   the advice `target` glob (and one of the aspect's `[[pointcuts]]` globs, when it has
//!   any) gets the `before` templates chained in front (the first takes the step's old needs,
//!   the step needs the last) and the `after` templates chained behind (the first needs the
//!   step; whatever needed the step needs the last). `{step.id}`, `{step.title}`,
//!   `{step.description}` are filled in. Inserted steps are never matched by advice again.
//! * The vars of applied expansion/aspect formulas join the declared vars (the host's win).
//! * Expansion and aspect formulas are used with their `extends` flattened; their own
//!   `[compose]` is not applied.

use super::error::{FormulaError, Loc};
use super::graph::{Node, check_and_order};
use super::library::Library;
use super::model::{Formula, Item, Kind, KindSource, Origin, Preset, Step, VarSpec};
use super::resolved::{Resolved, ResolvedStep, StepRole, VarDef};
use super::text::{glob_match, substitute_placeholders, var_refs};
use std::collections::{BTreeMap, HashMap, HashSet};

type Result<T, E = FormulaError> = std::result::Result<T, E>;

/// Parse-level formula → resolved step list, checked.
pub(crate) fn resolve(lib: &Library, f: Formula, origin: Origin) -> Result<Resolved> {
    let flat = flatten(lib, f, &mut Vec::new())?;
    let mut nodes = base_nodes(&flat);
    let mut vars: Vec<VarSpec> = flat.vars.iter().chain(&flat.inputs).cloned().collect();

    for ex in &flat.compose.expand {
        let e = load_flat(lib, &ex.with)?;
        if e.templates.is_empty() {
            return Err(FormulaError::WrongKind {
                loc: ex.loc.clone(),
                message: format!(
                    "[[compose.expand]] with `{}`: that is a {} formula with no [[template]] steps; `with` must name an expansion formula",
                    ex.with, e.kind
                ),
            });
        }
        let Some(pos) = nodes.iter().position(|n| n.id == ex.target) else {
            return Err(FormulaError::ExpandTarget {
                loc: ex.loc.clone(),
                target: ex.target.clone(),
                with: ex.with.clone(),
            });
        };
        nodes = expand_at(nodes, pos, &e.templates);
        add_vars(&mut vars, &e);
    }

    for name in &flat.compose.aspects {
        let a = load_flat(lib, name)?;
        if a.advice.is_empty() {
            return Err(FormulaError::WrongKind {
                loc: flat.compose.loc.clone(),
                message: format!(
                    "[compose] aspects: `{name}` is a {} formula with no [[advice]] to apply",
                    a.kind
                ),
            });
        }
        let globs: Vec<&str> = a.pointcuts.iter().map(|p| p.glob.as_str()).collect();
        for advice in &a.advice {
            nodes = apply_advice(nodes, &advice.target, &globs, &advice.before, &advice.after);
        }
        add_vars(&mut vars, &a);
    }

    check_vars(&flat, &nodes, &vars)?;
    let order = check_and_order(&nodes, &Loc::file(&flat.loc.file))?;
    let presets = check_presets(&flat.presets, &nodes)?;

    let mut slots: Vec<Option<Node>> = nodes.into_iter().map(Some).collect();
    let steps = order
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .map(into_step)
        .collect();
    Ok(Resolved {
        name: flat.name,
        kind: flat.kind,
        description: flat.description.unwrap_or_default(),
        version: flat.version,
        origin,
        vars: vars.into_iter().map(var_def).collect(),
        steps,
        presets,
    })
}

/// Load `name` and flatten its `extends` (for formulas used by `[compose]`).
fn load_flat(lib: &Library, name: &str) -> Result<Formula> {
    let f = lib.load(name)?;
    flatten(lib, f, &mut Vec::new())
}

/// Merge `f`'s parents under it. `stack` holds the names being flattened, for cycle errors.
pub(crate) fn flatten(lib: &Library, f: Formula, stack: &mut Vec<String>) -> Result<Formula> {
    if f.extends.is_empty() {
        return Ok(f);
    }
    stack.push(f.name.clone());
    let mut merged: Option<Formula> = None;
    for parent in &f.extends {
        if let Some(pos) = stack.iter().position(|n| n == parent) {
            let mut chain = stack[pos..].to_vec();
            chain.push(parent.clone());
            return Err(FormulaError::ExtendsCycle {
                loc: f.loc.clone(),
                chain,
            });
        }
        let p = flatten(lib, lib.load(parent)?, stack)?;
        merged = Some(match merged {
            None => p,
            Some(m) => merge(m, p),
        });
    }
    stack.pop();
    Ok(match merged {
        Some(m) => merge(m, f),
        None => f,
    })
}

/// `child` on top of `base` (see the module doc).
fn merge(base: Formula, child: Formula) -> Formula {
    let (kind, kind_source) = if child.kind_source == KindSource::Default {
        (base.kind, base.kind_source)
    } else {
        (child.kind, child.kind_source)
    };
    let mut compose = base.compose;
    for a in child.compose.aspects {
        if !compose.aspects.contains(&a) {
            compose.aspects.push(a);
        }
    }
    compose.expand.extend(child.compose.expand);
    compose.extra.extend(child.compose.extra);
    if !child.compose.loc.file.is_empty() && child.compose.loc.line.is_some() {
        compose.loc = child.compose.loc;
    }
    let mut extra = base.extra;
    extra.extend(child.extra);
    let mut advice = base.advice;
    advice.extend(child.advice);
    let mut pointcuts = base.pointcuts;
    pointcuts.extend(child.pointcuts);
    Formula {
        name: child.name,
        kind,
        kind_source,
        description: child.description.or(base.description),
        version: child.version.or(base.version),
        pour: child.pour.or(base.pour),
        extends: child.extends,
        vars: merge_vars(base.vars, child.vars),
        inputs: merge_vars(base.inputs, child.inputs),
        steps: merge_by_id(base.steps, child.steps, |s: &Step| &s.id),
        legs: merge_by_id(base.legs, child.legs, |s: &Item| &s.id),
        synthesis: child.synthesis.or(base.synthesis),
        templates: merge_by_id(base.templates, child.templates, |s: &Step| &s.id),
        advice,
        pointcuts,
        aspects: merge_by_id(base.aspects, child.aspects, |s: &Item| &s.id),
        presets: merge_by_id(base.presets, child.presets, |p: &Preset| &p.name),
        compose,
        extra,
        loc: child.loc,
    }
}

/// Later entries with an existing key replace it in place; new keys append.
fn merge_by_id<T>(mut base: Vec<T>, child: Vec<T>, key: impl Fn(&T) -> &String) -> Vec<T> {
    let mut at: HashMap<String, usize> = base
        .iter()
        .enumerate()
        .map(|(i, x)| (key(x).clone(), i))
        .collect();
    for item in child {
        match at.get(key(&item)) {
            Some(&i) => base[i] = item,
            None => {
                at.insert(key(&item).clone(), base.len());
                base.push(item);
            }
        }
    }
    base
}

fn merge_vars(mut base: Vec<VarSpec>, child: Vec<VarSpec>) -> Vec<VarSpec> {
    for v in child {
        match base.iter_mut().find(|b| b.name == v.name) {
            Some(b) => {
                b.description = v.description.or(b.description.take());
                b.required = v.required.or(b.required);
                b.default = v.default.or(b.default.take());
                b.type_name = v.type_name.or(b.type_name.take());
                if !v.required_unless.is_empty() {
                    b.required_unless = v.required_unless;
                }
                b.extra.extend(v.extra);
                b.loc = v.loc;
            }
            None => base.push(v),
        }
    }
    base
}

/// Vars of a composed formula join the declared ones; the host's definitions win.
fn add_vars(vars: &mut Vec<VarSpec>, from: &Formula) {
    for v in from.vars.iter().chain(&from.inputs) {
        if !vars.iter().any(|x| x.name == v.name) {
            vars.push(v.clone());
        }
    }
}

fn var_def(v: VarSpec) -> VarDef {
    VarDef {
        name: v.name,
        description: v.description,
        required: v.required.unwrap_or(false),
        default: v.default,
        required_unless: v.required_unless,
    }
}

/// The formula's own steps before `[compose]`: steps, aspect items (parallel), legs and the
/// synthesis (needing `depends_on`, else every leg); an expansion formula's templates
/// expanded against a stand-in target named after the formula.
fn base_nodes(f: &Formula) -> Vec<Node> {
    let mut nodes: Vec<Node> = Vec::with_capacity(f.steps.len() + f.legs.len() + 1);
    for s in &f.steps {
        nodes.push(Node {
            id: s.id.clone(),
            title: s.title.clone().unwrap_or_else(|| s.id.clone()),
            description: s.description.clone().unwrap_or_default(),
            focus: None,
            acceptance: s.acceptance.clone(),
            needs: s.needs.clone(),
            role: StepRole::Step,
            loc: s.loc.clone(),
            from_aspect: false,
        });
    }
    let item = |i: &Item, role| Node {
        id: i.id.clone(),
        title: i.title.clone().unwrap_or_else(|| i.id.clone()),
        description: i.description.clone().unwrap_or_default(),
        focus: i.focus.clone(),
        acceptance: None,
        needs: Vec::new(),
        role,
        loc: i.loc.clone(),
        from_aspect: false,
    };
    nodes.extend(f.aspects.iter().map(|i| item(i, StepRole::Aspect)));
    nodes.extend(f.legs.iter().map(|i| item(i, StepRole::Leg)));
    if let Some(s) = &f.synthesis {
        nodes.push(Node {
            id: s.id.clone().unwrap_or_else(|| "synthesis".to_string()),
            title: s.title.clone().unwrap_or_else(|| "Synthesis".to_string()),
            description: s.description.clone().unwrap_or_default(),
            focus: None,
            acceptance: None,
            needs: s
                .depends_on
                .clone()
                .unwrap_or_else(|| f.legs.iter().map(|l| l.id.clone()).collect()),
            role: StepRole::Synthesis,
            loc: s.loc.clone(),
            from_aspect: false,
        });
    }
    if f.kind == Kind::Expansion {
        let target = Node {
            id: f.name.clone(),
            title: f.name.clone(),
            description: f.description.clone().unwrap_or_default(),
            focus: None,
            acceptance: None,
            needs: Vec::new(),
            role: StepRole::Step,
            loc: f.loc.clone(),
            from_aspect: false,
        };
        nodes.extend(fill_templates(&f.templates, &target));
    }
    nodes
}

fn fill_templates(templates: &[Step], target: &Node) -> Vec<Node> {
    let map = [
        ("target", target.id.as_str()),
        ("target.title", target.title.as_str()),
        ("target.description", target.description.as_str()),
    ];
    templates
        .iter()
        .map(|t| {
            let id = substitute_placeholders(&t.id, &map);
            let needs: Vec<String> = t
                .needs
                .iter()
                .map(|n| substitute_placeholders(n, &map))
                .collect();
            Node {
                title: t
                    .title
                    .as_deref()
                    .map(|x| substitute_placeholders(x, &map))
                    .unwrap_or_else(|| id.clone()),
                description: t
                    .description
                    .as_deref()
                    .map(|x| substitute_placeholders(x, &map))
                    .unwrap_or_default(),
                focus: None,
                acceptance: t
                    .acceptance
                    .as_deref()
                    .map(|x| substitute_placeholders(x, &map)),
                needs: if needs.is_empty() {
                    target.needs.clone()
                } else {
                    needs
                },
                role: StepRole::Step,
                loc: t.loc.clone(),
                from_aspect: false,
                id,
            }
        })
        .collect()
}

/// Replace `nodes[pos]` by the filled templates and point its dependents at their leaves.
fn expand_at(mut nodes: Vec<Node>, pos: usize, templates: &[Step]) -> Vec<Node> {
    let target = nodes.remove(pos);
    let new = fill_templates(templates, &target);
    let needed: HashSet<&str> = new
        .iter()
        .flat_map(|n| n.needs.iter().map(String::as_str))
        .collect();
    let leaves: Vec<String> = new
        .iter()
        .filter(|n| !needed.contains(n.id.as_str()))
        .map(|n| n.id.clone())
        .collect();
    for n in &mut nodes {
        if n.needs.contains(&target.id) {
            n.needs = replace_need(&n.needs, &target.id, &leaves);
        }
    }
    nodes.splice(pos..pos, new);
    nodes
}

/// `needs` with `old` replaced by `new` (in its place, without duplicates).
fn replace_need(needs: &[String], old: &str, new: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(needs.len() + new.len());
    for n in needs {
        let items: &[String] = if n == old {
            new
        } else {
            std::slice::from_ref(n)
        };
        for x in items {
            if !out.contains(x) {
                out.push(x.clone());
            }
        }
    }
    out
}

/// One advice over the whole graph: one pass to insert, one pass to re-point dependents.
fn apply_advice(
    nodes: Vec<Node>,
    target: &str,
    pointcuts: &[&str],
    before: &[Step],
    after: &[Step],
) -> Vec<Node> {
    let matches = |n: &Node| {
        !n.from_aspect
            && glob_match(target, &n.id)
            && (pointcuts.is_empty() || pointcuts.iter().any(|g| glob_match(g, &n.id)))
    };
    if (before.is_empty() && after.is_empty()) || !nodes.iter().any(&matches) {
        return nodes;
    }
    let mut out: Vec<Node> = Vec::with_capacity(nodes.len());
    // After-steps chain behind their own target; everything else (before-steps included,
    // which took their step's needs) is re-pointed.
    let mut inserted: HashSet<String> = HashSet::new();
    // Target id → last after-step: whatever needed the target needs that instead.
    let mut redirect: HashMap<String, String> = HashMap::new();
    for mut n in nodes {
        if !matches(&n) {
            out.push(n);
            continue;
        }
        let map = [
            ("step.id", n.id.clone()),
            ("step.title", n.title.clone()),
            ("step.description", n.description.clone()),
        ];
        let map: Vec<(&str, &str)> = map.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut prev: Option<String> = None;
        for t in before {
            let needs = match &prev {
                Some(p) => vec![p.clone()],
                None => n.needs.clone(),
            };
            let b = advice_node(t, &map, needs);
            prev = Some(b.id.clone());
            out.push(b);
        }
        if let Some(p) = prev {
            n.needs = vec![p];
        }
        let mut prev = n.id.clone();
        let target_id = n.id.clone();
        out.push(n);
        for t in after {
            let a = advice_node(t, &map, vec![prev]);
            prev = a.id.clone();
            inserted.insert(a.id.clone());
            out.push(a);
        }
        if !after.is_empty() {
            redirect.insert(target_id, prev);
        }
    }
    if !redirect.is_empty() {
        for n in out.iter_mut().filter(|n| !inserted.contains(&n.id)) {
            if n.needs.iter().any(|x| redirect.contains_key(x)) {
                for need in &mut n.needs {
                    if let Some(to) = redirect.get(need) {
                        need.clone_from(to);
                    }
                }
                let mut seen = HashSet::new();
                n.needs.retain(|x| seen.insert(x.clone()));
            }
        }
    }
    out
}

fn advice_node(t: &Step, map: &[(&str, &str)], mut needs: Vec<String>) -> Node {
    let id = substitute_placeholders(&t.id, map);
    for extra in &t.needs {
        let e = substitute_placeholders(extra, map);
        if !needs.contains(&e) {
            needs.push(e);
        }
    }
    Node {
        title: t
            .title
            .as_deref()
            .map(|x| substitute_placeholders(x, map))
            .unwrap_or_else(|| id.clone()),
        description: t
            .description
            .as_deref()
            .map(|x| substitute_placeholders(x, map))
            .unwrap_or_default(),
        focus: None,
        acceptance: t
            .acceptance
            .as_deref()
            .map(|x| substitute_placeholders(x, map)),
        needs,
        role: StepRole::Aspect,
        loc: t.loc.clone(),
        from_aspect: true,
        id,
    }
}

/// Every `{{name}}` in checked text must be a declared var or input.
fn check_vars(f: &Formula, nodes: &[Node], vars: &[VarSpec]) -> Result<()> {
    let declared: HashSet<&str> = vars.iter().map(|v| v.name.as_str()).collect();
    let undeclared = |text: &str| {
        var_refs(text)
            .into_iter()
            .map(|(_, name)| name)
            .find(|name| !declared.contains(name))
            .map(str::to_string)
    };
    if let Some(var) = f.description.as_deref().and_then(undeclared) {
        return Err(FormulaError::UndeclaredVar {
            loc: Loc::file(&f.loc.file),
            var,
            place: "the formula description".to_string(),
        });
    }
    for n in nodes {
        let fields = [
            ("title", Some(&n.title)),
            ("description", Some(&n.description)),
            ("focus", n.focus.as_ref()),
            ("acceptance", n.acceptance.as_ref()),
        ];
        for (field, text) in fields {
            if let Some(var) = text.and_then(|t| undeclared(t)) {
                let what = match n.role {
                    StepRole::Step => "step",
                    StepRole::Leg => "leg",
                    StepRole::Synthesis => "synthesis",
                    StepRole::Aspect => "aspect step",
                };
                return Err(FormulaError::UndeclaredVar {
                    loc: n.loc.clone(),
                    var,
                    place: format!("the {field} of {what} `{}`", n.id),
                });
            }
        }
    }
    Ok(())
}

fn check_presets(presets: &[Preset], nodes: &[Node]) -> Result<BTreeMap<String, Vec<String>>> {
    if presets.is_empty() {
        return Ok(BTreeMap::new());
    }
    let legs: HashSet<&str> = nodes
        .iter()
        .filter(|n| n.role == StepRole::Leg)
        .map(|n| n.id.as_str())
        .collect();
    let mut out = BTreeMap::new();
    for p in presets {
        if let Some(bad) = p.legs.iter().find(|l| !legs.contains(l.as_str())) {
            return Err(FormulaError::MissingStep {
                loc: p.loc.clone(),
                owner: format!("preset `{}`", p.name),
                relation: "lists",
                missing: bad.clone(),
                expected: "a leg",
            });
        }
        out.insert(p.name.clone(), p.legs.clone());
    }
    Ok(out)
}

fn into_step(n: Node) -> ResolvedStep {
    let description = match n.focus {
        Some(focus) if n.description.is_empty() => format!("Focus: {focus}"),
        Some(focus) => format!("Focus: {focus}\n\n{}", n.description),
        None => n.description,
    };
    ResolvedStep {
        id: n.id,
        title: n.title,
        description,
        needs: n.needs,
        acceptance: n.acceptance,
        role: n.role,
    }
}
