//! Entries of kind `onnx`: a model file run in process (by tract, with the feature `onnx`).
//!
//! Takes: an entry's raw settings. Gives: an `OnnxSpec` — the model's path (a relative one is the
//! manifest folder's), the output to read, and the batching settings. The model itself is loaded,
//! and checked against the signature, when the manifest is (`onnx::module`).

use super::{Problems, RawEntry, parse_duration};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The settings of kind `onnx`.
pub const KEYS: [&str; 4] = ["path", "output", "max_batch", "max_delay"];

#[derive(Clone, Debug)]
pub struct OnnxSpec {
    pub path: PathBuf,
    /// The output to read (default: the model's first).
    pub output: Option<String>,
    /// Set when calls may be gathered: each call one row of a `[b, n]` input.
    pub max_batch: Option<usize>,
    pub max_delay: Option<Duration>,
}

pub(super) fn read(
    name: &str,
    mut raw: RawEntry,
    dir: &Path,
    kind_span: Range<usize>,
    p: &mut Problems<'_>,
) -> Option<OnnxSpec> {
    let Some(path) = raw.path.take() else {
        p.add(kind_span, format!("module '{name}' of kind 'onnx' needs a 'path' to its model"));
        return None;
    };
    let max_batch = p.check(raw.max_batch.take(), |n| match usize::try_from(n) {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("'max_batch' must be a positive count, not {n}")),
    });
    let max_delay = p.check(raw.max_delay.take(), |t| parse_duration(&t));
    Some(OnnxSpec {
        path: dir.join(path.into_inner()),
        output: raw.output.take().map(|o| o.into_inner()),
        max_batch,
        max_delay,
    })
}
