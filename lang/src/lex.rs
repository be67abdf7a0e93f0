//! The lexing stage: source text → tokens with byte spans (SPEC §2).
//!
//! Takes: a source text. Gives: the token sequence and the lexical errors, each error also
//! present in the sequence as a `Tok::Error` at its position, so that the declaration holding it
//! can report it instead of a parse error. Guarantees: never panics, always reaches the end of the
//! text, spans are in bounds, non-empty (except none) and increasing.
//!
//! logos recognises punctuation, whitespace and comments; identifiers, numbers and strings start
//! in logos and finish in hand-written scanners, because their rules look ahead (`-` before `>`
//! ends an identifier, `5s` is a duration but `5sec` an error) or change mode (`${` inside a
//! string starts an expression, `}` at its level resumes the string).

use crate::span::Span;
use crate::token::Tok;
use logos::Logos;

/// The message for an integer literal outside i64 (SPEC §2.4).
pub const INT_RANGE: &str = "integer literal out of range: an Int lies in [-9223372036854775808, 9223372036854775807]";

/// A token with its byte span, in the shape LALRPOP wants.
pub type Spanned<'src> = (usize, Tok<'src>, usize);

/// A lexical error: always an E020 syntax error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    pub span: Span,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Lexed<'src> {
    pub tokens: Vec<Spanned<'src>>,
    pub errors: Vec<LexError>,
    /// Set when a string or interpolation runs to the end of the file, swallowing the rest.
    pub unterminated: bool,
}

/// What the hand-written scanners found after logos matched the first character.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Word {
    Simple,
    Qualified,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Number {
    Int(u64),
    Float(f64),
    Duration(u64),
}

#[derive(Clone, Debug, Default, PartialEq)]
struct RawError(String);

#[derive(Logos, Clone, Copy, Debug, PartialEq)]
#[logos(error = RawError)]
#[logos(skip r"[ \t\r\n]+")]
#[logos(skip(r"#[^\n]*", allow_greedy = true))]
enum Raw {
    #[regex(r"[A-Za-z_]", scan_word)]
    Word(Word),
    #[regex(r"[0-9]", scan_number)]
    Number(Number),
    #[token("\"")]
    Quote,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("%")]
    Percent,
    #[token("==")]
    EqEq,
    #[token("!=")]
    NotEq,
    #[token("<")]
    Lt,
    #[token(">")]
    Gt,
    #[token("<=")]
    Le,
    #[token(">=")]
    Ge,
    #[token("=")]
    Assign,
    #[token("??")]
    Coalesce,
    #[token("=>")]
    FatArrow,
    #[token("->")]
    Arrow,
    #[token(":")]
    Colon,
    #[token(",")]
    Comma,
    #[token(".")]
    Dot,
    #[token("|")]
    Pipe,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("@")]
    At,
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Length of the identifier segment at the start of `rest` (after its first character):
/// `[A-Za-z0-9_-]*`, but a `-` directly followed by `>` is never part of it.
fn segment_len(rest: &[u8]) -> usize {
    let mut i = 0;
    while i < rest.len() && is_ident_char(rest[i]) {
        if rest[i] == b'-' && rest.get(i + 1) == Some(&b'>') {
            break;
        }
        i += 1;
    }
    i
}

fn scan_word(lex: &mut logos::Lexer<Raw>) -> Word {
    let rest = lex.remainder().as_bytes();
    let first = segment_len(rest);
    let head = &lex.source()[lex.span().start..lex.span().end + first];
    lex.bump(first);
    if Tok::keyword(head).is_some() {
        return Word::Simple;
    }
    // Further segments: '.' directly followed by a letter or '_', no whitespace (SPEC §2.3).
    let mut consumed = first;
    let mut word = Word::Simple;
    loop {
        let rest = &lex.source().as_bytes()[lex.span().start + 1 + consumed..];
        match rest {
            [b'.', c, ..] if c.is_ascii_alphabetic() || *c == b'_' => {
                let len = 2 + segment_len(&rest[2..]);
                lex.bump(len);
                consumed += len;
                word = Word::Qualified;
            }
            _ => return word,
        }
    }
}

