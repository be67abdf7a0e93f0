//! The lines of a worker's output: read with a limit, and read as answers.
//!
//! Takes: a buffered pipe; one line of it. Gives: `read_line` (cancel-safe: what was read stays in
//! the caller's buffer), `parse` (`{"id":N,"ok":…}` or `{"id":N,"error":"…"}` as an id and an
//! `Answer`, or why the line is not one).

use serde_json::value::RawValue;
use std::collections::HashMap;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// What a worker answered.
#[derive(Debug)]
pub enum Answer {
    /// The JSON text of the value.
    Ok(String),
    Error(String),
}

pub enum Line {
    Complete,
    TooLong,
    End,
}

/// Reads up to the next newline into `line` (without it). Cancel-safe: what was read stays in
/// `line`, and the next call goes on from there.
pub async fn read_line(r: &mut (impl AsyncBufRead + Unpin), line: &mut Vec<u8>, max: usize) -> std::io::Result<Line> {
    loop {
        let buf = r.fill_buf().await?;
        if buf.is_empty() {
            return Ok(if line.is_empty() { Line::End } else { Line::Complete });
        }
        let (taken, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (buf.len(), false),
        };
        line.extend_from_slice(&buf[..taken.min(max.saturating_sub(line.len()) + 1)]);
        r.consume(if done { taken + 1 } else { taken });
        if line.len() > max {
            return Ok(Line::TooLong);
        }
        if done {
            return Ok(Line::Complete);
        }
    }
}

/// The request id and answer of a line; `None` for a blank line; else why it is not an answer.
pub fn parse(line: &[u8]) -> Result<Option<(u64, Answer)>, String> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let garbage = || {
        let text = String::from_utf8_lossy(&line[..line.len().min(120)]).into_owned();
        format!("the worker wrote a line that is not an answer: {text}")
    };
    let fields: HashMap<String, &RawValue> = serde_json::from_slice(line).map_err(|_| garbage())?;
    let id = fields.get("id").and_then(|id| id.get().parse::<u64>().ok()).ok_or_else(garbage)?;
    let answer = match (fields.get("ok"), fields.get("error")) {
        (Some(ok), None) => Answer::Ok(ok.get().to_string()),
        (None, Some(error)) => match serde_json::from_str::<String>(error.get()) {
            Ok(message) => Answer::Error(message),
            Err(_) => Answer::Error(error.get().to_string()),
        },
        _ => return Err(garbage()),
    };
    Ok(Some((id, answer)))
}
