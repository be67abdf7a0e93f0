//! One worker process: its requests in flight, read by the callers waiting for them.
//!
//! Takes: the command to start, the module's name, the pool's settings. Gives: `request`, which
//! sends one request line and waits for its answer. The callers read the worker's output
//! themselves: whoever waits and finds the output free reads lines, handing each answer to its
//! caller, until its own arrives — so a call made alone gets its answer on its own thread, as a
//! direct pipe round trip would. A small task per worker only waits for the process to end.
//! Guarantees: every request ends — with its answer, or with the reason the worker was stopped
//! (it exited, wrote something that is not an answer, held a request past the timeout — before its
//! first answer, past the start-up allowance — or the runtime running it ended); answers to
//! requests whose caller stopped waiting are dropped; a stopped or dropped worker is killed and
//! reaped.

mod lines;

use super::StderrSink;
use crate::manifest::ProcessSpec;
pub use lines::Answer;
use lines::{Line, parse, read_line};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::{Notify, oneshot};
use tokio::time::Instant;

type Reply = Result<Answer, String>;

/// Requests in flight: where each answer goes, and when the request was sent.
type InFlight = HashMap<u64, (oneshot::Sender<Reply>, Instant)>;

/// The longest standard error line passed on; longer ones are cut.
const MAX_STDERR_LINE: usize = 16 << 10;

pub struct Worker {
    stdin: tokio::sync::Mutex<ChildStdin>,
    /// The worker's output and the part of a line read so far, held by the caller reading.
    output: tokio::sync::Mutex<(BufReader<ChildStdout>, Vec<u8>)>,
    /// Requests sent and not answered; `Err` once the worker is stopped, with why.
    pending: Mutex<Result<InFlight, String>>,
    /// Whether it has answered yet: until then its start-up counts too (`start_timeout`).
    answered: AtomicBool,
    limits: Limits,
    /// Tells the task owning the process to kill it; the task tells `exited` when it has ended.
    kill: Arc<Notify>,
    exited: Arc<Notify>,
}

struct Limits {
    timeout: Duration,
    /// Until its first answer, a worker is given until this instant at least.
    ready_by: Instant,
    start_timeout: Duration,
    max_line: usize,
}

