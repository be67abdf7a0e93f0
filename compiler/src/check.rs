//! The checking stage: AST → typed tree and diagnostics (SPEC §3–§6, §10).
//!
//! Takes: a parsed `Program` (possibly with broken declarations), the registry and the source
//! text. Gives: a `TypedProgram` and every error and warning, sorted by position. Declarations are
//! processed top to bottom (SPEC §3.2). An expression with an error gets the error type, which every
//! rule accepts silently, so one mistake gives one diagnostic. A panic while checking a declaration
//! is caught and reported as E900 at that declaration; the checker then goes on.
//!
//! Submodules: `types` (type expressions), `expr` (expressions), `call` (calls, generics,
//! lambdas), `pattern` (match), `options` (`with` clauses).

mod call;
mod expr;
mod options;
mod pattern;
mod types;

use crate::resolve::{self, Imports};
use crate::typed::{Binding, BindingId, BindingKind, LocalId, Output, TExpr, TExprKind, TypedProgram};
use asterism_lang::ast::{Annotation, AnnotationArgs, Decl, DeclKind, Defines, Expr, ExprKind, Ident, Program};
use asterism_lang::suggest;
use asterism_lang::{Code, Diagnostic, LineIndex, Span, diagnostic};
use asterism_registry::{Name, Registry, Type, is_subtype};
use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The result of the checking stage.
#[derive(Clone, Debug)]
pub struct Checked {
    pub program: TypedProgram,
    pub diagnostics: Vec<Diagnostic>,
}

/// Checks a parsed program against a registry.
pub fn check(program: &Program, registry: &Registry, src: &str) -> Checked {
    let mut checker = Checker::new(registry, src);
    for decl in &program.decls {
        let outcome = catch_unwind(AssertUnwindSafe(|| checker.declaration(decl)));
        if let Err(payload) = outcome {
            checker.internal_error(decl, &*payload);
        }
    }
    checker.finish()
}

/// What the checker knows of a global binding.
#[derive(Debug)]
struct Global {
    id: BindingId,
    is_input: bool,
    used: bool,
}

pub(crate) struct Checker<'a> {
    registry: &'a Registry,
    src: &'a str,
    lines: LineIndex,
    diagnostics: Vec<Diagnostic>,
    typed: TypedProgram,
    globals: Vec<Global>,
    /// Name → the visible global binding.
    visible: HashMap<Name, usize>,
    /// Lambda parameters and match bindings in scope, innermost last.
    scopes: Vec<(Name, LocalId)>,
    /// Type alias name → type and the span of its name.
    aliases: HashMap<String, (Type, Span)>,
    imports: Imports,
    /// Output names in order of first appearance, and the same as a set.
    outputs: Vec<Name>,
    output_names: HashSet<Name>,
    /// Above zero while checking a lambda that can never run: only name errors are reported.
    suppress: u32,
    /// What "did you mean" may still spend on comparing names.
    suggestions: suggest::Budget,
}

