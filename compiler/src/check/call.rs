//! Calls (SPEC §4.5), generic instantiation (§5.8) and lambdas (§4.17).
//!
//! A call is checked in the order of §5.8: infer the non-lambda arguments; collect candidate types
//! for the signature's variables by matching argument types against parameter types; fix `T`, `U`,
//! `O` (common type), `N` (Float if any candidate is Float, else Int) and `C` (Seq if any candidate
//! is a Seq); check each argument against its instantiated parameter (an Int at an `N` position
//! instantiated to Float widens); check the lambdas in order, binding variables that only a
//! lambda's result determines; substitute the return type (unbound variables become `Nothing`).

use super::Checker;
use crate::resolve::resolve_function;
use crate::typed::{TCall, TExpr, TExprKind, TLambda};
use asterism_lang::ast::{Call, ExprKind, Lambda};
use asterism_lang::{Code, Span};
use asterism_registry::{Name, Record, Type, TypeVar, common_type, is_subtype};

/// The instantiation of one call's type variables.
#[derive(Debug, Default)]
pub(crate) struct Env {
    vars: [Option<Type>; 4],
    /// `C` is `Seq` (true) or `List` (false); unset means `List`.
    seq: Option<bool>,
}

impl Env {
    fn slot(v: TypeVar) -> usize {
        match v {
            TypeVar::T => 0,
            TypeVar::U => 1,
            TypeVar::N => 2,
            TypeVar::O => 3,
        }
    }

    fn get(&self, v: TypeVar) -> Option<&Type> {
        self.vars[Self::slot(v)].as_ref()
    }

    fn set(&mut self, v: TypeVar, t: Type) {
        self.vars[Self::slot(v)] = Some(t);
    }

    /// The instantiation without the variables bound to the error type.
    fn without_errors(&self) -> Env {
        Env { vars: self.vars.clone().map(|v| v.filter(|t| !t.has_error())), seq: self.seq }
    }
}

/// Candidate types for variables, each with the span of the expression that gave it.
#[derive(Debug, Default)]
struct Candidates {
    vars: Vec<(TypeVar, Type, Span)>,
    seq: Vec<bool>,
}

/// Every variable mentioned by a type.
fn vars_of(t: &Type, out: &mut Vec<TypeVar>) {
    match t {
        Type::Var(v) => out.push(*v),
        Type::List(x) | Type::Seq(x) | Type::Optional(x) | Type::Coll(x) => vars_of(x, out),
        Type::Map(k, v) => {
            vars_of(k, out);
            vars_of(v, out);
        }
        Type::Record(r) => r.fields().iter().for_each(|(_, t)| vars_of(t, out)),
        Type::Union(m) => m.iter().for_each(|t| vars_of(t, out)),
        Type::Function(p, r) => {
            p.iter().for_each(|t| vars_of(t, out));
            vars_of(r, out);
        }
        _ => {}
    }
}

/// Step 1 of §5.8: match `actual` against `template` structurally, collecting candidates.
fn collect(template: &Type, actual: &Type, span: Span, c: &mut Candidates) {
    match (template, actual) {
        (Type::Var(v), a) => c.vars.push((*v, a.clone(), span)),
        // An already-reported error or the empty type says nothing about the structure: every
        // variable inside gets it, which silences further errors or yields `Nothing`.
        (t, a @ (Type::Error | Type::Nothing)) => {
            let mut vs = Vec::new();
            vars_of(t, &mut vs);
            c.vars.extend(vs.into_iter().map(|v| (v, a.clone(), span)));
        }
        (Type::Coll(x), Type::List(a) | Type::Seq(a)) => {
            c.seq.push(matches!(actual, Type::Seq(_)));
            collect(x, a, span, c);
        }
        (Type::List(x) | Type::Seq(x), Type::List(a) | Type::Seq(a)) | (Type::Optional(x), Type::Optional(a)) => {
            collect(x, a, span, c)
        }
        (Type::Map(k, v), Type::Map(ka, va)) => {
            collect(k, ka, span, c);
            collect(v, va, span, c);
        }
        (Type::Record(t), Type::Record(a)) => {
            for (name, ft) in t.fields() {
                if let Some(fa) = a.get(name) {
                    collect(ft, fa, span, c);
                }
            }
        }
        _ => {}
    }
}

/// The template with the bound variables replaced; unbound ones stay (or become `Nothing` when
/// `close` is set).
fn subst(t: &Type, env: &Env, close: bool) -> Type {
    let s = |t: &Type| subst(t, env, close);
    match t {
        Type::Var(v) => match env.get(*v) {
            Some(b) => b.clone(),
            None if close => Type::Nothing,
            None => t.clone(),
        },
        Type::Coll(x) => {
            if env.seq == Some(true) {
                Type::seq(s(x))
            } else {
                Type::list(s(x))
            }
        }
        Type::List(x) => Type::list(s(x)),
        Type::Seq(x) => Type::seq(s(x)),
        Type::Optional(x) => Type::optional(s(x)),
        Type::Map(k, v) => Type::map(s(k), s(v)),
        Type::Record(r) => Type::Record(Record::new(r.fields().iter().map(|(n, t)| (n.clone(), s(t))))),
        Type::Union(m) => Type::union(m.iter().map(s)),
        Type::Function(p, r) => Type::function(p.iter().map(s).collect(), s(r)),
        other => other.clone(),
    }
}

