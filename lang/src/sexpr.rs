//! A compact S-expression rendering of the AST, for snapshot tests and `asterism compile --emit ast`.
//!
//! Takes: a `Program`. Gives: one line per declaration, nesting shown by parentheses, so that
//! precedence and associativity are visible at a glance: `x = 1 + 2 * 3` → `(= x (+ 1 (* 2 3)))`.

use crate::ast::options::{CallOptions, WithClause};
use crate::ast::*;
use std::fmt::Write;

pub fn program(p: &Program) -> String {
    let mut out = String::new();
    for d in &p.decls {
        decl(&mut out, d);
        out.push('\n');
    }
    out
}

fn decl(out: &mut String, d: &Decl) {
    match &d.kind {
        DeclKind::Type { name, ty } => {
            let _ = write!(out, "(type {} ", name.name);
            type_expr(out, ty);
            out.push(')');
        }
        DeclKind::Input { annotations, name, ty } => {
            let _ = write!(out, "(in {} ", name.name);
            type_expr(out, ty);
            annotations_of(out, annotations);
            out.push(')');
        }
        DeclKind::Output { annotations, name } => {
            let _ = write!(out, "(out {}", name.name);
            annotations_of(out, annotations);
            out.push(')');
        }
        DeclKind::Use { path, alias } => {
            let _ = write!(out, "(use {}", path.text);
            if let Some(a) = alias {
                let _ = write!(out, " as {}", a.name);
            }
            out.push(')');
        }
        DeclKind::Assign { name, value } => {
            let _ = write!(out, "(= {} ", name.name);
            expr(out, value);
            out.push(')');
        }
        DeclKind::Broken { defines, .. } => {
            let name = match defines {
                Some(Defines::Variable(i) | Defines::TypeAlias(i) | Defines::ImportAlias(i)) => i.name.as_str(),
                None => "-",
            };
            let _ = write!(out, "(broken {name})");
        }
    }
}

fn annotations_of(out: &mut String, annotations: &[Annotation]) {
    for a in annotations {
        let _ = write!(out, " @{}(", a.name.name);
        match &a.args {
            AnnotationArgs::Expr(e) => expr(out, e),
            AnnotationArgs::Connector { connector, args } => {
                let _ = write!(out, "{connector:?}");
                for (k, v) in args {
                    let _ = write!(out, " {}: ", k.name);
                    expr(out, v);
                }
            }
        }
        out.push(')');
    }
}

fn type_expr(out: &mut String, t: &TypeExpr) {
    grow_stack(|| type_expr_here(out, t))
}

fn type_expr_here(out: &mut String, t: &TypeExpr) {
    match &t.kind {
        TypeExprKind::Named(n) => out.push_str(&n.name),
        TypeExprKind::Applied { name, args } => {
            let _ = write!(out, "{}<", name.name);
            list(out, args, ", ", type_expr);
            out.push('>');
        }
        TypeExprKind::Record(fields) => {
            out.push('{');
            for (i, (n, ty)) in fields.iter().enumerate() {
                let _ = write!(out, "{}{}: ", if i > 0 { ", " } else { "" }, n.name);
                type_expr(out, ty);
            }
            out.push('}');
        }
        TypeExprKind::Union(members) => {
            out.push_str("(| ");
            list(out, members, " ", type_expr);
            out.push(')');
        }
        TypeExprKind::Merge(parts) => {
            out.push_str("(+ ");
            list(out, parts, " ", type_expr);
            out.push(')');
        }
    }
}

fn list<T>(out: &mut String, items: &[T], sep: &str, f: fn(&mut String, &T)) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        f(out, item);
    }
}

pub fn expr(out: &mut String, e: &Expr) {
    grow_stack(|| expr_here(out, e))
}