impl<'a> Checker<'a> {
    fn new(registry: &'a Registry, src: &'a str) -> Checker<'a> {
        Checker {
            registry,
            src,
            lines: LineIndex::new(src),
            diagnostics: Vec::new(),
            typed: TypedProgram::default(),
            globals: Vec::new(),
            visible: HashMap::new(),
            scopes: Vec::new(),
            aliases: HashMap::new(),
            imports: Imports::default(),
            outputs: Vec::new(),
            output_names: HashSet::new(),
            suppress: 0,
            suggestions: suggest::Budget::new(suggest::Budget::COMPILE),
        }
    }

    // ------------------------------------------------------------ reporting

    pub(crate) fn report(&mut self, d: Diagnostic) {
        let name_error = matches!(d.code, Code::E001 | Code::E002 | Code::E003 | Code::E004 | Code::E005);
        if self.suppress == 0 || name_error {
            self.diagnostics.push(d);
        }
    }

    pub(crate) fn error(&mut self, code: Code, span: Span, message: impl Into<String>) {
        self.report(Diagnostic::new(code, span, message));
    }

    fn line_of(&self, span: Span) -> usize {
        self.lines.line(span.start)
    }

    fn internal_error(&mut self, decl: &Decl, payload: &(dyn std::any::Any + Send)) {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        self.suppress = 0;
        self.scopes.clear();
        self.diagnostics.push(Diagnostic::new(Code::E900, decl.span, format!("Internal compiler error: {detail}")));
        if let Some(name) = defined_variable(decl) {
            self.bind(name, Type::Error, BindingKind::Invalid, false);
        }
    }

    /// E010 `Type mismatch: expected E, got A` with the help lines of SPEC §10.4.
    pub(crate) fn mismatch(&mut self, expected: &Type, got: &Type, span: Span) {
        if expected.has_error() || got.has_error() {
            return;
        }
        let mut d = Diagnostic::new(Code::E010, span, format!("Type mismatch: expected {expected}, got {got}"));
        match (expected, got) {
            (Type::String, Type::Int | Type::Float | Type::Boolean) => {
                d = d.with_help("convert with to-string(…) or interpolation \"${…}\"");
            }
            (Type::Int, Type::Float) => d = d.with_help("convert with to-int(…) (truncates) or round(…)"),
            (Type::Float, Type::Int) => d = d.with_help("convert with to-float(…)"),
            (Type::Boolean, _) => d = d.with_help("use a comparison such as x > 0"),
            _ => {}
        }
        if let Type::Optional(inner) = got
            && is_subtype(inner, expected)
        {
            d = d.with_help("supply a default with ??, e.g. value ?? fallback");
        }
        self.report(d);
    }

    // ------------------------------------------------------------ conversions

    /// The expression converted to `target` (which its type must be a subtype of).
    pub(crate) fn convert(e: TExpr, target: &Type) -> TExpr {
        if e.ty == *target || e.ty.has_error() || target.has_error() {
            return e;
        }
        TExpr { ty: target.clone(), span: e.span, kind: TExprKind::Convert(Box::new(e)) }
    }

    /// Check mode (SPEC §4.3): the typed expression must conform to `expected`; a record literal
    /// reports missing fields (E015) and mismatching fields at the field.
    pub(crate) fn conform(&mut self, e: TExpr, ast: &Expr, expected: &Type) -> TExpr {
        if is_subtype(&e.ty, expected) {
            return Self::convert(e, expected);
        }
        if let (ExprKind::Record(fields), Type::Record(want), TExprKind::Record { values, .. }) =
            (&ast.kind, expected, &e.kind)
        {
            let written: HashSet<&str> = fields.iter().map(|f| f.name.name.as_str()).collect();
            let missing: Vec<&str> = want.names().filter(|n| !written.contains(n)).collect();
            if !missing.is_empty() {
                let message = format!("Record literal is missing required field(s): {}", missing.join(", "));
                self.error(Code::E015, ast.span, message);
            }
            for (field, value) in fields.iter().zip(values) {
                if let Some(t) = want.get(&field.name.name)
                    && !is_subtype(&value.ty, t)
                {
                    self.conform(value.clone(), &field.value, t);
                }
            }
            return TExpr { ty: Type::Error, ..e };
        }
        self.mismatch(expected, &e.ty, e.span);
        TExpr { ty: Type::Error, ..e }
    }

    /// The condition of `if`, `branch`, `when`, or an operand of `and`/`or`/`not`: must be Boolean.
    pub(crate) fn condition(&mut self, e: &Expr) -> TExpr {
        let t = self.infer(e);
        if !is_subtype(&t.ty, &Type::Boolean) {
            self.mismatch(&Type::Boolean, &t.ty, t.span);
        }
        Self::convert(t, &Type::Boolean)
    }

    // ------------------------------------------------------------ scopes

    fn bind(&mut self, name: &Ident, ty: Type, kind: BindingKind, is_input: bool) -> BindingId {
        let id = BindingId(self.typed.bindings.len() as u32);
        let key = Name::from(name.name.as_str());
        self.typed.bindings.push(Binding { name: key.clone(), span: name.span, ty, kind });
        self.globals.push(Global { id, is_input, used: false });
        self.visible.insert(key, self.globals.len() - 1);
        id
    }

    /// Opens a local scope binding `name` to `ty`; close it with `end_locals`.
    pub(crate) fn bind_local(&mut self, name: &str, ty: Type) -> LocalId {
        let id = LocalId(self.typed.locals.len() as u32);
        self.typed.locals.push(ty);
        self.scopes.push((Name::from(name), id));
        id
    }

    pub(crate) fn end_locals(&mut self, count: usize) {
        self.scopes.truncate(self.scopes.len() - count);
    }

    /// The variable `name` as an expression, or E001.
    pub(crate) fn variable(&mut self, name: &Ident) -> TExpr {
        let span = name.span;
        if let Some(&(_, id)) = self.scopes.iter().rev().find(|(n, _)| **n == *name.name) {
            let ty = self.typed.locals[id.0 as usize].clone();
            return TExpr { ty, span, kind: TExprKind::Local(id) };
        }
        if let Some(&g) = self.visible.get(name.name.as_str()) {
            self.globals[g].used = true;
            let id = self.globals[g].id;
            let ty = self.typed.bindings[id.0 as usize].ty.clone();
            return TExpr { ty, span, kind: TExprKind::Global(id) };
        }
        let mut d = Diagnostic::new(Code::E001, span, format!("Undefined variable: {}", name.name));
        let names = self.scopes.iter().map(|(n, _)| &**n).chain(self.visible.keys().map(|n| &**n));
        let found = suggest::candidates(&name.name, names, &mut self.suggestions);
        d = match suggest::help(&found, false) {
            Some(help) => d.with_help(help),
            None => d.with_help("declare it before use, e.g. 'in x: String' or 'x = …'"),
        };
        // The user most likely meant a suggested name: don't also warn that it is unused.
        for suggested in found {
            if let Some(&g) = self.visible.get(suggested) {
                self.globals[g].used = true;
            }
        }
        self.report(d);
        TExpr { ty: Type::Error, span, kind: TExprKind::Bool(false) }
    }

    // ------------------------------------------------------------ declarations

    fn declaration(&mut self, decl: &Decl) {
        match &decl.kind {
            DeclKind::Type { name, ty } => {
                let resolved = self.resolve_type(ty);
                if let Some((_, previous)) = self.aliases.get(&name.name) {
                    let line = self.line_of(*previous);
                    self.shadowed(name, line);
                }
                self.aliases.insert(name.name.clone(), (resolved, name.span));
            }
            DeclKind::Input { annotations, name, ty } => {
                let resolved = self.resolve_type(ty);
                for a in annotations {
                    self.example(a, &resolved);
                }
                if self.visible.contains_key(name.name.as_str()) {
                    let message = format!("'{}' is already defined; an input cannot be redeclared", name.name);
                    self.error(Code::E015, name.span, message);
                } else {
                    self.bind(name, resolved, BindingKind::Input, true);
                }
            }
            DeclKind::Output { name, .. } => match self.visible.get(name.name.as_str()) {
                Some(&g) => {
                    self.globals[g].used = true;
                    let key = Name::from(name.name.as_str());
                    if self.output_names.insert(key.clone()) {
                        self.outputs.push(key);
                    }
                }
                None => {
                    self.variable(name);
                }
            },
            DeclKind::Use { path, alias } => match resolve::check_namespace(self.registry, path) {
                Ok(()) => match alias {
                    Some(a) => self.imports.add_alias(&a.name, &path.text),
                    None => self.imports.add_wildcard(&path.text),
                },
                Err(d) => {
                    self.report(d);
                    if let Some(a) = alias {
                        self.imports.add_broken_alias(&a.name);
                    }
                }
            },
            DeclKind::Assign { name, value } => {
                let typed = self.infer(value);
                if let Some(&g) = self.visible.get(name.name.as_str()) {
                    let previous = self.typed.bindings[self.globals[g].id.0 as usize].span;
                    let line = self.line_of(previous);
                    self.shadowed(name, line);
                }
                self.bind(name, typed.ty.clone(), BindingKind::Assign(typed), false);
            }
            DeclKind::Broken { defines, mentions } => {
                for name in mentions {
                    if let Some(&g) = self.visible.get(name.as_str()) {
                        self.globals[g].used = true;
                    }
                }
                match defines {
                    Some(Defines::Variable(name)) => {
                        self.bind(name, Type::Error, BindingKind::Invalid, false);
                    }
                    Some(Defines::TypeAlias(name)) => {
                        self.aliases.insert(name.name.clone(), (Type::Error, name.span));
                    }
                    Some(Defines::ImportAlias(name)) => self.imports.add_broken_alias(&name.name),
                    None => {}
                }
            }
        }
    }

    fn shadowed(&mut self, name: &Ident, previous_line: usize) {
        let d = Diagnostic::new(Code::W001, name.span, format!("'{}' shadows an earlier definition", name.name))
            .with_help(format!("previous definition on line {previous_line}"));
        self.report(d);
    }

    /// `@example(e)`: checked against the input's type, never evaluated (SPEC §3.4).
    fn example(&mut self, a: &Annotation, ty: &Type) {
        if let AnnotationArgs::Expr(e) = &a.args
            && a.name.name == "example"
        {
            let typed = self.infer(e);
            self.conform(typed, e, ty);
        }
    }

    fn finish(mut self) -> Checked {
        for g in &self.globals {
            if g.is_input && !g.used {
                let b = &self.typed.bindings[g.id.0 as usize];
                let d = Diagnostic::new(Code::W004, b.span, format!("Input '{}' is never used", b.name));
                self.diagnostics.push(d);
            }
        }
        for name in std::mem::take(&mut self.outputs) {
            let id = self.globals[self.visible[&name]].id;
            let ty = self.typed.bindings[id.0 as usize].ty.clone();
            self.typed.outputs.push(Output { name, binding: id, ty });
        }
        diagnostic::sort(&mut self.diagnostics);
        Checked { program: self.typed, diagnostics: self.diagnostics }
    }
}

