//! The types of constellation-lang (SPEC §5) and their algebra.
//!
//! Gives: `Type` in a normal form where structural equality is `==` (record fields sorted by name,
//! unions flattened, deduplicated and sorted by canonical text), its canonical text (`Display`,
//! SPEC §5.2), subtyping (§5.3), least upper bounds (§5.4) and the merge algebra (§5.5).
//! Type variables (`T`, `U`, `N`, `O`, `C<X>`) occur only in signatures; `Error` only inside the
//! checker, where it stands for "already reported" and is compatible with everything.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// The most nodes a type of a program may have written out in full (`Type::size`): a
/// record of 50,000 fields fits; a chain of aliases each doubling the last stops at the 17th.
pub const MAX_TYPE_SIZE: u64 = 100_000;

/// A field or parameter name.
pub type Name = Arc<str>;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Type {
    String,
    Int,
    Float,
    Boolean,
    /// The empty type: the element type of `[]`, subtype of every type.
    Nothing,
    List(Arc<Type>),
    /// `Seq<T>`, also written `Candidates<T>`.
    Seq(Arc<Type>),
    Optional(Arc<Type>),
    Map(Arc<Type>, Arc<Type>),
    Record(Record),
    /// At least two members, none a union, sorted by canonical text, no duplicates.
    Union(Arc<[Type]>),
    Function(Vec<Type>, Arc<Type>),
    /// A type variable of a generic signature (SPEC §5.8).
    Var(TypeVar),
    /// `C<X>`: `List<X>` or `Seq<X>`, decided per call (SPEC §5.8).
    Coll(Arc<Type>),
    /// The type of an expression whose error was already reported.
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TypeVar {
    /// Any type.
    T,
    /// Any type.
    U,
    /// `Int` or `Float`.
    N,
    /// `Int`, `Float` or `String`.
    O,
}

/// A record type: fields sorted by name, names unique. Its measures (`Type::size`, `depth`,
/// `has_error`) are computed once, when it is built, so they cost nothing however many times a
/// record is nested in others: a record built of shared parts is never walked to measure it.
#[derive(Clone, Debug, Default, Eq, Serialize, Deserialize)]
#[serde(from = "Fields", into = "Fields")]
pub struct Record {
    fields: Arc<[(Name, Type)]>,
    measures: Measures,
}

impl PartialEq for Record {
    /// Shared fields are equal at once (`Arc` skips the walk only for sized contents); records of
    /// different measures at once too.
    fn eq(&self, other: &Record) -> bool {
        Arc::ptr_eq(&self.fields, &other.fields) || (self.measures == other.measures && self.fields == other.fields)
    }
}

/// What a type measures (see `Type::size`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Measures {
    size: u64,
    depth: u32,
    has_error: bool,
}

/// A record as it is stored: its fields only.
#[derive(Serialize, Deserialize)]
struct Fields {
    fields: Arc<[(Name, Type)]>,
}

impl From<Fields> for Record {
    /// Fields from a stored DagSpec, which validation checks for order and uniqueness.
    fn from(f: Fields) -> Record {
        Record::sorted(f.fields)
    }
}

impl From<Record> for Fields {
    fn from(r: Record) -> Fields {
        Fields { fields: r.fields }
    }
}

impl Record {
    /// A record of fields already sorted by name and unique.
    fn sorted(fields: Arc<[(Name, Type)]>) -> Record {
        let mut m = Measures { size: 1, depth: 1, has_error: false };
        for (_, t) in fields.iter() {
            m.size = m.size.saturating_add(t.size());
            m.depth = m.depth.max(t.depth().saturating_add(1));
            m.has_error |= t.has_error();
        }
        Record { fields, measures: m }
    }

    /// Builds a record from fields in any order; a repeated name keeps the last type (SPEC §5.1).
    pub fn new(fields: impl IntoIterator<Item = (Name, Type)>) -> Record {
        let mut all: Vec<(Name, Type)> = fields.into_iter().collect();
        // Stable: of fields with one name, the last given stays last, and it is the one kept.
        all.sort_by(|a, b| a.0.cmp(&b.0));
        let mut fields: Vec<(Name, Type)> = Vec::with_capacity(all.len());
        for field in all {
            match fields.last_mut() {
                Some(last) if last.0 == field.0 => *last = field,
                _ => fields.push(field),
            }
        }
        Record::sorted(fields.into())
    }

    /// Fields in canonical (name) order.
    pub fn fields(&self) -> &[(Name, Type)] {
        &self.fields
    }

    pub fn get(&self, name: &str) -> Option<&Type> {
        self.index_of(name).map(|i| &self.fields[i].1)
    }

