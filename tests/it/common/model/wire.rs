//! Pieces every vendor format shares.

use serde_json::Value;

#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Usage {
    pub input: u64,
    pub output: u64,
    /// Prompt tokens read from the cache.
    pub cached: u64,
    /// Prompt tokens written to the cache (Anthropic reports them).
    pub cache_write: u64,
}

/// One server-sent event (`event:` line only when named).
pub fn sse(event: Option<&str>, data: &Value) -> Vec<u8> {
    let mut s = String::new();
    if let Some(e) = event {
        s.push_str("event: ");
        s.push_str(e);
        s.push('\n');
    }
    s.push_str("data: ");
    s.push_str(&data.to_string());
    s.push_str("\n\n");
    s.into_bytes()
}
