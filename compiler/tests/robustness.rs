//! Property tests: parsing and checking never panic (a caught panic would show as E900), and
//! every diagnostic points into the source.

use asterism_compiler::check_source as compile;
use asterism_lang::Code;
use asterism_registry::Registry;
use proptest::prelude::*;

/// Fragments of valid and nearly valid declarations: they reach the checker far more often than
/// random text does.
const FRAGMENTS: &[&str] = &[
    "in x: Int\n",
    "in s: String\n",
    "in xs: List<Int>\n",
    "in r: {a: Int, b: String}\n",
    "in u: Int | String\n",
    "in o: Optional<Int>\n",
    "type T = {a: Int}\n",
    "type U = T + {b: Float}\n",
    "use stdlib\n",
    "use stdlib.math as m\n",
    "y = x + 1\n",
    "y = s + 1\n",
    "z = r.a\n",
    "z = r.c\n",
    "w = xs.a\n",
    "v = map(xs, e => e * 2)\n",
    "v = map(xs, (e, f) => e)\n",
    "v = reduce(xs, 0, (acc, e) => acc + e)\n",
    "q = o ?? 0\n",
    "q = x ?? 0\n",
    "k = match u { is Int -> 1, _ -> \"a\" }\n",
    "k = match u { {a} -> a }\n",
    "g = x when x > 1\n",
    "h = if (x) 1 else 2\n",
    "b = branch { x > 0 -> 1, otherwise -> 2.5 }\n",
    "c = m.add(x, 1.5)\n",
    "d = divide(x, 0) with fallback: 0, retry: 2\n",
    "d = upper(s) with fallback: 1\n",
    "e = [1, \"a\", []]\n",
    "f = {a: 1} + r\n",
    "f = xs + r\n",
    "n = list-sum([])\n",
    "n = sort-by(xs, e => e > 1)\n",
    "p = (e) => e\n",
    "out y\n",
    "out z\n",
    "out q\n",
    "out nothing\n",
    "@example(1) in i: Int\n",
    "x = 1 +\n",
    "t = T\n",
];

fn check(src: &str) {
    let checked = compile(src, &Registry::standard());
    for d in &checked.diagnostics {
        assert_ne!(d.code, Code::E900, "internal error for:\n{src}\n{d:?}");
        assert!(d.span.start <= d.span.end && d.span.end <= src.len(), "{d:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn programs_from_fragments_never_panic(parts in prop::collection::vec(prop::sample::select(FRAGMENTS), 0..25)) {
        check(&parts.concat());
    }

    #[test]
    fn arbitrary_text_never_panics(src in any::<String>()) {
        check(&src);
    }
}

/// A chain of `n` records each holding the previous one twice (`2^n` nodes written out), then
/// `refs` records holding the last.
fn doubling(n: usize, refs: usize) -> String {
    let mut src = String::from("x0 = {a: 1}\n");
    for i in 1..n {
        src += &format!("x{i} = {{a: x{p}, b: x{p}}}\n", p = i - 1);
    }
    for k in 0..refs {
        src += &format!("y{k} = {{c: x{}}}\n", n - 1);
    }
    src + &format!("out x{}\n", n - 1)
}

#[test]
fn types_built_of_shared_parts_cost_what_they_are_written_as() {
    // Just within the type budget: 2^16 nodes written out, referenced 2,000 times.
    let compiled = asterism_compiler::compile(&doubling(16, 2_000), &Registry::standard()).expect("it compiles");
    let plan = compiled.spec.encode();
    assert!(plan.len() < 4 << 20, "the plan is {} bytes", plan.len());
}

#[test]
fn a_type_beyond_the_budget_is_an_error_naming_it() {
    for n in [18, 40, 200] {
        let checked = compile(&doubling(n, 10), &Registry::standard());
        let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert_eq!(errors.len(), 1, "one error, no cascade: {errors:?}");
        assert_eq!(errors[0].code, Code::E015);
        assert!(errors[0].message.starts_with("Type too large"), "{}", errors[0].message);
    }
}

#[test]
fn a_flat_chain_of_operators_is_not_nesting() {
    // On a thread with a small stack, as a server's worker thread has.
    let run = |terms: usize| {
        std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || {
                let sum = (0..terms).map(|i| format!("x{}", i % 7)).collect::<Vec<_>>().join(" + ");
                let all = (0..terms).map(|i| format!("b{}", i % 3)).collect::<Vec<_>>().join(" and ");
                let src = format!(
                    "in x0: Int\nin x1: Int\nin x2: Int\nin x3: Int\nin x4: Int\nin x5: Int\nin x6: Int\n\
                     in b0: Boolean\nin b1: Boolean\nin b2: Boolean\ns = {sum}\na = {all}\nout s\nout a\n"
                );
                asterism_compiler::compile(&src, &Registry::standard()).map(|c| c.spec.graphs[0].nodes.len())
            })
            .unwrap()
            .join()
            .expect("no stack overflow")
    };
    assert!(run(5_000).is_ok(), "5,000 terms compile");
    let too_long = run(25_000).unwrap_err();
    assert!(too_long[0].message.starts_with("nesting too deep"), "{}", too_long[0].message);
}
