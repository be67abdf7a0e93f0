//! Type expressions → types (SPEC §3.3, §5.1, §5.5).
//!
//! `String`, `Int`, `Float`, `Boolean` always denote the primitives; `List`, `Seq`, `Candidates`,
//! `Map`, `Optional` followed by `<` the built-ins; any other name must be an alias declared
//! earlier (E003). A type merge that is not defined is E012. A failed part makes the error type.

use super::Checker;
use asterism_lang::Code;
use asterism_lang::ast::{TypeExpr, TypeExprKind, grow_stack};
use asterism_lang::suggest;
use asterism_lang::{Diagnostic, Span};
use asterism_registry::types::MAX_TYPE_SIZE;
use asterism_registry::{Name, Record, Type, merge};

const BUILTIN_TYPE_NAMES: [&str; 9] =
    ["String", "Int", "Float", "Boolean", "List", "Seq", "Candidates", "Map", "Optional"];

/// The four help lines of E012 (SPEC §10.4).
pub(crate) const MERGE_HELP: [&str; 4] = [
    "record + record merges fields (right wins)",
    "List<record> + List<record> merges element-wise",
    "List<record> + record merges the record into every element",
    "record + List<record> merges every element onto the record",
];

pub(crate) fn merge_error(span: Span, l: &Type, r: &Type) -> Diagnostic {
    MERGE_HELP
        .iter()
        .fold(Diagnostic::new(Code::E012, span, format!("Cannot merge types: {l} + {r}")), |d, h| d.with_help(*h))
}

impl Checker<'_> {
    pub(crate) fn resolve_type(&mut self, t: &TypeExpr) -> Type {
        let ty = grow_stack(|| self.resolve_type_here(t));
        self.within_size(ty, t.span)
    }

    /// `ty`, or the error type (with E015) when written out in full it would have more than
    /// `MAX_TYPE_SIZE` nodes: every later stage may then walk any type of the program.
    pub(crate) fn within_size(&mut self, ty: Type, span: Span) -> Type {
        if ty.size() <= MAX_TYPE_SIZE {
            return ty;
        }
        let message = format!("Type too large: written out in full it has more than {MAX_TYPE_SIZE} parts");
        let d = Diagnostic::new(Code::E015, span, message)
            .with_help("each alias or record here doubles what it is built of; use fewer levels");
        self.report(d);
        Type::Error
    }

    fn resolve_type_here(&mut self, t: &TypeExpr) -> Type {
        match &t.kind {
            TypeExprKind::Named(name) => self.named_type(&name.name, name.span).unwrap_or(Type::Error),
            TypeExprKind::Applied { name, args } => {
                let resolved: Vec<Type> = args.iter().map(|a| self.resolve_type(a)).collect();
                let arity = match name.name.as_str() {
                    "List" | "Seq" | "Candidates" | "Optional" => 1,
                    "Map" => 2,
                    _ => {
                        self.unknown_type(&name.name, name.span);
                        return Type::Error;
                    }
                };
                if resolved.len() != arity {
                    let written = self.src.get(t.span.start..t.span.end).unwrap_or(&name.name);
                    let expected = if arity == 1 { format!("{}<T>", name.name) } else { "Map<K, V>".to_string() };
                    let d = Diagnostic::new(Code::E003, t.span, format!("Undefined type: {written}"))
                        .with_help(format!("{} takes {arity} type argument(s): {expected}", name.name));
                    self.report(d);
                    return Type::Error;
                }
                let mut it = resolved.into_iter();
                let first = it.next().unwrap_or(Type::Error);
                match name.name.as_str() {
                    "List" => Type::list(first),
                    "Seq" | "Candidates" => Type::seq(first),
                    "Optional" => Type::optional(first),
                    _ => Type::map(first, it.next().unwrap_or(Type::Error)),
                }
            }
            TypeExprKind::Record(fields) => {
                let fields: Vec<(Name, Type)> =
                    fields.iter().map(|(n, ft)| (Name::from(n.name.as_str()), self.resolve_type(ft))).collect();
                Type::Record(Record::new(fields))
            }
            TypeExprKind::Union(members) => {
                let members: Vec<Type> = members.iter().map(|m| self.resolve_type(m)).collect();
                if members.iter().any(Type::has_error) { Type::Error } else { Type::union(members) }
            }
            TypeExprKind::Merge(parts) => {
                let mut acc = self.resolve_type(&parts[0]);
                for part in &parts[1..] {
                    let right = self.resolve_type(part);
                    if acc.has_error() || right.has_error() {
                        acc = Type::Error;
                        continue;
                    }
                    acc = match merge(&acc, &right) {
                        Some(m) => m,
                        None => {
                            self.report(merge_error(t.span, &acc, &right));
                            Type::Error
                        }
                    };
                }
                acc
            }
        }
    }

    /// A type written as a bare name: a primitive or an alias (E003 otherwise).
    pub(crate) fn named_type(&mut self, name: &str, span: Span) -> Option<Type> {
        let primitive = match name {
            "String" => Some(Type::String),
            "Int" => Some(Type::Int),
            "Float" => Some(Type::Float),
            "Boolean" => Some(Type::Boolean),
            _ => None,
        };
        if primitive.is_some() {
            return primitive;
        }
        if let Some((t, _)) = self.aliases.get(name) {
            return Some(t.clone());
        }
        self.unknown_type(name, span);
        None
    }

    fn unknown_type(&mut self, name: &str, span: Span) {
        let mut d = Diagnostic::new(Code::E003, span, format!("Undefined type: {name}"));
        let names = BUILTIN_TYPE_NAMES.iter().copied().chain(self.aliases.keys().map(String::as_str));
        let generic = matches!(name, "List" | "Seq" | "Candidates" | "Optional" | "Map");
        let found = suggest::candidates(name, names, &mut self.suggestions);
        if let Some(help) = suggest::help(&found, false).filter(|_| !generic) {
            d = d.with_help(help);
        }
        if generic {
            let example = if name == "Map" { "Map<String, Int>".to_string() } else { format!("{name}<Int>") };
            d = d.with_help(format!("{name} needs type arguments, e.g. {example}"));
        }
        self.report(d);
    }
}
