//! Compatibility with real bd data (`../shared/compat/beads`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};

fn read_jsonl(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("read fixture")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("fixture line is JSON"))
        .collect()
}

fn truthy(v: &Value) -> bool {
    matches!(v, Value::Bool(true)) || v.as_i64() == Some(1)
}

/// DESIGN.md §4's ready rule, computed straight from the fixture files.
fn expected_ready(issues: &[Value], deps: &[Value]) -> BTreeSet<String> {
    const INFRA: &[&str] = &[
        "message",
        "merge-request",
        "molecule",
        "gate",
        "agent",
        "role",
        "rig",
        "convoy",
        "slot",
        "event",
    ];
    let status: HashMap<&str, &str> = issues
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap_or(""),
                i["status"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let done = |s: &str| s == "closed" || s == "tombstone";
    let mut blocked: HashSet<String> = HashSet::new();
    for i in issues {
        if i["status"] == "blocked" {
            blocked.insert(i["id"].as_str().unwrap_or("").into());
        }
    }
    for d in deps {
        let kind = d["type"].as_str().unwrap_or("");
        if ["blocks", "conditional-blocks", "waits-for"].contains(&kind)
            && let Some(s) = status.get(d["depends_on_id"].as_str().unwrap_or(""))
            && !done(s)
        {
            blocked.insert(d["issue_id"].as_str().unwrap_or("").into());
        }
    }
    loop {
        let before = blocked.len();
        for d in deps {
            if d["type"] == "parent-child"
                && blocked.contains(d["depends_on_id"].as_str().unwrap_or(""))
            {
                blocked.insert(d["issue_id"].as_str().unwrap_or("").into());
            }
        }
        if blocked.len() == before {
            break;
        }
    }
    let now = chrono::Utc::now();
    issues
        .iter()
        .filter(|i| i["status"] == "open")
        .filter(|i| !truthy(&i["pinned"]) && !truthy(&i["ephemeral"]) && !truthy(&i["is_template"]))
        .filter(|i| !INFRA.contains(&i["issue_type"].as_str().unwrap_or("")))
        .filter(|i| {
            i["defer_until"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .is_none_or(|t| t <= now)
        })
        .map(|i| i["id"].as_str().unwrap_or("").to_string())
        .filter(|id| !blocked.contains(id))
        .collect()
}

#[test]
fn gastown_backup_imports_with_the_documented_counts() {
    let Some(compat) = compat_dir() else { return };
    let dir = compat.join("beads/gastown-backup");
    let s = Sandbox::with_town();
    let r = s.json(&["bead", "import", dir.to_str().expect("utf8")]);
    assert_eq!(r["dialect"], "table-dump");
    assert_eq!(r["imported"]["issues"], 677);
    assert_eq!(r["imported"]["dependencies"], 315);
    assert_eq!(r["imported"]["labels"], 169);
    assert_eq!(r["imported"]["comments"], 14);
    assert_eq!(r["imported"]["events"], 3667);
    assert_eq!(r["imported"]["config"], 17);
    // Counted independently in the ledger file.
    assert_eq!(s.sql("SELECT count(*) FROM beads"), "677");
    assert_eq!(
        s.sql("SELECT group_concat(status || '=' || n) FROM (SELECT status, count(*) n FROM beads GROUP BY status ORDER BY status)"),
        "closed=643,hooked=1,open=32,pinned=1"
    );
    assert_eq!(
        s.sql("SELECT count(*) FROM beads WHERE ephemeral = 1"),
        "18"
    );
    assert_eq!(s.sql("SELECT count(*) FROM deps"), "315");
    assert_eq!(
        s.sql("SELECT count(*) FROM deps WHERE depends_on_id NOT IN (SELECT id FROM beads)"),
        "233"
    );
    assert_eq!(s.sql("SELECT count(*) FROM labels"), "169");
    assert_eq!(s.sql("SELECT count(*) FROM comments"), "14");
    assert_eq!(
        s.sql("SELECT count(*) FROM events WHERE event_type NOT IN ('imported', 'import')"),
        "3667"
    );
    assert_eq!(s.sql("SELECT count(*) FROM config"), "17");
    // Fields survive: a comment keeps its id and author, an event its payload.
    assert_eq!(
        s.sql("SELECT author FROM comments WHERE id = 1"),
        "gastown/crew/jack"
    );
    assert_eq!(
        s.sql("SELECT event_type FROM events WHERE id = 1"),
        "status_changed"
    );

    let issues = read_jsonl(&dir.join("issues.jsonl"));
    let deps = read_jsonl(&dir.join("dependencies.jsonl"));
    let expected = expected_ready(&issues, &deps);
    assert!(!expected.is_empty());
    let got: BTreeSet<String> = s.json(&["ready"])["beads"]
        .as_array()
        .expect("beads")
        .iter()
        .map(|b| b["id"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(got, expected);
    // The same rule from the classic export, which has real blocking edges.
    let classic = compat.join("beads/classic-export/issues.jsonl");
    let t = Sandbox::with_town();
    t.ok(&["bead", "import", classic.to_str().expect("utf8")]);
    let issues = read_jsonl(&classic);
    let deps: Vec<Value> = issues
        .iter()
        .flat_map(|i| i["dependencies"].as_array().cloned().unwrap_or_default())
        .collect();
    let expected = expected_ready(&issues, &deps);
    let got: BTreeSet<String> = t.json(&["ready"])["beads"]
        .as_array()
        .expect("beads")
        .iter()
        .map(|b| b["id"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(got, expected);
    let blocked = t.json(&["blocked"]);
    assert!(
        blocked["count"].as_u64().unwrap_or(0) > 0,
        "the classic export has blocked work"
    );
}

#[test]
fn classic_export_round_trips_every_field() {
    let Some(compat) = compat_dir() else { return };
    let original = compat.join("beads/classic-export/issues.jsonl");
    let a = Sandbox::with_town();
    let r = a.json(&["bead", "import", original.to_str().expect("utf8")]);
    assert_eq!(r["dialect"], "issue-per-line");
    assert_eq!(r["imported"]["issues"], 485);
    let out1 = a.path().join("export1.jsonl");
    a.ok(&["bead", "export", out1.to_str().expect("utf8")]);

    // Exported lines are the original issues, field for field.
    let orig: HashMap<String, Value> = read_jsonl(&original)
        .into_iter()
        .map(|v| (v["id"].as_str().unwrap_or("").to_string(), v))
        .collect();
    let exported = read_jsonl(&out1);
    assert_eq!(exported.len(), orig.len());
    for e in &exported {
        let id = e["id"].as_str().unwrap_or("");
        assert_eq!(Some(e), orig.get(id), "bead {id} changed in the round trip");
    }
    // Byte for byte, as bd wrote it (Go's escaping of <, >, & included), so bd and gt can
    // take turns on the file without churning it in git.
    assert_eq!(
        std::fs::read(&out1).expect("read"),
        std::fs::read(&original).expect("read")
    );
    // The automatic .beads/issues.jsonl is the same export.
    a.flush();
    assert_eq!(
        std::fs::read(&out1).expect("read"),
        std::fs::read(a.town().join(".beads/issues.jsonl")).expect("read")
    );

    // Re-importing into a fresh town gives identical ledger rows.
    let b = Sandbox::with_town();
    b.ok(&["bead", "import", out1.to_str().expect("utf8")]);
    for q in [
        "SELECT * FROM beads ORDER BY id",
        "SELECT * FROM deps ORDER BY issue_id, depends_on_id, type",
        "SELECT issue_id, label FROM labels ORDER BY issue_id, rowid",
        "SELECT * FROM comments ORDER BY id",
    ] {
        assert_eq!(a.sql(q), b.sql(q), "{q} differs after re-import");
    }
    let out2 = b.path().join("export2.jsonl");
    b.ok(&["bead", "export", out2.to_str().expect("utf8")]);
    assert_eq!(
        std::fs::read(&out1).expect("read"),
        std::fs::read(&out2).expect("read")
    );
}

#[test]
fn a_malformed_line_aborts_the_import_with_its_number() {
    let Some(compat) = compat_dir() else { return };
    let s = Sandbox::with_town();
    let text =
        std::fs::read_to_string(compat.join("beads/classic-export/issues.jsonl")).expect("read");
    let mut lines: Vec<&str> = text.lines().collect();
    lines[99] = "{\"id\": \"bd-broken\", \"title\": ";
    let bad = s.path().join("bad.jsonl");
    std::fs::write(&bad, lines.join("\n")).expect("write");
    s.flush();
    let before = s.ledger_state();
    let jsonl_before = std::fs::read(s.town().join(".beads/issues.jsonl")).expect("read");
    let r = s.gt(&["bead", "import", bad.to_str().expect("utf8")]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("bad.jsonl:100:"), "{}", r.stderr);
    assert!(r.stderr.contains("nothing was imported"), "{}", r.stderr);
    assert_eq!(before, s.ledger_state());
    assert_eq!(
        jsonl_before,
        std::fs::read(s.town().join(".beads/issues.jsonl")).expect("read")
    );

    // A well-formed line with a wrongly typed field is refused the same way.
    lines[99] = r#"{"id":"bd-x","title":"x","priority":"high","status":"open","issue_type":"task","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}"#;
    std::fs::write(&bad, lines.join("\n")).expect("write");
    let r = s.gt(&["bead", "import", bad.to_str().expect("utf8")]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(":100:") && r.stderr.contains("priority"),
        "{}",
        r.stderr
    );
    assert_eq!(before, s.ledger_state());

    let r = s.gt(&["bead", "import", s.path().to_str().expect("utf8")]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a bd export"), "{}", r.stderr);
}

#[test]
fn unknown_fields_survive_import_and_export() {
    let s = Sandbox::with_town();
    let f = s.path().join("x.jsonl");
    std::fs::write(
        &f,
        r#"{"id":"zz-1","title":"t","status":"open","priority":0,"issue_type":"task","created_at":"2026-01-01T00:00:00-08:00","updated_at":"2026-01-01T00:00:00.123456789Z","future_field":{"a":[1,2]},"metadata":{"k":"v"},"waiters":["mayor"],"timeout":5000,"pinned":true,"dependencies":[{"issue_id":"zz-1","depends_on_id":"elsewhere-9","type":"custom-kind","thread_id":"t1"}],"comments":[{"id":7,"issue_id":"zz-1","author":"a","text":"hi","created_at":"2026-01-01T00:00:00Z","reactions":3}]}"#,
    )
    .expect("write");
    s.ok(&["bead", "import", f.to_str().expect("utf8")]);
    let exported = s.ok(&["bead", "export"]).stdout;
    let got: Value = serde_json::from_str(exported.trim()).expect("json");
    let want: Value =
        serde_json::from_str(&std::fs::read_to_string(&f).expect("read")).expect("json");
    assert_eq!(got, want);
}

#[test]
fn importing_the_same_dump_twice_changes_nothing_but_the_import_record() {
    let Some(compat) = compat_dir() else { return };
    let dir = compat.join("beads/gastown-backup");
    let s = Sandbox::with_town();
    s.ok(&["bead", "import", dir.to_str().expect("utf8")]);
    let beads = s.sql("SELECT * FROM beads ORDER BY id");
    let r = s.json(&["bead", "import", dir.to_str().expect("utf8")]);
    assert_eq!(r["imported"]["created"], 0);
    assert_eq!(r["imported"]["updated"], 677);
    assert_eq!(r["imported"]["events"], 0, "bd's events are already there");
    assert_eq!(
        s.sql("SELECT count(*) FROM events WHERE event_type NOT IN ('imported', 'reimported', 'import')"),
        "3667"
    );
    assert_eq!(s.sql("SELECT count(*) FROM deps"), "315");
    assert_eq!(s.sql("SELECT count(*) FROM labels"), "169");
    assert_eq!(beads, s.sql("SELECT * FROM beads ORDER BY id"));
}

#[test]
fn an_imported_close_lands_the_convoy_and_a_reopen_reopens_it() {
    let s = Sandbox::with_town();
    let line = |status: &str, closed: &str| {
        format!(
            r#"{{"id":"zz-1","title":"t","status":"{status}","priority":2,"issue_type":"task","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-02T00:00:00Z"{closed}}}"#
        )
    };
    let f = s.path().join("x.jsonl");
    std::fs::write(&f, line("open", "")).expect("write");
    s.ok(&["bead", "import", f.to_str().expect("utf8")]);
    let cv = s
        .ok(&["--batch", "convoy", "create", "C", "zz-1"])
        .stdout
        .trim()
        .to_string();
    std::fs::write(&f, line("closed", r#","closed_at":"2026-01-03T00:00:00Z""#)).expect("write");
    s.ok(&["bead", "import", f.to_str().expect("utf8")]);
    assert_eq!(
        s.json(&["convoy", "show", &cv])["convoy"]["status"],
        "closed"
    );
    std::fs::write(&f, line("open", "")).expect("write");
    s.ok(&["bead", "import", f.to_str().expect("utf8")]);
    assert_eq!(s.json(&["convoy", "show", &cv])["convoy"]["status"], "open");
}

#[test]
fn undecodable_or_incomplete_lines_are_refused_with_their_number() {
    let s = Sandbox::with_town();
    let good = r#"{"id":"zz-1","title":"t","status":"open","priority":2,"issue_type":"task","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}"#;
    let f = s.path().join("x.jsonl");
    let mut bytes = format!("{good}\n").into_bytes();
    bytes.extend_from_slice(b"{\"id\":\"zz-2\",\"title\":\"\xff\xfe\"}\n");
    std::fs::write(&f, &bytes).expect("write");
    let r = s.gt(&["bead", "import", f.to_str().expect("utf8")]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("x.jsonl:2: not UTF-8"), "{}", r.stderr);
    for (bad, msg) in [
        (
            r#"{"id":"zz-3","status":"open","priority":2}"#,
            "has no title",
        ),
        (r#"{"id":"zz-3","title":"t","priority":9}"#, "priority 9"),
        (r#"{"title":"no id"}"#, "missing `id`"),
        (
            r#"{"id":"zz-3","title":"t","created_at":"last week"}"#,
            "RFC 3339",
        ),
    ] {
        std::fs::write(&f, format!("{good}\n{bad}\n")).expect("write");
        let r = s.gt(&["bead", "import", f.to_str().expect("utf8")]);
        assert_eq!(r.code, 2, "{bad}");
        assert!(
            r.stderr.contains(":2:") && r.stderr.contains(msg),
            "{bad}: {}",
            r.stderr
        );
    }
    assert_eq!(s.sql("SELECT count(*) FROM beads"), "0");
}
