//! What every vendor API's request comes down to: the conversation so far and the tools the
//! agent offers. The script decides on this, whatever the wire format.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// One text part of a user turn (a turn may have several).
    User(String),
    Assistant(String),
    Call {
        name: String,
        args: Value,
    },
    /// A tool's output, as the agent sent it back.
    Result(String),
}

#[derive(Debug, Clone)]
pub struct Tool {
    pub name: String,
    /// The JSON schema of its arguments.
    pub schema: Value,
}

/// A model request, read.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub model: String,
    pub stream: bool,
    pub items: Vec<Item>,
    pub tools: Vec<Tool>,
    /// Not the agent's conversation: a title, a summary, a classifier the CLI runs aside.
    pub side: bool,
    /// The reply must be JSON (a side call asking for structured output).
    pub json_schema: Option<Value>,
}

impl Parsed {
    /// The user turn the model is answering: the text parts after the last non-user item.
    pub fn last_user_turn(&self) -> Vec<&str> {
        let end = self.items.iter().rposition(|i| matches!(i, Item::User(_)));
        let Some(end) = end else { return Vec::new() };
        let start = self.items[..=end]
            .iter()
            .rposition(|i| !matches!(i, Item::User(_)))
            .map_or(0, |i| i + 1);
        self.items[start..=end]
            .iter()
            .filter_map(|i| match i {
                Item::User(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Tool results after the last user text: how far into a job the agent is.
    pub fn results_since_user(&self) -> usize {
        let start = self
            .items
            .iter()
            .rposition(|i| matches!(i, Item::User(_)))
            .map_or(0, |i| i + 1);
        self.items[start..]
            .iter()
            .filter(|i| matches!(i, Item::Result(_)))
            .count()
    }

    /// Every user text part, in order.
    pub fn user_texts(&self) -> Vec<String> {
        self.items
            .iter()
            .filter_map(|i| match i {
                Item::User(t) => Some(t.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn tool_results(&self) -> Vec<String> {
        self.items
            .iter()
            .filter_map(|i| match i {
                Item::Result(t) => Some(t.clone()),
                _ => None,
            })
            .collect()
    }
}

/// Text of a value that is either a string or a list of parts with `text` fields.
pub fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .map(|p| match p {
                Value::String(s) => s.clone(),
                other => other
                    .get("text")
                    .or_else(|| other.get("output"))
                    .map(text_of)
                    .unwrap_or_default(),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Object(_) => v
            .get("text")
            .or_else(|| v.get("output"))
            .or_else(|| v.get("content"))
            .map(text_of)
            .unwrap_or_else(|| v.to_string()),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