fn expr_here(out: &mut String, e: &Expr) {
    match &e.kind {
        ExprKind::Int(n) => {
            let _ = write!(out, "{n}");
        }
        ExprKind::Float(x) => {
            let _ = write!(out, "{x:?}");
        }
        ExprKind::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        ExprKind::Str(s) => {
            let _ = write!(out, "{s:?}");
        }
        ExprKind::Interp(parts) => {
            out.push_str("(interp");
            for p in parts {
                out.push(' ');
                match p {
                    InterpPart::Text(s) => {
                        let _ = write!(out, "{s:?}");
                    }
                    InterpPart::Expr(e) => expr(out, e),
                }
            }
            out.push(')');
        }
        ExprKind::Var(i) => out.push_str(&i.name),
        ExprKind::Call(c) => {
            let _ = write!(out, "(call {}", c.callee.text);
            for a in &c.args {
                out.push(' ');
                expr(out, a);
            }
            if let Some(w) = &c.with {
                with(out, w);
            }
            out.push(')');
        }
        ExprKind::Field { target, field, .. } => {
            out.push_str("(. ");
            expr(out, target);
            let _ = write!(out, " {})", field.name);
        }
        ExprKind::Project { target, fields, .. } => {
            out.push_str("(project ");
            expr(out, target);
            for f in fields {
                let _ = write!(out, " {}", f.name);
            }
            out.push(')');
        }
        ExprKind::List(items) => {
            out.push('[');
            list(out, items, " ", expr);
            out.push(']');
        }
        ExprKind::Record(fields) => {
            out.push('{');
            for (i, f) in fields.iter().enumerate() {
                let _ = write!(out, "{}{}: ", if i > 0 { ", " } else { "" }, f.name.name);
                expr(out, &f.value);
            }
            out.push('}');
        }
        ExprKind::Neg(e) => unary(out, "neg", e),
        ExprKind::Not(e) => unary(out, "not", e),
        ExprKind::Binary { op, lhs, rhs } => binary(out, op.symbol(), lhs, rhs),
        ExprKind::Compare { op, lhs, rhs } => binary(out, op.symbol(), lhs, rhs),
        ExprKind::Logic { op, lhs, rhs } => binary(out, op.word(), lhs, rhs),
        ExprKind::If { cond, then, otherwise } => {
            out.push_str("(if ");
            list(out, &[cond, then, otherwise], " ", |o, e| expr(o, e));
            out.push(')');
        }
        ExprKind::Branch { arms, otherwise } => {
            out.push_str("(branch");
            for (c, v) in arms {
                out.push_str(" (");
                expr(out, c);
                out.push_str(" -> ");
                expr(out, v);
                out.push(')');
            }
            out.push_str(" (otherwise -> ");
            expr(out, otherwise);
            out.push_str("))");
        }
        ExprKind::Guard { value, cond } => binary(out, "when", value, cond),
        ExprKind::Coalesce { value, default } => binary(out, "??", value, default),
        ExprKind::Match { scrutinee, cases } => {
            out.push_str("(match ");
            expr(out, scrutinee);
            for c in cases {
                out.push_str(" (");
                match &c.pattern.kind {
                    PatternKind::Record(fields) => {
                        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
                        let _ = write!(out, "{{{}}}", names.join(", "));
                    }
                    PatternKind::Wildcard => out.push('_'),
                    PatternKind::Is(n) => {
                        let _ = write!(out, "is {}", n.name);
                    }
                }
                out.push_str(" -> ");
                expr(out, &c.body);
                out.push(')');
            }
            out.push(')');
        }
        ExprKind::Lambda(l) => {
            out.push_str("(lambda (");
            for (i, p) in l.params.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(&p.name.name);
                if let Some(t) = &p.ty {
                    out.push_str(": ");
                    type_expr(out, t);
                }
            }
            out.push_str(") ");
            expr(out, &l.body);
            out.push(')');
        }
    }
}

fn unary(out: &mut String, op: &str, e: &Expr) {
    let _ = write!(out, "({op} ");
    expr(out, e);
    out.push(')');
}

fn binary(out: &mut String, op: &str, l: &Expr, r: &Expr) {
    let _ = write!(out, "({op} ");
    expr(out, l);
    out.push(' ');
    expr(out, r);
    out.push(')');
}

fn with(out: &mut String, w: &WithClause) {
    out.push_str(" with {");
    let CallOptions {
        retry,
        timeout,
        delay,
        backoff,
        fallback,
        cache,
        cache_backend,
        throttle,
        concurrency,
        on_error,
        lazy,
        priority,
        batch,
        batch_timeout,
        window,
        checkpoint,
        join,
    } = &w.options;
    let mut items: Vec<String> = Vec::new();
    let mut add = |name: &str, value: Option<String>| {
        if let Some(v) = value {
            items.push(format!("{name}: {v}"));
        }
    };
    add("retry", retry.as_ref().map(|o| o.value.to_string()));
    add("timeout", timeout.as_ref().map(|o| format!("{}ms", o.value)));
    add("delay", delay.as_ref().map(|o| format!("{}ms", o.value)));
    add("backoff", backoff.as_ref().map(|o| format!("{:?}", o.value)));
    add(
        "fallback",
        fallback.as_ref().map(|f| {
            let mut s = String::new();
            expr(&mut s, &f.expr);
            s
        }),
    );
    add("cache", cache.as_ref().map(|o| format!("{}ms", o.value)));
    add("cache_backend", cache_backend.as_ref().map(|o| format!("{:?}", o.value)));
    add("throttle", throttle.as_ref().map(|o| format!("{}/{}ms", o.value.count, o.value.per_ms)));
    add("concurrency", concurrency.as_ref().map(|o| o.value.to_string()));
    add("on_error", on_error.as_ref().map(|o| format!("{:?}", o.value)));
    add("lazy", lazy.as_ref().map(|o| o.value.to_string()));
    add("priority", priority.as_ref().map(|o| o.value.to_string()));
    add("batch", batch.as_ref().map(|o| o.value.to_string()));
    add("batch_timeout", batch_timeout.as_ref().map(|o| format!("{}ms", o.value)));
    add("window", window.as_ref().map(|o| format!("{:?}", o.value)));
    add("checkpoint", checkpoint.as_ref().map(|o| format!("{}ms", o.value)));
    add("join", join.as_ref().map(|o| format!("{:?}", o.value)));
    out.push_str(&items.join(", "));
    out.push('}');
}
