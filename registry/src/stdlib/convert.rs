//! `stdlib.compare` and `stdlib.bool` (SPEC §9.6), `stdlib.convert`, `stdlib.identity` and
//! `stdlib.debug.log` (SPEC §9.7). `module` takes the full qualified name.

use super::args::{self, numeric};
use super::string::trim;
use crate::module::{CallContext, Module, ModuleResult};
use crate::text::to_text;
use crate::types::Type;
use crate::value::Value;
use std::cmp::Ordering::{self, Greater, Less};

pub(super) fn module(name: &str) -> Option<Module> {
    Some(match name {
        "stdlib.compare.eq-int" => Module::sync(|args| Ok(Value::Bool(args::int(args, 0)? == args::int(args, 1)?))),
        "stdlib.compare.eq-string" => {
            Module::sync(|args| Ok(Value::Bool(args::string(args, 0)? == args::string(args, 1)?)))
        }
        "stdlib.compare.gt" => comparison(|o| o == Greater),
        "stdlib.compare.lt" => comparison(|o| o == Less),
        "stdlib.compare.gte" => comparison(|o| o != Less),
        "stdlib.compare.lte" => comparison(|o| o != Greater),
        "stdlib.bool.and" => Module::sync(|args| Ok(Value::Bool(args::boolean(args, 0)? & args::boolean(args, 1)?))),
        "stdlib.bool.or" => Module::sync(|args| Ok(Value::Bool(args::boolean(args, 0)? | args::boolean(args, 1)?))),
        "stdlib.bool.not" => Module::sync(|args| Ok(Value::Bool(!args::boolean(args, 0)?))),
        "stdlib.convert.to-string" => Module::sync_typed(|args, cx| {
            Ok(Value::str(to_text(args::arg(args, 0)?, cx.arg_types.first().unwrap_or(&Type::Nothing), cx.limits)?))
        }),
        // `as` truncates toward zero, saturates, and maps NaN to 0.
        "stdlib.convert.to-int" => numeric(|[n]| Ok(Value::Int(n)), |[x]| Ok(Value::Int(x as i64))),
        "stdlib.convert.to-float" => numeric(|[n]| Ok(Value::Float(n as f64)), |[x]| Ok(Value::Float(x))),
        "stdlib.convert.parse-int" => parser(parse_int),
        "stdlib.convert.parse-float" => parser(parse_float),
        "stdlib.identity" => Module::sync(|args| args::arg(args, 0).cloned()),
        "stdlib.debug.log" => Module::sync_typed(log),
        _ => return None,
    })
}

/// `(a: N, b: N) -> Boolean` with the ordering of §4.7: with NaN every comparison is false.
fn comparison(holds: fn(Ordering) -> bool) -> Module {
    let test = move |o: Option<Ordering>| Ok(Value::Bool(o.is_some_and(holds)));
    numeric(move |[a, b]: [i64; 2]| test(a.partial_cmp(&b)), move |[a, b]: [f64; 2]| test(a.partial_cmp(&b)))
}

/// `(value: String) -> Optional<X>`: `parse` of the trimmed text, `None` when it does not match.
fn parser(parse: fn(&str) -> Option<Value>) -> Module {
    Module::sync(move |args| Ok(Value::from_option(parse(trim(args::string(args, 0)?)))))
}

/// `[+-]?[0-9]+` within the i64 range.
fn parse_int(s: &str) -> Option<Value> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().map(Value::Int)
}

/// `[+-]? ([0-9]+ ("." [0-9]*)? | "." [0-9]+) ([eE] [+-]? [0-9]+)?` as the nearest Float.
fn parse_float(s: &str) -> Option<Value> {
    let rest = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int_digits, rest) = split_digits(rest);
    let (frac_digits, rest) = match rest.strip_prefix('.') {
        Some(after_point) => split_digits(after_point),
        None => ("", rest),
    };
    if int_digits.is_empty() && frac_digits.is_empty() {
        return None;
    }
    let exponent_ok = match rest.strip_prefix(['e', 'E']) {
        Some(exp) => matches!(split_digits(exp.strip_prefix(['+', '-']).unwrap_or(exp)), (d, "") if !d.is_empty()),
        None => rest.is_empty(),
    };
    if !exponent_ok {
        return None;
    }
    s.parse().ok().map(Value::Float)
}

/// The leading ASCII digits of `s` and the rest.
fn split_digits(s: &str) -> (&str, &str) {
    s.split_at(s.bytes().take_while(u8::is_ascii_digit).count())
}

