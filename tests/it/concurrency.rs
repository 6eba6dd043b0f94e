//! Many processes writing the same town at once: no failure, no lost write.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use serde_json::Value;

#[test]
fn twenty_processes_update_and_comment_without_losing_a_write() {
    let s = Sandbox::with_town();
    let shared = s.create(&["Shared bead"]);
    let own: Vec<String> = (0..20).map(|i| s.create(&[&format!("Own {i}")])).collect();
    let mut children = Vec::new();
    for (i, own_id) in own.iter().enumerate() {
        let script = format!(
            "bead comment {shared} \"comment from process {i}\"\n\
             bead update {shared} --add-label worker{i}\n\
             bead update {own_id} --title \"Own {i} (renamed)\" --status in_progress\n\
             bead comment {own_id} 'done by {i}'\n"
        );
        let child = s.spawn_batch(&script);
        children.push(child);
    }
    for (i, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "process {i} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Count every write, straight from the ledger file.
    assert_eq!(
        s.sql(&format!(
            "SELECT count(*) FROM comments WHERE issue_id = '{shared}'"
        )),
        "20"
    );
    assert_eq!(
        s.sql(&format!(
            "SELECT count(*) FROM labels WHERE issue_id = '{shared}'"
        )),
        "20"
    );
    assert_eq!(s.sql("SELECT count(*) FROM comments"), "40");
    assert_eq!(
        s.sql(
            "SELECT count(*) FROM beads WHERE title LIKE '%(renamed)' AND status = 'in_progress'"
        ),
        "20"
    );
    assert_eq!(
        s.sql("SELECT count(*) FROM events WHERE event_type IN ('commented', 'label_added', 'status_changed')"),
        "80",
        "40 comments + 20 labels + 20 status changes"
    );
    // The exported JSONL ended up consistent with the ledger despite racing writers.
    let text = s.jsonl();
    let line: Value = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["id"] == shared.as_str())
        .expect("shared bead exported");
    assert_eq!(line["comments"].as_array().map(|c| c.len()), Some(20));
    assert_eq!(line["labels"].as_array().map(|c| c.len()), Some(20));
    let exported = s.ok(&["bead", "export"]).stdout;
    assert_eq!(exported.trim_end(), text.trim_end());
    assert_eq!(s.sql("SELECT count(*) FROM export_marks"), "0");
}

#[test]
fn parallel_creates_closes_and_rig_adds_stay_consistent() {
    let s = Sandbox::with_town();
    // 20 processes each create 5 beads: 100 distinct ids.
    let children: Vec<_> = (0..20)
        .map(|i| {
            s.spawn_batch(
                &(0..5)
                    .map(|j| format!("bead create 'p{i} b{j}'\n"))
                    .collect::<String>(),
            )
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    for c in children {
        let o = c.wait_with_output().expect("wait");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        for l in String::from_utf8_lossy(&o.stdout).lines() {
            assert!(ids.insert(l.to_string()), "duplicate id {l}");
        }
    }
    assert_eq!(ids.len(), 100);
    assert_eq!(s.sql("SELECT count(*) FROM beads"), "100");

    // 20 processes close the 20 beads of one convoy at once: it lands exactly once.
    let members: Vec<String> = ids.iter().take(20).cloned().collect();
    let mut args = vec!["--batch", "convoy", "create", "Race"];
    args.extend(members.iter().map(String::as_str));
    let cv = s.ok(&args).stdout.trim().to_string();
    let children: Vec<_> = members
        .iter()
        .map(|m| s.spawn_batch(&format!("close {m}\n")))
        .collect();
    for c in children {
        let o = c.wait_with_output().expect("wait");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(
        s.sql(&format!(
            "SELECT count(*) FROM events WHERE issue_id = '{cv}' AND event_type = 'convoy_landed'"
        )),
        "1"
    );
    assert_eq!(
        s.sql(&format!("SELECT status FROM beads WHERE id = '{cv}'")),
        "closed"
    );

    // 6 rigs whose names all derive the prefix "ab", added at once: 6 distinct prefixes.
    let names = [
        "ab_one", "ab_two", "ab_three", "ab_four", "ab_five", "ab_six",
    ];
    let srcs: Vec<_> = names.iter().map(|n| s.source_repo(n)).collect();
    let children: Vec<_> = names
        .iter()
        .zip(&srcs)
        .map(|(n, src)| s.spawn_batch(&format!("rig add {n} {}\n", src.display())))
        .collect();
    for c in children {
        let o = c.wait_with_output().expect("wait");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let list = s.json(&["rig", "list"]);
    let prefixes: std::collections::HashSet<String> = list["rigs"]
        .as_array()
        .expect("rigs")
        .iter()
        .map(|r| r["prefix"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(prefixes.len(), 6, "{prefixes:?}");
}