/// Scans a numeric literal after its first digit (SPEC §2.4) and a duration unit (SPEC §6.1).
fn scan_number(lex: &mut logos::Lexer<Raw>) -> Result<Number, RawError> {
    let src = lex.source().as_bytes();
    let start = lex.span().start;
    let mut i = lex.span().end;
    let digits = |mut i: usize| {
        while i < src.len() && src[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    i = digits(i);
    let int_end = i;
    let mut is_float = false;
    if src.get(i) == Some(&b'.') {
        if src.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i = digits(i + 1);
            is_float = true;
        } else {
            lex.bump(i + 1 - lex.span().end);
            return Err(RawError("a float literal needs digits after the '.'".into()));
        }
    }
    if matches!(src.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(src.get(i + 1), Some(b'+' | b'-')));
        if src.get(i + 1 + sign).is_some_and(u8::is_ascii_digit) {
            i = digits(i + 1 + sign);
            is_float = true;
        }
    }
    let text = &lex.source()[start..i];
    // A duration: integer digits and a unit, not followed by an identifier character.
    if !is_float {
        for (unit, factor) in [("ms", 1u64), ("min", 60_000), ("s", 1_000), ("h", 3_600_000), ("d", 86_400_000)] {
            let after = i + unit.len();
            if src[i..].starts_with(unit.as_bytes()) && !src.get(after).is_some_and(|&b| is_ident_char(b)) {
                lex.bump(after - lex.span().end);
                let ms = text.parse::<u64>().ok().and_then(|n| n.checked_mul(factor));
                return ms.map(Number::Duration).ok_or_else(|| RawError("duration out of range".into()));
            }
        }
    }
    if src.get(i).is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_') {
        let mut j = i;
        while j < src.len() && (src[j].is_ascii_alphanumeric() || src[j] == b'_') {
            j += 1;
        }
        lex.bump(j - lex.span().end);
        let written = &lex.source()[start..j];
        return Err(RawError(format!(
            "invalid numeric literal '{written}': a number cannot be directly followed by a letter"
        )));
    }
    lex.bump(i - lex.span().end);
    if is_float {
        return text.parse().map(Number::Float).map_err(|_| RawError("invalid float literal".into()));
    }
    if int_end - start > 1 && src[start] == b'0' {
        return Err(RawError(format!("invalid integer literal '{text}': leading zeros are not allowed")));
    }
    text.parse().map(Number::Int).map_err(|_| RawError(INT_RANGE.into()))
}

/// An open `${ … }` of an interpolated string: where it starts and the brace depth inside it.
struct Interp {
    start: usize,
    braces: usize,
}

struct Lexer<'src> {
    src: &'src str,
    logos: logos::Lexer<'src, Raw>,
    out: Lexed<'src>,
    interps: Vec<Interp>,
}

/// Lexes a whole source text. A leading byte-order mark is skipped.
pub fn lex(src: &str) -> Lexed<'_> {
    let mut logos = Raw::lexer(src);
    if src.starts_with('\u{feff}') {
        logos.bump(3);
    }
    let mut lexer = Lexer { src, logos, out: Lexed::default(), interps: Vec::new() };
    lexer.run();
    if let Some(open) = lexer.interps.first()
        && !lexer.out.unterminated
    {
        let span = Span::new(open.start, open.start + 2);
        lexer.out.unterminated = true;
        lexer.error(span, "unterminated string interpolation: this `${` has no closing `}`".into());
        // Keep the tokens in source order: the error belongs to the declaration holding the `${`.
        if let Some(error) = lexer.out.tokens.pop() {
            let at = lexer.out.tokens.partition_point(|t| t.0 <= error.0);
            lexer.out.tokens.insert(at, error);
        }
    }
    lexer.out
}

impl<'src> Lexer<'src> {
    fn push(&mut self, span: Span, tok: Tok<'src>) {
        self.out.tokens.push((span.start, tok, span.end));
    }

    fn error(&mut self, span: Span, message: String) {
        let index = self.out.errors.len();
        self.out.errors.push(LexError { span, message });
        self.push(span, Tok::Error(index));
    }

