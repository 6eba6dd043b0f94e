//! The Gemini API (`POST /v1beta/models/<model>:streamGenerateContent?alt=sse`, and
//! `:generateContent` for the CLI's side calls).

use super::conversation::{Item, Parsed, Tool, text_of};
use super::script::Reply;
use super::wire::{Usage, sse};
use serde_json::{Value, json};

pub fn parse(path: &str, body: &Value) -> Parsed {
    let mut items = Vec::new();
    for c in body["contents"].as_array().into_iter().flatten() {
        let role = c["role"].as_str().unwrap_or("user");
        for p in c["parts"].as_array().into_iter().flatten() {
            if let Some(t) = p.get("text") {
                if p.get("thought").and_then(Value::as_bool) == Some(true) {
                    continue;
                }
                items.push(if role == "model" {
                    Item::Assistant(text_of(t))
                } else {
                    Item::User(text_of(t))
                });
            } else if let Some(f) = p.get("functionCall") {
                items.push(Item::Call {
                    name: f["name"].as_str().unwrap_or("").to_string(),
                    args: f["args"].clone(),
                });
            } else if let Some(r) = p.get("functionResponse") {
                items.push(Item::Result(text_of(&r["response"])));
            }
        }
    }
    let tools: Vec<Tool> = body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|t| {
            t["functionDeclarations"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|f| Tool {
            name: f["name"].as_str().unwrap_or("").to_string(),
            schema: f
                .get("parametersJsonSchema")
                .or_else(|| f.get("parameters"))
                .cloned()
                .unwrap_or(json!({})),
        })
        .collect();
    let model = path
        .rsplit('/')
        .next()
        .and_then(|m| m.split(':').next())
        .unwrap_or("gemini")
        .to_string();
    let cfg = &body["generationConfig"];
    let json_schema = cfg
        .get("responseJsonSchema")
        .or_else(|| cfg.get("responseSchema"))
        .cloned();
    Parsed {
        model,
        stream: path.contains("streamGenerateContent"),
        side: tools.is_empty(),
        json_schema,
        items,
        tools,
    }
}

fn candidate(reply: &Reply) -> Value {
    let part = match reply {
        Reply::Text(t) => json!({"text": t}),
        Reply::Call { name, args } => json!({"functionCall": {"name": name, "args": args}}),
    };
    json!({"content": {"role": "model", "parts": [part]}, "finishReason": "STOP", "index": 0})
}

fn usage_json(u: Usage) -> Value {
    json!({"promptTokenCount": u.input, "candidatesTokenCount": u.output,
           "totalTokenCount": u.input + u.output, "cachedContentTokenCount": u.cached})
}

pub fn response_json(reply: &Reply, model: &str, usage: Usage) -> Value {
    json!({"candidates": [candidate(reply)], "usageMetadata": usage_json(usage), "modelVersion": model})
}

pub fn events(reply: &Reply, model: &str, usage: Usage) -> Vec<Vec<u8>> {
    vec![sse(None, &response_json(reply, model, usage))]
}

pub fn count_tokens(body: &Value) -> Value {
    json!({"totalTokens": (body.to_string().len() / 4).max(1)})
}

pub fn rate_limited() -> Value {
    json!({"error": {"code": 429, "message": "Scripted rate limit: resource exhausted", "status": "RESOURCE_EXHAUSTED"}})
}
