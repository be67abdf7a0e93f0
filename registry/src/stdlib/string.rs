//! `stdlib.string` (SPEC §9.3): string functions with lengths and indices in Unicode scalars,
//! literal `split`/`replace`, `trim` of the scalars ≤ U+0020 and full Unicode case mapping.
//! The prelude's text functions (§9.9) reuse these modules and `split_pieces`.

use super::args::{self, strings};
use crate::module::{CallContext, Module, ModuleResult};
use crate::value::Value;
use std::sync::Arc;

pub(super) fn module(name: &str) -> Option<Module> {
    Some(match name {
        "concat" => Module::sync_typed(|args, cx| {
            let (a, b) = (args::string(args, 0)?, args::string(args, 1)?);
            cx.limits.string(a.len().saturating_add(b.len()))?;
            Ok(Value::str(format!("{a}{b}")))
        }),
        "string-length" => unary(|s| Value::Int(scalar_count(s))),
        "join" => Module::sync_typed(join),
        "split" => binary(|s, sep| strings(split_pieces(s, sep))),
        "contains" => binary(|s, sub| Value::Bool(s.contains(sub))),
        "trim" => unary(|s| Value::str(trim(s))),
        "replace" => Module::sync_typed(|args, cx| {
            let (s, target, replacement) = (args::string(args, 0)?, args::string(args, 1)?, args::string(args, 2)?);
            // How long the result is, before building it: each match (an empty target matches
            // before every scalar and at the end) trades its length for the replacement's.
            let matches = if target.is_empty() { s.chars().count() + 1 } else { s.matches(target).count() };
            let length = (s.len() - matches.saturating_mul(target.len()))
                .saturating_add(matches.saturating_mul(replacement.len()));
            cx.limits.string(length)?;
            Ok(Value::str(s.replace(target, replacement)))
        }),
        "upper" => unary(upper),
        "lower" => unary(lower),
        "starts-with" => binary(|s, affix| Value::Bool(s.starts_with(affix))),
        "ends-with" => binary(|s, affix| Value::Bool(s.ends_with(affix))),
        "substring" => Module::sync(substring),
        "index-of" => binary(|s, sub| Value::Int(s.find(sub).map_or(-1, |at| scalar_count(&s[..at])))),
        _ => return None,
    })
}

/// An ASCII string case-mapped in place in its own allocation: one allocation, one copy.
fn ascii_mapped(s: &str, map: fn(&mut str)) -> Value {
    let mut owned: Arc<str> = Arc::from(s);
    if let Some(m) = Arc::get_mut(&mut owned) {
        map(m);
    }
    Value::Str(owned)
}

/// Full Unicode upper-casing.
fn upper(s: &str) -> Value {
    match s.is_ascii() {
        true => ascii_mapped(s, str::make_ascii_uppercase),
        false => Value::str(s.to_uppercase()),
    }
}

/// Full Unicode lower-casing (beyond ASCII it needs context: the final sigma).
fn lower(s: &str) -> Value {
    match s.is_ascii() {
        true => ascii_mapped(s, str::make_ascii_lowercase),
        false => Value::str(s.to_lowercase()),
    }
}

/// A module of one String argument.
fn unary(f: fn(&str) -> Value) -> Module {
    Module::sync(move |args| Ok(f(args::string(args, 0)?)))
}

/// A module of two String arguments.
fn binary(f: fn(&str, &str) -> Value) -> Module {
    Module::sync(move |args| Ok(f(args::string(args, 0)?, args::string(args, 1)?)))
}

fn scalar_count(s: &str) -> i64 {
    i64::try_from(s.chars().count()).unwrap_or(i64::MAX)
}

/// Removes leading and trailing scalars ≤ U+0020 (U+00A0 and other Unicode spaces stay).
pub(super) fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= '\u{20}')
}

/// The pieces of a literal split, every piece kept; an empty separator gives one piece per scalar.
pub(super) fn split_pieces<'a>(s: &'a str, separator: &str) -> Vec<&'a str> {
    if separator.is_empty() {
        s.char_indices().map(|(at, c)| &s[at..at + c.len_utf8()]).collect()
    } else {
        s.split(separator).collect()
    }
}

fn join(args: &[Value], cx: &CallContext<'_>) -> ModuleResult {
    let separator = args::string(args, 1)?;
    let list = args::list(args, 0)?;
    let length = list.iter().fold(separator.len().saturating_mul(list.len().saturating_sub(1)), |n, item| {
        n.saturating_add(item.as_str().map_or(0, str::len))
    });
    cx.limits.string(length)?;
    let mut out = String::with_capacity(length);
    for (i, item) in list.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        out.push_str(item.as_str().ok_or("argument 1 is not a list of Strings")?);
    }
    Ok(Value::str(out))
}

/// The scalars `[start, end)` after clamping both to `[0, length]`; empty when start ≥ end.
fn substring(args: &[Value]) -> ModuleResult {
    let s = args::string(args, 0)?;
    let offsets: Vec<usize> = s.char_indices().map(|(at, _)| at).chain([s.len()]).collect();
    let range = args::clamped_range(args::int(args, 1)?, args::int(args, 2)?, offsets.len() - 1);
    Ok(Value::str(&s[offsets[range.start]..offsets[range.end]]))
}

