//! Signatures of the standard library (SPEC §9.2–§9.8) and the prelude (SPEC §9.9).
//!
//! Only the signatures live here; the compiler knows functions through them alone. Each entry is
//! `(qualified name, signature text)` in the notation of the SPEC's tables.

/// The standard library, namespace by namespace in the order of SPEC §9.
pub const STDLIB: &[(&str, &str)] = &[
    // §9.2 stdlib.math
    ("stdlib.math.add", "(a: N, b: N) -> N"),
    ("stdlib.math.subtract", "(a: N, b: N) -> N"),
    ("stdlib.math.multiply", "(a: N, b: N) -> N"),
    ("stdlib.math.divide", "(a: N, b: N) -> N"),
    ("stdlib.math.modulo", "(a: N, b: N) -> N"),
    ("stdlib.math.max", "(a: N, b: N) -> N"),
    ("stdlib.math.min", "(a: N, b: N) -> N"),
    ("stdlib.math.abs", "(value: N) -> N"),
    ("stdlib.math.negate", "(value: N) -> N"),
    ("stdlib.math.round", "(value: Float) -> Int"),
    ("stdlib.math.floor", "(value: Float) -> Int"),
    ("stdlib.math.ceil", "(value: Float) -> Int"),
    ("stdlib.math.sqrt", "(value: N) -> Float"),
    ("stdlib.math.exp", "(value: N) -> Float"),
    ("stdlib.math.ln", "(value: N) -> Float"),
    ("stdlib.math.pow", "(base: N, exponent: N) -> Float"),
    ("stdlib.math.clamp", "(value: N, low: N, high: N) -> N"),
    // §9.3 stdlib.string
    ("stdlib.string.concat", "(a: String, b: String) -> String"),
    ("stdlib.string.string-length", "(value: String) -> Int"),
    ("stdlib.string.join", "(list: Seq<String>, separator: String) -> String"),
    ("stdlib.string.split", "(value: String, separator: String) -> List<String>"),
    ("stdlib.string.contains", "(value: String, substring: String) -> Boolean"),
    ("stdlib.string.trim", "(value: String) -> String"),
    ("stdlib.string.replace", "(value: String, target: String, replacement: String) -> String"),
    ("stdlib.string.upper", "(value: String) -> String"),
    ("stdlib.string.lower", "(value: String) -> String"),
    ("stdlib.string.starts-with", "(value: String, affix: String) -> Boolean"),
    ("stdlib.string.ends-with", "(value: String, affix: String) -> Boolean"),
    ("stdlib.string.substring", "(value: String, start: Int, end: Int) -> String"),
    ("stdlib.string.index-of", "(value: String, substring: String) -> Int"),
    // §9.4 stdlib.list
    ("stdlib.list.list-length", "(list: Seq<T>) -> Int"),
    ("stdlib.list.list-first", "(list: Seq<T>) -> T"),
    ("stdlib.list.list-last", "(list: Seq<T>) -> T"),
    ("stdlib.list.list-is-empty", "(list: Seq<T>) -> Boolean"),
    ("stdlib.list.list-sum", "(list: Seq<N>) -> N"),
    ("stdlib.list.list-concat", "(a: Seq<T>, b: Seq<T>) -> List<T>"),
    ("stdlib.list.list-contains", "(list: Seq<T>, value: T) -> Boolean"),
    ("stdlib.list.list-reverse", "(list: Seq<T>) -> List<T>"),
    ("stdlib.list.list-get", "(list: Seq<T>, index: Int) -> Optional<T>"),
    ("stdlib.list.list-slice", "(list: Seq<T>, start: Int, end: Int) -> List<T>"),
    ("stdlib.list.list-sort", "(list: Seq<O>) -> List<O>"),
    ("stdlib.list.list-unique", "(list: Seq<T>) -> List<T>"),
    ("stdlib.list.flatten", "(lists: Seq<Seq<T>>) -> List<T>"),
    // §9.5 stdlib.collection
    ("stdlib.collection.filter", "(items: C<T>, predicate: (T) => Boolean) -> C<T>"),
    ("stdlib.collection.map", "(items: C<T>, transform: (T) => U) -> C<U>"),
    ("stdlib.collection.all", "(items: Seq<T>, predicate: (T) => Boolean) -> Boolean"),
    ("stdlib.collection.any", "(items: Seq<T>, predicate: (T) => Boolean) -> Boolean"),
    ("stdlib.collection.count", "(items: Seq<T>, predicate: (T) => Boolean) -> Int"),
    ("stdlib.collection.find", "(items: Seq<T>, predicate: (T) => Boolean) -> Optional<T>"),
    ("stdlib.collection.reduce", "(items: Seq<T>, initial: U, combine: (U, T) => U) -> U"),
    ("stdlib.collection.sort-by", "(items: Seq<T>, key: (T) => O) -> List<T>"),
    // §9.6 stdlib.compare, stdlib.bool
    ("stdlib.compare.eq-int", "(a: Int, b: Int) -> Boolean"),
    ("stdlib.compare.eq-string", "(a: String, b: String) -> Boolean"),
    ("stdlib.compare.gt", "(a: N, b: N) -> Boolean"),
    ("stdlib.compare.lt", "(a: N, b: N) -> Boolean"),
    ("stdlib.compare.gte", "(a: N, b: N) -> Boolean"),
    ("stdlib.compare.lte", "(a: N, b: N) -> Boolean"),
    ("stdlib.bool.and", "(a: Boolean, b: Boolean) -> Boolean"),
    ("stdlib.bool.or", "(a: Boolean, b: Boolean) -> Boolean"),
    ("stdlib.bool.not", "(value: Boolean) -> Boolean"),
    // §9.7 stdlib.convert, stdlib, stdlib.debug
    ("stdlib.convert.to-string", "(value: T) -> String"),
    ("stdlib.convert.to-int", "(value: N) -> Int"),
    ("stdlib.convert.to-float", "(value: N) -> Float"),
    ("stdlib.convert.parse-int", "(value: String) -> Optional<Int>"),
    ("stdlib.convert.parse-float", "(value: String) -> Optional<Float>"),
    ("stdlib.identity", "(value: T) -> T"),
    ("stdlib.debug.log", "(message: String) -> String"),
    // §9.8 stdlib.ml
    ("stdlib.ml.dot", "(a: Seq<N>, b: Seq<N>) -> Float"),
    ("stdlib.ml.cosine-similarity", "(a: Seq<N>, b: Seq<N>) -> Float"),
    ("stdlib.ml.norm", "(v: Seq<N>) -> Float"),
    ("stdlib.ml.normalize", "(v: Seq<N>) -> List<Float>"),
    ("stdlib.ml.softmax", "(v: Seq<N>) -> List<Float>"),
    ("stdlib.ml.sigmoid", "(x: N) -> Float"),
    ("stdlib.ml.argmax", "(v: Seq<N>) -> Int"),
    ("stdlib.ml.top-k", "(v: Seq<N>, k: Int) -> List<Int>"),
    ("stdlib.ml.mean", "(v: Seq<N>) -> Float"),
    ("stdlib.ml.stddev", "(v: Seq<N>) -> Float"),
    ("stdlib.ml.min-max-scale", "(v: Seq<N>) -> List<Float>"),
    ("stdlib.ml.one-hot", "(index: Int, size: Int) -> List<Float>"),
    ("stdlib.ml.bucketize", "(value: N, boundaries: Seq<N>) -> Int"),
    ("stdlib.ml.tokenize", "(text: String) -> List<String>"),
    ("stdlib.ml.hash-embed", "(text: String, dims: Int) -> List<Float>"),
];

