//! The budget of one run: the memory its values take (counted as they are made) and its deadline.
//!
//! Values share their parts, so the memory a run holds is counted where a node makes a new value:
//! each node that allocates (a call's result, a list, a record, a string built by an operator, a
//! converted list) is charged the size of what it made at its own level (a string's bytes, a
//! list's elements), never the parts it shares. The count is approximate, and meant to stop a run
//! that grows without bound, not to measure it. Past the memory budget each node that makes a
//! value fails (the first with a message naming the budget; nodes that make nothing still run,
//! so cheap outputs arrive); past the deadline every node fails, the first with the message.
//! The counters are relaxed atomics: the nodes of one run are evaluated by one task at a time.

use asterism_registry::limits::{Limits, show_bytes};
use asterism_registry::value::Value;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use tokio::time::Instant;

/// How many nodes run between two looks at the clock.
const TICKS: u32 = 64;

#[derive(Debug)]
pub(crate) struct Budget {
    limits: Limits,
    used: AtomicU64,
    deadline: Option<Instant>,
    /// Nodes until the next look at the clock.
    ticks: AtomicU32,
    /// Set once the memory budget was exceeded and said so.
    full: AtomicBool,
    /// Set once the deadline passed and said so.
    late: AtomicBool,
}

impl Budget {
    /// The budget of a run starting now.
    pub fn new(limits: Limits) -> Budget {
        Budget {
            limits,
            used: AtomicU64::new(0),
            deadline: limits.max_time.map(|d| Instant::now() + d),
            ticks: AtomicU32::new(TICKS),
            full: AtomicBool::new(false),
            late: AtomicBool::new(false),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// When the run must end.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Counts `v`, a value a node just made; `Err` with the message to record when the run's
    /// values now take more than the budget (only the first time: `Err(None)` after).
    #[inline(always)]
    pub fn charge(&self, v: &Value) -> Result<(), Option<String>> {
        let bytes = shallow_bytes(v);
        let used = self.used.load(Ordering::Relaxed).saturating_add(bytes);
        self.used.store(used, Ordering::Relaxed);
        match used > self.limits.max_memory {
            true => Err(self.full()),
            false => Ok(()),
        }
    }

    /// The message of an exceeded memory budget, the first time.
    #[cold]
    #[inline(never)]
    fn full(&self) -> Option<String> {
        {
            once(&self.full, || {
                format!(
                    "memory budget exceeded: the run's values take more than {} (--max-memory)",
                    show_bytes(self.limits.max_memory)
                )
            })
        }
    }

    /// Looks at the clock every `TICKS` nodes; `Err` as `charge` once the deadline has passed.
    #[inline(always)]
    pub fn tick(&self) -> Result<(), Option<String>> {
        match self.deadline {
            None => Ok(()),
            Some(deadline) => self.look(deadline),
        }
    }

    /// `tick` for a run with a deadline.
    #[inline(never)]
    fn look(&self, deadline: Instant) -> Result<(), Option<String>> {
        if self.late.load(Ordering::Relaxed) {
            return Err(None);
        }
        let left = self.ticks.load(Ordering::Relaxed);
        if left > 0 {
            self.ticks.store(left - 1, Ordering::Relaxed);
            return Ok(());
        }
        self.ticks.store(TICKS, Ordering::Relaxed);
        match Instant::now() >= deadline {
            true => Err(self.expired()),
            false => Ok(()),
        }
    }

    /// The message of a passed deadline, the first time; `None` after.
    pub fn expired(&self) -> Option<String> {
        once(&self.late, || {
            let limit = self.limits.max_time.unwrap_or_default();
            format!("{}: the run took longer than {limit:?} (--max-time)", crate::outcome::PAST_DEADLINE)
        })
    }
}

/// The message, the first time `flag` is set.
fn once(flag: &AtomicBool, message: impl FnOnce() -> String) -> Option<String> {
    (!flag.swap(true, Ordering::Relaxed)).then(message)
}

/// The bytes a value takes at its own level: a string's bytes, a list's, record's or map's
/// slots; nothing for a scalar or for the parts it shares.
#[inline(always)]
fn shallow_bytes(v: &Value) -> u64 {
    const SLOT: u64 = std::mem::size_of::<Value>() as u64;
    match v {
        Value::Str(s) => s.len() as u64,
        Value::Ints(xs) => xs.len() as u64 * 8,
        Value::Floats(xs) => xs.len() as u64 * 8,
        Value::List(xs) | Value::Record(xs) => xs.len() as u64 * SLOT,
        Value::Map(entries) => entries.len() as u64 * 2 * SLOT,
        Value::Some(_) | Value::Tagged(..) => SLOT,
        Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::None => 0,
    }
}
