//! `stdlib.ml` (SPEC §9.8): vector functions over `Seq<N>` computed in Float (dot product,
//! norms, softmax, statistics, ranking), `one-hot`, `bucketize`, Unicode `tokenize` and the
//! FNV-1a `hash-embed`.

use super::args::{self, Result, zeros};
use crate::module::{Module, ModuleError, ModuleResult};
use crate::value::Value;
use std::cmp::Ordering;

pub(super) fn module(name: &str) -> Option<Module> {
    Some(match name {
        "dot" => pair(|a, b| Ok(Value::Float(dot(a, b)))),
        "cosine-similarity" => pair(|a, b| {
            let norms = norm(a) * norm(b);
            Ok(Value::Float(if norms == 0.0 { 0.0 } else { dot(a, b) / norms }))
        }),
        "norm" => vector(|v| Ok(Value::Float(norm(&v)))),
        "normalize" => vector(|v| Ok(floats(normalize(v)))),
        "softmax" => vector(|v| Ok(floats(softmax(v)))),
        "sigmoid" => Module::sync(|args| Ok(Value::Float(1.0 / (1.0 + (-args::float(args, 0)?).exp())))),
        "argmax" => vector(|v| argmax(&v).map(Value::Int)),
        "top-k" => Module::sync(|args| Ok(Value::Ints(top_k(&args::floats(args, 0)?, args::int(args, 1)?).into()))),
        "mean" => vector(|v| mean(&v).map(Value::Float)),
        "stddev" => vector(|v| stddev(&v).map(Value::Float)),
        "min-max-scale" => vector(|v| Ok(floats(min_max_scale(v)))),
        "one-hot" => Module::sync(|args| one_hot(args::int(args, 0)?, args::int(args, 1)?).map(floats)),
        "bucketize" => Module::sync(bucketize),
        "tokenize" => {
            Module::sync(|args| Ok(args::strings(tokenize(args::string(args, 0)?).iter().map(String::as_str))))
        }
        "hash-embed" => Module::sync(|args| hash_embed(args::string(args, 0)?, args::int(args, 1)?).map(floats)),
        _ => return None,
    })
}

fn floats(v: Vec<f64>) -> Value {
    Value::Floats(v.into())
}

/// A module of one `Seq<N>` vector.
fn vector(f: fn(Vec<f64>) -> ModuleResult) -> Module {
    Module::sync(move |args| f(args::floats(args, 0)?))
}

/// A module of two `Seq<N>` vectors of equal length.
fn pair(f: fn(&[f64], &[f64]) -> ModuleResult) -> Module {
    Module::sync(move |args| {
        let (a, b) = (args::floats(args, 0)?, args::floats(args, 1)?);
        if a.len() != b.len() {
            return Err(ModuleError::new(format!("vectors have different lengths: {} and {}", a.len(), b.len())));
        }
        f(&a, &b)
    })
}

fn empty_vector() -> ModuleError {
    ModuleError::new("empty vector")
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    args::sum(a.iter().zip(b).map(|(x, y)| x * y))
}

fn norm(v: &[f64]) -> f64 {
    dot(v, v).sqrt()
}

/// v / ‖v‖; a zero vector stays all 0.0.
fn normalize(mut v: Vec<f64>) -> Vec<f64> {
    let n = norm(&v);
    v.iter_mut().for_each(|x| *x = if n == 0.0 { 0.0 } else { *x / n });
    v
}

/// exp(xᵢ − max) / Σ exp(xⱼ − max).
fn softmax(mut v: Vec<f64>) -> Vec<f64> {
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    v.iter_mut().for_each(|x| *x = (*x - max).exp());
    let total = args::sum(v.iter().copied());
    v.iter_mut().for_each(|x| *x /= total);
    v
}

/// The first index holding a maximum: `i` replaces the best only when `v[i] > v[best]`.
fn argmax(v: &[f64]) -> Result<i64> {
    let first = v.first().ok_or_else(empty_vector)?;
    let (best, _) =
        v.iter().enumerate().skip(1).fold((0, first), |(bi, bx), (i, x)| if x > bx { (i, x) } else { (bi, bx) });
    Ok(index(best))
}

fn index(i: usize) -> i64 {
    i64::try_from(i).unwrap_or(i64::MAX)
}

