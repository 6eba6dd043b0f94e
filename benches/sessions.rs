//! Figures of runtime reports, sessions and costs (issue 15):
//! - a runtime's report (`gt agent event`) → the verdict: as `gt agents` reads it, and as the
//!   supervisor's witness acts on it (budget 1 s);
//! - `gt costs --json` over 1,000 sessions and 100,000 answers (budget 50 ms);
//! - how fast a transcript is read for usage (answers and MB per second), and what a report
//!   costs when its transcript has nothing new.
//!
//! `cargo bench --bench sessions`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{
    Down, create_beads, gt, gt_cmd, report_timings, sim_runtime, town_with_rigs, witness_report,
};
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn report(town: &Path, agent: &str, kind: &str, payload: &str) -> Duration {
    let t = Instant::now();
    let mut child = gt_cmd(town, &["--batch", "agent", "event", kind])
        .env("GT_AGENT", agent)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("gt agent event");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(payload.as_bytes())
        .expect("payload");
    assert!(child.wait().expect("wait").success());
    t.elapsed()
}

fn verdict_of(town: &Path, agent: &str) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&gt(town, &["--json", "agents"])).expect("json");
    v["agents"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["address"] == agent))
        .map(|x| x["verdict"].as_str().unwrap_or("").to_string())
        .unwrap_or_default()
}

fn witness_verdict(town: &Path, rig: &str, agent: &str) -> String {
    witness_report(town, rig)["agents"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["address"] == agent))
        .map(|x| x["verdict"].as_str().unwrap_or("").to_string())
        .unwrap_or_default()
}

fn main() {
    let bt = town_with_rigs("gt-bench-sessions-", &["bench"]);
    let town = bt.town.clone();
    sim_runtime(&town, "benchsim", "--hang");
    let ids = create_beads(&town, 1, &["bench"], "Bench work");
    let slung: serde_json::Value = serde_json::from_str(&gt(
        &town,
        &["--json", "sling", &ids[0], "bench", "--agent", "benchsim"],
    ))
    .expect("json");
    let agent = slung["slung"][0]["agent"]
        .as_str()
        .expect("agent")
        .to_string();
    println!("town: one sim agent at its prompt with work hooked");

    // BENCH_ONLY=costs runs part 3 alone (while tuning the queries).
    let only_costs = std::env::var("BENCH_ONLY").is_ok_and(|v| v == "costs");
    if !only_costs {
        latencies(&town, &agent);
    }
    costs(&town);
    if !only_costs {
        ingestion(&town, &agent, bt.tmp.path());
    }
}

