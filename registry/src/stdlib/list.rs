//! `stdlib.list` (SPEC §9.4): list access, `list-sum` (Int overflow fails), the equality of §4.7
//! for `list-contains`/`list-unique`, clamped slices, the stable sort of `value::order` (NaN
//! last) and `flatten`. Lists returned are built in the representation of the call's return type.

use super::args::{self, build, checked, ret_elem_kind};
use crate::module::{CallContext, Module, ModuleError, ModuleResult};
use crate::types::Type;
use crate::value::{Equal, ListView, Value, equal, order};
use std::collections::HashSet;

pub(super) fn module(name: &str) -> Option<Module> {
    Some(match name {
        "list-length" => on_list(|l| Ok(Value::Int(i64::try_from(l.len()).unwrap_or(i64::MAX)))),
        "list-first" => on_list(|l| l.get(0).ok_or_else(empty)),
        "list-last" => on_list(|l| l.len().checked_sub(1).and_then(|i| l.get(i)).ok_or_else(empty)),
        "list-is-empty" => on_list(|l| Ok(Value::Bool(l.is_empty()))),
        "list-sum" => Module::sync_typed(sum),
        "list-concat" => Module::sync_typed(|args, cx| {
            let (a, b) = (args::list(args, 0)?, args::list(args, 1)?);
            cx.limits.list(a.len().saturating_add(b.len()))?;
            Ok(build(ret_elem_kind(cx), a.iter().chain(b.iter())))
        }),
        "list-contains" => Module::sync(|args| {
            let value = args::arg(args, 1)?;
            Ok(Value::Bool(args::list(args, 0)?.iter().any(|item| equal(&item, value))))
        }),
        "list-reverse" => Module::sync_typed(|args, cx| {
            let list = args::list(args, 0)?;
            Ok(build(ret_elem_kind(cx), (0..list.len()).rev().filter_map(|i| list.get(i))))
        }),
        "list-get" => Module::sync(get),
        "list-slice" => Module::sync_typed(|args, cx| {
            let list = args::list(args, 0)?;
            let range = args::clamped_range(args::int(args, 1)?, args::int(args, 2)?, list.len());
            Ok(build(ret_elem_kind(cx), range.filter_map(|i| list.get(i))))
        }),
        "list-sort" => Module::sync_typed(|args, cx| Ok(build(ret_elem_kind(cx), sorted(args::list(args, 0)?)))),
        "list-unique" => Module::sync_typed(|args, cx| Ok(build(ret_elem_kind(cx), unique(args::list(args, 0)?)))),
        "flatten" => Module::sync_typed(flatten),
        _ => return None,
    })
}

fn empty() -> ModuleError {
    ModuleError::new("list is empty")
}

