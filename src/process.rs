//! Child processes with a time limit: the one way gt waits for tmux, git and merge gates.
//!
//! Plain threads, not an async runtime: a call waits on one child at a time, so the pipes are
//! drained on helper threads and the caller waits on a channel with a deadline. A child that
//! overstays is killed (with its process group when it was started in its own) before it is
//! reaped, so the signal can never reach a recycled pid.

use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What a child left behind. `status` is None when the time limit ran out and it was killed;
/// the output is then what it wrote until then.
#[derive(Debug)]
pub struct Finished {
    pub status: Option<ExitStatus>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// How the child is stopped when its time is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kill {
    /// Only the child (tmux clients: the server they may start must survive).
    Child,
    /// The child's own process group, which this call creates (gates, git: what they started
    /// goes too).
    Group,
}

enum Chunk {
    Out(Vec<u8>),
    Err(Vec<u8>),
    OutDone,
    ErrDone,
}

/// Runs `cmd` with stdout and stderr captured, `stdin` fed (or /dev/null), and at most
/// `limit` of waiting. `started` sees the child's pid before any waiting (callers record it).
pub fn run_within(
    cmd: &mut Command,
    stdin: Option<&[u8]>,
    limit: Duration,
    kill: Kill,
    started: impl FnOnce(u32),
) -> std::io::Result<Finished> {
    use std::os::unix::process::CommandExt;
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    if kill == Kill::Group {
        cmd.process_group(0);
    }
    let mut child = cmd.spawn()?;
    started(child.id());
    let deadline = Instant::now() + limit;
    // Feeding stdin on its own thread: a child that stops reading must not block the caller,
    // and a full stdout pipe must not block the write.
    let writer = match (stdin, child.stdin.take()) {
        (Some(data), Some(mut pipe)) => {
            let data = data.to_vec();
            Some(std::thread::spawn(move || pipe.write_all(&data)))
        }
        _ => None,
    };
    let (tx, rx) = mpsc::channel();
    drain(child.stdout.take(), tx.clone(), Chunk::Out, Chunk::OutDone);
    drain(child.stderr.take(), tx, Chunk::Err, Chunk::ErrDone);
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let mut open = 2;
    while open > 0 {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Chunk::Out(b)) => stdout.extend(b),
            Ok(Chunk::Err(b)) => stderr.extend(b),
            Ok(Chunk::OutDone | Chunk::ErrDone) => open -= 1,
            Err(mpsc::RecvTimeoutError::Timeout) => break,
            Err(mpsc::RecvTimeoutError::Disconnected) => open = 0,
        }
    }
    let status = if open == 0 {
        wait_until(&mut child, deadline)?
    } else {
        None
    };
    let Some(status) = status else {
        stop(&mut child, kill);
        // What the killed child wrote last is still in flight on the drain threads.
        let grace = Instant::now() + Duration::from_millis(100);
        while let Ok(c) = rx.recv_timeout(grace.saturating_duration_since(Instant::now())) {
            match c {
                Chunk::Out(b) => stdout.extend(b),
                Chunk::Err(b) => stderr.extend(b),
                Chunk::OutDone | Chunk::ErrDone => {}
            }
        }
        return Ok(Finished {
            status: None,
            stdout,
            stderr,
        });
    };
    if let Some(w) = writer {
        match w.join() {
            Ok(r) => r?,
            Err(_) => return Err(std::io::Error::other("the stdin writer panicked")),
        }
    }
    Ok(Finished {
        status: Some(status),
        stdout,
        stderr,
    })
}

/// Starts `cmd` (output discarded but stderr) and returns once it failed, finished, or is
/// still running after `settle`; then it is left to finish on its own, reaped by a thread.
/// Returns its exit status and stderr when it ended in time.
pub fn start_settled(
    cmd: &mut Command,
    settle: Duration,
) -> std::io::Result<Option<(ExitStatus, Vec<u8>)>> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let child = cmd.spawn()?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(settle) {
        Ok(out) => {
            let out = out?;
            Ok(Some((out.status, out.stderr)))
        }
        Err(_) => Ok(None),
    }
}

fn drain<R: Read + Send + 'static>(
    pipe: Option<R>,
    tx: mpsc::Sender<Chunk>,
    chunk: fn(Vec<u8>) -> Chunk,
    done: Chunk,
) {
    let Some(mut pipe) = pipe else {
        let _ = tx.send(done);
        return;
    };
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if tx.send(chunk(buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = tx.send(done);
    });
}

/// The exit status, once the child has closed its output: almost always at once, but a child
/// that closed its pipes and lives on is waited for only until the deadline.
fn wait_until(child: &mut Child, deadline: Instant) -> std::io::Result<Option<ExitStatus>> {
    let mut pause = Duration::from_micros(100);
    loop {
        if let Some(st) = child.try_wait()? {
            return Ok(Some(st));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// Kills the child (and its group) while it is still unreaped, then reaps it.
fn stop(child: &mut Child, kill: Kill) {
    if kill == Kill::Group
        && let Ok(pid) = i32::try_from(child.id())
    {
        // SAFETY: kill(2) on the process group run_within created; the child is not yet
        // reaped, so the group id cannot have been reused.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_and_status_come_back() {
        let f = run_within(
            Command::new("sh").args(["-c", "cat; echo err >&2; exit 3"]),
            Some(b"hello"),
            Duration::from_secs(5),
            Kill::Child,
            |_| {},
        )
        .unwrap();
        assert_eq!(f.stdout, b"hello");
        assert_eq!(f.stderr, b"err\n");
        assert_eq!(f.status.and_then(|s| s.code()), Some(3));
    }

    #[test]
    fn an_overdue_group_is_killed_with_what_it_wrote() {
        let t = Instant::now();
        let f = run_within(
            Command::new("sh").args(["-c", "echo early; sleep 30 & sleep 30"]),
            None,
            Duration::from_millis(300),
            Kill::Group,
            |_| {},
        )
        .unwrap();
        assert!(f.status.is_none());
        assert_eq!(f.stdout, b"early\n");
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    }

    #[test]
    fn a_child_that_never_reads_stdin_does_not_block() {
        let big = vec![b'x'; 4 << 20];
        let f = run_within(
            Command::new("sh").args(["-c", "sleep 30"]),
            Some(&big),
            Duration::from_millis(300),
            Kill::Group,
            |_| {},
        )
        .unwrap();
        assert!(f.status.is_none());
    }
}