fn latencies(town: &Path, agent: &str) {
    let (town, agent) = (town.to_path_buf(), agent.to_string());
    // 1. The report → the verdict gt agents shows.
    let mut read_path = Vec::new();
    for i in 0..10 {
        let payload = format!(r#"{{"session_id": "bench-{i}"}}"#);
        let t = Instant::now();
        report(&town, &agent, "prompt-submit", &payload);
        report(&town, &agent, "needs-input", &payload);
        assert_eq!(verdict_of(&town, &agent), "waiting");
        read_path.push(t.elapsed());
    }
    report_timings(
        "report → verdict in `gt agents` (2 reports + read)",
        read_path,
        Some(1000.0),
    );

    // 2. The report → the supervisor's witness has judged it (its round's report).
    gt(
        &town,
        &["--batch", "config", "set", "witness.interval_secs", "30"],
    );
    gt(
        &town,
        &["--batch", "config", "set", "witness.recovery", "report"],
    );
    let _down = Down(town.clone());
    gt(&town, &["--batch", "up"]);
    std::thread::sleep(Duration::from_secs(4));
    let mut witness = Vec::new();
    for i in 0..8 {
        let payload = format!(r#"{{"session_id": "w-{i}"}}"#);
        report(&town, &agent, "prompt-submit", &payload);
        // Busy again: the witness's view moves off `waiting` before the report under test.
        let deadline = Instant::now() + Duration::from_secs(40);
        while witness_verdict(&town, "bench", &agent) == "waiting" && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let t = Instant::now();
        report(&town, &agent, "needs-input", &payload);
        let deadline = t + Duration::from_secs(40);
        while witness_verdict(&town, "bench", &agent) != "waiting" && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        witness.push(t.elapsed());
    }
    report_timings(
        "report → the witness's verdict (rounds every 30 s)",
        witness,
        Some(1000.0),
    );
}

fn costs(town: &Path) {
    let town = town.to_path_buf();
    // 3. gt costs over 1,000 sessions and 100,000 answers.
    let ledger_path = town.join(".gt/ledger.db");
    let mut ledger =
        gt::ledger::Ledger::open(&ledger_path, Duration::from_secs(5)).expect("ledger");
    let beads = create_beads(&town, 200, &["bench"], "Costed work");
    for chunk in beads.chunks(20) {
        let mut args = vec!["--batch", "convoy", "create", "Bench convoy"];
        args.extend(chunk.iter().map(String::as_str));
        gt(&town, &args);
    }
    let t = Instant::now();
    ledger
        .write("bench", |tx| -> Result<(), gt::ledger::LedgerError> {
            for s in 0..1000usize {
                let id = format!("bench-session-{s:04}");
                let agent = format!("bench/polecats/p{}", s % 50);
                tx.start_session(&gt::ledger::SessionStart {
                    id: &id,
                    agent: &agent,
                    rig: Some("bench"),
                    role: Some("polecat"),
                    runtime: Some("claude"),
                    bead: Some(&beads[s % beads.len()]),
                    ..Default::default()
                })?;
                let turns: Vec<gt::ledger::TurnUsage> = (0..100)
                    .map(|t| gt::ledger::TurnUsage {
                        message_id: format!("msg-{s}-{t}"),
                        // A session lives within a day; one in ten runs past midnight.
                        day: format!(
                            "2026-11-{:02}",
                            1 + (s + usize::from(s % 10 == 0 && t >= 50)) % 30
                        ),
                        model: if t % 10 == 0 {
                            "claude-haiku-4-5".into()
                        } else {
                            "claude-sonnet-4-5".into()
                        },
                        input: 1000,
                        output: 200,
                        cache_write: 50,
                        cache_read: 5000,
                    })
                    .collect();
                tx.add_usage(&id, Some(&beads[s % beads.len()]), &turns, 0, None, None)?;
            }
            Ok(())
        })
        .expect("usage");
    println!(
        "wrote 1,000 sessions and 100,000 answers in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    if let Ok(to) = std::env::var("BENCH_COPY_LEDGER") {
        drop(ledger);
        std::fs::copy(&ledger_path, to).expect("copy the ledger");
    }
    for by in ["agent", "bead", "convoy", "day", "rig"] {
        let mut samples = Vec::new();
        for _ in 0..9 {
            let t = Instant::now();
            gt(&town, &["--batch", "--json", "costs", "--by", by]);
            samples.push(t.elapsed());
        }
        report_timings(
            &format!("gt costs --json --by {by} (1k sessions, 100k answers)"),
            samples,
            Some(50.0),
        );
    }
}

fn ingestion(town: &Path, agent: &str, tmp: &Path) {
    let (town, agent) = (town.to_path_buf(), agent.to_string());
    // 4. Reading a transcript for usage.
    let transcript = tmp.join("bench-transcript.jsonl");
    let answers = 50_000usize;
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&transcript).expect("file"));
        for i in 0..answers {
            // As Claude Code writes them: the prompt, the answer (two lines for a streamed
            // answer with two blocks), and other records between.
            writeln!(f, r#"{{"type":"user","message":{{"role":"user","content":"step {i}"}},"timestamp":"2026-12-04T10:00:00.000Z"}}"#).unwrap();
            for part in 0..2 {
                writeln!(f, r#"{{"type":"assistant","timestamp":"2026-12-04T10:00:01.000Z","message":{{"id":"tmsg_{i}","model":"claude-sonnet-4-5","content":[{{"type":"text","text":"part {part} of an answer with some words in it"}}],"usage":{{"input_tokens":1200,"output_tokens":{},"cache_creation_input_tokens":30,"cache_read_input_tokens":9000}}}}}}"#, 1 + part * 100).unwrap();
            }
            writeln!(f, r#"{{"type":"system","subtype":"turn_duration","durationMs":1234,"timestamp":"2026-12-04T10:00:02.000Z"}}"#).unwrap();
        }
    }
    let bytes = std::fs::metadata(&transcript).expect("size").len();
    let payload = serde_json::json!({
        "session_id": "bench-transcript",
        "transcript_path": transcript.display().to_string(),
    })
    .to_string();
    let t = Instant::now();
    report(&town, &agent, "session-start", &payload);
    let took = t.elapsed().as_secs_f64();
    println!(
        "transcript read for usage: {answers} answers, {:.1} MB in {:.2} s — {:.0} answers/s, {:.1} MB/s (one report, from cold)",
        bytes as f64 / 1e6,
        took,
        answers as f64 / took,
        bytes as f64 / 1e6 / took
    );
    let mut quiet = Vec::new();
    for _ in 0..10 {
        quiet.push(report(&town, &agent, "turn-end", &payload));
    }
    report_timings(
        "a report whose transcript has nothing new (whole gt process)",
        quiet,
        None,
    );
}
