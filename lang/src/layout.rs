//! The layout pass: lexer tokens → grammar tokens.
//!
//! Three rules of the language need more lookahead than an LR(1) grammar has, so this pass
//! settles them on the token sequence and marks the result with tokens of its own:
//! - `(` whose matching `)` is followed by `=>` opens a lambda's parameter list (`LParenLambda`);
//! - inside a `with` clause, a comma continues the clause only when `lazy` or an option name and
//!   `:` follow (SPEC §6.1): such a comma becomes `OptComma`;
//! - every `with` clause is closed by a zero-width `EndWith`, so a clause (and a `fallback`
//!   expression in it) never competes with the enclosing expression for the tokens after it.
//!   Option names after `with`/`OptComma` become `OptName` (or `OptFallback`).
//!
//! A clause ends at a comma not followed by an option, at a bracket that closes its level, at a
//! declaration start, at the end of the file, after a complete non-`fallback` value that is not
//! followed by a continuing comma, and after a `fallback` expression at `else` or `->`.
//! Guarantees: the output holds every input token in order, plus the inserted ones.

use crate::ast::options::OPTION_NAMES;
use crate::lex::Spanned;
use crate::token::Tok;

/// Whether the token at `i` starts a declaration (SPEC §3.1): a declaration keyword, `@`, or a
/// name followed by `=` (not the alias name of `type Name =`). None of these can occur inside an
/// expression.
pub fn is_decl_start(tokens: &[Spanned<'_>], i: usize) -> bool {
    match tokens[i].1 {
        // A keyword starts a declaration only when followed by a name (or by `=`: an attempt to
        // assign to it), so a misused keyword (`{in: 1}`, `(out) => 1`) stays in its declaration.
        Tok::Type | Tok::In | Tok::Out | Tok::Use => {
            matches!(tokens.get(i + 1), Some((_, Tok::Ident(_) | Tok::QName(_) | Tok::Assign, _)))
        }
        Tok::At => true,
        Tok::Ident(_) | Tok::QName(_) => {
            matches!(tokens.get(i + 1), Some((_, Tok::Assign, _)))
                && !matches!(i.checked_sub(1).map(|p| &tokens[p].1), Some(Tok::Type))
        }
        _ => false,
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    /// After `with` or `OptComma`.
    ExpectName,
    /// After an option name; any option may stop here (`lazy` legitimately, others to be judged).
    AfterName { fallback: bool },
    /// After `name:` of a non-fallback option.
    Value,
    /// After `-` in a value.
    ValueMinus,
    /// After a word in a value: `tumbling` may be followed by `(`.
    ValueWord,
    /// Inside brackets opened by the value; complete when they close.
    ValueNested,
    /// The value is complete.
    Complete,
    /// Inside a fallback expression.
    Fallback,
}

#[derive(Debug)]
struct Frame {
    depth: usize,
    state: State,
}

pub fn layout(tokens: Vec<Spanned<'_>>) -> Vec<Spanned<'_>> {
    let lambda_parens = lambda_parens(&tokens);
    let mut out: Vec<Spanned<'_>> = Vec::with_capacity(tokens.len() + tokens.len() / 16 + 1);
    let mut frames: Vec<Frame> = Vec::new();
    let mut depth = 0usize;
    let option_follows = |i: usize| match tokens.get(i + 1) {
        Some((_, Tok::Lazy, _)) => true,
        Some((_, Tok::Ident(name), _)) => {
            OPTION_NAMES.contains(name) && matches!(tokens.get(i + 2), Some((_, Tok::Colon, _)))
        }
        _ => false,
    };
    let end_with = |out: &mut Vec<Spanned<'_>>, at: usize| {
        let at = out.last().map_or(at, |t| t.2);
        out.push((at, Tok::EndWith, at));
    };

    for i in 0..tokens.len() {
        let (start, ref tok, end) = tokens[i];
        if is_decl_start(&tokens, i) {
            for _ in frames.drain(..) {
                end_with(&mut out, start);
            }
            depth = 0;
        }
        if tok.closes() {
            let inner = depth.saturating_sub(1);
            while frames.last().is_some_and(|f| f.depth > inner) {
                frames.pop();
                end_with(&mut out, start);
            }
            if let Some(f) = frames.last_mut()
                && f.depth == inner
                && f.state == State::ValueNested
            {
                f.state = State::Complete;
            }
            depth = inner;
            out.push(tokens[i].clone());
            if matches!(tok, Tok::StrMid(_)) {
                depth += 1;
            }
            continue;
        }

        // Let the innermost clause at this level react to the token.
        let mut emitted = false;
        while let Some(f) = frames.last_mut().filter(|f| f.depth == depth) {
            match f.state {
                State::ExpectName => {
                    match tok {
                        Tok::Ident(name) => {
                            let fallback = *name == "fallback";
                            let t = if fallback { Tok::OptFallback } else { Tok::OptName(name) };
                            out.push((start, t, end));
                            f.state = State::AfterName { fallback };
                        }
                        Tok::Lazy => {
                            out.push(tokens[i].clone());
                            f.state = State::AfterName { fallback: false };
                        }
                        _ => {
                            // Not an option: the grammar reports it.
                            frames.pop();
                            out.push(tokens[i].clone());
                        }
                    }
                    emitted = true;
                    break;
                }
                State::AfterName { fallback } => {
                    if *tok == Tok::Colon {
                        out.push(tokens[i].clone());
                        f.state = if fallback { State::Fallback } else { State::Value };
                        emitted = true;
                        break;
                    }
                    // An option written without a value: the grammar reads it, the checks judge it.
                    f.state = State::Complete;
                    continue;
                }
                State::Value => {
                    f.state = match tok {
                        Tok::MinusTight | Tok::Minus => State::ValueMinus,
                        Tok::Ident(_) => State::ValueWord,
                        t if t.opens() => State::ValueNested,
                        _ => State::Complete,
                    };
                    break;
                }
                State::ValueMinus => {
                    f.state = State::Complete;
                    break;
                }
                State::ValueWord => {
                    if *tok == Tok::LParen {
                        f.state = State::ValueNested;
                        break;
                    }
                    f.state = State::Complete;
                }
                State::ValueNested => break,
                State::Complete | State::Fallback => {
                    if *tok == Tok::Comma && option_follows(i) {
                        out.push((start, Tok::OptComma, end));
                        f.state = State::ExpectName;
                        emitted = true;
                        break;
                    }
                    let ends = f.state == State::Complete || matches!(tok, Tok::Comma | Tok::Else | Tok::Arrow);
                    if !ends {
                        break;
                    }
                    frames.pop();
                    end_with(&mut out, start);
                }
            }
        }
        if emitted {
            continue;
        }
        match tok {
            Tok::With => frames.push(Frame { depth, state: State::ExpectName }),
            Tok::LParen if lambda_parens.binary_search(&i).is_ok() => {
                out.push((start, Tok::LParenLambda, end));
                depth += 1;
                continue;
            }
            t if t.opens() => depth += 1,
            _ => {}
        }
        out.push(tokens[i].clone());
    }
    let eof = tokens.last().map_or(0, |t| t.2);
    for _ in frames.drain(..) {
        end_with(&mut out, eof);
    }
    out
}

/// Indices (sorted) of the `(` tokens whose matching `)` is directly followed by `=>`, unless the
/// `(` is a call's (preceded by a name).
fn lambda_parens(tokens: &[Spanned<'_>]) -> Vec<usize> {
    let mut open = Vec::new();
    let mut found = Vec::new();
    for (i, (_, tok, _)) in tokens.iter().enumerate() {
        match tok {
            Tok::LParen => open.push(i),
            Tok::RParen => {
                if let Some(o) = open.pop()
                    && matches!(tokens.get(i + 1), Some((_, Tok::FatArrow, _)))
                    && !matches!(o.checked_sub(1).map(|p| &tokens[p].1), Some(Tok::Ident(_) | Tok::QName(_)))
                {
                    found.push(o);
                }
            }
            _ => {}
        }
    }
    found.sort_unstable();
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lex::lex;

    fn laid(src: &str) -> String {
        layout(lex(src).tokens)
            .iter()
            .map(|(s, t, e)| match t {
                Tok::OptComma => ";".to_string(),
                Tok::EndWith => "$".to_string(),
                Tok::OptName(n) => format!("opt:{n}"),
                Tok::OptFallback => "opt:fallback".to_string(),
                Tok::LParenLambda => "λ(".to_string(),
                _ => src[*s..*e].to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn commas_continue_a_clause_only_before_an_option() {
        assert_eq!(laid("f(g(x) with retry: 1, y)"), "f ( g ( x ) with opt:retry : 1 $ , y )");
        assert_eq!(
            laid("[a() with retry: 1, timeout: 1s, b()]"),
            "[ a ( ) with opt:retry : 1 ; opt:timeout : 1s $ , b ( ) ]"
        );
        assert_eq!(laid("{p: a() with cache: 10s, q: 2}"), "{ p : a ( ) with opt:cache : 10s $ , q : 2 }");
    }

    #[test]
    fn fallback_expressions_extend_until_a_terminator() {
        assert_eq!(laid("f(x) with fallback: d * 2 out q"), "f ( x ) with opt:fallback : d * 2 $ out q");
        assert_eq!(
            laid("f() with fallback: g() with retry: 1, timeout: 1s"),
            "f ( ) with opt:fallback : g ( ) with opt:retry : 1 ; opt:timeout : 1s $ $"
        );
        assert_eq!(laid("if (c) f() with fallback: 0 else 1"), "if ( c ) f ( ) with opt:fallback : 0 $ else 1");
    }

    #[test]
    fn simple_values_end_the_clause() {
        assert_eq!(laid("f() with retry: 1 when c"), "f ( ) with opt:retry : 1 $ when c");
        assert_eq!(laid("f() with window: tumbling(5s) ?? 1"), "f ( ) with opt:window : tumbling ( 5s ) $ ?? 1");
        assert_eq!(laid("f() with lazy, retry: -1"), "f ( ) with lazy ; opt:retry : - 1 $");
        assert_eq!(laid("f() with lazy y = 1"), "f ( ) with lazy $ y = 1");
    }

    #[test]
    fn lambda_parameter_lists_are_marked() {
        assert_eq!(laid("map(xs, (x) => (x))"), "map ( xs , λ( x ) => ( x ) )");
    }
}
