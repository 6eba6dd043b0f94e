//! What is running on the town's server, read with one `list-panes -a`.

const SEP: &str = "|~|";

/// The fields of `PANE_FORMAT`, in order.
pub const PANE_FORMAT: &str = concat!(
    "#{session_name}|~|#{window_id}|~|#{window_name}|~|#{pane_id}|~|#{pane_pid}|~|",
    "#{pane_dead}|~|#{pane_dead_status}|~|#{pane_current_command}|~|#{window_activity}|~|",
    "#{session_attached}|~|#{window_active}|~|#{@gt_agent}|~|#{@gt_bead}|~|#{pane_width}|~|",
    "#{pane_height}|~|#{@gt_daemon}|~|#{@gt_started}|~|#{@gt_ready}"
);

/// One pane (every agent window has exactly one).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Pane {
    pub session: String,
    pub window_id: String,
    pub window_name: String,
    pub pane_id: String,
    pub pid: Option<u32>,
    /// The process in the pane exited (the window stays: remain-on-exit).
    pub dead: bool,
    pub exit_status: Option<i32>,
    pub current_command: String,
    /// Unix time of the window's last output.
    pub activity: Option<i64>,
    /// Clients attached to the session.
    pub attached_clients: u32,
    pub window_active: bool,
    /// `@gt_agent`: set on every window gt created.
    pub agent: Option<String>,
    pub bead: Option<String>,
    pub width: u32,
    pub height: u32,
    /// `@gt_daemon`: the town supervisor's window.
    pub daemon: bool,
    /// `@gt_started`: Unix time its program was started (by gt).
    pub started: Option<i64>,
    /// `@gt_ready`: its runtime reached its prompt once (gt saw it).
    pub ready: bool,
}

impl Pane {
    /// A person is looking at this window right now.
    pub fn human_attached(&self) -> bool {
        self.attached_clients > 0 && self.window_active
    }
}

/// Parses `list-panes -a -F PANE_FORMAT` output; lines that do not fit are skipped.
pub fn parse(output: &str) -> Vec<Pane> {
    output.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<Pane> {
    let f: Vec<&str> = line.split(SEP).collect();
    if f.len() != 18 {
        return None;
    }
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    Some(Pane {
        session: f[0].to_string(),
        window_id: f[1].to_string(),
        window_name: f[2].to_string(),
        pane_id: f[3].to_string(),
        pid: f[4].parse().ok(),
        dead: f[5] == "1",
        exit_status: f[6].parse().ok(),
        current_command: f[7].to_string(),
        activity: f[8].parse().ok(),
        attached_clients: f[9].parse().unwrap_or(0),
        window_active: f[10] == "1",
        agent: opt(f[11]),
        bead: opt(f[12]),
        width: f[13].parse().unwrap_or(0),
        height: f[14].parse().unwrap_or(0),
        daemon: f[15] == "1",
        started: f[16].parse().ok(),
        ready: f[17] == "1",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_live_and_dead_panes() {
        let out = "gastown|~|@3|~|nux|~|%4|~|1234|~|0|~||~|gt|~|1700000000|~|1|~|1|~|gastown/polecats/nux|~|gt-ab12|~|160|~|45|~||~|1700000000|~|1\n\
                   hq|~|@1|~|mayor|~|%1|~||~|1|~|137|~|bash|~|1700000001|~|0|~|0|~||~||~|80|~|24|~|1|~||~|\n\
                   garbage line\n";
        let panes = parse(out);
        assert_eq!(panes.len(), 2);
        assert_eq!(panes[0].agent.as_deref(), Some("gastown/polecats/nux"));
        assert_eq!(panes[0].pid, Some(1234));
        assert!(panes[0].human_attached());
        assert!(panes[1].dead);
        assert_eq!(panes[1].exit_status, Some(137));
        assert_eq!(panes[1].agent, None);
        assert!(!panes[1].human_attached());
        assert!(panes[1].daemon && !panes[0].daemon);
        assert_eq!(panes[0].started, Some(1_700_000_000));
        assert!(panes[0].ready && !panes[1].ready);
    }
}
