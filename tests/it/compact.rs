//! `gt compact`: what is past its time-to-live and finished goes, what is live stays, long-
//! closed beads are summarised, the export stays complete and current, the file gives space
//! back, a dry run writes nothing, and the deacon runs it on its cadence. Time passes by
//! backdating the rows time leaves behind (closed_at, created_at, updated_at), never by
//! sleeping.

use crate::common::Sandbox;
use serde_json::Value;

const LONG_AGO: &str = "2020-01-01T00:00:00Z";

const TWO_STEPS: &str = r#"
formula = "two"
description = "Two steps"
[[steps]]
id = "work"
title = "Do the work"
description = "the long instructions of the work step"
[[steps]]
id = "finish"
title = "Finish"
needs = ["work"]
"#;

fn count(s: &Sandbox, sql: &str) -> i64 {
    s.sql(sql).parse().expect("a count")
}

fn exists(s: &Sandbox, id: &str) -> bool {
    count(s, &format!("SELECT count(*) FROM beads WHERE id = '{id}'")) == 1
}

/// Everything already in the ledger happened long ago.
fn backdate_all(s: &Sandbox) {
    s.sql(&format!(
        "UPDATE beads SET closed_at = '{LONG_AGO}' WHERE closed_at IS NOT NULL;
         UPDATE events SET created_at = '{LONG_AGO}';
         UPDATE deliveries SET created_at = '{LONG_AGO}', updated_at = '{LONG_AGO}';"
    ));
}

fn files(s: &Sandbox) -> Vec<(String, Vec<u8>)> {
    // Settled first: the export follower of earlier writes is not the command's doing.
    s.flush();
    let gt = s.town().join(".gt");
    ["ledger.db", "ledger.db-wal"]
        .iter()
        .map(|f| gt.join(f))
        .chain([s.town().join(".beads/issues.jsonl")])
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read(&p).unwrap_or_default(),
            )
        })
        .collect()
}

/// `.beads/issues.jsonl` holds exactly what the ledger exports now.
fn assert_export_current(s: &Sandbox) {
    s.flush();
    let file = std::fs::read_to_string(s.town().join(".beads/issues.jsonl")).expect("export");
    let fresh = s.ok(&["--batch", "bead", "export"]).stdout;
    // (An empty ledger prints one empty line to stdout; the file is then empty.)
    assert_eq!(
        file.trim_end(),
        fresh.trim_end(),
        "issues.jsonl is complete and current"
    );
}

fn compact(s: &Sandbox, extra: &[&str]) -> Value {
    let mut args = vec!["compact"];
    args.extend_from_slice(extra);
    s.json(&args)["compact"].clone()
}

fn close_molecule(s: &Sandbox, root: &str) {
    s.ok(&["mol", "step", "done", "work", "--mol", root]);
    s.ok(&["mol", "step", "done", "finish", "--mol", root]);
}