    fn run(&mut self) {
        while let Some(raw) = self.logos.next() {
            let span = Span::new(self.logos.span().start, self.logos.span().end);
            let raw = match raw {
                Ok(raw) => raw,
                Err(RawError(message)) if !message.is_empty() => {
                    self.error(span, message);
                    continue;
                }
                Err(_) => {
                    let message = unexpected_char(&self.src[span.start..]);
                    self.error(span, message);
                    continue;
                }
            };
            let tok = match raw {
                Raw::Word(kind) => self.word(span, kind),
                Raw::Number(Number::Int(n)) => Tok::Int(n),
                Raw::Number(Number::Float(x)) => Tok::Float(x),
                Raw::Number(Number::Duration(ms)) => {
                    self.duration(span, ms);
                    continue;
                }
                Raw::Quote => {
                    if self.after_annotation_open() {
                        self.raw_string(span.start);
                    } else {
                        self.string(span.start, span.end, true);
                    }
                    continue;
                }
                Raw::LBrace => {
                    if let Some(interp) = self.interps.last_mut() {
                        interp.braces += 1;
                    }
                    Tok::LBrace
                }
                Raw::RBrace => match self.interps.last_mut() {
                    Some(interp) if interp.braces == 0 => {
                        self.interps.pop();
                        self.string(span.start, span.end, false);
                        continue;
                    }
                    Some(interp) => {
                        interp.braces -= 1;
                        Tok::RBrace
                    }
                    None => Tok::RBrace,
                },
                Raw::Minus => {
                    let next = self.src.as_bytes().get(span.end);
                    if next.is_some_and(|b| !b.is_ascii_whitespace() && *b != b'#') {
                        Tok::MinusTight
                    } else {
                        Tok::Minus
                    }
                }
                Raw::Plus => Tok::Plus,
                Raw::Star => Tok::Star,
                Raw::Slash => Tok::Slash,
                Raw::Percent => Tok::Percent,
                Raw::EqEq => Tok::EqEq,
                Raw::NotEq => Tok::NotEq,
                Raw::Lt => Tok::Lt,
                Raw::Gt => Tok::Gt,
                Raw::Le => Tok::Le,
                Raw::Ge => Tok::Ge,
                Raw::Assign => Tok::Assign,
                Raw::Coalesce => Tok::Coalesce,
                Raw::FatArrow => Tok::FatArrow,
                Raw::Arrow => Tok::Arrow,
                Raw::Colon => Tok::Colon,
                Raw::Comma => Tok::Comma,
                Raw::Dot => Tok::Dot,
                Raw::Pipe => Tok::Pipe,
                Raw::LParen => Tok::LParen,
                Raw::RParen => Tok::RParen,
                Raw::LBracket => Tok::LBracket,
                Raw::RBracket => Tok::RBracket,
                Raw::At => Tok::At,
            };
            self.push(span, tok);
        }
    }

