//! Reading a runtime's transcript: the token usage of each model answer (for costs) and what
//! a past session did (for `gt seance`). Claude Code writes one JSON object per line under
//! `~/.claude/projects/<dir>/<session>.jsonl`; gt learns the path from the session's hooks.

use serde_json::Value;

/// One model answer's usage (the ledger's record of it; `day` is empty when the line has no
/// time).
pub use crate::ledger::TurnUsage as Answer;

/// How a runtime writes its transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Claude Code: one line per message (`type: assistant` lines carry `message.usage`).
    Claude,
    /// Codex: `token_usage_record` lines per model response; the model is named by the
    /// `turn_context` line before them.
    Codex,
    /// Gemini CLI: a chat log of messages (`type: gemini` ones carry `tokens` and `model`),
    /// between `$set` records; a message written again replaces its earlier line.
    Gemini,
}

/// The answers in complete transcript lines, and the model the lines named last (`model`:
/// the one named before them, for formats that name it apart from the usage).
pub fn answers_in(
    format: Format,
    lines: &str,
    model: Option<&str>,
) -> (Vec<Answer>, Option<String>) {
    match format {
        Format::Claude => (answers(lines), None),
        Format::Codex => codex_answers(lines, model),
        Format::Gemini => (gemini_answers(lines), None),
    }
}

/// Gemini CLI's answers. Its prompt count includes the cached tokens (split out here) and
/// its thinking tokens are billed as output.
fn gemini_answers(lines: &str) -> Vec<Answer> {
    let mut out: Vec<Answer> = Vec::new();
    for line in lines.lines() {
        if !line.contains("\"tokens\"") {
            continue;
        }
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if v["type"] != "gemini" {
            continue;
        }
        let (Some(id), Some(model)) = (v["id"].as_str(), v["model"].as_str()) else {
            continue;
        };
        let t = &v["tokens"];
        let n = |k: &str| t[k].as_u64().unwrap_or(0);
        let a = Answer {
            message_id: id.to_string(),
            day: v["timestamp"]
                .as_str()
                .and_then(|x| x.get(..10))
                .unwrap_or("")
                .to_string(),
            model: model.to_string(),
            input: n("input").saturating_sub(n("cached")),
            output: n("output") + n("thoughts"),
            cache_write: 0,
            cache_read: n("cached"),
        };
        match out.iter_mut().find(|x| x.message_id == a.message_id) {
            Some(earlier) => *earlier = a,
            None => out.push(a),
        }
    }
    out
}

/// Codex's responses. Its `input_tokens` include the cached ones: they are split here, so
/// every kind of token is counted (and priced) once.
fn codex_answers(lines: &str, model: Option<&str>) -> (Vec<Answer>, Option<String>) {
    let mut model = model.map(str::to_string);
    let mut out = Vec::new();
    for line in lines.lines() {
        if !line.contains("\"turn_context\"") && !line.contains("\"token_usage_record\"") {
            continue;
        }
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let p = &v["payload"];
        match v["type"].as_str() {
            Some("turn_context") => {
                if let Some(m) = p["model"].as_str() {
                    model = Some(m.to_string());
                }
            }
            Some("token_usage_record") => {
                let u = &p["usage"];
                let n = |k: &str| u[k].as_u64().unwrap_or(0);
                let Some(id) = p["response_id"].as_str() else {
                    continue;
                };
                let cached = n("cached_input_tokens");
                out.push(Answer {
                    message_id: id.to_string(),
                    day: v["timestamp"]
                        .as_str()
                        .and_then(|t| t.get(..10))
                        .unwrap_or("")
                        .to_string(),
                    model: model.clone().unwrap_or_else(|| "unknown".into()),
                    input: n("input_tokens").saturating_sub(cached),
                    output: n("output_tokens"),
                    cache_write: n("cache_write_input_tokens"),
                    cache_read: cached,
                });
            }
            _ => {}
        }
    }
    (out, model)
}

/// Claude Code's answers. A streamed answer is written as one line per content block, each
/// repeating the answer's usage (the last one final): lines of one message come together,
/// and the last of them counts.
pub fn answers(lines: &str) -> Vec<Answer> {
    let mut out: Vec<Answer> = Vec::new();
    for line in lines.lines() {
        let Some(a) = answer_of(line) else { continue };
        match out.last_mut() {
            Some(last) if last.message_id == a.message_id => *last = a,
            _ => out.push(a),
        }
    }
    out
}

