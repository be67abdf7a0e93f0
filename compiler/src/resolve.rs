//! Name resolution of functions and namespaces (SPEC §3.7, §4.5).
//!
//! Takes: the registry, the imports declared so far, a name as written. Gives: the registered
//! function it denotes, or the E002/E004/E005 diagnostic with the help lines of SPEC §10.4.
//! Operators never come here: they are built in.

use asterism_lang::ast::Path;
use asterism_lang::suggest::did_you_mean;
use asterism_lang::{Code, Diagnostic};
use asterism_registry::{Function, Registry};
use std::collections::{BTreeSet, HashMap};

/// The `use` declarations seen so far.
#[derive(Clone, Debug, Default)]
pub struct Imports {
    /// Namespaces of wildcard imports, in declaration order.
    wildcards: Vec<String>,
    /// Import alias → namespace.
    aliases: HashMap<String, String>,
    /// Aliases whose `use` had an error: calls through them are not reported again.
    broken: Vec<String>,
    /// Whether any (valid) `use` precedes: this switches simple-name resolution to rule 2.
    any: bool,
}

impl Imports {
    pub fn add_wildcard(&mut self, namespace: &str) {
        self.any = true;
        if !self.wildcards.iter().any(|w| w == namespace) {
            self.wildcards.push(namespace.to_string());
        }
    }

    pub fn add_alias(&mut self, alias: &str, namespace: &str) {
        self.any = true;
        self.broken.retain(|b| b != alias);
        self.aliases.insert(alias.to_string(), namespace.to_string());
    }

    pub fn add_broken_alias(&mut self, alias: &str) {
        self.aliases.remove(alias);
        self.broken.push(alias.to_string());
    }

    pub fn is_alias(&self, name: &str) -> bool {
        self.aliases.contains_key(name)
    }

    /// Whether a qualified name goes through an alias whose declaration had an error.
    pub fn through_broken_alias(&self, path: &Path) -> bool {
        let first = path.text.split('.').next().unwrap_or_default();
        path.is_qualified() && !self.aliases.contains_key(first) && self.broken.iter().any(|b| b == first)
    }
}

/// Checks the namespace of a `use` declaration (SPEC §3.7).
pub fn check_namespace(registry: &Registry, path: &Path) -> Result<(), Diagnostic> {
    if registry.is_namespace(&path.text) { Ok(()) } else { Err(undefined_namespace(registry, &path.text, path)) }
}

fn undefined_namespace(registry: &Registry, ns: &str, path: &Path) -> Diagnostic {
    let mut d = Diagnostic::new(Code::E004, path.span, format!("Undefined namespace: {ns}"));
    if let Some(help) = did_you_mean(ns, registry.namespaces(), false) {
        d = d.with_help(help);
    }
    d.with_help(format!("available namespaces: {}", registry.namespaces().collect::<Vec<_>>().join(", ")))
}

/// Resolves the function a call names.
pub fn resolve_function<'r>(
    registry: &'r Registry,
    imports: &Imports,
    path: &Path,
) -> Result<&'r Function, Diagnostic> {
    if path.is_qualified() {
        resolve_qualified(registry, imports, path)
    } else {
        resolve_simple(registry, imports, path)
    }
}

/// The functions a simple name may denote with the given imports (rules 1 and 2 of SPEC §4.5).
fn simple_candidates<'r>(registry: &'r Registry, imports: &Imports, name: &str) -> Vec<&'r Function> {
    if !imports.any {
        return registry.with_simple_name(name).iter().filter_map(|q| registry.get(q)).collect();
    }
    let bare = registry.get(name).filter(|f| f.signature.namespace().is_none());
    let imported = imports.wildcards.iter().filter_map(|ns| registry.get(&format!("{ns}.{name}")));
    let mut found: Vec<&Function> = bare.into_iter().chain(imported).collect();
    found.sort_by(|a, b| a.signature.name.cmp(&b.signature.name));
    found.dedup_by(|a, b| a.signature.name == b.signature.name);
    found
}

