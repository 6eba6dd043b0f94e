//! A real headless Chromium for the dashboard's tests, driven through chromedriver (WebDriver,
//! spoken over a plain socket here). Debian's `chromium` and `chromium-driver` packages;
//! `.ci/run` installs them. Missing, a test is skipped loudly — unless
//! `GT_REQUIRE_RUNTIMES=1` (CI), where it fails. The dashboard bench uses this file too.
#![allow(dead_code)]

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One HTTP/1.1 exchange: status, headers (lower-case names), body.
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> (u16, Vec<(String, String)>, String) {
    let mut s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: {addr}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = body.unwrap_or("");
    if !body.is_empty() || method == "POST" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    // Read the head, then exactly the body it announces (a server may keep the connection
    // open whatever we asked).
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    let head_end = loop {
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "{addr} closed before answering {method} {path}");
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
    let mut body = raw[head_end + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let hdrs: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    if status == 101 {
        // Switched protocols (a WebSocket): no HTTP body follows.
        return (status, hdrs, String::new());
    }
    let get = |k: &str| hdrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let chunked = get("transfer-encoding").is_some_and(|v| v.contains("chunked"));
    if let Some(len) = get("content-length").and_then(|v| v.parse::<usize>().ok()) {
        while body.len() < len {
            let n = s.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            body.extend_from_slice(&buf[..n]);
        }
    } else if chunked {
        while !body.ends_with(b"0\r\n\r\n") {
            let n = s.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            body.extend_from_slice(&buf[..n]);
        }
    } else {
        let _ = s.read_to_end(&mut body);
    }
    let text = String::from_utf8_lossy(&body).into_owned();
    let body = if chunked { dechunk(&text) } else { text };
    (status, hdrs, body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(name))
            .find(|f| f.is_file())
    })
}

pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
    /// Chromium's profile, removed with the browser.
    _profile: tempfile::TempDir,
}

