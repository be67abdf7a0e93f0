//! The text form of values (SPEC §8.2), used by interpolation and `to-string`, and the Float text
//! form (SPEC §8.3), also used in JSON output.

use crate::limits::Limits;
use crate::types::Type;
use crate::value::Value;
use std::fmt::Write;

/// The Float text form: the shortest digits that read back to the same `f64`, in decimal
/// notation from 1e-4 up to 1e16, always with a fraction (`12.0`, `0.0001`), in scientific
/// notation outside it (`1e16`, `1.5e-7`): Rust's `{:?}` form, which tests hold this to. NaN and
/// the infinities as `NaN`, `inf`, `-inf`. Written by ryu, whose form is the same but for numbers
/// from 1e-5 to 1e-4 (ryu writes them positionally) and for exact ties between two shortest digit
/// strings (ryu takes the even one): those, rare, are written by Rust's own formatting.
pub fn float(x: f64, out: &mut String) {
    if !x.is_finite() || (1e-5..1e-4).contains(&x.abs()) || may_tie(x) {
        let _ = write!(out, "{x:?}");
    } else {
        out.push_str(ryu::Buffer::new().format_finite(x));
    }
}

/// Whether `x` may lie exactly halfway between two shortest digit strings. Its exact decimal
/// expansion would then end, with a 5, one place past the shortest's last digit, at most 18 places
/// below its first. A number `m · 2^e` (`m` odd, `e < 0`) ends exactly at `10^e`, so only one
/// with few fraction bits can tie; of integers, only those from 2^53 on have digits past the 16
/// their shortest form may keep.
fn may_tie(x: f64) -> bool {
    let bits = x.to_bits();
    let (biased, fraction) = ((bits >> 52) & 0x7FF, bits & ((1 << 52) - 1));
    let (m, e) = if biased == 0 { (fraction, -1074) } else { (fraction | 1 << 52, biased as i32 - 1075) };
    if m == 0 {
        return false;
    }
    let e = e + m.trailing_zeros() as i32;
    if e >= 0 {
        return x.abs() >= 9_007_199_254_740_992.0;
    }
    // The power of ten of the first digit is at least ⌊log10 2 · (binary exponent)⌋ - 1.
    let binary = biased.max(1) as i32 - 1023;
    let first = ((binary * 78_913) >> 18) - 1;
    e >= first - 20
}

/// Appends the text form of `value`, whose static type is `ty`, stopping soon after `out` holds
/// more than `limit` bytes (the caller then fails rather than keeps the text: a value built of
/// shared parts can be far larger written out than in memory).
pub fn text(value: &Value, ty: &Type, out: &mut String, limit: usize) {
    if out.len() > limit {
        return;
    }
    match (value, ty) {
        (Value::Str(s), _) => out.push_str(s),
        (Value::Int(n), _) => {
            let _ = write!(out, "{n}");
        }
        (Value::Float(x), _) => float(*x, out),
        (Value::Bool(b), _) => out.push_str(if *b { "true" } else { "false" }),
        (Value::None, _) => {}
        (Value::Tagged(tag, inner), Type::Union(members)) => {
            text(inner, members.get(*tag as usize).unwrap_or(&Type::Nothing), out, limit)
        }
        (v, Type::Optional(inner)) => text(&v.clone().unwrap_some(), inner, out, limit),
        (Value::Record(fields), Type::Record(record)) => {
            out.push('{');
            for (i, ((name, field_ty), v)) in record.fields().iter().zip(fields.iter()).enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{name}: ");
                text(v, field_ty, out, limit);
            }
            out.push('}');
        }
        (Value::Map(entries), Type::Map(k, v)) => {
            out.push('{');
            for (i, (key, val)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                text(key, k, out, limit);
                out.push_str(": ");
                text(val, v, out, limit);
            }
            out.push('}');
        }
        (v, _) => match v.as_list() {
            Some(list) => {
                let elem = match ty {
                    Type::List(e) | Type::Seq(e) => &**e,
                    _ => &Type::Nothing,
                };
                out.push('[');
                for (i, item) in list.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    if out.len() > limit {
                        return;
                    }
                    text(&item, elem, out, limit);
                }
                out.push(']');
            }
            None => out.push('?'),
        },
    }
}