#[cfg(test)]
mod tests {
    use super::args::testing::{assert_is, err, ok, s, strs};
    use crate::value::Value::{self, Bool, Int};

    fn text(name: &str, args: &[&str]) -> String {
        let args: Vec<Value> = args.iter().map(|a| s(a)).collect();
        match ok(name, &args) {
            Value::Str(out) => out.to_string(),
            other => panic!("{name}: expected a String, got {other:?}"),
        }
    }

    #[test]
    fn concat_length_and_join() {
        assert_eq!(text("concat", &["ab", "c"]), "abc");
        assert_is(ok("string-length", &[s("你好")]), Int(2));
        assert_is(ok("string-length", &[s("😀")]), Int(1));
        assert_is(ok("string-length", &[s("")]), Int(0));
        assert_is(ok("join", &[strs(&["a", "b"]), s("-")]), s("a-b"));
        assert_is(ok("join", &[strs(&["a"]), s("-")]), s("a"));
        assert_is(ok("join", &[Value::List([].into()), s("-")]), s(""));
    }

    #[test]
    fn split_keeps_every_piece() {
        assert_is(ok("split", &[s("a,,b,"), s(",")]), strs(&["a", "", "b", ""]));
        assert_is(ok("split", &[s("abc"), s(";")]), strs(&["abc"]));
        assert_is(ok("split", &[s(""), s(",")]), strs(&[""]));
        assert_is(ok("split", &[s("abc"), s("")]), strs(&["a", "b", "c"]));
        assert_is(ok("split", &[s("né😀"), s("")]), strs(&["n", "é", "😀"]));
        assert_is(ok("split", &[s(""), s("")]), strs(&[]));
        assert_is(ok("split", &[s("a--b"), s("--")]), strs(&["a", "b"]));
    }

    #[test]
    fn contains_starts_ends() {
        assert_is(ok("contains", &[s("abc"), s("")]), Bool(true));
        assert_is(ok("contains", &[s("abc"), s("bc")]), Bool(true));
        assert_is(ok("contains", &[s("abc"), s("C")]), Bool(false));
        assert_is(ok("starts-with", &[s("abc"), s("")]), Bool(true));
        assert_is(ok("starts-with", &[s("abc"), s("ab")]), Bool(true));
        assert_is(ok("starts-with", &[s("abc"), s("b")]), Bool(false));
        assert_is(ok("ends-with", &[s("abc"), s("")]), Bool(true));
        assert_is(ok("ends-with", &[s("abc"), s("bc")]), Bool(true));
        assert_is(ok("ends-with", &[s("abc"), s("b")]), Bool(false));
    }

    #[test]
    fn trim_removes_controls_and_spaces_only() {
        assert_eq!(text("trim", &["   "]), "");
        assert_eq!(text("trim", &["\t\r\n a b \u{1}\u{0}"]), "a b");
        assert_eq!(text("trim", &["\u{a0}x\u{a0}"]), "\u{a0}x\u{a0}");
        assert_eq!(text("trim", &[""]), "");
    }

    #[test]
    fn replace_is_literal() {
        assert_eq!(text("replace", &["abc", "", "-"]), "-a-b-c-");
        assert_eq!(text("replace", &["", "", "-"]), "-");
        assert_eq!(text("replace", &["aaa", "aa", "b"]), "ba");
        assert_eq!(text("replace", &["a.b.c", ".", "::"]), "a::b::c");
        assert_eq!(text("replace", &["abc", "x", "y"]), "abc");
    }

    #[test]
    fn case_mapping_is_full_unicode() {
        assert_eq!(text("upper", &["straße"]), "STRASSE");
        assert_eq!(text("upper", &["ﬁx"]), "FIX");
        assert_eq!(text("lower", &["ÀÉ"]), "àé");
        assert_eq!(text("lower", &["ΟΔΟΣ"]), "οδος");
    }

    #[test]
    fn substring_clamps_scalar_indices() {
        let sub = |v: &str, a: i64, b: i64| ok("substring", &[s(v), Int(a), Int(b)]);
        assert_is(sub("hello", 1, 3), s("el"));
        assert_is(sub("hi", -5, 99), s("hi"));
        assert_is(sub("hello", 3, 1), s(""));
        assert_is(sub("hello", 2, 2), s(""));
        assert_is(sub("你好世界", 1, 3), s("好世"));
        assert_is(sub("", i64::MIN, i64::MAX), s(""));
    }

    #[test]
    fn index_of_counts_scalars() {
        assert_is(ok("index-of", &[s("hello"), s("l")]), Int(2));
        assert_is(ok("index-of", &[s("hello"), s("z")]), Int(-1));
        assert_is(ok("index-of", &[s("hello"), s("")]), Int(0));
        assert_is(ok("index-of", &[s("😀ab"), s("b")]), Int(2));
    }

    #[test]
    fn malformed_arguments_fail() {
        assert_eq!(err("stdlib.string.join", &[strs(&["a"])]), "missing argument 2");
        assert_eq!(
            err("stdlib.string.join", &[Value::Ints([1].into()), s(",")]),
            "argument 1 is not a list of Strings"
        );
        assert_eq!(err("stdlib.string.upper", &[Int(1)]), "argument 1 is not a String");
    }
}
