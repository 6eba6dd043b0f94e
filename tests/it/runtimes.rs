//! Runtime conformance: the real agent CLIs, installed at pinned versions from npm
//! (`runtimes/install`), driven by gt against the scripted model server in a private tmux
//! server and a fresh HOME, with no keystroke from a person. What reached the model (the
//! server's log) is the evidence for every claim: the beacon, the job (`gt prime`, a commit,
//! `gt done`, landed by the refinery), nudges of every awkward kind, messages queued while
//! the model is stalled, mail notices and the mayor's chat — and that every "Delivered",
//! "Queued" and "Failed" gt prints says what the model got.
//!
//! Without the CLIs (no npm registry) each test says loudly that it was skipped; with
//! `GT_REQUIRE_RUNTIMES=1` (set by `.ci/run`) it fails instead.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::model::ModelServer;
use crate::common::{Sandbox, cli_setup, git, runtimes, wait_for, wait_for_or};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One CLI under test: its town, its model server, its binaries.
pub(crate) struct Conformance {
    pub(crate) cli: &'static str,
    pub(crate) s: Sandbox,
    pub(crate) server: ModelServer,
    bin: PathBuf,
}

impl Conformance {
    fn new(cli: &'static str) -> Option<Conformance> {
        let bin = runtimes::bin_dir(cli, &format!("runtime conformance of {cli}"))?;
        let s = Sandbox::with_town();
        let server = ModelServer::start(Some(s.path().join("model-requests.jsonl")));
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        s.env.borrow_mut().push(("PATH".into(), path));
        // The machine may say it is a sandbox in its own words; the runtimes decide from
        // the town's configuration only.
        s.env
            .borrow_mut()
            .push(("IS_SANDBOX".into(), String::new()));
        // gt may be started from a CI job's shell (as this suite is in CI): its agents still
        // get an interactive session (Gemini CLI runs headless when it sees these).
        for k in ["CI", "GITHUB_ACTIONS"] {
            s.env.borrow_mut().push((k.into(), "true".into()));
        }
        std::fs::create_dir_all(s.path().join("home")).expect("home");
        let src = s.source_repo("shop");
        std::fs::write(src.join("NOTES.md"), "notes\n").expect("write");
        git(&src, &["add", "."]);
        git(&src, &["commit", "-q", "-m", "notes"]);
        s.ok(&["--batch", "rig", "add", "shop", src.to_str().expect("utf8")]);
        // Verdicts come quickly here; the witness only reports (the test watches them).
        for (k, v) in [
            ("witness.stall_after_secs", "6"),
            ("witness.waiting_after_secs", "4"),
            ("witness.recovery", "report"),
        ] {
            s.ok(&["--batch", "config", "set", k, v]);
        }
        s.ok(&["--batch", "config", "default-agent", cli]);
        eprintln!(
            "{cli}: {} against the model server at {}",
            runtimes::version(&bin, cli),
            server.url()
        );
        Some(Conformance {
            cli,
            s,
            server,
            bin,
        })
    }

    fn home(&self) -> PathBuf {
        self.s.path().join("home")
    }

    /// `gt config agent set <cli> …`.
    fn set(&self, args: &[&str]) {
        let mut full = vec!["--batch", "config", "agent", "set", self.cli];
        full.extend_from_slice(args);
        self.s.ok(&full);
    }

    fn agent(&self, address: &str) -> Value {
        self.s.agent_view(address)
    }

