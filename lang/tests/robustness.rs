//! Property tests: the parser never panics, whatever it is given, and keeps its invariants.
//!
//! Two generators: arbitrary Unicode text, and "token soup" built from the language's own
//! vocabulary, which reaches far deeper into the grammar and the layout pass than random text.

use asterism_lang::{parse, parse_bytes, validate};
use proptest::prelude::*;

const VOCABULARY: &[&str] = &[
    "type",
    "in",
    "out",
    "use",
    "as",
    "if",
    "else",
    "branch",
    "otherwise",
    "match",
    "is",
    "when",
    "with",
    "lazy",
    "and",
    "or",
    "not",
    "true",
    "false",
    "x",
    "y",
    "a-b",
    "stdlib.math.add",
    "f",
    "map",
    "_",
    "retry",
    "timeout",
    "fallback",
    "on_error",
    "wrap",
    "window",
    "tumbling",
    "1",
    "-1",
    "0",
    "9223372036854775808",
    "1.5",
    "1e3",
    "5s",
    "100/1min",
    "\"s\"",
    "\"a${x}b\"",
    "\"${",
    "}\"",
    "\"\\q\"",
    "@",
    "example",
    "source",
    "sink",
    "\"raw\"",
    "+",
    "-",
    "*",
    "/",
    "%",
    "==",
    "!=",
    "<",
    ">",
    "<=",
    ">=",
    "=",
    "??",
    "=>",
    "->",
    ":",
    ",",
    ".",
    "|",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "List",
    "<",
    ">",
    "Int",
    "String",
    "#c\n",
    "\n",
    " ",
    "!",
    "$",
];

fn check(src: &str) {
    let parsed = parse(src);
    validate::check_spans(&parsed.program, src.len()).unwrap();
    for d in &parsed.diagnostics {
        assert!(d.span.start <= d.span.end && d.span.end <= src.len(), "{d:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_text_never_panics(src in any::<String>()) {
        check(&src);
    }

    #[test]
    fn token_soup_never_panics(tokens in prop::collection::vec(prop::sample::select(VOCABULARY), 0..60)) {
        check(&tokens.join(" "));
        check(&tokens.concat());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(parsed) = parse_bytes(&bytes) {
            validate::check_spans(&parsed.program, bytes.len()).unwrap();
        }
    }
}
