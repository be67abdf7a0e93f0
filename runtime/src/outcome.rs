//! What a run gives back (SPEC §7.3–§7.4): the outputs that produced a value, in output order, and
//! one entry per root failure, ordered by source position; plus the events of a streamed run.
//! The ground floor of the runtime: it imports nothing of the crate.

use asterism_registry::value::Value;

/// Where a node's expression is in the source: the line it starts on (for messages) and its
/// byte span (for ordering failures and pointing at them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct At {
    pub line: u32,
    pub start: u32,
    pub end: u32,
}

/// A root failure: the message and the line where the failing expression starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunError {
    pub message: String,
    pub line: u32,
    /// The byte span of the failing expression.
    at: At,
}

/// How the message of a failure past the run's deadline begins.
pub(crate) const PAST_DEADLINE: &str = "time budget exceeded";

impl RunError {
    /// Whether this is the failure of a node still running when the run's deadline passed.
    pub fn past_deadline(&self) -> bool {
        self.message.starts_with(PAST_DEADLINE)
    }

    pub(crate) fn at(at: At, message: String) -> RunError {
        RunError { message, line: at.line, at }
    }

    /// The byte span of the failing expression in the pipeline's source.
    pub fn span(&self) -> std::ops::Range<usize> {
        self.at.start as usize..self.at.end.max(self.at.start) as usize
    }
}

/// Why an execution of a call failed: for a module call one error at the call; for a
/// higher-order call the errors of its lambda. No error means the failure came from elsewhere (a
/// failed captured value) and is passed on untouched. Only the call's final failure reaches the
/// run's error list.
#[derive(Clone, Debug)]
pub(crate) struct Fault {
    pub errors: Vec<RunError>,
    pub timed_out: bool,
    /// How long the module asked a retry to wait at least (an HTTP `Retry-After`).
    pub retry_after: Option<std::time::Duration>,
}

impl Fault {
    pub fn at(at: At, message: String) -> Fault {
        Fault { errors: vec![RunError::at(at, message)], timed_out: false, retry_after: None }
    }

    pub fn timeout(at: At, function: &str, limit: std::time::Duration) -> Fault {
        let message = format!("{function}: timed out after {}ms", limit.as_millis());
        Fault { timed_out: true, ..Fault::at(at, message) }
    }

    /// The error that comes first in the source.
    pub fn first(&mut self) -> Option<&mut RunError> {
        self.errors.iter_mut().min_by_key(|e| e.at.start)
    }

    pub fn message(&self) -> &str {
        self.errors.iter().min_by_key(|e| e.at.start).map_or("", |e| e.message.as_str())
    }

    /// The same failure, reported at `at` (a call sharing another call's execution).
    pub fn moved_to(mut self, at: At) -> Fault {
        if let [e] = &mut self.errors[..] {
            e.line = at.line;
            e.at = at;
        }
        self
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Completed,
    Failed,
}

/// The result of a run.
#[derive(Clone, Debug, Default)]
pub struct RunOutcome {
    /// (output index, value) for each output whose binding produced a value, in output order.
    pub outputs: Vec<(usize, Value)>,
    pub errors: Vec<RunError>,
}

impl RunOutcome {
    pub fn status(&self) -> Status {
        if self.errors.is_empty() { Status::Completed } else { Status::Failed }
    }

    pub(crate) fn new(mut outputs: Vec<(usize, Value)>, mut errors: Vec<RunError>) -> RunOutcome {
        outputs.sort_by_key(|(i, _)| *i);
        errors.sort_by_key(|e| e.at.start);
        RunOutcome { outputs, errors }
    }
}

/// `partial(output index, piece)`: where the pieces of outputs go as their modules send them (an
/// LLM's tokens), before the outputs themselves.
pub type PartialOutputs = std::sync::Arc<dyn Fn(usize, &str) + Send + Sync>;
