//! Input errors: where a value sits in the document (`Path`), what was found there (`Got`), the
//! message texts of SPEC §8.6, and the collector that records them (`Ctx`).
//!
//! Takes: the position and problem of one bad value. Gives: its message, e.g.
//! `field 'items[2].price': expected Float, got String`, recorded in document order.
//! Guarantees: every message text of SPEC §8.6 is spelled here and only here. A `Ctx` in trial
//! mode (trying a union member) records nothing: the first problem aborts the trial instead.

use super::output::write_str;
use super::visit::Scalar;
use asterism_registry::limits::show_bytes;
use asterism_registry::{Type, text};
use serde::de;
use std::fmt::{self, Write};

/// One step from a value to a part of it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Seg<'a> {
    Field(&'a str),
    Index(usize),
    Key(&'a str),
}

/// The position of a value below its input: a chain of steps on the stack, so that descending
/// costs nothing and is undone on every exit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Option<Seg<'a>>,
}

impl<'a> Path<'a> {
    /// The input itself.
    pub(crate) const ROOT: Path<'static> = Path { parent: None, seg: None };

    pub(crate) fn child(&'a self, seg: Seg<'a>) -> Path<'a> {
        Path { parent: Some(self), seg: Some(seg) }
    }

    /// `items[2].price`, `["key"]`, `[1]`; empty for the input itself.
    fn render(&self, out: &mut String) {
        if let Some(parent) = self.parent {
            parent.render(out);
        }
        match self.seg {
            None => {}
            Some(Seg::Field(name)) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            Some(Seg::Index(i)) => {
                let _ = write!(out, "[{i}]");
            }
            Some(Seg::Key(key)) => {
                out.push('[');
                write_str(key, out);
                out.push(']');
            }
        }
    }
}

/// The kind of JSON value found where another was expected.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Got {
    Null,
    Boolean,
    Number(Scalar<'static>),
    String,
    Array,
    Object,
}

impl Got {
    pub(crate) fn of(scalar: Scalar<'_>) -> Got {
        match scalar {
            Scalar::Null => Got::Null,
            Scalar::Bool(_) => Got::Boolean,
            Scalar::Int(n) => Got::Number(Scalar::Int(n)),
            Scalar::UInt(n) => Got::Number(Scalar::UInt(n)),
            Scalar::Float(x) => Got::Number(Scalar::Float(x)),
            Scalar::Str(_) => Got::String,
        }
    }

    /// `Number 3.5` when `ty` accepts some numbers (so the number was of the wrong kind), else the
    /// bare kind.
    fn describe(self, ty: &Type) -> String {
        let kind = match self {
            Got::Null => "Null",
            Got::Boolean => "Boolean",
            Got::Number(_) => "Number",
            Got::String => "String",
            Got::Array => "Array",
            Got::Object => "Object",
        };
        let mut out = kind.to_owned();
        match self {
            Got::Number(n) if ty.members().contains(&Type::Int) => {
                out.push(' ');
                number_text(n, &mut out);
            }
            _ => {}
        }
        out
    }
}

/// A number's text: integers in decimal, others in the Float text form (SPEC §8.3).
fn number_text(n: Scalar<'_>, out: &mut String) {
    match n {
        Scalar::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Scalar::UInt(n) => {
            let _ = write!(out, "{n}");
        }
        Scalar::Float(x) => text::float(x, out),
        _ => {}
    }
}

pub(crate) fn expected(ty: &Type, got: Got) -> String {
    format!("expected {ty}, got {}", got.describe(ty))
}

pub(crate) fn missing_field(name: &str) -> String {
    format!("missing field '{name}'")
}

pub(crate) const NOT_A_PAIR: &str = "expected [key, value] pair";

pub(crate) fn unknown_tag(tag: &str, members: &[Type]) -> String {
    let names: Vec<String> = members.iter().map(Type::to_string).collect();
    format!("unknown union tag '{tag}', expected one of: {}", names.join(", "))
}

pub(crate) fn no_member(ty: &Type, got: Got) -> String {
    format!("no member of {ty} accepts {}", got.describe(ty))
}

