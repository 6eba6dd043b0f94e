//! TOML text → `Formula`, keeping line numbers for messages.
//!
//! We walk `toml::de::DeTable` by hand instead of deriving `Deserialize`: it keeps spans for
//! every key and value (so errors can name a line), lets unknown keys land in `extra`, and lets
//! a wrong value type be reported with the step id it belongs to.

use super::error::{FormulaError, Loc};
use super::model::{
    Advice, Compose, Expand, Formula, Item, Kind, KindSource, Pointcut, Preset, Step, Synthesis,
    VarSpec,
};
use serde::Deserialize;
use std::ops::Range;
use std::sync::Arc;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

type V<'i> = Spanned<DeValue<'i>>;
type Result<T, E = FormulaError> = std::result::Result<T, E>;

/// How the formula's name is decided.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Naming<'n> {
    /// Looked up by this name: a different `formula = "..."` is an error, none takes it.
    Expect(&'n str),
    /// Text given directly: the `formula` key, else this name (if any).
    Fallback(Option<&'n str>),
}

/// Parse `text` (labelled `file` in messages).
pub(crate) fn parse_formula(text: &str, file: &Arc<str>, naming: Naming) -> Result<Formula> {
    let ctx = Ctx::new(text, file);
    let doc = DeTable::parse(text).map_err(|e| ctx.syntax(&e))?;
    ctx.formula(doc.get_ref(), naming)
}

struct Ctx<'a> {
    text: &'a str,
    file: Arc<str>,
    line_starts: Vec<usize>,
}