fn answer_of(line: &str) -> Option<Answer> {
    // Cheap test first: most lines are not answers.
    if !line.contains("\"usage\"") {
        return None;
    }
    let v: Value = serde_json::from_str(line).ok()?;
    if v["type"] != "assistant" {
        return None;
    }
    let m = &v["message"];
    let model = m["model"].as_str()?;
    // Claude Code's own error notices are written as answers of this model; no call was made.
    if model == "<synthetic>" {
        return None;
    }
    let u = &m["usage"];
    let n = |k: &str| u[k].as_u64().unwrap_or(0);
    Some(Answer {
        message_id: m["id"].as_str()?.to_string(),
        day: v["timestamp"]
            .as_str()
            .and_then(|t| t.get(..10))
            .unwrap_or("")
            .to_string(),
        model: model.to_string(),
        input: n("input_tokens"),
        output: n("output_tokens"),
        cache_write: n("cache_creation_input_tokens"),
        cache_read: n("cache_read_input_tokens"),
    })
}

/// What a session did, from its whole transcript.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Summary {
    pub session_id: Option<String>,
    /// The directory the session ran in.
    pub cwd: Option<String>,
    pub started: Option<String>,
    pub ended: Option<String>,
    /// What people (and gt) said to it, in order.
    pub prompts: Vec<String>,
    pub answers: usize,
    pub tool_calls: Vec<ToolCall>,
    /// Files it changed (written or edited), then files it only read, in first-touch order.
    pub files_changed: Vec<String>,
    pub files_read: Vec<String>,
    /// Its last text to the user.
    pub last_words: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ToolCall {
    pub tool: String,
    /// The command, path or pattern it was called with (one line, cut).
    pub what: String,
}

/// Tools that change the file named by their `file_path`.
const WRITING_TOOLS: &[&str] = &["Edit", "Write", "MultiEdit", "NotebookEdit"];

pub fn summarize(text: &str) -> Summary {
    let mut s = Summary::default();
    let mut seen_answers: Vec<String> = Vec::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if let Some(t) = v["timestamp"].as_str() {
            s.started.get_or_insert_with(|| t.to_string());
            s.ended = Some(t.to_string());
        }
        if s.session_id.is_none() {
            s.session_id = v["sessionId"].as_str().map(str::to_string);
        }
        if s.cwd.is_none() {
            s.cwd = v["cwd"].as_str().map(str::to_string);
        }
        match v["type"].as_str() {
            Some("user") => user_line(&v, &mut s),
            Some("assistant") => {
                let id = v["message"]["id"].as_str().unwrap_or("").to_string();
                if !seen_answers.contains(&id) {
                    seen_answers.push(id);
                }
                assistant_line(&v, &mut s);
            }
            _ => {}
        }
    }
    s.answers = seen_answers.len();
    s.files_read.retain(|f| !s.files_changed.contains(f));
    s
}

fn user_line(v: &Value, s: &mut Summary) {
    // Hook output and the CLI's own notes are not what anyone said to it.
    if v["isMeta"] == true {
        return;
    }
    let said = match &v["message"]["content"] {
        Value::String(t) => Some(t.clone()),
        Value::Array(blocks) => blocks
            .iter()
            .filter(|b| b["type"] == "text")
            .filter_map(|b| b["text"].as_str())
            .next()
            .map(str::to_string),
        _ => None,
    };
    if let Some(t) = said.filter(|t| !t.trim().is_empty() && !t.starts_with('<')) {
        s.prompts.push(t);
    }
}

fn assistant_line(v: &Value, s: &mut Summary) {
    for b in v["message"]["content"].as_array().into_iter().flatten() {
        match b["type"].as_str() {
            Some("text") => {
                if let Some(t) = b["text"].as_str().filter(|t| !t.trim().is_empty()) {
                    s.last_words = Some(t.to_string());
                }
            }
            Some("tool_use") => {
                let tool = b["name"].as_str().unwrap_or("?").to_string();
                let input = &b["input"];
                let path = input["file_path"]
                    .as_str()
                    .or_else(|| input["notebook_path"].as_str());
                if let Some(p) = path {
                    let list = if WRITING_TOOLS.contains(&tool.as_str()) {
                        &mut s.files_changed
                    } else {
                        &mut s.files_read
                    };
                    if !list.iter().any(|f| f == p) {
                        list.push(p.to_string());
                    }
                }
                let what = [
                    "command",
                    "file_path",
                    "pattern",
                    "url",
                    "prompt",
                    "description",
                ]
                .iter()
                .find_map(|k| input[*k].as_str())
                .map(str::to_string)
                .unwrap_or_else(|| input.to_string());
                s.tool_calls.push(ToolCall {
                    tool,
                    what: one_line(&what, 120),
                });
            }
            _ => {}
        }
    }
}

