//! `asterism batch`: one pipeline over every row of a file, each row a run.
//!
//! Takes: a compiled pipeline, a reader of rows (NDJSON or CSV; a Parquet file is read as NDJSON
//! through `parquet::reader`), a writer for the outputs (NDJSON, CSV or Parquet), and
//! `Options`. Gives: the outputs of each completed run, in input order (or as they finish,
//! `ordered: false`), each failed row to `failed` (its number, input, errors and the outputs it
//! finished), and a `Summary`. Guarantees: rows stream — a thread reads and parses ahead in chunks
//! through a bounded channel, at most `concurrency` runs are in flight, and reading waits while
//! the runs or the writer lag, so memory stays bounded whatever the file's size; a bad row never
//! stops the batch unless `fail_fast`; once `Hooks::stop` is set no new row starts, and the runs in
//! flight finish and are written before the batch ends. A pipeline whose modules are all
//! synchronous runs its rows without the scheduler, a chunk at a time on the runtime's workers,
//! as many chunks at once as there are cores, while this one writes. Floors: `format`, `stats` → `read` → `parquet` → `ahead`, `write` → this face.

mod ahead;
mod format;
#[cfg(feature = "parquet")]
pub mod parquet;
mod read;
mod stats;
mod write;

pub use format::Format;
pub use read::{Row, Source};
pub use stats::Summary;
pub use write::failure as failure_json;

use crate::{Outcome, Pipeline, Status};
use ahead::{Chunks, Done};
use futures_util::StreamExt;
use futures_util::stream::{FuturesOrdered, FuturesUnordered};
use std::future::Future;
use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

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
    /// Rows done by an earlier, interrupted batch: read past without running them.
    pub skip: u64,
    /// The output already holds rows (resuming): no CSV header is written.
    pub append: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            input: Format::Ndjson,
            output: Format::Ndjson,
            concurrency: 64,
            ordered: true,
            fail_fast: false,
            skip: 0,
            append: false,
        }
    }
}

/// What a batch tells its caller as it goes, and how it is told to stop.
pub struct Hooks<'a> {
    /// Each failed row, with its run's outcome when it ran.
    pub failed: &'a mut (dyn FnMut(&Row, Option<&Outcome>) + Send),
    /// After each row, the summary so far (its `wall` not yet set).
    pub progress: &'a mut (dyn FnMut(&Summary) + Send),
    /// Once it holds `true` (a Ctrl-C handler sends it, say), no new row starts, even while
    /// the batch waits for input: the runs in flight finish and are written, and the batch ends
    /// `Interrupted`.
    pub stop: tokio::sync::watch::Receiver<bool>,
}

impl std::fmt::Debug for Hooks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks").field("stop", &*self.stop.borrow()).finish_non_exhaustive()
    }
}

/// Why a batch stopped before its last row.
#[derive(Debug)]
pub enum Stopped {
    /// Told to stop: the rows before were all settled and written.
    Interrupted,
    /// The input could not be read (its header, or the file itself): the rows before it were run.
    Input(String),
    /// The output could not be written.
    Output(std::io::Error),
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stopped::Interrupted => f.write_str("interrupted"),
            Stopped::Input(why) => f.write_str(why),
            Stopped::Output(e) => write!(f, "cannot write the output: {e}"),
        }
    }
}