impl Worker {
    /// Starts a worker of module `name`, and the tasks that wait for it to end and pass on its
    /// standard error.
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
            output: tokio::sync::Mutex::new((BufReader::new(stdout), Vec::new())),
            pending: Mutex::new(Ok(HashMap::new())),
            answered: AtomicBool::new(false),
            limits: Limits {
                timeout: spec.timeout,
                ready_by: Instant::now() + spec.start_timeout,
                start_timeout: spec.start_timeout,
                max_line: spec.max_line as usize,
            },
            kill: Arc::new(Notify::new()),
            exited: Arc::new(Notify::new()),
        });
        tokio::spawn(own(Arc::downgrade(&worker), child, worker.kill.clone(), worker.exited.clone()));
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

    /// Sends request `id` (a whole line) and waits for its answer, reading the worker's output
    /// whenever no other caller does.
    pub async fn request(&self, id: u64, line: Vec<u8>) -> Reply {
        let (tx, mut rx) = oneshot::channel();
        match &mut *self.pending.lock() {
            Ok(pending) => pending.insert(id, (tx, Instant::now())),
            Err(why) => return Err(why.clone()),
        };
        let written = {
            let mut stdin = self.stdin.lock().await;
            match stdin.write_all(&line).await {
                Ok(()) => stdin.flush().await,
                Err(e) => Err(e),
            }
        };
        if let Err(e) = written {
            self.stop(format!("the worker stopped reading its requests ({e})"));
        }
        // The answer, handed over by the caller reading; or the output, free for this caller to
        // read until its answer arrives.
        let mut output = tokio::select! {
            biased;
            reply = &mut rx => return reply.unwrap_or_else(|_| Err("the worker was stopped".to_string())),
            output = self.output.lock() => output,
        };
        loop {
            match rx.try_recv() {
                Ok(reply) => return reply,
                Err(oneshot::error::TryRecvError::Closed) => return Err("the worker was stopped".to_string()),
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            let (out, partial) = &mut *output;
            if let Err(why) = self.read_answer(out, partial).await {
                self.stop(why);
            }
        }
    }

    /// Reads one line of output and hands its answer to its caller; or why the worker must stop.
    async fn read_answer(&self, out: &mut BufReader<ChildStdout>, line: &mut Vec<u8>) -> Result<(), String> {
        let (deadline, starting) = self.deadline().ok_or("the worker was stopped")?;
        let read = tokio::time::timeout_at(deadline, read_line(out, line, self.limits.max_line)).await;
        let limits = &self.limits;
        match read {
            Err(_) if starting => Err(format!(
                "the worker gave no answer within {}ms of starting (start_timeout); it was stopped",
                limits.start_timeout.as_millis().max(limits.timeout.as_millis())
            )),
            Err(_) => Err(format!(
                "the worker held a request for {}ms without answering (timeout); it was stopped",
                limits.timeout.as_millis()
            )),
            Ok(Ok(Line::Complete)) => {
                let parsed = parse(line);
                line.clear();
                if let Some((id, answer)) = parsed? {
                    self.answer(id, answer);
                }
                Ok(())
            }
            Ok(Ok(Line::TooLong)) => {
                Err(format!("the worker wrote a line longer than {} bytes (max_body)", limits.max_line))
            }
            Ok(Ok(Line::End)) => {
                // The process is ending: its status, from the task that owns it, says how.
                let exited = self.exited.notified();
                tokio::pin!(exited);
                exited.as_mut().enable();
                if self.alive() {
                    let _ = tokio::time::timeout(Duration::from_secs(1), exited).await;
                }
                Err("the worker closed its standard output".to_string())
            }
            Ok(Err(e)) => Err(format!("cannot read the worker's answers: {e}")),
        }
    }

    /// When the oldest request in flight is overdue, and whether the worker is still starting.
    fn deadline(&self) -> Option<(Instant, bool)> {
        let starting = !self.answered.load(Ordering::Relaxed);
        let pending = self.pending.lock();
        let oldest = pending.as_ref().ok()?.values().map(|(_, sent)| *sent).min().unwrap_or_else(Instant::now);
        let due = oldest + self.limits.timeout;
        Some(if starting { (due.max(self.limits.ready_by), true) } else { (due, false) })
    }

    fn answer(&self, id: u64, answer: Answer) {
        self.answered.store(true, Ordering::Relaxed);
        let sender = self.pending.lock().as_mut().ok().and_then(|p| p.remove(&id));
        // Nobody waits for an answer whose caller gave up (a timeout): it is dropped.
        if let Some((tx, _)) = sender {
            let _ = tx.send(Ok(answer));
        }
    }

    /// Stops the worker: it takes no more requests, every request in flight fails with `why` (the
    /// first reason given wins), and its process is killed.
    fn stop(&self, why: String) {
        let pending = {
            let mut pending = self.pending.lock();
            match &*pending {
                Ok(_) => std::mem::replace(&mut *pending, Err(why.clone())),
                Err(_) => return,
            }
        };
        for (_, (tx, _)) in pending.into_iter().flatten() {
            let _ = tx.send(Err(why.clone()));
        }
        self.kill.notify_one();
    }
}

impl Drop for Worker {
    /// A worker no pool holds any more is killed.
    fn drop(&mut self) {
        self.kill.notify_one();
    }
}

/// Owns the process until it ends: by itself (then its requests fail with its exit status), or
/// killed. If the runtime running this task ends first, the worker is stopped with it.
async fn own(worker: Weak<Worker>, mut child: Child, kill: Arc<Notify>, exited: Arc<Notify>) {
    struct StopOnDrop(Weak<Worker>, Arc<Notify>);
    impl Drop for StopOnDrop {
        fn drop(&mut self) {
            if let Some(worker) = self.0.upgrade() {
                worker.stop("the worker's runtime ended".to_string());
            }
            self.1.notify_waiters();
        }
    }
    let _stop = StopOnDrop(worker.clone(), exited);
    tokio::select! {
        status = child.wait() => {
            if let Some(worker) = worker.upgrade() {
                worker.stop(match status {
                    Ok(status) => format!("the worker exited ({status})"),
                    Err(e) => format!("the worker is lost: {e}"),
                });
            }
        }
        () = kill.notified() => {
            let _ = child.start_kill();
            let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
        }
    }
}
