//! `match` (SPEC §4.16): coverage of the scrutinee's members, bindings, exhaustiveness.
//!
//! A record pattern covers the record members that have all its fields and binds each field at
//! the lub of its types over the covered members; `is Name` covers the member equal to the named
//! type; `_` covers everything. Each member is dispatched to the first case (in source order) that
//! covers it. The result type is the left fold of `lub` over the bodies.

use super::Checker;
use crate::typed::{TCase, TExpr, TExprKind};
use asterism_lang::Code;
use asterism_lang::ast::{Expr, MatchCase, PatternKind};
use asterism_lang::{Diagnostic, Span};
use asterism_registry::{Name, Type, common_type, lub};

impl Checker<'_> {
    pub(crate) fn infer_match(&mut self, span: Span, scrutinee: &Expr, cases: &[MatchCase]) -> TExpr {
        let s = self.infer(scrutinee);
        let known = !s.ty.has_error();
        let members: Vec<Type> = if known { s.ty.members().to_vec() } else { Vec::new() };
        let mut covered = vec![false; members.len()];
        let reported = self.diagnostics.len();
        // A pattern naming an undefined type (E003) covers nothing we can know of.
        let mut unknown_pattern = false;
        let mut typed_cases = Vec::with_capacity(cases.len());
        for case in cases {
            let pattern = &case.pattern;
            let mut bindings: Vec<(Name, Type)> = Vec::new();
            let covers: Vec<usize> = match &pattern.kind {
                PatternKind::Wildcard => (0..members.len()).collect(),
                PatternKind::Record(fields) => {
                    let covers: Vec<usize> = (0..members.len())
                        .filter(|&i| match &members[i] {
                            Type::Record(r) => fields.iter().all(|f| r.get(&f.name).is_some()),
                            _ => false,
                        })
                        .collect();
                    if covers.is_empty() && known {
                        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
                        let message = format!("Pattern {{ {} }} cannot match type {}", names.join(", "), s.ty);
                        self.error(Code::E010, pattern.span, message);
                    }
                    for f in fields {
                        let types: Vec<Type> = covers
                            .iter()
                            .filter_map(|&i| match &members[i] {
                                Type::Record(r) => r.get(&f.name).cloned(),
                                _ => None,
                            })
                            .collect();
                        let ty = if covers.is_empty() { Type::Error } else { common_type(&types) };
                        bindings.push((Name::from(f.name.as_str()), ty));
                    }
                    covers
                }
                PatternKind::Is(name) => match self.named_type(&name.name, name.span) {
                    Some(t) if known => match members.iter().position(|m| *m == t) {
                        Some(i) => vec![i],
                        None => {
                            let message = format!("Pattern is {} cannot match type {}", name.name, s.ty);
                            self.error(Code::E010, pattern.span, message);
                            Vec::new()
                        }
                    },
                    Some(_) => Vec::new(),
                    None => {
                        unknown_pattern = true;
                        Vec::new()
                    }
                },
            };
            let chosen: Vec<usize> = covers.iter().copied().filter(|&i| !covered[i]).collect();
            for &i in &covers {
                covered[i] = true;
            }
            let locals: Vec<_> = bindings.iter().map(|(n, t)| (self.bind_local(n, t.clone()), n.clone())).collect();
            let body = self.infer(&case.body);
            self.end_locals(locals.len());
            typed_cases.push(TCase { members: chosen, bindings: locals, body });
        }
        let missing: Vec<String> =
            members.iter().zip(&covered).filter(|(_, c)| !**c).map(|(m, _)| m.to_string()).collect();
        let pattern_errors = self.diagnostics[reported..].iter().any(|d| d.code == Code::E010);
        if known && !missing.is_empty() && !pattern_errors && !unknown_pattern {
            let message =
                format!("Non-exhaustive match on type {}. Missing patterns for: {}", s.ty, missing.join(", "));
            let d = Diagnostic::new(Code::E015, span, message)
                .with_help("add a case for each missing member, or a '_' case");
            self.report(d);
        }
        let ty = typed_cases.iter().fold(Type::Nothing, |acc, c| lub(&acc, &c.body.ty));
        let ty = if known { ty } else { Type::Error };
        for case in &mut typed_cases {
            let body = std::mem::replace(&mut case.body, TExpr { ty: Type::Error, span, kind: TExprKind::Bool(false) });
            case.body = Self::convert(body, &ty);
        }
        TExpr { ty, span, kind: TExprKind::Match { scrutinee: Box::new(s), cases: typed_cases } }
    }
}