/// Reports the message as the call's `log` line and returns it.
fn log(args: &[Value], cx: &CallContext<'_>) -> ModuleResult {
    let message = args::arg(args, 0)?;
    let text = message.as_str().ok_or("argument 1 is not a String")?;
    cx.log(text);
    Ok(message.clone())
}

#[cfg(test)]
mod tests {
    use super::args::testing::{call_typed, err, ok, s, strs};
    use crate::types::{Name, Type};
    use crate::value::Value::{self, Bool, Float, Int};

    fn is_bool(name: &str, args: &[Value]) -> bool {
        match ok(name, args) {
            Bool(b) => b,
            other => panic!("{name}: expected a Boolean, got {other:?}"),
        }
    }

    #[test]
    fn compare_functions() {
        assert!(is_bool("stdlib.compare.eq-int", &[Int(3), Int(3)]));
        assert!(!is_bool("stdlib.compare.eq-int", &[Int(3), Int(4)]));
        assert!(is_bool("stdlib.compare.eq-string", &[s("é"), s("é")]));
        assert!(!is_bool("stdlib.compare.eq-string", &[s("a"), s("A")]));
        let nan = Float(f64::NAN);
        for (name, lt, eq, gt) in [
            ("gt", false, false, true),
            ("lt", true, false, false),
            ("gte", false, true, true),
            ("lte", true, true, false),
        ] {
            let name = format!("stdlib.compare.{name}");
            assert_eq!(is_bool(&name, &[Int(1), Int(2)]), lt, "{name}(1, 2)");
            assert_eq!(is_bool(&name, &[Int(2), Int(2)]), eq, "{name}(2, 2)");
            assert_eq!(is_bool(&name, &[Float(2.5), Int(2)]), gt, "{name}(2.5, 2)");
            assert_eq!(is_bool(&name, &[Float(0.0), Float(-0.0)]), eq, "{name}(0.0, -0.0)");
            assert!(!is_bool(&name, &[nan.clone(), Float(1.0)]), "{name}(NaN, 1.0)");
            assert!(!is_bool(&name, &[nan.clone(), nan.clone()]), "{name}(NaN, NaN)");
        }
    }

    #[test]
    fn bool_functions() {
        for (a, b) in [(false, false), (false, true), (true, false), (true, true)] {
            assert_eq!(is_bool("stdlib.bool.and", &[Bool(a), Bool(b)]), a && b);
            assert_eq!(is_bool("stdlib.bool.or", &[Bool(a), Bool(b)]), a || b);
        }
        assert!(is_bool("stdlib.bool.not", &[Bool(false)]));
        assert!(!is_bool("stdlib.bool.not", &[Bool(true)]));
        assert_eq!(err("stdlib.bool.and", &[Bool(true), Int(1)]), "argument 2 is not a Boolean");
    }

    fn text(args: &[Value], ty: Type) -> String {
        match call_typed("stdlib.convert.to-string", args, std::slice::from_ref(&ty), &Type::String) {
            Ok(Value::Str(t)) => t.to_string(),
            other => panic!("to-string: {other:?}"),
        }
    }

    #[test]
    fn to_string_uses_the_text_form() {
        assert_eq!(text(&[Float(1.0)], Type::Float), "1.0");
        assert_eq!(text(&[Float(1e16)], Type::Float), "1e16");
        assert_eq!(text(&[Float(f64::NAN)], Type::Float), "NaN");
        assert_eq!(text(&[Int(-12)], Type::Int), "-12");
        assert_eq!(text(&[Bool(true)], Type::Boolean), "true");
        assert_eq!(text(&[s("a")], Type::String), "a");
        assert_eq!(text(&[strs(&["a", "b"])], Type::list(Type::String)), "[a, b]");
        assert_eq!(text(&[Value::None], Type::optional(Type::Int)), "");
        let rec = Type::record([(Name::from("b"), Type::String), (Name::from("a"), Type::Int)]);
        assert_eq!(text(&[Value::Record([Int(1), s("x")].into())], rec), "{a: 1, b: x}");
        assert!(matches!(ok("stdlib.convert.to-string", &[Float(0.25)]), Value::Str(t) if &*t == "0.25"));
    }

