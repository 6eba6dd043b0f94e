//! The dashboard's addresses: the page and its two assets (embedded in the binary), the
//! town's state (once, or pushed as server-sent events), and actions.

use super::Web;
use super::actions::{Action, Outcome};
use super::feed::{self, Feed, Push};
use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

const INDEX: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/app.css");

/// A request body larger than this is refused (the longest text is 16 KiB).
const BODY_MAX: usize = 64 * 1024;

pub fn router(web: Arc<Web>) -> Router {
    Router::new()
        .route("/", get(index))
        .route(
            "/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/app.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE) }),
        )
        .route("/api/state", get(state))
        .route("/api/events", get(events))
        .route("/api/live", get(live))
        .route("/api/access", get(access))
        .route("/api/diff/{mr}", get(diff))
        .route("/api/act/{action}", post(act))
        .fallback(|| async { (StatusCode::NOT_FOUND, "no such page\n") })
        .layer(axum::extract::DefaultBodyLimit::max(BODY_MAX))
        .layer(middleware::from_fn_with_state(web.clone(), guard))
        .with_state(web)
}

/// The page, with the town as it is now when the dashboard is already looking (the first
/// frame needs no round trip). The state is data, never run: a JSON block whose `<` are
/// escaped, so no title can close it.
async fn index(State(web): State<Arc<Web>>) -> Response {
    let frame = web.hub.current();
    let html = if frame.version > 0 && web.hub.looking() {
        let data = frame
            .state
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026");
        INDEX.replace(
            r#"<script id="initial" type="application/json"></script>"#,
            &format!(r#"<script id="initial" type="application/json">{data}</script>"#),
        )
    } else {
        INDEX.to_string()
    };
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

fn asset(kind: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn guard(State(web): State<Arc<Web>>, req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let mut resp = match web.access.check(req.method(), req.headers()) {
        Ok(()) if api && super::guard::cross_site(req.headers()) => (
            StatusCode::FORBIDDEN,
            "refused: the request comes from another site\n",
        )
            .into_response(),
        Ok(()) => next.run(req).await,
        Err(r) => (r.status, format!("{}\n", r.why)).into_response(),
    };
    super::guard::harden(resp.headers_mut());
    resp
}

fn json_response(status: StatusCode, body: impl Into<axum::body::Body>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.into(),
    )
        .into_response()
}

/// The town as it is now (looked at first if nobody was watching).
async fn state(State(web): State<Arc<Web>>) -> Response {
    let mut rx = web.hub.subscribe();
    let stale = {
        let f = rx.borrow_and_update();
        f.version == 0 || !web.hub.looking()
    };
    if stale {
        web.hub.poke();
        let _ = tokio::time::timeout(Duration::from_secs(5), rx.changed()).await;
    }
    let frame = web.hub.current();
    if frame.version == 0 {
        return json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"problems":["the town has not been looked at yet"]}"#,
        );
    }
    json_response(StatusCode::OK, frame.state.to_string())
}

#[derive(serde::Deserialize)]
struct EventsQuery {
    agent: Option<String>,
}

/// The town pushed to a script (`curl -N …/api/events?agent=…`): a `state` event whenever it
/// changes, a `screen` event whenever the agent's screen changes.
async fn events(State(web): State<Arc<Web>>, Query(q): Query<EventsQuery>) -> Response {
    let feed = Feed::new(&web.hub, feed::agent_name(q.agent.as_deref()));
    let stream =
        futures_util::stream::unfold((feed, VecDeque::new()), |(mut f, mut pending)| async move {
            loop {
                if let Some(p) = pending.pop_front() {
                    let event = match p {
                        Push::State(s) => Event::default().event("state").data(&*s),
                        Push::Screen(s) => Event::default().event("screen").data(&*s),
                    };
                    return Some((Ok::<Event, Infallible>(event), (f, pending)));
                }
                pending.extend(f.due());
                if pending.is_empty() && !f.next().await {
                    return None;
                }
            }
        });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// The page's live connection. A WebSocket rather than an event stream: a browser keeps at
/// most six HTTP connections to one host for all its tabs, so a seventh open page would wait
/// forever behind the others' streams; WebSockets are not counted there. Browsers apply no
/// cross-origin rule to WebSockets, so a page of another site is refused here by its Origin.
async fn live(State(web): State<Arc<Web>>, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    if !super::guard::same_origin(&headers) {
        return (
            StatusCode::FORBIDDEN,
            "refused: the page comes from another site\n",
        )
            .into_response();
    }
    // A page only ever says which agent it shows.
    ws.max_message_size(4096)
        .on_upgrade(move |socket| page_socket(web, socket))
}

/// Sends the page what is due and takes its choice of agent (`{"agent": "…"}`).
async fn page_socket(web: Arc<Web>, mut socket: WebSocket) {
    let mut feed = Feed::new(&web.hub, None);
    loop {
        for p in feed.due() {
            if socket
                .send(Message::Text(p.message().into()))
                .await
                .is_err()
            {
                return;
            }
        }
        tokio::select! {
            alive = feed.next() => if !alive {
                let _ = socket.send(Message::Close(None)).await;
                return;
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Text(t))) => {
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(t.as_str()) {
                        feed.show(feed::agent_name(v["agent"].as_str()));
                    }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

/// What this request may do (the page asks with the token it holds).
async fn access(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    let can_act = web.access.has_token(&headers);
    json_response(
        StatusCode::OK,
        serde_json::json!({ "can_act": can_act }).to_string(),
    )
}

/// A merge request's diff, for review (a read: no token needed).
async fn diff(State(web): State<Arc<Web>>, Path(mr): Path<String>) -> Response {
    let action = Action::Diff { mr };
    if let Err(why) = action.check() {
        return json_response(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"ok": false, "message": why}).to_string(),
        );
    }
    let outcome = web.actions.run(action).await;
    let status = if outcome.ok {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    json_response(status, serde_json::to_string(&outcome).unwrap_or_default())
}

async fn act(State(web): State<Arc<Web>>, Path(name): Path<String>, body: Bytes) -> Response {
    let refuse = |why: String| {
        let o = Outcome {
            ok: false,
            message: why,
            diff: None,
        };
        json_response(
            StatusCode::BAD_REQUEST,
            serde_json::to_string(&o).unwrap_or_default(),
        )
    };
    let mut value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return refuse(format!("the request is not JSON: {e}")),
    };
    let Some(obj) = value.as_object_mut() else {
        return refuse("the request must be a JSON object".into());
    };
    obj.insert("action".into(), serde_json::Value::String(name.clone()));
    let action: Action = match serde_json::from_value(value) {
        Ok(a) => a,
        Err(e) => return refuse(format!("{name}: {e}")),
    };
    if let Err(why) = action.check() {
        return refuse(format!("{name}: {why}"));
    }
    let changes = action.changes_town();
    let outcome = web.actions.run(action).await;
    if changes {
        web.hub.poke();
    }
    let status = if outcome.ok {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    json_response(status, serde_json::to_string(&outcome).unwrap_or_default())
}
