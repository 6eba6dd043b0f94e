//! `gt agent sim`: a stand-in for an AI coding CLI. It behaves like one in a terminal — a
//! prompt glyph, bracketed-paste input, a busy marker while it works — and does real work:
//! it reads its hook with `gt`, commits a real change in its worktree and runs `gt done`.
//! It says what it is in every line it prints and in every commit it makes.
//!
//! Its switches make it difficult on purpose (slow start, long busy periods, a swallowed
//! first Enter, hanging, crashing, leaving work uncommitted), so delivery and supervision can
//! be tested against every way a real agent misbehaves.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

pub const PROMPT: &str = "sim❯ ";
pub const BUSY_MARKER: &str = "(esc to interrupt)";
const BEACON: &str = "[GAS TOWN]";

#[derive(Debug, Clone, Default)]
pub struct SimOptions {
    /// Seconds before the prompt first appears.
    pub slow_start: f64,
    /// Seconds each piece of work keeps it busy.
    pub busy: f64,
    /// Swallow the first Enter key it receives.
    pub ignore_first_enter: bool,
    /// Show the prompt and then never read input again.
    pub hang: bool,
    /// Exit with status 3 after this many seconds.
    pub crash_after: Option<f64>,
    /// Make the change, then exit without committing or running `gt done`.
    pub no_commit: bool,
    /// Exit with status 4 the moment any input arrives.
    pub exit_on_input: bool,
    /// Mail this address a short report after each `gt done`.
    pub report_to: Option<String>,
    /// Seconds each step of a molecule keeps it busy.
    pub step_secs: f64,
    /// Misbehave only in the agent's first session (a marker under the town's `.gt/`).
    pub once: bool,
    /// The first prompt (the beacon), when given as an argument.
    pub prompt: Option<String>,
}

/// Restores the terminal when the simulator ends, however it ends.
struct RawMode;

impl RawMode {
    fn enter() -> Option<RawMode> {
        crossterm::terminal::enable_raw_mode().ok()?;
        print!("\x1b[?2004h");
        flush();
        Some(RawMode)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        print!("\x1b[?2004l");
        flush();
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

fn flush() {
    let _ = std::io::stdout().flush();
}

/// Prints a finished line (raw mode needs explicit carriage returns). What it says may
/// quote mail or gt's output: it passes the seam, so nothing in it drives the terminal.
fn say(text: &str) {
    for line in text.lines() {
        print!("\r\x1b[2K{}\r\n", crate::inert::for_terminal(line));
    }
    flush();
}

/// A line that is later replaced in place (the busy indicator).
fn status(text: &str) {
    print!("\r\x1b[2K{text}");
    flush();
}

/// With `--once`, the first session of an agent claims a marker and misbehaves; later ones
/// find the marker and behave.
fn first_session(agent: &str) -> bool {
    let Ok(town) = std::env::var("GT_TOWN") else {
        return true;
    };
    let dir = PathBuf::from(town).join(".gt").join("sim-once");
    let _ = std::fs::create_dir_all(&dir);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dir.join(agent.replace('/', "--")))
        .is_ok()
}

pub fn run(mut opts: SimOptions) -> i32 {
    let agent = std::env::var("GT_AGENT").unwrap_or_else(|_| "sim".into());
    if opts.once && !first_session(&agent) {
        opts.hang = false;
        opts.crash_after = None;
        opts.no_commit = false;
    }
    let _raw = RawMode::enter();
    say(&format!(
        "gt sim — a simulated coding agent (no AI), working as {agent}"
    ));
    if opts.slow_start > 0.0 {
        status(&format!(
            "sim: starting up (slow start, {:.1}s)…",
            opts.slow_start
        ));
        std::thread::sleep(Duration::from_secs_f64(opts.slow_start));
        say("sim: started");
    }
    if let Some(secs) = opts.crash_after {
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs_f64(secs));
            say("sim: crashing now (as asked with --crash-after)");
            let _ = crossterm::terminal::disable_raw_mode();
            std::process::exit(3);
        });
    }
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    if !opts.hang {
        std::thread::spawn(move || {
            let mut stdin = std::io::stdin();
            let mut buf = [0u8; 8192];
            loop {
                match stdin.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                }
            }
        });
    }
    let mut sim = Sim {
        opts: opts.clone(),
        agent,
        input: Vec::new(),
        enter_swallowed: false,
        rx,
        parser: Parser::default(),
        pending: std::collections::VecDeque::new(),
        paused: None,
    };
    if opts.hang {
        sim.draw_prompt();
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    if let Some(p) = &opts.prompt
        && let Some(code) = sim.handle(p)
    {
        return code;
    }
    sim.draw_prompt();
    while let Some(ev) = sim.next_input(None) {
        if sim.opts.exit_on_input {
            say("sim: input arrived; exiting (as asked with --exit-on-input)");
            return 4;
        }
        match ev {
            Input::Text(t) => {
                sim.input.extend_from_slice(&t);
                sim.draw_prompt();
            }
            Input::Enter => {
                if sim.opts.ignore_first_enter && !sim.enter_swallowed {
                    sim.enter_swallowed = true;
                    continue;
                }
                if sim.input.is_empty() {
                    sim.draw_prompt();
                    continue;
                }
                let text = String::from_utf8_lossy(&std::mem::take(&mut sim.input)).into_owned();
                if let Some(code) = sim.handle(&text) {
                    return code;
                }
                sim.draw_prompt();
            }
            Input::Backspace => {
                sim.input.pop();
                sim.draw_prompt();
            }
            Input::Cancel => {
                sim.input.clear();
                say("^C");
                sim.draw_prompt();
            }
            Input::Eof => {
                if sim.input.is_empty() {
                    say("sim: bye");
                    return 0;
                }
            }
        }
    }
    0
}