    /// The position of a field in canonical order: the runtime's field index.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.fields.binary_search_by(|(n, _)| (**n).cmp(name)).ok()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(n, _)| &**n)
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The fields of both; on a shared name the right one wins (SPEC §5.5).
    pub fn merge(&self, right: &Record) -> Record {
        Record::new(self.fields.iter().chain(right.fields.iter()).cloned())
    }

    /// The record restricted to `names` (which must exist).
    pub fn project<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Record {
        Record::new(names.into_iter().filter_map(|n| self.get(n).map(|t| (Name::from(n), t.clone()))))
    }
}

impl Type {
    pub fn list(t: Type) -> Type {
        Type::List(Arc::new(t))
    }

    pub fn seq(t: Type) -> Type {
        Type::Seq(Arc::new(t))
    }

    pub fn optional(t: Type) -> Type {
        Type::Optional(Arc::new(t))
    }

    pub fn map(k: Type, v: Type) -> Type {
        Type::Map(Arc::new(k), Arc::new(v))
    }

    pub fn record(fields: impl IntoIterator<Item = (Name, Type)>) -> Type {
        Type::Record(Record::new(fields))
    }

    pub fn function(params: Vec<Type>, ret: Type) -> Type {
        Type::Function(params, Arc::new(ret))
    }

    /// The union of the members of all `types` in normal form; a single member is returned as is.
    pub fn union(types: impl IntoIterator<Item = Type>) -> Type {
        let mut members: Vec<Type> = Vec::new();
        for t in types {
            match t {
                Type::Union(inner) => members.extend(inner.iter().cloned()),
                Type::Nothing => {}
                t => members.push(t),
            }
        }
        let mut keyed: Vec<(String, Type)> = members.into_iter().map(|t| (t.to_string(), t)).collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        keyed.dedup_by(|a, b| a.1 == b.1);
        match keyed.len() {
            0 => Type::Nothing,
            1 => keyed.pop().map(|(_, t)| t).unwrap_or(Type::Nothing),
            _ => Type::Union(keyed.into_iter().map(|(_, t)| t).collect()),
        }
    }

    /// The members of a union, or the type itself as a one-member set.
    pub fn members(&self) -> &[Type] {
        match self {
            Type::Union(m) => m,
            t => std::slice::from_ref(t),
        }
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Type::Error)
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Int | Type::Float)
    }

    /// How deeply the type nests: 1 for a primitive.
    /// The number of nodes of the type written out in full: a primitive is one node, `List<T>` one
    /// more than `T`, a record one more than its fields' types (saturating). Types share their
    /// parts, so an alias of an alias costs in memory what it is written as; but anything that
    /// walks a type walks it in full, so the checker keeps every type of a program within
    /// `MAX_TYPE_SIZE`. Records keep their measures: this never walks more than the wrappers
    /// (`List`, `Optional`, …) above the nearest records.
    pub fn size(&self) -> u64 {
        match self {
            Type::List(t) | Type::Seq(t) | Type::Optional(t) | Type::Coll(t) => t.size().saturating_add(1),
            Type::Map(k, v) => k.size().saturating_add(v.size()).saturating_add(1),
            Type::Record(r) => r.measures.size,
            Type::Union(m) => m.iter().fold(1u64, |acc, t| acc.saturating_add(t.size())),
            Type::Function(p, r) => p.iter().fold(r.size().saturating_add(1), |acc, t| acc.saturating_add(t.size())),
            _ => 1,
        }
    }

    pub fn depth(&self) -> u32 {
        match self {
            Type::List(t) | Type::Seq(t) | Type::Optional(t) | Type::Coll(t) => t.depth().saturating_add(1),
            Type::Map(k, v) => k.depth().max(v.depth()).saturating_add(1),
            Type::Record(r) => r.measures.depth,
            Type::Union(m) => m.iter().map(Type::depth).max().unwrap_or(0).saturating_add(1),
            Type::Function(p, r) => p.iter().map(Type::depth).max().unwrap_or(0).max(r.depth()).saturating_add(1),
            _ => 1,
        }
    }

    /// Whether the type contains the error type anywhere.
    pub fn has_error(&self) -> bool {
        match self {
            Type::Error => true,
            Type::List(t) | Type::Seq(t) | Type::Optional(t) | Type::Coll(t) => t.has_error(),
            Type::Map(k, v) => k.has_error() || v.has_error(),
            Type::Record(r) => r.measures.has_error,
            Type::Union(m) => m.iter().any(Type::has_error),
            Type::Function(p, r) => p.iter().any(Type::has_error) || r.has_error(),
            _ => false,
        }
    }
}