/// Indices of the `k` largest values, descending; ties keep the lower index first; NaN ranks
/// below every number.
fn top_k(v: &[f64], k: i64) -> Vec<i64> {
    let descending = |a: &f64, b: &f64| match (a.is_nan(), b.is_nan()) {
        (false, false) => b.partial_cmp(a).unwrap_or(Ordering::Equal),
        (nan_a, nan_b) => nan_a.cmp(&nan_b),
    };
    let mut indices: Vec<usize> = (0..v.len()).collect();
    indices.sort_by(|&i, &j| descending(&v[i], &v[j]));
    indices.truncate(usize::try_from(k).unwrap_or(0));
    indices.into_iter().map(index).collect()
}

fn mean(v: &[f64]) -> Result<f64> {
    if v.is_empty() {
        return Err(empty_vector());
    }
    Ok(args::sum(v.iter().copied()) / v.len() as f64)
}

/// The population standard deviation.
fn stddev(v: &[f64]) -> Result<f64> {
    let m = mean(v)?;
    Ok((args::sum(v.iter().map(|x| (x - m) * (x - m))) / v.len() as f64).sqrt())
}

/// (x − min) / (max − min), NaN ignored for min and max; when all numbers are equal they all
/// become 0.0 (a NaN stays NaN).
fn min_max_scale(mut v: Vec<f64>) -> Vec<f64> {
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    for x in v.iter_mut().filter(|x| !x.is_nan()) {
        *x = if max == min { 0.0 } else { (*x - min) / (max - min) };
    }
    v
}

fn one_hot(index: i64, size: i64) -> Result<Vec<f64>> {
    let hot = usize::try_from(index).ok().filter(|_| index < size);
    let (Some(hot), Ok(size)) = (hot, usize::try_from(size)) else {
        return Err(ModuleError::new(format!("index {index} out of range for size {size}")));
    };
    let mut v = zeros(size)?;
    if let Some(x) = v.get_mut(hot) {
        *x = 1.0;
    }
    Ok(v)
}

/// The number of boundaries ≤ value (exact for Ints, IEEE for Floats: NaN counts nowhere).
fn bucketize(args: &[Value]) -> ModuleResult {
    let count = match (args::arg(args, 0)?, args::list(args, 1)?) {
        (Value::Int(x), crate::value::ListView::Ints(bounds)) => bounds.iter().filter(|b| *b <= x).count(),
        _ => {
            let x = args::float(args, 0)?;
            args::floats(args, 1)?.iter().filter(|b| **b <= x).count()
        }
    };
    Ok(Value::Int(index(count)))
}

/// Lowercases, splits at every scalar that is neither alphabetic nor numeric, drops empty pieces.
fn tokenize(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    lower.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(str::to_string).collect()
}

/// 64-bit FNV-1a of `bytes`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// ±1.0 per token at `fnv1a(token) mod dims` (− when the hash's top bit is set), normalised.
fn hash_embed(text: &str, dims: i64) -> Result<Vec<f64>> {
    let Some(size) = u64::try_from(dims).ok().filter(|&d| d > 0) else {
        return Err(ModuleError::new("dims must be > 0"));
    };
    let mut v = zeros(usize::try_from(size).unwrap_or(usize::MAX))?;
    for token in tokenize(text) {
        let h = fnv1a(token.as_bytes());
        let slot = usize::try_from(h % size).unwrap_or_default();
        if let Some(x) = v.get_mut(slot) {
            *x += if h >> 63 == 0 { 1.0 } else { -1.0 };
        }
    }
    Ok(normalize(v))
}

#[cfg(test)]
mod tests {
    use super::args::testing::{assert_floats, assert_ints, assert_is, err, floats, ints, ok, s, strs};
    use crate::value::Value::{self, Float, Int};

    fn float(v: Value) -> f64 {
        match v {
            Float(x) => x,
            other => panic!("expected a Float, got {other:?}"),
        }
    }

    fn close(got: f64, want: f64) {
        assert!((got - want).abs() < 1e-12, "{got} is not {want}");
    }

