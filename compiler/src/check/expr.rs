//! Inference of expressions (SPEC §4.4–§4.17), except calls (`call`) and `match` (`pattern`).
//!
//! Each rule gives the expression's type and the typed node; operands are converted explicitly to
//! the type the operation works at (lub of arms, common type of list elements, Float for mixed
//! arithmetic and comparisons).

use super::Checker;
use super::types::merge_error;
use crate::typed::{TExpr, TExprKind, TPart};
use asterism_lang::ast::{BinOp, Expr, ExprKind, Ident, InterpPart, MAX_TYPE_DEPTH, grow_stack};
use asterism_lang::suggest;
use asterism_lang::{Code, Diagnostic, Span};
use asterism_registry::{Name, Record, Type, common_type, is_mergeable, is_subtype, lub, merge};
use std::collections::HashMap;

/// How a field access or projection applies to its target's type.
enum View<'t> {
    Record(&'t Record),
    /// Element-wise over `List<record>` (`false`) or `Seq<record>` (`true`).
    Lifted(&'t Record, bool),
    NotRecord,
    Error,
}

fn view(t: &Type) -> View<'_> {
    match t {
        Type::Error => View::Error,
        Type::Record(r) => View::Record(r),
        Type::List(e) | Type::Seq(e) => match &**e {
            Type::Record(r) => View::Lifted(r, matches!(t, Type::Seq(_))),
            Type::Error => View::Error,
            _ => View::NotRecord,
        },
        _ => View::NotRecord,
    }
}

fn lift(t: Type, seq: bool) -> Type {
    if seq { Type::seq(t) } else { Type::list(t) }
}

/// The fields of `r` for a message: all of them, or the first `AVAILABLE` and how many more.
fn available(r: &Record) -> String {
    const AVAILABLE: usize = 50;
    match r.len() {
        0 => "none".to_string(),
        n if n <= AVAILABLE => r.names().collect::<Vec<_>>().join(", "),
        n => format!("{}, … ({} more)", r.names().take(AVAILABLE).collect::<Vec<_>>().join(", "), n - AVAILABLE),
    }
}

