//! Many processes writing the same town at once: no failure, no lost write.

mod common;
use common::*;
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
    let text = std::fs::read_to_string(s.town().join(".beads/issues.jsonl")).expect("jsonl");
    let line: Value = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["id"] == shared.as_str())
        .expect("shared bead exported");
    assert_eq!(line["comments"].as_array().map(|c| c.len()), Some(20));
    assert_eq!(line["labels"].as_array().map(|c| c.len()), Some(20));
    let exported = s.ok(&["bead", "export"]).stdout;
    assert_eq!(exported.trim_end(), text.trim_end());
    assert_eq!(s.sql("SELECT count(*) FROM export_dirty"), "0");
}
