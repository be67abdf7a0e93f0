//! What a run has to say besides its results: the lines of `log` (SPEC §9.7), of
//! `on_error: log` (§6.4), and what module workers write on their standard error.
//!
//! The engine never prints. It hands each `Notice` to the `Reporter` its host supplies for the
//! run, from whatever thread the call ran on; the CLI's reporter writes the line to standard
//! error (§11.2), a server may log it, a test may collect it.

use std::fmt;

/// Why a run reports something.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    /// A call of `stdlib.debug.log`.
    Log,
    /// A call `with on_error: log` failed; its value is the zero value.
    OnErrorLog,
    /// A line a module's worker process wrote on its standard error; the message starts with
    /// `[<module>] `.
    Worker,
    /// A cache backend failed (a Redis server down, a full disk); calls go on uncached. Said once
    /// per backend; the message names it.
    Cache,
}

/// One message of a run, with the source line of the call that gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub message: String,
    pub line: u32,
}

impl fmt::Display for Notice {
    /// The line SPEC §6.4 and §9.7 define: `[asterism] <message>`, with ` (on_error: log)` after
    /// the message of a failure `on_error: log` turned into a value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            NoticeKind::Log => write!(f, "[asterism] {}", self.message),
            NoticeKind::OnErrorLog => write!(f, "[asterism] {} (on_error: log)", self.message),
            NoticeKind::Worker => f.write_str(&self.message),
            NoticeKind::Cache => write!(f, "[asterism] warning: {}", self.message),
        }
    }
}

/// Where a run's notices go. Called concurrently, from any thread a call runs on.
pub trait Reporter: Send + Sync {
    fn report(&self, notice: Notice);
}

impl fmt::Debug for dyn Reporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Reporter")
    }
}

impl<F: Fn(Notice) + Send + Sync> Reporter for F {
    fn report(&self, notice: Notice) {
        self(notice)
    }
}

/// Drops every notice.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Reporter for Silent {
    fn report(&self, _: Notice) {}
}
