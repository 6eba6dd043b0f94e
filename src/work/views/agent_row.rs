//! One agent as the workspace shows it (Attention reads the same rows the snapshot holds).

/// One agent as the workspace shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgentRow {
    pub address: String,
    pub rig: Option<String>,
    pub role: String,
    pub name: String,
    pub session: crate::work::agents::live::SessionState,
    pub hook: Option<String>,
    pub hook_title: Option<String>,
    pub runtime: Option<String>,
    /// Unix time of the window's last output.
    pub last_activity: Option<i64>,
    /// The last message given to it: state and, when failed, why.
    pub last_delivery: Option<(String, Option<String>)>,
    pub queued: usize,
    pub window: Option<String>,
    pub pane: Option<String>,
    pub exit_status: Option<i32>,
    pub unread_mail: usize,
    /// The witness's verdict and its reason (None in fixtures that predate the witness).
    pub verdict: Option<(crate::work::witness::Verdict, String)>,
}
