//! Agents' processes watched through the process table, so a crash wakes its witness even
//! when tmux says nothing: tmux 3.3 does not run the pane-died hook when a program dies with
//! output still unread in its pane (seen in 4 of 5 kills of a chatty program). Looking costs
//! one `/proc` read per agent every quarter second and spawns no process.

use super::runner::Shared;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const EVERY: Duration = Duration::from_millis(250);

struct Seen {
    duty: String,
    /// Its start time when first seen; None: already gone then.
    started: Option<u64>,
    /// Its duty was poked for it (once is enough: the next round stops listing it).
    poked: bool,
}

#[derive(Default)]
pub struct PidWatch {
    seen: HashMap<u32, Seen>,
    next: Option<Instant>,
}

impl PidWatch {
    /// Pokes the duty of each process that ended since the last look (at most every 250 ms).
    pub fn look(&mut self, shared: &Shared) {
        let now = Instant::now();
        if self.next.is_some_and(|n| now < n) {
            return;
        }
        self.next = Some(now + EVERY);
        let wanted = shared.watched_pids();
        self.seen
            .retain(|pid, s| wanted.iter().any(|(d, p)| p == pid && *d == s.duty));
        for (duty, pid) in wanted {
            let current = crate::agent::procs::start_time(pid);
            let seen = self.seen.entry(pid).or_insert_with(|| Seen {
                duty,
                started: current,
                poked: false,
            });
            // Gone, or its pid now belongs to another process.
            let ended = current.is_none() || current != seen.started;
            if ended && !seen.poked {
                seen.poked = true;
                tracing::debug!(pid, duty = %seen.duty, "an agent's process ended");
                shared.poke(&seen.duty);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_that_ends_pokes_its_duty_once() {
        let shared = Shared::new(std::env::temp_dir());
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("sleep");
        shared.watch_pids("witness:shop", vec![child.id(), std::process::id()]);
        let mut w = PidWatch::default();
        w.look(&shared);
        assert!(shared.take_poke("witness:shop").is_none(), "both alive");
        child.kill().expect("kill");
        child.wait().expect("wait");
        w.next = None;
        w.look(&shared);
        assert_eq!(shared.take_poke("witness:shop"), Some(()), "poked");
        w.next = None;
        w.look(&shared);
        assert!(shared.take_poke("witness:shop").is_none(), "only once");
    }
}