/// The text form as a new string, or the budget's message when it is longer than `limits` allow.
pub fn to_text(value: &Value, ty: &Type, limits: &Limits) -> Result<String, String> {
    let mut out = String::new();
    text(value, ty, &mut out, limits.string_bytes());
    limits.string(out.len()).map(|()| out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Name;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        #[test]
        fn floats_are_written_as_rust_writes_them(bits in any::<u64>()) {
            let x = f64::from_bits(bits);
            let mut s = String::new();
            float(x, &mut s);
            prop_assert_eq!(s, format!("{x:?}"));
        }

        #[test]
        fn floats_halfway_between_two_shortest_are_written_as_rust_writes_them(a in 0u64..1 << 50, b in 0u64..64, shift in 0i32..80) {
            // Few fraction bits: exact expansions that end one place past the shortest, with a 5.
            let x = (a as f64 + b as f64 / 64.0) * 2f64.powi(shift - 40);
            let mut s = String::new();
            float(x, &mut s);
            prop_assert_eq!(s, format!("{x:?}"));
        }

        #[test]
        fn decimal_floats_are_written_as_rust_writes_them(m in 0u64..100_000_000, k in -12i32..20) {
            let x = m as f64 * 10f64.powi(k);
            let mut s = String::new();
            float(x, &mut s);
            prop_assert_eq!(s, format!("{x:?}"));
        }
    }

    #[test]
    fn floats_use_the_shortest_round_trip_form() {
        for (x, want) in [
            (12.0, "12.0"),
            (0.1 + 0.2, "0.30000000000000004"),
            (0.0001, "0.0001"),
            (123456789.125, "123456789.125"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e16"),
            (1e-5, "1e-5"),
            (1.5e-7, "1.5e-7"),
            (f64::MAX, "1.7976931348623157e308"),
            (f64::from_bits(4_791_874_605_745_184_576), "2220801684739.9063"),
            (5e-324, "5e-324"),
            (-0.0, "-0.0"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            let mut s = String::new();
            float(x, &mut s);
            assert_eq!(s, want);
        }
    }

    fn to_text(value: &Value, ty: &Type) -> String {
        super::to_text(value, ty, &Limits::default()).unwrap()
    }

    #[test]
    fn text_of_compound_values() {
        let rec = Type::record([(Name::from("b"), Type::String), (Name::from("a"), Type::Int)]);
        let v = Value::Record([Value::Int(1), Value::str("x")].into());
        assert_eq!(to_text(&v, &rec), "{a: 1, b: x}");
        assert_eq!(
            to_text(&Value::List([Value::str("a"), Value::str("b")].into()), &Type::list(Type::String)),
            "[a, b]"
        );
        assert_eq!(to_text(&Value::Floats([1.5, 2.0].into()), &Type::list(Type::Float)), "[1.5, 2.0]");
        assert_eq!(to_text(&Value::None, &Type::optional(Type::Int)), "");
        let u = Type::union([Type::Int, Type::String]);
        assert_eq!(to_text(&Value::Tagged(0, Value::Int(3).into()), &u), "3");
        assert_eq!(to_text(&Value::Record(Arc::from([])), &Type::record([])), "{}");
    }

    #[test]
    fn text_longer_than_the_budget_stops_early_and_fails() {
        // A list of a list of … 40 levels deep, each holding the one below twice: 2^40 numbers
        // written out, a few hundred bytes in memory.
        let (mut v, mut ty) = (Value::Ints([1, 2].into()), Type::list(Type::Int));
        for _ in 0..40 {
            v = Value::List([v.clone(), v].into());
            ty = Type::list(ty);
        }
        let limits = Limits { max_memory: 1 << 20, max_time: None };
        let e = super::to_text(&v, &ty, &limits).unwrap_err();
        assert!(e.starts_with("value too large: a string of "), "{e}");
    }
    use std::sync::Arc;
}
