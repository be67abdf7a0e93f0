//! The registry: every function a program may call, by qualified name (SPEC §3.7, §4.5, §7.5).
//!
//! Takes: signatures (and, with the engine, the modules executing them). Gives: lookups by
//! qualified name, by last segment, and the set of namespaces (every proper dot-prefix of a
//! registered name). Guarantees: names are unique, well-formed, and never also a namespace.

use crate::module::Module;
use crate::signature::{Fingerprint, Signature, SignatureError};
use crate::stdlib::{self, PRELUDE, STDLIB};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, OnceLock};

/// A registered function: its signature, the module executing it (none for a signature
/// registered only for checking), and a fingerprint of both that changes when either does.
#[derive(Clone, Debug)]
pub struct Function {
    pub signature: Signature,
    pub module: Option<Module>,
    pub fingerprint: Fingerprint,
    /// Whether the module's results are known to have the declared type in its representation
    /// (the standard library and prelude): the runtime then skips checking them (SPEC §7.5).
    pub verified: bool,
}

fn fingerprint(signature: &Signature, version: &str) -> Fingerprint {
    digest(&[signature.to_string().as_bytes(), version.as_bytes()])
}

/// blake3 of the parts, each followed by a NUL.
fn digest(parts: &[&[u8]]) -> Fingerprint {
    let mut h = blake3::Hasher::new();
    for part in parts {
        h.update(part);
        h.update(b"\0");
    }
    *h.finalize().as_bytes()
}

impl Function {
    /// Whether the binding gathers executions into batches (SPEC §6.4 `batch`).
    pub fn takes_batches(&self) -> bool {
        matches!(self.module, Some(Module::Batched(_)))
    }
}

/// The implementation version of the standard library and prelude modules.
pub const STDLIB_VERSION: &str = concat!("asterism-stdlib/", env!("CARGO_PKG_VERSION"));

/// Cloning a registry is cheap: its tables are shared until one of the copies registers a
/// function (the standard registry is built once per process, and every engine starts from it).
#[derive(Clone, Debug, Default)]
pub struct Registry {
    tables: Arc<Tables>,
    /// `fingerprint()`, computed on first use after the last registration.
    fingerprint: OnceLock<Fingerprint>,
}