/// The prelude host modules, registered without namespace.
pub const PRELUDE: &[(&str, &str)] = &[
    ("Uppercase", "(text: String) -> String"),
    ("Lowercase", "(text: String) -> String"),
    ("Trim", "(text: String) -> String"),
    ("TextLength", "(text: String) -> Int"),
    ("WordCount", "(text: String) -> Int"),
    ("Contains", "(text: String, substring: String) -> Boolean"),
    ("Replace", "(text: String, find: String, replace: String) -> String"),
    ("SplitLines", "(text: String) -> List<String>"),
    ("Split", "(text: String, delimiter: String) -> List<String>"),
    ("SumList", "(numbers: List<Int>) -> Int"),
    ("Average", "(numbers: List<Int>) -> Float"),
    ("Max", "(numbers: List<Int>) -> Int"),
    ("Min", "(numbers: List<Int>) -> Int"),
    ("FilterGreaterThan", "(numbers: List<Int>, threshold: Int) -> List<Int>"),
    ("MultiplyEach", "(numbers: List<Int>, multiplier: Int) -> List<Int>"),
    ("Range", "(start: Int, end: Int) -> List<Int>"),
    ("FormatNumber", "(number: Int) -> String"),
];

mod args;
mod collection;
mod convert;
mod list;
mod math;
mod ml;
mod prelude;
mod string;

use crate::module::Module;

/// The module implementing the stdlib or prelude function `name` (a name of `STDLIB` or `PRELUDE`).
pub fn module(name: &str) -> Option<Module> {
    let simple = name.rsplit('.').next().unwrap_or(name);
    match name.rsplit_once('.').map(|(ns, _)| ns) {
        Some("stdlib.math") => math::module(simple),
        Some("stdlib.string") => string::module(simple),
        Some("stdlib.list") => list::module(simple),
        Some("stdlib.collection") => collection::module(simple),
        Some("stdlib.compare" | "stdlib.bool" | "stdlib.convert" | "stdlib" | "stdlib.debug") => convert::module(name),
        Some("stdlib.ml") => ml::module(simple),
        None => prelude::module(name),
        Some(_) => None,
    }
}
