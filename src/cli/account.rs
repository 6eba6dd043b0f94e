//! `gt account`: the accounts of each runtime (town.toml `[accounts.<runtime>.<name>]`),
//! which one new sessions use, which are rate-limited, and who runs on which.

use super::output::{Out, or_dash};
use crate::Result;
use crate::work::Ctx;
use crate::work::agents::accounts;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum AccountCmd {
    /// Every account: selected, used by new sessions, rate-limited until when.
    List,
    /// The same, with the agents whose session runs on each.
    Status,
    /// New sessions of the runtime use this account.
    Use { runtime: String, name: String },
}

pub fn run(out: &mut Out, ctx: &mut Ctx, cmd: AccountCmd) -> Result<()> {
    match cmd {
        AccountCmd::List | AccountCmd::Status => {
            let with_agents = matches!(cmd, AccountCmd::Status);
            let list = accounts::list(ctx)?;
            let mut headers = vec!["runtime", "account", "selected", "next", "limited until"];
            if with_agents {
                headers.push("agents");
            }
            out.list(
                "accounts",
                &list,
                "No accounts: each runtime uses its own configuration. Declare some under [accounts.<runtime>.<name>] in town.toml.",
                &headers,
                |_, a| {
                    let mut row = vec![
                        a.account.runtime.clone(),
                        a.account.name.clone(),
                        if a.selected { "yes" } else { "" }.to_string(),
                        if a.next { "yes" } else { "" }.to_string(),
                        or_dash(a.limited_until.as_deref()),
                    ];
                    if with_agents {
                        row.push(a.agents.join(", "));
                    }
                    row
                },
            )
        }
        AccountCmd::Use { runtime, name } => {
            let a = accounts::select(ctx, &runtime, &name)?;
            if out.json {
                return out.json_ser(&super::json::One::new("account", &a));
            }
            out.line(format!(
                "New {runtime} sessions use account {}{}.",
                a.name,
                if accounts::rotates(ctx)? {
                    " (passed over while it is rate-limited: accounts.rotate)"
                } else {
                    ""
                }
            ))
        }
    }
}
