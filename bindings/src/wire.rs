//! Values on the wire: the argument record a module is sent, and its answer read back.
//!
//! Takes: a signature and argument values (already of its parameter types, SPEC §7.5); an answer's
//! JSON text. Gives: the record `{"param": value, …}` in the JSON of SPEC §8.4; the answer as a
//! value of the return type, or a message naming where it is wrong (`answer field 'scores[3]':
//! expected Float, got String`). Guarantees: only signatures whose types all have a JSON form are
//! bound (`callable`), so every value can be written and every answer read by type.

use asterism_registry::{Limits, Signature, Type, Value};
use asterism_runtime::json::{Layout, parse_value, write_value};

/// Whether a module with `signature` can be called over the wire: no type variables, no
/// function types (lambdas live in the engine).
pub fn callable(signature: &Signature) -> Result<(), String> {
    let types = signature.params.iter().map(|p| &p.ty).chain([&signature.ret]);
    for ty in types {
        if let Some(why) = unsendable(ty) {
            return Err(why);
        }
    }
    Ok(())
}

fn unsendable(ty: &Type) -> Option<String> {
    match ty {
        Type::Var(v) => Some(format!("its signature has the type variable {v}; name a concrete type")),
        Type::Coll(_) => Some("its signature has a collection variable C<…>; name List or Seq".to_string()),
        Type::Function(..) => Some(format!("a function type ({ty}) has no JSON form")),
        Type::String | Type::Int | Type::Float | Type::Boolean | Type::Nothing | Type::Error => None,
        Type::List(t) | Type::Seq(t) | Type::Optional(t) => unsendable(t),
        Type::Map(k, v) => unsendable(k).or_else(|| unsendable(v)),
        Type::Record(r) => r.fields().iter().find_map(|(_, t)| unsendable(t)),
        Type::Union(members) => members.iter().find_map(unsendable),
    }
}

/// Appends the argument record of a call to `out`.
pub fn write_args(signature: &Signature, args: &[Value], out: &mut String) {
    out.push('{');
    for (i, (param, value)) in signature.params.iter().zip(args).enumerate() {
        if i > 0 {
            out.push(',');
        }
        // Parameter names are identifiers: nothing to escape.
        out.push('"');
        out.push_str(&param.name);
        out.push_str("\":");
        write_value(value, &param.ty, Layout::Compact, out);
    }
    out.push('}');
}

/// An answer's JSON read as a value of `ty`; else why not, in one line.
pub fn read_answer(json: &[u8], ty: &Type) -> Result<Value, String> {
    parse_value(json, ty, &Limits::default()).map_err(|problems| {
        let shown: Vec<String> = problems.iter().take(3).map(|p| p.to_string()).collect();
        let more = problems.len().saturating_sub(shown.len());
        let tail = if more > 0 { format!("; and {more} more") } else { String::new() };
        format!("the answer is not a {ty}: {}{tail}", shown.join("; "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_data_signatures_are_callable() {
        let sig = |text| Signature::parse("m", text).unwrap();
        assert!(callable(&sig("(text: String, n: Optional<Int>) -> { a: List<Float>, b: Map<String, Int> }")).is_ok());
        assert!(callable(&sig("(x: T) -> T")).unwrap_err().contains("type variable T"));
        assert!(callable(&sig("(f: (Int) => Int) -> Int")).unwrap_err().contains("no JSON form"));
    }

    #[test]
    fn arguments_are_a_record_and_answers_are_read_by_type() {
        let sig = Signature::parse("m", "(text: String, k: Int) -> List<Float>").unwrap();
        let mut out = String::new();
        write_args(&sig, &[Value::str("a\"b"), Value::Int(3)], &mut out);
        assert_eq!(out, r#"{"text":"a\"b","k":3}"#);
        assert!(read_answer(b"[1, 2.5]", &sig.ret).is_ok());
        let e = read_answer(br#"[1, "x"]"#, &sig.ret).unwrap_err();
        assert_eq!(e, "the answer is not a List<Float>: field '[1]': expected Float, got String");
        assert!(read_answer(b"[1,", &sig.ret).unwrap_err().contains("not valid JSON"));
    }
}