struct Sim {
    opts: SimOptions,
    agent: String,
    input: Vec<u8>,
    enter_swallowed: bool,
    rx: mpsc::Receiver<Vec<u8>>,
    parser: Parser,
    /// Keys that arrived while it was busy, handled once it is back at its prompt.
    pending: std::collections::VecDeque<Input>,
    /// Work that was interrupted (bead, title); picked up again after the next message.
    paused: Option<(String, String)>,
}

impl Sim {
    /// The next key event, waiting at most `until` (None: for ever). None when input ends
    /// or the time is up.
    fn next_input(&mut self, until: Option<std::time::Instant>) -> Option<Input> {
        loop {
            if let Some(ev) = self.pending.pop_front() {
                return Some(ev);
            }
            // A lone ESC may begin a sequence; if nothing follows soon it is the Escape key.
            let lone_escape = self.parser.pending == [0x1b];
            let wait = match until {
                _ if lone_escape => Some(ESC_ALONE_AFTER),
                None => None,
                Some(t) => Some(t.saturating_duration_since(std::time::Instant::now())),
            };
            let bytes = match wait {
                None => self.rx.recv().ok()?,
                Some(d) => match self.rx.recv_timeout(d) {
                    Ok(b) => b,
                    Err(mpsc::RecvTimeoutError::Timeout) if lone_escape => {
                        self.parser.pending.clear();
                        return Some(Input::Cancel);
                    }
                    Err(_) => return None,
                },
            };
            let evs = self.parser.feed(&bytes);
            self.pending.extend(evs);
        }
    }

    fn draw_prompt(&self) {
        let text = String::from_utf8_lossy(&self.input);
        let shown = if text.contains('\n') || text.chars().count() > 60 {
            let tail: String = text
                .lines()
                .last()
                .unwrap_or("")
                .chars()
                .rev()
                .take(20)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!(
                "[pasted text: {} chars, {} lines] …{tail}",
                text.chars().count(),
                text.lines().count()
            )
        } else {
            text.into_owned()
        };
        status(&format!("{PROMPT}{shown}"));
    }

    /// Handles one submitted message; Some(code) ends the simulator.
    fn handle(&mut self, text: &str) -> Option<i32> {
        record(&self.agent, text);
        let first = text.lines().next().unwrap_or("");
        let preview: String = first.chars().take(100).collect();
        let more = if text.chars().count() > preview.chars().count() {
            format!(
                " [+{} more chars]",
                text.chars().count() - preview.chars().count()
            )
        } else {
            String::new()
        };
        say(&format!("› {preview}{more}"));
        if text.trim_start().starts_with(BEACON) {
            return self.work();
        }
        if let Some(cmd) = text.trim_start().strip_prefix('!') {
            self.busy_for(self.opts.busy.min(0.5), "running a gt command");
            run_gt_line(cmd.trim());
            return self.resume();
        }
        self.busy_for(self.opts.busy.min(0.3), "reading your message");
        if std::env::var("GT_ROLE").as_deref() == Ok("mayor") {
            say(&format!("(sim mayor) You said: \"{preview}\"."));
            say("(sim mayor) I am the simulator, not an AI, so I cannot plan work from that.");
            say(
                "(sim mayor) Type `!` and a gt command and I will run it, e.g. `!ready` or `!bead create \"Fix it\"`.",
            );
        } else {
            say("(sim) noted.");
        }
        self.resume()
    }