    fn word(&self, span: Span, kind: Word) -> Tok<'src> {
        let text = &self.src[span.start..span.end];
        match kind {
            Word::Qualified => Tok::QName(text),
            Word::Simple => Tok::keyword(text).unwrap_or(Tok::Ident(text)),
        }
    }

    /// A duration, or the end of a rate `count/duration` (no whitespace before the `/`).
    fn duration(&mut self, span: Span, ms: u64) {
        if let [.., (count_start, Tok::Int(count), count_end), (slash_start, Tok::Slash, _)] = self.out.tokens[..]
            && count_end == slash_start
        {
            self.out.tokens.truncate(self.out.tokens.len() - 2);
            self.push(Span::new(count_start, span.end), Tok::Rate(count, ms));
        } else {
            self.push(span, Tok::Duration(ms));
        }
    }

    /// Whether the last tokens are `@ source (` or `@ sink (`, so a raw string follows.
    fn after_annotation_open(&self) -> bool {
        matches!(self.out.tokens[..], [.., (_, Tok::At, _), (_, Tok::Ident("source" | "sink"), _), (_, Tok::LParen, _)])
    }

    fn raw_string(&mut self, start: usize) {
        let content = start + 1;
        match self.src[content..].find('"') {
            Some(len) => {
                self.logos.bump(len + 1);
                let text = &self.src[content..content + len];
                self.push(Span::new(start, content + len + 1), Tok::RawStr(text));
            }
            None => self.unterminated_string(start),
        }
    }

    fn unterminated_string(&mut self, start: usize) {
        self.logos.bump(self.src.len() - self.logos.span().end);
        self.out.unterminated = true;
        self.error(Span::new(start, start + 1), "unterminated string: expected a closing `\"`".into());
    }

    /// Scans string text from `content` (just after `"` or an interpolation's `}`) to the closing
    /// quote or the next `${`, unescaping as it goes (SPEC §2.5). `first` says whether the text
    /// began at an opening quote.
    fn string(&mut self, start: usize, content: usize, first: bool) {
        let bytes = self.src.as_bytes();
        let mut text = String::new();
        let mut i = content;
        let mut run = i; // start of the pending run of plain text
        let mut bad_escapes = Vec::new();
        loop {
            let Some(&b) = bytes.get(i) else {
                self.unterminated_string(start);
                self.escape_errors(bad_escapes);
                return;
            };
            match b {
                b'"' => {
                    text.push_str(&self.src[run..i]);
                    self.logos.bump(i + 1 - self.logos.span().end);
                    let tok = if first { Tok::Str(text) } else { Tok::StrEnd(text) };
                    self.push(Span::new(start, i + 1), tok);
                    self.escape_errors(bad_escapes);
                    return;
                }
                b'$' if bytes.get(i + 1) == Some(&b'{') => {
                    text.push_str(&self.src[run..i]);
                    self.logos.bump(i + 2 - self.logos.span().end);
                    let tok = if first { Tok::StrBegin(text) } else { Tok::StrMid(text) };
                    self.push(Span::new(start, i + 2), tok);
                    self.escape_errors(bad_escapes);
                    self.interps.push(Interp { start: i, braces: 0 });
                    return;
                }
                b'\\' => {
                    text.push_str(&self.src[run..i]);
                    let (len, result) = escape(&self.src[i..]);
                    match result {
                        Ok(c) => text.push(c),
                        // Reported after the string's token; lexing goes on to the string's end.
                        Err(message) => bad_escapes.push(LexError { span: Span::new(i, i + len), message }),
                    }
                    i += len;
                    run = i;
                }
                _ => i += 1,
            }
        }
    }

    fn escape_errors(&mut self, errors: Vec<LexError>) {
        for e in errors {
            self.error(e.span, e.message);
        }
    }
}

/// Decodes the escape at the start of `s` (which starts with `\`): its byte length and the scalar.
fn escape(s: &str) -> (usize, Result<char, String>) {
    let mut chars = s[1..].chars();
    let Some(c) = chars.next() else {
        return (1, Err("unterminated string: expected a closing `\"`".into()));
    };
    let simple = match c {
        'n' => Some('\n'),
        't' => Some('\t'),
        'r' => Some('\r'),
        '\\' => Some('\\'),
        '"' => Some('"'),
        '$' => Some('$'),
        _ => None,
    };
    if let Some(value) = simple {
        return (2, Ok(value));
    }
    if c != 'u' {
        return (1 + c.len_utf8(), Err(format!("unknown escape sequence '\\{c}'")));
    }
    let rest = &s[2..];
    let bad = |len: usize| (len, Err("invalid unicode escape: write \\u{H…} with 1 to 6 hex digits".to_string()));
    let Some(body) = rest.strip_prefix('{') else {
        return bad(2);
    };
    let hex_len = body.bytes().take_while(u8::is_ascii_hexdigit).count();
    if body.as_bytes().get(hex_len) != Some(&b'}') || hex_len == 0 || hex_len > 6 {
        return bad(3 + hex_len);
    }
    let len = 2 + 1 + hex_len + 1;
    let value = u32::from_str_radix(&body[..hex_len], 16).ok().and_then(char::from_u32);
    match value {
        Some(c) => (len, Ok(c)),
        None => (
            len,
            Err(format!("invalid unicode escape: U+{} is not a Unicode scalar value", &body[..hex_len].to_uppercase())),
        ),
    }
}

