//! Sessions, usage and seance with the real Claude Code against the scripted model server:
//! gt records the runtime's own session (per agent and bead, with start and end), counts
//! exactly the tokens the server reported, prices them, and can ask a copy of a past session.

use crate::common::model::Logged;
use crate::common::wait_for;
use crate::runtimes::set_up;
use serde_json::Value;

/// The server's figures for the answers it gave the agent's conversation.
#[derive(Debug, Default, PartialEq)]
struct Sum {
    turns: i64,
    input: i64,
    output: i64,
    cache_write: i64,
    cache_read: i64,
}

fn sum(reqs: &[Logged]) -> Sum {
    let mut s = Sum::default();
    for r in reqs.iter().filter(|r| r.status == 200) {
        s.turns += 1;
        s.input += r.usage.input as i64;
        s.output += r.usage.output as i64;
        s.cache_write += r.usage.cache_write as i64;
        s.cache_read += r.usage.cached as i64;
    }
    s
}

fn line_sum(l: &Value) -> Sum {
    let n = |k: &str| l[k].as_i64().unwrap_or(-1);
    Sum {
        turns: n("turns"),
        input: n("input"),
        output: n("output"),
        cache_write: n("cache_write"),
        cache_read: n("cache_read"),
    }
}

fn line<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["lines"]
        .as_array()
        .and_then(|ls| ls.iter().find(|l| l["key"] == key))
        .unwrap_or_else(|| panic!("no line for {key} in {report}"))
}