/// A module of the first argument, a list.
fn on_list(f: fn(ListView<'_>) -> ModuleResult) -> Module {
    Module::sync(move |args| f(args::list(args, 0)?))
}

/// `[]` → 0; Ints with overflow checks, Floats left to right (chosen by the return type `N`).
fn sum(args: &[Value], cx: &CallContext<'_>) -> ModuleResult {
    let list = args::list(args, 0)?;
    if *cx.ret == Type::Float || matches!(list, ListView::Floats(_)) {
        return Ok(Value::Float(args::sum(args::floats(args, 0)?.iter().copied())));
    }
    checked(args::ints(args, 0)?.iter().try_fold(0_i64, |total, &n| total.checked_add(n)))
}

/// Negative indices count from the end; out of range → `None`.
fn get(args: &[Value]) -> ModuleResult {
    let list = args::list(args, 0)?;
    let index = args::int(args, 1)?;
    let len = i64::try_from(list.len()).unwrap_or(i64::MAX);
    let index = if index < 0 { index.checked_add(len) } else { Some(index) };
    let item = index.and_then(|i| usize::try_from(i).ok()).and_then(|i| list.get(i));
    Ok(Value::from_option(item))
}

/// Ascending and stable: numbers numerically with NaN last, strings by scalar values.
fn sorted(list: ListView<'_>) -> Vec<Value> {
    let mut items: Vec<Value> = list.iter().collect();
    items.sort_by(order);
    items
}

/// The first occurrence of each value in order, by §4.7 equality (a NaN equals nothing, so every
/// NaN is kept; `0.0` and `-0.0` are equal).
fn unique(list: ListView<'_>) -> Vec<Value> {
    match list {
        ListView::Ints(v) => {
            let mut seen = HashSet::new();
            v.iter().filter(|n| seen.insert(**n)).map(|&n| Value::Int(n)).collect()
        }
        ListView::Floats(v) => {
            let mut seen = HashSet::new();
            let key = |x: f64| if x == 0.0 { 0 } else { x.to_bits() };
            v.iter().filter(|x| x.is_nan() || seen.insert(key(**x))).map(|&x| Value::Float(x)).collect()
        }
        ListView::Values(v) => {
            let mut seen = HashSet::new();
            v.iter().filter(|item| seen.insert(Equal(item))).cloned().collect()
        }
    }
}

fn flatten(args: &[Value], cx: &CallContext<'_>) -> ModuleResult {
    let lists = args::list(args, 0)?;
    let total = lists.iter().fold(0usize, |n, inner| n.saturating_add(inner.as_list().map_or(0, |l| l.len())));
    cx.limits.list(total)?;
    let mut items = Vec::with_capacity(total);
    for inner in lists.iter() {
        items.extend(inner.as_list().ok_or("argument 1 is not a list of lists")?.iter());
    }
    Ok(build(ret_elem_kind(cx), items))
}

#[cfg(test)]
mod tests {
    use super::args::testing::{assert_floats, assert_ints, assert_is, call_typed, err, floats, ints, ok, s, strs};
    use crate::types::Type;
    use crate::value::Value::{self, Bool, Float, Int};

    fn empty() -> Value {
        Value::List([].into())
    }

    #[test]
    fn length_first_last_empty() {
        assert_is(ok("list-length", &[ints(&[1, 2, 3])]), Int(3));
        assert_is(ok("list-length", &[empty()]), Int(0));
        assert_is(ok("list-first", &[ints(&[1, 2, 3])]), Int(1));
        assert_is(ok("list-last", &[strs(&["a", "b"])]), s("b"));
        assert_is(ok("list-last", &[floats(&[1.5])]), Float(1.5));
        assert_eq!(err("list-first", &[empty()]), "list is empty");
        assert_eq!(err("list-last", &[ints(&[])]), "list is empty");
        assert_is(ok("list-is-empty", &[empty()]), Bool(true));
        assert_is(ok("list-is-empty", &[strs(&["a"])]), Bool(false));
    }

    #[test]
    fn sum_of_ints_and_floats() {
        assert!(matches!(ok("list-sum", &[ints(&[1, 2, 3])]), Int(6)));
        assert!(matches!(ok("list-sum", &[empty()]), Int(0)));
        // An empty Float sum is +0.0 (Rust's `Sum` would start at -0.0).
        assert!(matches!(ok("list-sum", &[floats(&[])]), Float(x) if x == 0.0 && x.is_sign_positive()));
        assert!(matches!(ok("list-sum", &[floats(&[0.1, 0.2, 0.3])]), Float(x) if x == 0.1 + 0.2 + 0.3));
        assert!(matches!(ok("list-sum", &[floats(&[])]), Float(x) if x == 0.0));
        let empty_at_float = call_typed("stdlib.list.list-sum", &[empty()], &[Type::list(Type::Nothing)], &Type::Float);
        assert!(matches!(empty_at_float, Ok(Float(x)) if x == 0.0));
        assert_eq!(err("list-sum", &[ints(&[i64::MAX, 1])]), "integer overflow");
        assert_eq!(err("list-sum", &[ints(&[i64::MIN, -1, 1])]), "integer overflow");
    }

    #[test]
    fn concat_reverse_keep_the_representation() {
        assert_ints(ok("list-concat", &[ints(&[1]), ints(&[2, 3])]), &[1, 2, 3]);
        assert_floats(ok("list-concat", &[floats(&[1.5]), floats(&[])]), &[1.5]);
        assert_is(ok("list-concat", &[strs(&["a"]), strs(&["b"])]), strs(&["a", "b"]));
        assert_ints(ok("list-concat", &[empty(), ints(&[4])]), &[4]);
        assert_ints(ok("list-reverse", &[ints(&[1, 2, 3])]), &[3, 2, 1]);
        assert_floats(ok("list-reverse", &[floats(&[1.0, 2.0])]), &[2.0, 1.0]);
        assert_is(ok("list-reverse", &[strs(&["a", "b"])]), strs(&["b", "a"]));
    }

    #[test]
    fn contains_uses_structural_equality() {
        assert_is(ok("list-contains", &[ints(&[1, 2]), Int(2)]), Bool(true));
        assert_is(ok("list-contains", &[ints(&[1, 2]), Int(3)]), Bool(false));
        assert_is(ok("list-contains", &[floats(&[0.0]), Float(-0.0)]), Bool(true));
        assert_is(ok("list-contains", &[floats(&[f64::NAN]), Float(f64::NAN)]), Bool(false));
        assert_is(ok("list-contains", &[strs(&["a", "B"]), s("b")]), Bool(false));
        let nested = Value::List([ints(&[1, 2])].into());
        assert_is(ok("list-contains", &[nested, ints(&[1, 2])]), Bool(true));
    }

    #[test]
    fn get_counts_negative_indices_from_the_end() {
        let xs = ints(&[1, 2, 3]);
        assert_is(ok("list-get", &[xs.clone(), Int(-1)]), Int(3));
        assert_is(ok("list-get", &[xs.clone(), Int(0)]), Int(1));
        assert_is(ok("list-get", &[xs.clone(), Int(-3)]), Int(1));
        assert!(ok("list-get", &[xs.clone(), Int(3)]).is_none());
        assert!(ok("list-get", &[xs.clone(), Int(-4)]).is_none());
        assert!(ok("list-get", &[xs, Int(i64::MIN)]).is_none());
        let optionals = Value::List([Value::None].into());
        let got = call_typed(
            "stdlib.list.list-get",
            &[optionals, Int(0)],
            &[Type::list(Type::optional(Type::Int)), Type::Int],
            &Type::optional(Type::optional(Type::Int)),
        );
        assert!(matches!(got, Ok(Value::Some(inner)) if inner.is_none()));
    }

    #[test]
    fn slice_clamps() {
        let xs = ints(&[1, 2, 3, 4]);
        assert_ints(ok("list-slice", &[xs.clone(), Int(1), Int(3)]), &[2, 3]);
        assert_ints(ok("list-slice", &[xs.clone(), Int(-5), Int(99)]), &[1, 2, 3, 4]);
        assert_ints(ok("list-slice", &[xs.clone(), Int(3), Int(1)]), &[]);
        assert_ints(ok("list-slice", &[xs, Int(i64::MIN), Int(i64::MAX)]), &[1, 2, 3, 4]);
        assert_floats(ok("list-slice", &[floats(&[1.0, 2.0]), Int(1), Int(2)]), &[2.0]);
        assert_is(ok("list-slice", &[strs(&["a", "b", "c"]), Int(0), Int(2)]), strs(&["a", "b"]));
    }

    #[test]
    fn sort_is_stable_with_nan_last() {
        assert_ints(ok("list-sort", &[ints(&[3, -1, 2])]), &[-1, 2, 3]);
        let nan = f64::NAN;
        assert_floats(ok("list-sort", &[floats(&[2.0, nan, -1.5, 0.5, nan])]), &[-1.5, 0.5, 2.0, nan, nan]);
        assert_is(ok("list-sort", &[strs(&["b", "a", "B", "ab"])]), strs(&["B", "a", "ab", "b"]));
        assert_is(ok("list-sort", &[empty()]), empty());
        let zeros = ok("list-sort", &[floats(&[0.0, -0.0])]);
        assert!(matches!(zeros, Value::Floats(v) if v[0].is_sign_positive() && v[1].is_sign_negative()));
    }

    #[test]
    fn unique_keeps_first_occurrences_and_nans() {
        assert_ints(ok("list-unique", &[ints(&[3, 1, 3, 2, 1])]), &[3, 1, 2]);
        let nan = f64::NAN;
        assert_floats(ok("list-unique", &[floats(&[nan, 0.0, -0.0, nan, 1.0, 1.0])]), &[nan, 0.0, nan, 1.0]);
        assert_is(ok("list-unique", &[strs(&["a", "b", "a"])]), strs(&["a", "b"]));
        let pairs = Value::List([ints(&[1]), ints(&[2]), ints(&[1])].into());
        assert_is(ok("list-unique", &[pairs]), Value::List([ints(&[1]), ints(&[2])].into()));
    }

    #[test]
    fn flatten_concatenates_inner_lists() {
        assert_ints(ok("flatten", &[Value::List([ints(&[1]), ints(&[2, 3])].into())]), &[1, 2, 3]);
        assert_floats(ok("flatten", &[Value::List([floats(&[0.5]), floats(&[])].into())]), &[0.5]);
        assert_is(ok("flatten", &[Value::List([strs(&["a"]), strs(&["b"])].into())]), strs(&["a", "b"]));
        assert_is(ok("flatten", &[empty()]), empty());
        assert_eq!(err("flatten", &[ints(&[1])]), "argument 1 is not a list of lists");
    }
}