    #[test]
    fn to_int_truncates_and_saturates() {
        for (x, want) in [(-3.7, -3), (3.7, 3), (f64::NAN, 0), (1e300, i64::MAX), (f64::NEG_INFINITY, i64::MIN)] {
            assert!(matches!(ok("stdlib.convert.to-int", &[Float(x)]), Int(n) if n == want), "to-int({x})");
        }
        assert!(matches!(ok("stdlib.convert.to-int", &[Int(i64::MIN)]), Int(i64::MIN)));
        assert!(matches!(ok("stdlib.convert.to-float", &[Int(3)]), Float(x) if x == 3.0));
        assert!(matches!(ok("stdlib.convert.to-float", &[Int(i64::MAX)]), Float(x) if x == 2f64.powi(63)));
        assert!(matches!(ok("stdlib.convert.to-float", &[Float(-0.5)]), Float(x) if x == -0.5));
    }

    /// The Some contents of a parse function's result, read by `read`.
    fn parsed<T>(name: &str, text: &str, read: fn(&Value) -> Option<T>) -> Option<T> {
        match ok(name, &[s(text)]) {
            Value::None => None,
            v => Some(read(&v).unwrap_or_else(|| panic!("{name}({text:?}): {v:?}"))),
        }
    }

    fn parse_int(text: &str) -> Option<i64> {
        parsed("parse-int", text, Value::as_i64)
    }

    fn parse_float(text: &str) -> Option<f64> {
        parsed("parse-float", text, |v| matches!(v, Float(_)).then(|| v.as_f64()).flatten())
    }

    #[test]
    fn parse_int_grammar() {
        assert_eq!(parse_int(" 42 "), Some(42));
        assert_eq!(parse_int("\t-7\n"), Some(-7));
        assert_eq!(parse_int("+007"), Some(7));
        assert_eq!(parse_int("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int("9223372036854775807"), Some(i64::MAX));
        for bad in ["4x", "", " ", "+", "-", "+-1", "--1", "1.0", "1e3", "9223372036854775808", "٣", "1 2", "\u{a0}1"]
        {
            assert_eq!(parse_int(bad), None, "parse-int({bad:?})");
        }
    }

    #[test]
    fn parse_float_grammar() {
        let cases = [
            (" 1.5 ", 1.5),
            ("-2", -2.0),
            ("+3.", 3.0),
            (".5", 0.5),
            ("-.5e1", -5.0),
            ("1e3", 1000.0),
            ("1.E-2", 0.01),
            ("0.1", 0.1),
            ("007.25", 7.25),
            ("1e400", f64::INFINITY),
        ];
        for (text, want) in cases {
            assert_eq!(parse_float(text), Some(want), "parse-float({text:?})");
        }
        assert!(parse_float("-0").is_some_and(|x| x == 0.0 && x.is_sign_negative()));
        for bad in [
            "", ".", "+", "e5", ".e5", "1e", "1e+", "1.5.2", "inf", "-inf", "NaN", "nan", "infinity", "1x", "0x10",
            "1_000", "1 e5",
        ] {
            assert_eq!(parse_float(bad), None, "parse-float({bad:?})");
        }
    }

    #[test]
    fn identity_and_log() {
        assert!(matches!(ok("stdlib.identity", &[Int(5)]), Int(5)));
        assert!(crate::value::equal(&ok("stdlib.identity", &[strs(&["a"])]), &strs(&["a"])));
        assert!(matches!(ok("stdlib.debug.log", &[s("hello")]), Value::Str(t) if &*t == "hello"));
        assert_eq!(err("stdlib.debug.log", &[]), "missing argument 1");
    }

    #[test]
    fn log_reports_its_line_and_prints_nothing() {
        use crate::module::CallContext;
        use crate::report::{Notice, NoticeKind};
        let seen = std::sync::Mutex::new(Vec::new());
        let reporter = |n: Notice| seen.lock().unwrap().push(n);
        let limits = crate::limits::Limits::default();
        let cx = CallContext {
            arg_types: &[Type::String],
            ret: &Type::String,
            reporter: &reporter,
            limits: &limits,
            line: 7,
        };
        let v = super::log(&[s("hello")], &cx).unwrap();
        assert!(matches!(v, Value::Str(t) if &*t == "hello"));
        let notice = Notice { kind: NoticeKind::Log, message: "hello".into(), line: 7 };
        assert_eq!(notice.to_string(), "[asterism] hello");
        assert_eq!(seen.into_inner().unwrap(), [notice]);
    }

    #[test]
    fn unknown_names_have_no_module() {
        assert!(super::module("stdlib.compare.eq").is_none());
        assert!(super::module("gt").is_none());
    }
}