impl std::hash::Hash for Type {
    /// Hashes the first `HASHED` nodes in depth-first order: equal types hash alike, and hashing
    /// a type built of shared parts costs a bounded time however large it is written out (equal
    /// hashes are then told apart by `==`, which skips shared parts at once).
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        const HASHED: usize = 64;
        let mut todo = vec![self];
        let mut seen = 0;
        while let Some(t) = todo.pop() {
            seen += 1;
            if seen > HASHED {
                break;
            }
            std::mem::discriminant(t).hash(state);
            match t {
                Type::List(t) | Type::Seq(t) | Type::Optional(t) | Type::Coll(t) => todo.push(t),
                Type::Map(k, v) => todo.extend([&**k, &**v]),
                Type::Record(r) => {
                    r.fields.len().hash(state);
                    for (name, t) in r.fields.iter() {
                        name.hash(state);
                        todo.push(t);
                    }
                }
                Type::Union(m) => {
                    m.len().hash(state);
                    todo.extend(m.iter());
                }
                Type::Function(p, r) => {
                    p.len().hash(state);
                    todo.extend(p.iter().chain([&**r]));
                }
                Type::Var(v) => v.hash(state),
                _ => {}
            }
        }
    }
}

/// `s <: t` (SPEC §5.3); the first rule that applies decides. `Error` is compatible both ways.
pub fn is_subtype(s: &Type, t: &Type) -> bool {
    if s == t || matches!(s, Type::Nothing | Type::Error) || t.is_error() {
        return true;
    }
    if let Type::Union(members) = s {
        return members.iter().all(|m| is_subtype(m, t));
    }
    if let Type::Union(members) = t {
        return members.iter().any(|m| is_subtype(s, m));
    }
    match (s, t) {
        (Type::List(a), Type::List(b))
        | (Type::Seq(a), Type::Seq(b))
        | (Type::List(a), Type::Seq(b))
        | (Type::Optional(a), Type::Optional(b)) => is_subtype(a, b),
        (Type::Map(k, a), Type::Map(k2, b)) => k == k2 && is_subtype(a, b),
        (Type::Record(s), Type::Record(t)) => {
            t.fields.iter().all(|(name, ft)| s.get(name).is_some_and(|fs| is_subtype(fs, ft)))
        }
        (Type::Function(sp, sr), Type::Function(tp, tr)) => {
            sp.len() == tp.len() && tp.iter().zip(sp).all(|(t, s)| is_subtype(t, s)) && is_subtype(sr, tr)
        }
        _ => false,
    }
}

/// The least upper bound (SPEC §5.4): `b` if `a <: b`, else `a` if `b <: a`, else the union.
pub fn lub(a: &Type, b: &Type) -> Type {
    if a.is_error() || b.is_error() {
        return Type::Error;
    }
    if is_subtype(a, b) {
        b.clone()
    } else if is_subtype(b, a) {
        a.clone()
    } else {
        Type::union([a.clone(), b.clone()])
    }
}

/// The left fold of `lub` (`Nothing` for no types).
pub fn common_type<'a>(types: impl IntoIterator<Item = &'a Type>) -> Type {
    types.into_iter().fold(Type::Nothing, |acc, t| lub(&acc, t))
}

/// The type `l + r` of the merge algebra (SPEC §5.5), or `None` when the types cannot merge.
pub fn merge(l: &Type, r: &Type) -> Option<Type> {
    let record = |t: &Type| match t {
        Type::Record(r) => Some(r.clone()),
        _ => None,
    };
    Some(match (l, r) {
        (Type::Record(a), Type::Record(b)) => Type::Record(a.merge(b)),
        (Type::List(a), Type::List(b)) => Type::list(Type::Record(record(a)?.merge(&record(b)?))),
        (Type::Seq(a), Type::Seq(b)) => Type::seq(Type::Record(record(a)?.merge(&record(b)?))),
        (Type::List(a), Type::Record(b)) => Type::list(Type::Record(record(a)?.merge(b))),
        (Type::Seq(a), Type::Record(b)) => Type::seq(Type::Record(record(a)?.merge(b))),
        (Type::Record(a), Type::List(b)) => Type::list(Type::Record(a.merge(&record(b)?))),
        (Type::Record(a), Type::Seq(b)) => Type::seq(Type::Record(a.merge(&record(b)?))),
        _ => return None,
    })
}

/// Whether values of the type can be merged with `+`: a record or a list/sequence of records.
pub fn is_mergeable(t: &Type) -> bool {
    match t {
        Type::Record(_) => true,
        Type::List(e) | Type::Seq(e) => matches!(**e, Type::Record(_)),
        _ => false,
    }
}

impl fmt::Display for TypeVar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TypeVar::T => "T",
            TypeVar::U => "U",
            TypeVar::N => "N",
            TypeVar::O => "O",
        })
    }
}