#[test]
fn compact_removes_what_is_past_its_time_and_keeps_what_is_live() {
    let s = Sandbox::with_town();
    s.town_formula("two", TWO_STEPS);
    let done = s.json(&["mol", "pour", "two"])["poured"]["root"]
        .as_str()
        .expect("root")
        .to_string();
    close_molecule(&s, &done);
    let open_mol = s.json(&["mol", "pour", "two"])["poured"]["root"]
        .as_str()
        .expect("root")
        .to_string();
    let work = s.create(&["Live work"]);
    let wisp = s.create(&["A patrol record"]);
    let needed = s.create(&["A wisp live work waits for"]);
    let open_wisp = s.create(&["An open wisp"]);
    s.ok(&["bead", "dep", "add", &work, &needed]);
    for id in [&wisp, &needed] {
        s.ok(&["close", id, "--reason", "patrolled"]);
    }
    s.sql(&format!(
        "UPDATE beads SET ephemeral = 1, wisp_type = 'patrol' WHERE id IN ('{wisp}', '{needed}', '{open_wisp}');
         INSERT OR REPLACE INTO export_marks (id) VALUES ('{wisp}'), ('{needed}'), ('{open_wisp}');"
    ));
    s.ok(&[
        "--batch",
        "mail",
        "send",
        "overseer",
        "-s",
        "Unread news",
        "-m",
        "body",
    ]);
    s.sql(&format!(
        "INSERT INTO deliveries (agent, sender, text, state, created_at, updated_at)
           VALUES ('shop/polecats/ash', 'mayor', 'delivered text', 'delivered', '{LONG_AGO}', '{LONG_AGO}'),
                  ('shop/polecats/ash', 'mayor', 'failed text', 'failed', '{LONG_AGO}', '{LONG_AGO}'),
                  ('shop/polecats/ash', 'mayor', 'waiting text', 'queued', '{LONG_AGO}', '{LONG_AGO}'),
                  ('shop/polecats/ash', 'mayor', 'half-way text', 'pasted', '{LONG_AGO}', '{LONG_AGO}')"
    ));
    backdate_all(&s);
    let work_events = count(
        &s,
        &format!("SELECT count(*) FROM events WHERE issue_id = '{work}'"),
    );
    assert!(work_events > 0);

    let c = compact(&s, &[]);
    assert_eq!(c["dry_run"], false);
    assert_eq!(c["wisps"], 1, "{c}");
    assert_eq!(c["steps"], 2, "the finished molecule's steps: {c}");
    assert_eq!(c["deliveries"], 2, "{c}");
    assert_eq!(c["kept_depended"], 1, "{c}");
    assert!(c["events"].as_i64().unwrap_or(0) > 0, "{c}");

    assert!(!exists(&s, &wisp), "the closed wisp is gone");
    assert!(!exists(&s, &format!("{done}.1")) && !exists(&s, &format!("{done}.2")));
    assert!(
        exists(&s, &done),
        "the finished molecule's root stays, as squash leaves it"
    );
    for id in [
        &needed,
        &open_wisp,
        &work,
        &open_mol,
        &format!("{open_mol}.1"),
        &format!("{open_mol}.2"),
    ] {
        assert!(exists(&s, id), "{id} stays");
    }
    assert_eq!(
        count(
            &s,
            "SELECT count(*) FROM beads WHERE issue_type = 'message' AND status = 'open'"
        ),
        1,
        "unread mail stays"
    );
    assert_eq!(
        s.sql("SELECT group_concat(state) FROM (SELECT state FROM deliveries ORDER BY id)"),
        "queued,pasted",
        "deliveries on their way stay"
    );
    assert_eq!(
        count(
            &s,
            &format!("SELECT count(*) FROM events WHERE issue_id = '{work}'")
        ),
        work_events,
        "live work keeps its history"
    );
    assert_eq!(
        count(
            &s,
            &format!("SELECT count(*) FROM events WHERE issue_id = '{wisp}'")
        ),
        0
    );
    assert_eq!(
        count(
            &s,
            "SELECT count(*) FROM events WHERE event_type = 'compacted'"
        ),
        1,
        "one event records the compaction"
    );
    // The molecule view still reads: a finished root without its steps.
    s.ok(&["mol", "status", &done]);
    assert_export_current(&s);
    let export = std::fs::read_to_string(s.town().join(".beads/issues.jsonl")).expect("export");
    assert!(
        !export.contains(&format!("\"{done}.1\"")),
        "removed lines go"
    );

    // Nothing more to do a second time.
    let again = compact(&s, &[]);
    assert_eq!(
        (again["wisps"].clone(), again["steps"].clone()),
        (0.into(), 0.into())
    );
}

#[test]
fn compact_keeps_recent_wisps_and_events() {
    let s = Sandbox::with_town();
    s.town_formula("two", TWO_STEPS);
    let done = s.json(&["mol", "pour", "two"])["poured"]["root"]
        .as_str()
        .expect("root")
        .to_string();
    close_molecule(&s, &done);
    let events = count(&s, "SELECT count(*) FROM events");
    // Closed just now: within every time-to-live.
    let c = compact(&s, &[]);
    assert_eq!(
        (c["steps"].as_i64(), c["events"].as_i64()),
        (Some(0), Some(0)),
        "{c}"
    );
    assert!(exists(&s, &format!("{done}.1")));
    assert_eq!(count(&s, "SELECT count(*) FROM events"), events);
    // A time-to-live of zero takes them.
    let c = compact(&s, &["-c", "ledger.wisp_ttl=0s"]);
    assert_eq!(c["steps"], 2, "{c}");
    assert_export_current(&s);
}

