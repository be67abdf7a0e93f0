//! `stdlib.math` (SPEC §9.2): arithmetic with the operator semantics of §4.6 (Int overflow and
//! division by zero fail, Floats are IEEE), `max`/`min` ignoring NaN, rounding to a saturated
//! Int, the Float functions and `clamp`.
//!
//! Also declares `args`, the helpers shared by every stdlib and prelude implementation file.

use super::args::{self, checked, division_by_zero, numeric};
use crate::module::{Module, ModuleError, ModuleResult};
use crate::value::Value;

pub(super) fn module(name: &str) -> Option<Module> {
    Some(match name {
        "add" => numeric(|[a, b]: [i64; 2]| checked(a.checked_add(b)), |[a, b]| float(a + b)),
        "subtract" => numeric(|[a, b]: [i64; 2]| checked(a.checked_sub(b)), |[a, b]| float(a - b)),
        "multiply" => numeric(|[a, b]: [i64; 2]| checked(a.checked_mul(b)), |[a, b]| float(a * b)),
        "divide" => numeric(|[a, b]| int_division(a, b, i64::checked_div), |[a, b]| float(a / b)),
        "modulo" => numeric(|[a, b]| int_division(a, b, |a, b| Some(a.wrapping_rem(b))), |[a, b]| float(a % b)),
        "max" => numeric(|[a, b]: [i64; 2]| Ok(Value::Int(a.max(b))), |[a, b]| float(pick(a, b, b > a))),
        "min" => numeric(|[a, b]: [i64; 2]| Ok(Value::Int(a.min(b))), |[a, b]| float(pick(a, b, b < a))),
        "abs" => numeric(|[x]: [i64; 1]| checked(x.checked_abs()), |[x]| float(x.abs())),
        "negate" => numeric(|[x]: [i64; 1]| checked(x.checked_neg()), |[x]| float(-x)),
        "round" => to_int(round_half_up),
        "floor" => to_int(f64::floor),
        "ceil" => to_int(f64::ceil),
        "sqrt" => unary_float(f64::sqrt),
        "exp" => unary_float(f64::exp),
        "ln" => unary_float(f64::ln),
        "pow" => Module::sync(|args| Ok(Value::Float(args::float(args, 0)?.powf(args::float(args, 1)?)))),
        "clamp" => numeric(
            |[x, low, high]| clamp(x, low, high).map(Value::Int),
            |[x, low, high]| clamp(x, low, high).map(Value::Float),
        ),
        _ => return None,
    })
}

fn float(x: f64) -> ModuleResult {
    Ok(Value::Float(x))
}

/// Int `/` or `%` (§4.6): a zero divisor fails, then `op` (checked: `MIN / -1` overflows).
fn int_division(a: i64, b: i64, op: fn(i64, i64) -> Option<i64>) -> ModuleResult {
    if b == 0 { Err(division_by_zero()) } else { checked(op(a, b)) }
}

/// `b` when `b_wins`, else `a`; a NaN operand is ignored (both NaN → NaN).
fn pick(a: f64, b: f64, b_wins: bool) -> f64 {
    if a.is_nan() || (b_wins && !b.is_nan()) { b } else { a }
}

/// The nearest integer, halves toward +∞. `x - floor(x)` is exact, unlike `floor(x + 0.5)`,
/// which rounds `0.49999999999999994` up to 1.
fn round_half_up(x: f64) -> f64 {
    let floor = x.floor();
    if x - floor >= 0.5 { floor + 1.0 } else { floor }
}

/// `(value: Float) -> Int` through `f`; NaN gives 0 and out-of-range results saturate (`as`).
fn to_int(f: fn(f64) -> f64) -> Module {
    Module::sync(move |args| Ok(Value::Int(f(args::float(args, 0)?) as i64)))
}

/// `(value: N) -> Float` computed in Float.
fn unary_float(f: fn(f64) -> f64) -> Module {
    Module::sync(move |args| Ok(Value::Float(f(args::float(args, 0)?))))
}

/// `low` below it, `high` above it, else the value itself (so NaN stays NaN).
fn clamp<T: PartialOrd>(x: T, low: T, high: T) -> Result<T, ModuleError> {
    if low > high {
        Err(ModuleError::new("low is greater than high"))
    } else if x < low {
        Ok(low)
    } else if x > high {
        Ok(high)
    } else {
        Ok(x)
    }
}

#[cfg(test)]
mod tests {
    use super::args::testing::{err, ok};
    use crate::value::Value::{self, Float, Int};

    fn assert_float(v: Value, want: f64) {
        match v {
            Float(x) => assert!(x.to_bits() == want.to_bits() || (x.is_nan() && want.is_nan()), "{x} != {want}"),
            other => panic!("expected Float {want}, got {other:?}"),
        }
    }

    fn assert_int(v: Value, want: i64) {
        assert!(matches!(v, Int(n) if n == want), "expected Int {want}, got {v:?}");
    }

    const MAX: i64 = i64::MAX;
    const MIN: i64 = i64::MIN;

