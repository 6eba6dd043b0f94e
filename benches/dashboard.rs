//! The web dashboard with 100 `sim` agents (issue 19), against its budgets:
//! - first byte of the page, and of the town's state (budget 100 ms on loopback);
//! - full page load in a real headless Chromium: navigation start → the town on screen
//!   (budget 100 ms), with the server already looking and from idle;
//! - change → page: a bead's title changed from the CLI until the page shows it (budget 1 s);
//! - server memory with 0, 1 and 20 open pages (each showing another agent's screen);
//! - tmux processes per refresh with 20 pages (budget: the same as with none).
//!
//! `cargo bench --bench dashboard` (needs chromium and chromium-driver).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/it/common/browser.rs"]
mod browser;
mod common;

use common::{
    create_beads, gt, gt_cmd, proc_kb, report_timings, sim_runtime, sling_spread, town_with_rigs,
};
use serde_json::json;
use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

const AGENTS: usize = 100;
const RUNS: usize = 21;

/// Milliseconds since the epoch (the page's `Date.now()` clock).
fn epoch_ms() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        * 1000.0
}

/// (time to the first byte, time to the whole answer) of one GET.
fn get_timed(addr: &str, path: &str) -> (Duration, Duration, usize) {
    let t = Instant::now();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_nodelay(true).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = [0u8; 65536];
    let n = s.read(&mut buf).unwrap();
    let first = t.elapsed();
    let mut total = n;
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => total += n,
        }
    }
    (first, t.elapsed(), total)
}

/// The dashboard process, stopped (SIGTERM, then waited for) however the bench ends.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .output();
        let _ = self.0.wait();
    }
}

