//! The OpenAI Responses API (`POST /v1/responses`) and Chat Completions API
//! (`POST /v1/chat/completions`), both streamed.

use super::conversation::{Item, Parsed, Tool, text_of};
use super::script::Reply;
use super::wire::{Usage, sse};
use serde_json::{Value, json};

pub fn parse_responses(body: &Value) -> Parsed {
    let mut items = Vec::new();
    match &body["input"] {
        Value::String(s) => items.push(Item::User(s.clone())),
        Value::Array(input) => {
            for it in input {
                let ty = it["type"].as_str().unwrap_or("message");
                match ty {
                    "message" => {
                        let role = it["role"].as_str().unwrap_or("");
                        let text = text_of(&it["content"]);
                        match role {
                            "user" => match &it["content"] {
                                Value::Array(parts) => {
                                    for p in parts {
                                        items.push(Item::User(text_of(&p["text"])));
                                    }
                                }
                                _ => items.push(Item::User(text)),
                            },
                            "assistant" => items.push(Item::Assistant(text)),
                            _ => {}
                        }
                    }
                    "function_call" | "custom_tool_call" | "local_shell_call" => {
                        let args = it["arguments"]
                            .as_str()
                            .and_then(|a| serde_json::from_str(a).ok())
                            .unwrap_or_else(|| it["input"].clone());
                        items.push(Item::Call {
                            name: it["name"].as_str().unwrap_or(ty).to_string(),
                            args,
                        });
                    }
                    "function_call_output"
                    | "custom_tool_call_output"
                    | "local_shell_call_output" => items.push(Item::Result(text_of(&it["output"]))),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    let tools: Vec<Tool> = body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| {
            let name = t["name"]
                .as_str()
                .or_else(|| t["function"]["name"].as_str())
                .or_else(|| t["type"].as_str().filter(|ty| *ty == "local_shell"))?;
            Some(Tool {
                name: name.to_string(),
                schema: t
                    .get("parameters")
                    .or_else(|| t["function"].get("parameters"))
                    .cloned()
                    .unwrap_or(json!({})),
            })
        })
        .collect();
    let json_schema = body["text"]["format"]
        .get("schema")
        .cloned()
        .filter(|_| body["text"]["format"]["type"] == "json_schema");
    Parsed {
        model: body["model"].as_str().unwrap_or("gpt").to_string(),
        stream: body["stream"].as_bool().unwrap_or(false),
        side: tools.is_empty(),
        json_schema,
        items,
        tools,
    }
}

fn output_item(reply: &Reply, n: usize) -> Value {
    match reply {
        Reply::Text(t) => json!({
            "type": "message", "id": format!("msg_{n:06}"), "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": t, "annotations": []}]
        }),
        Reply::Call { name, args } => json!({
            "type": "function_call", "id": format!("fc_{n:06}"), "call_id": format!("call_{n:06}"),
            "name": name, "arguments": args.to_string(), "status": "completed"
        }),
    }
}

fn response_object(
    model: &str,
    n: usize,
    status: &str,
    output: Vec<Value>,
    usage: Option<Usage>,
) -> Value {
    json!({
        "id": format!("resp_{n:06}"), "object": "response", "created_at": 1_700_000_000u64,
        "status": status, "model": model, "output": output,
        "usage": usage.map(|u| json!({
            "input_tokens": u.input, "input_tokens_details": {"cached_tokens": u.cached},
            "output_tokens": u.output, "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": u.input + u.output
        }))
    })
}

pub fn response_json(reply: &Reply, model: &str, usage: Usage, n: usize) -> Value {
    response_object(
        model,
        n,
        "completed",
        vec![output_item(reply, n)],
        Some(usage),
    )
}

pub fn response_events(reply: &Reply, model: &str, usage: Usage, n: usize) -> Vec<Vec<u8>> {
    let item = output_item(reply, n);
    let mut out = vec![
        sse(
            Some("response.created"),
            &json!({"type": "response.created", "sequence_number": 0,
                    "response": response_object(model, n, "in_progress", vec![], None)}),
        ),
        sse(
            Some("response.in_progress"),
            &json!({"type": "response.in_progress", "sequence_number": 1,
                    "response": response_object(model, n, "in_progress", vec![], None)}),
        ),
    ];
    let mut seq = 2;
    let mut next = || {
        seq += 1;
        seq
    };
    match reply {
        Reply::Text(t) => {
            let mut started = item.clone();
            started["status"] = json!("in_progress");
            started["content"] = json!([]);
            out.push(sse(
                Some("response.output_item.added"),
                &json!({"type": "response.output_item.added", "sequence_number": next(), "output_index": 0, "item": started}),
            ));
            out.push(sse(
                Some("response.content_part.added"),
                &json!({"type": "response.content_part.added", "sequence_number": next(), "item_id": item["id"],
                        "output_index": 0, "content_index": 0,
                        "part": {"type": "output_text", "text": "", "annotations": []}}),
            ));
            out.push(sse(
                Some("response.output_text.delta"),
                &json!({"type": "response.output_text.delta", "sequence_number": next(), "item_id": item["id"],
                        "output_index": 0, "content_index": 0, "delta": t}),
            ));
            out.push(sse(
                Some("response.output_text.done"),
                &json!({"type": "response.output_text.done", "sequence_number": next(), "item_id": item["id"],
                        "output_index": 0, "content_index": 0, "text": t}),
            ));
            out.push(sse(
                Some("response.content_part.done"),
                &json!({"type": "response.content_part.done", "sequence_number": next(), "item_id": item["id"],
                        "output_index": 0, "content_index": 0,
                        "part": {"type": "output_text", "text": t, "annotations": []}}),
            ));
        }
        Reply::Call { .. } => {
            let mut started = item.clone();
            started["status"] = json!("in_progress");
            started["arguments"] = json!("");
            out.push(sse(
                Some("response.output_item.added"),
                &json!({"type": "response.output_item.added", "sequence_number": next(), "output_index": 0, "item": started}),
            ));
            out.push(sse(
                Some("response.function_call_arguments.delta"),
                &json!({"type": "response.function_call_arguments.delta", "sequence_number": next(), "item_id": item["id"],
                        "output_index": 0, "delta": item["arguments"]}),
            ));
            out.push(sse(
                Some("response.function_call_arguments.done"),
                &json!({"type": "response.function_call_arguments.done", "sequence_number": next(), "item_id": item["id"],
                        "output_index": 0, "arguments": item["arguments"]}),
            ));
        }
    }
    out.push(sse(
        Some("response.output_item.done"),
        &json!({"type": "response.output_item.done", "sequence_number": next(), "output_index": 0, "item": item}),
    ));
    out.push(sse(
        Some("response.completed"),
        &json!({"type": "response.completed", "sequence_number": next(),
                "response": response_object(model, n, "completed", vec![item], Some(usage))}),
    ));
    out
}

pub fn parse_chat(body: &Value) -> Parsed {
    let mut items = Vec::new();
    for m in body["messages"].as_array().into_iter().flatten() {
        match m["role"].as_str().unwrap_or("") {
            "user" => match &m["content"] {
                Value::Array(parts) => {
                    for p in parts {
                        if p["type"] == "text" {
                            items.push(Item::User(text_of(&p["text"])));
                        }
                    }
                }
                c => items.push(Item::User(text_of(c))),
            },
            "assistant" => {
                let t = text_of(&m["content"]);
                if !t.is_empty() {
                    items.push(Item::Assistant(t));
                }
                for c in m["tool_calls"].as_array().into_iter().flatten() {
                    items.push(Item::Call {
                        name: c["function"]["name"].as_str().unwrap_or("").to_string(),
                        args: c["function"]["arguments"]
                            .as_str()
                            .and_then(|a| serde_json::from_str(a).ok())
                            .unwrap_or(Value::Null),
                    });
                }
            }
            "tool" => items.push(Item::Result(text_of(&m["content"]))),
            _ => {}
        }
    }
    let tools: Vec<Tool> = body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| Tool {
            name: t["function"]["name"].as_str().unwrap_or("").to_string(),
            schema: t["function"]["parameters"].clone(),
        })
        .collect();
    let json_schema = body["response_format"]["json_schema"]["schema"]
        .as_object()
        .map(|o| Value::Object(o.clone()));
    Parsed {
        model: body["model"].as_str().unwrap_or("gpt").to_string(),
        stream: body["stream"].as_bool().unwrap_or(false),
        side: tools.is_empty(),
        json_schema,
        items,
        tools,
    }
}

