//! The reader against serde_json, the reference: whatever the reader accepts, serde_json accepts
//! and reads to the same value (numbers of the same kind, floats to the same bits).

use super::read;
use proptest::prelude::*;
use serde_json::Value;
use std::marker::PhantomData;

/// Whether two values are the same, floats bit for bit (so `-0.0` differs from `0.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            _ if x.is_u64() || x.is_i64() => x == y,
            (Some(p), Some(q)) => y.is_f64() && p.to_bits() == q.to_bits(),
            _ => false,
        },
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((k, a), (l, b))| k == l && same(a, b))
        }
        _ => a == b,
    }
}

/// Reads `doc` with both; returns whether the reader accepted it.
fn check(doc: &[u8]) -> bool {
    let ours = read(doc, PhantomData::<Value>);
    let reference = serde_json::from_slice::<Value>(doc);
    match (ours, reference) {
        (Ok(a), Ok(b)) => {
            assert!(same(&a, &b), "{}: read {a:?}, serde_json {b:?}", String::from_utf8_lossy(doc));
            true
        }
        (Ok(a), Err(e)) => panic!("{}: read {a:?}, serde_json refuses: {e}", String::from_utf8_lossy(doc)),
        (Err(_), _) => false,
    }
}

#[test]
fn numbers_read_as_serde_json_reads_them() {
    let accepted = [
        "0",
        "-0",
        "-0.0",
        "0.0",
        "1",
        "-1",
        "18446744073709551615",
        "9223372036854775807",
        "-9223372036854775808",
        "-9223372036854775809",
        "-9999999999999999999",
        "0.1",
        "0.7312715117751976",
        "-0.009129825816118098",
        "1e22",
        "1e23",
        "9007199254740993.0",
        "9007199254740992e-22",
        "123456789012345678e-5",
        "1.7976931348623157e308",
        "5e-324",
        "2.4703282292062327e-324",
        "1e-400",
        "0e999999999999999999999",
        "1E+2",
        "1e-2",
        "12345678.12345678",
        "0.000000000000000000000000000001234",
        "3.141592653589793238462643383279",
    ];
    for n in accepted {
        assert!(check(n.as_bytes()), "{n} should be read");
        assert!(check(format!("[{n}, {n}]").as_bytes()), "[{n}] should be read");
    }
    assert!(check(b"18446744073709551616"), "past u64: the nearest float");
    assert!(check(b"-123456789012345678901234567890"));
    // Left to serde_json: a number past f64, and what is not a number.
    let refused = [&"9".repeat(400), "1e309", "-1e400", "01", "1.", ".5", "+1", "1e", "1e+", "-", "--1", "0x1", "1.e5"];
    for n in refused {
        assert!(!check(n.as_bytes()), "{n} should be left to serde_json");
    }
}

#[test]
fn strings_read_as_serde_json_reads_them() {
    let accepted =
        [r#""""#, r#""abc""#, r#""é ü 🎉""#, r#""a\"b\\c\/d\b\f\n\r\t""#, r#""\u00e9\ud83c\udf89""#, r#""x\u0000y""#];
    for s in accepted {
        assert!(check(s.as_bytes()), "{s} should be read");
    }
    let refused: [&[u8]; 7] =
        [b"\"\\ud83c\"", b"\"\\udf89\"", b"\"\\ud83c\\u0041\"", b"\"a\nb\"", b"\"\\x\"", b"\"\xff\"", b"\"abc"];
    for s in refused {
        assert!(!check(s), "{} should be left to serde_json", String::from_utf8_lossy(s));
    }
}

#[test]
fn structure_is_read_as_serde_json_reads_it() {
    let accepted =
        [" {\"a\": [1, 2.5, {\"b\": null}], \"c\": true, \"d\": false} ", "[]", "{}", "[[[]]]", "\t\n\r null"];
    for doc in accepted {
        assert!(check(doc.as_bytes()), "{doc} should be read");
    }
    let refused =
        ["[1,]", "[,1]", "[1 2]", "{\"a\" 1}", "{\"a\":1,}", "{1:2}", "[1] x", "nul", "truex", "[", "", "{\"a\":}"];
    for doc in refused {
        assert!(!check(doc.as_bytes()), "{doc} should be left to serde_json");
    }
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    assert!(check(deep(super::MAX_DEPTH).as_bytes()));
    assert!(!check(deep(super::MAX_DEPTH + 1).as_bytes()));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_float_reads_to_the_same_bits(bits in any::<u64>(), digits in 1usize..20) {
        let x = f64::from_bits(bits);
        prop_assume!(x.is_finite());
        for text in [format!("{x:?}"), format!("{x:e}"), format!("{x:.*e}", digits - 1), format!("{:.*}", digits, x.abs().fract())] {
            prop_assert!(check(text.as_bytes()), "{} is JSON", text);
        }
    }

    #[test]
    fn wide_digit_runs_read_to_the_same_bits(m in (1u64 << 53)..=u64::MAX, k in 0u32..=24, split in 0usize..20) {
        // An integer of 16 to 20 digits over a power of ten, as `m e-k`, `m e+k` and with a point.
        let digits = m.to_string();
        let point = split.min(digits.len() - 2);
        for text in [
            format!("{m}e-{k}"),
            format!("{m}e{k}"),
            format!("{}.{}e-{k}", &digits[..=point], &digits[point + 1..]),
            format!("0.{}{digits}", "0".repeat(k as usize)),
        ] {
            prop_assert!(check(text.as_bytes()), "{} is JSON", text);
        }
    }

    #[test]
    fn any_decimal_text_reads_to_the_same_value(
        int in "-?(0|[1-9][0-9]{0,21})",
        frac in proptest::option::of("[0-9]{1,24}"),
        exp in proptest::option::of("[eE][+-]?[0-9]{1,4}"),
    ) {
        let text = format!("{int}{}{}", frac.map(|f| format!(".{f}")).unwrap_or_default(), exp.unwrap_or_default());
        check(text.as_bytes());
    }

    #[test]
    fn mangled_documents_are_never_accepted_wrongly(doc in "[\\[\\]{}\",:0-9.eE+\\-a-z\\\\ ]{0,24}") {
        check(doc.as_bytes());
    }
}
