//! Every runtime the town uses: its executable runs (`--version`), whether gt's suite
//! verified its preset (and against which version), and the known environmental traps
//! (running as root without what its autonomous mode needs), each with its fix.

use super::Check;
use crate::agent::{self, procs, startup};
use crate::work::Ctx;
use crate::work::agents::runtime_tools::{self, version};
use std::time::Duration;

pub(super) fn check(ctx: &Ctx) -> Vec<Check> {
    let used = match runtime_tools::used(ctx) {
        Ok(u) => u,
        Err(e) => {
            return vec![Check::error(
                "runtimes",
                format!("cannot tell which runtimes the town uses: {e}"),
                "fix town.toml (default_agent, role_agents)",
            )];
        }
    };
    let root = procs::running_as_root();
    used.iter().map(|name| one(ctx, name, root)).collect()
}

fn one(ctx: &Ctx, name: &str, root: bool) -> Check {
    let area = format!("runtime {name}");
    let rt = match agent::runtime_named(&ctx.town, name) {
        Ok(rt) => rt,
        Err(e) => {
            return Check::error(
                area,
                e.to_string(),
                format!("define it: gt config agent set {name} \"<command line>\""),
            );
        }
    };
    let found = match version::of(&rt, Duration::from_secs(30)) {
        Ok(v) => v,
        Err(e) => {
            return Check::error(
                area,
                e,
                format!(
                    "install {} so that `{}` runs for the user gt runs as, or point the runtime at it: gt config agent set {name} \"/path/to/{}\"",
                    rt.command, rt.command, rt.command
                ),
            );
        }
    };
    let env: Vec<(String, String)> = rt.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    if let Some(fix) = startup::root_trap(&rt, &env, root) {
        return Check::error(area, format!("{found}: {fix}"), fix);
    }
    let verified = match (&rt.verified, rt.command == "{gt}") {
        (_, true) => "gt's own simulator".to_string(),
        (Some(v), _) if found.contains(v.as_str()) => format!("verified by gt's suite against {v}"),
        (Some(v), _) => {
            return Check::warn(
                area,
                format!("{found}: gt's suite verified this preset against {v}, not this version"),
                format!(
                    "if agents of {name} misbehave, try `gt config agent check {name}`, or install {v}"
                ),
            );
        }
        (None, _) => {
            return Check::warn(
                area,
                format!("{found}: this preset is not verified by gt's suite"),
                format!("try it once: gt config agent check {name}"),
            );
        }
    };
    Check::ok(area, format!("{found} ({verified})"))
}
