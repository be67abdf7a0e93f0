//! `asterism batch`: one pipeline over every row of a file, each row a run.
//!
//! Takes: a compiled pipeline, a reader of rows (NDJSON or CSV), a writer for the outputs, and
//! `Options`. Gives: the outputs of each completed run, in input order (or as they finish,
//! `ordered: false`), each failed row to `failed` (its number, input, errors and the outputs it
//! finished), and a `Summary`. Guarantees: rows stream — a thread reads and parses ahead in chunks
//! through a bounded channel, at most `concurrency` runs are in flight, and reading waits while
//! the runs or the writer lag, so memory stays bounded whatever the file's size; a bad row never
//! stops the batch unless `fail_fast`; a pipeline whose modules are all synchronous runs each row
//! in place, without the scheduler. Floors: `format`, `stats` → `read` → `write` → this face.

mod format;
mod read;
mod stats;
mod write;

pub use format::Format;
pub use read::{Row, Source};
pub use stats::Summary;
pub use write::failure as failure_json;

use crate::{Outcome, Pipeline, Status};
use futures_util::StreamExt;
use futures_util::stream::{FuturesOrdered, FuturesUnordered};
use std::future::Future;
use std::io::{BufRead, Write};
use std::time::{Duration, Instant};

/// How a batch runs.
#[derive(Clone, Debug)]
pub struct Options {
    pub input: Format,
    pub output: Format,
    /// The most runs in flight at once (for pipelines whose modules wait: model calls).
    pub concurrency: usize,
    /// Outputs in input order (else as runs finish).
    pub ordered: bool,
    /// Stop at the first failed row (the runs still in flight are abandoned).
    pub fail_fast: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options { input: Format::Ndjson, output: Format::Ndjson, concurrency: 64, ordered: true, fail_fast: false }
    }
}

/// Why a batch stopped before its last row.
#[derive(Debug)]
pub enum Stopped {
    /// The input could not be read (its header, or the file itself): the rows before it were run.
    Input(String),
    /// The output could not be written.
    Output(std::io::Error),
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stopped::Input(why) => f.write_str(why),
            Stopped::Output(e) => write!(f, "cannot write the output: {e}"),
        }
    }
}

/// Rows sent to the runs at once: reading a chunk ahead keeps the channel's cost off each row.
const CHUNK: usize = 256;
/// Chunks read ahead of the runs.
const AHEAD: usize = 4;

/// A row run (or not: its inputs could not be read), and how long its run took.
struct Done {
    row: Row,
    outcome: Option<Outcome>,
    took: Duration,
}

/// Runs `pipeline` over the rows of `input`, writing outputs to `output` and giving each failed
/// row to `failed`. The summary, or why the batch stopped (with the summary of what ran).
pub async fn run(
    pipeline: &Pipeline,
    input: Box<dyn BufRead + Send>,
    output: Box<dyn Write + Send>,
    failed: &mut (dyn FnMut(&Row, Option<&Outcome>) + Send),
    options: &Options,
) -> (Summary, Option<Stopped>) {
    let start = Instant::now();
    let mut batch = Batch { pipeline, out: None, failed, summary: Summary::new(), line: String::new(), options };
    let stopped = match read::rows(pipeline, input, options.input) {
        Err(why) => Some(Stopped::Input(why)),
        Ok(rows) => match write::Out::new(pipeline, output, options.output) {
            Err(e) => Some(Stopped::Output(e)),
            Ok(out) => {
                batch.out = Some(out);
                let stopped = batch.all(rows).await;
                let flushed = batch.out.as_mut().map_or(Ok(()), write::Out::flush);
                stopped.or(flushed.err().map(Stopped::Output))
            }
        },
    };
    batch.summary.wall = start.elapsed();
    (batch.summary, stopped)
}

struct Batch<'a> {
    pipeline: &'a Pipeline,
    out: Option<write::Out>,
    failed: &'a mut (dyn FnMut(&Row, Option<&Outcome>) + Send),
    summary: Summary,
    line: String,
    options: &'a Options,
}

/// What the batch does after a row.
enum Next {
    Go,
    /// The first failure under `fail_fast`.
    Halt,
    Stop(Stopped),
}

