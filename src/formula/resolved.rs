//! A formula after composition: the flat, ordered step list a molecule is poured from.

use super::error::FormulaError;
use super::model::{Kind, Origin};
use super::text::substitute_vars;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Debug, Clone, Serialize)]
pub struct VarDef {
    pub name: String,
    pub description: Option<String>,
    pub required: bool,
    pub default: Option<String>,
    /// Convoy inputs: required unless one of these is given.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub required_unless: Vec<String>,
}

/// What a step is in the formula's shape. `Aspect` marks both `[[aspects]]` items and steps an
/// aspect's advice inserted around other steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepRole {
    Step,
    Leg,
    Synthesis,
    Aspect,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResolvedStep {
    pub id: String,
    /// The written title, or the id when there is none.
    pub title: String,
    /// Legs and aspect items with a `focus` get `Focus: <focus>` as the first paragraph.
    pub description: String,
    pub needs: Vec<String>,
    pub acceptance: Option<String>,
    pub role: StepRole,
}

#[derive(Debug, Clone, Serialize)]
pub struct Resolved {
    pub name: String,
    pub kind: Kind,
    pub description: String,
    pub version: Option<i64>,
    pub origin: Origin,
    /// Declared vars, then convoy inputs, in file order (parents' first, then composed ones').
    pub vars: Vec<VarDef>,
    /// Running order: a step comes after everything it needs; among steps free at the same
    /// time, file/composition order.
    pub steps: Vec<ResolvedStep>,
    /// Convoy presets: name → leg ids.
    pub presets: BTreeMap<String, Vec<String>>,
}

impl Resolved {
    /// Wave k = the steps whose needs are all in waves before k (wave 0 needs nothing).
    pub fn waves(&self) -> Vec<Vec<&ResolvedStep>> {
        let mut wave_of: HashMap<&str, usize> = HashMap::with_capacity(self.steps.len());
        let mut waves: Vec<Vec<&ResolvedStep>> = Vec::new();
        for step in &self.steps {
            // Steps are in running order, so every need already has its wave.
            let w = step
                .needs
                .iter()
                .filter_map(|n| wave_of.get(n.as_str()))
                .map(|w| w + 1)
                .max()
                .unwrap_or(0);
            wave_of.insert(&step.id, w);
            if waves.len() <= w {
                waves.resize_with(w + 1, Vec::new);
            }
            waves[w].push(step);
        }
        waves
    }

    /// Defaults applied, every `{{var}}` with a value substituted in titles, descriptions and
    /// acceptance (and the formula description). A declared var with no value and no default
    /// stays as the literal `{{name}}` text, for the agent to fill in.
    ///
    /// Errors: a given name the formula does not declare (all such names, with the declared
    /// ones); required vars with no value and no default (all of them, with `--var` hints). An
    /// input with `required_unless` is satisfied by a value for it or any of those it lists.
    pub fn instantiate(&self, given: &BTreeMap<String, String>) -> Result<Resolved, FormulaError> {
        let declared: HashSet<&str> = self.vars.iter().map(|v| v.name.as_str()).collect();
        let unknown: Vec<String> = given
            .keys()
            .filter(|k| !declared.contains(k.as_str()))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(FormulaError::UnknownVars {
                formula: self.name.clone(),
                unknown,
                declared: self.vars.iter().map(|v| v.name.clone()).collect(),
            });
        }

        let mut values: HashMap<&str, &str> = HashMap::new();
        for v in &self.vars {
            if let Some(x) = given.get(&v.name).or(v.default.as_ref()) {
                values.insert(&v.name, x);
            }
        }

        let mut missing = Vec::new();
        let mut missing_names = Vec::new();
        let mut reported: HashSet<&str> = HashSet::new();
        for v in &self.vars {
            if values.contains_key(v.name.as_str()) || reported.contains(v.name.as_str()) {
                continue;
            }
            if !v.required_unless.is_empty() {
                if v.required_unless
                    .iter()
                    .any(|o| values.contains_key(o.as_str()))
                {
                    continue;
                }
                missing.push(format!(
                    "{} (or one of: {})",
                    v.name,
                    v.required_unless.join(", ")
                ));
                missing_names.push(v.name.clone());
                reported.insert(&v.name);
                reported.extend(v.required_unless.iter().map(String::as_str));
            } else if v.required {
                missing.push(v.name.clone());
                missing_names.push(v.name.clone());
                reported.insert(&v.name);
            }
        }
        if !missing.is_empty() {
            return Err(FormulaError::MissingVars {
                formula: self.name.clone(),
                missing,
                missing_names,
            });
        }

