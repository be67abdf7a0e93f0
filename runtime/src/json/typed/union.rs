//! A union input (SPEC §8.5): the tagged form `{"tag": ..., "value": ...}`, or the one member
//! that accepts the value.
//!
//! Takes: the buffered value and the union's members (canonical order). Gives: `Value::Tagged`
//! with the chosen member's index and contents, or one error (unknown tag, no member accepts,
//! ambiguous; a tagged value's own errors are reported at the union's path).
//! Guarantees: an untagged value is tried against every member, each trial stopping at its first
//! problem; ties are broken only by the rules of the SPEC: a single accepting member; among
//! accepting record members, the one with strictly the most fields; `Int` against `Float` by how
//! the number is written.

use super::super::report::{self, Ctx};
use super::super::tree::{Json, JsonRef};
use super::Typed;
use asterism_registry::{Type, Value};
use serde::de::{self, DeserializeSeed};
use std::sync::Arc;

pub(crate) fn resolve<E: de::Error>(typed: Typed<'_>, members: &[Type], json: &Json) -> Result<Value, E> {
    match json.as_tagged() {
        Some((tag, value)) => tagged(typed, members, tag, value),
        None => untagged(typed, members, json),
    }
}

fn tagged<E: de::Error>(typed: Typed<'_>, members: &[Type], tag: &str, value: &Json) -> Result<Value, E> {
    let Some(i) = members.iter().position(|m| same_ignoring_whitespace(&m.to_string(), tag)) else {
        return typed.reject(&report::unknown_tag(tag, members));
    };
    let contents = Typed { ty: &members[i], ..typed }.deserialize(JsonRef(value)).map_err(E::custom)?;
    Ok(tagged_value(i, contents))
}

fn untagged<E: de::Error>(typed: Typed<'_>, members: &[Type], json: &Json) -> Result<Value, E> {
    let mut accepted: Vec<(usize, Value)> =
        members.iter().enumerate().filter_map(|(i, m)| accepts(m, json, &typed).map(|v| (i, v))).collect();
    match choose(members, json, &accepted) {
        Some(k) => {
            let (i, contents) = accepted.swap_remove(k);
            Ok(tagged_value(i, contents))
        }
        None if accepted.is_empty() => {
            let message = report::no_member(typed.ty, json.got());
            typed.reject(&message)
        }
        None => {
            let message = report::ambiguous(typed.ty);
            typed.reject(&message)
        }
    }
}

/// The member's value when it accepts the JSON without any problem.
fn accepts(member: &Type, json: &Json, at: &Typed<'_>) -> Option<Value> {
    let mut ctx = Ctx::trial();
    Typed { ty: member, ctx: &mut ctx, path: at.path }.deserialize(JsonRef(json)).ok()
}

/// Which accepting member wins, by the tie-break rules; `None` when none or several remain.
fn choose(members: &[Type], json: &Json, accepted: &[(usize, Value)]) -> Option<usize> {
    if accepted.len() == 1 {
        return Some(0);
    }
    let chosen: Vec<&Type> = accepted.iter().map(|(i, _)| &members[*i]).collect();
    widest_record(&chosen).or_else(|| int_or_float(&chosen, json))
}

/// When every candidate is a record: the one with strictly the most fields.
fn widest_record(candidates: &[&Type]) -> Option<usize> {
    let widths: Vec<usize> = candidates
        .iter()
        .map(|t| match t {
            Type::Record(r) => Some(r.len()),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let widest = widths.iter().copied().max()?;
    let mut at = widths.iter().enumerate().filter(|(_, w)| **w == widest).map(|(k, _)| k);
    match (at.next(), at.next()) {
        (Some(k), None) => Some(k),
        _ => None,
    }
}

/// When the candidates are exactly `Int` and `Float`: `Int` for a number written without `.` and
/// exponent, else `Float`.
fn int_or_float(candidates: &[&Type], json: &Json) -> Option<usize> {
    let numeric = candidates.len() == 2 && candidates.contains(&&Type::Int) && candidates.contains(&&Type::Float);
    let wanted = if json.is_integer_literal() { Type::Int } else { Type::Float };
    candidates.iter().position(|t| numeric && **t == wanted)
}

fn tagged_value(member: usize, contents: Value) -> Value {
    Value::Tagged(u32::try_from(member).unwrap_or(u32::MAX), Arc::new(contents))
}

fn same_ignoring_whitespace(a: &str, b: &str) -> bool {
    a.chars().filter(|c| !c.is_whitespace()).eq(b.chars().filter(|c| !c.is_whitespace()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use asterism_registry::Name;

    #[test]
    fn tags_compare_without_whitespace() {
        assert!(same_ignoring_whitespace("{ code: Int, error: String }", "{code:Int,error:String}"));
        assert!(!same_ignoring_whitespace("Int", "Float"));
    }

    #[test]
    fn ties_break_by_record_width_and_number_form() {
        let rec = |names: &[&str]| Type::record(names.iter().map(|n| (Name::from(*n), Type::Int)));
        let (a, ab, b) = (rec(&["a"]), rec(&["a", "b"]), rec(&["b"]));
        assert_eq!(widest_record(&[&a, &ab]), Some(1));
        assert_eq!(widest_record(&[&a, &b]), None);
        assert_eq!(widest_record(&[&a, &Type::Int]), None);
        let int = Json::Int(3);
        let float = Json::Float(3.0);
        assert_eq!(int_or_float(&[&Type::Float, &Type::Int], &int), Some(1));
        assert_eq!(int_or_float(&[&Type::Float, &Type::Int], &float), Some(0));
        assert_eq!(int_or_float(&[&Type::Float, &Type::String], &float), None);
    }
}
