//! The budgets of a run: how large its values may grow and how long it may take.
//!
//! Values share their parts, so most operations cost nothing however large a value is written
//! out; the operations that copy (joining strings, concatenating lists, writing text) check the
//! size of what they build against these budgets before building it, and fail the call with a
//! message naming the budget, instead of exhausting the machine. A host (a server) tightens them
//! per engine; the CLI sets them with `--max-memory` and `--max-time`. `parse_duration` and
//! `parse_size` read the written forms (`30s`, `512MiB`) the CLI and module manifests share.

use std::time::Duration;

/// The budgets of one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes the values a run produces may take, and any one of them.
    pub max_memory: u64,
    /// The longest a run may take; nodes still running then fail.
    pub max_time: Option<Duration>,
}

/// The most bytes of one string, whatever the memory budget.
pub const MAX_STRING_BYTES: u64 = 256 << 20;

/// The most elements of one list, whatever the memory budget.
pub const MAX_ELEMENTS: u64 = 10_000_000;

impl Default for Limits {
    /// 1 GiB, no time limit.
    fn default() -> Limits {
        Limits { max_memory: 1 << 30, max_time: None }
    }
}

impl Limits {
    /// The most bytes of one string.
    pub fn string_bytes(&self) -> usize {
        self.max_memory.min(MAX_STRING_BYTES) as usize
    }

    /// The most elements of one list (eight bytes each at the least).
    pub fn elements(&self) -> usize {
        (self.max_memory / 8).min(MAX_ELEMENTS) as usize
    }

    /// Whether a string of `bytes` may be built; else the message of the failure.
    pub fn string(&self, bytes: usize) -> Result<(), String> {
        match bytes <= self.string_bytes() {
            true => Ok(()),
            false => Err(format!(
                "value too large: a string of {bytes} bytes is over the budget of {} per string",
                show_bytes(self.string_bytes() as u64)
            )),
        }
    }

    /// Whether a list of `n` elements may be built; else the message of the failure.
    pub fn list(&self, n: usize) -> Result<(), String> {
        match n <= self.elements() {
            true => Ok(()),
            false => Err(format!(
                "value too large: a list of {n} elements is over the budget of {} elements per list",
                self.elements()
            )),
        }
    }
}

/// `2 GiB`, `256 MiB`, `512 KiB`, `100 bytes`.
pub fn show_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 && n % (1 << 30) == 0 => format!("{} GiB", n >> 30),
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// `500ms`, `30s`, `2min`, `1h` (a number and a unit, as durations are written in pipelines).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| format!("'{text}' is not a duration such as 500ms, 30s or 2min"))?;
    let ms = match unit {
        "ms" => Some(n),
        "s" => n.checked_mul(1_000),
        "min" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        _ => return Err(format!("'{text}' is not a duration such as 500ms, 30s or 2min")),
    };
    ms.filter(|&ms| ms > 0).map(Duration::from_millis).ok_or_else(|| format!("'{text}' is out of range"))
}

/// `1000000`, `512KiB`, `256MiB`, `2GiB`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| format!("'{text}' is not a size such as 512MiB or 2GiB"))?;
    let shift = match unit {
        "" | "B" => 0,
        "KiB" => 10,
        "MiB" => 20,
        "GiB" => 30,
        _ => return Err(format!("'{text}' is not a size such as 512MiB or 2GiB")),
    };
    n.checked_mul(1 << shift).filter(|&b| b > 0).ok_or_else(|| format!("'{text}' is out of range"))
}
