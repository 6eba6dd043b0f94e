//! `.beads/issues.jsonl` follows the ledger without a rewrite per write (issue 18): after a
//! burst of writes from many processes it becomes complete and current by itself; a crash in
//! the middle of a burst loses nothing and never leaves a torn file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

fn jsonl_path(s: &Sandbox) -> std::path::PathBuf {
    s.town().join(".beads/issues.jsonl")
}

/// What the ledger says the file must hold (streamed from the ledger, not from the file).
fn expected(s: &Sandbox) -> String {
    let out = s.ok(&["--batch", "bead", "export"]).stdout;
    let mut text = out.trim_end().to_string();
    text.push('\n');
    text
}

/// Every line of the file is a whole JSON object with an id, and the file ends with a newline.
fn whole(text: &str) -> Result<usize, String> {
    if !text.is_empty() && !text.ends_with('\n') {
        return Err("the file does not end with a newline".into());
    }
    for (i, l) in text.lines().enumerate() {
        let v: serde_json::Value =
            serde_json::from_str(l).map_err(|e| format!("line {}: {e}: {l}", i + 1))?;
        if !v["id"].is_string() {
            return Err(format!("line {} has no id", i + 1));
        }
    }
    Ok(text.lines().count())
}

fn temps(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read .beads")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

/// Followers of this town (`gt … bead flush --follow` with the town as working directory).
fn followers(town: &Path) -> Vec<i32> {
    let town = std::fs::canonicalize(town).expect("town");
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").expect("proc").flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if cmd.contains("bead flush --follow")
            && std::fs::read_link(e.path().join("cwd")).is_ok_and(|c| c == town)
        {
            out.push(pid);
        }
    }
    out
}

fn batch(s: &Sandbox, lines: &[String]) -> std::process::Child {
    let mut child = s
        .cmd(&s.town(), &["--batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn gt --batch -");
    let mut stdin = child.stdin.take().expect("stdin");
    let text = lines.join("\n") + "\n";
    std::thread::spawn(move || {
        let _ = stdin.write_all(text.as_bytes());
    });
    child
}

#[test]
fn after_a_burst_of_writes_from_many_processes_the_file_is_complete_and_current_by_itself() {
    let s = Sandbox::with_town();
    let first = s.create(&["The first bead"]);
    let mut children = Vec::new();
    for p in 0..6 {
        let mut lines = Vec::new();
        for i in 0..20 {
            lines.push(format!("bead create 'Burst {p}-{i}' -p {}", i % 4));
        }
        lines.push(format!("bead comment {first} 'comment from {p}'"));
        lines.push(format!("bead update {first} --notes 'notes from {p}'"));
        children.push(batch(&s, &lines));
    }
    for mut c in children {
        assert!(c.wait().expect("wait").success());
    }
    s.ok(&["--batch", "bead", "close", &first]);
    // Nobody asks for the file: the town's follower brings it up to date on its own.
    let want = expected(&s);
    let file = jsonl_path(&s);
    wait_for(30, "issues.jsonl to follow the ledger", || {
        let text = std::fs::read_to_string(&file).ok()?;
        (text == want).then_some(())
    });
    assert_eq!(whole(&want), Ok(121), "120 burst beads and the first");
    let line: serde_json::Value = want
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .find(|v| v["id"] == first.as_str())
        .expect("first bead");
    assert_eq!(line["status"], "closed");
    assert_eq!(line["comments"].as_array().map(Vec::len), Some(6));
    assert_eq!(s.sql("SELECT count(*) FROM export_marks"), "0");
    // The follower leaves once nothing is left to write.
    wait_for(20, "the follower to leave", || {
        followers(&s.town()).is_empty().then_some(())
    });
    assert!(temps(&s.town().join(".beads")).is_empty());
}

#[test]
fn a_crash_in_the_middle_of_a_burst_loses_nothing_and_never_tears_the_file() {
    let s = Sandbox::with_town();
    let seed: Vec<String> = (0..300)
        .map(|i| {
            format!(
                "bead create 'Seed {i}' -d 'a description long enough to make lines of some size'"
            )
        })
        .collect();
    assert!(batch(&s, &seed).wait().expect("wait").success());
    s.flush();
    let file = jsonl_path(&s);

    // A reader that keeps reading the file the whole time, as git or bd would.
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let reader = {
        let (stop, reads, file) = (stop.clone(), reads.clone(), file.clone());
        std::thread::spawn(move || -> Result<(), String> {
            while !stop.load(Ordering::SeqCst) {
                let text = std::fs::read_to_string(&file).map_err(|e| e.to_string())?;
                whole(&text)?;
                reads.fetch_add(1, Ordering::SeqCst);
            }
            Ok(())
        })
    };

    let burst: Vec<String> = (0..3000)
        .map(|i| format!("bead create 'Burst {i}' -d 'written while the file is rewritten'"))
        .collect();
    let mut writer = batch(&s, &burst);
    let count = || -> usize { s.sql("SELECT count(*) FROM beads").parse().expect("count") };
    // Killed mid-burst, and a follower killed mid-rewrite when one is running.
    wait_for(60, "the burst to be under way", || {
        (count() > 450).then_some(())
    });
    let mut killed_followers = 0;
    wait_for(20, "a follower to be at work", || {
        let f = followers(&s.town());
        for pid in &f {
            // SAFETY: sending a signal to a process id has no memory effects here.
            unsafe { libc::kill(*pid, libc::SIGKILL) };
            killed_followers += 1;
        }
        (!f.is_empty()).then_some(())
    });
    writer.kill().expect("kill -9 the writer");
    let _ = writer.wait();
    let written = count();
    assert!(written > 450 && written < 3300, "{written}");
    std::thread::sleep(std::time::Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    reader
        .join()
        .expect("reader")
        .expect("the file is whole at every read");
    assert!(reads.load(Ordering::SeqCst) > 0);
    assert!(killed_followers > 0);

    // Everything committed before the crash is in the file after the next flush.
    s.flush();
    let text = std::fs::read_to_string(&file).expect("read");
    assert_eq!(whole(&text), Ok(written));
    assert_eq!(text, expected(&s));
    assert_eq!(s.sql("SELECT count(*) FROM export_marks"), "0");
    assert!(
        temps(&s.town().join(".beads")).is_empty(),
        "the killed follower's temp file is swept: {:?}",
        temps(&s.town().join(".beads"))
    );
}
