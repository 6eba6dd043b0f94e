//! Reading a bd issue file as a stream: blocks of whole lines are parsed on a second thread
//! while the caller writes the previous block, so a million-line file costs one block of
//! memory, not the whole file, and parsing overlaps the ledger's writes.

use super::LedgerError;
use super::jsonl::{self, ParsedIssue};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::mpsc::sync_channel;

/// Lines per block handed from the parser to the writer.
const BLOCK_LINES: usize = 4096;
/// Blocks parsed ahead of the writer (bounds memory: about this many blocks at once).
const BLOCKS_AHEAD: usize = 2;

type Block = Result<Vec<ParsedIssue>, LedgerError>;

/// Calls `each` with every issue of `file` in file order. The first error (a line that does
/// not parse, or one `each` refuses) ends the read and is returned with its line number.
pub fn for_each_issue<E: From<LedgerError>>(
    file: &Path,
    mut each: impl FnMut(&ParsedIssue) -> Result<(), E>,
) -> Result<usize, E> {
    let f = std::fs::File::open(file).map_err(|e| LedgerError::io(file, e))?;
    let (tx, rx) = sync_channel::<Block>(BLOCKS_AHEAD);
    // Written blocks go back to the parser to be freed there: memory freed by another
    // thread than the one that allocated it makes both wait on the allocator's lock.
    let (done_tx, done_rx) = std::sync::mpsc::channel::<Vec<ParsedIssue>>();
    std::thread::scope(|scope| -> Result<usize, E> {
        let parser = std::thread::Builder::new().name("import-parse".into());
        let spawned = parser.spawn_scoped(scope, move || {
            let mut reader = BufReader::with_capacity(1 << 20, f);
            let mut line_no = 0usize;
            loop {
                for written in done_rx.try_iter() {
                    drop(written);
                }
                let block = read_block(&mut reader, file, &mut line_no);
                let done = !matches!(&block, Ok(b) if !b.is_empty());
                // The writer has stopped (an error of its own): nothing more to do.
                if tx.send(block).is_err() || done {
                    return;
                }
            }
        });
        if let Err(e) = spawned {
            return Err(LedgerError::io(file, e).into());
        }
        let mut n = 0;
        for block in rx.iter() {
            let block = block?;
            if block.is_empty() {
                break;
            }
            for issue in &block {
                each(issue)?;
                n += 1;
            }
            // The parser may have finished; then the block is freed here.
            let _ = done_tx.send(block);
        }
        Ok(n)
    })
}

/// The next block of parsed issues (empty at the end of the file).
fn read_block(reader: &mut BufReader<std::fs::File>, file: &Path, line_no: &mut usize) -> Block {
    let mut out = Vec::with_capacity(BLOCK_LINES);
    let mut raw = Vec::with_capacity(1024);
    while out.len() < BLOCK_LINES {
        raw.clear();
        let n = reader
            .read_until(b'\n', &mut raw)
            .map_err(|e| LedgerError::io(file, e))?;
        if n == 0 {
            break;
        }
        *line_no += 1;
        if let Some(issue) = parse_line(&raw, file, *line_no)? {
            out.push(issue);
        }
    }
    Ok(out)
}

/// One issue line (None for a blank line), its dependencies and comments owned by it.
fn parse_line(raw: &[u8], file: &Path, line: usize) -> Result<Option<ParsedIssue>, LedgerError> {
    let fail = |message: String| LedgerError::Import {
        file: file.display().to_string(),
        line,
        message,
    };
    let text = std::str::from_utf8(raw)
        .map_err(|e| fail(format!("not UTF-8 text ({e})")))?
        .trim();
    if text.is_empty() {
        return Ok(None);
    }
    let value: Value = serde_json::from_str(text).map_err(|e| fail(format!("not JSON: {e}")))?;
    let Value::Object(obj) = value else {
        return Err(fail("an issue line must be a JSON object".into()));
    };
    let mut issue = jsonl::parse_issue(obj).map_err(fail)?;
    let id = &issue.bead.id;
    for d in issue.dependencies.iter_mut().flatten() {
        if d.issue_id.is_empty() {
            d.issue_id = id.clone();
        }
    }
    for c in issue.comments.iter_mut().flatten() {
        if c.issue_id.is_empty() {
            c.issue_id = id.clone();
        }
    }
    Ok(Some(issue))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_every_issue_in_order_and_names_the_bad_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("i.jsonl");
        let mut text = String::new();
        for i in 0..10_000 {
            text.push_str(&format!(
                "{{\"id\":\"t-{i}\",\"title\":\"n{i}\",\"status\":\"open\",\"created_at\":\"2026-01-01T00:00:00Z\",\"updated_at\":\"2026-01-01T00:00:00Z\"}}\n\n"
            ));
        }
        std::fs::write(&file, &text).expect("write");
        let mut seen = Vec::new();
        let n = for_each_issue::<LedgerError>(&file, |i| {
            seen.push(i.bead.id.clone());
            Ok(())
        })
        .expect("read");
        assert_eq!(n, 10_000);
        assert_eq!(seen.first().map(String::as_str), Some("t-0"));
        assert_eq!(seen.last().map(String::as_str), Some("t-9999"));
        text.push_str("{not json\n");
        std::fs::write(&file, &text).expect("write");
        let err = for_each_issue::<LedgerError>(&file, |_| Ok(())).expect_err("bad line");
        assert!(err.to_string().contains("20001"), "{err}");
    }
}