/// The first line of `text`, cut to `max` characters.
pub fn one_line(text: &str, max: usize) -> String {
    let first = text.lines().next().unwrap_or("");
    let cut: String = first.chars().take(max).collect();
    if cut.len() < text.trim_end().len() {
        format!("{cut}…")
    } else {
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(id: &str, model: &str, out: u64, content: &str) -> String {
        format!(
            r#"{{"type":"assistant","timestamp":"2026-12-04T10:00:00.000Z","sessionId":"s1","message":{{"id":"{id}","model":"{model}","content":{content},"usage":{{"input_tokens":10,"output_tokens":{out},"cache_creation_input_tokens":3,"cache_read_input_tokens":7}}}}}}"#
        )
    }

    #[test]
    fn answers_count_each_message_once_with_its_last_usage() {
        let text = [
            answer("m1", "claude-x", 1, "[]"),
            answer("m1", "claude-x", 9, "[]"),
            r#"{"type":"user","message":{"content":"hi"}}"#.to_string(),
            answer("m2", "claude-x", 4, "[]"),
            answer("m3", "<synthetic>", 0, "[]"),
            "not json".to_string(),
        ]
        .join("\n");
        let got = answers(&text);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].output, 9, "the final usage of a streamed answer");
        assert_eq!(
            (got[0].input, got[0].cache_write, got[0].cache_read),
            (10, 3, 7)
        );
        assert_eq!(got[0].day, "2026-12-04");
        assert_eq!(got[1].message_id, "m2");
    }

    #[test]
    fn codex_usage_splits_cached_input_and_keeps_the_model_across_chunks() {
        let first = r#"{"timestamp":"2026-12-04T09:00:00Z","type":"turn_context","payload":{"model":"gpt-5-codex"}}
{"timestamp":"2026-12-04T09:00:01Z","type":"token_usage_record","payload":{"response_id":"r1","usage":{"input_tokens":1000,"cached_input_tokens":800,"cache_write_input_tokens":5,"output_tokens":30}}}
"#;
        let (a, model) = answers_in(Format::Codex, first, None);
        assert_eq!(a.len(), 1);
        assert_eq!(
            (a[0].input, a[0].cache_read, a[0].cache_write, a[0].output),
            (200, 800, 5, 30)
        );
        let next = r#"{"timestamp":"2026-12-04T09:00:02Z","type":"token_usage_record","payload":{"response_id":"r2","usage":{"input_tokens":10,"output_tokens":1}}}"#;
        let (b, _) = answers_in(Format::Codex, next, model.as_deref());
        assert_eq!(b[0].model, "gpt-5-codex");
    }

    #[test]
    fn gemini_usage_takes_a_messages_last_line_and_splits_cached_input() {
        let text = r#"{"sessionId":"s","kind":"main"}
{"id":"g1","timestamp":"2026-12-04T09:00:00Z","type":"gemini","content":"","tokens":{"input":100,"output":1,"cached":40,"thoughts":0},"model":"gemini-2.5-pro"}
{"$set":{"lastUpdated":"2026-12-04T09:00:01Z"}}
{"id":"g1","timestamp":"2026-12-04T09:00:02Z","type":"gemini","content":"done","tokens":{"input":100,"output":9,"cached":40,"thoughts":3},"model":"gemini-2.5-pro"}
{"id":"u2","timestamp":"2026-12-04T09:00:03Z","type":"user","content":[{"text":"tokens are fun"}]}
"#;
        let (a, _) = answers_in(Format::Gemini, text, None);
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].input, a[0].cache_read, a[0].output), (60, 40, 12));
    }

    #[test]
    fn a_summary_has_prompts_tools_files_and_last_words() {
        let text = [
            r#"{"type":"user","timestamp":"2026-12-04T10:00:00Z","sessionId":"s1","message":{"content":"fix the parser"}}"#.to_string(),
            answer(
                "m1",
                "c",
                1,
                r#"[{"type":"tool_use","name":"Read","input":{"file_path":"/w/a.rs"}},{"type":"tool_use","name":"Edit","input":{"file_path":"/w/b.rs"}}]"#,
            ),
            answer(
                "m2",
                "c",
                1,
                r#"[{"type":"tool_use","name":"Bash","input":{"command":"cargo test\nmore"}}]"#,
            ),
            r#"{"type":"user","isMeta":true,"message":{"content":"Stop hook feedback"}}"#.to_string(),
            answer("m3", "c", 1, r#"[{"type":"text","text":"All green."}]"#),
        ]
        .join("\n");
        let s = summarize(&text);
        assert_eq!(s.prompts, vec!["fix the parser"]);
        assert_eq!(s.answers, 3);
        assert_eq!(s.files_changed, vec!["/w/b.rs"]);
        assert_eq!(s.files_read, vec!["/w/a.rs"]);
        assert_eq!(s.tool_calls.len(), 3);
        assert_eq!(s.tool_calls[2].what, "cargo test…");
        assert_eq!(s.last_words.as_deref(), Some("All green."));
        assert_eq!(s.session_id.as_deref(), Some("s1"));
    }
}
