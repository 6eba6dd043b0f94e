//! Each host of the town: reachable over ssh, with tmux, git, disk and this gt (`--fix`
//! installs gt there).

use super::Check;
use crate::work::Ctx;
use crate::work::hosts;

pub(super) fn check(ctx: &Ctx, fix: bool) -> Vec<Check> {
    let all = match crate::town::hosts::load(&ctx.town.paths) {
        Ok(h) => h,
        Err(e) => {
            return vec![Check::error(
                "hosts",
                format!("hosts.toml does not read: {e}"),
                "fix hosts.toml in the town's folder",
            )];
        }
    };
    all.iter().map(|h| one(ctx, h, fix)).collect()
}

fn one(ctx: &Ctx, h: &crate::town::hosts::HostConfig, fix: bool) -> Check {
    let area = format!("host {}", h.name);
    let c = match hosts::check(ctx, h) {
        Ok(c) => c,
        Err(e) => {
            return Check::error(
                area,
                format!("{} does not answer: {e}", h.url),
                "check the machine and its ssh server; its agents wait until it is back",
            );
        }
    };
    let detail = format!(
        "{} · round trip {:.1} ms · {} · {} · {} MB free",
        h.url,
        c.round_trip_ms,
        c.tmux.as_deref().unwrap_or("no tmux"),
        c.git.as_deref().unwrap_or("no git"),
        c.disk_free_mb
            .map(|m| m.to_string())
            .unwrap_or_else(|| "?".into()),
    );
    if c.problems.is_empty() {
        return Check::ok(area, detail);
    }
    let only_gt = !c.gt_current && c.problems.len() == 1;
    let mut check = Check::error(
        area,
        format!("{detail}: {}", c.problems.join("; ")),
        if only_gt {
            format!(
                "install this gt there (`gt host check {} --install`)",
                h.name
            )
        } else {
            "install or free what is missing there".into()
        },
    );
    if only_gt {
        check = check.fixable();
        if fix {
            let res = hosts::check_installing(ctx, h, true).map(|_| ());
            check.outcome(res);
        }
    }
    check
}
