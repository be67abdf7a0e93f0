//! What a run gives back (SPEC §7.3–§7.4): the outputs that produced a value, in output order, and
//! one entry per root failure, ordered by source position; plus the events of a streamed run.

use asterism_registry::value::Value;

/// A root failure: the message and the line where the failing expression starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunError {
    pub message: String,
    pub line: u32,
    /// Byte offset of the failing expression, for ordering.
    pub(crate) start: u32,
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
        errors.sort_by_key(|e| e.start);
        RunOutcome { outputs, errors }
    }
}

/// An event of a streamed run.
#[derive(Clone, Debug)]
pub enum Event {
    /// An output's value is ready.
    Output { index: usize, value: Value },
    /// The run is over.
    Done(RunOutcome),
}
