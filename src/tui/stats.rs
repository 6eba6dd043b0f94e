//! Figures about the workspace itself (frame times, key-to-frame latency, tmux processes per
//! refresh), written as JSON on exit when `GT_TUI_STATS=<file>` is set — for the benchmark.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Default, serde::Serialize)]
pub struct Stats {
    /// Microseconds to build and flush each frame.
    pub render_us: Vec<u64>,
    /// Microseconds from a key event reaching the workspace to the frame showing it.
    pub key_to_frame_us: Vec<u64>,
    /// tmux processes spawned by each refresh of the town.
    pub tmux_per_refresh: Vec<u64>,
    pub frames: u64,
    pub snapshots: u64,
}

impl Stats {
    pub fn path() -> Option<PathBuf> {
        std::env::var_os("GT_TUI_STATS").map(PathBuf::from)
    }

    pub fn frame(&mut self, took: Duration) {
        self.frames += 1;
        if self.render_us.len() < 100_000 {
            self.render_us.push(took.as_micros() as u64);
        }
    }

    pub fn key(&mut self, took: Duration) {
        if self.key_to_frame_us.len() < 100_000 {
            self.key_to_frame_us.push(took.as_micros() as u64);
        }
    }

    pub fn snapshot(&mut self, tmux_calls: u64) {
        self.snapshots += 1;
        if self.tmux_per_refresh.len() < 100_000 {
            self.tmux_per_refresh.push(tmux_calls);
        }
    }

    pub fn write(&self) {
        let Some(path) = Self::path() else {
            return;
        };
        match serde_json::to_vec(self) {
            Ok(bytes) => {
                if let Err(e) = crate::fsutil::write_atomic(&path, &bytes) {
                    tracing::warn!(error = %e, "could not write the workspace stats");
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not encode the workspace stats"),
        }
    }
}