/// The canonical text of SPEC §5.2.
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("String"),
            Type::Int => f.write_str("Int"),
            Type::Float => f.write_str("Float"),
            Type::Boolean => f.write_str("Boolean"),
            Type::Nothing => f.write_str("Nothing"),
            Type::List(t) => write!(f, "List<{t}>"),
            Type::Seq(t) => write!(f, "Seq<{t}>"),
            Type::Optional(t) => write!(f, "Optional<{t}>"),
            Type::Map(k, v) => write!(f, "Map<{k}, {v}>"),
            Type::Record(r) if r.fields.is_empty() => f.write_str("{}"),
            Type::Record(r) => {
                f.write_str("{ ")?;
                for (i, (name, t)) in r.fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name}: {t}")?;
                }
                f.write_str(" }")
            }
            Type::Union(members) => {
                for (i, m) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" | ")?;
                    }
                    write!(f, "{m}")?;
                }
                Ok(())
            }
            Type::Function(params, ret) => {
                f.write_str("(")?;
                for (i, p) in params.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{p}")?;
                }
                write!(f, ") => {ret}")
            }
            Type::Var(v) => write!(f, "{v}"),
            Type::Coll(t) => write!(f, "C<{t}>"),
            Type::Error => f.write_str("{error}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(fields: &[(&str, Type)]) -> Type {
        Type::record(fields.iter().map(|(n, t)| (Name::from(*n), t.clone())))
    }

    #[test]
    fn canonical_text_sorts_fields_and_members() {
        let t = rec(&[
            ("b", Type::union([Type::String, Type::Int])),
            ("a", Type::list(rec(&[("y", Type::Int), ("x", Type::Int)]))),
        ]);
        assert_eq!(t.to_string(), "{ a: List<{ x: Int, y: Int }>, b: Int | String }");
        assert_eq!(rec(&[]).to_string(), "{}");
        assert_eq!(Type::union([Type::Int, Type::Int]), Type::Int);
        assert_eq!(
            Type::union([rec(&[("a", Type::Int)]), Type::union([Type::String, Type::Int])]).to_string(),
            "Int | String | { a: Int }"
        );
    }

    #[test]
    fn subtyping_follows_the_rules_in_order() {
        let is = |s: &Type, t: &Type| is_subtype(s, t);
        let int_str = Type::union([Type::Int, Type::String]);
        let wide = Type::union([Type::Int, Type::String, Type::Boolean]);
        assert!(is(&int_str, &wide));
        assert!(!is(&wide, &int_str));
        assert!(is(&Type::Int, &int_str));
        assert!(is(&Type::list(Type::Int), &Type::seq(Type::Int)));
        assert!(!is(&Type::seq(Type::Int), &Type::list(Type::Int)));
        assert!(is(&Type::list(Type::Nothing), &Type::list(Type::Int)));
        assert!(!is(&Type::Int, &Type::Float));
        assert!(!is(&Type::Int, &Type::optional(Type::Int)));
        assert!(is(&rec(&[("a", Type::Int), ("b", Type::Int)]), &rec(&[("a", Type::Int)])));
        assert!(!is(&rec(&[("a", Type::Int)]), &rec(&[("a", Type::Int), ("b", Type::Int)])));
        assert!(!is(&Type::map(Type::String, Type::Int), &Type::map(Type::Int, Type::Int)));
    }

    #[test]
    fn lub_examples_of_the_spec() {
        assert_eq!(lub(&Type::Int, &Type::Float).to_string(), "Float | Int");
        assert_eq!(
            lub(&rec(&[("a", Type::Int), ("b", Type::Int)]), &rec(&[("a", Type::Int)])),
            rec(&[("a", Type::Int)])
        );
        assert_eq!(lub(&Type::list(Type::Nothing), &Type::list(Type::Int)), Type::list(Type::Int));
        let int_str = Type::union([Type::Int, Type::String]);
        assert_eq!(lub(&int_str, &Type::Boolean).to_string(), "Boolean | Int | String");
        assert_eq!(common_type([]), Type::Nothing);
    }

    #[test]
    fn merge_algebra() {
        let a = rec(&[("id", Type::Int), ("name", Type::String)]);
        let b = rec(&[("name", Type::Int), ("score", Type::Float)]);
        assert_eq!(merge(&a, &b).map(|t| t.to_string()).as_deref(), Some("{ id: Int, name: Int, score: Float }"));
        assert_eq!(
            merge(&Type::list(a.clone()), &b).map(|t| t.to_string()).as_deref(),
            Some("List<{ id: Int, name: Int, score: Float }>")
        );
        assert_eq!(merge(&Type::seq(a.clone()), &Type::list(b.clone())), None);
        assert_eq!(merge(&a, &Type::Int), None);
    }
}
