//! `gt config …`.

use super::args::ConfigCmd;
use super::io;
use super::output::Out;
use crate::Result;
use crate::town::settings::{Scope, display_value, lookup};
use crate::work::{Ctx, config};
use serde_json::json;

fn scope(rig: &Option<String>, user: bool) -> Scope {
    match (rig, user) {
        (Some(_), _) => Scope::Rig,
        (None, true) => Scope::User,
        (None, false) => Scope::Town,
    }
}

pub fn run(out: &mut Out, ctx: &mut Ctx, cmd: ConfigCmd) -> Result<()> {
    match cmd {
        ConfigCmd::Get { key, rig } => {
            let r = config::get(ctx, &key, rig.as_deref())?;
            if out.json {
                out.json(json!({ "key": r.key, "value": toml_to_json(&r.value), "layer": r.layer.name(), "source": r.source }))
                    .map_err(io)
            } else {
                out.line(r.as_str()).map_err(io)
            }
        }
        ConfigCmd::Set {
            key,
            value,
            rig,
            user,
        } => {
            let path = config::set(ctx, scope(&rig, user), rig.as_deref(), &key, &value)?;
            if out.json {
                out.json(json!({ "key": key, "value": value, "file": path }))
                    .map_err(io)
            } else {
                out.line(format!("{key} = {value} (in {})", path.display()))
                    .map_err(io)
            }
        }
        ConfigCmd::Unset { key, rig, user } => {
            let removed = config::unset(ctx, scope(&rig, user), rig.as_deref(), &key)?;
            if out.json {
                out.json(json!({ "key": key, "removed": removed }))
                    .map_err(io)
            } else if removed {
                out.line(format!("{key} removed")).map_err(io)
            } else {
                out.line(format!("{key} was not set there")).map_err(io)
            }
        }
        ConfigCmd::List { rig } => {
            let all = config::list(ctx, rig.as_deref())?;
            if out.json {
                let items: Vec<_> = all
                    .iter()
                    .map(|r| json!({ "key": r.key, "value": toml_to_json(&r.value), "layer": r.layer.name(), "source": r.source }))
                    .collect();
                return out.json(json!({ "settings": items })).map_err(io);
            }
            let rows: Vec<Vec<String>> = all
                .iter()
                .map(|r| {
                    let help = lookup(r.key).map(|s| s.help).unwrap_or("");
                    vec![
                        r.key.to_string(),
                        display_value(&r.value),
                        r.layer.name().to_string(),
                        help.to_string(),
                    ]
                })
                .collect();
            out.table(&["KEY", "VALUE", "FROM", "MEANING"], &rows)
                .map_err(io)
        }
    }
}

fn toml_to_json(v: &toml::Value) -> serde_json::Value {
    match v {
        toml::Value::Boolean(b) => json!(b),
        toml::Value::Integer(i) => json!(i),
        toml::Value::Float(f) => json!(f),
        other => json!(display_value(other)),
    }
}
