//! Function signatures and the small text language they are written in.
//!
//! A signature is a qualified name, named parameters and a return type (SPEC §7.5, §9.1). Hosts
//! write them as text in the notation of the SPEC's tables: `(a: N, b: N) -> N`,
//! `(items: C<T>, predicate: (T) => Boolean) -> C<T>`. `parse_signature` reads that notation;
//! errors name the offending position, since a signature is written by a programmer.

use crate::types::{Name, Record, Type, TypeVar};
use std::fmt;

/// A blake3 digest identifying a function's signature and implementation version.
pub type Fingerprint = [u8; 32];

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Param {
    pub name: Name,
    pub ty: Type,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Signature {
    /// The qualified name, e.g. `stdlib.math.add`, or a bare name for functions without namespace.
    pub name: String,
    pub params: Vec<Param>,
    pub ret: Type,
}

impl Signature {
    /// Parses `(a: T, …) -> R` for the function `name`.
    pub fn parse(name: &str, text: &str) -> Result<Signature, SignatureError> {
        let mut p = Parser { text, pos: 0 };
        let sig = p.signature(name)?;
        p.skip_ws();
        if p.pos != text.len() {
            return Err(p.error("end of signature"));
        }
        Ok(sig)
    }

    /// The last segment of the name: what a simple-name call writes.
    pub fn simple_name(&self) -> &str {
        self.name.rsplit('.').next().unwrap_or(&self.name)
    }

    /// The namespace part of the name, if it has one.
    pub fn namespace(&self) -> Option<&str> {
        self.name.rsplit_once('.').map(|(ns, _)| ns)
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.name)?;
        for (i, p) in self.params.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}: {}", p.name, p.ty)?;
        }
        write!(f, ") -> {}", self.ret)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureError {
    pub message: String,
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SignatureError {}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, expected: &str) -> SignatureError {
        SignatureError {
            message: format!("invalid signature `{}`: expected {expected} at byte {}", self.text, self.pos),
        }
    }

    fn skip_ws(&mut self) {
        while self.text[self.pos..].starts_with(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, s: &str) -> bool {
        self.skip_ws();
        if self.text[self.pos..].starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, s: &str) -> Result<(), SignatureError> {
        if self.eat(s) { Ok(()) } else { Err(self.error(&format!("`{s}`"))) }
    }

    fn ident(&mut self) -> Result<&str, SignatureError> {
        self.skip_ws();
        let rest = &self.text[self.pos..];
        let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')).unwrap_or(rest.len());
        if len == 0 {
            return Err(self.error("a name"));
        }
        self.pos += len;
        Ok(&rest[..len])
    }

    fn signature(&mut self, name: &str) -> Result<Signature, SignatureError> {
        self.expect("(")?;
        let mut params = Vec::new();
        if !self.eat(")") {
            loop {
                let pname = Name::from(self.ident()?);
                self.expect(":")?;
                params.push(Param { name: pname, ty: self.ty()? });
                if self.eat(")") {
                    break;
                }
                self.expect(",")?;
            }
        }
        self.expect("->")?;
        Ok(Signature { name: name.to_string(), params, ret: self.ty()? })
    }

    fn ty(&mut self) -> Result<Type, SignatureError> {
        let first = self.atom()?;
        if !self.eat("|") {
            return Ok(first);
        }
        let mut members = vec![first, self.atom()?];
        while self.eat("|") {
            members.push(self.atom()?);
        }
        Ok(Type::union(members))
    }

    fn args(&mut self, n: usize) -> Result<Vec<Type>, SignatureError> {
        self.expect("<")?;
        let mut args = vec![self.ty()?];
        while args.len() < n {
            self.expect(",")?;
            args.push(self.ty()?);
        }
        self.expect(">")?;
        Ok(args)
    }

    fn atom(&mut self) -> Result<Type, SignatureError> {
        if self.eat("(") {
            let mut params = Vec::new();
            if !self.eat(")") {
                loop {
                    params.push(self.ty()?);
                    if self.eat(")") {
                        break;
                    }
                    self.expect(",")?;
                }
            }
            self.expect("=>")?;
            return Ok(Type::function(params, self.ty()?));
        }
        if self.eat("{") {
            let mut fields = Vec::new();
            if !self.eat("}") {
                loop {
                    let name = Name::from(self.ident()?);
                    self.expect(":")?;
                    fields.push((name, self.ty()?));
                    if self.eat("}") {
                        break;
                    }
                    self.expect(",")?;
                }
            }
            return Ok(Type::Record(Record::new(fields)));
        }
        let one = |p: &mut Self| p.args(1).map(|mut a| a.remove(0));
        Ok(match self.ident()? {
            "String" => Type::String,
            "Int" => Type::Int,
            "Float" => Type::Float,
            "Boolean" => Type::Boolean,
            "Nothing" => Type::Nothing,
            "T" => Type::Var(TypeVar::T),
            "U" => Type::Var(TypeVar::U),
            "N" => Type::Var(TypeVar::N),
            "O" => Type::Var(TypeVar::O),
            "List" => Type::list(one(self)?),
            "Seq" | "Candidates" => Type::seq(one(self)?),
            "Optional" => Type::optional(one(self)?),
            "C" => Type::Coll(std::sync::Arc::new(one(self)?)),
            "Map" => {
                let mut kv = self.args(2)?;
                let v = kv.pop().unwrap_or(Type::Nothing);
                Type::map(kv.pop().unwrap_or(Type::Nothing), v)
            }
            _ => return Err(self.error("a type")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_notation_of_the_spec() {
        let s =
            Signature::parse("stdlib.collection.filter", "(items: C<T>, predicate: (T) => Boolean) -> C<T>").unwrap();
        assert_eq!(s.to_string(), "stdlib.collection.filter(items: C<T>, predicate: (T) => Boolean) -> C<T>");
        assert_eq!(s.simple_name(), "filter");
        assert_eq!(s.namespace(), Some("stdlib.collection"));
        let r = Signature::parse("f", "(m: Map<String, {b: Int, a: Int}>) -> Optional<Int | String>").unwrap();
        assert_eq!(r.to_string(), "f(m: Map<String, { a: Int, b: Int }>) -> Optional<Int | String>");
        assert!(Signature::parse("f", "(a: Foo) -> Int").is_err());
        assert!(Signature::parse("f", "(a: Int) -> Int extra").is_err());
    }
}