impl<'a> Ctx<'a> {
    fn new(text: &'a str, file: &Arc<str>) -> Ctx<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Ctx {
            text,
            file: Arc::clone(file),
            line_starts,
        }
    }

    fn line(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset)
    }

    fn loc(&self, span: &Range<usize>) -> Loc {
        Loc::new(&self.file, Some(self.line(span.start)))
    }

    fn syntax(&self, e: &toml::de::Error) -> FormulaError {
        let offset = e.span().map(|s| s.start).unwrap_or(0).min(self.text.len());
        let line = self.line(offset);
        let start = self.line_starts.get(line - 1).copied().unwrap_or(0);
        // Columns count characters, not bytes; fall back to bytes mid-character.
        let column = self
            .text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(offset - start)
            + 1;
        FormulaError::Syntax {
            file: self.file.to_string(),
            line,
            column,
            message: e.message().trim().to_string(),
        }
    }

    fn bad(&self, v: &V, who: &str, key: &str, wanted: &str) -> FormulaError {
        let prefix = if who.is_empty() {
            String::new()
        } else {
            format!("{who}: ")
        };
        FormulaError::invalid(
            self.loc(&v.span()),
            format!(
                "{prefix}`{key}` must be {wanted}, not {}",
                v.get_ref().type_str()
            ),
        )
    }

    fn string(&self, v: &V, who: &str, key: &str) -> Result<String> {
        match v.get_ref() {
            DeValue::String(s) => Ok(s.to_string()),
            _ => Err(self.bad(v, who, key, "a string")),
        }
    }

    fn boolean(&self, v: &V, who: &str, key: &str) -> Result<bool> {
        v.get_ref()
            .as_bool()
            .ok_or_else(|| self.bad(v, who, key, "true or false"))
    }

    fn strings(&self, v: &V, who: &str, key: &str) -> Result<Vec<String>> {
        let Some(items) = v.get_ref().as_array() else {
            return Err(self.bad(v, who, key, "an array of strings"));
        };
        items
            .iter()
            .map(|item| match item.get_ref() {
                DeValue::String(s) => Ok(s.to_string()),
                _ => Err(self.bad(item, who, key, "an array of strings")),
            })
            .collect()
    }

    fn table<'v, 'i>(&self, v: &'v V<'i>, who: &str, key: &str) -> Result<&'v DeTable<'i>> {
        v.get_ref()
            .as_table()
            .ok_or_else(|| self.bad(v, who, key, "a table"))
    }

    /// `[[key]]` entries (an array of tables).
    fn tables<'v, 'i>(&self, v: &'v V<'i>, key: &str) -> Result<Vec<&'v V<'i>>> {
        let Some(items) = v.get_ref().as_array() else {
            return Err(self.bad(v, "", key, &format!("an array of tables ([[{key}]])")));
        };
        for item in items.iter() {
            if !item.get_ref().is_table() {
                return Err(self.bad(item, "", key, "an array of tables"));
            }
        }
        Ok(items.iter().collect())
    }

    /// Any value, for `extra`.
    fn value(&self, v: &V) -> Result<toml::Value> {
        toml::Value::deserialize(ValueDeserializer::from(v.clone()))
            .map_err(|e| FormulaError::invalid(self.loc(&v.span()), e.message().trim().to_string()))
    }

    /// A variable default: strings as they are, other scalars as their TOML text.
    fn scalar_text(&self, v: &V, who: &str, key: &str) -> Result<String> {
        match self.value(v)? {
            toml::Value::String(s) => Ok(s),
            toml::Value::Integer(i) => Ok(i.to_string()),
            toml::Value::Float(f) => Ok(f.to_string()),
            toml::Value::Boolean(b) => Ok(b.to_string()),
            _ => Err(self.bad(v, who, key, "a string")),
        }
    }

    fn formula(&self, doc: &DeTable, naming: Naming) -> Result<Formula> {
        let file_loc = Loc::file(&self.file);
        let mut f = Formula {
            name: String::new(),
            kind: Kind::Workflow,
            kind_source: KindSource::Default,
            description: None,
            version: None,
            pour: None,
            extends: Vec::new(),
            vars: Vec::new(),
            inputs: Vec::new(),
            steps: Vec::new(),
            legs: Vec::new(),
            synthesis: None,
            templates: Vec::new(),
            advice: Vec::new(),
            pointcuts: Vec::new(),
            aspects: Vec::new(),
            presets: Vec::new(),
            compose: Compose {
                loc: file_loc.clone(),
                ..Compose::default()
            },
            extra: toml::Table::new(),
            loc: file_loc,
        };
        let mut declared_name: Option<(String, Loc)> = None;
        let mut declared_kind = None;
        for (k, v) in doc.iter() {
            let key = k.get_ref().as_ref();
            match key {
                "formula" => declared_name = Some((self.string(v, "", key)?, self.loc(&v.span()))),
                "description" => f.description = Some(self.string(v, "", key)?),
                "type" => {
                    let s = self.string(v, "", key)?;
                    let kind = Kind::parse(&s).ok_or_else(|| FormulaError::UnknownType {
                        loc: self.loc(&v.span()),
                        kind: s.clone(),
                    })?;
                    declared_kind = Some(kind);
                }
                "version" => {
                    let n = v
                        .get_ref()
                        .as_integer()
                        .and_then(|i| i64::from_str_radix(i.as_str(), i.radix()).ok())
                        .ok_or_else(|| self.bad(v, "", key, "an integer"))?;
                    f.version = Some(n);
                }
                "pour" => f.pour = Some(self.boolean(v, "", key)?),
                "extends" => {
                    // A single name is accepted as a one-element list.
                    f.extends = match v.get_ref() {
                        DeValue::String(s) => vec![s.to_string()],
                        _ => self.strings(v, "", key)?,
                    }
                }
                "vars" => f.vars = self.vars(v, key)?,
                "inputs" => f.inputs = self.vars(v, key)?,
                "steps" => {
                    for item in self.tables(v, key)? {
                        f.steps.push(self.step(item, "step")?);
                    }
                }
                "template" => {
                    for item in self.tables(v, key)? {
                        f.templates.push(self.step(item, "template step")?);
                    }
                }
                "legs" => {
                    for item in self.tables(v, key)? {
                        f.legs.push(self.item(item, "leg")?);
                    }
                }
                "aspects" => {
                    for item in self.tables(v, key)? {
                        f.aspects.push(self.item(item, "aspect item")?);
                    }
                }
                "synthesis" => f.synthesis = Some(self.synthesis(v)?),
                "advice" => {
                    for item in self.tables(v, key)? {
                        f.advice.push(self.advice(item)?);
                    }
                }
                "pointcuts" => {
                    for item in self.tables(v, key)? {
                        f.pointcuts.push(self.pointcut(item)?);
                    }
                }
                "presets" => f.presets = self.presets(v)?,
                "compose" => f.compose = self.compose(v)?,
                _ => {
                    f.extra.insert(key.to_string(), self.value(v)?);
                }
            }
        }
        f.name = match (declared_name, naming) {
            (Some((declared, loc)), Naming::Expect(expected)) if declared != expected => {
                return Err(FormulaError::NameMismatch {
                    loc,
                    declared,
                    file_name: expected.to_string(),
                });
            }
            (Some((declared, _)), _) => declared,
            (None, Naming::Expect(name) | Naming::Fallback(Some(name))) => name.to_string(),
            (None, Naming::Fallback(None)) => {
                return Err(FormulaError::invalid(
                    Loc::file(&self.file),
                    "the file has no `formula = \"<name>\"` line",
                ));
            }
        };
        (f.kind, f.kind_source) = match declared_kind {
            Some(kind) => (kind, KindSource::Declared),
            None => match infer_kind(&f) {
                Some(kind) => (kind, KindSource::Inferred),
                None => (Kind::Workflow, KindSource::Default),
            },
        };
        Ok(f)
    }

    fn id_of(&self, t: &DeTable, v: &V, what: &str) -> Result<(String, Loc)> {
        match t.get("id") {
            Some(id) => {
                let s = self.string(id, what, "id")?;
                if s.trim().is_empty() {
                    return Err(FormulaError::invalid(
                        self.loc(&id.span()),
                        format!("{what} has an empty `id`"),
                    ));
                }
                Ok((s, self.loc(&id.span())))
            }
            None => Err(FormulaError::invalid(
                self.loc(&v.span()),
                format!("a {what} has no `id`"),
            )),
        }
    }

    fn step(&self, v: &V, what: &str) -> Result<Step> {
        let t = self.table(v, what, "")?;
        let (id, loc) = self.id_of(t, v, what)?;
        let who = format!("{what} `{id}`");
        let mut s = Step {
            id,
            title: None,
            description: None,
            needs: Vec::new(),
            parallel: None,
            acceptance: None,
            extra: toml::Table::new(),
            loc,
        };
        for (k, v) in t.iter() {
            let key = k.get_ref().as_ref();
            match key {
                "id" => {}
                "title" => s.title = Some(self.string(v, &who, key)?),
                "description" => s.description = Some(self.string(v, &who, key)?),
                "acceptance" => s.acceptance = Some(self.string(v, &who, key)?),
                "needs" => s.needs = self.strings(v, &who, key)?,
                "parallel" => s.parallel = Some(self.boolean(v, &who, key)?),
                _ => {
                    s.extra.insert(key.to_string(), self.value(v)?);
                }
            }
        }
        Ok(s)
    }

    fn item(&self, v: &V, what: &str) -> Result<Item> {
        let t = self.table(v, what, "")?;
        let (id, loc) = self.id_of(t, v, what)?;
        let who = format!("{what} `{id}`");
        let mut item = Item {
            id,
            title: None,
            focus: None,
            description: None,
            extra: toml::Table::new(),
            loc,
        };
        for (k, v) in t.iter() {
            let key = k.get_ref().as_ref();
            match key {
                "id" => {}
                "title" => item.title = Some(self.string(v, &who, key)?),
                "focus" => item.focus = Some(self.string(v, &who, key)?),
                "description" => item.description = Some(self.string(v, &who, key)?),
                _ => {
                    item.extra.insert(key.to_string(), self.value(v)?);
                }
            }
        }
        Ok(item)
    }

    fn synthesis(&self, v: &V) -> Result<Synthesis> {
        let who = "synthesis";
        let t = self.table(v, "", who)?;
        let mut s = Synthesis {
            id: None,
            title: None,
            description: None,
            depends_on: None,
            extra: toml::Table::new(),
            loc: self.loc(&v.span()),
        };
        for (k, v) in t.iter() {
            let key = k.get_ref().as_ref();
            match key {
                "id" => s.id = Some(self.string(v, who, key)?),
                "title" => s.title = Some(self.string(v, who, key)?),
                "description" => s.description = Some(self.string(v, who, key)?),
                "depends_on" => s.depends_on = Some(self.strings(v, who, key)?),
                _ => {
                    s.extra.insert(key.to_string(), self.value(v)?);
                }
            }
        }
        Ok(s)
    }

    fn advice(&self, v: &V) -> Result<Advice> {
        let t = self.table(v, "advice", "")?;
        let target = match t.get("target") {
            Some(target) => self.string(target, "advice", "target")?,
            None => {
                return Err(FormulaError::invalid(
                    self.loc(&v.span()),
                    "an [[advice]] has no `target` (a step id or glob such as \"implement\" or \"*\")",
                ));
            }
        };
        let who = format!("advice for `{target}`");
        let mut a = Advice {
            target,
            before: Vec::new(),
            after: Vec::new(),
            extra: toml::Table::new(),
            loc: t
                .get("target")
                .map(|x| self.loc(&x.span()))
                .unwrap_or_else(|| self.loc(&v.span())),
        };
        for (k, v) in t.iter() {
            let key = k.get_ref().as_ref();
            match key {
                "target" => {}
                "before" | "after" => self.advice_steps(&mut a, key, v)?,
                "around" => {
                    let around = self.table(v, &who, key)?;
                    for (k2, v2) in around.iter() {
                        let key2 = k2.get_ref().as_ref();
                        match key2 {
                            "before" | "after" => self.advice_steps(&mut a, key2, v2)?,
                            _ => {
                                // Kept under `around.<key>` so nothing written is lost.
                                let entry = a
                                    .extra
                                    .entry("around")
                                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                                if let toml::Value::Table(tab) = entry {
                                    tab.insert(key2.to_string(), self.value(v2)?);
                                }
                            }
                        }
                    }
                }
                _ => {
                    a.extra.insert(key.to_string(), self.value(v)?);
                }
            }
        }
        Ok(a)
    }

    fn advice_steps(&self, a: &mut Advice, key: &str, v: &V) -> Result<()> {
        let what = format!("advice {key} step");
        for item in self.tables(v, key)? {
            let step = self.step(item, &what)?;
            if key == "before" {
                a.before.push(step);
            } else {
                a.after.push(step);
            }
        }
        Ok(())
    }

    fn pointcut(&self, v: &V) -> Result<Pointcut> {
        let t = self.table(v, "pointcut", "")?;
        let mut p = Pointcut {
            glob: String::new(),
            extra: toml::Table::new(),
            loc: self.loc(&v.span()),
        };
        let mut glob = None;
        for (k, v) in t.iter() {
            let key = k.get_ref().as_ref();
            match key {
                "glob" => {
                    glob = Some(self.string(v, "pointcut", key)?);
                    p.loc = self.loc(&v.span());
                }
                _ => {
                    p.extra.insert(key.to_string(), self.value(v)?);
                }
            }
        }
        p.glob = glob.ok_or_else(|| {
            FormulaError::invalid(self.loc(&v.span()), "a [[pointcuts]] entry has no `glob`")
        })?;
        Ok(p)
    }

    /// `[vars]` / `[inputs]`, in file order (the TOML map is sorted by key, the spans are not).
    fn vars(&self, v: &V, section: &str) -> Result<Vec<VarSpec>> {
        let t = self.table(v, "", section)?;
        let mut entries: Vec<_> = t.iter().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        let mut out = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let name = k.get_ref().to_string();
            let who = format!("{section}.{name}");
            let mut var = VarSpec {
                name,
                description: None,
                required: None,
                default: None,
                type_name: None,
                required_unless: Vec::new(),
                extra: toml::Table::new(),
                loc: self.loc(&k.span()),
            };
            match v.get_ref() {
                DeValue::Table(fields) => {
                    for (fk, fv) in fields.iter() {
                        let key = fk.get_ref().as_ref();
                        match key {
                            "description" => var.description = Some(self.string(fv, &who, key)?),
                            "required" => var.required = Some(self.boolean(fv, &who, key)?),
                            "default" => var.default = Some(self.scalar_text(fv, &who, key)?),
                            "type" => var.type_name = Some(self.string(fv, &who, key)?),
                            "required_unless" => {
                                var.required_unless = self.strings(fv, &who, key)?
                            }
                            _ => {
                                var.extra.insert(key.to_string(), self.value(fv)?);
                            }
                        }
                    }
                }
                // `name = "default"` directly under [vars].
                _ => var.default = Some(self.scalar_text(v, &who, "default")?),
            }
            out.push(var);
        }
        Ok(out)
    }

    fn presets(&self, v: &V) -> Result<Vec<Preset>> {
        let t = self.table(v, "", "presets")?;
        let mut entries: Vec<_> = t.iter().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        let mut out = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let name = k.get_ref().to_string();
            let who = format!("preset `{name}`");
            let fields = self.table(v, &who, "")?;
            let mut p = Preset {
                name,
                description: None,
                legs: Vec::new(),
                extra: toml::Table::new(),
                loc: self.loc(&k.span()),
            };
            for (fk, fv) in fields.iter() {
                let key = fk.get_ref().as_ref();
                match key {
                    "description" => p.description = Some(self.string(fv, &who, key)?),
                    "legs" => p.legs = self.strings(fv, &who, key)?,
                    _ => {
                        p.extra.insert(key.to_string(), self.value(fv)?);
                    }
                }
            }
            out.push(p);
        }
        Ok(out)
    }

    fn compose(&self, v: &V) -> Result<Compose> {
        let who = "compose";
        let t = self.table(v, "", who)?;
        let mut c = Compose {
            loc: self.loc(&v.span()),
            ..Compose::default()
        };
        for (k, v) in t.iter() {
            let key = k.get_ref().as_ref();
            match key {
                "aspects" => {
                    c.aspects = self.strings(v, who, key)?;
                    c.loc = self.loc(&v.span());
                }
                "expand" => {
                    for item in self.tables(v, "compose.expand")? {
                        c.expand.push(self.expand(item)?);
                    }
                }
                _ => {
                    c.extra.insert(key.to_string(), self.value(v)?);
                }
            }
        }
        Ok(c)
    }

    fn expand(&self, v: &V) -> Result<Expand> {
        let who = "[[compose.expand]]";
        let t = self.table(v, who, "")?;
        let mut target = None;
        let mut with = None;
        let mut loc = self.loc(&v.span());
        let mut extra = toml::Table::new();
        for (k, v) in t.iter() {
            let key = k.get_ref().as_ref();
            match key {
                "target" => {
                    target = Some(self.string(v, who, key)?);
                    loc = self.loc(&v.span());
                }
                "with" => with = Some(self.string(v, who, key)?),
                _ => {
                    extra.insert(key.to_string(), self.value(v)?);
                }
            }
        }
        match (target, with) {
            (Some(target), Some(with)) => Ok(Expand {
                target,
                with,
                extra,
                loc,
            }),
            _ => Err(FormulaError::invalid(
                loc,
                "a [[compose.expand]] needs both `target` (a step id) and `with` (an expansion formula)",
            )),
        }
    }
}

