//! The prelude host modules (SPEC §9.9), registered without namespace. The text functions that
//! match a stdlib function reuse its module; the rest are the prelude's own rules (ASCII
//! whitespace words, Java-style splitting without trailing empty pieces, `List<Int>` helpers,
//! the bounded inclusive `Range`, comma-grouped `FormatNumber`).

use super::args::{self, overflow, strings};
use super::list;
use super::string::{self, split_pieces};
use crate::module::{Module, ModuleError, ModuleResult};
use crate::value::Value;

/// The most elements `Range` produces.
const RANGE_LIMIT: i128 = 10_000_000;

pub(super) fn module(name: &str) -> Option<Module> {
    Some(match name {
        "Uppercase" => return string::module("upper"),
        "Lowercase" => return string::module("lower"),
        "Trim" => return string::module("trim"),
        "TextLength" => return string::module("string-length"),
        "Contains" => return string::module("contains"),
        "Replace" => return string::module("replace"),
        "SumList" => return list::module("list-sum"),
        "WordCount" => Module::sync(|args| Ok(Value::Int(word_count(args::string(args, 0)?)))),
        "SplitLines" => Module::sync(|args| Ok(strings(split_dropping_trailing(args::string(args, 0)?, "\n")))),
        "Split" => {
            Module::sync(|args| Ok(strings(split_dropping_trailing(args::string(args, 0)?, args::string(args, 1)?))))
        }
        "Average" => Module::sync(average),
        "Max" => extremum(|v| v.iter().max().copied()),
        "Min" => extremum(|v| v.iter().min().copied()),
        "FilterGreaterThan" => Module::sync(|args| {
            let threshold = args::int(args, 1)?;
            Ok(Value::Ints(args::ints(args, 0)?.iter().copied().filter(|&n| n > threshold).collect()))
        }),
        "MultiplyEach" => Module::sync(multiply_each),
        "Range" => Module::sync(|args| range(args::int(args, 0)?, args::int(args, 1)?)),
        "FormatNumber" => Module::sync(|args| Ok(Value::str(format_number(args::int(args, 0)?)))),
        _ => return None,
    })
}

/// Pieces between runs of ASCII whitespace (space, TAB, LF, CR, VT, FF).
fn word_count(text: &str) -> i64 {
    let words = text.split([' ', '\t', '\n', '\r', '\u{b}', '\u{c}']).filter(|w| !w.is_empty()).count();
    i64::try_from(words).unwrap_or(i64::MAX)
}

/// A literal split; when the delimiter occurs, trailing empty pieces are dropped.
fn split_dropping_trailing<'a>(text: &'a str, delimiter: &str) -> Vec<&'a str> {
    let mut pieces = split_pieces(text, delimiter);
    if pieces.len() > 1 {
        while pieces.last().is_some_and(|p| p.is_empty()) {
            pieces.pop();
        }
    }
    pieces
}

/// The exact sum divided by the count, as Float; `[]` → 0.0.
fn average(args: &[Value]) -> ModuleResult {
    let numbers = args::ints(args, 0)?;
    if numbers.is_empty() {
        return Ok(Value::Float(0.0));
    }
    let sum: i128 = numbers.iter().map(|&n| i128::from(n)).sum();
    Ok(Value::Float(sum as f64 / numbers.len() as f64))
}

/// `Max`/`Min` of a `List<Int>`; `[]` → 0.
fn extremum(pick: fn(&[i64]) -> Option<i64>) -> Module {
    Module::sync(move |args| Ok(Value::Int(pick(&args::ints(args, 0)?).unwrap_or(0))))
}

fn multiply_each(args: &[Value]) -> ModuleResult {
    let multiplier = args::int(args, 1)?;
    let products: Option<Vec<i64>> = args::ints(args, 0)?.iter().map(|n| n.checked_mul(multiplier)).collect();
    products.map(|v| Value::Ints(v.into())).ok_or_else(overflow)
}

/// `start..=end`; `[]` when start > end; more than `RANGE_LIMIT` elements fail.
fn range(start: i64, end: i64) -> ModuleResult {
    if i128::from(end) - i128::from(start) + 1 > RANGE_LIMIT {
        return Err(ModuleError::new("range too large"));
    }
    Ok(Value::Ints((start..=end).collect()))
}