#[test]
fn compact_summarises_beads_closed_long_ago() {
    let s = Sandbox::with_town();
    let id = s.create(&[
        "Fix the login page",
        "-d",
        &"the long story of the bug ".repeat(40),
    ]);
    s.ok(&["bead", "comment", &id, "tried the obvious thing first"]);
    s.ok(&["close", &id, "--reason", "fixed in abc123"]);
    let recent = s.create(&["Closed recently", "-d", "keep my text"]);
    s.ok(&["close", &recent]);
    s.sql(&format!(
        "UPDATE beads SET closed_at = '{LONG_AGO}' WHERE id = '{id}'"
    ));

    let c = compact(&s, &[]);
    assert_eq!(c["summarised"], 1, "{c}");
    assert_eq!(c["comments_folded"], 1, "{c}");
    assert!(
        c["text_bytes_before"].as_i64() > c["text_bytes_after"].as_i64(),
        "{c}"
    );

    let b = &s.json(&["bead", "show", &id])["bead"];
    let text = b["description"].as_str().expect("summary");
    assert!(text.contains("Fix the login page"), "{text}");
    assert!(
        text.contains("fixed in abc123"),
        "the outcome is kept: {text}"
    );
    assert!(!text.contains("long story"), "{text}");
    assert_eq!(b["title"], "Fix the login page");
    assert_eq!(b["status"], "closed");
    assert_eq!(
        s.sql(&format!(
            "SELECT compaction_level, compacted_at IS NOT NULL, original_size > 1000 FROM beads WHERE id = '{id}'"
        )),
        "1|1|1"
    );
    assert_eq!(
        count(
            &s,
            &format!("SELECT count(*) FROM comments WHERE issue_id = '{id}'")
        ),
        0
    );
    assert_eq!(
        s.json(&["bead", "show", &recent])["bead"]["description"],
        "keep my text"
    );
    assert_export_current(&s);
    let export = std::fs::read_to_string(s.town().join(".beads/issues.jsonl")).expect("export");
    let line = export
        .lines()
        .find(|l| l.contains(&format!("\"id\":\"{id}\"")))
        .expect("the summarised bead is in the export");
    assert!(line.contains("\"compaction_level\":1"), "{line}");
    assert!(!line.contains("long story"), "{line}");
}

#[test]
fn compact_dry_run_writes_nothing() {
    let s = Sandbox::with_town();
    let id = s.create(&["Old work", "-d", "text"]);
    s.ok(&["close", &id]);
    let wisp = s.create(&["A wisp"]);
    s.ok(&["close", &wisp]);
    s.sql(&format!(
        "UPDATE beads SET ephemeral = 1 WHERE id = '{wisp}'"
    ));
    backdate_all(&s);
    let state = s.ledger_state();
    let before = files(&s);
    let c = compact(&s, &["--dry-run"]);
    assert_eq!(c["dry_run"], true);
    assert_eq!(
        (c["wisps"].as_i64(), c["summarised"].as_i64()),
        (Some(1), Some(1)),
        "{c}"
    );
    assert_eq!(s.ledger_state(), state);
    for ((name, a), (_, b)) in before.iter().zip(files(&s)) {
        let diff: Vec<usize> = (0..a.len().min(b.len()))
            .filter(|i| a[*i] != b[*i])
            .take(20)
            .collect();
        assert!(
            *a == b,
            "{name} is byte for byte the same ({} → {} bytes; differs at {diff:?})",
            a.len(),
            b.len()
        );
    }
    let text = s.ok(&["compact", "--dry-run"]).stdout;
    assert!(text.contains("would remove: 1 closed wisp"), "{text}");
    assert!(text.contains("nothing written"), "{text}");
    // The real run then does what the dry run said.
    let done = compact(&s, &[]);
    assert_eq!(
        (done["wisps"].as_i64(), done["summarised"].as_i64()),
        (Some(1), Some(1))
    );
}

