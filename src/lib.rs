//! Asterism: compile and run constellation-lang pipelines.
//!
//! This is the embedded API; the `asterism` binary is one of its clients. An `Engine` holds the
//! registry of callable functions (the standard library and prelude, plus whatever the host
//! registers) and checks source text against it; problems come back as `Diagnostics`, which render
//! exactly like the CLI's.
//!
//! ```
//! let engine = asterism::Engine::new();
//! let report = engine.check("hello.cst", "in name: String\ngreeting = \"Hi ${name}\"\nout greeting\n");
//! assert!(!report.has_errors());
//! ```

pub mod render;

use asterism_lang::Diagnostic;
use asterism_registry::{Registry, RegistryError};
use render::Source;

pub use asterism_lang::{Code, Severity};

/// The compiler and (with the engine) runtime, configured with a registry of functions.
#[derive(Debug)]
pub struct Engine {
    registry: Registry,
}

impl Default for Engine {
    fn default() -> Engine {
        Engine::new()
    }
}

impl Engine {
    /// An engine with the standard library and the prelude registered (SPEC §9).
    pub fn new() -> Engine {
        Engine { registry: Registry::standard() }
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Registers a host function from its signature, e.g. `("ml.embed", "(text: String) -> List<Float>")`.
    pub fn register_signature(&mut self, name: &str, signature: &str) -> Result<(), RegistryError> {
        self.registry.register_text(name, signature)
    }

    /// Parses and type-checks `source`; `file` is the name diagnostics print.
    pub fn check(&self, file: &str, source: &str) -> Diagnostics {
        let checked = asterism_compiler::compile(source, &self.registry);
        Diagnostics { file: file.to_string(), source: source.to_string(), items: checked.diagnostics }
    }

    /// Like `check`, for raw bytes: invalid UTF-8 is reported as E020 (SPEC §2.1).
    pub fn check_bytes(&self, file: &str, bytes: &[u8]) -> Diagnostics {
        match std::str::from_utf8(bytes) {
            Ok(source) => self.check(file, source),
            Err(_) => {
                let d = asterism_lang::parse_bytes(bytes).err().into_iter().collect();
                Diagnostics { file: file.to_string(), source: String::from_utf8_lossy(bytes).into_owned(), items: d }
            }
        }
    }
}

/// The diagnostics of one source text, sorted by position.
#[derive(Clone, Debug)]
pub struct Diagnostics {
    file: String,
    source: String,
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn items(&self) -> &[Diagnostic] {
        &self.items
    }

    /// The human rendering of SPEC §10.5, with ANSI styles when `color` is set.
    pub fn render(&self, color: bool) -> String {
        Source::new(&self.source).render(&self.items, &self.file, color)
    }

    /// The JSON form of SPEC §11.2: one object per diagnostic.
    pub fn to_json(&self) -> serde_json::Value {
        let source = Source::new(&self.source);
        serde_json::Value::Array(
            self.items.iter().map(|d| serde_json::to_value(source.json(d)).unwrap_or_default()).collect(),
        )
    }
}

impl std::fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(false))
    }
}