/// A polecat's whole job with real Claude Code: its session is recorded with the bead, its
/// tokens match the server's to the token (by agent, bead and convoy), the cost follows the
/// town's price for the model, and a seance reads what it did and asks a copy of it.
#[test]
fn claude_code_sessions_are_recorded_counted_and_can_be_asked() {
    let Some(c) = set_up("claude") else {
        return;
    };
    c.s.ok(&["--batch", "up"]);
    let bead = c.s.create(&["Add the work file", "--rig", "shop"]);
    let convoy = c.s.json(&["convoy", "create", "The work", &bead])["convoy"]["id"]
        .as_str()
        .expect("convoy id")
        .to_string();
    let agent = c.s.sling_agent(&[&bead, "shop"]);
    wait_for(240, "the bead to land", || {
        (c.s.json(&["show", &bead])["bead"]["status"] == "closed").then_some(())
    });
    wait_for(60, "the finished polecat to be removed", || {
        c.s.agent_view(&agent).is_null().then_some(())
    });
    let main = c.server.main_requests();
    let want = sum(&main);
    assert!(
        want.turns >= 4,
        "beacon, three commands: {}",
        c.server.dump()
    );

    // Tokens: exactly the server's, however they are summed.
    let model = main[0].model.clone();
    // The runtime writes its last answer to its transcript a little after its stop hook (and
    // after gt removed the polecat): the supervisor's round reads it.
    let by_agent = wait_for(30, "every answer to be counted", || {
        let r = c.s.json(&["costs", "--by", "agent"]);
        (line_sum(line(&r, &agent)) == want).then_some(r)
    });
    let mine = line(&by_agent, &agent);
    assert_eq!(mine["sessions"], 1);
    // A supervisor restart reads nothing twice.
    c.s.ok(&["--batch", "down"]);
    c.s.ok(&["--batch", "up"]);
    std::thread::sleep(std::time::Duration::from_secs(4));
    assert_eq!(
        line_sum(line(&c.s.json(&["costs", "--by", "agent"]), &agent)),
        want,
        "the same totals after a supervisor restart"
    );
    assert_eq!(
        line_sum(line(&c.s.json(&["costs", "--by", "bead"]), &bead)),
        want
    );
    assert_eq!(
        line_sum(line(&c.s.json(&["costs", "--by", "convoy"]), &convoy)),
        want
    );
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let by_day = c.s.json(&["costs", "--by", "day", "--since", "today"]);
    assert_eq!(line_sum(line(&by_day, &today)), want);
    // The scripted model has no shipped price: tokens, and an unknown cost said so.
    assert!(mine["cost_usd"].is_null(), "{mine}");
    assert_eq!(mine["unpriced_models"][0], model.as_str());
    let table = c.s.gt(&["costs"]).stdout;
    assert!(
        table.contains("unknown") && table.contains(&model),
        "{table}"
    );
    // With the town's price for it, the cost is the tokens times the price.
    let toml = c.s.town().join("town.toml");
    let mut text = std::fs::read_to_string(&toml).expect("town.toml");
    text.push_str(&format!(
        "\n[prices.\"{model}\"]\ninput = 3.0\noutput = 15.0\ncache_write = 3.75\ncache_read = 0.3\n"
    ));
    std::fs::write(&toml, text).expect("write town.toml");
    let priced = c.s.json(&["costs", "--by", "convoy"]);
    let cost = line(&priced, &convoy)["cost_usd"].as_f64().expect("a cost");
    let expect = (want.input as f64 * 3.0
        + want.output as f64 * 15.0
        + want.cache_write as f64 * 3.75
        + want.cache_read as f64 * 0.3)
        / 1e6;
    assert!((cost - expect).abs() < 1e-6, "{cost} != {expect}");

    // The session: the runtime's id, with the agent and the bead, started and ended.
    let list = c.s.json(&["seance", &bead, "--list"]);
    assert_eq!(list["count"], 1, "{list}");
    let session = &list["sessions"][0];
    assert_eq!(session["agent"], agent.as_str());
    assert_eq!(session["bead"], bead.as_str());
    assert!(session["started_at"].is_string() && session["ended_at"].is_string());
    let id = session["id"].as_str().expect("id").to_string();
    assert_eq!(
        c.s.json(&["seance", &agent, "--list"])["sessions"][0]["id"],
        id.as_str(),
        "found by the (removed) agent's address too"
    );

    // What it did, from its transcript.
    let seance = c.s.json(&["seance", &agent]);
    let summary = &seance["seance"]["summary"];
    assert!(
        summary["prompts"][0]
            .as_str()
            .unwrap_or("")
            .contains("[GAS TOWN]"),
        "{summary}"
    );
    let calls = summary["tool_calls"].to_string();
    for cmd in ["gt prime", "git commit", "gt done"] {
        assert!(calls.contains(cmd), "{cmd} in {calls}");
    }
    assert!(summary["last_words"].is_string(), "{summary}");

    // A question to a copy of it: the copy's request carries the earlier conversation.
    let question = "Which command did you run first?";
    let asked = c.s.json(&["seance", &bead, "--ask", question]);
    assert_eq!(
        asked["answer"]["answer"],
        format!("ECHO: {question}"),
        "{asked}"
    );
    let r = c
        .server
        .first_with(|t| t.contains(question))
        .expect("the question reached the model");
    assert!(
        r.user_texts
            .iter()
            .any(|t| t.contains("[GAS TOWN]") && t.contains(&agent)),
        "the resumed copy carries the session's beacon: {:?}",
        r.user_texts
    );
    assert!(
        r.tool_results.iter().any(|t| t.contains(&bead)),
        "and its tool results: {:?}",
        r.tool_results
    );
    // The copy is nobody's session: the agent's record is unchanged, no window is left.
    assert_eq!(c.s.json(&["seance", &bead, "--list"])["count"], 1);
    let windows = c.s.gt(&["--batch", "agents"]).stdout;
    assert!(!windows.contains("seance"), "{windows}");

    // Budgets: once today's is spent, a sling to the rig waits (said, with the budget and by
    // how much) and Attention shows it; raised, the supervisor slings the waiting work.
    c.s.ok(&["--batch", "config", "set", "budget.daily_usd", "0.01"]);
    c.server.control(|k| k.steps = Vec::new());
    let next = c.s.create(&["More work", "--rig", "shop"]);
    let held = c.s.json(&["sling", &next, "shop"]);
    let reason = held["queued"][0]["reason"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert_eq!(held["queued"][0]["queued"], true, "{held}");
    assert!(
        reason.contains("today's budget") && reason.contains("$0.01") && reason.contains("over"),
        "{reason}"
    );
    let status = c.s.json(&["status"]);
    assert!(
        status["status"]["attention"]
            .to_string()
            .contains("today's budget"),
        "{status}"
    );
    // The deacon keeps it waiting while the budget is spent.
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert_eq!(c.s.json(&["show", &next])["bead"]["status"], "open");
    c.s.ok(&["--batch", "config", "set", "budget.daily_usd", "1000"]);
    wait_for(
        60,
        "the waiting bead to be slung once the budget allows",
        || (c.s.json(&["show", &next])["bead"]["status"] == "hooked").then_some(()),
    );
    // A convoy's own budget holds its beads only.
    let third = c.s.create(&["Convoy work", "--rig", "shop"]);
    c.s.ok(&["convoy", "add", &convoy, &third]);
    c.s.ok(&["convoy", "budget", &convoy, "0.05"]);
    let held = c.s.json(&["sling", &third, "shop"]);
    assert!(
        held["queued"][0]["reason"]
            .as_str()
            .unwrap_or("")
            .contains(&format!("convoy {convoy}'s budget")),
        "{held}"
    );
    c.s.ok(&["unsling", &next]);
}

/// A rate-limited Claude Code (the server refuses its API key) reads `rate-limited` with the
/// runtime's words — not stalled — is shown in Attention and is not restarted in a loop; with
/// `accounts.rotate` its next session runs on the town's other account and the work lands.
#[test]
fn claude_code_rate_limited_waits_then_rotates_to_another_account() {
    let Some(c) = set_up("claude") else {
        return;
    };
    let (first, second) = (
        "sk-ant-test-first-0123456789abcdef",
        "sk-ant-test-second-0123456789abcd",
    );
    let toml = c.s.town().join("town.toml");
    let mut text = std::fs::read_to_string(&toml).expect("town.toml");
    text.push_str(&format!(
        "\n[accounts.claude.first]\nenv = {{ ANTHROPIC_API_KEY = \"{first}\" }}\n\
         \n[accounts.claude.second]\nenv = {{ ANTHROPIC_API_KEY = \"{second}\" }}\n"
    ));
    std::fs::write(&toml, text).expect("write town.toml");
    c.s.ok(&["--batch", "config", "set", "witness.recovery", "restart"]);
    c.server
        .control(|k| k.limited_key = Some(first.to_string()));
    c.s.ok(&["--batch", "up"]);
    let bead = c.s.create(&["Add the work file", "--rig", "shop"]);
    let agent = c.s.sling_agent(&[&bead, "shop"]);
    let limited = wait_for(90, "the rate-limited verdict", || {
        let v = c.s.agent_view(&agent);
        (v["verdict"] == "rate-limited").then_some(v)
    });
    assert!(
        limited["reason"].as_str().unwrap_or("").contains("429"),
        "the runtime's own words: {limited}"
    );
    let status = c.s.json(&["status"]);
    assert!(
        status["status"]["attention"]
            .to_string()
            .contains("rate-limited"),
        "{status}"
    );
    let accounts = c.s.json(&["account", "status"]);
    assert_eq!(accounts["accounts"][0]["name"], "first", "{accounts}");
    assert_eq!(accounts["accounts"][0]["agents"][0], agent.as_str());
    // Without rotation it waits: several witness rounds, no restart, still one session.
    std::thread::sleep(std::time::Duration::from_secs(12));
    let restarts = |kind: &str| -> usize {
        c.s.sql(&format!(
            "SELECT count(*) FROM events WHERE event_type = '{kind}' AND new_value LIKE '%{agent}%'"
        ))
        .trim()
        .parse()
        .unwrap_or(0)
    };
    assert_eq!(restarts("witness_restart"), 0);
    assert_eq!(c.s.json(&["seance", &bead, "--list"])["count"], 1);
    assert_eq!(c.s.agent_view(&agent)["verdict"], "rate-limited");

    // With rotation: the limited account is passed over and the next session runs on the
    // other one; the work lands.
    c.s.ok(&["--batch", "config", "set", "accounts.rotate", "true"]);
    wait_for(240, "the bead to land on the second account", || {
        (c.s.json(&["show", &bead])["bead"]["status"] == "closed").then_some(())
    });
    assert_eq!(restarts("witness_restart"), 1, "one restart, not a loop");
    let sessions = c.s.json(&["seance", &bead, "--list"]);
    assert_eq!(sessions["count"], 2, "{sessions}");
    assert_eq!(sessions["sessions"][0]["account"], "second", "{sessions}");
    assert_eq!(sessions["sessions"][1]["account"], "first", "{sessions}");
    let accounts = c.s.json(&["account", "list"]);
    assert!(
        accounts["accounts"][0]["limited_until"].is_string(),
        "{accounts}"
    );
    assert_eq!(accounts["accounts"][1]["next"], true, "{accounts}");
}

/// Where the rig says so (`sessions.resume = all`), the witness restarts a stalled polecat
/// into its runtime's last conversation: the new session's request carries the first
/// session's beacon, and the tokens of both sessions still add up to the server's.
#[test]
fn claude_code_restarted_by_the_witness_resumes_its_conversation() {
    let Some(c) = set_up("claude") else {
        return;
    };
    for (k, v) in [("witness.recovery", "restart"), ("witness.grace_secs", "4")] {
        c.s.ok(&["--batch", "config", "set", k, v]);
    }
    c.s.ok(&[
        "--batch",
        "config",
        "set",
        "--rig",
        "shop",
        "sessions.resume",
        "all",
    ]);
    // The model does not answer: the polecat stalls, is nudged, then restarted.
    c.server
        .control(|k| k.stall = Some(std::time::Duration::from_secs(600)));
    c.s.ok(&["--batch", "up"]);
    let bead = c.s.create(&["Add the work file", "--rig", "shop"]);
    let agent = c.s.sling_agent(&[&bead, "shop"]);
    wait_for(120, "the witness to restart the stalled polecat", || {
        let n: usize = c
            .s
            .sql(&format!(
                "SELECT count(*) FROM events WHERE event_type = 'witness_restart' AND new_value LIKE '%{agent}%'"
            ))
            .trim()
            .parse()
            .unwrap_or(0);
        (n >= 1).then_some(())
    });
    let resumed = c
        .server
        .wait_for_user_text(60, "the restarted session's beacon", |t| {
            t.contains("restarted by the witness")
        });
    assert!(
        resumed
            .user_texts
            .iter()
            .any(|t| t.contains("[GAS TOWN]") && !t.contains("restarted by the witness")),
        "the resumed session carries the first session's beacon: {:?}",
        resumed.user_texts
    );
    c.server.control(|k| k.stall = None);
    wait_for(240, "the bead to land", || {
        (c.s.json(&["show", &bead])["bead"]["status"] == "closed").then_some(())
    });
    let want = sum(&c.server.main_requests());
    wait_for(30, "every answer to be counted once", || {
        let r = c.s.json(&["costs", "--by", "bead"]);
        (line_sum(line(&r, &bead)) == want).then_some(())
    });
}

/// A CLI whose service refuses it reads `rate-limited`, with its own words, within a minute.
fn reads_rate_limited(cli: &'static str) {
    let Some(c) = set_up(cli) else {
        return;
    };
    c.server.control(|k| k.rate_limit = 1000);
    let bead = c.s.create(&["Add the work file", "--rig", "shop"]);
    let agent = c.s.sling_agent(&[&bead, "shop"]);
    let v = wait_for(90, "the rate-limited verdict", || {
        let v = c.s.agent_view(&agent);
        (v["verdict"] == "rate-limited").then_some(v)
    });
    assert!(
        v["reason"]
            .as_str()
            .unwrap_or("")
            .contains("refused by its service"),
        "{cli}: {v}"
    );
}

#[test]
fn codex_reads_rate_limited() {
    reads_rate_limited("codex");
}

#[test]
fn opencode_reads_rate_limited() {
    reads_rate_limited("opencode");
}

/// After `/compact` Claude Code starts its session again from a summary: its session-start
/// hook hands it `gt prime` again, so the next request after the compaction carries the
/// agent's role and hook; the compaction itself is reported.
#[test]
fn claude_code_is_primed_again_after_a_compaction() {
    let Some(c) = set_up("claude") else {
        return;
    };
    // The model only talks: the agent sits at its prompt after its beacon.
    c.server.control(|k| k.steps = Vec::new());
    let bead = c.s.create(&["Add the work file", "--rig", "shop"]);
    let agent = c.s.sling_agent(&[&bead, "shop"]);
    c.server.wait_for_user_text(90, "the beacon", |t| {
        t.contains("[GAS TOWN]") && t.contains(&agent)
    });
    wait_for(60, "the agent at its prompt", || {
        (c.s.agent_view(&agent)["session"] == "idle").then_some(())
    });
    let before = c.server.requests().len();
    let pane = c.s.agent_view(&agent)["pane"]
        .as_str()
        .expect("pane")
        .to_string();
    let socket = std::fs::read_to_string(c.s.town().join(".gt/tmux-socket")).expect("socket");
    let keys = |args: &[&str]| {
        let mut a = vec!["-L", socket.trim(), "send-keys", "-t", &pane];
        a.extend_from_slice(args);
        let ok = std::process::Command::new("tmux")
            .args(&a)
            .status()
            .expect("tmux");
        assert!(ok.success());
    };
    keys(&["-l", "/compact"]);
    std::thread::sleep(std::time::Duration::from_millis(500));
    keys(&["Enter"]);
    let compacted = wait_for(90, "the compaction and the new session start", || {
        let events = c.s.sql(&format!(
            "SELECT new_value FROM events WHERE event_type = 'runtime_event' \
             AND new_value LIKE '%{agent}%' ORDER BY id"
        ));
        (events.contains("\"event\":\"compact\"") && events.contains("\"source\":\"compact\""))
            .then_some(events)
    });
    // The next turn after the compaction carries gt prime again.
    c.s.ok(&["nudge", &agent, "Carry on with your hooked work."]);
    let primed = c
        .server
        .wait_for_body(90, "gt prime after the compaction", |t| {
            t.contains("Carry on with your hooked work") && t.contains("# gt prime — ")
        });
    assert!(
        primed.n > before,
        "a request after the compaction: #{} (compaction began after #{before}); events: {compacted}",
        primed.n
    );
}

/// Codex's hooks (arguments of its invocation) record its sessions, and its tokens — read
/// from its rollout transcript, cached input split from the rest — match the server's.
#[test]
fn codex_sessions_and_tokens_are_recorded() {
    sessions_and_tokens_are_recorded("codex");
}

/// The same for Gemini CLI (hooks in the worktree's `.gemini/settings.json`, tokens from its
/// chat log).
#[test]
fn gemini_cli_sessions_and_tokens_are_recorded() {
    sessions_and_tokens_are_recorded("gemini");
}

/// The same for OpenCode (its plugin reports each finished answer's tokens: OpenCode keeps
/// them in its own database, not in a transcript).
#[test]
fn opencode_sessions_and_tokens_are_recorded() {
    sessions_and_tokens_are_recorded("opencode");
}

/// A polecat's job; its session recorded through the runtime's hooks, its tokens equal to
/// the server's (OpenAI and Gemini count cached input inside the input: gt keeps it apart).
fn sessions_and_tokens_are_recorded(cli: &'static str) {
    let Some(c) = set_up(cli) else {
        return;
    };
    c.s.ok(&["--batch", "up"]);
    let bead = c.s.create(&["Add the work file", "--rig", "shop"]);
    let agent = c.s.sling_agent(&[&bead, "shop"]);
    wait_for(240, "the bead to land", || {
        (c.s.json(&["show", &bead])["bead"]["status"] == "closed").then_some(())
    });
    // Removed once its last turn ended: every request it made is in the server's log.
    wait_for(60, "the finished polecat to be removed", || {
        c.s.agent_view(&agent).is_null().then_some(())
    });
    let want = sum(&c.server.main_requests());
    // Prime, commit, done — and its last words: a polecat still answering after `gt done`
    // is removed only once its turn ends.
    assert!(want.turns >= 4, "{cli}: {}", c.server.dump());
    let got = wait_for(60, "every response to be counted", || {
        let r = c.s.json(&["costs", "--by", "bead"]);
        let l = line_sum(line(&r, &bead));
        // OpenAI counts cached input inside the input: gt keeps them apart.
        (l.turns == want.turns
            && l.input + l.cache_read == want.input
            && l.cache_read == want.cache_read
            && l.output == want.output)
            .then_some(r)
    });
    assert_eq!(
        line(&got, &bead)["models"][0],
        c.server.main_requests()[0].model.as_str()
    );
    let sessions = c.s.json(&["seance", &agent, "--list"]);
    assert_eq!(sessions["count"], 1, "{sessions}");
    assert_eq!(sessions["sessions"][0]["runtime"], cli);
}
