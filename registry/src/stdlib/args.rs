//! Helpers shared by the stdlib and prelude modules (SPEC §9): reading arguments of the
//! instantiated parameter types (a malformed argument is a module error, never a panic), `N`
//! arguments as all-Int or all-Float arrays, clamped ranges, list building in the representation
//! of the call's return type, and the common error details of SPEC §9.1.

use crate::module::{CallContext, Module, ModuleError, ModuleResult};
use crate::types::Type;
use crate::value::{ElemKind, ListBuilder, ListView, Value};
use std::borrow::Cow;
use std::ops::Range;

pub(in crate::stdlib) type Result<T> = std::result::Result<T, ModuleError>;

/// The detail of a failed Int operation (SPEC §9.1).
pub(in crate::stdlib) fn overflow() -> ModuleError {
    ModuleError::new("integer overflow")
}

/// The detail of an Int division or remainder by zero (SPEC §9.1).
pub(in crate::stdlib) fn division_by_zero() -> ModuleError {
    ModuleError::new("division by zero")
}

/// An Int result, or `integer overflow` when the checked operation overflowed.
pub(in crate::stdlib) fn checked(result: Option<i64>) -> ModuleResult {
    result.map(Value::Int).ok_or_else(overflow)
}

fn malformed(i: usize, what: &str) -> ModuleError {
    ModuleError::new(format!("argument {} is not {what}", i + 1))
}

pub(in crate::stdlib) fn arg(args: &[Value], i: usize) -> Result<&Value> {
    args.get(i).ok_or_else(|| ModuleError::new(format!("missing argument {}", i + 1)))
}

pub(in crate::stdlib) fn int(args: &[Value], i: usize) -> Result<i64> {
    arg(args, i)?.as_i64().ok_or_else(|| malformed(i, "an Int"))
}

/// A `Float` argument (an Int is accepted and converted).
pub(in crate::stdlib) fn float(args: &[Value], i: usize) -> Result<f64> {
    arg(args, i)?.as_f64().ok_or_else(|| malformed(i, "a number"))
}

pub(in crate::stdlib) fn string(args: &[Value], i: usize) -> Result<&str> {
    arg(args, i)?.as_str().ok_or_else(|| malformed(i, "a String"))
}

pub(in crate::stdlib) fn boolean(args: &[Value], i: usize) -> Result<bool> {
    arg(args, i)?.as_bool().ok_or_else(|| malformed(i, "a Boolean"))
}

pub(in crate::stdlib) fn list(args: &[Value], i: usize) -> Result<ListView<'_>> {
    arg(args, i)?.as_list().ok_or_else(|| malformed(i, "a list"))
}

/// A `Seq<N>` argument as Floats (the ML functions compute in Float).
pub(in crate::stdlib) fn floats(args: &[Value], i: usize) -> Result<Vec<f64>> {
    match list(args, i)? {
        ListView::Ints(v) => Ok(v.iter().map(|&n| n as f64).collect()),
        ListView::Floats(v) => Ok(v.to_vec()),
        ListView::Values(v) => v.iter().map(|x| x.as_f64().ok_or_else(|| malformed(i, "a list of numbers"))).collect(),
    }
}

/// A `List<Int>` argument (packed, or a generic list of Ints such as an empty `[]`).
pub(in crate::stdlib) fn ints(args: &[Value], i: usize) -> Result<Cow<'_, [i64]>> {
    match list(args, i)? {
        ListView::Ints(v) => Ok(Cow::Borrowed(v)),
        ListView::Floats([]) => Ok(Cow::Borrowed(&[])),
        ListView::Floats(_) => Err(malformed(i, "a list of Ints")),
        ListView::Values(v) => v
            .iter()
            .map(|x| x.as_i64().ok_or_else(|| malformed(i, "a list of Ints")))
            .collect::<Result<_>>()
            .map(Cow::Owned),
    }
}

/// The first `K` arguments of an `N` signature: all Int, or all Float (a stray mix is promoted).
#[derive(Clone, Copy, Debug)]
pub(in crate::stdlib) enum Nums<const K: usize> {
    Int([i64; K]),
    Float([f64; K]),
}

pub(in crate::stdlib) fn nums<const K: usize>(args: &[Value]) -> Result<Nums<K>> {
    let mut ints = [0; K];
    let mut all_int = true;
    for (i, slot) in ints.iter_mut().enumerate() {
        match arg(args, i)? {
            Value::Int(n) => *slot = *n,
            Value::Float(_) => all_int = false,
            _ => return Err(malformed(i, "a number")),
        }
    }
    if all_int {
        return Ok(Nums::Int(ints));
    }
    let mut floats = [0.0; K];
    for (i, slot) in floats.iter_mut().enumerate() {
        *slot = float(args, i)?;
    }
    Ok(Nums::Float(floats))
}

