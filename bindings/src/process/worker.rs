//! One worker process: its requests in flight, and the task that reads its answers and watches it.
//!
//! Takes: the command to start, the module's name, the pool's settings. Gives: `request`, which
//! sends one request line and waits for its answer. Guarantees: every request ends — with its
//! answer, or with the reason the worker was stopped (it exited, wrote something that is not an
//! answer, held a request past the timeout — or, before its first answer, past the start-up
//! allowance — or the runtime running it ended); answers to requests
//! whose caller stopped waiting are dropped; a stopped worker is killed and reaped.

use super::StderrSink;
use crate::manifest::ProcessSpec;
use parking_lot::Mutex;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::{Notify, oneshot};
use tokio::time::Instant;

/// What a worker answered.
pub enum Answer {
    /// The JSON text of the value.
    Ok(String),
    Error(String),
}

type Reply = Result<Answer, String>;

/// Requests in flight: where each answer goes, and when the request was sent.
type InFlight = HashMap<u64, (oneshot::Sender<Reply>, Instant)>;

/// The longest standard error line passed on; longer ones are cut.
const MAX_STDERR_LINE: usize = 16 << 10;

pub struct Worker {
    stdin: tokio::sync::Mutex<ChildStdin>,
    /// Requests sent and not answered, with when they were sent; `Err` once the worker is
    /// stopped, with why.
    pending: Mutex<Result<InFlight, String>>,
    /// Wakes the watcher: a request was sent (a new deadline), or the worker must stop.
    wake: Notify,
    /// Why the worker must stop, set by a caller (it could not write to it).
    stop: Mutex<Option<String>>,
    /// Whether it has answered yet: until then its start-up counts too (`start_timeout`).
    answered: AtomicBool,
}

impl Worker {
    /// Starts a worker of module `name` and the tasks that watch it.
    pub fn start(name: &str, spec: &ProcessSpec, stderr: &StderrSink) -> Result<Arc<Worker>, String> {
        let (program, args) = spec.command.split_first().ok_or("an empty command")?;
        // A program written as a relative path is the manifest folder's; a bare name is looked
        // up on PATH.
        let program = match Path::new(program).components().count() > 1 && Path::new(program).is_relative() {
            true => spec.dir.join(program),
            false => program.into(),
        };
        let mut command = Command::new(&program);
        command.args(args).envs(spec.env.iter().map(|(k, v)| (k, v))).stdin(Stdio::piped());
        command.stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
        if !spec.dir.as_os_str().is_empty() {
            command.current_dir(&spec.dir);
        }
        let shown = spec.command.join(" ");
        let mut child = command.spawn().map_err(|e| format!("cannot start worker '{shown}': {e}"))?;
        let (Some(stdin), Some(stdout), Some(err)) = (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(format!("cannot start worker '{shown}': its pipes were not opened"));
        };
        let worker = Arc::new(Worker {
            stdin: tokio::sync::Mutex::new(stdin),
            pending: Mutex::new(Ok(HashMap::new())),
            wake: Notify::new(),
            stop: Mutex::new(None),
            answered: AtomicBool::new(false),
        });
        let limits = Watch {
            timeout: spec.timeout,
            ready_by: Instant::now() + spec.start_timeout,
            start_timeout: spec.start_timeout,
            max_line: spec.max_line as usize,
        };
        tokio::spawn(watch(worker.clone(), child, BufReader::new(stdout), limits));
        let (name, sink) = (name.to_string(), stderr.clone());
        tokio::spawn(async move {
            let mut err = BufReader::new(err);
            let mut line = Vec::new();
            while let Ok(Line::Complete | Line::TooLong) = read_line(&mut err, &mut line, MAX_STDERR_LINE).await {
                sink(&name, String::from_utf8_lossy(&line).trim_end());
                line.clear();
            }
        });
        Ok(worker)
    }

    pub fn alive(&self) -> bool {
        self.pending.lock().is_ok()
    }

    /// Requests in flight.
    pub fn load(&self) -> usize {
        self.pending.lock().as_ref().map_or(usize::MAX, HashMap::len)
    }