/// Runs `pipeline` over the rows of `input`, writing outputs to `output` and telling `hooks` of
/// each failed row and the progress. The summary, and why the batch stopped early, if it did.
pub async fn run(
    pipeline: &Pipeline,
    input: Box<dyn Read + Send>,
    output: Box<dyn Write + Send>,
    hooks: Hooks<'_>,
    options: &Options,
) -> (Summary, Option<Stopped>) {
    let start = Instant::now();
    let mut batch = Batch { pipeline, out: None, hooks, summary: Summary::new(), line: String::new(), options };
    let stopped = match read::rows(pipeline, input, options.input, options.skip) {
        Err(why) => Some(Stopped::Input(why)),
        Ok(rows) => match write::Out::new(pipeline, output, options.output, !options.append) {
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

struct Batch<'a, 'h> {
    pipeline: &'a Pipeline,
    out: Option<write::Out>,
    hooks: Hooks<'h>,
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

impl Batch<'_, '_> {
    async fn all(&mut self, rows: read::Rows) -> Option<Stopped> {
        let mut rx = ahead::spawn(rows);
        match (self.pipeline.plan.is_sync(), self.options.ordered) {
            (true, _) => self.in_chunks(&mut rx).await,
            (false, true) => self.concurrent(&mut rx, FuturesOrdered::new()).await,
            (false, false) => self.concurrent(&mut rx, FuturesUnordered::new()).await,
        }
    }

    /// The next chunk; none at the end of the input or once told to stop.
    async fn chunk<T>(&mut self, rx: &mut Chunks<T>) -> Chunk<T> {
        let stop = &mut self.hooks.stop;
        // A closed channel (its sender gone) never says stop.
        let told = async {
            if stop.wait_for(|stop| *stop).await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            biased;
            () = told => Chunk::Stop,
            chunk = rx.recv() => chunk.map_or(Chunk::End, Chunk::Rows),
        }
    }

    /// A synchronous pipeline: each chunk of rows run as a task of the runtime, as many chunks at
    /// once as the machine has cores, settled in input order. Told to stop, the chunks
    /// running finish and are settled; halting (`fail_fast`) runs no further row.
    async fn in_chunks(&mut self, rx: &mut Chunks<Row>) -> Option<Stopped> {
        let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
        let halt = Arc::new(AtomicBool::new(false));
        let mut running = FuturesOrdered::new();
        let mut ended = None;
        let mut reading = true;
        loop {
            if reading && running.len() < parallel {
                match self.chunk(rx).await {
                    Chunk::Rows(rows) => {
                        let (pipeline, halt) = (self.pipeline.clone(), halt.clone());
                        // A task of the runtime, not a blocking thread: its workers are as many
                        // as the cores, and a chunk is short (256 runs of microseconds).
                        running.push_back(tokio::spawn(async move {
                            let go = |row: &Result<Row, String>| row.is_err() || !halt.load(Ordering::Relaxed);
                            let rows = rows.into_iter().take_while(go);
                            rows.map(|row| row.map(|row| ahead::run(&pipeline, row))).collect::<Vec<_>>()
                        }));
                    }
                    Chunk::End => reading = false,
                    Chunk::Stop => (reading, ended) = (false, Some(Stopped::Interrupted)),
                }
                continue;
            }
            let Some(chunk) = running.next().await else { return ended };
            let Ok(chunk) = chunk else { return Some(Stopped::Input("a batch thread panicked".to_string())) };
            for done in chunk {
                let done = match done {
                    Ok(done) => done,
                    Err(why) => return Some(Stopped::Input(why)),
                };
                match self.settle(done) {
                    Next::Go => {}
                    Next::Halt => {
                        halt.store(true, Ordering::Relaxed);
                        return None;
                    }
                    Next::Stop(stopped) => return Some(stopped),
                }
            }
        }
    }

    /// Runs that wait: up to `concurrency` in flight, settled in `queue`'s order.
    async fn concurrent<Q>(&mut self, rx: &mut Chunks<Row>, mut queue: Q) -> Option<Stopped>
    where
        Q: Queue + futures_util::Stream<Item = Done> + Unpin,
    {
        let limit = self.options.concurrency.max(1);
        let pipeline = self.pipeline.clone();
        let mut ended = None;
        'reading: loop {
            let chunk = match self.chunk(rx).await {
                Chunk::Rows(rows) => rows,
                Chunk::End => break,
                Chunk::Stop => {
                    ended = Some(Stopped::Interrupted);
                    break;
                }
            };
            for row in chunk {
                if *self.hooks.stop.borrow() {
                    ended = Some(Stopped::Interrupted);
                    break 'reading;
                }
                let row = match row {
                    Ok(row) => row,
                    Err(why) => {
                        ended = Some(Stopped::Input(why));
                        break 'reading;
                    }
                };
                queue.add(Box::pin(ahead::run_waiting(pipeline.clone(), row)));
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
        // The runs in flight finish and are written, whatever ended the reading.
        while let Some(done) = queue.next().await {
            match self.settle(done) {
                Next::Go => {}
                Next::Halt => return None,
                Next::Stop(stopped) => return Some(stopped),
            }
        }
        ended
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
            (self.hooks.failed)(&done.row, done.outcome.as_ref());
            (self.hooks.progress)(&self.summary);
            return if self.options.fail_fast { Next::Halt } else { Next::Go };
        }
        self.summary.completed += 1;
        (self.hooks.progress)(&self.summary);
        let (Some(out), Some(outcome)) = (self.out.as_mut(), done.outcome.as_ref()) else { return Next::Go };
        match out.write(self.pipeline, outcome, &mut self.line) {
            Ok(()) => Next::Go,
            Err(e) => Next::Stop(Stopped::Output(e)),
        }
    }
}

/// What the reader gave next.
enum Chunk<T> {
    Rows(Vec<Result<T, String>>),
    End,
    Stop,
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
