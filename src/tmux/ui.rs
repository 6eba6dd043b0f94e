//! What a person sees and presses on the town's server (DESIGN.md §5, §8): keys to step
//! through a rig's agents, an agent menu, and a status line naming the agent in view. All of
//! it is installed on our private server only, never on the user's own tmux.

use super::{Server, TmuxError};
use std::path::Path;
use tmux_interface::{SetOption, TmuxCommand};

/// Next agent window of the rig (the session), without the prefix.
pub const NEXT_KEY: &str = "M-Right";
/// Previous agent window of the rig, without the prefix.
pub const PREV_KEY: &str = "M-Left";
/// The agent menu, without the prefix.
pub const MENU_KEY: &str = "M-g";
/// The agent menu after the prefix (tmux leaves `g` unbound).
pub const MENU_PREFIX_KEY: &str = "g";
/// The town server's prefix. Not tmux's `C-b` (nor screen's `C-a`): a person attached from
/// inside their own tmux would detach or steer the wrong one.
pub const PREFIX: &str = "C-]";
/// Seconds between refreshes of the status line's `gt tmux status` job.
pub const STATUS_INTERVAL: &str = "5";

/// The gt binary and the town whose helpers the server's keys and status line call.
#[derive(Debug, Clone, Copy)]
pub struct UiHost<'a> {
    pub gt: &'a Path,
    pub town: &'a Path,
}

/// The commands that install the keys, menu and status line; chained into the call that
/// creates a window, so they cost no tmux process of their own. Without a host (a window
/// that belongs to no town) only what needs no gt helper is installed.
pub fn server_commands(host: Option<UiHost<'_>>) -> Vec<TmuxCommand<'static>> {
    let mut cmds = vec![
        global("prefix", PREFIX),
        global("prefix2", "None"),
        raw(&["unbind-key", "C-b"]),
        // Pressed twice, the prefix reaches the program in the window.
        raw(&["bind-key", PREFIX, "send-prefix"]),
        raw(&["bind-key", "-n", NEXT_KEY, "next-window"]),
        raw(&["bind-key", "-n", PREV_KEY, "previous-window"]),
        global("set-titles", "off"),
        global("mouse", "on"),
        global("status", "on"),
        global("status-interval", STATUS_INTERVAL),
        global("status-style", "bg=colour236,fg=colour252"),
        global(
            "window-status-current-style",
            "bg=colour31,fg=colour255,bold",
        ),
        global("status-left-length", "48"),
        global(
            "status-left",
            "#[bg=colour25,fg=colour255,bold] #{session_name} #[default] #[fg=colour250]ctrl-] d detach #[default] ",
        ),
        global("status-right-length", "90"),
    ];
    match host {
        Some(h) => {
            // The paths travel in the server's environment rather than in the formats: a
            // path may hold characters (`#`, `%`, `)`, quotes) that formats or the shell
            // would read as syntax.
            cmds.push(raw(&[
                "set-environment",
                "-g",
                "GT_TOWN",
                &h.town.to_string_lossy(),
            ]));
            cmds.push(raw(&[
                "set-environment",
                "-g",
                "GT_BIN",
                &h.gt.to_string_lossy(),
            ]));
            // stderr joins stdout so a failure shows in the pane instead of vanishing.
            let menu = concat!(
                r#"cd "$GT_TOWN" && exec "$GT_BIN" tmux menu"#,
                r#" --client #{q:client_name} --height #{client_height} 2>&1"#
            );
            cmds.push(raw(&["bind-key", "-n", MENU_KEY, "run-shell", "-b", menu]));
            cmds.push(raw(&["bind-key", MENU_PREFIX_KEY, "run-shell", "-b", menu]));
            // A pane whose program exits touches a file the supervisor's watcher sees, so the
            // witness looks at once instead of on its next round.
            cmds.push(raw(&[
                "set-hook",
                "-g",
                "pane-died",
                r#"run-shell -b 'touch "$GT_TOWN/.gt/pane-died" 2>/dev/null || true'"#,
            ]));
            // Only agent windows ask gt; if gt cannot answer, the address still shows (no
            // `exec` here: the fallback runs after gt).
            cmds.push(global(
                "status-right",
                concat!(
                    r#"#{?@gt_agent,#(cd "$GT_TOWN" && "$GT_BIN" tmux status #{q:@gt_agent}"#,
                    r#" 2>/dev/null || echo #{q:@gt_agent}) ,}"#
                ),
            ));
        }
        None => cmds.push(global(
            "status-right",
            "#{?@gt_agent,#{@gt_agent}#{?@gt_bead, · #{@gt_bead},} ,}",
        )),
    }
    cmds
}

/// One line of an agent menu.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MenuItem {
    /// A line between groups.
    Separator,
    /// Shown dimmed, not choosable (a rig's heading, an agent with no window).
    Label { text: String },
    /// Choosing it switches the client to `target` (`=<session>:<window id>`).
    Switch {
        text: String,
        key: String,
        target: String,
    },
}