    /// Goes back to interrupted work, as an AI does after answering the interruption.
    fn resume(&mut self) -> Option<i32> {
        let (bead, title) = self.paused.take()?;
        say(&format!("(sim) back to {bead}"));
        self.finish(&bead, &title)
    }

    /// Busy for `secs`, like an AI at work: keys typed meanwhile wait for the prompt, and
    /// Escape (or ^C) interrupts. Returns true when interrupted.
    fn busy_for(&mut self, secs: f64, what: &str) -> bool {
        if secs <= 0.0 {
            return false;
        }
        let start = std::time::Instant::now();
        let end = start + Duration::from_secs_f64(secs);
        let mut kept = std::collections::VecDeque::new();
        let mut interrupted = false;
        // Redrawn every second with the time spent, as AI CLIs do: a busy agent shows output.
        while std::time::Instant::now() < end {
            let spent = start.elapsed().as_secs();
            status(&format!("⠿ sim is {what}… {spent}s {BUSY_MARKER}"));
            let tick = (std::time::Instant::now() + Duration::from_secs(1)).min(end);
            match self.next_input(Some(tick)) {
                Some(Input::Cancel) => {
                    interrupted = true;
                    break;
                }
                Some(ev) => kept.push_back(ev),
                None => {
                    // The second is up, or input ended (then sit out the rest of the second).
                    std::thread::sleep(tick.saturating_duration_since(std::time::Instant::now()));
                }
            }
        }
        kept.extend(self.pending.drain(..));
        self.pending = kept;
        status("");
        if interrupted {
            say(&format!("(sim) interrupted while {what}"));
        }
        interrupted
    }

    /// The work cycle the beacon asks for: prime, read the hook, change, commit, done.
    fn work(&mut self) -> Option<i32> {
        say("$ gt prime");
        let prime = gt(&["prime"]);
        say(&format!(
            "(sim) read {} lines of context",
            prime.stdout.lines().count()
        ));
        let hook = gt(&["--json", "hook"]);
        let parsed: serde_json::Value =
            serde_json::from_str(hook.stdout.trim()).unwrap_or_default();
        let Some(bead) = parsed["hook"]["bead"]["id"].as_str().map(str::to_string) else {
            say("(sim) nothing is on my hook; waiting for work");
            return None;
        };
        let title = parsed["hook"]["bead"]["title"]
            .as_str()
            .unwrap_or("")
            .to_string();
        if self.busy_for(self.opts.busy, &format!("working on {bead}")) {
            say(&format!(
                "(sim) {bead} is paused; I pick it up again after your message"
            ));
            self.paused = Some((bead, title));
            return None;
        }
        self.finish(&bead, &title)
    }