/// Decimal digits grouped by three with commas: `-1,234`.
fn format_number(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() * 4 / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::args::testing::{assert_ints, assert_is, err, ints, ok, s, strs};
    use crate::value::Value::{self, Bool, Float, Int};

    #[test]
    fn text_functions_match_the_stdlib() {
        assert_is(ok("Uppercase", &[s("straße")]), s("STRASSE"));
        assert_is(ok("Lowercase", &[s("ÀB")]), s("àb"));
        assert_is(ok("Trim", &[s(" \tx\n")]), s("x"));
        assert_is(ok("TextLength", &[s("你好")]), Int(2));
        assert_is(ok("Contains", &[s("abc"), s("")]), Bool(true));
        assert_is(ok("Replace", &[s("a.b"), s("."), s("-")]), s("a-b"));
        assert_is(ok("Replace", &[s("abc"), s(""), s("-")]), s("-a-b-c-"));
    }

    #[test]
    fn word_count_splits_on_ascii_whitespace() {
        assert_is(ok("WordCount", &[s("  Hello World\nLine 2  ")]), Int(4));
        assert_is(ok("WordCount", &[s("")]), Int(0));
        assert_is(ok("WordCount", &[s(" \t\r\n\u{b}\u{c}")]), Int(0));
        assert_is(ok("WordCount", &[s("a\u{b}b\u{c}c")]), Int(3));
        assert_is(ok("WordCount", &[s("a\u{a0}b")]), Int(1));
    }

    #[test]
    fn split_lines_drops_trailing_empty_pieces() {
        let lines = |t: &str| ok("SplitLines", &[s(t)]);
        assert_is(lines("a\nb\n"), strs(&["a", "b"]));
        assert_is(lines(""), strs(&[""]));
        assert_is(lines("abc"), strs(&["abc"]));
        assert_is(lines("a\n\nb\n\n"), strs(&["a", "", "b"]));
        assert_is(lines("\na"), strs(&["", "a"]));
        assert_is(lines("\n\n"), strs(&[]));
        assert_is(lines("a\r\nb"), strs(&["a\r", "b"]));
    }

    #[test]
    fn split_uses_a_literal_delimiter() {
        let split = |t: &str, d: &str| ok("Split", &[s(t), s(d)]);
        assert_is(split("a,,b,", ","), strs(&["a", "", "b"]));
        assert_is(split("a.b", "."), strs(&["a", "b"]));
        assert_is(split("", ","), strs(&[""]));
        assert_is(split("abc", ";"), strs(&["abc"]));
        assert_is(split(",", ","), strs(&[]));
        assert_is(split("abc", ""), strs(&["a", "b", "c"]));
        assert_is(split("", ""), strs(&[]));
    }

    #[test]
    fn int_list_functions() {
        let empty = || Value::List([].into());
        assert_is(ok("SumList", &[ints(&[1, 2, 3])]), Int(6));
        assert_is(ok("SumList", &[empty()]), Int(0));
        assert_eq!(err("SumList", &[ints(&[i64::MAX, 1])]), "integer overflow");
        assert!(matches!(ok("Average", &[ints(&[1, 2])]), Float(x) if x == 1.5));
        assert!(matches!(ok("Average", &[empty()]), Float(x) if x == 0.0));
        assert!(matches!(ok("Average", &[ints(&[i64::MAX, i64::MAX])]), Float(x) if x == i64::MAX as f64));
        assert_is(ok("Max", &[ints(&[3, 9, -2])]), Int(9));
        assert_is(ok("Min", &[ints(&[3, 9, -2])]), Int(-2));
        assert_is(ok("Max", &[empty()]), Int(0));
        assert_is(ok("Min", &[ints(&[])]), Int(0));
        assert_ints(ok("FilterGreaterThan", &[ints(&[5, 1, 7, 3]), Int(3)]), &[5, 7]);
        assert_ints(ok("FilterGreaterThan", &[empty(), Int(3)]), &[]);
        assert_ints(ok("MultiplyEach", &[ints(&[1, -2, 3]), Int(3)]), &[3, -6, 9]);
        assert_ints(ok("MultiplyEach", &[empty(), Int(3)]), &[]);
        assert_eq!(err("MultiplyEach", &[ints(&[1, i64::MAX]), Int(2)]), "integer overflow");
    }

    #[test]
    fn range_is_inclusive_and_bounded() {
        assert_ints(ok("Range", &[Int(1), Int(4)]), &[1, 2, 3, 4]);
        assert_ints(ok("Range", &[Int(3), Int(3)]), &[3]);
        assert_ints(ok("Range", &[Int(4), Int(1)]), &[]);
        assert_ints(ok("Range", &[Int(i64::MAX - 1), Int(i64::MAX)]), &[i64::MAX - 1, i64::MAX]);
        assert_ints(ok("Range", &[Int(i64::MAX), Int(i64::MIN)]), &[]);
        match ok("Range", &[Int(1), Int(10_000_000)]) {
            Value::Ints(v) => assert_eq!(v.len(), 10_000_000),
            other => panic!("{other:?}"),
        }
        assert_eq!(err("Range", &[Int(0), Int(10_000_000)]), "range too large");
        assert_eq!(err("Range", &[Int(i64::MIN), Int(i64::MAX)]), "range too large");
    }

    #[test]
    fn format_number_groups_thousands() {
        for (n, want) in [
            (1234567, "1,234,567"),
            (-1234, "-1,234"),
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (-100, "-100"),
            (100000, "100,000"),
            (i64::MAX, "9,223,372,036,854,775,807"),
            (i64::MIN, "-9,223,372,036,854,775,808"),
        ] {
            assert_is(ok("FormatNumber", &[Int(n)]), s(want));
        }
    }

    #[test]
    fn every_prelude_and_stdlib_function_has_a_module() {
        for (name, _) in crate::stdlib::STDLIB.iter().chain(crate::stdlib::PRELUDE) {
            assert!(crate::stdlib::module(name).is_some(), "{name}");
        }
        assert!(super::module("Nope").is_none());
    }
}