impl Batch<'_> {
    async fn all(&mut self, rows: read::Rows) -> Option<Stopped> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Result<Row, String>>>(AHEAD);
        let reader = std::thread::spawn(move || read_ahead(rows, tx));
        let stopped = match self.pipeline.plan.is_sync() {
            true => self.in_place(&mut rx).await,
            false if self.options.ordered => self.concurrent(&mut rx, FuturesOrdered::new()).await,
            false => self.concurrent(&mut rx, FuturesUnordered::new()).await,
        };
        // The reader stops at its next chunk once the channel is gone.
        drop(rx);
        let _ = reader.join();
        stopped
    }

    /// A synchronous pipeline: each row run where it is read.
    async fn in_place(&mut self, rx: &mut tokio::sync::mpsc::Receiver<Vec<Result<Row, String>>>) -> Option<Stopped> {
        while let Some(chunk) = rx.recv().await {
            for row in chunk {
                let row = match row {
                    Ok(row) => row,
                    Err(why) => return Some(Stopped::Input(why)),
                };
                let done = match &row.inputs {
                    Err(_) => Done { row, outcome: None, took: Duration::ZERO },
                    Ok(inputs) => {
                        let t = Instant::now();
                        let outcome = self.pipeline.run_blocking(inputs);
                        Done { took: t.elapsed(), outcome: Some(outcome), row }
                    }
                };
                match self.settle(done) {
                    Next::Go => {}
                    Next::Halt => return None,
                    Next::Stop(stopped) => return Some(stopped),
                }
            }
        }
        None
    }

    /// Runs that wait: up to `concurrency` in flight, settled in `queue`'s order.
    async fn concurrent<Q>(
        &mut self,
        rx: &mut tokio::sync::mpsc::Receiver<Vec<Result<Row, String>>>,
        mut queue: Q,
    ) -> Option<Stopped>
    where
        Q: Queue + futures_util::Stream<Item = Done> + Unpin,
    {
        let limit = self.options.concurrency.max(1);
        let pipeline = self.pipeline.clone();
        while let Some(chunk) = rx.recv().await {
            for row in chunk {
                let row = match row {
                    Ok(row) => row,
                    Err(why) => return Some(Stopped::Input(why)),
                };
                queue.add(Box::pin(execute(pipeline.clone(), row)));
                while queue.size() >= limit {
                    let Some(done) = queue.next().await else { break };
                    match self.settle(done) {
                        Next::Go => {}
                        Next::Halt => return None,
                        Next::Stop(stopped) => return Some(stopped),
                    }
                }
            }
        }
        while let Some(done) = queue.next().await {
            match self.settle(done) {
                Next::Go => {}
                Next::Halt => return None,
                Next::Stop(stopped) => return Some(stopped),
            }
        }
        None
    }

    /// Counts a row, writes its outputs or gives it to `failed`.
    fn settle(&mut self, done: Done) -> Next {
        self.summary.rows += 1;
        let completed = done.outcome.as_ref().is_some_and(|o| o.status() == Status::Completed);
        if done.outcome.is_some() {
            self.summary.ran(done.took);
        }
        if !completed {
            self.summary.failed += 1;
            (self.failed)(&done.row, done.outcome.as_ref());
            return if self.options.fail_fast { Next::Halt } else { Next::Go };
        }
        self.summary.completed += 1;
        let (Some(out), Some(outcome)) = (self.out.as_mut(), done.outcome.as_ref()) else { return Next::Go };
        match out.write(self.pipeline, outcome, &mut self.line) {
            Ok(()) => Next::Go,
            Err(e) => Next::Stop(Stopped::Output(e)),
        }
    }
}

async fn execute(pipeline: Pipeline, row: Row) -> Done {
    let inputs = match &row.inputs {
        Ok(inputs) => inputs.clone(),
        Err(_) => return Done { row, outcome: None, took: Duration::ZERO },
    };
    let t = Instant::now();
    let outcome = pipeline.run(&inputs).await;
    Done { took: t.elapsed(), outcome: Some(outcome), row }
}

/// A row's run in flight.
type Run = std::pin::Pin<Box<dyn Future<Output = Done> + Send>>;

/// The runs in flight, in the order they are settled.
trait Queue {
    fn add(&mut self, run: Run);
    fn size(&self) -> usize;
}

impl Queue for FuturesOrdered<Run> {
    fn add(&mut self, run: Run) {
        self.push_back(run);
    }

    fn size(&self) -> usize {
        self.len()
    }
}

impl Queue for FuturesUnordered<Run> {
    fn add(&mut self, run: Run) {
        self.push(run);
    }

    fn size(&self) -> usize {
        self.len()
    }
}

/// The reader thread: rows in chunks, a chunk sent as soon as the runs wait for one (so a slow
/// trickle of rows is not held back) and at the latest when it holds `CHUNK` rows; a failure to
/// read ends it.
fn read_ahead(rows: read::Rows, tx: tokio::sync::mpsc::Sender<Vec<Result<Row, String>>>) {
    let mut chunk = Vec::with_capacity(CHUNK);
    for row in rows {
        let end = row.is_err();
        chunk.push(row);
        let idle = tx.capacity() == tx.max_capacity();
        if end || chunk.len() >= CHUNK || idle {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
            if tx.blocking_send(full).is_err() || end {
                return;
            }
        }
    }
    if !chunk.is_empty() {
        let _ = tx.blocking_send(chunk);
    }
}
