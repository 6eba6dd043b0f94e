//! The Anthropic Messages API (`POST /v1/messages`), streamed as server-sent events.

use super::conversation::{Item, Parsed, Tool, text_of};
use super::script::Reply;
use super::wire::{Usage, sse};
use serde_json::{Value, json};

pub fn parse(body: &Value) -> Parsed {
    let mut items = Vec::new();
    for m in body["messages"].as_array().into_iter().flatten() {
        let role = m["role"].as_str().unwrap_or("");
        // Claude Code also sends `system` messages between turns: not the conversation.
        if role != "user" && role != "assistant" {
            continue;
        }
        match &m["content"] {
            Value::String(s) => items.push(if role == "user" {
                Item::User(s.clone())
            } else {
                Item::Assistant(s.clone())
            }),
            Value::Array(blocks) => {
                for b in blocks {
                    match b["type"].as_str().unwrap_or("") {
                        "text" if role == "user" => items.push(Item::User(text_of(&b["text"]))),
                        "text" => items.push(Item::Assistant(text_of(&b["text"]))),
                        "tool_use" => items.push(Item::Call {
                            name: b["name"].as_str().unwrap_or("").to_string(),
                            args: b["input"].clone(),
                        }),
                        "tool_result" => items.push(Item::Result(text_of(&b["content"]))),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    let tools: Vec<Tool> = body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| Tool {
            name: t["name"].as_str().unwrap_or("").to_string(),
            schema: t["input_schema"].clone(),
        })
        .collect();
    Parsed {
        model: body["model"].as_str().unwrap_or("claude").to_string(),
        stream: body["stream"].as_bool().unwrap_or(false),
        side: tools.is_empty(),
        json_schema: body["output_config"]["format"].get("schema").cloned(),
        items,
        tools,
    }
}

fn blocks(reply: &Reply, n: usize) -> (Vec<Value>, &'static str) {
    match reply {
        Reply::Text(t) => (vec![json!({"type": "text", "text": t})], "end_turn"),
        Reply::Call { name, args } => (
            vec![
                json!({"type": "tool_use", "id": format!("toolu_{n:06}"), "name": name, "input": args}),
            ],
            "tool_use",
        ),
    }
}

/// The whole message as one JSON body (a request without `stream`).
pub fn message(reply: &Reply, model: &str, usage: Usage, n: usize) -> Value {
    let (content, stop) = blocks(reply, n);
    json!({
        "id": format!("msg_{n:06}"), "type": "message", "role": "assistant", "model": model,
        "content": content, "stop_reason": stop, "stop_sequence": null,
        "usage": {"input_tokens": usage.input, "output_tokens": usage.output,
                  "cache_creation_input_tokens": usage.cache_write, "cache_read_input_tokens": usage.cached}
    })
}

/// The same message as the event stream the CLIs read.
pub fn events(reply: &Reply, model: &str, usage: Usage, n: usize) -> Vec<Vec<u8>> {
    let mut out = vec![sse(
        Some("message_start"),
        &json!({"type": "message_start", "message": {
            "id": format!("msg_{n:06}"), "type": "message", "role": "assistant", "model": model,
            "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": usage.input, "output_tokens": 1,
                      "cache_creation_input_tokens": usage.cache_write, "cache_read_input_tokens": usage.cached}}}),
    )];
    let stop = match reply {
        Reply::Text(t) => {
            out.push(sse(
                Some("content_block_start"),
                &json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            ));
            for piece in pieces(t) {
                out.push(sse(
                    Some("content_block_delta"),
                    &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}),
                ));
            }
            "end_turn"
        }
        Reply::Call { name, args } => {
            out.push(sse(
                Some("content_block_start"),
                &json!({"type": "content_block_start", "index": 0, "content_block": {
                    "type": "tool_use", "id": format!("toolu_{n:06}"), "name": name, "input": {}}}),
            ));
            out.push(sse(
                Some("content_block_delta"),
                &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": args.to_string()}}),
            ));
            "tool_use"
        }
    };
    out.push(sse(
        Some("content_block_stop"),
        &json!({"type": "content_block_stop", "index": 0}),
    ));
    out.push(sse(
        Some("message_delta"),
        &json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null},
                "usage": {"output_tokens": usage.output}}),
    ));
    out.push(sse(Some("message_stop"), &json!({"type": "message_stop"})));
    out
}

/// Text in a few deltas, as a real stream sends it.
fn pieces(t: &str) -> Vec<String> {
    let chars: Vec<char> = t.chars().collect();
    chars.chunks(64).map(|c| c.iter().collect()).collect()
}

pub fn rate_limited() -> Value {
    json!({"type": "error", "error": {"type": "rate_limit_error", "message": "Scripted rate limit: slow down"}})
}

pub fn overloaded() -> Value {
    json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
}
