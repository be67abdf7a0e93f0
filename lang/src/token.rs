//! The tokens the grammar consumes.
//!
//! The lexer (`lex`) produces every variant except the four *layout* tokens (`OptName`,
//! `OptFallback`, `OptComma`, `EndWith`) and `LParenLambda`, which the layout pass inserts.
//! Tokens borrow identifier text from the source; string contents are unescaped and owned.

use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub enum Tok<'src> {
    Ident(&'src str),
    /// `a.b.c` written without whitespace around the dots (SPEC §2.3).
    QName(&'src str),
    /// A non-negative integer literal; the sign and the i64 range are the grammar's business.
    Int(u64),
    Float(f64),
    /// A duration in milliseconds (`30s`), only valid as an option value.
    Duration(u64),
    /// `count/duration` as (count, milliseconds), only valid as an option value.
    Rate(u64, u64),
    /// A string without interpolation, unescaped.
    Str(String),
    /// The text of an interpolated string up to its first `${`.
    StrBegin(String),
    /// The text between a `}` and the next `${` of an interpolated string.
    StrMid(String),
    /// The text between the last `}` and the closing quote.
    StrEnd(String),
    /// The verbatim first argument of `@source` / `@sink`.
    RawStr(&'src str),
    /// An index into the lexer's error list; a declaration holding one is not parsed.
    Error(usize),

    // Layout tokens (see `layout`).
    OptName(&'src str),
    OptFallback,
    OptComma,
    EndWith,
    LParenLambda,

    // Reserved words (SPEC §2.3).
    Type,
    In,
    Out,
    If,
    Else,
    True,
    False,
    Use,
    As,
    And,
    Or,
    Not,
    When,
    Branch,
    Otherwise,
    With,
    Lazy,
    Match,
    Is,

    // Operators and punctuation (SPEC §2.6).
    Plus,
    /// A `-` followed by whitespace or the end of the file.
    Minus,
    /// A `-` directly followed by the next token: a prefix minus where an operand is expected.
    MinusTight,
    Star,
    Slash,
    Percent,
    EqEq,
    NotEq,
    Lt,
    Gt,
    Le,
    Ge,
    Assign,
    Coalesce,
    FatArrow,
    Arrow,
    Colon,
    Comma,
    Dot,
    Pipe,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    At,
}

impl Tok<'_> {
    /// The reserved word spelled `word`, if it is one.
    pub fn keyword(word: &str) -> Option<Tok<'static>> {
        Some(match word {
            "type" => Tok::Type,
            "in" => Tok::In,
            "out" => Tok::Out,
            "if" => Tok::If,
            "else" => Tok::Else,
            "true" => Tok::True,
            "false" => Tok::False,
            "use" => Tok::Use,
            "as" => Tok::As,
            "and" => Tok::And,
            "or" => Tok::Or,
            "not" => Tok::Not,
            "when" => Tok::When,
            "branch" => Tok::Branch,
            "otherwise" => Tok::Otherwise,
            "with" => Tok::With,
            "lazy" => Tok::Lazy,
            "match" => Tok::Match,
            "is" => Tok::Is,
            _ => return None,
        })
    }

    /// Tokens that open a bracket level (the layout pass counts them).
    pub fn opens(&self) -> bool {
        matches!(self, Tok::LParen | Tok::LParenLambda | Tok::LBracket | Tok::LBrace | Tok::StrBegin(_))
    }

    /// Tokens that close a bracket level; `StrMid` closes one and opens the next.
    pub fn closes(&self) -> bool {
        matches!(self, Tok::RParen | Tok::RBracket | Tok::RBrace | Tok::StrMid(_) | Tok::StrEnd(_))
    }

    /// Whether the token is inserted by the layout pass and has no text of its own.
    pub fn is_virtual(&self) -> bool {
        matches!(self, Tok::EndWith)
    }
}

/// The token as the user wrote it, for "found `x`" messages. String contents are elided.
impl fmt::Display for Tok<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Tok::Ident(s) | Tok::QName(s) | Tok::OptName(s) => return write!(f, "`{s}`"),
            Tok::Int(n) => return write!(f, "`{n}`"),
            Tok::Float(x) => return write!(f, "`{x:?}`"),
            Tok::Duration(_) => "duration",
            Tok::Rate(..) => "rate",
            Tok::Str(_) | Tok::StrBegin(_) | Tok::RawStr(_) => "string",
            Tok::StrMid(_) | Tok::StrEnd(_) => "`}`",
            Tok::Error(_) => "invalid token",
            Tok::OptFallback => "`fallback`",
            Tok::OptComma | Tok::Comma => "`,`",
            Tok::EndWith => "end of `with` clause",
            Tok::LParenLambda | Tok::LParen => "`(`",
            Tok::Type => "`type`",
            Tok::In => "`in`",
            Tok::Out => "`out`",
            Tok::If => "`if`",
            Tok::Else => "`else`",
            Tok::True => "`true`",
            Tok::False => "`false`",
            Tok::Use => "`use`",
            Tok::As => "`as`",
            Tok::And => "`and`",
            Tok::Or => "`or`",
            Tok::Not => "`not`",
            Tok::When => "`when`",
            Tok::Branch => "`branch`",
            Tok::Otherwise => "`otherwise`",
            Tok::With => "`with`",
            Tok::Lazy => "`lazy`",
            Tok::Match => "`match`",
            Tok::Is => "`is`",
            Tok::Plus => "`+`",
            Tok::Minus | Tok::MinusTight => "`-`",
            Tok::Star => "`*`",
            Tok::Slash => "`/`",
            Tok::Percent => "`%`",
            Tok::EqEq => "`==`",
            Tok::NotEq => "`!=`",
            Tok::Lt => "`<`",
            Tok::Gt => "`>`",
            Tok::Le => "`<=`",
            Tok::Ge => "`>=`",
            Tok::Assign => "`=`",
            Tok::Coalesce => "`??`",
            Tok::FatArrow => "`=>`",
            Tok::Arrow => "`->`",
            Tok::Colon => "`:`",
            Tok::Dot => "`.`",
            Tok::Pipe => "`|`",
            Tok::RParen => "`)`",
            Tok::LBracket => "`[`",
            Tok::RBracket => "`]`",
            Tok::LBrace => "`{`",
            Tok::RBrace => "`}`",
            Tok::At => "`@`",
        };
        f.write_str(text)
    }
}