fn main() {
    let rigs = ["r1", "r2"];
    let bt = town_with_rigs("gt-bench-dashboard-", &rigs);
    let town = bt.town.clone();
    sim_runtime(&town, "benchsim", "--busy 3600");
    gt(
        &town,
        &["--batch", "config", "set", "ui.supervise", "false"],
    );
    let ids = create_beads(&town, AGENTS, &rigs, "Dashboard work");
    sling_spread(&town, &ids, &rigs, "benchsim");
    println!("{AGENTS} sim agents in {} rigs", rigs.len());

    let mut server = Server(
        gt_cmd(&town, &["dashboard", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("gt dashboard"),
    );
    let first = std::io::BufReader::new(server.0.stdout.take().unwrap())
        .lines()
        .next()
        .unwrap()
        .unwrap();
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap()
        .to_string();
    let pid = server.0.id() as u64;
    let url = format!("http://{addr}/");
    let rss = || proc_kb(pid, "status", "VmRSS:") as f64 / 1024.0;
    println!("server VmRSS before any page: {:.1} MB", rss());

    // Cold: the first state makes the server look at the town.
    let (_, cold, bytes) = get_timed(&addr, "/api/state");
    println!(
        "{:<52} {:>8.2} ms   ({} kB of JSON for {AGENTS} agents)",
        "state from idle (the first look at the town)",
        cold.as_secs_f64() * 1000.0,
        bytes / 1024
    );
    let tmux_calls = || -> u64 {
        let (_, _, body) = browser::http(&addr, "GET", "/api/state", &[], None);
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["tmux_calls"]
            .as_u64()
            .unwrap()
    };
    let no_page = tmux_calls();
    let mut page_first = Vec::new();
    let mut page_all = Vec::new();
    let mut state_first = Vec::new();
    let mut state_all = Vec::new();
    for _ in 0..RUNS {
        let (f, a, _) = get_timed(&addr, "/");
        page_first.push(f);
        page_all.push(a);
        let (f, a, _) = get_timed(&addr, "/api/state");
        state_first.push(f);
        state_all.push(a);
    }
    report_timings("GET / : first byte", page_first, Some(100.0));
    report_timings("GET / : whole page", page_all, Some(100.0));
    report_timings(
        "GET /api/state : first byte (server looking)",
        state_first,
        Some(100.0),
    );
    report_timings(
        "GET /api/state : whole state (server looking)",
        state_all,
        Some(100.0),
    );

    let Some(b) = browser::open("bench dashboard", 1280, 900) else {
        println!("no browser: chromium and chromium-driver are needed for the page figures");
        return;
    };
    // Full load: navigation start → the town rendered (the page notes when).
    let mut loads = Vec::new();
    let mut docs = Vec::new();
    let mut opens = Vec::new();
    for _ in 0..RUNS {
        b.goto(&url);
        let v = b
            .wait_for(
                "window.__gt && window.__gt.firstRender",
                Duration::from_secs(20),
            )
            .expect("the page renders the town");
        loads.push(Duration::from_secs_f64(v.as_f64().unwrap() / 1000.0));
        let doc = b.js(
            "return performance.getEntriesByType('navigation')[0].responseEnd",
            json!([]),
        );
        docs.push(Duration::from_secs_f64(
            doc.as_f64().unwrap_or(0.0) / 1000.0,
        ));
        if let Some(o) = b
            .wait_for("window.__gt.open", Duration::from_secs(10))
            .and_then(|v| v.as_f64())
        {
            opens.push(Duration::from_secs_f64(o / 1000.0));
        }
    }
    let rows = b.js(
        "return document.querySelectorAll('tr[data-agent]').length",
        json!([]),
    );
    println!("page shows {rows} agent rows");
    report_timings("page load → town on screen (Chromium)", loads, Some(100.0));
    report_timings("  of which: the page received (Chromium)", docs, None);
    report_timings("  the live connection open (Chromium)", opens, None);

    // Change → page: a hooked bead's title changed from the CLI.
    let mut lat = Vec::new();
    for (i, id) in ids.iter().take(11).enumerate() {
        let marker = format!("Renamed {i} {}", std::process::id());
        b.js(
            "window.__seenAt = 0; const m = arguments[0]; clearInterval(window.__poll); \
             window.__poll = setInterval(() => { if (!window.__seenAt && document.getElementById('agents').textContent.includes(m)) { window.__seenAt = Date.now(); clearInterval(window.__poll); } }, 2);",
            json!([marker]),
        );
        let t0 = epoch_ms();
        gt(
            &town,
            &["--batch", "bead", "update", id, "--title", &marker],
        );
        let seen = b
            .wait_for("window.__seenAt", Duration::from_secs(10))
            .expect("the change reaches the page");
        lat.push(Duration::from_secs_f64(
            (seen.as_f64().unwrap() - t0).max(0.0) / 1000.0,
        ));
        std::thread::sleep(Duration::from_millis(300));
    }
    report_timings("change (gt bead update) → on the page", lat, Some(1000.0));

    // One page open: memory, and tmux processes per refresh.
    let agents: Vec<String> = b
        .js(
            "return [...document.querySelectorAll('tr[data-agent]')].map(t => t.dataset.agent)",
            json!([]),
        )
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .filter(|a| a.contains("/polecats/"))
        .collect();
    std::thread::sleep(Duration::from_secs(2));
    let one_page = (rss(), tmux_calls());
    // Twenty pages, each showing another agent's screen.
    for (i, a) in agents.iter().take(20).enumerate() {
        if i > 0 {
            b.new_tab();
            b.goto(&url);
        }
        b.wait_for(
            &format!("document.querySelector('tr[data-agent=\"{a}\"]')"),
            Duration::from_secs(20),
        )
        .expect("the row");
        b.click(&format!("tr[data-agent=\"{a}\"]"));
        b.wait_for(
            "document.getElementById('screen').textContent.length > 0",
            Duration::from_secs(20),
        )
        .expect("the agent's screen on the page");
    }
    std::thread::sleep(Duration::from_secs(3));
    let twenty = (rss(), tmux_calls());
    let hwm = proc_kb(pid, "status", "VmHWM:") as f64 / 1024.0;
    println!(
        "server VmRSS, 1 page open: {:.1} MB; 20 pages open: {:.1} MB (peak {hwm:.1} MB)",
        one_page.0, twenty.0
    );
    println!(
        "tmux processes per refresh: no page {no_page}, 1 page {}, 20 pages (20 screens) {}   (budget: the same as none: {})",
        one_page.1,
        twenty.1,
        if twenty.1 <= no_page {
            "ok"
        } else {
            "OVER BUDGET"
        }
    );
    drop(b);
    drop(server);
    gt(&town, &["--batch", "down"]);
}