/// The message for a character that starts no token.
fn unexpected_char(rest: &str) -> String {
    match rest.chars().next() {
        Some('!') => "unexpected character '!': write 'not' for negation and '!=' for inequality".into(),
        Some('$') => "unexpected character '$': '${' starts an interpolation only inside a string".into(),
        Some(c) if c.is_whitespace() || c.is_control() => {
            format!("unexpected character U+{:04X}: only space, tab, CR and LF are whitespace", c as u32)
        }
        Some(c) => format!("unexpected character '{c}'"),
        None => "unexpected end of file".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok<'_>> {
        lex(src).tokens.into_iter().map(|(_, t, _)| t).collect()
    }

    #[test]
    fn hyphens_belong_to_identifiers_except_before_gt() {
        assert_eq!(toks("a-b"), vec![Tok::Ident("a-b")]);
        assert_eq!(toks("c->x"), vec![Tok::Ident("c"), Tok::Arrow, Tok::Ident("x")]);
        assert_eq!(toks("in-x inner in"), vec![Tok::Ident("in-x"), Tok::Ident("inner"), Tok::In]);
    }

    #[test]
    fn qualified_names_need_tight_dots_and_may_end_in_keywords() {
        assert_eq!(toks("stdlib.bool.and"), vec![Tok::QName("stdlib.bool.and")]);
        assert_eq!(toks("r .b"), vec![Tok::Ident("r"), Tok::Dot, Tok::Ident("b")]);
        assert_eq!(toks("true.x"), vec![Tok::True, Tok::Dot, Tok::Ident("x")]);
    }

    #[test]
    fn numbers_durations_and_rates() {
        assert_eq!(toks("1e3 2.5E-3 7"), vec![Tok::Float(1000.0), Tok::Float(0.0025), Tok::Int(7)]);
        assert_eq!(toks("30s 1min 5ms"), vec![Tok::Duration(30_000), Tok::Duration(60_000), Tok::Duration(5)]);
        assert_eq!(toks("100/1min"), vec![Tok::Rate(100, 60_000)]);
        assert_eq!(toks("100/ 1s"), vec![Tok::Rate(100, 1_000)]);
        assert_eq!(toks("100 /1s"), vec![Tok::Int(100), Tok::Slash, Tok::Duration(1_000)]);
        for bad in ["007", "3x", "5sec", "1.e3", "5.", "99999999999999999999", "5m"] {
            assert_eq!(lex(bad).errors.len(), 1, "{bad}");
        }
    }

    #[test]
    fn minus_is_tight_when_directly_followed() {
        assert_eq!(toks("-5 - 5"), vec![Tok::MinusTight, Tok::Int(5), Tok::Minus, Tok::Int(5)]);
    }

    #[test]
    fn strings_escape_and_interpolate() {
        assert_eq!(toks(r#""a\tb\u{1F600}""#), vec![Tok::Str("a\tb\u{1F600}".into())]);
        assert_eq!(
            toks(r#""x${ {a: "${y}"} }z""#),
            vec![
                Tok::StrBegin("x".into()),
                Tok::LBrace,
                Tok::Ident("a"),
                Tok::Colon,
                Tok::StrBegin("".into()),
                Tok::Ident("y"),
                Tok::StrEnd("".into()),
                Tok::RBrace,
                Tok::StrEnd("z".into()),
            ]
        );
        assert_eq!(toks(r#""cost: $5""#), vec![Tok::Str("cost: $5".into())]);
        assert_eq!(lex(r#""a\qb""#).errors[0].message, "unknown escape sequence '\\q'");
        assert!(lex("\"abc").unterminated);
    }

    #[test]
    fn annotation_strings_are_raw() {
        assert_eq!(toks(r#"@source("a\q")"#)[3], Tok::RawStr("a\\q"));
    }

    #[test]
    fn comments_and_unknown_characters() {
        assert_eq!(toks("a # b\n c"), vec![Tok::Ident("a"), Tok::Ident("c")]);
        assert_eq!(lex("a ! b").errors.len(), 1);
        assert_eq!(lex("a\u{a0}b").errors.len(), 1);
    }
}
