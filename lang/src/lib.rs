//! asterism-lang: the front end's syntax half.
//!
//! Source text goes through `lex` (tokens), `layout` (tokens the grammar can decide on) and the
//! LALRPOP grammar, declaration by declaration, to an `ast::Program` with byte spans; every problem
//! is a `Diagnostic` (SPEC §10). This crate depends on no other Asterism crate.

pub mod ast;
pub mod diagnostic;
pub mod layout;
pub mod lex;
pub mod parse;
pub mod sexpr;
pub mod span;
pub mod suggest;
pub mod token;
pub mod validate;
pub mod with;

pub use diagnostic::{Code, Diagnostic, Severity};
pub use parse::{Parsed, parse, parse_bytes};
pub use span::{LineIndex, Position, Span};