/// No `type`: steps → workflow, legs → convoy, template → expansion, advice/pointcuts/aspects
/// → aspect; nothing telling → `None` (a workflow by default, or the parent's type).
pub(crate) fn infer_kind(f: &Formula) -> Option<Kind> {
    if !f.steps.is_empty() {
        Some(Kind::Workflow)
    } else if !f.legs.is_empty() {
        Some(Kind::Convoy)
    } else if !f.templates.is_empty() {
        Some(Kind::Expansion)
    } else if !f.advice.is_empty() || !f.pointcuts.is_empty() || !f.aspects.is_empty() {
        Some(Kind::Aspect)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Formula> {
        parse_formula(text, &Arc::from("t.formula.toml"), Naming::Fallback(None))
    }

    #[test]
    fn infers_kind_and_keeps_unknown_keys() {
        let f = parse(
            "formula = \"x\"\nreview_only = true\n[[steps]]\nid = \"a\"\nweird = 3\n[output]\ndir = \"d\"\n",
        )
        .unwrap();
        assert_eq!(f.kind, Kind::Workflow);
        assert_eq!(f.kind_source, KindSource::Inferred);
        assert!(f.extra.contains_key("review_only"));
        assert!(f.extra.contains_key("output"));
        assert_eq!(
            f.steps[0].extra.get("weird").and_then(|v| v.as_integer()),
            Some(3)
        );
        assert_eq!(f.steps[0].loc.line, Some(4));
    }

    #[test]
    fn vars_keep_file_order_and_bare_defaults() {
        let f = parse(
            "formula = \"x\"\n[vars]\nzeta = \"z\"\nalpha = 3\n[vars.mid]\ndescription = \"m\"\nrequired = true\n",
        )
        .unwrap();
        let names: Vec<_> = f.vars.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["zeta", "alpha", "mid"]);
        assert_eq!(f.vars[1].default.as_deref(), Some("3"));
        assert_eq!(f.vars[2].required, Some(true));
    }

    #[test]
    fn wrong_value_type_names_step_and_line() {
        let err = parse("formula = \"x\"\n[[steps]]\nid = \"a\"\nneeds = \"b\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("t.formula.toml:4"), "{err}");
        assert!(err.contains("step `a`"), "{err}");
        assert!(err.contains("`needs` must be an array of strings"), "{err}");
    }

    #[test]
    fn missing_id_is_an_error() {
        let err = parse("formula = \"x\"\n[[steps]]\ntitle = \"a\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("has no `id`"), "{err}");
    }

    #[test]
    fn advice_accepts_direct_before_after() {
        let f = parse(
            "formula = \"x\"\n[[advice]]\ntarget = \"*\"\n[[advice.before]]\nid = \"{step.id}-pre\"\n[[advice.around.after]]\nid = \"{step.id}-post\"\n",
        )
        .unwrap();
        assert_eq!(f.kind, Kind::Aspect);
        assert_eq!(f.advice[0].before.len(), 1);
        assert_eq!(f.advice[0].after.len(), 1);
    }
}