/// A headless Chromium at `width`×`height`, or None (said loudly) when it is not installed
/// and the run does not require it.
pub fn open(test: &str, width: u32, height: u32) -> Option<Browser> {
    let found = (which("chromedriver"), which("chromium"));
    let (Some(driver), Some(chromium)) = found else {
        let why = "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)";
        // `.ci/run` sets this: there a missing browser fails the run.
        if std::env::var("GT_REQUIRE_RUNTIMES").is_ok_and(|v| v == "1") {
            panic!("{test}: a real browser is required (GT_REQUIRE_RUNTIMES=1) but {why}");
        }
        eprintln!("SKIPPED {test}: {why}");
        return None;
    };
    let port = free_port();
    use std::os::unix::process::CommandExt;
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        // Its own process group: dropping the browser ends chromedriver and every Chromium
        // it started, even when the session never came up.
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let profile = tempfile::tempdir().unwrap();
    let mut b = Browser {
        driver: child,
        port,
        session: String::new(),
        _profile: profile,
    };
    let until = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < until, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let caps = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-extensions", "--hide-scrollbars",
                format!("--user-data-dir={}", b._profile.path().display()),
                format!("--window-size={width},{height}"),
            ]
        }
    }}});
    let v = b.call("POST", "/session", Some(caps));
    b.session = v["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no WebDriver session: {v}"))
        .to_string();
    Some(b)
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_call(method, path, body)
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"))
    }

    fn try_call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let body = body.map(|b| b.to_string());
        let (status, _, text) = http(
            &format!("127.0.0.1:{}", self.port),
            method,
            path,
            &[("Content-Type", "application/json")],
            body.as_deref(),
        );
        let v: Value = serde_json::from_str(&text).map_err(|_| format!("{status} {text}"))?;
        if status != 200 {
            return Err(format!("{status} {}", v["value"]));
        }
        Ok(v.get("value").cloned().unwrap_or(Value::Null))
    }

    fn s(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", &self.s("/url"), Some(json!({ "url": url })));
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page; what it returned.
    pub fn js(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            &self.s("/execute/sync"),
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Waits (up to `limit`) for `expr` to be truthy in the page; its value, or None.
    pub fn wait_for(&self, expr: &str, limit: Duration) -> Option<Value> {
        let until = Instant::now() + limit;
        loop {
            let v = self.js(
                &format!("try {{ return ({expr}); }} catch (e) {{ return null; }}"),
                json!([]),
            );
            let truthy = !(v.is_null() || v == json!(false) || v == json!(0) || v == json!(""));
            if truthy {
                return Some(v);
            }
            if Instant::now() >= until {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Clicks the first element `css` matches, as a person would (WebDriver's pointer).
    pub fn click(&self, css: &str) {
        self.on_element(css, "click", json!({}));
    }

    /// The page re-renders its lists as the town changes: an element found just before a
    /// new state can be gone when used, so it is looked up again.
    fn on_element(&self, css: &str, what: &str, body: Value) {
        for attempt in 0.. {
            let id = self.find(css);
            match self.try_call(
                "POST",
                &self.s(&format!("/element/{id}/{what}")),
                Some(body.clone()),
            ) {
                Ok(_) => return,
                Err(e) if e.contains("stale element") && attempt < 20 => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Err(e) => panic!("{what} {css}: {e}"),
            }
        }
    }

    /// Types `text` into the element `css` matches.
    pub fn type_into(&self, css: &str, text: &str) {
        self.on_element(css, "value", json!({ "text": text }));
    }

    fn find(&self, css: &str) -> String {
        let v = self.call(
            "POST",
            &self.s("/element"),
            Some(json!({ "using": "css selector", "value": css })),
        );
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(|x| x.as_str())
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    pub fn resize(&self, width: u32, height: u32) {
        self.call(
            "POST",
            &self.s("/window/rect"),
            Some(json!({ "width": width, "height": height })),
        );
    }

    /// Makes the page a phone's: `width`×`height` CSS pixels, touch, mobile viewport (a
    /// desktop window cannot be made narrower than about 500 pixels).
    pub fn emulate_phone(&self, width: u32, height: u32) {
        self.call(
            "POST",
            &self.s("/goog/cdp/execute"),
            Some(json!({
                "cmd": "Emulation.setDeviceMetricsOverride",
                "params": { "width": width, "height": height, "deviceScaleFactor": 2, "mobile": true }
            })),
        );
    }

    /// A PNG of the page as the emulated phone shows it, all of its length.
    pub fn phone_screenshot(&self, path: &Path) {
        let v = self.call(
            "POST",
            &self.s("/goog/cdp/execute"),
            Some(json!({
                "cmd": "Page.captureScreenshot",
                "params": { "format": "png", "captureBeyondViewport": true }
            })),
        );
        let bytes = base64_decode(v["data"].as_str().expect("screenshot data"));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, bytes).unwrap();
    }

    /// A PNG of the whole page as it is now, written to `path`.
    pub fn screenshot(&self, path: &Path) {
        // The full page: the window made as tall as the document for the shot.
        let h = self.js(
            "return Math.ceil(document.documentElement.scrollHeight)",
            json!([]),
        );
        let w = self.js("return window.outerWidth", json!([]));
        if let (Some(h), Some(w)) = (h.as_u64(), w.as_u64()) {
            self.resize(w as u32, (h as u32).clamp(200, 6000));
        }
        let b64 = self.call("GET", &self.s("/screenshot"), None);
        let bytes = base64_decode(b64.as_str().expect("screenshot"));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, bytes).unwrap();
    }

    /// Opens another tab and goes to it.
    pub fn new_tab(&self) {
        let v = self.call(
            "POST",
            &self.s("/window/new"),
            Some(json!({ "type": "tab" })),
        );
        let handle = v["handle"].as_str().expect("tab handle").to_string();
        self.call(
            "POST",
            &self.s("/window"),
            Some(json!({ "handle": handle })),
        );
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                http(
                    &format!("127.0.0.1:{}", self.port),
                    "DELETE",
                    &format!("/session/{}", self.session),
                    &[],
                    None,
                )
            }));
        }
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).output();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter_map(val) {
        acc = (acc << 6) | c;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}
