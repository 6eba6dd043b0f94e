//! What one open page (or script) is sent, shared by the page's WebSocket and the scripts'
//! event stream: the town's state whenever it changes, and the screen of the agent it shows
//! whenever that changes.

use super::hub::{Frame, Hub, Viewer};
use std::sync::Arc;
use tokio::sync::watch;

pub enum Push {
    State(Arc<str>),
    Screen(Arc<str>),
}

impl Push {
    /// As one JSON message: `{"state": …}` or `{"screen": …}` (both parts are JSON already).
    pub fn message(&self) -> String {
        match self {
            Push::State(s) => format!("{{\"state\":{s}}}"),
            Push::Screen(s) => format!("{{\"screen\":{s}}}"),
        }
    }
}

pub struct Feed {
    rx: watch::Receiver<Arc<Frame>>,
    viewer: Viewer,
    sent_state: Option<Arc<str>>,
    sent_screen: Option<Arc<str>>,
}

/// An agent address as a page may name one.
pub fn agent_name(a: Option<&str>) -> Option<String> {
    a.filter(|a| !a.is_empty() && a.len() <= 200 && !a.chars().any(char::is_control))
        .map(str::to_string)
}

impl Feed {
    pub fn new(hub: &Arc<Hub>, agent: Option<String>) -> Feed {
        Feed {
            rx: hub.subscribe(),
            viewer: hub.watch(agent),
            sent_state: None,
            sent_screen: None,
        }
    }

    /// The page now shows another agent's screen (or none).
    pub fn show(&mut self, agent: Option<String>) {
        self.viewer.show(agent);
        self.sent_screen = None;
        self.rx.mark_changed();
    }

    /// What the page has not been sent yet.
    pub fn due(&mut self) -> Vec<Push> {
        let frame = self.rx.borrow_and_update().clone();
        let mut out = Vec::new();
        if frame.version == 0 {
            return out;
        }
        if self
            .sent_state
            .as_ref()
            .is_none_or(|s| !Arc::ptr_eq(s, &frame.state))
        {
            out.push(Push::State(frame.state.clone()));
            self.sent_state = Some(frame.state.clone());
        }
        if let Some(sc) = self.viewer.agent().and_then(|a| frame.screens.get(a))
            && self.sent_screen.as_ref().is_none_or(|s| s != sc)
        {
            out.push(Push::Screen(sc.clone()));
            self.sent_screen = Some(sc.clone());
        }
        out
    }

    /// Waits for the next look at the town; false once the dashboard is stopping.
    pub async fn next(&mut self) -> bool {
        !self.viewer.closing() && self.rx.changed().await.is_ok() && !self.viewer.closing()
    }
}