impl Checker<'_> {
    pub(crate) fn infer(&mut self, e: &Expr) -> TExpr {
        let mut t = grow_stack(|| self.infer_here(e));
        // Only these constructs build deeper types than their parts have.
        let deepens =
            matches!(e.kind, ExprKind::List(_) | ExprKind::Record(_) | ExprKind::Guard { .. } | ExprKind::Call(_));
        // Size first: it stops early, where walking a type built of shared parts would not.
        if deepens && !t.ty.has_error() {
            t.ty = self.within_size(t.ty, e.span);
        }
        if deepens && t.ty.depth() > MAX_TYPE_DEPTH {
            if !t.ty.has_error() {
                let message = format!("Type nesting too deep: types may nest at most {MAX_TYPE_DEPTH} levels");
                self.error(Code::E015, e.span, message);
            }
            t.ty = Type::Error;
        }
        t
    }

    fn infer_here(&mut self, e: &Expr) -> TExpr {
        let span = e.span;
        let node = |ty: Type, kind: TExprKind| TExpr { ty, span, kind };
        match &e.kind {
            ExprKind::Int(n) => node(Type::Int, TExprKind::Int(*n)),
            ExprKind::Float(x) => node(Type::Float, TExprKind::Float(*x)),
            ExprKind::Bool(b) => node(Type::Boolean, TExprKind::Bool(*b)),
            ExprKind::Str(s) => node(Type::String, TExprKind::Str(s.clone())),
            ExprKind::Interp(parts) => {
                let parts = parts
                    .iter()
                    .map(|p| match p {
                        InterpPart::Text(s) => TPart::Text(s.clone()),
                        InterpPart::Expr(e) => TPart::Expr(self.infer(e)),
                    })
                    .collect();
                node(Type::String, TExprKind::Interp(parts))
            }
            ExprKind::Var(name) => self.variable(name),
            ExprKind::Call(call) => self.call(call, span),
            ExprKind::Field { target, field, access } => self.field(span, target, field, *access),
            ExprKind::Project { target, fields, brackets } => self.project(span, target, fields, *brackets),
            ExprKind::List(items) => {
                let items: Vec<TExpr> = items.iter().map(|i| self.infer(i)).collect();
                let elem = common_type(items.iter().map(|i| &i.ty));
                let items = items.into_iter().map(|i| Self::convert(i, &elem)).collect();
                node(Type::list(elem), TExprKind::List(items))
            }
            ExprKind::Record(fields) => {
                let values: Vec<TExpr> = fields.iter().map(|f| self.infer(&f.value)).collect();
                let record =
                    Record::new(fields.iter().zip(&values).map(|(f, v)| (Name::from(&*f.name.name), v.ty.clone())));
                // Where each field's value is (the last one written for a repeated name).
                let written: HashMap<&str, usize> =
                    fields.iter().enumerate().map(|(k, f)| (f.name.name.as_str(), k)).collect();
                let layout = record.names().map(|n| written.get(n).copied().unwrap_or_default()).collect();
                node(Type::Record(record), TExprKind::Record { values, layout })
            }
            ExprKind::Neg(operand) => {
                let t = self.infer(operand);
                let ty = match t.ty {
                    Type::Int | Type::Float | Type::Error => t.ty.clone(),
                    ref other => {
                        let message = format!("Arithmetic operator '-' is not supported for type {other}");
                        self.error(Code::E014, span, message);
                        Type::Error
                    }
                };
                node(ty, TExprKind::Neg(Box::new(t)))
            }
            ExprKind::Not(operand) => {
                let t = self.condition(operand);
                node(Type::Boolean, TExprKind::Not(Box::new(t)))
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(span, *op, lhs, rhs),
            ExprKind::Compare { op, lhs, rhs } => {
                let l = self.infer(lhs);
                let r = self.infer(rhs);
                let numeric = l.ty.is_numeric() && r.ty.is_numeric();
                let at = if l.ty.has_error() || r.ty.has_error() {
                    Type::Error
                } else if numeric && l.ty != r.ty {
                    Type::Float
                } else if is_subtype(&l.ty, &r.ty) {
                    r.ty.clone()
                } else if is_subtype(&r.ty, &l.ty) {
                    l.ty.clone()
                } else {
                    self.mismatch(&l.ty, &r.ty, r.span);
                    Type::Error
                };
                let orderable = numeric || (l.ty == Type::String && r.ty == Type::String);
                if op.is_ordering() && !orderable && !at.has_error() {
                    let message =
                        format!("Operator '{}' is not supported for types {} and {}", op.symbol(), l.ty, r.ty);
                    self.error(Code::E013, span, message);
                }
                let (l, r) = (Self::convert(l, &at), Self::convert(r, &at));
                node(Type::Boolean, TExprKind::Compare { op: *op, lhs: Box::new(l), rhs: Box::new(r) })
            }
            ExprKind::Logic { op, lhs, rhs } => {
                let l = self.condition(lhs);
                let r = self.condition(rhs);
                node(Type::Boolean, TExprKind::Logic { op: *op, lhs: Box::new(l), rhs: Box::new(r) })
            }
            ExprKind::If { cond, then, otherwise } => {
                let c = self.condition(cond);
                let t = self.infer(then);
                let o = self.infer(otherwise);
                let ty = lub(&t.ty, &o.ty);
                let (t, o) = (Self::convert(t, &ty), Self::convert(o, &ty));
                node(ty, TExprKind::If { cond: Box::new(c), then: Box::new(t), otherwise: Box::new(o) })
            }
            ExprKind::Branch { arms, otherwise } => {
                let arms: Vec<(TExpr, TExpr)> = arms.iter().map(|(c, v)| (self.condition(c), self.infer(v))).collect();
                let o = self.infer(otherwise);
                let ty = common_type(arms.iter().map(|(_, v)| &v.ty).chain([&o.ty]));
                let arms = arms.into_iter().map(|(c, v)| (c, Self::convert(v, &ty))).collect();
                let o = Self::convert(o, &ty);
                node(ty, TExprKind::Branch { arms, otherwise: Box::new(o) })
            }
            ExprKind::Guard { value, cond } => {
                let c = self.condition(cond);
                let v = self.infer(value);
                node(Type::optional(v.ty.clone()), TExprKind::Guard { value: Box::new(v), cond: Box::new(c) })
            }
            ExprKind::Coalesce { value, default } => {
                let v = self.infer(value);
                let d = self.infer(default);
                let ty = match &v.ty {
                    Type::Error => Type::Error,
                    Type::Optional(inner) if is_subtype(&d.ty, inner) => (**inner).clone(),
                    Type::Optional(_) if is_subtype(&d.ty, &v.ty) => v.ty.clone(),
                    Type::Optional(inner) => {
                        let inner = (**inner).clone();
                        self.mismatch(&inner, &d.ty, d.span);
                        Type::Error
                    }
                    other => {
                        let message = format!("Left side of ?? must be Optional, got {other}");
                        self.error(Code::E015, v.span, message);
                        Type::Error
                    }
                };
                let d = Self::convert(d, &ty);
                node(ty, TExprKind::Coalesce { value: Box::new(v), default: Box::new(d) })
            }
            ExprKind::Match { scrutinee, cases } => self.infer_match(span, scrutinee, cases),
            ExprKind::Lambda(_) => {
                self.error(Code::E015, span, "Lambda can only be an argument of a higher-order function");
                node(Type::Error, TExprKind::Bool(false))
            }
        }
    }

    fn field(&mut self, span: Span, target: &Expr, field: &Ident, access: Span) -> TExpr {
        let t = self.infer(target);
        let (ty, index, lifted) = match view(&t.ty) {
            View::Error => (Type::Error, 0, false),
            View::NotRecord => {
                self.error(Code::E015, span, format!("Field access requires a record type, got {}", t.ty));
                (Type::Error, 0, false)
            }
            View::Record(r) | View::Lifted(r, _) => match r.index_of(&field.name) {
                Some(i) => {
                    let ft = r.fields()[i].1.clone();
                    match view(&t.ty) {
                        View::Lifted(_, seq) => (lift(ft, seq), i, true),
                        _ => (ft, i, false),
                    }
                }
                None => {
                    let message =
                        format!("Invalid field access: field '{}' not found. Available: {}", field.name, available(r));
                    let mut d = Diagnostic::new(Code::E007, access, message);
                    let found = suggest::candidates(&field.name, r.names(), &mut self.suggestions);
                    if let Some(help) = suggest::help(&found, true) {
                        d = d.with_help(help);
                    }
                    let d = d.with_help(format!("available fields: {}", available(r)));
                    self.report(d);
                    (Type::Error, 0, false)
                }
            },
        };
        TExpr { ty, span, kind: TExprKind::Field { target: Box::new(t), index, lifted } }
    }

    fn project(&mut self, span: Span, target: &Expr, fields: &[Ident], brackets: Span) -> TExpr {
        let t = self.infer(target);
        let (record, seq) = match view(&t.ty) {
            View::Error => return TExpr { ty: Type::Error, span, kind: TExprKind::Convert(Box::new(t)) },
            View::NotRecord => {
                self.error(Code::E015, span, format!("Projection requires a record type, got {}", t.ty));
                return TExpr { ty: Type::Error, span, kind: TExprKind::Convert(Box::new(t)) };
            }
            View::Record(r) => (r.clone(), None),
            View::Lifted(r, seq) => (r.clone(), Some(seq)),
        };
        let mut ok = true;
        for f in fields.iter().filter(|f| record.get(&f.name).is_none()) {
            ok = false;
            let message =
                format!("Invalid projection: field '{}' not found. Available: {}", f.name, available(&record));
            let mut d = Diagnostic::new(Code::E006, brackets, message);
            let found = suggest::candidates(&f.name, record.names(), &mut self.suggestions);
            if let Some(help) = suggest::help(&found, false) {
                d = d.with_help(help);
            }
            self.report(d.with_help(format!("available fields: {}", available(&record))));
        }
        if !ok {
            return TExpr { ty: Type::Error, span, kind: TExprKind::Convert(Box::new(t)) };
        }
        let projected = record.project(fields.iter().map(|f| f.name.as_str()));
        let indices = projected.names().filter_map(|n| record.index_of(n)).collect();
        let ty = match seq {
            None => Type::Record(projected),
            Some(seq) => lift(Type::Record(projected), seq),
        };
        TExpr { ty, span, kind: TExprKind::Project { target: Box::new(t), indices, lifted: seq.is_some() } }
    }

    /// `+ - * / %` (SPEC §4.6): merge, Int or Float arithmetic, or String concatenation.
    fn binary(&mut self, span: Span, op: BinOp, lhs: &Expr, rhs: &Expr) -> TExpr {
        let l = self.infer(lhs);
        let r = self.infer(rhs);
        let node = |ty: Type, kind: TExprKind| TExpr { ty, span, kind };
        let (lt, rt) = (l.ty.clone(), r.ty.clone());
        let (lb, rb) = (Box::new(l), Box::new(r));
        if lt.has_error() || rt.has_error() {
            return node(Type::Error, TExprKind::Arith { op, lhs: lb, rhs: rb });
        }
        if is_mergeable(&lt) && is_mergeable(&rt) && op == BinOp::Add {
            return match merge(&lt, &rt) {
                Some(ty) => node(ty, TExprKind::Merge { lhs: lb, rhs: rb }),
                None => {
                    self.report(merge_error(span, &lt, &rt));
                    node(Type::Error, TExprKind::Merge { lhs: lb, rhs: rb })
                }
            };
        }
        match (&lt, &rt) {
            (Type::Int, Type::Int) => node(Type::Int, TExprKind::Arith { op, lhs: lb, rhs: rb }),
            (Type::Int | Type::Float, Type::Int | Type::Float) => {
                let (lhs, rhs) =
                    (Box::new(Self::convert(*lb, &Type::Float)), Box::new(Self::convert(*rb, &Type::Float)));
                node(Type::Float, TExprKind::Arith { op, lhs, rhs })
            }
            (Type::String, Type::String) if op == BinOp::Add => {
                node(Type::String, TExprKind::Concat { lhs: lb, rhs: rb })
            }
            _ => {
                let message = format!("Arithmetic operator '{}' is not supported for types {lt} and {rt}", op.symbol());
                let mut d = Diagnostic::new(Code::E014, span, message);
                if op == BinOp::Add && (lt == Type::String || rt == Type::String) {
                    d = d.with_help("build text with interpolation, e.g. \"${a}${b}\"");
                }
                self.report(d);
                node(Type::Error, TExprKind::Arith { op, lhs: lb, rhs: rb })
            }
        }
    }
}
