//! Output serialisation (SPEC §8.4) and round trips through input parsing (SPEC §8.5).

use asterism_registry::{Name, Type, Value};
use asterism_runtime::json::{Layout, parse_inputs, to_json, write_outputs, write_value};
use std::sync::Arc;

fn rec(fields: &[(&str, Type)]) -> Type {
    Type::record(fields.iter().map(|(n, t)| (Name::from(*n), t.clone())))
}

fn list(items: Vec<Value>) -> Value {
    Value::List(items.into())
}

fn tagged(i: u32, v: Value) -> Value {
    Value::Tagged(i, Arc::new(v))
}

#[test]
fn scalars() {
    assert_eq!(to_json(&Value::Int(-42), &Type::Int), "-42");
    assert_eq!(to_json(&Value::Int(i64::MIN), &Type::Int), "-9223372036854775808");
    assert_eq!(to_json(&Value::Bool(false), &Type::Boolean), "false");
    assert_eq!(
        to_json(&Value::str("a\"\\\u{0}\u{1f}\n\r\t\u{8}\u{c}/é😀"), &Type::String),
        r#""a\"\\\u0000\u001f\n\r\t\b\f/é😀""#
    );
}

#[test]
fn floats_use_the_float_text_form() {
    for (x, want) in [
        (12.0, "12.0"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e15, "1000000000000000.0"),
        (1e16, "1e16"),
        (1e20, "1e20"),
        (1.5e-7, "1.5e-7"),
        (0.0001, "0.0001"),
        (-0.0, "-0.0"),
        (f64::MAX, "1.7976931348623157e308"),
        (f64::NAN, "null"),
        (f64::INFINITY, "null"),
        (f64::NEG_INFINITY, "null"),
    ] {
        assert_eq!(to_json(&Value::Float(x), &Type::Float), want, "{x:?}");
    }
    let xs = Value::Floats([1.0, f64::NAN, 2.5].into());
    assert_eq!(to_json(&xs, &Type::list(Type::Float)), "[1.0,null,2.5]");
}