fn chunk(model: &str, n: usize, delta: Value, finish: Option<&str>) -> Value {
    json!({"id": format!("chatcmpl-{n:06}"), "object": "chat.completion.chunk", "created": 1_700_000_000u64,
           "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
}

pub fn chat_events(reply: &Reply, model: &str, usage: Usage, n: usize) -> Vec<Vec<u8>> {
    let mut out = vec![sse(
        None,
        &chunk(model, n, json!({"role": "assistant", "content": ""}), None),
    )];
    let finish = match reply {
        Reply::Text(t) => {
            out.push(sse(None, &chunk(model, n, json!({"content": t}), None)));
            "stop"
        }
        Reply::Call { name, args } => {
            out.push(sse(
                None,
                &chunk(
                    model,
                    n,
                    json!({"tool_calls": [{"index": 0, "id": format!("call_{n:06}"), "type": "function",
                                           "function": {"name": name, "arguments": args.to_string()}}]}),
                    None,
                ),
            ));
            "tool_calls"
        }
    };
    out.push(sse(None, &chunk(model, n, json!({}), Some(finish))));
    let mut last = chunk(model, n, json!({}), None);
    last["choices"] = json!([]);
    last["usage"] = json!({"prompt_tokens": usage.input, "completion_tokens": usage.output,
                           "total_tokens": usage.input + usage.output,
                           "prompt_tokens_details": {"cached_tokens": usage.cached}});
    out.push(sse(None, &last));
    out.push(b"data: [DONE]\n\n".to_vec());
    out
}

pub fn chat_json(reply: &Reply, model: &str, usage: Usage, n: usize) -> Value {
    let (message, finish) = match reply {
        Reply::Text(t) => (json!({"role": "assistant", "content": t}), "stop"),
        Reply::Call { name, args } => (
            json!({"role": "assistant", "content": null, "tool_calls": [{"id": format!("call_{n:06}"), "type": "function",
                   "function": {"name": name, "arguments": args.to_string()}}]}),
            "tool_calls",
        ),
    };
    json!({"id": format!("chatcmpl-{n:06}"), "object": "chat.completion", "created": 1_700_000_000u64, "model": model,
           "choices": [{"index": 0, "message": message, "finish_reason": finish}],
           "usage": {"prompt_tokens": usage.input, "completion_tokens": usage.output, "total_tokens": usage.input + usage.output}})
}

pub fn rate_limited() -> Value {
    json!({"error": {"message": "Scripted rate limit: slow down", "type": "rate_limit_exceeded", "code": "rate_limit_exceeded", "param": null}})
}
