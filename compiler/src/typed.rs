//! The typed tree: the product of `check` and the input of lowering.
//!
//! Every expression carries its type; names are resolved (globals to `BindingId`s, lambda
//! parameters and match bindings to `LocalId`s, calls to qualified function names); every place
//! where SPEC §5.7 converts a value to a more general type, and every Int→Float promotion of
//! §4.6/§4.7/§5.8, is an explicit `Convert` node whose type is the target. Only a program without
//! errors yields a typed tree that lowering may use.

use asterism_lang::ast::options::CallOptions;
use asterism_lang::ast::{BinOp, CmpOp, LogicOp};
use asterism_lang::span::Span;
use asterism_registry::{Name, Type};

/// Index of a global binding (an input or an assignment) in `TypedProgram::bindings`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BindingId(pub u32);

/// Index of a lambda parameter or match binding, unique within the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalId(pub u32);

#[derive(Clone, Debug, Default)]
pub struct TypedProgram {
    /// Inputs and assignments in declaration order.
    pub bindings: Vec<Binding>,
    /// Outputs in order of first appearance, each bound to the last binding of its name.
    pub outputs: Vec<Output>,
    /// Types of the locals, indexed by `LocalId`.
    pub locals: Vec<Type>,
}

#[derive(Clone, Debug)]
pub struct Binding {
    pub name: Name,
    pub span: Span,
    pub ty: Type,
    pub kind: BindingKind,
}

#[derive(Clone, Debug)]
pub enum BindingKind {
    Input,
    Assign(TExpr),
    /// The declaration had an error; only programs with errors contain such bindings.
    Invalid,
}

#[derive(Clone, Debug)]
pub struct Output {
    pub name: Name,
    pub binding: BindingId,
    pub ty: Type,
}

#[derive(Clone, Debug)]
pub struct TExpr {
    pub ty: Type,
    pub span: Span,
    pub kind: TExprKind,
}

#[derive(Clone, Debug)]
pub enum TExprKind {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    Interp(Vec<TPart>),
    Global(BindingId),
    Local(LocalId),
    Call(Box<TCall>),
    /// Only as an argument of a higher-order call.
    Lambda(Box<TLambda>),
    /// Field `index` (canonical order) of a record, or of every element when `lifted`.
    Field {
        target: Box<TExpr>,
        index: usize,
        lifted: bool,
    },
    /// Fields `indices` (canonical order of the target's record), element-wise when `lifted`.
    Project {
        target: Box<TExpr>,
        indices: Vec<usize>,
        lifted: bool,
    },
    List(Vec<TExpr>),
    /// Field values in source order; `layout[i]` is the value of the record type's i-th field.
    Record {
        values: Vec<TExpr>,
        layout: Vec<usize>,
    },
    Neg(Box<TExpr>),
    Not(Box<TExpr>),
    /// Int or Float arithmetic; both operands have the node's type.
    Arith {
        op: BinOp,
        lhs: Box<TExpr>,
        rhs: Box<TExpr>,
    },
    Concat {
        lhs: Box<TExpr>,
        rhs: Box<TExpr>,
    },
    /// The merge algebra of SPEC §5.5.
    Merge {
        lhs: Box<TExpr>,
        rhs: Box<TExpr>,
    },
    /// Both operands converted to the comparison type.
    Compare {
        op: CmpOp,
        lhs: Box<TExpr>,
        rhs: Box<TExpr>,
    },
    Logic {
        op: LogicOp,
        lhs: Box<TExpr>,
        rhs: Box<TExpr>,
    },
    If {
        cond: Box<TExpr>,
        then: Box<TExpr>,
        otherwise: Box<TExpr>,
    },
    Branch {
        arms: Vec<(TExpr, TExpr)>,
        otherwise: Box<TExpr>,
    },
    Guard {
        value: Box<TExpr>,
        cond: Box<TExpr>,
    },
    Coalesce {
        value: Box<TExpr>,
        default: Box<TExpr>,
    },
    Match {
        scrutinee: Box<TExpr>,
        cases: Vec<TCase>,
    },
    /// The value of the child converted to this node's type (SPEC §5.7, plus Int→Float).
    Convert(Box<TExpr>),
}

#[derive(Clone, Debug)]
pub enum TPart {
    Text(String),
    Expr(TExpr),
}

#[derive(Clone, Debug)]
pub struct TCall {
    /// The qualified name of the called function.
    pub function: String,
    pub args: Vec<TExpr>,
    pub options: CallOptions,
    /// The fallback expression, typed and converted to the call's type.
    pub fallback: Option<TExpr>,
}

#[derive(Clone, Debug)]
pub struct TLambda {
    pub params: Vec<LocalId>,
    pub body: TExpr,
}

#[derive(Clone, Debug)]
pub struct TCase {
    /// Indices of the scrutinee's members (canonical order) this case is chosen for: the members it
    /// covers that no earlier case covers.
    pub members: Vec<usize>,
    /// Record-pattern bindings: the local and the field it takes from the member's record.
    pub bindings: Vec<(LocalId, Name)>,
    pub body: TExpr,
}