    /// Works through the molecule on its hook, if any: each ready step in turn, marked with
    /// `gt mol step done`, until every step is done or none is ready. False when it was
    /// interrupted between steps (the rest is picked up after the next message).
    fn walk_steps(&mut self) -> bool {
        // A bound, so a molecule that never completes cannot keep the simulator busy forever.
        for _ in 0..100_000 {
            let st = gt(&["--json", "mol", "status"]);
            let parsed: serde_json::Value =
                serde_json::from_str(st.stdout.trim()).unwrap_or_default();
            if parsed.get("molecule").is_none() || parsed["complete"].as_bool() == Some(true) {
                return true;
            }
            let ready: Vec<String> = parsed["ready"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            if ready.is_empty() {
                say("(sim) no step of my molecule is ready; going on without it");
                return true;
            }
            for key in ready {
                if self.busy_for(self.opts.step_secs, &format!("on step {key}")) {
                    say("(sim) stopped between steps; I go on after your message");
                    return false;
                }
                say(&format!("$ gt mol step done {key}"));
                let r = gt(&["mol", "step", "done", &key]);
                if let Some(line) = r.stderr.lines().next() {
                    say(&format!("  {line}"));
                    return true;
                }
            }
        }
        true
    }

    /// The rest of the work cycle: the steps, the change, the commit, `gt done`.
    fn finish(&mut self, bead: &str, title: &str) -> Option<i32> {
        if !self.walk_steps() {
            self.paused = Some((bead.to_string(), title.to_string()));
            return None;
        }
        let dir = PathBuf::from("sim-work");
        let file = dir.join(format!("{bead}.md"));
        let mut note = format!(
            "# {bead}: {title}\n\nThis change was made by the gt simulator agent ({}), not by an AI or a person.\n",
            self.agent
        );
        // A reviewer's requests, as a real agent would read them from its mail.
        for asked in review_requests() {
            say(&format!("(sim) addressing review: {asked}"));
            note.push_str(&format!("\nAddressed in review: {asked}\n"));
        }
        if let Err(e) = std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&file, note)) {
            say(&format!("(sim) could not write {}: {e}", file.display()));
            return None;
        }
        say(&format!("(sim) wrote {}", file.display()));
        if self.opts.no_commit {
            say("(sim) exiting without committing (as asked with --no-commit)");
            return Some(0);
        }
        let message = format!(
            "{bead}: {title}\n\nMade by the gt simulator agent ({}), not an AI.",
            self.agent
        );
        match crate::git::commit_all(std::path::Path::new("."), &message) {
            Ok(Some(id)) => say(&format!("$ git commit → {}", &id[..id.len().min(10)])),
            Ok(None) => say("(sim) nothing to commit"),
            Err(e) => say(&format!("(sim) commit failed: {e}")),
        }
        say("$ gt done");
        let done = gt(&["done"]);
        for line in done.stdout.lines().chain(done.stderr.lines()) {
            say(&format!("  {line}"));
        }
        if let Some(to) = self.opts.report_to.clone() {
            let subject = format!("Done: {bead} {title}");
            let body = format!(
                "Finished {bead} (simulated work).\n\n{}",
                done.stdout.trim()
            );
            say(&format!("$ gt mail send {to} -s \"{subject}\""));
            let sent = gt(&["mail", "send", &to, "-s", &subject, "-m", &body]);
            for line in sent.stderr.lines() {
                say(&format!("  {line}"));
            }
        }
        None
    }
}

/// The comments of unread "Changes requested" mail (each read, so it is handled once).
fn review_requests() -> Vec<String> {
    let inbox = gt(&["--json", "mail", "inbox", "--unread"]);
    let Ok(v) = serde_json::from_str::<serde_json::Value>(inbox.stdout.trim()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for m in v["messages"].as_array().into_iter().flatten() {
        let subject = m["subject"].as_str().unwrap_or_default();
        let Some(id) = m["id"]
            .as_str()
            .filter(|_| subject.starts_with("Changes requested"))
        else {
            continue;
        };
        let read = gt(&["--json", "mail", "read", id]);
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(read.stdout.trim()) else {
            continue;
        };
        // The reviewer's words: the body's paragraph after its first line.
        let body = msg["message"]["body"].as_str().unwrap_or_default();
        if let Some(comment) = body.split("\n\n").nth(1) {
            out.push(comment.trim().to_string());
        }
    }
    out
}

struct GtOutput {
    stdout: String,
    stderr: String,
}

/// Runs this same gt binary, as an AI agent would run `gt` in its shell.
fn gt(args: &[&str]) -> GtOutput {
    let exe = crate::fsutil::gt_exe();
    match Command::new(exe)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
    {
        Ok(o) => GtOutput {
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        },
        Err(e) => GtOutput {
            stdout: String::new(),
            stderr: format!("could not run gt: {e}"),
        },
    }
}

/// `!gt ready` or `!ready`: runs a gt command typed after `!` and shows its output.
fn run_gt_line(line: &str) {
    let Some(mut words) = shlex::split(line) else {
        say("(sim) unbalanced quotes");
        return;
    };
    if words.first().map(String::as_str) == Some("gt") {
        words.remove(0);
    }
    let args: Vec<&str> = words.iter().map(String::as_str).collect();
    let out = gt(&args);
    for l in out.stdout.lines().chain(out.stderr.lines()) {
        say(&format!("  {l}"));
    }
}

/// Appends a received message to `<town>/.gt/sim/<agent>.jsonl`: the record tests use to
/// prove a message arrived exactly once, byte for byte.
fn record(agent: &str, text: &str) {
    let Ok(town) = std::env::var("GT_TOWN") else {
        return;
    };
    let dir = PathBuf::from(town).join(".gt").join("sim");
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let path = dir.join(format!("{}.jsonl", agent.replace('/', "--")));
    let line = serde_json::json!({ "at": crate::time::now(), "text": text }).to_string();
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(f, "{line}");
    }
}