#[test]
fn lists_in_every_representation() {
    assert_eq!(to_json(&Value::Ints([1, -2].into()), &Type::list(Type::Int)), "[1,-2]");
    assert_eq!(to_json(&Value::Ints([].into()), &Type::seq(Type::Int)), "[]");
    assert_eq!(to_json(&list(vec![Value::Int(1), Value::Int(2)]), &Type::list(Type::Int)), "[1,2]");
    let nested = list(vec![Value::Floats([1.5].into()), Value::Floats([].into())]);
    assert_eq!(to_json(&nested, &Type::list(Type::list(Type::Float))), "[[1.5],[]]");
    assert_eq!(to_json(&list(vec![Value::str("a")]), &Type::list(Type::String)), r#"["a"]"#);
}

#[test]
fn records_use_canonical_field_order() {
    let ty = rec(&[("error", Type::String), ("code", Type::Int)]);
    let v = Value::Record([Value::Int(404), Value::str("nf")].into());
    assert_eq!(to_json(&v, &ty), r#"{"code":404,"error":"nf"}"#);
    assert_eq!(to_json(&Value::Record([].into()), &rec(&[])), "{}");
}

#[test]
fn maps_by_key_type() {
    let entries = Value::Map([(Value::str("b"), Value::Int(1)), (Value::str("a"), Value::Int(2))].into());
    assert_eq!(to_json(&entries, &Type::map(Type::String, Type::Int)), r#"{"b":1,"a":2}"#);
    let by_int = Value::Map([(Value::Int(1), Value::str("one"))].into());
    assert_eq!(to_json(&by_int, &Type::map(Type::Int, Type::String)), r#"[[1,"one"]]"#);
    assert_eq!(to_json(&Value::Map([].into()), &Type::map(Type::Int, Type::String)), "[]");
    assert_eq!(to_json(&Value::Map([].into()), &Type::map(Type::String, Type::Int)), "{}");
}

#[test]
fn optionals_have_no_wrapper() {
    let o = Type::optional(Type::Int);
    assert_eq!(to_json(&Value::None, &o), "null");
    assert_eq!(to_json(&Value::some(Value::Int(3)), &o), "3");
    let oo = Type::optional(o);
    assert_eq!(to_json(&Value::some(Value::None), &oo), "null");
    assert_eq!(to_json(&Value::some(Value::some(Value::Int(3))), &oo), "3");
    let orec = Type::optional(rec(&[("a", Type::optional(Type::String))]));
    assert_eq!(to_json(&Value::Record([Value::None].into()), &orec), r#"{"a":null}"#);
}

#[test]
fn unions_are_tagged_with_the_canonical_member_text() {
    let int_str = Type::union([Type::Int, Type::String]);
    assert_eq!(to_json(&tagged(0, Value::Int(3)), &int_str), r#"{"tag":"Int","value":3}"#);
    let err = rec(&[("error", Type::String), ("code", Type::Int)]);
    let result = Type::union([Type::String, err]);
    let v = tagged(1, Value::Record([Value::Int(404), Value::str("nf")].into()));
    assert_eq!(to_json(&v, &result), r#"{"tag":"{ code: Int, error: String }","value":{"code":404,"error":"nf"}}"#);
    let mixed = list(vec![tagged(0, Value::Int(1)), tagged(1, Value::str("a"))]);
    assert_eq!(to_json(&mixed, &Type::list(int_str)), r#"[{"tag":"Int","value":1},{"tag":"String","value":"a"}]"#);
}

#[test]
fn values_that_break_the_invariants_do_not_panic() {
    let int_str = Type::union([Type::Int, Type::String]);
    assert_eq!(to_json(&tagged(7, Value::Int(3)), &int_str), "null");
    assert_eq!(to_json(&Value::Int(3), &Type::list(Type::Int)), "null");
    assert_eq!(to_json(&Value::str("x"), &rec(&[("a", Type::Int)])), r#""x""#);
    assert_eq!(to_json(&Value::None, &Type::Int), "null");
}

#[test]
fn outputs_object_in_the_given_order() {
    let (int, ints) = (Type::Int, Type::list(Type::Int));
    let (three, xs) = (Value::Int(3), Value::Ints([1, 2].into()));
    let mut out = String::new();
    write_outputs([("z", &three, &int), ("a", &xs, &ints)], Layout::Compact, &mut out);
    assert_eq!(out, r#"{"z":3,"a":[1,2]}"#);
    out.clear();
    write_outputs([("z", &three, &int), ("a", &xs, &ints)], Layout::Pretty, &mut out);
    assert_eq!(out, "{\n  \"z\": 3,\n  \"a\": [\n    1,\n    2\n  ]\n}");
    out.clear();
    write_outputs([], Layout::Pretty, &mut out);
    assert_eq!(out, "{}");
}

#[test]
fn pretty_layout_is_what_serde_json_prints() {
    let ty = rec(&[
        ("m", Type::map(Type::Int, Type::String)),
        ("u", Type::union([Type::Int, Type::String])),
        ("e", rec(&[])),
    ]);
    let v = Value::Record(
        [Value::Record([].into()), Value::Map([(Value::Int(1), Value::str("a"))].into()), tagged(1, Value::str("s"))]
            .into(),
    );
    let mut pretty = String::new();
    write_value(&v, &ty, Layout::Pretty, &mut pretty);
    let doc: serde_json::Value = serde_json::from_str(&to_json(&v, &ty)).unwrap();
    assert_eq!(pretty, serde_json::to_string_pretty(&doc).unwrap());
}

/// Parses `json` as the single input `x: ty` and writes it back.
fn round_trip(ty: &Type, json: &str) -> String {
    let values = parse_inputs(format!(r#"{{"x": {json}}}"#), &[("x", ty.clone())]).unwrap();
    to_json(&values[0], ty)
}

#[test]
fn parsing_then_writing_gives_canonical_json() {
    let item = rec(&[("sku", Type::String), ("price", Type::Float), ("tags", Type::list(Type::String))]);
    let order = rec(&[
        ("items", Type::list(item)),
        ("id", Type::Int),
        ("note", Type::optional(Type::String)),
        ("extra", Type::map(Type::String, Type::union([Type::Int, Type::Boolean]))),
        ("by_id", Type::map(Type::Int, Type::Float)),
    ]);
    let doc = r#"{"id": 7.0, "items": [{"tags": ["x"], "sku": "A", "price": 2}], "ignored": null,
                  "extra": {"z": 1, "a": true}, "by_id": [[3, 1e3]]}"#;
    let canonical = r#"{"by_id":[[3,1000.0]],"extra":{"z":{"tag":"Int","value":1},"a":{"tag":"Boolean","value":true}},"id":7,"items":[{"price":2.0,"sku":"A","tags":["x"]}],"note":null}"#;
    assert_eq!(round_trip(&order, doc), canonical);
    assert_eq!(round_trip(&order, canonical), canonical);
}

#[test]
fn numbers_round_trip_exactly() {
    assert_eq!(round_trip(&Type::Int, "9007199254740993"), "9007199254740993");
    assert_eq!(round_trip(&Type::Int, "-9223372036854775808"), "-9223372036854775808");
    assert_eq!(round_trip(&Type::Float, "0.1"), "0.1");
    assert_eq!(round_trip(&Type::Float, "1e-320"), "1e-320");
    assert_eq!(round_trip(&Type::Float, "1.7976931348623157e308"), "1.7976931348623157e308");
    assert_eq!(round_trip(&Type::list(Type::Float), "[1, 2.50, -0.0]"), "[1.0,2.5,-0.0]");
}