impl Server {
    /// Shows a menu on `client` (None: the client tmux considers current) and returns once
    /// it is up (or failed). The tmux process that showed it stays until the menu closes,
    /// then runs the chosen item itself.
    pub fn display_menu(
        &self,
        client: Option<&str>,
        title: &str,
        items: &[MenuItem],
    ) -> Result<(), TmuxError> {
        let settle = std::time::Duration::from_millis(300);
        self.run_detached(vec![menu_cmd(client, title, items)], settle)
    }

    /// The agent tagged on a pane's window (`@gt_agent`); None when the pane does not exist
    /// or its window is not an agent's.
    pub fn pane_agent(&self, pane: &str) -> Result<Option<String>, TmuxError> {
        let cmd = tmux_interface::DisplayMessage::new()
            .print()
            .target_pane(pane.to_string())
            .message("#{pane_id} #{@gt_agent}")
            .build();
        let out = self.run(vec![cmd], None)?;
        // tmux prints blanks rather than failing for a pane id it does not know.
        let (id, agent) = out.trim().split_once(' ').unwrap_or((out.trim(), ""));
        Ok((id == pane && !agent.is_empty()).then(|| agent.to_string()))
    }
}

/// `display-menu [-c client] -T title -x C -y C <name key command>…`.
fn menu_cmd(client: Option<&str>, title: &str, items: &[MenuItem]) -> TmuxCommand<'static> {
    let mut c = TmuxCommand::with_name("display-menu");
    if let Some(client) = client {
        c.push_param("-c").push_param(client.to_string());
    }
    c.push_param("-T")
        .push_param(format!(
            "#[align=centre] {} ",
            super::escape::format_literal(title)
        ))
        .push_param("-x")
        .push_param("C")
        .push_param("-y")
        .push_param("C")
        // A dimmed first item starts with `-`: it must not read as a flag.
        .push_param("--");
    for item in items {
        let (name, key, command) = match item {
            MenuItem::Separator => (String::new(), String::new(), String::new()),
            // A leading `-` is what makes tmux dim an item and refuse to choose it.
            MenuItem::Label { text } => (
                format!("-{}", super::escape::format_literal(text)),
                String::new(),
                String::new(),
            ),
            MenuItem::Switch { text, key, target } => {
                let name = super::escape::format_literal(text);
                // A name of its own starting with `-` would read as disabled.
                let name = if name.starts_with('-') {
                    format!(" {name}")
                } else {
                    name
                };
                // The item runs in the tmux process that showed the menu, not in the
                // person's client: name the client, or tmux picks the likeliest one.
                let who = client
                    .map(|c| format!("-c {} ", quote(c)))
                    .unwrap_or_default();
                let command = format!("switch-client {who}-t {}", quote(target));
                (name, key.clone(), command)
            }
        };
        c.push_param(name);
        if !matches!(item, MenuItem::Separator) {
            c.push_param(key).push_param(command);
        }
    }
    c
}

/// A single-quoted word for tmux's command parser.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn raw(args: &[&str]) -> TmuxCommand<'static> {
    let mut c = TmuxCommand::with_name(args[0].to_string());
    for a in &args[1..] {
        c.push_param(a.to_string());
    }
    c
}

fn global(option: &str, value: &str) -> TmuxCommand<'static> {
    SetOption::new()
        .global()
        .option(option.to_string())
        .value(value.to_string())
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(c: &TmuxCommand<'static>) -> Vec<String> {
        c.to_vec().into_iter().map(|s| s.into_owned()).collect()
    }

    #[test]
    fn menu_items_become_name_key_command_triples() {
        let items = [
            MenuItem::Label {
                text: "shop".into(),
            },
            MenuItem::Switch {
                text: "polecats/ash #1".into(),
                key: "1".into(),
                target: "=shop:@3".into(),
            },
            MenuItem::Separator,
            MenuItem::Switch {
                text: "-odd".into(),
                key: "2".into(),
                target: "=hq:@1".into(),
            },
        ];
        let v = argv(&menu_cmd(Some("/dev/pts/4"), "agents", &items));
        assert_eq!(v[..4], ["display-menu", "-c", "/dev/pts/4", "-T"]);
        assert_eq!(v[9], "--");
        let rest = &v[10..];
        assert_eq!(
            rest,
            [
                "-shop",
                "",
                "",
                "polecats/ash ##1",
                "1",
                "switch-client -c '/dev/pts/4' -t '=shop:@3'",
                "",
                " -odd",
                "2",
                "switch-client -c '/dev/pts/4' -t '=hq:@1'",
            ]
        );
    }

    #[test]
    fn gt_helpers_are_bound_only_for_a_town() {
        let gt = Path::new("/opt/gt bin/gt");
        let town = Path::new("/home/a/my town");
        let with = server_commands(Some(UiHost { gt, town }));
        let all: Vec<String> = with.iter().flat_map(argv).collect();
        assert!(all.iter().any(|a| a == "/opt/gt bin/gt"));
        assert!(all.iter().any(|a| a.contains("tmux menu")));
        let without: Vec<String> = server_commands(None).iter().flat_map(argv).collect();
        assert!(!without.iter().any(|a| a.contains("GT_BIN")));
        assert!(without.iter().any(|a| a == NEXT_KEY));
        // An argument ending in `;` would split tmux's chained command line.
        assert!(all.iter().chain(&without).all(|a| !a.ends_with(';')));
    }
}