    #[test]
    fn int_arithmetic_follows_the_operators() {
        assert_int(ok("add", &[Int(2), Int(3)]), 5);
        assert_int(ok("subtract", &[Int(2), Int(3)]), -1);
        assert_int(ok("multiply", &[Int(4), Int(-3)]), -12);
        assert_int(ok("divide", &[Int(-10), Int(3)]), -3);
        assert_int(ok("divide", &[Int(7), Int(2)]), 3);
        assert_int(ok("modulo", &[Int(-7), Int(3)]), -1);
        assert_int(ok("modulo", &[Int(7), Int(-3)]), 1);
        assert_int(ok("modulo", &[Int(MIN), Int(-1)]), 0);
        for (name, a, b) in [("add", MAX, 1), ("subtract", MIN, 1), ("multiply", MAX, 2), ("divide", MIN, -1)] {
            assert_eq!(err(name, &[Int(a), Int(b)]), "integer overflow");
        }
        assert_eq!(err("divide", &[Int(1), Int(0)]), "division by zero");
        assert_eq!(err("modulo", &[Int(1), Int(0)]), "division by zero");
    }

    #[test]
    fn float_arithmetic_is_ieee() {
        assert_float(ok("multiply", &[Int(4), Float(2.5)]), 10.0);
        assert_float(ok("add", &[Int(1), Float(0.5)]), 1.5);
        assert_float(ok("divide", &[Float(7.0), Int(2)]), 3.5);
        assert_float(ok("divide", &[Float(1.0), Int(0)]), f64::INFINITY);
        assert_float(ok("divide", &[Float(0.0), Float(0.0)]), f64::NAN);
        assert_float(ok("modulo", &[Float(-7.5), Int(2)]), -1.5);
        assert_float(ok("subtract", &[Float(0.5), Float(0.25)]), 0.25);
    }

    #[test]
    fn max_and_min_ignore_nan() {
        assert_float(ok("max", &[Int(3), Float(2.5)]), 3.0);
        assert_int(ok("max", &[Int(3), Int(7)]), 7);
        assert_int(ok("min", &[Int(3), Int(7)]), 3);
        assert_float(ok("min", &[Float(1.5), Int(2)]), 1.5);
        assert_float(ok("max", &[Float(f64::NAN), Float(1.0)]), 1.0);
        assert_float(ok("max", &[Float(1.0), Float(f64::NAN)]), 1.0);
        assert_float(ok("min", &[Float(f64::NAN), Float(-1.0)]), -1.0);
        assert_float(ok("min", &[Float(f64::NAN), Float(f64::NAN)]), f64::NAN);
    }

    #[test]
    fn abs_and_negate() {
        assert_int(ok("abs", &[Int(-4)]), 4);
        assert_int(ok("negate", &[Int(4)]), -4);
        assert_float(ok("abs", &[Float(-2.5)]), 2.5);
        assert_float(ok("negate", &[Float(0.0)]), -0.0);
        assert_eq!(err("abs", &[Int(MIN)]), "integer overflow");
        assert_eq!(err("negate", &[Int(MIN)]), "integer overflow");
    }

    #[test]
    fn rounding_halves_up_and_saturates() {
        let cases = [
            ("round", 2.5, 3),
            ("round", -2.5, -2),
            ("round", -2.7, -3),
            ("round", 0.49999999999999994, 0),
            ("round", -0.5, 0),
            ("round", 1.5, 2),
            ("round", f64::NAN, 0),
            ("round", 1e300, MAX),
            ("round", f64::NEG_INFINITY, MIN),
            ("floor", -1.5, -2),
            ("floor", f64::NAN, 0),
            ("floor", 1e19, MAX),
            ("ceil", 1.2, 2),
            ("ceil", -1e19, MIN),
            ("ceil", f64::NAN, 0),
        ];
        for (name, x, want) in cases {
            assert_int(ok(name, &[Float(x)]), want);
        }
    }

    #[test]
    fn float_functions() {
        assert_float(ok("sqrt", &[Int(4)]), 2.0);
        assert_float(ok("sqrt", &[Int(-1)]), f64::NAN);
        assert_float(ok("ln", &[Int(-1)]), f64::NAN);
        assert_float(ok("ln", &[Int(0)]), f64::NEG_INFINITY);
        assert_float(ok("exp", &[Int(0)]), 1.0);
        assert_float(ok("pow", &[Int(2), Int(10)]), 1024.0);
        assert_float(ok("pow", &[Float(4.0), Float(0.5)]), 2.0);
    }

    #[test]
    fn clamp_keeps_nan_and_checks_bounds() {
        assert_int(ok("clamp", &[Int(15), Int(0), Int(10)]), 10);
        assert_int(ok("clamp", &[Int(-5), Int(0), Int(10)]), 0);
        assert_int(ok("clamp", &[Int(5), Int(0), Int(10)]), 5);
        assert_float(ok("clamp", &[Float(2.5), Int(0), Int(1)]), 1.0);
        assert_float(ok("clamp", &[Float(f64::NAN), Float(0.0), Float(1.0)]), f64::NAN);
        assert_eq!(err("clamp", &[Int(1), Int(10), Int(0)]), "low is greater than high");
        assert_eq!(err("clamp", &[Float(1.0), Float(1.5), Float(0.5)]), "low is greater than high");
    }

    #[test]
    fn malformed_arguments_fail_without_panicking() {
        assert_eq!(err("add", &[Int(1)]), "missing argument 2");
        assert_eq!(err("add", &[Int(1), Value::str("x")]), "argument 2 is not a number");
        assert_eq!(err("round", &[Value::Bool(true)]), "argument 1 is not a number");
    }
}