    #[test]
    fn dot_cosine_and_norm() {
        assert_eq!(float(ok("dot", &[ints(&[1, 2, 3]), ints(&[4, 5, 6])])), 32.0);
        assert_eq!(float(ok("dot", &[floats(&[0.5]), ints(&[2])])), 1.0);
        assert_eq!(float(ok("dot", &[Value::List([].into()), floats(&[])])), 0.0);
        assert_eq!(err("dot", &[ints(&[1, 2, 3]), ints(&[1, 2])]), "vectors have different lengths: 3 and 2");
        close(float(ok("cosine-similarity", &[ints(&[1, 0]), ints(&[1, 1])])), 1.0 / 2f64.sqrt());
        close(float(ok("cosine-similarity", &[ints(&[1, 2]), ints(&[-1, -2])])), -1.0);
        assert_eq!(float(ok("cosine-similarity", &[ints(&[0, 0]), ints(&[1, 1])])), 0.0);
        assert_eq!(float(ok("cosine-similarity", &[ints(&[]), ints(&[])])), 0.0);
        assert_eq!(err("cosine-similarity", &[ints(&[1]), ints(&[1, 2])]), "vectors have different lengths: 1 and 2");
        assert_eq!(float(ok("norm", &[ints(&[3, 4])])), 5.0);
        assert_eq!(float(ok("norm", &[ints(&[])])), 0.0);
    }

    #[test]
    fn normalize_and_softmax() {
        assert_floats(ok("normalize", &[ints(&[3, 4])]), &[0.6, 0.8]);
        assert_floats(ok("normalize", &[floats(&[0.0, -0.0])]), &[0.0, 0.0]);
        assert_floats(ok("normalize", &[ints(&[])]), &[]);
        assert_floats(ok("softmax", &[ints(&[1, 1])]), &[0.5, 0.5]);
        assert_floats(ok("softmax", &[ints(&[])]), &[]);
        assert_floats(ok("softmax", &[floats(&[1000.0, 1000.0])]), &[0.5, 0.5]);
        let e = 1f64.exp();
        assert_floats(ok("softmax", &[ints(&[0, 1])]), &[1.0 / (1.0 + e), e / (1.0 + e)]);
    }

    #[test]
    fn sigmoid() {
        assert_eq!(float(ok("sigmoid", &[Int(0)])), 0.5);
        close(float(ok("sigmoid", &[Float(2.0)])), 1.0 / (1.0 + (-2f64).exp()));
        assert_eq!(float(ok("sigmoid", &[Float(-1000.0)])), 0.0);
        assert_eq!(float(ok("sigmoid", &[Float(1000.0)])), 1.0);
    }

    #[test]
    fn argmax_takes_the_first_maximum() {
        assert!(matches!(ok("argmax", &[ints(&[1, 3, 3, 2])]), Int(1)));
        assert!(matches!(ok("argmax", &[floats(&[0.5, f64::NAN, 0.7])]), Int(2)));
        assert!(matches!(ok("argmax", &[floats(&[f64::NAN, 1.0])]), Int(0)));
        assert!(matches!(ok("argmax", &[floats(&[-0.0, 0.0])]), Int(0)));
        assert_eq!(err("argmax", &[ints(&[])]), "empty vector");
    }

    #[test]
    fn top_k_orders_by_value_then_index() {
        assert_ints(ok("top-k", &[floats(&[0.1, 0.9, 0.5]), Int(2)]), &[1, 2]);
        assert_ints(ok("top-k", &[ints(&[1, 3, 3, 2]), Int(3)]), &[1, 2, 3]);
        assert_ints(ok("top-k", &[floats(&[f64::NAN, -1.0, 2.0]), Int(5)]), &[2, 1, 0]);
        assert_ints(ok("top-k", &[ints(&[5, 6]), Int(0)]), &[]);
        assert_ints(ok("top-k", &[ints(&[5, 6]), Int(-3)]), &[]);
        assert_ints(ok("top-k", &[ints(&[5, 6]), Int(i64::MAX)]), &[1, 0]);
        assert_ints(ok("top-k", &[ints(&[]), Int(2)]), &[]);
    }