    /// Waits until the agent's session state and verdict are as given.
    fn wait_state(&self, address: &str, session: &str, verdict: &str, secs: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs * crate::common::time_scale());
        loop {
            let last = self.agent(address);
            if last["session"] == session && last["verdict"] == verdict {
                return last;
            }
            if Instant::now() > deadline {
                panic!(
                    "{}: {address} never read {session}/{verdict} within {secs}s; last: {}\nscreen:\n{}\nmodel:\n{}",
                    self.cli,
                    serde_json::to_string_pretty(&last).unwrap_or_default(),
                    self.peek(address),
                    self.server.dump()
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Waits until the agent's session state is as given.
    fn wait_session(&self, address: &str, session: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs * crate::common::time_scale());
        loop {
            let v = self.agent(address);
            if v["session"] == session {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "{}: {address} never read {session} within {secs}s; last: {v}\nscreen:\n{}",
                    self.cli,
                    self.peek(address)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn peek(&self, address: &str) -> String {
        self.s.gt(&["--batch", "peek", address, "-n", "40"]).stdout
    }

    /// `gt nudge` with the text on stdin; returns gt's exit code and what it printed.
    fn nudge(&self, address: &str, text: &str, wait: u64) -> (i32, String) {
        let r = self.s.gt_stdin(
            &[
                "--batch",
                "nudge",
                address,
                "--stdin",
                "--wait",
                &wait.to_string(),
            ],
            text,
        );
        (r.code, format!("{}{}", r.stdout, r.stderr))
    }

    /// Whether the model got `text` as a user message (as the runtime hands it on) — or as one
    /// paragraph of one: Gemini CLI joins messages it queued while busy with a blank line.
    fn model_got(&self, text: &str) -> bool {
        let want = as_model_sees(text);
        self.server.user_texts().iter().any(|t| {
            let seen = as_model_sees(t);
            seen == want || seen.split("\n\n").any(|part| part == want)
        })
    }

    /// How many user messages of the latest conversation that holds `text` are `text`.
    fn times_in_conversation(&self, text: &str) -> usize {
        let want = as_model_sees(text);
        let convo = self
            .server
            .main_requests()
            .into_iter()
            .rev()
            .find(|r| r.user_texts.iter().any(|t| as_model_sees(t) == want));
        convo
            .map(|r| {
                r.user_texts
                    .iter()
                    .filter(|t| as_model_sees(t) == want)
                    .count()
            })
            .unwrap_or(0)
    }

    fn wait_model_got(&self, text: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs * crate::common::time_scale());
        while !self.model_got(text) {
            if Instant::now() > deadline {
                let screens: Vec<String> = self.s.json(&["agents"])["agents"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|a| a["address"].as_str().map(str::to_string))
                    .map(|a| format!("--- {a}:\n{}", self.peek(&a)))
                    .collect();
                panic!(
                    "{}: the model never received {:?}\nit received: {:#?}\nrequests:\n{}\nscreens:\n{}\ndeliveries:\n{}",
                    self.cli,
                    text,
                    self.server
                        .user_texts()
                        .iter()
                        .map(|t| as_model_sees(t))
                        .collect::<Vec<_>>(),
                    self.server
                        .requests()
                        .iter()
                        .map(|r| format!("#{} {} main={} {} -> {}", r.n, r.target, r.main, r.turn.last().map(|t| t.chars().take(60).collect::<String>()).unwrap_or_default(), r.reply.chars().take(60).collect::<String>()))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    screens.join("\n"),
                    self.s.sql("SELECT id || ' ' || agent || ' ' || state || ' ' || coalesce(reason, '') FROM deliveries ORDER BY id DESC LIMIT 5")
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A text as the runtimes hand it to the model, in the form the comparison uses: Copilot
/// puts the time before each message, Claude Code wraps long pastes in `<pasted_content>`,
/// some turn tabs into spaces or trim the ends, and gt's neutralising prefix (a space or an
/// invisible word joiner) may lead. Nothing else is forgiven.
fn as_model_sees(text: &str) -> String {
    let mut t = text.to_string();
    if let Some(rest) = t.strip_prefix("<current_datetime>")
        && let Some((_, after)) = rest.split_once("</current_datetime>\n\n")
    {
        t = after.to_string();
    }
    if let Some(start) = t.find("<pasted_content id=\"")
        && let Some(open_end) = t[start..].find("\">\n")
    {
        let body_start = start + open_end + 3;
        if let Some(close) = t[body_start..].rfind("\n</pasted_content id=\"") {
            t = t[body_start..body_start + close].to_string();
        }
    }
    t.replace('\t', "    ")
        .trim_start_matches(|c: char| c.is_whitespace() || c == '\u{2060}')
        .trim_end()
        .to_string()
}

/// The awkward texts a nudge must get through as text, for a runtime with these command
/// characters (and these it refuses): short, long, multi-line, tmux key names, shell
/// syntax, command characters.
fn nudge_texts(command_chars: &str, refused: &str, marker: &Path) -> Vec<String> {
    let mut v = vec![
        "short nudge: please also update the docs".to_string(),
        format!("long nudge {}", "lorem ipsum dolor sit amet, ".repeat(107)),
        "six lines:\nline two\nline three\nline four\nline five\nline six".to_string(),
        "tmux key names: C-c Enter Escape C-d Tab".to_string(),
        format!(
            "shell syntax: $(touch {m}) `touch {m}` ; touch {m} && echo x | cat > {m}",
            m = marker.display()
        ),
    ];
    for c in command_chars.chars() {
        v.push(format!("{c}touch {} ran", marker.display()));
    }
    for c in ['@', '#', '!', '/', '$'] {
        if !command_chars.contains(c) && !refused.contains(c) {
            v.push(format!("{c}plain text starting with {c}"));
        }
    }
    // A last word that opens a completion menu when typed.
    v.push("mention at the end @".to_string());
    v.push("a skill at the end $".to_string());
    v
}

/// The runtime's preset, as `gt config agent list --json` shows it.
fn preset(c: &Conformance) -> Value {
    let v = c.s.json(&["config", "agent", "list"]);
    v["runtimes"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["name"] == c.cli).cloned())
        .unwrap_or(Value::Null)
}

/// `gt estop` while the runtime waits on the (stalled) model: a runtime with an interrupt key
/// leaves its turn and reads *frozen*, and after `gt thaw` the model is told to go on; one
/// without an interrupt key is named, and estop exits 1. Either way nothing is lost: the job
/// that follows lands.
fn emergency_stop_and_thaw(c: &Conformance, rt: &Value, agent: &str) {
    let cli = c.cli;
    let interrupts = rt["escape_cancels"] == true;
    let r =
        c.s.gt(&["--batch", "--json", "estop", "-m", "conformance drill"]);
    if !interrupts {
        assert_eq!(
            r.code, 1,
            "{cli}: no interrupt key, so estop says so: {r:?}"
        );
        assert!(r.stdout.contains(agent), "{cli}: {}", r.stdout);
        c.s.ok(&["--batch", "thaw"]);
        return;
    }
    assert_eq!(
        r.code,
        0,
        "{cli}: estop {}{}\nscreen:\n{}",
        r.stdout,
        r.stderr,
        c.peek(agent)
    );
    let frozen = r.json()["estop"]["estop"]["frozen"].clone();
    assert!(
        frozen.as_array().is_some_and(|f| f
            .iter()
            .any(|f| f["agent"] == agent && f["interrupted"] == true)),
        "{cli}: interrupted mid-turn: {frozen}"
    );
    let v = c.agent(agent);
    assert_eq!(
        v["verdict"],
        "frozen",
        "{cli}: {v}\nscreen:\n{}",
        c.peek(agent)
    );
    let before = c.server.main_requests().len();
    let t = c.s.json(&["thaw"]);
    assert!(
        t["thaw"]["resumed"].to_string().contains(agent),
        "{cli}: told to go on: {t}"
    );
    // The stopped turn asked again (a runtime that kept its prompt in the input has it
    // submitted), or the go-on message: either way a new request reaches the model.
    wait_for_or(
        90,
        "the runtime to go on after the thaw",
        || {
            c.server.main_requests()[before..]
                .iter()
                .any(|r| {
                    r.user_texts
                        .iter()
                        .any(|t| t.contains("emergency stop is lifted") || t.contains("[GAS TOWN]"))
                })
                .then_some(())
        },
        || {
            format!(
                "{cli}: {}\nscreen:\n{}\ndeliveries: {}",
                c.agent(agent),
                c.peek(agent),
                c.s.sql("SELECT id, state, coalesce(reason,''), substr(text,1,60) FROM deliveries ORDER BY id DESC LIMIT 5")
            )
        },
    );
}

/// The whole conformance run for one CLI (see the module's comment).
fn conformance(c: Conformance) {
    let cli = c.cli;
    let rt = preset(&c);
    assert!(
        rt["verified"].is_string(),
        "{cli}: the preset must say which version it is verified against: {rt}"
    );

    // A trial start: version, the dialogs gt answered, the prompt reached.
    let check =
        c.s.gt(&["--batch", "--json", "config", "agent", "check", cli]);
    assert_eq!(
        check.code, 0,
        "{cli} check: {}{}",
        check.stdout, check.stderr
    );
    let check = check.json();
    assert_eq!(check["check"]["reached_prompt"], true, "{check}");
    let version = runtimes::version(&c.bin, cli);
    assert!(
        version.contains(rt["verified"].as_str().unwrap_or("?")),
        "{cli} {version} is not the version the preset names ({})",
        rt["verified"]
    );

    // The town runs itself: the refinery lands what gt done queues.
    c.s.ok(&["--batch", "up"]);

    // Sling with the model stalled: the beacon reaches it; the agent reads working, then
    // stalled once nothing new shows for witness.stall_after_secs.
    c.server
        .control(|k| k.stall = Some(Duration::from_secs(40)));
    let bead = c.s.create(&["Add the work file", "--rig", "shop"]);
    let t0 = Instant::now();
    let slung = c.s.json(&["sling", &bead, "shop"]);
    let agent = slung["slung"][0]["agent"]
        .as_str()
        .expect("agent")
        .to_string();
    eprintln!(
        "{cli}: slung in {:?}, answered {}",
        t0.elapsed(),
        slung["slung"][0]["answered_dialogs"]
    );
    let beacon = c.server.wait_for_user_text(90, "the beacon", |t| {
        t.contains("[GAS TOWN]") && t.contains(&agent)
    });
    eprintln!(
        "{cli}: sling → first model request {:?}",
        beacon.at.duration_since(t0)
    );
    if rt["hooks"].is_string() {
        runtime_reports_through_hooks(&c, &agent);
    }
    c.wait_state(&agent, "working", "working", 30);
    let stalled = c.wait_state(&agent, "working", "stalled", 40);
    assert!(
        stalled["reason"].as_str().unwrap_or("").contains(&bead),
        "{stalled}"
    );

    emergency_stop_and_thaw(&c, &rt, &agent);

    // The job: gt prime, a commit, gt done — landed by the refinery.
    c.server.control(|k| k.stall = None);
    wait_for(240, "the bead to land", || {
        (c.s.json(&["show", &bead])["bead"]["status"] == "closed").then_some(())
    });
    let results = c
        .server
        .main_requests()
        .iter()
        .flat_map(|r| r.tool_results.clone())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        results.contains(&bead),
        "{cli}: gt prime's output names the bead: {results}"
    );
    assert!(
        results.contains("COMMITTED"),
        "{cli}: the commit ran: {results}"
    );
    let log = git(
        &c.s.town().join("shop/refinery"),
        &["log", "--format=%an %s", "-5"],
    );
    assert!(log.contains("Do the hooked work"), "{cli}: landed: {log}");
    let work =
        std::fs::read_to_string(c.s.town().join("shop/refinery/WORK.md")).unwrap_or_default();
    assert!(
        work.contains(&agent),
        "{cli}: the commit was made as {agent}: {work}"
    );
    // Merged and clean: the refinery removed the polecat and its session.
    wait_for(60, "the finished polecat to be cleaned up", || {
        c.agent(&agent).is_null().then_some(())
    });

    // Two agents at once: each runs its commands as itself, in its own worktree (a runtime
    // that shared one background process between sessions would mix them up).
    c.server.control(|k| {
        k.steps = vec!["echo \"I am $GT_AGENT in $PWD\"".to_string()];
    });
    let pair = [
        c.s.create(&["Say who you are", "--rig", "shop"]),
        c.s.create(&["Say who you are too", "--rig", "shop"]),
    ];
    let slung = c.s.json(&["sling", &pair[0], &pair[1], "shop"]);
    let pair_agents: Vec<String> = (0..2)
        .map(|i| {
            slung["slung"][i]["agent"]
                .as_str()
                .expect("agent")
                .to_string()
        })
        .collect();
    for a in &pair_agents {
        let name = a.rsplit('/').next().unwrap_or_default();
        let said = format!(
            "I am {a} in {}",
            c.s.town().join("shop/polecats").join(name).display()
        );
        wait_for_or(
            90,
            "each agent to say who it is",
            || {
                c.server
                    .main_requests()
                    .iter()
                    .any(|r| r.tool_results.iter().any(|t| t.contains(&said)))
                    .then_some(())
            },
            || {
                let screens: Vec<String> = pair_agents
                    .iter()
                    .map(|a| format!("--- {a}:\n{}\n{}", c.agent(a), c.peek(a)))
                    .collect();
                format!("{}\nrequests:\n{}", screens.join("\n"), c.server.dump())
            },
        );
    }
    for (a, b) in pair_agents.iter().zip(&pair) {
        c.s.ok(&["--batch", "unsling", b, "--agent", a]);
    }
    // Nothing hooked any more: idle at their prompts.
    for a in &pair_agents {
        c.wait_state(a, "idle", "idle", 60);
    }

    // Work hooked but the model does nothing with it: the agent waits at its prompt.
    c.server.control(|k| k.steps = Vec::new());
    let idle_bead = c.s.create(&["Think about it", "--rig", "shop"]);
    let slung = c.s.json(&["sling", &idle_bead, "shop"]);
    let agent = slung["slung"][0]["agent"]
        .as_str()
        .expect("agent")
        .to_string();
    c.server
        .wait_for_user_text(90, "the second beacon", |t| t.contains(&idle_bead));
    c.wait_state(&agent, "idle", "waiting", 60);

    // Nudges of every awkward kind reach the model as text, and nothing in them runs.
    let marker = c.s.path().join("nudge-ran");
    let command_chars = rt["command_chars"].as_str().unwrap_or("").to_string();
    let refused = rt["refuse_chars"].as_str().unwrap_or("").to_string();
    for text in nudge_texts(&command_chars, &refused, &marker) {
        let t = Instant::now();
        let (code, said) = c.nudge(&agent, &text, 60);
        assert_eq!(code, 0, "{cli}: nudge {text:?}: {said}");
        assert!(said.contains("Delivered"), "{cli}: {said}");
        c.wait_model_got(&text, 30);
        eprintln!(
            "{cli}: nudge of {} chars delivered and received in {:?}",
            text.len(),
            t.elapsed()
        );
        c.wait_session(&agent, "idle", 60);
    }
    assert!(!marker.exists(), "{cli}: text in a nudge ran as a command");
    for c_char in rt["refuse_chars"].as_str().unwrap_or("").chars() {
        let text = format!("{c_char}clear the conversation");
        let (code, said) = c.nudge(&agent, &text, 10);
        assert_eq!(code, 2, "{cli}: {text:?} is refused: {said}");
        assert!(
            !c.model_got(&text),
            "{cli}: a refused text reached the model"
        );
    }
    for word in rt["command_words"].as_array().cloned().unwrap_or_default() {
        let w = word.as_str().unwrap_or("");
        let (code, said) = c.nudge(&agent, w, 10);
        assert_eq!(code, 2, "{cli}: {w:?} alone is refused: {said}");
    }

    // A nudge while the model is stalled waits in gt's queue, visibly, and arrives later,
    // in order, once.
    c.server
        .control(|k| k.stall = Some(Duration::from_secs(60)));
    let (code, said) = c.nudge(&agent, "first while stalled", 60);
    assert!(code == 0 && said.contains("Delivered"), "{cli}: {said}");
    c.wait_model_got("first while stalled", 30);
    c.wait_session(&agent, "working", 30);
    for text in ["second while stalled", "third while stalled"] {
        let (code, said) = c.nudge(&agent, text, 1);
        assert_eq!(code, 0, "{cli}: {said}");
        assert!(said.contains("Queued"), "{cli}: {text:?} is queued: {said}");
        assert!(
            !c.model_got(text),
            "{cli}: Queued, yet the model has {text:?}"
        );
    }
    c.server.control(|k| k.stall = None);
    c.wait_model_got("second while stalled", 90);
    c.wait_model_got("third while stalled", 90);
    let order: Vec<String> = c
        .server
        .user_texts()
        .iter()
        .map(|t| as_model_sees(t))
        .filter(|t| t.ends_with("while stalled"))
        .collect();
    assert_eq!(
        order,
        [
            "first while stalled",
            "second while stalled",
            "third while stalled"
        ],
        "{cli}: in order"
    );
    for t in [
        "first while stalled",
        "second while stalled",
        "third while stalled",
    ] {
        assert_eq!(c.times_in_conversation(t), 1, "{cli}: {t:?} arrived once");
    }
    // gt records the submission it saw on screen, a moment after the model may have it.
    let states = || {
        c.s.sql("SELECT group_concat(state, ',') FROM deliveries WHERE text LIKE '%while stalled'")
    };
    wait_for(30, "the three to be recorded delivered", || {
        (states() == "delivered,delivered,delivered").then_some(())
    });
    c.wait_session(&agent, "idle", 60);

    // A mail notice reaches it the same way.
    c.s.ok(&[
        "--batch",
        "mail",
        "send",
        &agent,
        "-s",
        "Release notes due",
        "-m",
        "by friday",
    ]);
    c.server
        .wait_for_user_text(60, "the mail notice", |t| t.contains("Release notes due"));

    // A rate-limited model: the runtime retries on its own; gt reports what happened (the
    // text was submitted) and the model gets it once the limit lifts.
    c.server.control(|k| k.rate_limit = 1);
    let (code, said) = c.nudge(&agent, "after a rate limit", 60);
    assert!(code == 0 && said.contains("Delivered"), "{cli}: {said}");
    c.wait_model_got("after a rate limit", 120);
    assert!(
        c.server.requests().iter().any(|r| r.status == 429),
        "{cli}: the rate limit was played"
    );
    c.wait_session(&agent, "idle", 120);

    // The mayor, on the same runtime, hears what it is told.
    c.s.ok(&["--batch", "mayor", "start", "--agent", cli]);
    c.wait_session("mayor", "idle", 120);
    let said =
        c.s.gt(&["--batch", "mayor", "say", "mayor, what is the status?"]);
    assert_eq!(
        said.code,
        0,
        "{cli}: {}{}\nthe mayor's screen:\n{}",
        said.stdout,
        said.stderr,
        c.peek("mayor")
    );
    assert!(said.stdout.contains("has it"), "{cli}: {}", said.stdout);
    c.wait_model_got("mayor, what is the status?", 60);

    // A runtime that is gone: the nudge fails, says why, and nothing reaches the model.
    let pane = c.agent(&agent)["pane"].as_str().expect("pane").to_string();
    let socket = std::fs::read_to_string(c.s.town().join(".gt/tmux-socket")).expect("socket");
    let pid = std::process::Command::new("tmux")
        .args([
            "-L",
            socket.trim(),
            "display",
            "-p",
            "-t",
            &pane,
            "#{pane_pid}",
        ])
        .output()
        .expect("tmux");
    let pid = String::from_utf8_lossy(&pid.stdout).trim().to_string();
    std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .expect("kill");
    wait_for(30, "the pane to die", || {
        (c.agent(&agent)["session"] == "exited").then_some(())
    });
    let (code, said) = c.nudge(&agent, "to a dead runtime", 10);
    assert_eq!(code, 1, "{cli}: {said}");
    assert!(said.contains("not delivered"), "{cli}: {said}");
    std::thread::sleep(Duration::from_secs(1));
    assert!(!c.model_got("to a dead runtime"), "{cli}");
}

/// Sets the CLI up as its user would for the scripted server (see `crate::common::cli_setup`) and
/// runs the whole conformance.
/// A runtime with hooks tells gt itself: its session start reaches the ledger with the
/// runtime's own session id, `gt prime` reaches the model as context, `gt agents` shows the
/// last event and its age, and the hook configuration stays out of git.
fn runtime_reports_through_hooks(c: &Conformance, agent: &str) {
    let cli = c.cli;
    let view = c.s.agent_view(agent);
    let wt = view["worktree"].as_str().expect("worktree").to_string();
    let file = match preset(c)["hooks"].as_str() {
        Some("claude-settings") => ".claude/settings.local.json",
        Some("gemini-settings") => ".gemini/settings.json",
        Some("opencode-plugin") => "opencode.json",
        _ => "(arguments)",
    };
    let settings = std::fs::read_to_string(Path::new(&wt).join(file))
        .unwrap_or_else(|e| format!("(none: {e})"));
    let view = wait_for(30, "the session-start event on the agent", || {
        let v = c.s.agent_view(agent);
        if !v["last_event"]["event"].is_string() {
            eprintln!(
                "{cli}: no event yet; settings: {settings}\nevents: {}",
                c.s.sql("SELECT event_type, new_value FROM events ORDER BY id DESC LIMIT 5")
            );
        }
        (v["last_event"]["event"].is_string()).then_some(v)
    });
    c.server
        .wait_for_body(60, "gt prime's text from the session-start hook", |t| {
            t.contains("# gt prime — ") && t.contains(agent)
        });
    let session = view["last_event"]["session_id"].as_str().unwrap_or("");
    assert!(
        session.len() >= 8,
        "{cli}: the runtime's session id is recorded: {view}"
    );
    assert!(view["last_event_age_secs"].is_number(), "{view}");
    let events = c.s.sql(&format!(
        "SELECT count(*) FROM events WHERE event_type = 'runtime_event' \
         AND new_value LIKE '%\"event\":\"session-start\"%' AND new_value LIKE '%{session}%'"
    ));
    assert_eq!(events.trim(), "1", "{cli}: one session start recorded");
    let wt = view["worktree"].as_str().expect("worktree");
    let status = git(
        std::path::Path::new(wt),
        &["status", "--porcelain", "--ignored=no"],
    );
    assert!(
        !status.contains(".claude")
            && !status.contains(".gemini")
            && !status.contains("opencode")
            && !status.contains(".gt-"),
        "{cli}: the hook configuration is kept out of git: {status}"
    );
    eprintln!("{cli}: session {session} reported through hooks");
}

/// A conformance sandbox with `cli` set up as its user would for the scripted server
/// (None: the CLI is not installed and the suite does not require it).
pub(crate) fn set_up(cli: &'static str) -> Option<Conformance> {
    let c = Conformance::new(cli)?;
    let setup = cli_setup::for_cli(
        cli,
        &c.server.url(),
        &runtimes::target_dir().join("runtimes"),
        gt::agent::procs::running_as_root(),
    );
    setup.write_files(&c.home());
    c.s.ok(&setup.set_args(cli));
    if setup.prepare {
        // First-run onboarding is the user's to do once; the explicit command does it, and
        // says what it would change before it does.
        let plan = c.s.gt(&["--batch", "config", "agent", "prepare", cli]);
        assert!(plan.stdout.contains("would set"), "{}", plan.stdout);
        c.s.ok(&["--batch", "config", "agent", "prepare", cli, "--yes"]);
    }
    Some(c)
}

fn run(cli: &'static str) {
    if let Some(c) = set_up(cli) {
        conformance(c);
    }
}

/// Mail that arrives while an agent works goes in with its next prompt: the runtime's
/// prompt-submit hook hands the unread messages to the model with the prompt.
#[test]
fn claude_code_gets_unread_mail_with_its_next_prompt() {
    gets_unread_mail_with_its_next_prompt("claude");
}

#[test]
fn codex_gets_unread_mail_with_its_next_prompt() {
    gets_unread_mail_with_its_next_prompt("codex");
}

#[test]
fn gemini_cli_gets_unread_mail_with_its_next_prompt() {
    gets_unread_mail_with_its_next_prompt("gemini");
}

#[test]
fn opencode_gets_unread_mail_with_its_next_prompt() {
    gets_unread_mail_with_its_next_prompt("opencode");
}

fn gets_unread_mail_with_its_next_prompt(cli: &'static str) {
    let Some(c) = set_up(cli) else {
        return;
    };
    // The model thinks for a while about the beacon: the agent is busy when the mail comes.
    c.server
        .control(|k| k.stall = Some(Duration::from_secs(15)));
    let bead = c.s.create(&["Add the work file", "--rig", "shop"]);
    let agent = c.s.sling_agent(&[&bead, "shop"]);
    c.server.wait_for_user_text(90, "the beacon", |t| {
        t.contains("[GAS TOWN]") && t.contains(&agent)
    });
    c.s.ok(&[
        "mail",
        "send",
        &agent,
        "-s",
        "Schema moved to v2",
        "-m",
        "Use v2.",
    ]);
    c.s.ok(&["nudge", &agent, "When you are done, say hello."]);
    c.server.control(|k| k.stall = None);
    let r = c
        .server
        .wait_for_body(120, "the unread mail with the next prompt", |t| {
            t.contains("📬") && t.contains("Schema moved to v2")
        });
    assert!(r.main, "{r:?}");
}

/// A polecat whose turn ends with work on its hook and no `gt done` is reminded of what is
/// left, once: the reminder reaches the model, and the next stop is left alone.
#[test]
fn claude_code_is_reminded_once_when_it_stops_with_work_hooked() {
    is_reminded_once_when_it_stops_with_work_hooked("claude");
}

#[test]
fn codex_is_reminded_once_when_it_stops_with_work_hooked() {
    is_reminded_once_when_it_stops_with_work_hooked("codex");
}

#[test]
fn gemini_cli_is_reminded_once_when_it_stops_with_work_hooked() {
    is_reminded_once_when_it_stops_with_work_hooked("gemini");
}

#[test]
fn opencode_is_reminded_once_when_it_stops_with_work_hooked() {
    is_reminded_once_when_it_stops_with_work_hooked("opencode");
}

fn is_reminded_once_when_it_stops_with_work_hooked(cli: &'static str) {
    let Some(c) = set_up(cli) else {
        return;
    };
    // The model only talks: no command, no commit, no `gt done`.
    c.server.control(|k| k.steps = Vec::new());
    let bead = c.s.create(&["Add the work file", "--rig", "shop"]);
    let agent = c.s.sling_agent(&[&bead, "shop"]);
    c.server.wait_for_body(90, "the stop reminder", |t| {
        t.contains("still on your hook and no `gt done`") && t.contains(&bead)
    });
    let count = |kind: &str| -> usize {
        c.s.sql(&format!(
            "SELECT count(*) FROM events WHERE event_type = '{kind}' \
             AND new_value LIKE '%{agent}%'"
        ))
        .trim()
        .parse()
        .unwrap_or(0)
    };
    // Two turns ended (the beacon's and the reminder's): one reminder only.
    wait_for(60, "the turn after the reminder to end", || {
        let ends = c.s.sql(&format!(
            "SELECT count(*) FROM events WHERE event_type = 'runtime_event' \
             AND new_value LIKE '%turn-end%' AND new_value LIKE '%{agent}%'"
        ));
        (ends.trim().parse::<usize>().unwrap_or(0) >= 2).then_some(())
    });
    assert_eq!(count("stop_reminder"), 1);
    // Its report is the verdict's evidence: a turn ended with work hooked reads waiting.
    let v = wait_for(10, "the verdict to follow the turn's end", || {
        let v = c.s.agent_view(&agent);
        (v["verdict"] == "waiting").then_some(v)
    });
    assert!(
        v["reason"]
            .as_str()
            .unwrap_or("")
            .contains("finished its turn"),
        "{v}"
    );
}

#[test]
fn claude_code_runs_the_whole_loop() {
    run("claude");
}

#[test]
fn codex_runs_the_whole_loop() {
    run("codex");
}

#[test]
fn gemini_cli_runs_the_whole_loop() {
    run("gemini");
}

#[test]
fn opencode_runs_the_whole_loop() {
    run("opencode");
}

#[test]
fn copilot_cli_runs_the_whole_loop() {
    run("copilot");
}

/// Not part of the suite: `GT_MODEL_SERVER_SECS=600 cargo test --test runtimes -- --ignored
/// --nocapture serve_for_a_person` runs the scripted model server for a person trying a CLI
/// by hand (its address is printed; requests are logged to $GT_MODEL_SERVER_LOG).
#[test]
#[ignore]
fn serve_for_a_person() {
    let log = std::env::var("GT_MODEL_SERVER_LOG").ok().map(PathBuf::from);
    let server = ModelServer::start(log);
    println!("scripted model server at {}", server.url());
    let secs = std::env::var("GT_MODEL_SERVER_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    std::thread::sleep(Duration::from_secs(secs));
}

/// What stops Claude Code at start is said, with its fix: as root without IS_SANDBOX=1 it
/// refuses its autonomous mode (gt doctor names the trap; the sling fails with Claude Code's
/// own words and the fix, and leaves nothing); on a fresh home its first-run onboarding is a
/// person's to answer (gt config agent check and the sling say so) until the explicit
/// `gt config agent prepare` does it.
#[test]
fn claude_code_says_what_stops_it_at_start() {
    let Some(c) = Conformance::new("claude") else {
        return;
    };
    let url = format!("ANTHROPIC_BASE_URL={}", c.server.url());
    // A token, not an API key: with a key, a fresh home's onboarding first checks it can
    // reach Anthropic (it cannot, offline).
    c.set(&[
        "--env",
        &url,
        "--env",
        "ANTHROPIC_AUTH_TOKEN=test-token",
        "--env",
        "DISABLE_AUTOUPDATER=1",
        "--env",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
    ]);
    let bead = c.s.create(&["Start me", "--rig", "shop"]);
    let left_alone = |why: &str| {
        let b = &c.s.json(&["show", &bead])["bead"];
        assert_eq!(b["status"], "open", "{why}: {b}");
        assert_eq!(
            c.s.json(&["agents"])["agents"].as_array().map(Vec::len),
            Some(0),
            "{why}: nothing half-made"
        );
    };
    if gt::agent::procs::running_as_root() {
        let doctor = c.s.gt(&["--batch", "--json", "doctor"]);
        assert_eq!(doctor.code, 1, "{}", doctor.stdout);
        let checks = doctor.json();
        let claude = checks["checks"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["name"] == "runtime claude").cloned())
            .expect("a runtime check for claude");
        assert_eq!(claude["status"], "error", "{claude}");
        assert!(
            claude["action"]
                .as_str()
                .unwrap_or("")
                .contains("gt config agent set claude --env IS_SANDBOX=1"),
            "{claude}"
        );
        let r = c.s.gt(&["--batch", "sling", &bead, "shop"]);
        assert_eq!(r.code, 1, "{}", r.stdout);
        assert!(
            r.stderr
                .contains("cannot be used with root/sudo privileges")
                // tmux does not always learn Claude Code's exit status; when it does, it is said.
                && (r.stderr.contains("exited with status 1") || r.stderr.contains("claude exited before"))
                && r.stderr.contains("--env IS_SANDBOX=1"),
            "{}",
            r.stderr
        );
        left_alone("as root");
        c.set(&["--env", "IS_SANDBOX=1"]);
    }
    let check = c.s.gt(&["--batch", "config", "agent", "check", "claude"]);
    assert_eq!(check.code, 1, "{}", check.stdout);
    assert!(
        check.stdout.contains("first-run theme")
            && check.stdout.contains("only a person can answer it")
            && check.stdout.contains("Choose the text style"),
        "{}",
        check.stdout
    );
    let r = c.s.gt(&["--batch", "sling", &bead, "shop"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("first-run theme"), "{}", r.stderr);
    left_alone("at the onboarding");
    c.s.ok(&["--batch", "config", "agent", "prepare", "claude", "--yes"]);
    let check =
        c.s.gt(&["--batch", "--json", "config", "agent", "check", "claude"]);
    assert_eq!(check.code, 0, "{}", check.stdout);
    let answered = check.json()["check"]["answered_dialogs"].to_string();
    for d in ["trust this folder", "bypass permissions warning"] {
        assert!(answered.contains(d), "{d}: {answered}");
    }
}