/// One thing the person (or gt) did at the keyboard.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Input {
    Text(Vec<u8>),
    Enter,
    Backspace,
    Cancel,
    Eof,
}

const PASTE_START: &[u8] = b"\x1b[200~";
/// How long a lone ESC byte waits for the rest of a sequence before it counts as Escape.
const ESC_ALONE_AFTER: Duration = Duration::from_millis(50);
const PASTE_END: &[u8] = b"\x1b[201~";

/// Turns raw terminal bytes into input events; pasted text (between the bracketed-paste
/// markers) is text, newlines included — only a real Enter submits.
#[derive(Default)]
struct Parser {
    pending: Vec<u8>,
    pasting: bool,
}

impl Parser {
    fn feed(&mut self, bytes: &[u8]) -> Vec<Input> {
        self.pending.extend_from_slice(bytes);
        let mut out = Vec::new();
        let mut text = Vec::new();
        let buf = std::mem::take(&mut self.pending);
        let mut i = 0;
        while i < buf.len() {
            let rest = &buf[i..];
            if self.pasting {
                match find(rest, PASTE_END) {
                    Some(at) => {
                        text.extend_from_slice(&rest[..at]);
                        i += at + PASTE_END.len();
                        self.pasting = false;
                        continue;
                    }
                    None => {
                        // Keep a possible partial end marker for the next read.
                        let cut = rest.len().saturating_sub(PASTE_END.len() - 1);
                        text.extend_from_slice(&rest[..cut]);
                        i += cut;
                        break;
                    }
                }
            }
            let b = rest[0];
            match b {
                0x1b => {
                    if rest.starts_with(PASTE_START) {
                        i += PASTE_START.len();
                        self.pasting = true;
                        continue;
                    }
                    if PASTE_START.starts_with(rest) {
                        break; // wait for the rest of the marker
                    }
                    if rest.get(1) == Some(&b'[') {
                        // Some other control sequence (arrow keys…): skip it.
                        let end = rest[2..]
                            .iter()
                            .position(|c| c.is_ascii_alphabetic() || *c == b'~')
                            .map(|p| p + 3)
                            .unwrap_or(rest.len());
                        i += end;
                        continue;
                    }
                    i += 1;
                    flush_text(&mut text, &mut out);
                    out.push(Input::Cancel);
                }
                b'\r' | b'\n' => {
                    i += 1;
                    flush_text(&mut text, &mut out);
                    out.push(Input::Enter);
                }
                0x7f | 0x08 => {
                    i += 1;
                    flush_text(&mut text, &mut out);
                    out.push(Input::Backspace);
                }
                0x03 => {
                    i += 1;
                    flush_text(&mut text, &mut out);
                    out.push(Input::Cancel);
                }
                0x04 => {
                    i += 1;
                    flush_text(&mut text, &mut out);
                    out.push(Input::Eof);
                }
                _ => {
                    text.push(b);
                    i += 1;
                }
            }
        }
        self.pending = buf[i..].to_vec();
        flush_text(&mut text, &mut out);
        out
    }
}

fn flush_text(text: &mut Vec<u8>, out: &mut Vec<Input>) {
    if !text.is_empty() {
        out.push(Input::Text(std::mem::take(text)));
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_and_enter() {
        let mut p = Parser::default();
        assert_eq!(
            p.feed(b"hi\r"),
            vec![Input::Text(b"hi".to_vec()), Input::Enter]
        );
    }

    #[test]
    fn pasted_newlines_do_not_submit_and_markers_may_split() {
        let mut p = Parser::default();
        let mut evs = p.feed(b"\x1b[20");
        evs.extend(p.feed(b"0~line one\nline two\x1b[2"));
        evs.extend(p.feed(b"01~\r"));
        let text: Vec<u8> = evs
            .iter()
            .filter_map(|e| match e {
                Input::Text(t) => Some(t.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(text, b"line one\nline two".to_vec());
        assert_eq!(evs.last(), Some(&Input::Enter));
        assert_eq!(evs.iter().filter(|e| **e == Input::Enter).count(), 1);
    }

    #[test]
    fn control_keys() {
        let mut p = Parser::default();
        assert_eq!(
            p.feed(b"a\x7f"),
            vec![Input::Text(b"a".to_vec()), Input::Backspace]
        );
        assert_eq!(p.feed(b"\x03"), vec![Input::Cancel]);
        assert_eq!(p.feed(b"\x1b[A"), vec![]);
    }
}