/// A module over the first `K` arguments of an `N` signature, with one rule for Ints and one for
/// Floats.
pub(in crate::stdlib) fn numeric<const K: usize>(
    on_ints: impl Fn([i64; K]) -> ModuleResult + Send + Sync + 'static,
    on_floats: impl Fn([f64; K]) -> ModuleResult + Send + Sync + 'static,
) -> Module {
    Module::sync(move |args| match nums::<K>(args)? {
        Nums::Int(v) => on_ints(v),
        Nums::Float(v) => on_floats(v),
    })
}

/// `[start, end)` after clamping both to `[0, len]`; empty when start ≥ end.
pub(in crate::stdlib) fn clamped_range(start: i64, end: i64, len: usize) -> Range<usize> {
    let clamp = |x: i64| usize::try_from(x.max(0)).unwrap_or(usize::MAX).min(len);
    let (start, end) = (clamp(start), clamp(end));
    start..end.max(start)
}

/// The element storage of the call's return type `List<X>`/`Seq<X>`.
pub(in crate::stdlib) fn ret_elem_kind(cx: &CallContext<'_>) -> ElemKind {
    match cx.ret {
        Type::List(elem) | Type::Seq(elem) => ElemKind::of(elem),
        _ => ElemKind::Any,
    }
}

/// A list of `items` in the representation of the element kind `kind`.
pub(in crate::stdlib) fn build(kind: ElemKind, items: impl IntoIterator<Item = Value>) -> Value {
    let items = items.into_iter();
    let mut out = ListBuilder::new(kind, items.size_hint().0);
    items.for_each(|v| out.push(v));
    out.finish()
}

/// A `List<String>` value.
pub(in crate::stdlib) fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> Value {
    Value::List(items.into_iter().map(Value::str).collect())
}

/// The most elements a function builds from a size argument (as `Range` does): larger requests
/// fail instead of exhausting memory.
pub(in crate::stdlib) const MAX_ELEMENTS: usize = crate::limits::MAX_ELEMENTS as usize;

/// `n` zeros, or an error when `n` is absurdly large.
pub(in crate::stdlib) fn zeros(n: usize) -> Result<Vec<f64>> {
    if n > MAX_ELEMENTS {
        return Err(ModuleError::new(format!("cannot allocate {n} values: at most {MAX_ELEMENTS}")));
    }
    Ok(vec![0.0; n])
}

/// A left-to-right Float sum starting at `0.0` (the standard library's `sum` starts at `-0.0`, so
/// an empty sum would print as `-0.0`).
pub(super) fn sum(xs: impl Iterator<Item = f64>) -> f64 {
    xs.fold(0.0, |acc, x| acc + x)
}

/// Calling modules in tests the way the runtime does.
#[cfg(test)]
pub(crate) mod testing {
    use crate::limits::Limits;
    use crate::module::{CallContext, Module, ModuleResult};
    use crate::report::Silent;
    use crate::signature::Signature;
    use crate::stdlib::{PRELUDE, STDLIB, module};
    use crate::types::{Type, TypeVar, common_type, lub};
    use crate::value::Value;
    use std::collections::HashMap;

    /// Calls the stdlib or prelude function `name` as the runtime would: the signature is
    /// instantiated from the arguments' types (SPEC §5.8), Int arguments at Float positions are
    /// promoted, and the module gets the instantiated parameter and return types.
    pub(crate) fn call(name: &str, args: &[Value]) -> ModuleResult {
        let (name, text) = entry(name);
        let sig = Signature::parse(name, text).unwrap();
        let mut env = HashMap::new();
        for (p, a) in sig.params.iter().zip(args) {
            bind(&p.ty, &type_of(a), &mut env);
        }
        let params: Vec<Type> = sig.params.iter().map(|p| subst(&p.ty, &env)).collect();
        let args: Vec<Value> = args.iter().zip(&params).map(|(v, t)| promote(v, t)).collect();
        call_typed(name, &args, &params, &subst(&sig.ret, &env))
    }

    /// Calls `name` with explicit instantiated types.
    pub(crate) fn call_typed(name: &str, args: &[Value], arg_types: &[Type], ret: &Type) -> ModuleResult {
        match module(entry(name).0) {
            Some(Module::Sync(f)) => {
                f(args, &CallContext { arg_types, ret, reporter: &Silent, limits: &Limits::default(), line: 1 })
            }
            other => panic!("{name}: expected a synchronous module, got {other:?}"),
        }
    }