pub(crate) fn ambiguous(ty: &Type) -> String {
    format!(r#"ambiguous value for {ty}; use {{"tag": ..., "value": ...}}"#)
}

pub(crate) fn missing_input(name: &str, ty: &Type) -> String {
    format!("missing input '{name}' of type {ty}")
}

pub(crate) fn in_input(name: &str, message: &str) -> String {
    format!("input '{name}': {message}")
}

/// A problem of a value given alone (`-i NAME=VALUE`).
pub(crate) fn in_given(name: &str, message: &str) -> String {
    format!("input '{name}' (-i {name}): {message}")
}

pub(crate) const NOT_AN_OBJECT: &str = "inputs must be a JSON object";

/// What stops reading a document whose values would take more than the run's memory budget.
pub(crate) const OVER_BUDGET: &str = "over the memory budget";

/// The message of a document whose values would take more than `budget` bytes.
pub(crate) fn over_budget(budget: u64) -> String {
    format!("inputs too large: their values take more than the memory budget of {} (--max-memory)", show_bytes(budget))
}

pub(crate) fn unreadable(detail: impl fmt::Display) -> String {
    format!("cannot parse inputs: {detail}")
}

/// How many problems a document's messages name; past it they are only counted.
pub const MAX_PROBLEMS: usize = 100;

/// `… and N more problems`, after the first `MAX_PROBLEMS`.
pub(crate) fn more(n: usize) -> String {
    format!("… and {n} more problem{}", if n == 1 { "" } else { "s" })
}

/// Collects the problems of one input, in document order: the first `MAX_PROBLEMS` in full, then
/// only how many more there were.
#[derive(Debug, Default)]
pub(crate) struct Ctx {
    errors: Vec<String>,
    /// Problems past `MAX_PROBLEMS`.
    more: usize,
    trial: bool,
    /// The bytes the values read so far may still take (`charge`).
    left: u64,
    /// The length of the last list read: the capacity to start the next one with.
    pub(crate) last_list_len: Option<usize>,
}

impl Ctx {
    /// A collector for an input whose values may take `budget` bytes.
    pub(crate) fn new(budget: u64) -> Ctx {
        Ctx { left: budget, ..Ctx::default() }
    }

    /// A collector for trying a union member: any problem rejects the member at once (the union's
    /// value was read already, within the budget).
    pub(crate) fn trial() -> Ctx {
        Ctx { trial: true, left: u64::MAX, ..Ctx::default() }
    }

    /// Counts `bytes` of values read; past the budget, reading stops with `OVER_BUDGET`.
    #[inline]
    pub(crate) fn charge<E: de::Error>(&mut self, bytes: u64) -> Result<(), E> {
        match self.left.checked_sub(bytes) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => Err(E::custom(OVER_BUDGET)),
        }
    }

    /// Records `message` about the value at `path`; in trial mode, fails instead.
    pub(crate) fn report<E: de::Error>(&mut self, path: &Path<'_>, message: &str) -> Result<(), E> {
        if self.trial {
            return Err(E::custom("value rejected"));
        }
        if self.errors.len() == MAX_PROBLEMS {
            self.more += 1;
            return Ok(());
        }
        let mut at = String::new();
        path.render(&mut at);
        self.errors.push(if at.is_empty() { message.to_owned() } else { format!("field '{at}': {message}") });
        Ok(())
    }

    /// The problems kept, and how many more there were.
    pub(crate) fn into_errors(self) -> (Vec<String>, usize) {
        (self.errors, self.more)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_fields_indices_and_keys() {
        let root = Path::ROOT;
        let items = root.child(Seg::Field("items"));
        let second = items.child(Seg::Index(2));
        let price = second.child(Seg::Field("price"));
        let mut out = String::new();
        price.render(&mut out);
        assert_eq!(out, "items[2].price");
        let key = root.child(Seg::Key("a\"b"));
        let deeper = key.child(Seg::Field("x"));
        out.clear();
        deeper.render(&mut out);
        assert_eq!(out, r#"["a\"b"].x"#);
    }

    #[test]
    fn numbers_show_their_text_only_where_numbers_were_wanted() {
        let got = Got::of(Scalar::Float(3.5));
        assert_eq!(expected(&Type::Int, got), "expected Int, got Number 3.5");
        assert_eq!(expected(&Type::String, got), "expected String, got Number");
        let int_str = Type::union([Type::Int, Type::String]);
        assert_eq!(
            no_member(&int_str, Got::of(Scalar::UInt(u64::MAX))),
            format!("no member of Int | String accepts Number {}", u64::MAX)
        );
    }

    #[test]
    fn trial_mode_fails_instead_of_recording() {
        let mut ctx = Ctx::trial();
        let r: Result<(), serde::de::value::Error> = ctx.report(&Path::ROOT, "x");
        assert!(r.is_err());
        assert!(ctx.into_errors().0.is_empty());
    }
}
