//! Input parsing (SPEC §8.5) and its error messages (SPEC §8.6), through the public API.

use asterism_registry::{Name, Type, Value};
use asterism_runtime::json::{MAX_DEPTH, parse_inputs, to_json};

fn rec(fields: &[(&str, Type)]) -> Type {
    Type::record(fields.iter().map(|(n, t)| (Name::from(*n), t.clone())))
}

fn union(members: &[Type]) -> Type {
    Type::union(members.iter().cloned())
}

fn parse(doc: &str, inputs: &[(&str, Type)]) -> Result<Vec<Value>, Vec<String>> {
    parse_inputs(doc, inputs)
}

/// The single input `x` of type `ty`, parsed from `json` and written back as compact JSON.
fn one(ty: &Type, json: &str) -> Result<String, Vec<String>> {
    let values = parse(&format!(r#"{{"x": {json}}}"#), &[("x", ty.clone())])?;
    Ok(to_json(&values[0], ty))
}

/// The errors for the single input `x`.
fn errors(ty: &Type, json: &str) -> Vec<String> {
    one(ty, json).expect_err("the input should be rejected")
}

fn error(ty: &Type, json: &str) -> String {
    let errs = errors(ty, json);
    assert_eq!(errs.len(), 1, "{errs:?}");
    errs.into_iter().next().unwrap_or_default()
}

#[test]
fn scalars() {
    assert_eq!(one(&Type::String, r#""a\nb""#).unwrap(), r#""a\nb""#);
    assert_eq!(one(&Type::Boolean, "true").unwrap(), "true");
    assert_eq!(error(&Type::String, "3"), "input 'x': expected String, got Number");
    assert_eq!(error(&Type::Boolean, "null"), "input 'x': expected Boolean, got Null");
    assert_eq!(error(&Type::String, "[1]"), "input 'x': expected String, got Array");
    assert_eq!(error(&Type::String, r#"{"a": 1}"#), "input 'x': expected String, got Object");
    assert_eq!(error(&Type::Int, "true"), "input 'x': expected Int, got Boolean");
}

#[test]
fn int_accepts_integral_numbers_in_range() {
    for (json, want) in [
        ("3", "3"),
        ("3.0", "3"),
        ("1e3", "1000"),
        ("-0", "0"),
        ("-7", "-7"),
        ("9223372036854775807", "9223372036854775807"),
        ("-9223372036854775808", "-9223372036854775808"),
        ("9007199254740993", "9007199254740993"),
    ] {
        assert_eq!(one(&Type::Int, json).unwrap(), want, "{json}");
    }
    assert_eq!(error(&Type::Int, "3.5"), "input 'x': expected Int, got Number 3.5");
    assert_eq!(error(&Type::Int, "9223372036854775808"), "input 'x': expected Int, got Number 9223372036854775808");
    assert_eq!(error(&Type::Int, "1e19"), "input 'x': expected Int, got Number 1e19");
    assert_eq!(error(&Type::Int, "-1e300"), "input 'x': expected Int, got Number -1e300");
    assert_eq!(error(&Type::Int, "\"3\""), "input 'x': expected Int, got String");
    assert!(one(&Type::Int, "-9223372036854775809").is_err());
    assert!(one(&Type::Int, "123456789012345678901234567890").is_err());
    // With a fraction or exponent, only integers below 2^53 (held exactly by an f64) are accepted:
    // beyond that the written value cannot be known, so it is refused, not rounded.
    assert_eq!(one(&Type::Int, "9007199254740991.0").unwrap(), "9007199254740991");
    assert_eq!(one(&Type::Int, "1.5e15").unwrap(), "1500000000000000");
    assert!(one(&Type::Int, "9007199254740993.0").is_err());
    assert!(one(&Type::Int, "12345678901234567890e-2").is_err());
    assert!(one(&Type::Int, "-9223372036854775808.0").is_err());
}

#[test]
fn float_accepts_any_number_at_full_precision() {
    assert_eq!(one(&Type::Float, "3").unwrap(), "3.0");
    assert_eq!(one(&Type::Float, "0.1").unwrap(), "0.1");
    assert_eq!(one(&Type::Float, "-2.5e-3").unwrap(), "-0.0025");
    assert_eq!(one(&Type::Float, "123456789012345678901234567890").unwrap(), "1.2345678901234568e29");
    assert_eq!(one(&Type::Float, "-9223372036854775809").unwrap(), "-9.223372036854776e18");
    for x in [0.1, 1.0 / 3.0, 2.2250738585072014e-308, 5e-324, f64::MAX, 123456.789e-12, 0.30000000000000004] {
        let values = parse(&format!(r#"{{"x": {x:?}}}"#), &[("x", Type::Float)]).unwrap();
        assert!(matches!(values[0], Value::Float(y) if y.to_bits() == x.to_bits()), "{x:?}");
    }
    // Decimal texts that are not shortest forms still round to the nearest f64.
    let values = parse(r#"{"x": 0.1000000000000000055511151231257827}"#, &[("x", Type::Float)]).unwrap();
    assert!(matches!(values[0], Value::Float(y) if y == 0.1));
    let values = parse(r#"{"x": 9007199254740993.0}"#, &[("x", Type::Float)]).unwrap();
    assert!(matches!(values[0], Value::Float(y) if y == 9007199254740992.0));
}

#[test]
fn inputs_missing_optional_and_extra() {
    let inputs = [("a", Type::Int), ("b", Type::String), ("o", Type::optional(Type::Int))];
    let values = parse(r#"{"b": "x", "zzz": [1, {"q": null}], "a": 1}"#, &inputs).unwrap();
    assert!(matches!(values.as_slice(), [Value::Int(1), Value::Str(s), Value::None] if &**s == "x"));
    let values = parse(r#"{"a": 1, "b": "x", "o": null}"#, &inputs).unwrap();
    assert!(values[2].is_none());
    let values = parse(r#"{"a": 1, "b": "x", "o": 4}"#, &inputs).unwrap();
    assert!(matches!(values[2], Value::Int(4)));
    assert_eq!(parse(r#"{"a": 1}"#, &inputs).unwrap_err(), ["missing input 'b' of type String"]);
    assert_eq!(
        parse(r#"{"o": "no"}"#, &inputs).unwrap_err(),
        ["missing input 'a' of type Int", "missing input 'b' of type String", "input 'o': expected Int, got String"]
    );
    assert!(parse("{}", &[]).unwrap().is_empty());
    let borrowed: Vec<(&str, &Type)> = inputs.iter().map(|(n, t)| (*n, t)).collect();
    assert!(matches!(parse_inputs(r#"{"a": 1, "b": "x"}"#, &borrowed).unwrap()[0], Value::Int(1)));
}

#[test]
fn errors_come_in_declaration_order_then_document_order() {
    let inputs = [("first", Type::list(Type::Int)), ("second", Type::Int)];
    let errs = parse(r#"{"second": "s", "first": [1, "a", true]}"#, &inputs).unwrap_err();
    assert_eq!(
        errs,
        [
            "input 'first': field '[1]': expected Int, got String",
            "input 'first': field '[2]': expected Int, got Boolean",
            "input 'second': expected Int, got String",
        ]
    );
}

#[test]
fn a_repeated_key_takes_its_last_value_and_reports_every_problem() {
    let inputs = [("a", Type::Int)];
    assert!(matches!(parse(r#"{"a": 1, "a": 2}"#, &inputs).unwrap()[0], Value::Int(2)));
    assert_eq!(parse(r#"{"a": "bad", "a": 2}"#, &inputs).unwrap_err(), ["input 'a': expected Int, got String"]);
    assert_eq!(parse(r#"{"a": 2, "a": "bad"}"#, &inputs).unwrap_err(), ["input 'a': expected Int, got String"]);
    let r = rec(&[("b", Type::Int)]);
    assert_eq!(one(&r, r#"{"b": 1, "b": 2}"#).unwrap(), r#"{"b":2}"#);
    assert_eq!(errors(&r, r#"{"b": true, "b": 2}"#), ["input 'x': field 'b': expected Int, got Boolean"]);
}

#[test]
fn lists_are_packed_by_element_type() {
    let values = parse(
        r#"{"i": [1, 2.0, 3], "f": [1, 2.5], "l": [[1.5], [], [2]], "s": ["a"], "q": []}"#,
        &[
            ("i", Type::list(Type::Int)),
            ("f", Type::seq(Type::Float)),
            ("l", Type::list(Type::list(Type::Float))),
            ("s", Type::list(Type::String)),
            ("q", Type::list(Type::Nothing)),
        ],
    )
    .unwrap();
    assert!(matches!(&values[0], Value::Ints(v) if **v == [1, 2, 3]));
    assert!(matches!(&values[1], Value::Floats(v) if **v == [1.0, 2.5]));
    let Value::List(rows) = &values[2] else { panic!("not a list: {:?}", values[2]) };
    assert!(matches!(&rows[0], Value::Floats(v) if **v == [1.5]));
    assert!(matches!(&rows[2], Value::Floats(v) if **v == [2.0]));
    assert!(matches!(&values[3], Value::List(v) if v.len() == 1));
    assert_eq!(error(&Type::list(Type::Nothing), "[1]"), "input 'x': field '[0]': expected Nothing, got Number");
    assert_eq!(error(&Type::list(Type::Int), r#"{"a": 1}"#), "input 'x': expected List<Int>, got Object");
}

#[test]
fn records_take_canonical_order_optional_fields_and_ignore_extras() {
    let user = rec(&[("name", Type::String), ("nick", Type::optional(Type::String)), ("age", Type::Int)]);
    assert_eq!(
        one(&user, r#"{"name": "Ada", "extra": {"deep": [1]}, "age": 36}"#).unwrap(),
        r#"{"age":36,"name":"Ada","nick":null}"#
    );
    assert_eq!(
        one(&user, r#"{"nick": null, "name": "Ada", "age": 1}"#).unwrap(),
        r#"{"age":1,"name":"Ada","nick":null}"#
    );
    assert_eq!(
        one(&user, r#"{"nick": "A", "name": "Ada", "age": 1}"#).unwrap(),
        r#"{"age":1,"name":"Ada","nick":"A"}"#
    );
    let values = parse(r#"{"x": {"name": "Ada", "age": 1, "nick": "A"}}"#, &[("x", user.clone())]).unwrap();
    assert!(matches!(&values[0], Value::Record(f) if matches!(f[0], Value::Int(1)) && f[2].as_str() == Some("A")));
    assert_eq!(
        errors(&user, r#"{"nick": 3}"#),
        [
            "input 'x': field 'nick': expected String, got Number",
            "input 'x': missing field 'age'",
            "input 'x': missing field 'name'",
        ]
    );
    assert_eq!(one(&rec(&[]), r#"{"a": 1}"#).unwrap(), "{}");
}

#[test]
fn nested_positions_add_a_path() {
    let item = rec(&[("price", Type::Float), ("qty", Type::Int)]);
    let order = rec(&[("items", Type::list(item)), ("id", Type::Int)]);
    let doc = r#"{"order": {"id": 1, "items": [{"price": 1, "qty": 1}, {"qty": 2}, {"price": "x", "qty": 3}]}}"#;
    assert_eq!(
        parse(doc, &[("order", order)]).unwrap_err(),
        [
            "input 'order': field 'items[1]': missing field 'price'",
            "input 'order': field 'items[2].price': expected Float, got String"
        ]
    );
    let nested = Type::map(Type::String, Type::list(rec(&[("a", Type::Int)])));
    assert_eq!(
        error(&nested, r#"{"k\"ey": [{"a": 1}, {"a": 1.5}]}"#),
        r#"input 'x': field '["k\"ey"][1].a': expected Int, got Number 1.5"#
    );
}

#[test]
fn maps_from_objects_and_pairs() {
    let by_name = Type::map(Type::String, Type::Int);
    assert_eq!(one(&by_name, r#"{"b": 1, "a": 2}"#).unwrap(), r#"{"b":1,"a":2}"#);
    assert_eq!(one(&by_name, r#"[["b", 1], ["a", 2]]"#).unwrap(), r#"{"b":1,"a":2}"#);
    assert_eq!(one(&by_name, r#"{"b": 1, "a": 2, "b": 3}"#).unwrap(), r#"{"b":3,"a":2}"#);
    assert_eq!(one(&by_name, "{}").unwrap(), "{}");
    assert_eq!(error(&by_name, r#"{"a": 1, "b": "x"}"#), r#"input 'x': field '["b"]': expected Int, got String"#);
    let by_int = Type::map(Type::Int, Type::String);
    assert_eq!(one(&by_int, r#"[[2, "two"], [1, "one"], [2.0, "deux"]]"#).unwrap(), r#"[[2,"deux"],[1,"one"]]"#);
    assert_eq!(error(&by_int, r#"{"1": "one"}"#), "input 'x': expected Map<Int, String>, got Object");
    assert_eq!(error(&by_int, "3"), "input 'x': expected Map<Int, String>, got Number");
    assert_eq!(
        errors(&by_int, r#"[[1, "a"], [2], "p", [1, "a", 3], {"k": 1}, ["k", 5]]"#),
        [
            "input 'x': field '[1]': expected [key, value] pair",
            "input 'x': field '[2]': expected [key, value] pair",
            "input 'x': field '[3]': expected [key, value] pair",
            "input 'x': field '[4]': expected [key, value] pair",
            "input 'x': field '[5][0]': expected Int, got String",
            "input 'x': field '[5][1]': expected String, got Number",
        ]
    );
    let by_record = Type::map(rec(&[("k", Type::Int)]), Type::Boolean);
    assert_eq!(one(&by_record, r#"[[{"k": 1}, true], [{"k": 1}, false]]"#).unwrap(), r#"[[{"k":1},false]]"#);
}

#[test]
fn tagged_unions_select_by_canonical_text() {
    let int_str = union(&[Type::Int, Type::String]);
    assert_eq!(one(&int_str, r#"{"tag": "Int", "value": 3}"#).unwrap(), r#"{"tag":"Int","value":3}"#);
    assert_eq!(one(&int_str, r#"{"value": "3", "tag": "String"}"#).unwrap(), r#"{"tag":"String","value":"3"}"#);
    let err = rec(&[("error", Type::String), ("code", Type::Int)]);
    let result = union(&[err.clone(), rec(&[("value", Type::Int)])]);
    assert_eq!(
        one(&result, r#"{"tag": "{code:Int,  error: String}", "value": {"code": 4, "error": "e"}}"#).unwrap(),
        r#"{"tag":"{ code: Int, error: String }","value":{"code":4,"error":"e"}}"#
    );
    assert_eq!(
        error(&int_str, r#"{"tag": "Foo", "value": 3}"#),
        "input 'x': unknown union tag 'Foo', expected one of: Int, String"
    );
    assert_eq!(error(&int_str, r#"{"tag": "Int", "value": "3"}"#), "input 'x': expected Int, got String");
    // A `tag` that is not a string, or extra keys, make an untagged value.
    assert_eq!(error(&int_str, r#"{"tag": 1, "value": 3}"#), "input 'x': no member of Int | String accepts Object");
}

#[test]
fn untagged_unions_need_one_accepting_member_or_a_tie_break() {
    let int_str = union(&[Type::Int, Type::String]);
    assert_eq!(one(&int_str, r#""abc""#).unwrap(), r#"{"tag":"String","value":"abc"}"#);
    assert_eq!(one(&int_str, "7").unwrap(), r#"{"tag":"Int","value":7}"#);
    assert_eq!(error(&int_str, "true"), "input 'x': no member of Int | String accepts Boolean");
    assert_eq!(error(&int_str, "3.5"), "input 'x': no member of Int | String accepts Number 3.5");
    let (a, b) = (rec(&[("a", Type::Int)]), rec(&[("b", Type::Int)]));
    let a_or_b = union(&[a.clone(), b]);
    assert_eq!(
        error(&a_or_b, r#"{"a": 1, "b": 2}"#),
        r#"input 'x': ambiguous value for { a: Int } | { b: Int }; use {"tag": ..., "value": ...}"#
    );
    assert_eq!(one(&a_or_b, r#"{"b": 2}"#).unwrap(), r#"{"tag":"{ b: Int }","value":{"b":2}}"#);
    let ab = rec(&[("a", Type::Int), ("b", Type::optional(Type::Int))]);
    let narrow_or_wide = union(&[a, ab]);
    assert_eq!(
        one(&narrow_or_wide, r#"{"a": 1}"#).unwrap(),
        r#"{"tag":"{ a: Int, b: Optional<Int> }","value":{"a":1,"b":null}}"#
    );
    assert_eq!(
        one(&narrow_or_wide, r#"{"a": 1, "b": 2}"#).unwrap(),
        r#"{"tag":"{ a: Int, b: Optional<Int> }","value":{"a":1,"b":2}}"#
    );
    let number = union(&[Type::Int, Type::Float]);
    assert_eq!(one(&number, "3").unwrap(), r#"{"tag":"Int","value":3}"#);
    assert_eq!(one(&number, "3.0").unwrap(), r#"{"tag":"Float","value":3.0}"#);
    assert_eq!(one(&number, "1e3").unwrap(), r#"{"tag":"Float","value":1000.0}"#);
    assert_eq!(one(&number, "3.5").unwrap(), r#"{"tag":"Float","value":3.5}"#);
    assert_eq!(one(&number, "9223372036854775808").unwrap(), r#"{"tag":"Float","value":9.223372036854776e18}"#);
    let lists = union(&[Type::list(Type::Int), Type::list(Type::String)]);
    assert_eq!(
        error(&lists, "[]"),
        "input 'x': ambiguous value for List<Int> | List<String>; use {\"tag\": ..., \"value\": ...}"
    );
    assert_eq!(one(&lists, r#"["a"]"#).unwrap(), r#"{"tag":"List<String>","value":["a"]}"#);
}

#[test]
fn unions_nest_in_other_values_and_in_each_other() {
    let int_str = union(&[Type::Int, Type::String]);
    assert_eq!(
        one(&Type::list(int_str.clone()), r#"[1, "a", {"tag": "Int", "value": 2}]"#).unwrap(),
        r#"[{"tag":"Int","value":1},{"tag":"String","value":"a"},{"tag":"Int","value":2}]"#
    );
    assert_eq!(
        error(&Type::list(int_str.clone()), "[1, null]"),
        "input 'x': field '[1]': no member of Int | String accepts Null"
    );
    let outer = union(&[Type::list(int_str), Type::Boolean]);
    assert_eq!(
        one(&outer, r#"[1, "a"]"#).unwrap(),
        r#"{"tag":"List<Int | String>","value":[{"tag":"Int","value":1},{"tag":"String","value":"a"}]}"#
    );
    assert_eq!(error(&outer, "[true]"), "input 'x': no member of Boolean | List<Int | String> accepts Array");
    let maybe = union(&[Type::optional(Type::Int), Type::String]);
    assert_eq!(one(&maybe, "null").unwrap(), r#"{"tag":"Optional<Int>","value":null}"#);
    assert_eq!(one(&Type::optional(union(&[Type::Int, Type::String])), "null").unwrap(), "null");
    let map_or_int = union(&[Type::map(Type::String, Type::Int), Type::Int]);
    assert_eq!(one(&map_or_int, r#"{"z": 1, "a": 2}"#).unwrap(), r#"{"tag":"Map<String, Int>","value":{"z":1,"a":2}}"#);
}

#[test]
fn optionals() {
    let o = Type::optional(Type::Int);
    assert_eq!(one(&o, "null").unwrap(), "null");
    assert_eq!(one(&o, "5").unwrap(), "5");
    assert_eq!(error(&o, "\"5\""), "input 'x': expected Int, got String");
    let oo = Type::optional(o);
    let values = parse(r#"{"x": 5}"#, &[("x", oo.clone())]).unwrap();
    assert!(matches!(values[0], Value::Int(5)));
    assert!(parse(r#"{"x": null}"#, &[("x", oo)]).unwrap()[0].is_none());
}

#[test]
fn document_errors() {
    let inputs = [("a", Type::Int)];
    for doc in ["[1, 2]", "3", "\"a\"", "null", "true", " [ ] "] {
        assert_eq!(parse(doc, &inputs).unwrap_err(), ["inputs must be a JSON object"], "{doc}");
    }
    for doc in [
        "",
        "{",
        "{\"a\": }",
        "{\"a\": 1} x",
        "[1, 2",
        "{'a': 1}",
        "{\"a\": 1e400}",
        "\u{feff}\u{feff}{}",
        "{\"a\": 01}",
    ] {
        let errs = parse(doc, &inputs).unwrap_err();
        assert_eq!(errs.len(), 1, "{doc}: {errs:?}");
        assert!(errs[0].starts_with("cannot parse inputs: "), "{doc}: {errs:?}");
    }
    let errs = parse_inputs(b"{\"a\": \"\xff\"}", &inputs).unwrap_err();
    assert!(errs[0].starts_with("cannot parse inputs: "), "{errs:?}");
}

fn nested(depth: usize) -> String {
    format!(r#"{{"a": 1, "deep": {}{}}}"#, "[".repeat(depth), "]".repeat(depth))
}

#[test]
fn nesting_is_limited() {
    let inputs = [("a", Type::Int)];
    assert!(parse(&nested(MAX_DEPTH - 1), &inputs).is_ok());
    let errs = parse(&nested(MAX_DEPTH), &inputs).unwrap_err();
    assert!(errs[0].starts_with("cannot parse inputs: "), "{errs:?}");
    let errs = parse(&nested(1_000_000), &inputs).unwrap_err();
    assert!(errs[0].starts_with("cannot parse inputs: "), "{errs:?}");
    let errs = parse(&"[".repeat(1_000_000), &inputs).unwrap_err();
    assert!(errs[0].starts_with("cannot parse inputs: "), "{errs:?}");
}

#[test]
fn deep_types_parse_deep_values() {
    let mut ty = Type::Int;
    let mut doc = "1".to_owned();
    for _ in 0..(MAX_DEPTH - 2) {
        ty = Type::list(ty);
        doc = format!("[{doc}]");
    }
    assert_eq!(one(&ty, &doc).unwrap(), doc);
}

#[test]
fn large_documents() {
    let rows: Vec<String> = (0..500)
        .map(|r| {
            let xs: Vec<String> = (0..1536).map(|i| format!("{:?}", ((r * 1536 + i) as f64).sin())).collect();
            format!("[{}]", xs.join(","))
        })
        .collect();
    let doc = format!(r#"{{"embeddings": [{}]}}"#, rows.join(","));
    let ty = Type::list(Type::list(Type::Float));
    let values = parse(&doc, &[("embeddings", ty.clone())]).unwrap();
    let Value::List(rows) = &values[0] else { panic!("not a list") };
    assert_eq!(rows.len(), 500);
    let Value::Floats(last) = &rows[499] else { panic!("not packed") };
    assert_eq!(last.len(), 1536);
    assert_eq!(last[1535].to_bits(), (499.0_f64 * 1536.0 + 1535.0).sin().to_bits());
    assert_eq!(to_json(&values[0], &ty), doc["{\"embeddings\": ".len()..doc.len() - 1]);
}

#[test]
fn a_byte_order_mark_may_open_the_document() {
    let values = parse("\u{feff}{\"x\": 1}", &[("x", Type::Int)]).unwrap();
    assert!(matches!(values[0], Value::Int(1)));
}

#[test]
fn values_given_alone_replace_the_documents_and_name_their_flag() {
    use asterism_runtime::json::parse_inputs_given;
    let inputs = [("n", Type::Int), ("s", Type::String)];
    let given =
        |pairs: &[(&str, &str)]| parse_inputs_given(r#"{"n": "bad", "s": "doc"}"#, pairs, &inputs, &Default::default());
    let values = given(&[("n", "41"), ("s", "plain text")]).unwrap();
    assert!(matches!(values[0], Value::Int(41)));
    assert_eq!(values[1].as_str(), Some("plain text"), "not JSON: the text itself");
    let values = given(&[("n", "2"), ("s", "\"quoted\"")]).unwrap();
    assert_eq!(values[1].as_str(), Some("quoted"));
    assert_eq!(given(&[("n", "abc")]).unwrap_err(), ["input 'n' (-i n): expected Int, got String"]);
    let out_of_range = given(&[("n", "1e400")]).unwrap_err();
    assert!(out_of_range[0].starts_with("input 'n' (-i n): not valid JSON: number out of range"), "{out_of_range:?}");
    let surrogate = given(&[("n", "1"), ("s", r#""\ud800""#)]).unwrap_err();
    assert_eq!(surrogate.len(), 1, "{surrogate:?}");
    assert!(surrogate[0].starts_with("input 's' (-i s): not valid JSON: "), "{surrogate:?}");
}

#[test]
fn problems_are_named_up_to_a_hundred_then_counted() {
    let doc = format!(r#"{{"x": [{}]}}"#, vec!["\"a\""; 100_000].join(","));
    let errs = parse(&doc, &[("x", Type::list(Type::Int)), ("y", Type::Int)]).unwrap_err();
    assert_eq!(errs.len(), 101);
    assert_eq!(errs[0], "input 'x': field '[0]': expected Int, got String");
    assert_eq!(errs[99], "input 'x': field '[99]': expected Int, got String");
    assert_eq!(errs[100], "… and 99901 more problems", "99,900 elements and the missing 'y'");
}

#[test]
fn a_single_value_is_read_by_type_with_paths_in_its_problems() {
    use asterism_registry::Limits;
    use asterism_runtime::json::parse_value;
    let ty = rec(&[("label", Type::String), ("scores", Type::list(Type::Float))]);
    let limits = Limits::default();
    let v = parse_value(br#"{"scores": [1, 2.5], "label": "a", "extra": true}"#, &ty, &limits).unwrap();
    assert_eq!(to_json(&v, &ty), r#"{"label":"a","scores":[1.0,2.5]}"#);
    let errs = parse_value(br#"{"label": 3, "scores": [1, 2, 3, "x"]}"#, &ty, &limits).unwrap_err();
    assert_eq!(errs, ["field 'label': expected String, got Number", "field 'scores[3]': expected Float, got String"]);
    let errs = parse_value(b"{\"label\": ", &ty, &limits).unwrap_err();
    assert!(errs.len() == 1 && errs[0].starts_with("not valid JSON: "), "{errs:?}");
    assert!(matches!(parse_value(b"7", &Type::Int, &limits), Ok(Value::Int(7))));
    let small = Limits { max_memory: 64, ..Limits::default() };
    let errs = parse_value(format!("\"{}\"", "a".repeat(1000)).as_bytes(), &Type::String, &small).unwrap_err();
    assert!(errs[0].contains("memory budget"), "{errs:?}");
}

/// Inputs read from any serde deserializer (a host language's objects) give what the same object
/// as a JSON document gives: values, and the same messages naming the same paths.
#[test]
fn inputs_from_a_deserializer_match_the_document() {
    use asterism_registry::Limits;
    use asterism_runtime::json::{parse_inputs_from, parse_value, parse_value_from};
    let declared =
        [("name", Type::String), ("tags", Type::List(Type::String.into())), ("n", Type::Optional(Type::Int.into()))];
    let show = |r: Result<Vec<Value>, Vec<String>>| {
        r.map(|vs| vs.iter().zip(&declared).map(|(v, (_, t))| to_json(v, t)).collect::<Vec<_>>())
    };
    for doc in [r#"{"name": "Ada", "tags": ["a", "b"]}"#, r#"{"name": 3, "tags": ["a", 4], "n": "x"}"#, "[1]"] {
        let value: serde_json::Value = serde_json::from_str(doc).unwrap();
        let from = parse_inputs_from(&value, &declared, &Limits::default());
        assert_eq!(show(from), show(parse_inputs(doc, &declared)), "{doc}");
    }
    let floats = Type::List(Type::Float.into());
    let from = parse_value_from(serde_json::json!([1, 2]), &floats, &Limits::default()).unwrap();
    let parsed = parse_value(b"[1, 2]", &floats, &Limits::default()).unwrap();
    assert_eq!((to_json(&from, &floats), to_json(&parsed, &floats)), ("[1.0,2.0]".into(), "[1.0,2.0]".into()));
    let wrong = parse_value_from(serde_json::json!(["x"]), &floats, &Limits::default());
    assert_eq!(wrong.unwrap_err(), parse_value(br#"["x"]"#, &floats, &Limits::default()).unwrap_err());
}