    /// Sends request `id` (a whole line) and waits for its answer.
    pub async fn request(&self, id: u64, line: Vec<u8>) -> Reply {
        let (tx, rx) = oneshot::channel();
        match &mut *self.pending.lock() {
            Ok(pending) => pending.insert(id, (tx, Instant::now())),
            Err(why) => return Err(why.clone()),
        };
        self.wake.notify_one();
        let written = {
            let mut stdin = self.stdin.lock().await;
            match stdin.write_all(&line).await {
                Ok(()) => stdin.flush().await,
                Err(e) => Err(e),
            }
        };
        if let Err(e) = written {
            *self.stop.lock() = Some(format!("the worker stopped reading its requests ({e})"));
            self.wake.notify_one();
        }
        rx.await.unwrap_or_else(|_| Err("the worker was stopped".to_string()))
    }

    /// The oldest request in flight was sent at.
    fn oldest(&self) -> Option<Instant> {
        self.pending.lock().as_ref().ok()?.values().map(|(_, sent)| *sent).min()
    }

    /// Stops taking requests; every request in flight fails with `why`.
    fn stopped(&self, why: String) {
        let pending = std::mem::replace(&mut *self.pending.lock(), Err(why.clone()));
        for (_, (tx, _)) in pending.into_iter().flatten() {
            let _ = tx.send(Err(why.clone()));
        }
    }

    fn answer(&self, id: u64, answer: Answer) {
        self.answered.store(true, Ordering::Relaxed);
        let sender = self.pending.lock().as_mut().ok().and_then(|p| p.remove(&id));
        // Nobody waits for an answer whose caller gave up (a timeout): it is dropped.
        if let Some((tx, _)) = sender {
            let _ = tx.send(Ok(answer));
        }
    }
}

struct Watch {
    timeout: Duration,
    /// Until its first answer, a worker is given until this instant at least.
    ready_by: Instant,
    start_timeout: Duration,
    max_line: usize,
}

/// Fails the worker's requests if the watcher ends without saying why: its runtime shut down.
struct StopOnDrop(Arc<Worker>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if self.0.alive() {
            self.0.stopped("the worker's runtime ended".to_string());
        }
    }
}

/// Reads the worker's answers and watches its deadlines until it must stop; then stops it.
async fn watch(worker: Arc<Worker>, mut child: Child, mut out: BufReader<ChildStdout>, limits: Watch) {
    let guard = StopOnDrop(worker.clone());
    let mut line = Vec::new();
    let why = loop {
        if let Some(why) = worker.stop.lock().take() {
            break why;
        }
        let starting = !worker.answered.load(Ordering::Relaxed);
        let deadline = worker.oldest().map(|sent| match starting {
            true => (sent + limits.timeout).max(limits.ready_by),
            false => sent + limits.timeout,
        });
        let read = read_line(&mut out, &mut line, limits.max_line);
        let read = tokio::select! {
            read = read => read,
            () = worker.wake.notified() => continue,
            () = sleep_until(deadline) => break match starting {
                true => format!(
                    "the worker gave no answer within {}ms of starting (start_timeout); it was stopped",
                    limits.start_timeout.as_millis().max(limits.timeout.as_millis())
                ),
                false => format!(
                    "the worker held a request for {}ms without answering (timeout); it was stopped",
                    limits.timeout.as_millis()
                ),
            },
        };
        match read {
            Ok(Line::Complete) => {
                if let Err(why) = answer(&worker, &line) {
                    break why;
                }
                line.clear();
            }
            Ok(Line::TooLong) => {
                break format!("the worker wrote a line longer than {} bytes (max_body)", limits.max_line);
            }
            Ok(Line::End) => {
                let status = tokio::time::timeout(Duration::from_secs(1), child.wait()).await;
                break match status {
                    Ok(Ok(status)) => format!("the worker exited ({status})"),
                    _ => "the worker closed its standard output".to_string(),
                };
            }
            Err(e) => break format!("cannot read the worker's answers: {e}"),
        }
    };
    worker.stopped(why);
    drop(guard);
    let _ = child.start_kill();
    let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Takes one answer line; a line that is not an answer stops the worker.
fn answer(worker: &Worker, line: &[u8]) -> Result<(), String> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
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
    worker.answer(id, answer);
    Ok(())
}

enum Line {
    Complete,
    TooLong,
    End,
}

/// Reads up to the next newline into `line` (without it). Cancel-safe: what was read stays in
/// `line`, and the next call goes on from there.
async fn read_line(r: &mut (impl AsyncBufRead + Unpin), line: &mut Vec<u8>, max: usize) -> std::io::Result<Line> {
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
