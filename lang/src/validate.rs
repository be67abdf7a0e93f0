//! Structural invariants of a parsed program, checked by the fixture tests and the fuzz target.
//!
//! Takes: a `Program` and the length of its source. Gives: the first violation found, if any:
//! a span out of bounds or reversed, a child span outside its parent's, or nesting deeper than
//! `MAX_DEPTH`.

use crate::ast::*;
use crate::span::Span;

/// Checks every span of the program; `Err` describes the first violation.
pub fn check_spans(program: &Program, len: usize) -> Result<(), String> {
    let whole = Span::new(0, len);
    for decl in &program.decls {
        inside(decl.span, whole, "declaration")?;
        let d = decl.span;
        match &decl.kind {
            DeclKind::Type { name, ty } => {
                inside(name.span, d, "type name")?;
                type_expr(ty, d)?;
            }
            DeclKind::Input { annotations, name, ty } => {
                annotations_in(annotations, d)?;
                inside(name.span, d, "input name")?;
                type_expr(ty, d)?;
            }
            DeclKind::Output { annotations, name } => {
                annotations_in(annotations, d)?;
                inside(name.span, d, "output name")?;
            }
            DeclKind::Use { path, alias } => {
                inside(path.span, d, "use path")?;
                if let Some(a) = alias {
                    inside(a.span, d, "use alias")?;
                }
            }
            DeclKind::Assign { name, value } => {
                inside(name.span, d, "assigned name")?;
                expr(value, d)?;
            }
            DeclKind::Broken { .. } => {}
        }
    }
    Ok(())
}

fn inside(span: Span, parent: Span, what: &str) -> Result<(), String> {
    if span.start <= span.end && parent.start <= span.start && span.end <= parent.end {
        Ok(())
    } else {
        Err(format!("{what} span {span:?} is not inside {parent:?}"))
    }
}

fn annotations_in(annotations: &[Annotation], parent: Span) -> Result<(), String> {
    for a in annotations {
        inside(a.span, parent, "annotation")?;
        inside(a.name.span, a.span, "annotation name")?;
        match &a.args {
            AnnotationArgs::Expr(e) => expr(e, a.span)?,
            AnnotationArgs::Connector { args, .. } => {
                for (k, v) in args {
                    inside(k.span, a.span, "annotation key")?;
                    expr(v, a.span)?;
                }
            }
        }
    }
    Ok(())
}

fn type_expr(t: &TypeExpr, parent: Span) -> Result<(), String> {
    grow_stack(|| type_expr_here(t, parent))
}

fn type_expr_here(t: &TypeExpr, parent: Span) -> Result<(), String> {
    inside(t.span, parent, "type")?;
    if t.depth > MAX_TYPE_DEPTH {
        return Err(format!("type at {:?} nests {} levels", t.span, t.depth));
    }
    match &t.kind {
        TypeExprKind::Named(n) => inside(n.span, t.span, "type name"),
        TypeExprKind::Applied { name, args } => {
            inside(name.span, t.span, "type name")?;
            args.iter().try_for_each(|a| type_expr(a, t.span))
        }
        TypeExprKind::Record(fields) => fields.iter().try_for_each(|(n, ft)| {
            inside(n.span, t.span, "field name")?;
            type_expr(ft, t.span)
        }),
        TypeExprKind::Union(parts) | TypeExprKind::Merge(parts) => parts.iter().try_for_each(|p| type_expr(p, t.span)),
    }
}

fn expr(e: &Expr, parent: Span) -> Result<(), String> {
    grow_stack(|| expr_here(e, parent))
}

fn expr_here(e: &Expr, parent: Span) -> Result<(), String> {
    inside(e.span, parent, "expression")?;
    if e.depth > MAX_DEPTH {
        return Err(format!("expression at {:?} nests {} levels", e.span, e.depth));
    }
    match &e.kind {
        ExprKind::Var(n) => inside(n.span, e.span, "variable")?,
        ExprKind::Call(c) => {
            inside(c.callee.span, e.span, "callee")?;
            if let Some(w) = &c.with {
                inside(w.span, e.span, "with clause")?;
            }
        }
        ExprKind::Field { field, access, .. } => {
            inside(*access, e.span, "field access")?;
            inside(field.span, *access, "field name")?;
        }
        ExprKind::Project { fields, brackets, .. } => {
            inside(*brackets, e.span, "projection")?;
            fields.iter().try_for_each(|f| inside(f.span, *brackets, "projected field"))?;
        }
        ExprKind::Record(fields) => fields.iter().try_for_each(|f| inside(f.name.span, e.span, "field name"))?,
        ExprKind::Match { cases, .. } => cases.iter().try_for_each(|c| inside(c.pattern.span, e.span, "pattern"))?,
        ExprKind::Lambda(l) => l.params.iter().try_for_each(|p| {
            inside(p.name.span, e.span, "parameter")?;
            p.ty.as_ref().map_or(Ok(()), |t| type_expr(t, e.span))
        })?,
        _ => {}
    }
    let mut result = Ok(());
    e.for_each_child(|c| {
        if result.is_ok() {
            result = expr(c, e.span);
        }
    });
    result
}