#[derive(Clone, Debug, Default)]
struct Tables {
    functions: BTreeMap<String, Function>,
    namespaces: BTreeSet<String>,
    /// Last name segment → qualified names, sorted.
    by_simple_name: HashMap<String, Vec<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistryError {
    Duplicate(String),
    InvalidName(String),
    NameIsNamespace(String),
    Signature(SignatureError),
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::Duplicate(n) => write!(f, "a function named '{n}' is already registered"),
            RegistryError::InvalidName(n) => write!(
                f,
                "'{n}' is not a valid function name: use dot-separated identifiers, the first not a reserved word"
            ),
            RegistryError::NameIsNamespace(n) => write!(f, "'{n}' is both a function and a namespace"),
            RegistryError::Signature(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for RegistryError {}

/// The reserved words of SPEC §2.3: a function's first name segment cannot be one.
const RESERVED: [&str; 19] = [
    "type",
    "in",
    "out",
    "if",
    "else",
    "true",
    "false",
    "use",
    "as",
    "and",
    "or",
    "not",
    "when",
    "branch",
    "otherwise",
    "with",
    "lazy",
    "match",
    "is",
];

fn valid_name(name: &str) -> bool {
    let segment_ok = |s: &str| {
        let mut chars = s.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            && !s.contains("->")
    };
    let first = name.split('.').next().unwrap_or_default();
    name.split('.').all(segment_ok) && !RESERVED.contains(&first)
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// The registry of the CLI: the standard library and the prelude (SPEC §11.1). Built once per
    /// process; this is a copy.
    pub fn standard() -> Registry {
        static STANDARD: OnceLock<Registry> = OnceLock::new();
        STANDARD.get_or_init(Registry::build_standard).clone()
    }

    fn build_standard() -> Registry {
        let mut r = Registry::new();
        for (name, sig) in STDLIB.iter().chain(PRELUDE) {
            // The tables are tested to be valid and complete, so failure here is a bug in them.
            let signature = Signature::parse(name, sig).unwrap_or_else(|e| panic!("stdlib table entry {name}: {e}"));
            // Fingerprinted by the table's own text: the same inputs as `fingerprint` (signature
            // and version) without writing the parsed signature out again.
            let fingerprint = digest(&[name.as_bytes(), sig.as_bytes(), STDLIB_VERSION.as_bytes()]);
            r.insert(signature, stdlib::module(name), fingerprint).unwrap_or_else(|e| panic!("{name}: {e}"));
            if let Some(f) = Arc::make_mut(&mut r.tables).functions.get_mut(*name) {
                f.verified = true;
            }
        }
        r
    }

    /// Registers a signature without an implementation (enough for checking, not for running),
    /// from its text, e.g. `(text: String) -> Int`.
    pub fn register_text(&mut self, name: &str, signature: &str) -> Result<(), RegistryError> {
        let signature = Signature::parse(name, signature).map_err(RegistryError::Signature)?;
        self.register(signature, None, "")
    }

    /// Registers a function; `version` names its implementation and goes into its fingerprint, so
    /// cached plans notice when it changes.
    pub fn register(
        &mut self,
        signature: Signature,
        module: Option<Module>,
        version: &str,
    ) -> Result<(), RegistryError> {
        let fingerprint = fingerprint(&signature, version);
        self.insert(signature, module, fingerprint)
    }

    fn insert(
        &mut self,
        signature: Signature,
        module: Option<Module>,
        fingerprint: Fingerprint,
    ) -> Result<(), RegistryError> {
        let name = signature.name.clone();
        let tables = Arc::make_mut(&mut self.tables);
        if !valid_name(&name) {
            return Err(RegistryError::InvalidName(name));
        }
        if tables.functions.contains_key(&name) {
            return Err(RegistryError::Duplicate(name));
        }
        if tables.namespaces.contains(&name) {
            return Err(RegistryError::NameIsNamespace(name));
        }
        let prefixes: Vec<&str> = name.match_indices('.').map(|(i, _)| &name[..i]).collect();
        if let Some(p) = prefixes.iter().find(|p| tables.functions.contains_key(**p)) {
            return Err(RegistryError::NameIsNamespace((*p).to_string()));
        }
        for p in prefixes {
            if !tables.namespaces.contains(p) {
                tables.namespaces.insert(p.to_string());
            }
        }
        let simple = signature.simple_name().to_string();
        let names = tables.by_simple_name.entry(simple).or_default();
        names.push(name.clone());
        names.sort();
        tables.functions.insert(name, Function { signature, module, fingerprint, verified: false });
        self.fingerprint = OnceLock::new();
        Ok(())
    }

    /// A digest of every function's fingerprint: compiled plans are only valid for the registry
    /// they were compiled against.
    pub fn fingerprint(&self) -> Fingerprint {
        *self.fingerprint.get_or_init(|| {
            let mut h = blake3::Hasher::new();
            for (name, f) in &self.tables.functions {
                h.update(name.as_bytes());
                h.update(&f.fingerprint);
            }
            *h.finalize().as_bytes()
        })
    }

    /// Replaces the module of each function for which `wrap` gives one (a module timing its
    /// calls around the registered one, say). Fingerprints stay: the behaviour must not change.
    pub fn wrap_modules(&mut self, wrap: impl Fn(&Function) -> Option<Module>) {
        let tables = Arc::make_mut(&mut self.tables);
        for f in tables.functions.values_mut() {
            if let Some(module) = wrap(f) {
                f.module = Some(module);
            }
        }
    }

    pub fn get(&self, qualified: &str) -> Option<&Function> {
        self.tables.functions.get(qualified)
    }

    /// Qualified names of all functions whose last segment is `simple`, sorted.
    pub fn with_simple_name(&self, simple: &str) -> &[String] {
        self.tables.by_simple_name.get(simple).map_or(&[], Vec::as_slice)
    }

    pub fn is_namespace(&self, ns: &str) -> bool {
        self.tables.namespaces.contains(ns)
    }

    /// All namespaces, sorted.
    pub fn namespaces(&self) -> impl Iterator<Item = &str> {
        self.tables.namespaces.iter().map(String::as_str)
    }

    /// All functions, sorted by qualified name.
    pub fn functions(&self) -> impl Iterator<Item = &Function> {
        self.tables.functions.values()
    }

    pub fn len(&self) -> usize {
        self.tables.functions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tables.functions.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_registry_holds_stdlib_and_prelude() {
        let r = Registry::standard();
        assert_eq!(r.len(), STDLIB.len() + PRELUDE.len());
        assert!(r.is_namespace("stdlib") && r.is_namespace("stdlib.math") && !r.is_namespace("stdlib.math.add"));
        assert_eq!(r.with_simple_name("and"), ["stdlib.bool.and"]);
        assert!(r.get("Uppercase").is_some_and(|f| f.signature.namespace().is_none()));
        assert!(r.functions().all(|f| f.module.is_some()));
    }

    #[test]
    fn rejects_bad_registrations() {
        let mut r = Registry::standard();
        assert_eq!(r.register_text("Trim", "(t: String) -> String"), Err(RegistryError::Duplicate("Trim".into())));
        assert!(matches!(r.register_text("stdlib.math", "() -> Int"), Err(RegistryError::NameIsNamespace(_))));
        assert!(matches!(r.register_text("in.x", "() -> Int"), Err(RegistryError::InvalidName(_))));
        assert!(matches!(r.register_text("a b", "() -> Int"), Err(RegistryError::InvalidName(_))));
        assert!(matches!(r.register_text("ok.f", "(x: Foo) -> Int"), Err(RegistryError::Signature(_))));
        let before = r.fingerprint();
        assert!(r.register_text("ml.embed", "(text: String) -> List<Float>").is_ok());
        assert_ne!(before, r.fingerprint());
    }
}
