//! The parsing stage: source text → AST and E020 diagnostics (SPEC §2–§6, §10.1).
//!
//! Takes: a source text. Gives: a `Program` holding one `Decl` per declaration (malformed ones as
//! `DeclKind::Broken`) and the syntax diagnostics, sorted by position. Guarantees: never panics;
//! each malformed declaration yields exactly one E020; a program without `out` yields E020 at the
//! end of the file.
//!
//! Pipeline: `lex` → `layout` → split at declaration starts → the LALRPOP `Decl` grammar on each
//! piece. Splitting first is what makes recovery exact: no declaration keyword or `name =` can
//! occur inside an expression, so a broken declaration cannot swallow the next one.

use crate::ast::options::WithClause;
use crate::ast::*;
use crate::diagnostic::{self, Code, Diagnostic};
use crate::layout::{is_decl_start, layout};
use crate::lex::{Spanned, lex};
use crate::span::Span;
use crate::token::Tok;
use crate::with::RawOption;
use lalrpop_util::ParseError;

lalrpop_util::lalrpop_mod!(
    #[allow(clippy::all, clippy::pedantic, missing_debug_implementations, unused_qualifications)]
    grammar
);

/// The result of the parsing stage.
#[derive(Clone, Debug)]
pub struct Parsed {
    pub program: Program,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses a whole source text.
pub fn parse(src: &str) -> Parsed {
    let lexed = lex(src);
    let tokens = layout(lexed.tokens);
    let chunks = chunks(&tokens);
    let mut decls = Vec::with_capacity(chunks.len());
    let mut diagnostics = Vec::new();
    let mut has_out = false;
    let parser = grammar::DeclParser::new();
    for (n, range) in chunks.iter().enumerate() {
        let chunk = &tokens[range.clone()];
        has_out |= first_keyword(chunk) == Some(&Tok::Out);
        let span = Span::new(chunk[0].0, chunk.iter().map(|t| t.2).max().unwrap_or(chunk[0].2));
        let next = chunks.get(n + 1).map(|r| (tokens[r.start].0, tokens[r.start].2));
        let lex_error = chunk.iter().find_map(|(_, t, _)| match t {
            Tok::Error(i) => Some(&lexed.errors[*i]),
            _ => None,
        });
        let result = match lex_error {
            Some(e) => Err(Diagnostic::new(Code::E020, e.span, e.message.clone())),
            None => {
                let mut ctx = Ctx { src, errors: Vec::new() };
                let parsed = parser.parse(&mut ctx, chunk.iter().cloned());
                let first_action_error = ctx.errors.into_iter().min_by_key(|d| d.span.start);
                match parsed {
                    Ok(decl) => match first_action_error {
                        None => Ok(decl),
                        Some(d) => Err(d),
                    },
                    Err(e) => {
                        let d = syntax_error(src, chunk, next, e);
                        Err(match first_action_error {
                            Some(a) if a.span.start <= d.span.start => a,
                            _ => d,
                        })
                    }
                }
            }
        };
        match result {
            Ok(decl) => decls.push(decl),
            Err(d) => {
                diagnostics.push(d);
                let mentions = chunk
                    .iter()
                    .filter_map(|t| match t.1 {
                        Tok::Ident(name) | Tok::QName(name) => name.split('.').next().map(str::to_string),
                        _ => None,
                    })
                    .collect();
                decls.push(Decl { span, kind: DeclKind::Broken { defines: defines(chunk), mentions } });
            }
        }
    }
    if !has_out && !lexed.unterminated {
        let end = Span::point(src.trim_end().len());
        diagnostics.push(Diagnostic::new(Code::E020, end, "a pipeline needs at least one 'out'"));
    }
    diagnostic::sort(&mut diagnostics);
    Parsed { program: Program { decls }, diagnostics }
}

/// Parses a source given as bytes: invalid UTF-8 is E020 at the first invalid byte (SPEC §2.1).
pub fn parse_bytes(bytes: &[u8]) -> Result<Parsed, Diagnostic> {
    match std::str::from_utf8(bytes) {
        Ok(src) => Ok(parse(src)),
        Err(e) => Err(Diagnostic::new(Code::E020, Span::point(e.valid_up_to()), "source is not valid UTF-8")),
    }
}

/// Token index ranges of the declarations. Annotations stay with the `in`/`out` they precede.
fn chunks(tokens: &[Spanned<'_>]) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = 0;
    let mut annotations_only = false;
    for i in 0..tokens.len() {
        if !is_decl_start(tokens, i) {
            continue;
        }
        let tok = &tokens[i].1;
        let continues = annotations_only && matches!(tok, Tok::At | Tok::In | Tok::Out);
        if matches!(tok, Tok::In | Tok::Out) {
            annotations_only = false;
        }
        if continues {
            continue;
        }
        if i > start {
            ranges.push(start..i);
        }
        start = i;
        annotations_only = *tok == Tok::At;
    }
    if start < tokens.len() {
        ranges.push(start..tokens.len());
    }
    ranges
}

/// The declaration keyword of a chunk, after its annotations.
fn first_keyword<'a, 'src>(chunk: &'a [Spanned<'src>]) -> Option<&'a Tok<'src>> {
    match &chunk[0].1 {
        Tok::At => chunk.iter().map(|t| &t.1).find(|t| matches!(t, Tok::In | Tok::Out)),
        t => Some(t),
    }
}

/// The name a malformed declaration would have bound.
fn defines(chunk: &[Spanned<'_>]) -> Option<Defines> {
    let ident_at = |i: usize| match chunk.get(i) {
        Some(&(l, Tok::Ident(name), r)) => Some(Ident::new(name, l, r)),
        _ => None,
    };
    let position = |want: &Tok<'_>| chunk.iter().position(|t| t.1 == *want);
    match first_keyword(chunk)? {
        Tok::Ident(_) => ident_at(0).map(Defines::Variable),
        Tok::Type => ident_at(1).map(Defines::TypeAlias),
        Tok::In => ident_at(position(&Tok::In)? + 1).map(Defines::Variable),
        Tok::Use => ident_at(position(&Tok::As)? + 1).map(Defines::ImportAlias),
        _ => None,
    }
}

type GrammarError<'src> = ParseError<usize, Tok<'src>, std::convert::Infallible>;

/// Turns a grammar error into `expected …, found …`. `next` is the first token of the following
/// declaration: a declaration that ends too early is reported at it.
fn syntax_error(src: &str, chunk: &[Spanned<'_>], next: Option<(usize, usize)>, e: GrammarError<'_>) -> Diagnostic {
    let end_of_text = src.trim_end().len();
    let eof = || next.map_or((end_of_text, end_of_text), |n| n);
    let (expected, found) = match e {
        ParseError::UnrecognizedToken { token: (l, tok, r), expected } => {
            let at = if tok.is_virtual() {
                // A layout token: show the real token after it.
                chunk.iter().find(|t| t.0 >= l && !t.1.is_virtual()).map_or_else(eof, |t| (t.0, t.2))
            } else {
                (l, r)
            };
            (expected, at)
        }
        ParseError::UnrecognizedEof { expected, .. } => {
            if chunk[0].1 == Tok::At {
                let span = Span::new(chunk[0].0, chunk[0].2);
                return Diagnostic::new(
                    Code::E020,
                    span,
                    "an annotation must come directly before the `in` or `out` it describes",
                );
            }
            // The declaration ends too early: point just after it, and name what comes next.
            let end = chunk.iter().map(|t| t.2).max().unwrap_or(0);
            let found = found_text(src, eof());
            let message = match describe_expected(&expected) {
                Some(what) => format!("expected {what}, found {found}"),
                None => format!("unexpected {found}"),
            };
            let d = Diagnostic::new(Code::E020, Span::point(end), message);
            return match next {
                Some(_) => d.with_help(format!("the declaration ends here: {found} starts the next one")),
                None => d,
            };
        }
        ParseError::ExtraToken { token: (l, _, r) } => (vec!["end of declaration".to_string()], (l, r)),
        ParseError::InvalidToken { location } => (Vec::new(), (location, location)),
        ParseError::User { error } => match error {},
    };
    let span = Span::new(found.0, found.1);
    let at = chunk.iter().position(|t| t.0 == found.0 && !t.1.is_virtual());
    let previous = at.and_then(|i| i.checked_sub(1)).map(|i| &chunk[i].1);
    match (at.map(|i| &chunk[i].1), previous) {
        (Some(Tok::With), _) => {
            return Diagnostic::new(Code::E020, span, "a `with` clause can only follow a function call's `)`");
        }
        (Some(Tok::LBrace), Some(Tok::QName(name))) if at.is_some_and(|i| i >= 2 && chunk[i - 2].1 == Tok::Match) => {
            return Diagnostic::new(Code::E020, span, "a `match` scrutinee must be a primary expression")
                .with_help(format!("parenthesise it: match ({name}) {{ … }}"));
        }
        (Some(Tok::Int(_)), Some(Tok::LBracket)) => {
            return Diagnostic::new(Code::E020, span, "expected a field name, found an index")
                .with_help("there is no indexing: use list-get(list, index)");
        }
        _ => {}
    }
    let found_text = found_text(src, found);
    match describe_expected(&expected) {
        Some(what) => Diagnostic::new(Code::E020, span, format!("expected {what}, found {found_text}")),
        None => Diagnostic::new(Code::E020, span, format!("expected a new declaration, found {found_text}"))
            .with_help("declarations start with `type`, `in`, `out`, `use`, `@` or `name =`"),
    }
}

/// The token at `span` for a "found …" message: its text in backquotes, or `end of file`.
fn found_text(src: &str, (start, end): (usize, usize)) -> String {
    if start >= src.trim_end().len() {
        return "end of file".to_string();
    }
    let text = &src[start..end];
    let short: String = text.chars().take(24).collect();
    let ellipsis = if short.len() < text.len() { "…" } else { "" };
    format!("`{short}{ellipsis}`")
}

/// Describes the set of expected terminals for humans.
fn describe_expected(expected: &[String]) -> Option<String> {
    let names: Vec<&str> = expected.iter().map(|e| e.trim_matches('"')).collect();
    let has = |n: &str| names.contains(&n);
    const EXPRESSION_STARTS: [&str; 17] = [
        "identifier",
        "qualified name",
        "integer",
        "float",
        "string",
        "string start",
        "true",
        "false",
        "(",
        "lambda (",
        "[",
        "{",
        "-",
        "not",
        "if",
        "branch",
        "match",
    ];
    let mut parts: Vec<String> = Vec::new();
    let mut covered: Vec<&str> = vec!["end of with", "qualified name", "fallback", "- "];
    if has("is") {
        parts.push("a pattern".into());
        covered.extend(["is", "{", "identifier"]);
    } else if has("identifier") && has("integer") {
        parts.push("an expression".into());
        covered.extend(EXPRESSION_STARTS);
    } else if has("identifier") && has("{") && !has("(") {
        parts.push("a type".into());
        covered.extend(["identifier", "{"]);
    }
    if has("+") && has("*") {
        parts.push("an operator".into());
        covered.extend([
            "+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "and", "or", "when", "??", ".", "[", "{",
        ]);
    }
    if has("option name") {
        covered.push("lazy");
    }
    for name in &names {
        if covered.contains(name) {
            continue;
        }
        let text = match *name {
            "identifier" => "a name".to_string(),
            "option name" => "an option name".to_string(),
            "option comma" => "`,`".to_string(),
            "lambda (" => "`(`".to_string(),
            "integer" => "an integer".to_string(),
            "float" => "a number".to_string(),
            "string" | "string start" => "a string".to_string(),
            "string middle" | "string end" => "`}`".to_string(),
            "raw string" if has("identifier") => continue,
            "raw string" => "a connector string".to_string(),
            "duration" => "a duration".to_string(),
            "rate" => "a rate".to_string(),
            "end of declaration" => "the end of the declaration".to_string(),
            other => format!("`{other}`"),
        };
        if !parts.contains(&text) {
            parts.push(text);
        }
    }
    match parts.len() {
        0 => None,
        1 => Some(parts.remove(0)),
        n => {
            parts.truncate(n.min(6));
            let last = parts.pop().unwrap_or_default();
            Some(format!("{} or {last}", parts.join(", ")))
        }
    }
}

/// State shared with the grammar's actions: the source and the errors they report.
#[derive(Debug)]
pub struct Ctx<'src> {
    src: &'src str,
    errors: Vec<Diagnostic>,
}

impl<'src> Ctx<'src> {
    /// An expression node, unless it would nest deeper than `MAX_DEPTH`: then an error and a
    /// placeholder, so no stage ever recurses (or drops) deeper than that.
    pub(crate) fn expr(&mut self, start: usize, end: usize, kind: ExprKind) -> Expr {
        let e = Expr::new(Span::new(start, end), kind);
        if e.depth <= MAX_DEPTH && e.chain <= MAX_CHAIN {
            return e;
        }
        self.too_deep(e.span);
        Expr::new(e.span, ExprKind::Bool(false))
    }

    /// A type expression node, unless it would nest deeper than `MAX_TYPE_DEPTH`.
    pub(crate) fn ty(&mut self, start: usize, end: usize, kind: TypeExprKind) -> TypeExpr {
        let t = TypeExpr::new(Span::new(start, end), kind);
        if t.depth <= MAX_TYPE_DEPTH {
            return t;
        }
        if !self.errors.iter().any(|e| e.message.starts_with("type nesting too deep")) {
            let message = format!("type nesting too deep: types may nest at most {MAX_TYPE_DEPTH} levels");
            self.error(t.span, message);
        }
        TypeExpr::new(t.span, TypeExprKind::Record(Vec::new()))
    }

    fn too_deep(&mut self, span: Span) {
        // Report once per declaration: the first (innermost) offender is enough.
        if !self.errors.iter().any(|e| e.message.starts_with("nesting too deep")) {
            let message = format!(
                "nesting too deep: expressions and types may nest at most {MAX_DEPTH} levels, and operator chains may hold at most {MAX_CHAIN} operators"
            );
            self.error(span, message);
        }
    }

    pub(crate) fn error(&mut self, span: Span, message: impl Into<String>) {
        self.errors.push(Diagnostic::new(Code::E020, span, message));
    }

    /// An integer literal; `negative` when written with a directly preceding `-` (SPEC §2.4).
    pub(crate) fn int(&mut self, span: Span, magnitude: u64, negative: bool) -> Expr {
        let value = if negative { 0i64.checked_sub_unsigned(magnitude) } else { i64::try_from(magnitude).ok() };
        let value = value.unwrap_or_else(|| {
            self.error(span, crate::lex::INT_RANGE);
            0
        });
        Expr::new(span, ExprKind::Int(value))
    }

    /// `a.b.c` written as one token and not called: the variable `a` and field accesses.
    pub(crate) fn field_chain(&mut self, start: usize, path: &str) -> Expr {
        let (first, rest) = path.split_once('.').unwrap_or((path, ""));
        let var = Ident::new(first, start, start + first.len());
        let expr = Expr::new(var.span, ExprKind::Var(var));
        let dot = start + first.len();
        self.fields(expr, start, dot, dot + 1, rest)
    }

    /// Field accesses `.a.b…` on `target` (which starts at `start`): the `.` at `dot`, then the
    /// dotted `path` at `at`.
    pub(crate) fn fields(&mut self, target: Expr, start: usize, dot: usize, at: usize, path: &str) -> Expr {
        let mut expr = target;
        let (mut dot, mut at) = (dot, at);
        for segment in path.split('.') {
            let field = Ident::new(segment, at, at + segment.len());
            if Tok::keyword(segment).is_some() {
                self.error(field.span, format!("expected a field name, found the reserved word `{segment}`"));
            }
            let access = Span::new(dot, field.span.end);
            (dot, at) = (field.span.end, field.span.end + 1);
            expr = self.expr(start, field.span.end, ExprKind::Field { target: Box::new(expr), field, access });
        }
        expr
    }

    pub(crate) fn branch(&mut self, span: Span, arms: Vec<(Option<Expr>, Expr, Span)>) -> Expr {
        let mut conditional = Vec::with_capacity(arms.len());
        let mut otherwise = None;
        for (cond, value, arm_span) in arms {
            match cond {
                _ if otherwise.is_some() => {
                    self.error(arm_span, "branch needs an 'otherwise' arm as its last arm");
                }
                Some(cond) => conditional.push((cond, value)),
                None => otherwise = Some(value),
            }
        }
        let otherwise = otherwise.unwrap_or_else(|| {
            self.error(Span::new(span.end - 1, span.end), "branch needs an 'otherwise' arm as its last arm");
            Expr::new(span, ExprKind::Bool(false))
        });
        self.expr(span.start, span.end, ExprKind::Branch { arms: conditional, otherwise: Box::new(otherwise) })
    }

    pub(crate) fn wildcard(&mut self, name: Ident) -> Pattern {
        if name.name != "_" {
            self.error(
                name.span,
                format!("expected a pattern (`{{ fields }}`, `_` or `is Type`), found `{}`", name.name),
            );
        }
        Pattern { span: name.span, kind: PatternKind::Wildcard }
    }

    pub(crate) fn interpolation(
        &mut self,
        span: Span,
        first: String,
        expr: Expr,
        rest: Vec<(String, Expr)>,
        last: String,
    ) -> Expr {
        let mut parts = Vec::with_capacity(2 * rest.len() + 3);
        let text = |parts: &mut Vec<InterpPart>, s: String| {
            if !s.is_empty() {
                parts.push(InterpPart::Text(s));
            }
        };
        text(&mut parts, first);
        parts.push(InterpPart::Expr(expr));
        for (s, e) in rest {
            text(&mut parts, s);
            parts.push(InterpPart::Expr(e));
        }
        text(&mut parts, last);
        self.expr(span.start, span.end, ExprKind::Interp(parts))
    }

    /// Checks one option as soon as it is read, so its error wins over any later parse error.
    pub(crate) fn option<'a>(&mut self, raw: RawOption<'a>) -> RawOption<'a> {
        if let Err(d) = raw.validate(self.src) {
            self.errors.push(d);
        }
        raw
    }

    pub(crate) fn with_clause(&mut self, span: Span, raw: Vec<RawOption<'_>>) -> Box<WithClause> {
        Box::new(WithClause::build(span, raw, self.src, &mut self.errors))
    }

    pub(crate) fn input(&mut self, span: Span, annotations: Vec<Annotation>, name: Ident, ty: TypeExpr) -> Decl {
        for a in &annotations {
            match (a.name.name.as_str(), &a.args) {
                ("example", AnnotationArgs::Expr(_)) | ("source", AnnotationArgs::Connector { .. }) => {}
                ("source", AnnotationArgs::Expr(_)) => {
                    self.error(a.span, "@source needs a connector name in quotes as its first argument")
                }
                _ => self.unknown_annotation(a),
            }
        }
        Decl { span, kind: DeclKind::Input { annotations, name, ty } }
    }

    pub(crate) fn output(&mut self, span: Span, annotations: Vec<Annotation>, name: Ident) -> Decl {
        for a in &annotations {
            match (a.name.name.as_str(), &a.args) {
                ("sink", AnnotationArgs::Connector { .. }) => {}
                ("sink", AnnotationArgs::Expr(_)) => {
                    self.error(a.span, "@sink needs a connector name in quotes as its first argument")
                }
                _ => self.unknown_annotation(a),
            }
        }
        Decl { span, kind: DeclKind::Output { annotations, name } }
    }

    fn unknown_annotation(&mut self, a: &Annotation) {
        let span = Span::new(a.span.start, a.name.span.end);
        self.error(span, format!("unknown annotation '@{}'", a.name.name));
    }
}