        let sub = |text: &str| substitute_vars(text, |name| values.get(name).copied());
        let mut out = self.clone();
        out.description = sub(&self.description);
        for step in &mut out.steps {
            step.title = sub(&step.title);
            step.description = sub(&step.description);
            if let Some(a) = &step.acceptance {
                step.acceptance = Some(sub(a));
            }
        }
        Ok(out)
    }

    /// Convoy: keep only the preset's legs (other steps stay), with every `needs` cut to the
    /// steps kept. An unknown preset is an error naming the known ones.
    pub fn with_preset(&self, preset: &str) -> Result<Resolved, FormulaError> {
        let Some(legs) = self.presets.get(preset) else {
            return Err(FormulaError::UnknownPreset {
                formula: self.name.clone(),
                preset: preset.to_string(),
                known: self.presets.keys().cloned().collect(),
            });
        };
        let keep: HashSet<&str> = legs.iter().map(String::as_str).collect();
        let dropped: HashSet<&str> = self
            .steps
            .iter()
            .filter(|s| s.role == StepRole::Leg && !keep.contains(s.id.as_str()))
            .map(|s| s.id.as_str())
            .collect();
        let mut out = self.clone();
        out.steps.retain(|s| !dropped.contains(s.id.as_str()));
        for s in &mut out.steps {
            s.needs.retain(|n| !dropped.contains(n.as_str()));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(id: &str, needs: &[&str], title: &str) -> ResolvedStep {
        ResolvedStep {
            id: id.into(),
            title: title.into(),
            description: String::new(),
            needs: needs.iter().map(|s| s.to_string()).collect(),
            acceptance: None,
            role: StepRole::Step,
        }
    }

    fn var(name: &str, required: bool, default: Option<&str>) -> VarDef {
        VarDef {
            name: name.into(),
            description: None,
            required,
            default: default.map(str::to_string),
            required_unless: Vec::new(),
        }
    }

    fn resolved() -> Resolved {
        Resolved {
            name: "f".into(),
            kind: Kind::Workflow,
            description: "{{who}}".into(),
            version: None,
            origin: Origin::BuiltIn,
            vars: vec![
                var("who", true, None),
                var("mood", false, Some("calm")),
                var("later", false, None),
            ],
            steps: vec![
                step("a", &[], "{{who}} is {{mood}}"),
                step("b", &["a"], "{{later}} {{.x}}"),
                step("c", &[], "c"),
                step("d", &["b", "c"], "d"),
            ],
            presets: BTreeMap::new(),
        }
    }

    #[test]
    fn waves_group_by_depth() {
        let r = resolved();
        let w: Vec<Vec<&str>> = r
            .waves()
            .iter()
            .map(|w| w.iter().map(|s| s.id.as_str()).collect())
            .collect();
        assert_eq!(w, vec![vec!["a", "c"], vec!["b"], vec!["d"]]);
    }

    #[test]
    fn instantiate_fills_given_and_defaults() {
        let given = BTreeMap::from([("who".to_string(), "Ann".to_string())]);
        let r = resolved().instantiate(&given).unwrap();
        assert_eq!(r.steps[0].title, "Ann is calm");
        assert_eq!(r.steps[1].title, "{{later}} {{.x}}");
        assert_eq!(r.description, "Ann");
    }

    #[test]
    fn required_unless_groups() {
        let mut r = resolved();
        r.vars = vec![
            VarDef {
                required_unless: vec!["files".into()],
                ..var("pr", false, None)
            },
            VarDef {
                required_unless: vec!["pr".into()],
                ..var("files", false, None)
            },
        ];
        let err = r.instantiate(&BTreeMap::new()).unwrap_err().to_string();
        assert!(err.contains("pr (or one of: files)"), "{err}");
        assert!(!err.contains("files (or"), "{err}");
        let given = BTreeMap::from([("files".to_string(), "*.rs".to_string())]);
        assert!(r.instantiate(&given).is_ok());
    }
}
