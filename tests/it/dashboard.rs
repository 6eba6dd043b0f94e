//! The web dashboard in a real headless Chromium: the demo town's agents on the page, a sling
//! from the CLI pushed to it, approving a merge request from the page lands it, every action
//! through the page, a request without the token (or from another site) refused and nothing
//! changed, a `<script>` title shown as text, screenshots at desktop and phone widths.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::browser::{self, Browser, http};
use crate::common::mq::*;
use crate::common::*;
use serde_json::{Value, json};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A `gt dashboard` (or `gt demo --dashboard`) running in a town, stopped with SIGTERM.
struct Dash {
    child: Child,
    /// `127.0.0.1:PORT`
    addr: String,
    /// What it said on stderr so far.
    said: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Dash {
    fn start(s: &Sandbox, cwd: &Path, args: &[&str]) -> Dash {
        let mut child = s
            .cmd(cwd, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start gt dashboard");
        let said = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let err = child.stderr.take().expect("stderr");
        let to = said.clone();
        std::thread::spawn(move || {
            for l in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                to.lock().unwrap().push_str(&(l + "\n"));
            }
        });
        let out = child.stdout.take().expect("stdout");
        let mut lines = std::io::BufReader::new(out).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_else(|| {
            std::thread::sleep(Duration::from_millis(200));
            panic!(
                "gt dashboard printed nothing; stderr: {}",
                said.lock().unwrap()
            )
        });
        let addr = first
            .split("http://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or_else(|| panic!("no address in {first:?}"))
            .to_string();
        // The rest of its output is not needed, but must not block it.
        std::thread::spawn(move || for _ in lines {});
        Dash { child, addr, said }
    }

    fn in_town(s: &Sandbox) -> Dash {
        Dash::start(s, &s.town(), &["dashboard", "--listen", "127.0.0.1:0"])
    }

    fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    fn state(&self) -> Value {
        let (status, _, body) = http(&self.addr, "GET", "/api/state", &[], None);
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).expect("state JSON")
    }

    fn post(&self, action: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(t) = token {
            headers.push(("X-GT-Token", t));
        }
        self.post_with(action, &headers, body)
    }

    fn post_with(&self, action: &str, headers: &[(&str, &str)], body: &Value) -> (u16, Value) {
        let (status, _, text) = http(
            &self.addr,
            "POST",
            &format!("/api/act/{action}"),
            headers,
            Some(&body.to_string()),
        );
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

impl Drop for Dash {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .output();
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn token(s: &Sandbox) -> String {
    s.json(&["dashboard", "--token"])["token"]
        .as_str()
        .expect("token")
        .to_string()
}

/// Where screenshots are kept after the run.
fn artefacts() -> PathBuf {
    crate::common::runtimes::target_dir().join("dashboard-artefacts")
}

/// Whether the page shows `text` in the element `css` (as text: `textContent`).
fn page_shows(b: &Browser, css: &str, text: &str) -> bool {
    b.js(
        "const e = document.querySelector(arguments[0]); return !!e && e.textContent.includes(arguments[1]);",
        json!([css, text]),
    ) == json!(true)
}

#[test]
fn the_page_shows_the_demo_towns_agents_and_a_cli_sling_within_two_seconds() {
    let s = Sandbox::new();
    let demo = s.path().join("demo");
    let dash = Dash::start(
        &s,
        s.path(),
        &["demo", demo.to_str().unwrap(), "--dashboard", "127.0.0.1:0"],
    );
    let Some(b) = browser::open("dashboard::demo", 1280, 900) else {
        return;
    };
    b.goto(&dash.url());
    // Every agent the CLI lists is on the page, with its state.
    let agents = s.gt_in(&demo, &["--batch", "--json", "agents"]).json();
    let addresses: Vec<String> = agents["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .filter_map(|a| a["address"].as_str().map(str::to_string))
        .collect();
    assert!(
        addresses.len() >= 3,
        "the demo has a mayor and polecats: {agents}"
    );
    for a in &addresses {
        let shown = b.wait_for(
            &format!(
                "document.querySelector('tr[data-agent=\"{a}\"] .tag') && document.querySelector('tr[data-agent=\"{a}\"] .tag').textContent"
            ),
            Duration::from_secs(20 * time_scale()),
        );
        assert!(shown.is_some(), "{a} is not on the page");
    }
    assert!(page_shows(&b, "#town", "demo"));
    assert!(page_shows(&b, "#convoys", "/"), "convoys with progress");
    assert_eq!(
        b.js(
            "return document.getElementById('live').textContent",
            json!([])
        ),
        json!("live")
    );

    // A sling from the command line is on the page within 2 s, pushed (no reload).
    let reloads = b.js(
        "return performance.getEntriesByType('navigation').length",
        json!([]),
    );
    let ready = s.gt_in(&demo, &["--batch", "--json", "ready"]).json();
    let bead = ready["beads"]
        .as_array()
        .and_then(|a| a.iter().find_map(|b| b["id"].as_str()))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("a ready bead in the demo: {ready}"));
    let r = s.gt_in(&demo, &["--batch", "--json", "sling", &bead, "webapp"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let slung_at = Instant::now();
    let agent = r.json()["slung"][0]["agent"].as_str().unwrap().to_string();
    let on_page = b.wait_for(
        &format!(
            "[...document.querySelectorAll('tr[data-agent=\"{agent}\"] .id')].some(e => e.textContent === '{bead}')"
        ),
        Duration::from_secs(2),
    );
    assert!(
        on_page.is_some(),
        "{bead} on {agent}'s row within 2 s (waited {:?})",
        slung_at.elapsed()
    );
    assert_eq!(
        b.js(
            "return performance.getEntriesByType('navigation').length",
            json!([])
        ),
        reloads,
        "pushed, not reloaded"
    );

    // The selected agent's screen, with its colours, from the batched capture.
    b.click(&format!("tr[data-agent=\"{agent}\"]"));
    let screen = b.wait_for(
        "document.getElementById('screen').textContent.length > 0 && document.getElementById('screen').textContent",
        Duration::from_secs(10 * time_scale()),
    );
    assert!(screen.is_some(), "{agent}'s screen is shown");

    // Screenshots for a person to look at (kept under target/dashboard-artefacts).
    b.screenshot(&artefacts().join("demo-desktop.png"));
    b.emulate_phone(390, 844);
    b.wait_for("window.innerWidth === 390", Duration::from_secs(5))
        .expect("a phone-sized page");
    // Narrow: one column, nothing wider than the screen.
    let overflow = b.js(
        "return document.documentElement.scrollWidth - window.innerWidth",
        json!([]),
    );
    assert!(
        overflow.as_i64().unwrap_or(99) <= 0,
        "the phone page scrolls sideways by {overflow}"
    );
    assert_eq!(
        b.js(
            "return getComputedStyle(document.querySelector('main')).gridTemplateColumns.split(' ').length",
            json!([])
        ),
        json!(1),
        "one column on a phone"
    );
    b.phone_screenshot(&artefacts().join("demo-phone.png"));
}

/// A rig whose work waits for a person, one bead finished and its merge request waiting:
/// (bead, polecat, merge request).
fn work_waiting_for_review(s: &Sandbox) -> (String, String, String) {
    s.ok(&["config", "set", "merge.review", "human", "--rig", "shop"]);
    let bead = s.create(&["Change the greeting", "--rig", "shop"]);
    let agent = s.sling_agent(&[&bead, "shop"]);
    wait_for_merge_requests(s, 1);
    let waiting = run_refinery(s, "shop");
    let mr = of_kind(&waiting, "awaiting_review")[0]["mr"]
        .as_str()
        .expect("a merge request waits for review")
        .to_string();
    (bead, agent, mr)
}

/// The page opened with the token, the merge request's diff shown.
fn open_review(s: &Sandbox, dash: &Dash, b: &Browser, mr: &str) {
    b.goto(&format!("{}#token={}", dash.url(), token(s)));
    b.wait_for(
        "document.getElementById('access').textContent === 'can act'",
        Duration::from_secs(10),
    )
    .expect("the page takes the token from the link");
    // The token left the address bar.
    assert_eq!(b.js("return location.hash", json!([])), json!(""));
    click_when_shown(
        b,
        &format!("li[data-mr=\"{mr}\"] button"),
        "the merge request's Review button",
    );
    b.wait_for(
        "document.getElementById('diff').textContent.includes('diff --git')",
        Duration::from_secs(10 * time_scale()),
    )
    .expect("the diff is shown");
}

/// Clicks `css` once the page shows it.
fn click_when_shown(b: &Browser, css: &str, what: &str) {
    b.wait_for(
        &format!("document.querySelector({})", json!(css)),
        Duration::from_secs(20 * time_scale()),
    )
    .unwrap_or_else(|| panic!("{what} is not on the page"));
    b.click(css);
}

/// The outcome the page showed (and hides it again).
fn toast(b: &Browser, what: &str) -> String {
    let v = b
        .wait_for(
            "!document.getElementById('toast').hidden && document.getElementById('toast').textContent",
            Duration::from_secs(20 * time_scale()),
        )
        .unwrap_or_else(|| panic!("no outcome shown for {what}"));
    b.js("document.getElementById('toast').hidden = true", json!([]));
    v.as_str().unwrap().to_string()
}

#[test]
fn sending_back_from_the_page_returns_the_work_with_the_comment() {
    let s = Sandbox::with_sim_rig("shop");
    let (bead, agent, mr) = work_waiting_for_review(&s);
    let dash = Dash::in_town(&s);
    let Some(b) = browser::open("dashboard::send_back", 1280, 900) else {
        return;
    };
    open_review(&s, &dash, &b, &mr);
    // Without a comment the page asks for one and sends nothing.
    b.click("#sendback");
    assert_eq!(toast(&b, "an empty send-back"), "say why it goes back");
    b.type_into("#sendback-comment", "Greet in French too");
    b.click("#sendback");
    let said = toast(&b, "send back");
    assert_eq!(said, format!("Sent {mr} back to {agent} with your comment"));
    // The comment is on the bead; the merge request is closed unlanded; the polecat works
    // from the comment and finishes again.
    let shown = s.json(&["show", &bead]);
    assert!(shown.to_string().contains("Greet in French too"), "{shown}");
    assert_eq!(s.json(&["show", &mr])["bead"]["status"], "closed");
    wait_for_merge_requests(&s, 2);
    let again = run_refinery(&s, "shop");
    let second = of_kind(&again, "awaiting_review")[0]["mr"]
        .as_str()
        .expect("the fixed work waits again")
        .to_string();
    let patch = s.json(&["diff", &second])["diff"]["patch"].to_string();
    assert!(
        patch.contains("Addressed in review: Greet in French too"),
        "{patch}"
    );
}

#[test]
fn approving_on_the_page_lands_the_merge_request() {
    let s = Sandbox::with_sim_rig("shop");
    let (bead, _, mr) = work_waiting_for_review(&s);
    let dash = Dash::in_town(&s);
    let Some(b) = browser::open("dashboard::approve", 1280, 900) else {
        return;
    };
    open_review(&s, &dash, &b, &mr);
    assert!(page_shows(&b, "#diff", &format!("sim-work/{bead}.md")));
    b.screenshot(&artefacts().join("review-desktop.png"));
    b.click("#approve");
    let toast = b
        .wait_for(
            "!document.getElementById('toast').hidden && document.getElementById('toast').textContent",
            Duration::from_secs(10 * time_scale()),
        )
        .expect("the page says what happened");
    assert!(
        toast
            .as_str()
            .unwrap()
            .starts_with(&format!("Approved {mr}")),
        "{toast}"
    );
    // The refinery lands it: the file on main, the bead closed.
    let r = run_refinery(&s, "shop");
    assert_eq!(of_kind(&r, "merged").len(), 1, "{r:?}");
    let files = git(
        &s.town().join("shop/.repo.git"),
        &["ls-tree", "-r", "--name-only", "main"],
    );
    assert!(files.contains(&format!("sim-work/{bead}.md")), "{files}");
    assert_eq!(s.json(&["show", &bead])["bead"]["status"], "closed");
    b.wait_for(
        &format!(
            "[...document.querySelectorAll('li[data-mr=\"{mr}\"] .tag')].some(e => e.textContent === 'landed')"
        ),
        Duration::from_secs(10 * time_scale()),
    )
    .expect("the page shows it landed");
}

#[test]
fn every_action_on_the_page_goes_through_the_towns_own_use_cases() {
    let s = Sandbox::with_sim_rig("shop");
    let hooked = s.create(&["Work in progress", "--rig", "shop"]);
    let agent = s.sling_agent(&[&hooked, "shop"]);
    let ready = s.create(&["Slung from the page", "--rig", "shop"]);
    let esc = s.json(&["escalate", "-s", "high", "The build is red"]);
    let esc_id = esc["escalation"]["id"]
        .as_str()
        .expect("escalation id")
        .to_string();
    let dash = Dash::in_town(&s);
    let Some(b) = browser::open("dashboard::actions", 1280, 900) else {
        return;
    };
    b.goto(&format!("{}#token={}", dash.url(), token(&s)));
    b.wait_for(
        "document.getElementById('access').textContent === 'can act'",
        Duration::from_secs(10),
    )
    .expect("can act");

    // Nudge the selected agent: confirmed delivered, and the simulator got it.
    click_when_shown(
        &b,
        &format!("tr[data-agent=\"{agent}\"]"),
        "the agent's row",
    );
    b.type_into("#nudge-text", "check the failing test");
    b.click("#nudge-form button");
    let said = toast(&b, "nudge");
    assert!(said.starts_with(&format!("Delivered to {agent}")), "{said}");
    wait_for(10, "the nudge reached the agent", || {
        s.sim_received(&agent)
            .iter()
            .any(|t| t.contains("check the failing test"))
            .then_some(())
    });

    // Acknowledge the escalation.
    let ack = format!("li[data-escalation=\"{esc_id}\"] button");
    click_when_shown(&b, &ack, "the escalation's Acknowledge button");
    let said = toast(&b, "ack");
    assert_eq!(said, format!("Acknowledged {esc_id}"));
    let list = s.json(&["escalate", "list"]);
    let e = list["escalations"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["id"] == esc_id.as_str()))
        .cloned()
        .unwrap_or_else(|| panic!("{esc_id} listed: {list}"));
    assert_eq!(e["acked_by"], "overseer", "acknowledged by the person: {e}");

    // Sling a ready bead picked from the list.
    click_when_shown(&b, &format!("li[data-bead=\"{ready}\"]"), "the ready bead");
    b.type_into("#sling-target", "shop");
    b.click("#sling-form button");
    let said = toast(&b, "sling");
    assert!(said.starts_with(&format!("Slung {ready} to ")), "{said}");
    assert_eq!(s.json(&["show", &ready])["bead"]["status"], "hooked");

    // Pause and resume the scheduler.
    b.click("#scheduler");
    let said = toast(&b, "pause");
    assert_eq!(said, "The scheduler is paused");
    let st = s.json(&["scheduler", "status"]);
    assert_eq!(st["scheduler"]["paused"], true, "{st}");
    b.wait_for(
        "document.getElementById('scheduler').textContent === 'Resume scheduler'",
        Duration::from_secs(5 * time_scale()),
    )
    .expect("the button follows");
    b.click("#scheduler");
    assert_eq!(toast(&b, "resume"), "The scheduler is running");
    assert_eq!(
        s.json(&["scheduler", "status"])["scheduler"]["paused"],
        false
    );

    // A failure is said as a failure: slinging a bead that does not exist.
    b.type_into("#sling-bead", "sh-nope");
    b.click("#sling-form button");
    let said = toast(&b, "a bad sling");
    assert!(said.contains("sh-nope"), "{said}");
    assert_eq!(
        b.js(
            "return document.getElementById('toast').className",
            json!([])
        ),
        json!("bad")
    );
}

#[test]
fn without_the_token_nothing_changes_and_other_sites_are_refused() {
    let s = Sandbox::with_sim_rig("shop");
    let dash = Dash::in_town(&s);
    let t = token(&s);
    // The token is private to the user.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(s.town().join(".gt/dashboard.token"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let pause = json!({ "paused": true });
    let paused = || s.json(&["scheduler", "status"])["scheduler"]["paused"] == json!(true);
    let ledger_before = s.ledger_state();
    // No token, a wrong token, the right token from another site, a foreign Host name.
    let (code, v) = dash.post("scheduler", None, &pause);
    assert_eq!(code, 403, "{v}");
    assert!(v.to_string().contains("gt dashboard --token"), "{v}");
    let (code, _) = dash.post("scheduler", Some(&"0".repeat(64)), &pause);
    assert_eq!(code, 403);
    let host = dash.addr.clone();
    let (code, _) = dash.post_with(
        "scheduler",
        &[
            ("Content-Type", "application/json"),
            ("X-GT-Token", &t),
            ("Origin", "http://evil.example"),
        ],
        &pause,
    );
    assert_eq!(
        code, 403,
        "a cross-site request with the token is still refused"
    );
    let (code, _) = dash.post_with(
        "scheduler",
        &[
            ("Content-Type", "application/json"),
            ("X-GT-Token", &t),
            ("Host", "evil.example"),
        ],
        &pause,
    );
    assert_eq!(code, 421, "a rebinding name is not answered");
    let (code, _, _) = http(
        &dash.addr,
        "GET",
        "/api/state",
        &[("Host", "evil.example")],
        None,
    );
    assert_eq!(code, 421, "not even read");
    // Bad input: a clear refusal, nothing run.
    let (code, v) = dash.post("sling", Some(&t), &json!({ "bead": "", "target": "shop" }));
    assert_eq!(code, 400, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("bead is empty"),
        "{v}"
    );
    let (code, v) = dash.post("format-disk", Some(&t), &json!({}));
    assert_eq!(code, 400, "{v}");
    let (code, _) = dash.post_with(
        "scheduler",
        &[("X-GT-Token", &t), ("Content-Type", "application/json")],
        &Value::String("not an object".into()),
    );
    assert_eq!(code, 400);
    assert!(!paused());
    assert_eq!(s.ledger_state(), ledger_before, "nothing was written");

    // The page without the token is read-only: its buttons are off.
    if let Some(b) = browser::open("dashboard::read_only", 1280, 900) {
        b.goto(&dash.url());
        b.wait_for(
            "window.__gt && window.__gt.states > 0",
            Duration::from_secs(20),
        )
        .expect("the page gets the town");
        assert_eq!(
            b.js(
                "return document.getElementById('access').textContent",
                json!([])
            ),
            json!("read-only")
        );
        assert_eq!(
            b.js(
                "return [...document.querySelectorAll('.needs-token')].every(b => b.disabled)",
                json!([])
            ),
            json!(true)
        );
    }

    // With the token, from the dashboard itself: done.
    let (code, v) = dash.post_with(
        "scheduler",
        &[
            ("Content-Type", "application/json"),
            ("X-GT-Token", &t),
            ("Origin", &format!("http://{host}")),
        ],
        &pause,
    );
    assert_eq!(code, 200, "{v}");
    assert!(paused());

    // Every answer forbids other scripts, framing and sniffing.
    let (_, headers, _) = http(&dash.addr, "GET", "/", &[], None);
    let get = |k: &str| {
        headers
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert!(get("content-security-policy").contains("script-src 'self'"));
    assert_eq!(get("x-frame-options"), "DENY");
    assert_eq!(get("x-content-type-options"), "nosniff");
}

#[test]
fn a_script_in_a_title_is_shown_as_text_never_run() {
    let s = Sandbox::with_sim_rig("shop");
    let evil = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\"> \u{1b}]0;t\u{7} done";
    let bead = s.create(&[evil, "--rig", "shop"]);
    let dash = Dash::in_town(&s);
    // In the JSON it is a string like any other.
    let st = dash.state();
    assert!(
        st["ready"].to_string().contains("<script>"),
        "{}",
        st["ready"]
    );
    let Some(b) = browser::open("dashboard::inert", 1280, 900) else {
        return;
    };
    b.goto(&dash.url());
    b.wait_for(
        &format!("document.querySelector('li[data-bead=\"{bead}\"]')"),
        Duration::from_secs(20 * time_scale()),
    )
    .expect("the bead is listed");
    assert!(page_shows(
        &b,
        &format!("li[data-bead=\"{bead}\"]"),
        "<script>window.__pwned=1</script>"
    ));
    assert_eq!(
        b.js("return typeof window.__pwned", json!([])),
        json!("undefined")
    );
    assert_eq!(
        b.js(
            "return document.querySelectorAll('main script, main img').length",
            json!([])
        ),
        json!(0),
        "no element was made from the title"
    );
    // Slung, the title shows on the agent's row too, still as text.
    let agent = s.sling_agent(&[&bead, "shop"]);
    b.wait_for(
        &format!("document.querySelector('tr[data-agent=\"{agent}\"]') && document.querySelector('tr[data-agent=\"{agent}\"]').textContent.includes('<img src=x')"),
        Duration::from_secs(20 * time_scale()),
    )
    .expect("the hooked title on the agent's row");
    assert_eq!(
        b.js("return typeof window.__pwned", json!([])),
        json!("undefined")
    );
}

#[test]
fn many_pages_share_one_look_at_the_town() {
    let s = Sandbox::with_sim_rig("shop");
    let a1 = s.sling_agent(&[&s.create(&["One", "--rig", "shop"]), "shop"]);
    let a2 = s.sling_agent(&[&s.create(&["Two", "--rig", "shop"]), "shop"]);
    let dash = Dash::in_town(&s);
    let alone = dash.state()["tmux_calls"].as_u64().expect("tmux_calls");
    // A script's event stream gets the state and its agent's screen.
    let mut c = std::net::TcpStream::connect(&dash.addr).unwrap();
    use std::io::{Read, Write};
    write!(
        c,
        "GET /api/events?agent={a1} HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n",
        dash.addr
    )
    .unwrap();
    c.set_read_timeout(Some(Duration::from_secs(20 * time_scale())))
        .unwrap();
    let mut got = String::new();
    let mut buf = [0u8; 65536];
    while !(got.contains("event: state") && got.contains("event: screen")) {
        let n = c.read(&mut buf).expect("the event stream");
        assert!(n > 0, "the stream ended: {got}");
        got.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    // Eight tabs in one browser — more than the six connections a browser keeps to one
    // host — each live, each showing one of the two agents' screens.
    let Some(b) = browser::open("dashboard::many_pages", 1280, 900) else {
        return;
    };
    for i in 0..8 {
        if i > 0 {
            b.new_tab();
        }
        b.goto(&dash.url());
        let agent = if i % 2 == 0 { &a1 } else { &a2 };
        b.wait_for(
            &format!("document.querySelector('tr[data-agent=\"{agent}\"]')"),
            Duration::from_secs(20 * time_scale()),
        )
        .unwrap_or_else(|| panic!("tab {i} shows the town"));
        b.click(&format!("tr[data-agent=\"{agent}\"]"));
        b.wait_for(
            "document.getElementById('screen').textContent.includes('sim')",
            Duration::from_secs(20 * time_scale()),
        )
        .unwrap_or_else(|| panic!("tab {i} shows {agent}'s screen"));
    }
    // Eight pages and a script, two screens: still one batched capture per refresh.
    let st = dash.state();
    assert_eq!(st["tmux_calls"].as_u64(), Some(alone), "{st}");
    drop(c);
}

#[test]
fn the_supervisor_serves_it_when_enabled_and_only_on_loopback() {
    let s = Sandbox::with_sim_rig("shop");
    let port = browser::free_port();
    let addr = format!("127.0.0.1:{port}");
    s.ok(&["config", "set", "dashboard.listen", &addr]);
    s.ok(&["config", "set", "dashboard.enabled", "true"]);
    s.ok(&["up"]);
    wait_for(20, "the supervisor's dashboard", || {
        std::net::TcpStream::connect(&addr).is_ok().then_some(())
    });
    let (code, _, body) = http(&addr, "GET", "/", &[], None);
    assert_eq!(code, 200);
    assert!(body.contains("/app.js"));
    let duty = |s: &Sandbox| {
        s.json(&["daemon", "status"])["daemon"]["status"]["duties"]
            .as_array()
            .expect("duties")
            .iter()
            .find(|d| d["name"] == "dashboard")
            .cloned()
            .unwrap_or(Value::Null)
    };
    wait_for(20, "the duty to say where it serves", || {
        duty(&s)["summary"]
            .as_str()
            .is_some_and(|x| x.contains(&addr))
            .then_some(())
    });
    // Turned off: it stops serving.
    s.ok(&["config", "set", "dashboard.enabled", "false"]);
    wait_for(20, "the dashboard to stop", || {
        std::net::TcpStream::connect(&addr).is_err().then_some(())
    });
    // Another address is refused from the config (only `gt dashboard --listen` may, with a
    // warning).
    s.ok(&["config", "set", "dashboard.listen", "0.0.0.0:1"]);
    s.ok(&["config", "set", "dashboard.enabled", "true"]);
    let d = wait_for(20, "the duty to refuse the address", || {
        let d = duty(&s);
        d["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("reachable from other machines"))
            .then_some(d)
    });
    assert!(d.to_string().contains("gt dashboard --listen"), "{d}");
    s.ok(&["down"]);
    // On purpose from the command line: served, with a warning naming the risk.
    let open = Dash::start(&s, &s.town(), &["dashboard", "--listen", "0.0.0.0:0"]);
    assert!(open.addr.starts_with("0.0.0.0:"), "{}", open.addr);
    wait_for(5, "the warning about listening beyond this machine", || {
        let warned = open.said.lock().unwrap().clone();
        (warned.contains("warning") && warned.contains("SSH port forward")).then_some(())
    });
    drop(open);
    let r = s.gt(&["dashboard", "--listen", "no-such-address"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("not an address to listen on"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_agents_screen_keeps_its_colours_on_the_page() {
    let s = Sandbox::with_sim_rig("shop");
    // A runtime that paints a line red and bold, then runs the simulator.
    s.simlike_runtime(
        "painted",
        r#"sh -c 'printf "\033[1;31mALERT in red\033[0m plain\n"; exec "$0" agent sim "$@"' {gt}"#,
        &[],
    );
    let bead = s.create(&["Paint it", "--rig", "shop"]);
    let agent = s.sling_agent(&[&bead, "shop", "--agent", "painted"]);
    let dash = Dash::in_town(&s);
    let Some(b) = browser::open("dashboard::colours", 1280, 900) else {
        return;
    };
    b.goto(&dash.url());
    click_when_shown(
        &b,
        &format!("tr[data-agent=\"{agent}\"]"),
        "the agent's row",
    );
    let style = b
        .wait_for(
            "(() => { const s = [...document.querySelectorAll('#screen span')].find(e => e.textContent === 'ALERT in red'); \
             if (!s) return null; const c = getComputedStyle(s); return c.color + ' ' + c.fontWeight; })()",
            Duration::from_secs(20 * time_scale()),
        )
        .expect("the red line on the page");
    assert_eq!(style, json!("rgb(205, 49, 49) 700"));
    // The rest of the line is in the screen's own colour.
    let plain = b.js(
        "const s = [...document.querySelectorAll('#screen span')].find(e => e.textContent.includes('plain')); return s ? s.style.color : null;",
        json!([]),
    );
    assert_eq!(plain, json!(""));
}
