//! A scripted model server on 127.0.0.1: it stands in for the vendors' AI services so the real
//! agent CLIs run in the tests. It speaks the Anthropic Messages API, the OpenAI Responses and
//! Chat Completions APIs and the Gemini API (streaming, with tool calls), logs every request
//! (the tests read exactly what reached the model), and plays a script: a polecat's job for a
//! beacon (`gt prime`, a commit, `gt done`), a quote of any later user turn, a stall, a rate
//! limit, token usage figures.
#![allow(dead_code)]

pub mod anthropic;
pub mod conversation;
pub mod gemini;
pub mod http;
pub mod openai;
pub mod script;
pub mod wire;

use conversation::Parsed;
use script::Reply;
use serde_json::{Value, json};
use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use wire::Usage;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Api {
    Anthropic,
    Responses,
    Chat,
    Gemini,
}

/// One request as it reached the server.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Logged {
    pub n: usize,
    /// Milliseconds since the server started.
    pub at_ms: u128,
    #[serde(skip)]
    pub at: Instant,
    pub method: String,
    pub target: String,
    pub api: Option<Api>,
    /// A request of the agent's own conversation (not a side call of the CLI).
    pub main: bool,
    pub model: String,
    /// Every user text part of the conversation it carried.
    pub user_texts: Vec<String>,
    /// The user turn being answered.
    pub turn: Vec<String>,
    pub tool_results: Vec<String>,
    pub reply: String,
    pub status: u16,
    pub usage: Usage,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

/// What the script does next; tests change it while agents run.
#[derive(Debug, Clone)]
pub struct Control {
    /// Main requests wait this long before answering (cleared: they answer at once).
    pub stall: Option<Duration>,
    /// This many main requests are answered with a rate-limit error.
    pub rate_limit: u32,
    /// Then this many with an overload error (529; 503 for OpenAI and Gemini).
    pub overload: u32,
    /// Requests carrying this API key are always answered with a rate-limit error.
    pub limited_key: Option<String>,
    /// The shell commands of the job a beacon starts.
    pub steps: Vec<String>,
}

impl Default for Control {
    fn default() -> Self {
        Control {
            stall: None,
            rate_limit: 0,
            overload: 0,
            limited_key: None,
            steps: script::job_steps(),
        }
    }
}

struct Shared {
    log: Mutex<Vec<Logged>>,
    control: Mutex<Control>,
    changed: Condvar,
    started: Instant,
    count: AtomicUsize,
    log_file: Option<PathBuf>,
}

pub struct ModelServer {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
}

