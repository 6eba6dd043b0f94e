//! What the scripted model says: a polecat's job (prime, commit, done) for a beacon, a quote
//! of any later user turn, and whatever a side call needs.

use super::conversation::{Parsed, Tool};
use serde_json::{Value, json};

/// One answer of the model.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Text(String),
    /// A call of the agent's shell tool (or another tool) with these arguments.
    Call {
        name: String,
        args: Value,
    },
}

/// The shell commands of a polecat's job, one per turn, after the beacon.
pub fn job_steps() -> Vec<String> {
    vec![
        "gt prime".to_string(),
        "echo \"work of $GT_AGENT\" >> WORK.md && git add WORK.md && git commit -q -m 'Do the hooked work' && echo COMMITTED".to_string(),
        "gt done".to_string(),
    ]
}

/// Texts the CLIs add to a user turn on their own (context, reminders); never quoted back.
pub fn is_cli_context(text: &str) -> bool {
    let t = text.trim_start();
    [
        "<system-reminder>",
        "<environment_context>",
        "<user_instructions>",
        "<permissions instructions>",
        "# AGENTS.md instructions",
        "<INSTRUCTIONS>",
        "This is the Gemini CLI",
        "<session_context>",
    ]
    .iter()
    .any(|p| t.starts_with(p))
}

/// The model's answer to a main conversation request.
pub fn decide(req: &Parsed, steps: &[String]) -> Reply {
    let turn = req.last_user_turn();
    // Told to go on after an emergency stop, an AI takes up its hooked work again.
    let beacon = turn
        .iter()
        .any(|t| t.contains("[GAS TOWN]") || t.contains("Go on with the work on your hook"));
    if beacon && steps.is_empty() {
        return Reply::Text("Noted; I will wait before starting.".into());
    }
    if beacon {
        let done = req.results_since_user();
        if let Some(cmd) = steps.get(done) {
            if let Some(call) = shell_call(&req.tools, cmd) {
                return call;
            }
            return Reply::Text(format!("I have no shell tool to run `{cmd}` with."));
        }
        return Reply::Text("Finished: primed, committed and ran gt done.".into());
    }
    if req.results_since_user() > 0 {
        return Reply::Text("Done.".into());
    }
    let quoted = turn
        .iter()
        .rev()
        .find(|t| !is_cli_context(t))
        .copied()
        .unwrap_or("");
    Reply::Text(format!("ECHO: {}", short(quoted)))
}

/// A long quote is cut: echoing a long repetitive text makes some CLIs suspect a loop.
fn short(text: &str) -> String {
    let head: String = text.chars().take(80).collect();
    if head.len() < text.len() {
        format!("{head}… [{} chars]", text.chars().count())
    } else {
        head
    }
}

/// Tool names the CLIs give their shell, best first.
const SHELL_TOOLS: &[&str] = &[
    "Bash",
    "bash",
    "shell",
    "shell_command",
    "exec_command",
    "run_shell_command",
    "local_shell",
];

/// A call of the agent's shell tool running `cmd`, its arguments shaped by the tool's schema.
pub fn shell_call(tools: &[Tool], cmd: &str) -> Option<Reply> {
    let tool = SHELL_TOOLS
        .iter()
        .find_map(|n| tools.iter().find(|t| t.name == *n))?;
    let props = tool.schema.get("properties").cloned().unwrap_or(json!({}));
    let required: Vec<String> = tool
        .schema
        .get("required")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut args = serde_json::Map::new();
    let command_key = ["command", "cmd"]
        .into_iter()
        .find(|k| props.get(*k).is_some())
        .unwrap_or("command");
    let is_array = props
        .get(command_key)
        .and_then(|p| p.get("type"))
        .is_some_and(|t| t == "array");
    args.insert(
        command_key.to_string(),
        if is_array {
            json!(["bash", "-c", cmd])
        } else {
            json!(cmd)
        },
    );
    for k in &required {
        if args.contains_key(k) {
            continue;
        }
        let ty = props
            .get(k)
            .and_then(|p| p.get("type"))
            .and_then(Value::as_str);
        let v = match ty {
            Some("number") | Some("integer") => json!(60000),
            Some("boolean") => json!(false),
            _ => json!(format!("step of the scripted job: {cmd}")),
        };
        args.insert(k.clone(), v);
    }
    Some(Reply::Call {
        name: tool.name.clone(),
        args: Value::Object(args),
    })
}

/// A side call's answer: valid JSON for a schema if one was asked for, else a short text.
pub fn side_reply(req: &Parsed) -> Reply {
    match &req.json_schema {
        Some(schema) => Reply::Text(sample_for(schema).to_string()),
        None => Reply::Text("Scripted side answer".into()),
    }
}

/// A value that fits `schema` (enough for the classifiers the CLIs ask for).
pub fn sample_for(schema: &Value) -> Value {
    match schema
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("object") => {
            let mut m = serde_json::Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, p) in props {
                    m.insert(k.clone(), sample_for(p));
                }
            }
            Value::Object(m)
        }
        Some("array") => json!([]),
        Some("number") | Some("integer") => json!(0),
        Some("boolean") => json!(false),
        _ => match schema.get("enum").and_then(Value::as_array) {
            // "user" is the safe answer to "who speaks next?".
            Some(options) => options
                .iter()
                .find(|o| o.as_str() == Some("user"))
                .or_else(|| options.first())
                .cloned()
                .unwrap_or(json!("")),
            None => json!("scripted"),
        },
    }
}

/// A short summary of a reply for the log.
pub fn describe(r: &Reply) -> String {
    match r {
        Reply::Text(t) => format!("text: {t}"),
        Reply::Call { name, args } => format!("call {name}: {args}"),
    }
}

impl Reply {
    pub fn text_len(&self) -> usize {
        match self {
            Reply::Text(t) => t.len(),
            Reply::Call { args, .. } => args.to_string().len(),
        }
    }
}