    /// The table entry (name, signature) of `name`: a qualified or prelude name, or the simple
    /// name of exactly one function (SPEC §4.5).
    fn entry(name: &str) -> (&'static str, &'static str) {
        let all = || STDLIB.iter().chain(PRELUDE);
        let simple: Vec<_> = all().copied().filter(|(n, _)| n.rsplit('.').next() == Some(name)).collect();
        match (all().copied().find(|(n, _)| *n == name), simple.as_slice()) {
            (Some(exact), _) | (None, &[exact]) => exact,
            _ => panic!("no single function is named {name}"),
        }
    }

    /// `call` that must succeed.
    pub(crate) fn ok(name: &str, args: &[Value]) -> Value {
        call(name, args).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// The detail of a `call` that must fail.
    pub(crate) fn err(name: &str, args: &[Value]) -> String {
        match call(name, args) {
            Ok(v) => panic!("{name}: expected a failure, got {v:?}"),
            Err(e) => e.detail,
        }
    }

    /// Asserts §4.7 equality.
    pub(crate) fn assert_is(v: Value, want: Value) {
        assert!(crate::value::equal(&v, &want), "expected {want:?}, got {v:?}");
    }

    /// Asserts a packed Int list.
    pub(crate) fn assert_ints(v: Value, want: &[i64]) {
        assert!(matches!(&v, Value::Ints(got) if **got == *want), "expected Ints {want:?}, got {v:?}");
    }

    /// Asserts a packed Float list, equal up to 1e-12 (NaN matches NaN).
    pub(crate) fn assert_floats(v: Value, want: &[f64]) {
        let close = |g: &f64, w: &f64| g == w || (g - w).abs() < 1e-12 || (g.is_nan() && w.is_nan());
        match &v {
            Value::Floats(got) if got.len() == want.len() && got.iter().zip(want).all(|(g, w)| close(g, w)) => {}
            _ => panic!("expected Floats {want:?}, got {v:?}"),
        }
    }

    pub(crate) fn s(text: &str) -> Value {
        Value::str(text)
    }

    pub(crate) fn ints(v: &[i64]) -> Value {
        Value::Ints(v.into())
    }

    pub(crate) fn floats(v: &[f64]) -> Value {
        Value::Floats(v.into())
    }

    pub(crate) fn strs(v: &[&str]) -> Value {
        Value::List(v.iter().map(|t| Value::str(*t)).collect())
    }

    fn type_of(v: &Value) -> Type {
        match v {
            Value::Int(_) => Type::Int,
            Value::Float(_) => Type::Float,
            Value::Bool(_) => Type::Boolean,
            Value::Str(_) => Type::String,
            Value::Ints(_) => Type::list(Type::Int),
            Value::Floats(_) => Type::list(Type::Float),
            Value::List(items) => Type::list(common_type(&items.iter().map(type_of).collect::<Vec<_>>())),
            _ => Type::Nothing,
        }
    }

    fn bind(param: &Type, arg: &Type, env: &mut HashMap<TypeVar, Type>) {
        match (param, arg) {
            (Type::Var(v), a) => {
                let t = env.entry(*v).or_insert(Type::Nothing);
                *t = match v {
                    TypeVar::N if *t == Type::Float || *a == Type::Float => Type::Float,
                    TypeVar::N => Type::Int,
                    _ => lub(t, a),
                };
            }
            (Type::List(p) | Type::Seq(p) | Type::Coll(p), Type::List(a) | Type::Seq(a)) => bind(p, a, env),
            _ => {}
        }
    }

    fn subst(t: &Type, env: &HashMap<TypeVar, Type>) -> Type {
        match t {
            Type::Var(v) => env.get(v).cloned().unwrap_or(if *v == TypeVar::N { Type::Int } else { Type::Nothing }),
            Type::List(e) | Type::Coll(e) => Type::list(subst(e, env)),
            Type::Seq(e) => Type::seq(subst(e, env)),
            Type::Optional(e) => Type::optional(subst(e, env)),
            t => t.clone(),
        }
    }

    fn promote(v: &Value, t: &Type) -> Value {
        match (v, t) {
            (Value::Int(n), Type::Float) => Value::Float(*n as f64),
            (Value::Ints(v), Type::List(e) | Type::Seq(e)) if **e == Type::Float => {
                Value::Floats(v.iter().map(|&n| n as f64).collect())
            }
            (Value::List(items), Type::List(e) | Type::Seq(e)) => {
                Value::List(items.iter().map(|item| promote(item, e)).collect())
            }
            (v, _) => v.clone(),
        }
    }
}
