//! The abstract syntax tree of a constellation-lang program (SPEC §3–§5).
//!
//! Produced by `parse`, consumed by the checker. Every node carries the byte span of the source
//! it came from; spans of children lie inside the span of their parent (checked by tests).
//! The tree is purely syntactic: names are unresolved and nothing is typed.

pub mod options;

use crate::span::Span;
use options::WithClause;

#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub decls: Vec<Decl>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

impl Ident {
    pub fn new(name: &str, start: usize, end: usize) -> Ident {
        Ident { name: name.to_string(), span: Span::new(start, end) }
    }
}

/// A possibly qualified name as written: `f`, `stdlib.math.add`, `alias.f`.
#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    pub text: String,
    pub span: Span,
}

impl Path {
    pub fn is_qualified(&self) -> bool {
        self.text.contains('.')
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Decl {
    pub span: Span,
    pub kind: DeclKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum DeclKind {
    Type {
        name: Ident,
        ty: TypeExpr,
    },
    Input {
        annotations: Vec<Annotation>,
        name: Ident,
        ty: TypeExpr,
    },
    Output {
        annotations: Vec<Annotation>,
        name: Ident,
    },
    Use {
        path: Path,
        alias: Option<Ident>,
    },
    Assign {
        name: Ident,
        value: Expr,
    },
    /// A declaration that failed to parse. It is not checked; the name it would have defined is
    /// bound to the error type so that it causes no further diagnostics (SPEC §10.1), and the
    /// names it mentions count as used (no W004 for an input used only there).
    Broken {
        defines: Option<Defines>,
        mentions: Vec<String>,
    },
}

/// The name a broken declaration would have bound, by namespace.
#[derive(Clone, Debug, PartialEq)]
pub enum Defines {
    Variable(Ident),
    TypeAlias(Ident),
    ImportAlias(Ident),
}

/// `@example(e)`, `@source("connector", key: e, …)` or `@sink(…)` (SPEC §3.4, §3.6).
#[derive(Clone, Debug, PartialEq)]
pub struct Annotation {
    pub span: Span,
    pub name: Ident,
    pub args: AnnotationArgs,
}

#[derive(Clone, Debug, PartialEq)]
pub enum AnnotationArgs {
    Expr(Expr),
    Connector { connector: String, args: Vec<(Ident, Expr)> },
}

#[derive(Clone, Debug, PartialEq)]
pub struct TypeExpr {
    pub span: Span,
    pub kind: TypeExprKind,
    /// Nesting depth: 1 for a leaf; never above `MAX_DEPTH` in a parsed program.
    pub depth: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypeExprKind {
    /// A primitive or an alias.
    Named(Ident),
    /// `List<T>`, `Map<K, V>`, … (the name is checked by the checker).
    Applied {
        name: Ident,
        args: Vec<TypeExpr>,
    },
    Record(Vec<(Ident, TypeExpr)>),
    Union(Vec<TypeExpr>),
    Merge(Vec<TypeExpr>),
}

/// How deeply expressions and types may nest (a flat chain `a + b + …` nests once, see `MAX_CHAIN`).
/// Recursive stages grow their stack on demand (`grow_stack`); the limit keeps absurd inputs from
/// taking unbounded memory and keeps dropping a tree shallow.
pub const MAX_DEPTH: u32 = 1000;

/// How many operators one chain (`a + b + c + …`, read as `((a + b) + c) + …`) may have: walkers
/// recurse down its left operands, growing their stack on the heap.
pub const MAX_CHAIN: u32 = 20_000;

/// How deeply types may nest, written (`List<List<…>>`) or built by the checker (nested list
/// literals, guards of guards). No real program comes near it; later stages may recurse over
/// types freely within it.
pub const MAX_TYPE_DEPTH: u32 = 100;

/// Runs `f` with enough stack for one more level of a recursive walk over the tree: callers at
/// every level of a recursion over expressions or types wrap their work in it.
pub fn grow_stack<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, f)
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub span: Span,
    pub kind: ExprKind,
    /// Nesting depth: 1 for a leaf; never above `MAX_DEPTH` in a parsed program. The left
    /// operand of a chain of operators (`a + b + c + …`) does not nest: a chain is as deep as its
    /// deepest operand, plus one.
    pub depth: u32,
    /// How many operators the chain this node ends has (0 for anything but an operator); never
    /// above `MAX_CHAIN`.
    pub chain: u32,
}

impl Drop for Expr {
    /// Drops the left operands of a chain (`a + b + c + …`) one after another: derived dropping
    /// would nest once per operator.
    fn drop(&mut self) {
        let mut spine: Vec<Box<Expr>> = Vec::new();
        let take = |kind: &mut ExprKind, spine: &mut Vec<Box<Expr>>| match kind {
            ExprKind::Binary { lhs, .. } | ExprKind::Logic { lhs, .. } | ExprKind::Compare { lhs, .. } => {
                let leaf = Expr { span: Span::default(), kind: ExprKind::Bool(false), depth: 1, chain: 0 };
                spine.push(std::mem::replace(lhs, Box::new(leaf)));
            }
            _ => {}
        };
        take(&mut self.kind, &mut spine);
        while let Some(mut e) = spine.pop() {
            take(&mut e.kind, &mut spine);
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Gt => ">",
            CmpOp::Le => "<=",
            CmpOp::Ge => ">=",
        }
    }

    /// `<`, `>`, `<=`, `>=`: these need numbers or strings (SPEC §4.7).
    pub fn is_ordering(self) -> bool {
        !matches!(self, CmpOp::Eq | CmpOp::Ne)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LogicOp {
    And,
    Or,
}

impl LogicOp {
    pub fn word(self) -> &'static str {
        match self {
            LogicOp::And => "and",
            LogicOp::Or => "or",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    Interp(Vec<InterpPart>),
    Var(Ident),
    Call(Box<Call>),
    /// `e.f`; `access` spans `.f`.
    Field {
        target: Box<Expr>,
        field: Ident,
        access: Span,
    },
    /// `e[f, …]` or `e{f, …}`; `brackets` spans the brackets and the names.
    Project {
        target: Box<Expr>,
        fields: Vec<Ident>,
        brackets: Span,
    },
    List(Vec<Expr>),
    Record(Vec<FieldInit>),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Compare {
        op: CmpOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Logic {
        op: LogicOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    Branch {
        arms: Vec<(Expr, Expr)>,
        otherwise: Box<Expr>,
    },
    Guard {
        value: Box<Expr>,
        cond: Box<Expr>,
    },
    Coalesce {
        value: Box<Expr>,
        default: Box<Expr>,
    },
    Match {
        scrutinee: Box<Expr>,
        cases: Vec<MatchCase>,
    },
    Lambda(Box<Lambda>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum InterpPart {
    Text(String),
    Expr(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub struct FieldInit {
    pub name: Ident,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub callee: Path,
    pub args: Vec<Expr>,
    /// Boxed: the options are large and most calls have none.
    pub with: Option<Box<WithClause>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Lambda {
    pub params: Vec<Param>,
    pub body: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: Option<TypeExpr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MatchCase {
    pub pattern: Pattern,
    pub body: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    pub span: Span,
    pub kind: PatternKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PatternKind {
    /// `{ a, b }`: records having at least these fields; binds them.
    Record(Vec<Ident>),
    /// `_`
    Wildcard,
    /// `is Name`
    Is(Ident),
}

impl Expr {
    /// A node over `kind`, its depth (and chain) computed from its children.
    pub fn new(span: Span, kind: ExprKind) -> Expr {
        let (mut depth, mut chain) = (0, 0);
        match &kind {
            ExprKind::Binary { lhs, rhs, .. }
            | ExprKind::Logic { lhs, rhs, .. }
            | ExprKind::Compare { lhs, rhs, .. } => {
                // The left operand is the chain so far: it does not nest.
                depth = lhs.depth.max(rhs.depth + 1) - 1;
                chain = lhs.chain + 1;
            }
            _ => kind.for_each_child(|c| depth = depth.max(c.depth)),
        }
        Expr { span, kind, depth: depth + 1, chain }
    }

    /// Calls `f` on each direct child expression, in source order.
    pub fn for_each_child(&self, f: impl FnMut(&Expr)) {
        self.kind.for_each_child(f)
    }
}

impl ExprKind {
    fn for_each_child(&self, mut f: impl FnMut(&Expr)) {
        match self {
            ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) | ExprKind::Str(_) | ExprKind::Var(_) => {}
            ExprKind::Interp(parts) => parts.iter().for_each(|p| {
                if let InterpPart::Expr(e) = p {
                    f(e)
                }
            }),
            ExprKind::Call(call) => {
                call.args.iter().for_each(&mut f);
                if let Some(fallback) = call.with.as_ref().and_then(|w| w.options.fallback.as_ref()) {
                    f(&fallback.expr);
                }
            }
            ExprKind::Field { target, .. } | ExprKind::Project { target, .. } => f(target),
            ExprKind::List(items) => items.iter().for_each(f),
            ExprKind::Record(fields) => fields.iter().for_each(|fi| f(&fi.value)),
            ExprKind::Neg(e) | ExprKind::Not(e) => f(e),
            ExprKind::Binary { lhs, rhs, .. }
            | ExprKind::Compare { lhs, rhs, .. }
            | ExprKind::Logic { lhs, rhs, .. } => {
                f(lhs);
                f(rhs);
            }
            ExprKind::If { cond, then, otherwise } => {
                f(cond);
                f(then);
                f(otherwise);
            }
            ExprKind::Branch { arms, otherwise } => {
                for (c, v) in arms {
                    f(c);
                    f(v);
                }
                f(otherwise);
            }
            ExprKind::Guard { value, cond } => {
                f(value);
                f(cond);
            }
            ExprKind::Coalesce { value, default } => {
                f(value);
                f(default);
            }
            ExprKind::Match { scrutinee, cases } => {
                f(scrutinee);
                cases.iter().for_each(|c| f(&c.body));
            }
            ExprKind::Lambda(l) => f(&l.body),
        }
    }
}

impl TypeExpr {
    /// A node over `kind`, its depth computed from its children.
    pub fn new(span: Span, kind: TypeExprKind) -> TypeExpr {
        let depth = match &kind {
            TypeExprKind::Named(_) => 0,
            TypeExprKind::Applied { args: children, .. }
            | TypeExprKind::Union(children)
            | TypeExprKind::Merge(children) => children.iter().map(|c| c.depth).max().unwrap_or(0),
            TypeExprKind::Record(fields) => fields.iter().map(|(_, t)| t.depth).max().unwrap_or(0),
        };
        TypeExpr { span, kind, depth: depth + 1 }
    }
}