impl ModelServer {
    /// Starts on a free port of 127.0.0.1; `log_file` (if given) gets every request as a
    /// JSON line, for reading after a failure.
    pub fn start(log_file: Option<PathBuf>) -> ModelServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the model server");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared {
            log: Mutex::new(Vec::new()),
            control: Mutex::new(Control::default()),
            changed: Condvar::new(),
            started: Instant::now(),
            count: AtomicUsize::new(0),
            log_file,
        });
        let stop = Arc::new(AtomicBool::new(false));
        let (sh, st) = (shared.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let sh = sh.clone();
                std::thread::spawn(move || serve(conn, &sh));
            }
        });
        ModelServer { addr, shared, stop }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn control(&self, f: impl FnOnce(&mut Control)) {
        let mut c = self.shared.control.lock().expect("control");
        f(&mut c);
        self.shared.changed.notify_all();
    }

    pub fn requests(&self) -> Vec<Logged> {
        self.shared.log.lock().expect("log").clone()
    }

    pub fn main_requests(&self) -> Vec<Logged> {
        self.requests().into_iter().filter(|r| r.main).collect()
    }

    /// Every distinct user text of the agent's conversation, in the order first seen.
    pub fn user_texts(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in self.main_requests() {
            for t in r.user_texts {
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        }
        out
    }

    /// The first main request whose conversation holds a user text for which `pred` is true.
    pub fn first_with(&self, pred: impl Fn(&str) -> bool) -> Option<Logged> {
        self.main_requests()
            .into_iter()
            .find(|r| r.user_texts.iter().any(|t| pred(t)))
    }

    /// Waits until a main request carries a user text for which `pred` holds.
    pub fn wait_for_user_text(&self, secs: u64, what: &str, pred: impl Fn(&str) -> bool) -> Logged {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(r) = self.first_with(&pred) {
                return r;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out after {secs}s waiting for the model to receive {what}; it received: {:#?}",
                    self.user_texts()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until a main request's body (system prompt, messages, anything) holds text for
    /// which `pred` is true.
    pub fn wait_for_body(&self, secs: u64, what: &str, pred: impl Fn(&str) -> bool) -> Logged {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(r) = self
                .main_requests()
                .into_iter()
                .find(|r| pred(&r.body.to_string()))
            {
                return r;
            }
            if Instant::now() > deadline {
                panic!("timed out after {secs}s waiting for a model request carrying {what}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until `n` main requests have been answered (or panics after `secs`).
    pub fn wait_for_main_requests(&self, n: usize, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while self.main_requests().len() < n {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {n} model requests; got {}",
                self.main_requests().len()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A summary of everything received, for failure messages.
    pub fn dump(&self) -> String {
        self.requests()
            .iter()
            .map(|r| {
                format!(
                    "#{} {} {} main={} status={} turn={:?} -> {}",
                    r.n, r.method, r.target, r.main, r.status, r.turn, r.reply
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for ModelServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve(conn: TcpStream, sh: &Shared) {
    let mut out = match conn.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    };
    let mut reader = BufReader::new(conn);
    while let Some(req) = http::read_request(&mut reader) {
        if handle(&req, &mut out, sh).is_err() {
            break;
        }
    }
}

fn route(req: &http::Request) -> Option<Api> {
    let p = req.path();
    if req.method != "POST" {
        return None;
    }
    if p.ends_with("/messages") {
        Some(Api::Anthropic)
    } else if p.ends_with("/responses") {
        Some(Api::Responses)
    } else if p.ends_with("/chat/completions") {
        Some(Api::Chat)
    } else if p.contains(":streamGenerateContent") || p.contains(":generateContent") {
        Some(Api::Gemini)
    } else {
        None
    }
}

fn handle(req: &http::Request, out: &mut TcpStream, sh: &Shared) -> std::io::Result<()> {
    let n = sh.count.fetch_add(1, Ordering::Relaxed) + 1;
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let api = route(req);
    let parsed = match api {
        Some(Api::Anthropic) => Some(anthropic::parse(&body)),
        Some(Api::Responses) => Some(openai::parse_responses(&body)),
        Some(Api::Chat) => Some(openai::parse_chat(&body)),
        Some(Api::Gemini) => Some(gemini::parse(req.path(), &body)),
        None => None,
    };
    let mut entry = Logged {
        n,
        at_ms: sh.started.elapsed().as_millis(),
        at: Instant::now(),
        method: req.method.clone(),
        target: req.target.clone(),
        api,
        main: parsed.as_ref().is_some_and(|p| !p.side),
        model: parsed.as_ref().map(|p| p.model.clone()).unwrap_or_default(),
        user_texts: parsed.as_ref().map(Parsed::user_texts).unwrap_or_default(),
        turn: parsed
            .as_ref()
            .map(|p| p.last_user_turn().iter().map(|s| s.to_string()).collect())
            .unwrap_or_default(),
        tool_results: parsed
            .as_ref()
            .map(Parsed::tool_results)
            .unwrap_or_default(),
        reply: String::new(),
        status: 200,
        usage: Usage::default(),
        headers: req
            .headers
            .iter()
            .filter(|(k, _)| {
                !k.eq_ignore_ascii_case("authorization") && !k.to_ascii_lowercase().contains("key")
            })
            .cloned()
            .collect(),
        body: body.clone(),
    };
    let (Some(api), Some(parsed)) = (api, parsed) else {
        let res = other(req, &body, out, &mut entry);
        record(sh, entry);
        return res;
    };
    // Logged as it arrives: a stalled answer is still evidence the text got here.
    if !parsed.side {
        let stall = sh.control.lock().expect("control").stall;
        record(sh, entry.clone());
        if let Some(d) = stall {
            wait_stall(sh, d);
            // The CLI may have been stopped meanwhile: an answer nobody reads is not usage.
            if client_gone(out) {
                entry.status = 499;
                entry.reply = "the client had gone".into();
                update(sh, &entry);
                return Err(std::io::Error::other("client gone"));
            }
        }
        let refused = {
            let mut c = sh.control.lock().expect("control");
            let key = api_key(req);
            if c.limited_key.is_some() && c.limited_key == key {
                Some(429)
            } else if c.rate_limit > 0 {
                c.rate_limit -= 1;
                Some(429)
            } else if c.overload > 0 {
                c.overload -= 1;
                Some(if api == Api::Anthropic { 529 } else { 503 })
            } else {
                None
            }
        };
        if let Some(status) = refused {
            entry.status = status;
            entry.reply = if status == 429 {
                "rate limited"
            } else {
                "overloaded"
            }
            .into();
            update(sh, &entry);
            let body = match (api, status) {
                (Api::Anthropic, 429) => anthropic::rate_limited(),
                (Api::Anthropic, _) => anthropic::overloaded(),
                (Api::Responses | Api::Chat, _) => openai::rate_limited(),
                (Api::Gemini, _) => gemini::rate_limited(),
            };
            return http::respond(
                out,
                status,
                "application/json",
                &[("retry-after", "1".into())],
                body.to_string().as_bytes(),
            );
        }
    }
    let steps = sh.control.lock().expect("control").steps.clone();
    let reply = if parsed.side {
        script::side_reply(&parsed)
    } else {
        script::decide(&parsed, &steps)
    };
    // Known, different figures for every answer and every kind of token, so a total that
    // drops, doubles or swaps any of them is wrong.
    // (OpenAI counts cached tokens inside the input: never more than it.)
    let input = (req.body.len() as u64 / 4).max(1);
    let usage = Usage {
        input,
        output: (reply.text_len() as u64 / 4).max(1),
        cached: (1000 + 7 * n as u64).min(input / 2),
        cache_write: 100 + 3 * n as u64,
    };
    entry.reply = script::describe(&reply);
    entry.usage = usage;
    if parsed.side {
        record(sh, entry);
    } else {
        update(sh, &entry);
    }
    write_reply(api, &parsed, &reply, usage, n, out, &body)
}

fn write_reply(
    api: Api,
    parsed: &Parsed,
    reply: &Reply,
    usage: Usage,
    n: usize,
    out: &mut TcpStream,
    body: &Value,
) -> std::io::Result<()> {
    let model = parsed.model.as_str();
    let events = match (api, parsed.stream) {
        (Api::Anthropic, true) => anthropic::events(reply, model, usage, n),
        (Api::Responses, true) => openai::response_events(reply, model, usage, n),
        (Api::Chat, true) => openai::chat_events(reply, model, usage, n),
        (Api::Gemini, true) => gemini::events(reply, model, usage),
        (api, false) => {
            let v = match api {
                Api::Anthropic => anthropic::message(reply, model, usage, n),
                Api::Responses => openai::response_json(reply, model, usage, n),
                Api::Chat => openai::chat_json(reply, model, usage, n),
                Api::Gemini => gemini::response_json(reply, model, usage),
            };
            let _ = body;
            return http::respond(out, 200, "application/json", &[], v.to_string().as_bytes());
        }
    };
    let mut w = http::Chunked::start(out, 200, "text/event-stream", &[])?;
    for e in events {
        w.send(&e)?;
    }
    w.finish()
}

/// Anything that is not a model request: model lists, token counts, and the rest (404).
fn other(
    req: &http::Request,
    body: &Value,
    out: &mut TcpStream,
    entry: &mut Logged,
) -> std::io::Result<()> {
    let p = req.path();
    let (status, v) = if p.ends_with("/count_tokens") {
        (200, json!({"input_tokens": (req.body.len() / 4).max(1)}))
    } else if p.contains(":countTokens") {
        (200, gemini::count_tokens(body))
    } else if req.method == "GET" && p.ends_with("/models") {
        (
            200,
            json!({
                "object": "list",
                "data": [{"id": "scripted-model", "object": "model", "created": 1_700_000_000u64, "owned_by": "gt-tests",
                          "type": "model", "display_name": "Scripted model", "created_at": "2024-01-01T00:00:00Z"}],
                "models": [{"name": "models/gemini-2.5-pro", "displayName": "Scripted",
                            "supportedGenerationMethods": ["generateContent", "streamGenerateContent", "countTokens"]}],
                "has_more": false, "first_id": "scripted-model", "last_id": "scripted-model"
            }),
        )
    } else {
        (
            404,
            json!({"error": {"message": format!("the scripted model server has no {} {}", req.method, p), "type": "not_found"}}),
        )
    };
    entry.status = status;
    entry.reply = format!("{status}");
    http::respond(
        out,
        status,
        "application/json",
        &[],
        v.to_string().as_bytes(),
    )
}

/// The peer closed the connection (a read would find its end).
fn client_gone(conn: &TcpStream) -> bool {
    let mut b = [0u8; 1];
    if conn.set_nonblocking(true).is_err() {
        return false;
    }
    let gone = matches!(conn.peek(&mut b), Ok(0));
    let _ = conn.set_nonblocking(false);
    gone
}

/// The API key a request carries (Anthropic's header, or a bearer token, or Gemini's).
fn api_key(req: &http::Request) -> Option<String> {
    req.headers.iter().find_map(|(k, v)| {
        let k = k.to_ascii_lowercase();
        match k.as_str() {
            "x-api-key" | "x-goog-api-key" => Some(v.clone()),
            "authorization" => v.strip_prefix("Bearer ").map(str::to_string),
            _ => None,
        }
    })
}

fn wait_stall(sh: &Shared, d: Duration) {
    let until = Instant::now() + d;
    let mut c = sh.control.lock().expect("control");
    while c.stall.is_some() {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        c = sh
            .changed
            .wait_timeout(c, left.min(Duration::from_millis(100)))
            .expect("control")
            .0;
    }
}

fn record(sh: &Shared, entry: Logged) {
    if let Some(f) = &sh.log_file
        && let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(f)
    {
        let _ = writeln!(
            file,
            "{}",
            serde_json::to_string(&entry).unwrap_or_default()
        );
    }
    sh.log.lock().expect("log").push(entry);
}

fn update(sh: &Shared, entry: &Logged) {
    let mut log = sh.log.lock().expect("log");
    if let Some(e) = log.iter_mut().find(|e| e.n == entry.n) {
        *e = entry.clone();
    }
}