    #[test]
    fn mean_and_stddev() {
        assert_eq!(float(ok("mean", &[ints(&[1, 2])])), 1.5);
        assert_eq!(float(ok("stddev", &[ints(&[2, 4, 4, 4, 5, 5, 7, 9])])), 2.0);
        assert_eq!(float(ok("stddev", &[floats(&[3.5])])), 0.0);
        assert_eq!(err("mean", &[ints(&[])]), "empty vector");
        assert_eq!(err("stddev", &[floats(&[])]), "empty vector");
    }

    #[test]
    fn min_max_scale() {
        assert_floats(ok("min-max-scale", &[ints(&[1, 3, 2])]), &[0.0, 1.0, 0.5]);
        assert_floats(ok("min-max-scale", &[ints(&[4, 4])]), &[0.0, 0.0]);
        assert_floats(ok("min-max-scale", &[ints(&[])]), &[]);
        assert_floats(ok("min-max-scale", &[floats(&[0.0, f64::NAN, 2.0])]), &[0.0, f64::NAN, 1.0]);
    }

    #[test]
    fn one_hot_and_bucketize() {
        assert_floats(ok("one-hot", &[Int(1), Int(3)]), &[0.0, 1.0, 0.0]);
        assert_eq!(err("one-hot", &[Int(3), Int(3)]), "index 3 out of range for size 3");
        assert_eq!(err("one-hot", &[Int(-1), Int(3)]), "index -1 out of range for size 3");
        assert_eq!(err("one-hot", &[Int(0), Int(0)]), "index 0 out of range for size 0");
        assert_eq!(err("one-hot", &[Int(0), Int(-2)]), "index 0 out of range for size -2");
        assert!(err("one-hot", &[Int(0), Int(i64::MAX)]).starts_with("cannot allocate"));
        let bucket = |args: &[Value]| match ok("bucketize", args) {
            Int(n) => n,
            other => panic!("{other:?}"),
        };
        assert_eq!(bucket(&[Int(5), ints(&[0, 5, 10])]), 2);
        assert_eq!(bucket(&[Int(-1), ints(&[0, 5, 10])]), 0);
        assert_eq!(bucket(&[Float(10.5), ints(&[0, 5, 10])]), 3);
        assert_eq!(bucket(&[Int(i64::MAX), ints(&[i64::MAX - 1, i64::MAX])]), 2);
        assert_eq!(bucket(&[Int(i64::MAX - 1), ints(&[i64::MAX])]), 0);
        assert_eq!(bucket(&[Float(f64::NAN), floats(&[0.0])]), 0);
        assert_eq!(bucket(&[Int(1), Value::List([].into())]), 0);
    }

    #[test]
    fn tokenize_splits_on_unicode_non_alphanumerics() {
        let tokens = |t: &str| ok("tokenize", &[s(t)]);
        assert_is(tokens("Hello, World! 42"), strs(&["hello", "world", "42"]));
        assert_is(tokens("Ünïcode_ÉTÉ—日本語 x²"), strs(&["ünïcode", "été", "日本語", "x²"]));
        assert_is(tokens("  ...  "), strs(&[]));
        assert_is(tokens(""), strs(&[]));
    }

    #[test]
    fn hash_embed_uses_fnv1a() {
        assert_eq!(super::fnv1a(b""), 0xcbf29ce484222325);
        assert_eq!(super::fnv1a(b"a"), 0xaf63dc4c8601ec8c);
        assert_floats(ok("hash-embed", &[s("a"), Int(4)]), &[-1.0, 0.0, 0.0, 0.0]);
        assert_floats(ok("hash-embed", &[s("A a"), Int(4)]), &[-1.0, 0.0, 0.0, 0.0]);
        assert_floats(ok("hash-embed", &[s(""), Int(3)]), &[0.0, 0.0, 0.0]);
        assert_floats(ok("hash-embed", &[s("a"), Int(1)]), &[-1.0]);
        let v = ok("hash-embed", &[s("the quick brown fox jumps"), Int(16)]);
        let norm = match &v {
            Value::Floats(x) => super::super::args::sum(x.iter().map(|x| x * x)).sqrt(),
            other => panic!("{other:?}"),
        };
        close(norm, 1.0);
        assert_eq!(err("hash-embed", &[s("a"), Int(0)]), "dims must be > 0");
        assert_eq!(err("hash-embed", &[s("a"), Int(-4)]), "dims must be > 0");
    }
}