/// The variable a declaration binds, if any.
fn defined_variable(decl: &Decl) -> Option<&Ident> {
    match &decl.kind {
        DeclKind::Input { name, .. } | DeclKind::Assign { name, .. } => Some(name),
        DeclKind::Broken { defines: Some(Defines::Variable(name)), .. } => Some(name),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use asterism_lang::parse;

    #[test]
    fn a_panic_while_checking_becomes_e900_at_its_declaration() {
        let src = "in x: Int\ny = 1\nout x\nout y\n";
        let program = parse(src).program;
        let registry = Registry::standard();
        let mut checker = Checker::new(&registry, src);
        checker.declaration(&program.decls[0]);
        let payload = std::panic::catch_unwind(|| panic!("index out of bounds")).unwrap_err();
        checker.internal_error(&program.decls[1], &*payload);
        checker.declaration(&program.decls[2]);
        checker.declaration(&program.decls[3]);
        let checked = checker.finish();
        let codes: Vec<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, [Code::E900]);
        assert_eq!(checked.diagnostics[0].message, "Internal compiler error: index out of bounds");
        assert_eq!(checked.diagnostics[0].span, program.decls[1].span);
        // The declaration's name is bound to the error type: `out y` causes no E001.
        assert_eq!(checked.program.outputs.len(), 2);
    }
}
