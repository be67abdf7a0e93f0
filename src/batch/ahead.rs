//! The reader thread of a batch: rows read and parsed ahead of the runs, through a bounded
//! channel; and the run of one row (`run` on this thread, `run_waiting` on the async runtime).
//!
//! Takes: the rows. Gives: chunks of them, a chunk sent when it holds `CHUNK` rows or when
//! the next row may have to wait for the source (so a slow trickle of rows through a pipe is never
//! held back; not sooner, since a chunk per row would cost the receiver a wake-up each); a failure
//! to read ends it, sent as the last item. Guarantees: at most `AHEAD` chunks wait unread, so the
//! reading stops while the receiver lags (backpressure); it ends when `each` says stop or the
//! receiver is gone.

use super::read::{self, Row};
use crate::{Outcome, Pipeline};
use std::time::{Duration, Instant};

/// Items sent at once: a chunk keeps the channel's cost off each row.
const CHUNK: usize = 256;
/// Chunks read ahead of the receiver.
pub const AHEAD: usize = 4;

pub type Chunks<T> = tokio::sync::mpsc::Receiver<Vec<Result<T, String>>>;

/// A row that was run (or could not be: its inputs could not be read), and how long its run took.
pub struct Done {
    pub row: Row,
    pub outcome: Option<Outcome>,
    pub took: Duration,
}

/// Runs `row` of a synchronous `pipeline` on this thread.
pub fn run(pipeline: &Pipeline, row: Row) -> Done {
    match &row.inputs {
        Err(_) => Done { row, outcome: None, took: Duration::ZERO },
        Ok(inputs) => {
            let t = Instant::now();
            let outcome = pipeline.run_blocking(inputs);
            Done { took: t.elapsed(), outcome: Some(outcome), row }
        }
    }
}

/// Runs `row` of a pipeline whose calls wait, on the async runtime.
pub async fn run_waiting(pipeline: Pipeline, row: Row) -> Done {
    let inputs = match &row.inputs {
        Ok(inputs) => inputs.clone(),
        Err(_) => return Done { row, outcome: None, took: Duration::ZERO },
    };
    let t = Instant::now();
    let outcome = pipeline.run(&inputs).await;
    Done { took: t.elapsed(), outcome: Some(outcome), row }
}

/// Starts the thread reading `rows`. Not joined: it stops at its next chunk once the receiver is
/// gone, which may be when a pipe it is blocked on gives it a line or ends.
pub fn spawn(rows: read::Rows) -> Chunks<Row> {
    let (tx, rx) = tokio::sync::mpsc::channel(AHEAD);
    std::thread::spawn(move || {
        let mut rows = rows;
        let mut chunk = Vec::with_capacity(CHUNK);
        let send = |chunk: &mut Vec<Result<Row, String>>| {
            let full = std::mem::replace(chunk, Vec::with_capacity(CHUNK));
            tx.blocking_send(full).is_ok()
        };
        while let Some(row) = rows.next() {
            let end = row.is_err();
            chunk.push(row);
            if end {
                break;
            }
            if (chunk.len() >= CHUNK || rows.drained()) && !send(&mut chunk) {
                return;
            }
        }
        if !chunk.is_empty() {
            send(&mut chunk);
        }
    });
    rx
}
