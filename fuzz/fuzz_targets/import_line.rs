//! One line of a bd issues.jsonl, as the importer reads it: parsed or refused, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(serde_json::Value::Object(obj)) = serde_json::from_slice(data) {
        let _ = gt::ledger::jsonl::parse_issue(obj);
    }
});