/// `actual` with Int replaced by Float at the `N` positions of `template` when `N` is Float: the
/// only widening of arguments (§5.8 step 3).
fn widen(template: &Type, actual: &Type, env: &Env) -> Type {
    match (template, actual) {
        (Type::Var(TypeVar::N), Type::Int) if env.get(TypeVar::N) == Some(&Type::Float) => Type::Float,
        (Type::List(x) | Type::Seq(x) | Type::Coll(x), Type::List(a)) => Type::list(widen(x, a, env)),
        (Type::List(x) | Type::Seq(x) | Type::Coll(x), Type::Seq(a)) => Type::seq(widen(x, a, env)),
        (Type::Optional(x), Type::Optional(a)) => Type::optional(widen(x, a, env)),
        _ => actual.clone(),
    }
}

impl Checker<'_> {
    /// Step 2 of §5.8 for the variables not yet bound that have candidates.
    fn bind_vars(&mut self, c: &Candidates, env: &mut Env) {
        if env.seq.is_none() && !c.seq.is_empty() {
            env.seq = Some(c.seq.iter().any(|&s| s));
        }
        for v in [TypeVar::T, TypeVar::U, TypeVar::N, TypeVar::O] {
            if env.get(v).is_some() {
                continue;
            }
            let cands: Vec<&(TypeVar, Type, Span)> = c.vars.iter().filter(|(w, _, _)| *w == v).collect();
            if cands.iter().any(|(_, t, _)| t.has_error()) {
                env.set(v, Type::Error);
                continue;
            }
            match v {
                TypeVar::N => {
                    let bad = cands.iter().find(|(_, t, _)| !matches!(t, Type::Int | Type::Float | Type::Nothing));
                    let bound = match bad {
                        Some((_, t, span)) => {
                            let message = format!("Type mismatch: expected Int or Float, got {t}");
                            self.error(Code::E010, *span, message);
                            Type::Error
                        }
                        None if cands.iter().any(|(_, t, _)| *t == Type::Float) => Type::Float,
                        None => Type::Int,
                    };
                    env.set(v, bound);
                }
                _ if cands.is_empty() => {}
                _ => {
                    let mut bound = common_type(cands.iter().map(|(_, t, _)| t));
                    if v == TypeVar::O && !matches!(bound, Type::Int | Type::Float | Type::String | Type::Nothing) {
                        let span = cands.iter().find(|(_, t, _)| !t.is_numeric() && *t != Type::String).map(|c| c.2);
                        let message = format!("Type mismatch: expected Int, Float or String, got {bound}");
                        self.error(Code::E010, span.unwrap_or(cands[0].2), message);
                        bound = Type::Error;
                    }
                    env.set(v, bound);
                }
            }
        }
    }

    pub(crate) fn call(&mut self, call: &Call, span: Span) -> TExpr {
        let registry = self.registry;
        let failed = |this: &mut Self| {
            for arg in &call.args {
                if !matches!(arg.kind, ExprKind::Lambda(_)) {
                    this.infer(arg);
                }
            }
            // The function is unknown: whether it takes batches is too (no W002 on top of the error).
            this.options(call.with.as_deref(), Type::Error, &call.callee.text, true);
            TExpr { ty: Type::Error, span, kind: TExprKind::Bool(false) }
        };
        if self.imports.through_broken_alias(&call.callee) {
            return failed(self);
        }
        let function = match resolve_function(registry, &self.imports, &call.callee) {
            Ok(f) => f,
            Err(d) => {
                self.report(d);
                return failed(self);
            }
        };
        let sig = &function.signature;
        if call.args.len() != sig.params.len() {
            let message = format!(
                "Function '{}' expects {} argument(s), got {}",
                call.callee.text,
                sig.params.len(),
                call.args.len()
            );
            self.error(Code::E011, span, message);
            return failed(self);
        }

        // Non-lambda arguments first.
        let mut typed: Vec<Option<TExpr>> = Vec::with_capacity(call.args.len());
        for (arg, param) in call.args.iter().zip(&sig.params) {
            let is_lambda = matches!(arg.kind, ExprKind::Lambda(_));
            typed.push(match (is_lambda, &param.ty) {
                (true, Type::Function(..)) => None,
                _ => Some(self.infer(arg)),
            });
        }
        let mut candidates = Candidates::default();
        for ((t, param), arg) in typed.iter().zip(&sig.params).zip(&call.args) {
            if let Some(t) = t
                && !matches!(param.ty, Type::Function(..))
            {
                collect(&param.ty, &t.ty, arg.span, &mut candidates);
            }
        }
        let mut env = Env::default();
        self.bind_vars(&candidates, &mut env);

        // Check the arguments against their instantiated parameters.
        for ((slot, param), arg) in typed.iter_mut().zip(&sig.params).zip(&call.args) {
            let Some(t) = slot.take() else { continue };
            let target = subst(&param.ty, &env, false);
            *slot = Some(if let Type::Function(..) = param.ty {
                // Show the parameter with only the variables the call determined.
                let shown = subst(&param.ty, &env.without_errors(), false);
                self.mismatch(&shown, &t.ty, t.span);
                t
            } else if is_subtype(&widen(&param.ty, &t.ty, &env), &target) {
                Self::convert(t, &target)
            } else {
                self.conform(t, arg, &target)
            });
        }

        // Lambdas, in order.
        for ((slot, param), arg) in typed.iter_mut().zip(&sig.params).zip(&call.args) {
            if let (None, ExprKind::Lambda(lambda), Type::Function(params, ret)) = (&slot, &arg.kind, &param.ty) {
                *slot = Some(self.lambda(lambda, arg.span, params, ret, &mut env));
            }
        }

        // A call whose arguments have errors has the error type: no follow-on diagnostics.
        let ret =
            if typed.iter().flatten().any(|t| t.ty.has_error()) { Type::Error } else { subst(&sig.ret, &env, true) };
        let takes_batches = self.registry.get(&sig.name).is_some_and(|f| f.takes_batches());
        let (ty, fallback) = self.options(call.with.as_deref(), ret, &call.callee.text, takes_batches);
        let mut options = call.with.as_ref().map(|w| w.options.clone()).unwrap_or_default();
        options.fallback = None;
        let args = typed.into_iter().flatten().collect();
        let call = TCall { function: sig.name.clone(), args, options, fallback };
        TExpr { ty, span, kind: TExprKind::Call(Box::new(call)) }
    }

    /// Checks a lambda against the function type `(params) => ret` of its parameter (§4.17).
    fn lambda(&mut self, lambda: &Lambda, span: Span, params: &[Type], ret: &Type, env: &mut Env) -> TExpr {
        let expected: Vec<Type> = params.iter().map(|p| subst(p, env, false)).collect();
        let arity_ok = lambda.params.len() == expected.len();
        if !arity_ok {
            let message = format!("Lambda has {} parameter(s) but expected {}", lambda.params.len(), expected.len());
            self.error(Code::E015, span, message);
        }
        for (i, p) in lambda.params.iter().enumerate() {
            if lambda.params[..i].iter().any(|q| q.name.name == p.name.name) {
                self.error(Code::E015, p.name.span, format!("Duplicate lambda parameter '{}'", p.name.name));
            }
        }
        let mut locals = Vec::with_capacity(lambda.params.len());
        for (i, p) in lambda.params.iter().enumerate() {
            let given = if arity_ok { expected[i].clone() } else { Type::Error };
            let ty = match &p.ty {
                Some(annotation) => {
                    let a = self.resolve_type(annotation);
                    if !is_subtype(&given, &a) {
                        self.mismatch(&a, &given, annotation.span);
                    }
                    a
                }
                None => given,
            };
            locals.push(self.bind_local(&p.name.name, ty));
        }
        // A lambda over a statically empty collection never runs: resolve names only.
        let unreachable = expected.contains(&Type::Nothing);
        self.suppress += u32::from(unreachable);
        let body = self.infer(&lambda.body);
        self.suppress -= u32::from(unreachable);
        self.end_locals(locals.len());

        let mut pending = Vec::new();
        vars_of(&subst(ret, env, false), &mut pending);
        let body = if !arity_ok || unreachable {
            let filler = if arity_ok { Type::Nothing } else { Type::Error };
            pending.into_iter().for_each(|v| env.set(v, filler.clone()));
            body
        } else {
            if !pending.is_empty() {
                let mut c = Candidates::default();
                collect(ret, &body.ty, body.span, &mut c);
                self.bind_vars(&c, env);
            }
            let r = subst(ret, env, true);
            self.conform(body, &lambda.body, &r)
        };
        // A lambda that never runs returns nothing, whatever its (unchecked) body says.
        let result = if unreachable && arity_ok { Type::Nothing } else { body.ty.clone() };
        let ty = Type::function(expected, result);
        TExpr { ty, span, kind: TExprKind::Lambda(Box::new(TLambda { params: locals, body })) }
    }
}

/// The record type of `on_error: wrap`: `{ error: Optional<String>, value: Optional<T> }`.
pub(crate) fn wrapped(t: Type) -> Type {
    Type::Record(Record::new([
        (Name::from("error"), Type::optional(Type::String)),
        (Name::from("value"), Type::optional(t)),
    ]))
}