#[test]
fn compact_gives_space_back_and_converts_an_older_ledger() {
    let s = Sandbox::with_town();
    let body = "x".repeat(2000);
    let script: String = (0..600)
        .map(|i| format!("bead create \"wisp {i}\" -d {body}\n"))
        .collect();
    let r = s.batch_stdin(&script);
    assert_eq!(r.code, 0, "{}", r.stderr);
    s.sql(&format!(
        "UPDATE beads SET ephemeral = 1, status = 'closed', closed_at = '{LONG_AGO}' WHERE title LIKE 'wisp %';
         PRAGMA auto_vacuum = NONE; VACUUM;"
    ));
    assert_eq!(s.sql("PRAGMA auto_vacuum"), "0", "an older ledger");
    let c = compact(&s, &[]);
    assert_eq!(c["wisps"], 600, "{c}");
    assert_eq!(c["converted"], true, "{c}");
    assert_eq!(s.sql("PRAGMA auto_vacuum"), "2", "incremental from now on");
    let before = c["bytes_before"]["db"].as_u64().expect("before");
    let after = c["bytes_after"]["db"].as_u64().expect("after");
    assert!(after * 3 < before, "{before} → {after}");

    // Now incremental: another batch grows it, compaction shrinks it without a VACUUM.
    let r = s.batch_stdin(&script);
    assert_eq!(r.code, 0, "{}", r.stderr);
    s.sql(&format!(
        "UPDATE beads SET ephemeral = 1, status = 'closed', closed_at = '{LONG_AGO}' WHERE title LIKE 'wisp %'"
    ));
    let c = compact(&s, &[]);
    assert_eq!(c["converted"], false);
    let grown = c["bytes_before"]["db"].as_u64().expect("before")
        + c["bytes_before"]["wal"].as_u64().expect("wal");
    let db = std::fs::metadata(s.town().join(".gt/ledger.db"))
        .expect("db")
        .len();
    assert!(db * 3 < grown, "{grown} → {db}");
    assert_eq!(c["bytes_after"]["free"], 0, "no free page kept: {c}");
    assert_export_current(&s);
}

#[test]
fn compact_refuses_a_bad_time_to_live_and_writes_nothing() {
    let s = Sandbox::with_town();
    let id = s.create(&["Old work", "-d", "text"]);
    s.ok(&["close", &id]);
    backdate_all(&s);
    let state = s.ledger_state();
    for bad in [
        "ledger.wisp_ttl=soon",
        "ledger.compact_after=-1d",
        "ledger.event_ttl=7w",
    ] {
        let r = s.gt(&["--batch", "compact", "-c", bad]);
        assert_eq!(r.code, 2, "{bad}: {}", r.stderr);
        assert!(
            r.stderr.contains(bad.split('=').next().unwrap_or("")),
            "{}",
            r.stderr
        );
    }
    let r = s.gt(&["--batch", "config", "set", "ledger.wisp_ttl", "a week"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = s.gt(&["--batch", "compact", "-c", "deacon.compact_every=5s"]);
    assert_eq!(
        r.code, 2,
        "the deacon's cadence is at least a minute: {}",
        r.stderr
    );
    // A broken town.toml is a failed command (exit 1), and nothing is written either.
    let toml = s.town().join("town.toml");
    let mut text = std::fs::read_to_string(&toml).expect("town.toml");
    text.push_str("\n[ledger]\nwisp_ttl = \"fortnight\"\n");
    std::fs::write(&toml, text).expect("write");
    let r = s.gt(&["--batch", "compact"]);
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert!(r.stderr.contains("wisp_ttl"), "{}", r.stderr);
    assert_eq!(s.ledger_state(), state, "nothing was written");
}

#[test]
fn the_deacon_compacts_on_its_cadence() {
    let s = Sandbox::with_town();
    let wisp = s.create(&["A wisp"]);
    s.ok(&["close", &wisp]);
    s.sql(&format!(
        "UPDATE beads SET ephemeral = 1 WHERE id = '{wisp}'"
    ));
    backdate_all(&s);
    s.ok(&["estop", "-m", "looking into it"]);
    let t = s.json(&["deacon", "run", "--once"]);
    assert_eq!(t["deacon"]["compact_skipped"], "estop", "{t}");
    assert!(
        exists(&s, &wisp),
        "nothing removed under the emergency stop"
    );
    s.ok(&["thaw"]);
    let t = s.json(&["deacon", "run", "--once"]);
    assert_eq!(t["deacon"]["compacted"]["wisps"], 1, "{t}");
    assert!(!exists(&s, &wisp));
    // Recorded in the ledger: the next pass (a new process) does not run it again yet.
    let again = s.json(&["deacon", "run", "--once"]);
    assert!(again["deacon"].get("compacted").is_none(), "{again}");
    assert!(
        !s.sql("SELECT value FROM config WHERE key = 'gt.compact.last_run'")
            .is_empty()
    );
    // Once its period has passed, it runs again.
    s.sql(&format!(
        "UPDATE config SET value = '{LONG_AGO}' WHERE key = 'gt.compact.last_run'"
    ));
    let later = s.json(&["deacon", "run", "--once"]);
    assert!(later["deacon"]["compacted"].is_object(), "{later}");
}

#[test]
fn help_lists_compact_with_an_example() {
    let s = Sandbox::with_town();
    assert!(s.ok(&["--help"]).stdout.contains("  gt compact"));
    assert!(s.ok(&["compact", "--help"]).stdout.contains("Example"));
}