fn resolve_simple<'r>(registry: &'r Registry, imports: &Imports, path: &Path) -> Result<&'r Function, Diagnostic> {
    let name = path.text.as_str();
    let found = simple_candidates(registry, imports, name);
    match found[..] {
        [one] => Ok(one),
        [] => {
            let mut d = Diagnostic::new(Code::E002, path.span, format!("Undefined function: {name}"));
            // Names a simple call could reach here.
            let reachable: BTreeSet<&str> = registry
                .functions()
                .map(|f| f.signature.simple_name())
                .filter(|n| !matches!(*n, "and" | "or" | "not"))
                .filter(|n| !imports.any || !simple_candidates(registry, imports, n).is_empty())
                .collect();
            if let Some(help) = did_you_mean(name, reachable.iter().copied(), false) {
                d = d.with_help(help);
            }
            for qualified in registry.with_simple_name(name).iter().take(2) {
                if let Some(ns) = registry.get(qualified).and_then(|f| f.signature.namespace()) {
                    d = d.with_help(format!(
                        "'{name}' exists as '{qualified}': add 'use {ns}' or call it by its full name"
                    ));
                }
            }
            if imports.is_alias(name) {
                d = d.with_help(format!("'{name}' is an import alias: call a function through it, e.g. '{name}.f(…)'"));
            }
            Err(d)
        }
        _ => {
            let names: Vec<&str> = found.iter().map(|f| f.signature.name.as_str()).collect();
            Err(Diagnostic::new(
                Code::E005,
                path.span,
                format!("Ambiguous function '{name}'. Candidates: {}", names.join(", ")),
            )
            .with_help(format!("write the qualified name, e.g. '{}'", names[0])))
        }
    }
}

fn resolve_qualified<'r>(registry: &'r Registry, imports: &Imports, path: &Path) -> Result<&'r Function, Diagnostic> {
    let (first, rest) = path.text.split_once('.').unwrap_or((&path.text, ""));
    let full = match imports.aliases.get(first) {
        Some(ns) => format!("{ns}.{rest}"),
        None => path.text.clone(),
    };
    if let Some(f) = registry.get(&full) {
        return Ok(f);
    }
    let (ns, _) = full.rsplit_once('.').unwrap_or(("", &full));
    if !registry.is_namespace(ns) {
        let written = path.text.rsplit_once('.').map_or("", |(ns, _)| ns);
        return Err(undefined_namespace(registry, written, path));
    }
    let mut d = Diagnostic::new(Code::E002, path.span, format!("Undefined function: {}", path.text));
    // Suggest names as the user would write them: through the alias when one was used.
    let written: Vec<String> = match imports.aliases.get(first) {
        Some(ns) => registry
            .functions()
            .filter_map(|f| {
                f.signature.name.strip_prefix(ns.as_str())?.strip_prefix('.').map(|r| format!("{first}.{r}"))
            })
            .collect(),
        None => registry.functions().map(|f| f.signature.name.clone()).collect(),
    };
    if let Some(help) = did_you_mean(&path.text, written.iter().map(String::as_str), false) {
        d = d.with_help(help);
    }
    Err(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use asterism_lang::span::Span;

    fn path(text: &str) -> Path {
        Path { text: text.into(), span: Span::new(0, text.len()) }
    }

    fn name(r: Result<&Function, Diagnostic>) -> String {
        match r {
            Ok(f) => f.signature.name.clone(),
            Err(d) => format!("{}: {}", d.code, d.message),
        }
    }

    #[test]
    fn simple_names_follow_the_two_rules() {
        let r = Registry::standard();
        let mut imports = Imports::default();
        assert_eq!(name(resolve_function(&r, &imports, &path("add"))), "stdlib.math.add");
        imports.add_wildcard("stdlib");
        assert_eq!(name(resolve_function(&r, &imports, &path("identity"))), "stdlib.identity");
        assert_eq!(name(resolve_function(&r, &imports, &path("add"))), "E002: Undefined function: add");
        assert_eq!(name(resolve_function(&r, &imports, &path("Trim"))), "Trim");
    }

    #[test]
    fn qualified_names_and_aliases() {
        let r = Registry::standard();
        let mut imports = Imports::default();
        imports.add_alias("str", "stdlib.string");
        assert_eq!(name(resolve_function(&r, &imports, &path("str.upper"))), "stdlib.string.upper");
        assert_eq!(name(resolve_function(&r, &imports, &path("stdlib.bool.and"))), "stdlib.bool.and");
        assert_eq!(
            name(resolve_function(&r, &imports, &path("stdlib.math.plus"))),
            "E002: Undefined function: stdlib.math.plus"
        );
        assert_eq!(name(resolve_function(&r, &imports, &path("nope.f"))), "E004: Undefined namespace: nope");
    }

    #[test]
    fn ambiguity_lists_sorted_candidates() {
        let mut r = Registry::standard();
        r.register_text("text.upper", "(s: String) -> String").unwrap();
        let d = resolve_function(&r, &Imports::default(), &path("upper")).unwrap_err();
        assert_eq!(d.message, "Ambiguous function 'upper'. Candidates: stdlib.string.upper, text.upper");
        assert_eq!(d.help, ["write the qualified name, e.g. 'stdlib.string.upper'"]);
    }
}
