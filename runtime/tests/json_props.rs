//! Properties of JSON input and output: no document, however malformed, makes parsing panic;
//! whatever parses writes valid JSON that parses back to the same JSON; numbers survive exactly.

use asterism_registry::{Name, Type, Value};
use asterism_runtime::json::{parse_inputs, to_json};
use proptest::prelude::*;

fn rec(fields: &[(&str, Type)]) -> Type {
    Type::record(fields.iter().map(|(n, t)| (Name::from(*n), t.clone())))
}

/// Types covering every rule of SPEC §8.5.
fn types() -> Vec<Type> {
    let int_str = Type::union([Type::Int, Type::String]);
    vec![
        Type::Int,
        Type::Float,
        Type::String,
        Type::Boolean,
        Type::list(Type::Int),
        Type::list(Type::list(Type::Float)),
        Type::optional(Type::list(int_str.clone())),
        Type::map(Type::String, Type::Float),
        Type::map(Type::Int, Type::list(Type::Boolean)),
        rec(&[("a", Type::Int), ("b", Type::optional(Type::String)), ("c", Type::list(rec(&[("d", Type::Float)])))]),
        Type::union([rec(&[("a", Type::Int)]), rec(&[("a", Type::Int), ("b", Type::Int)]), Type::list(int_str)]),
        Type::union([Type::Int, Type::Float, Type::map(Type::String, Type::Int)]),
    ]
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_filter("finite", |x| x.is_finite()).prop_map(serde_json::Value::from),
        (-3i64..3).prop_map(serde_json::Value::from),
        "[a-d]{0,2}|Int|Float|tag|value".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map("[a-d]|tag|value", inner, 0..5)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn parse_one(ty: &Type, json: &str) -> Result<Value, Vec<String>> {
    parse_inputs(format!(r#"{{"x": {json}}}"#), &[("x", ty.clone())]).map(|mut v| v.remove(0))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(doc in any::<String>()) {
        for ty in types() {
            match parse_inputs(&doc, &[("x", ty)]) {
                Ok(values) => prop_assert_eq!(values.len(), 1),
                Err(errors) => prop_assert!(!errors.is_empty()),
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(doc in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = parse_inputs(&doc, &[("x", Type::list(Type::Int))]);
    }

    #[test]
    fn whatever_parses_writes_json_that_round_trips(value in json_value(), which in 0..12usize) {
        let types = types();
        let ty = &types[which % types.len()];
        let text = value.to_string();
        match parse_one(ty, &text) {
            Ok(parsed) => {
                let written = to_json(&parsed, ty);
                prop_assert!(serde_json::from_str::<serde_json::Value>(&written).is_ok(), "{}", written);
                let again = parse_one(ty, &written).map(|v| to_json(&v, ty));
                prop_assert_eq!(again, Ok(written));
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                prop_assert!(errors.iter().all(|e| e.starts_with("input 'x': ")), "{:?}", errors);
            }
        }
    }

    #[test]
    fn truncated_documents_are_unreadable(value in json_value(), cut in 1..64usize) {
        let text = format!(r#"{{"x": {value}}}"#);
        let cut = text.len().saturating_sub(cut).max(1);
        if text.is_char_boundary(cut) {
            let errors = parse_inputs(&text[..cut], &[("x", Type::Int)]).unwrap_err();
            prop_assert_eq!(errors.len(), 1);
            prop_assert!(errors[0].starts_with("cannot parse inputs: "), "{:?}", errors);
        }
    }

    #[test]
    fn floats_parse_exactly(x in any::<f64>().prop_filter("finite", |x| x.is_finite())) {
        let parsed = parse_one(&Type::Float, &format!("{x:?}")).unwrap();
        prop_assert!(matches!(parsed, Value::Float(y) if y.to_bits() == x.to_bits()));
        let parsed = parse_one(&Type::Float, &format!("{x:e}")).unwrap();
        prop_assert!(matches!(parsed, Value::Float(y) if y.to_bits() == x.to_bits()));
        prop_assert_eq!(to_json(&parsed, &Type::Float), format!("{x:?}"));
    }

    #[test]
    fn ints_parse_exactly(n in any::<i64>()) {
        let parsed = parse_one(&Type::Int, &n.to_string()).unwrap();
        prop_assert!(matches!(parsed, Value::Int(m) if m == n));
    }
}
