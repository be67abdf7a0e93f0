//! The chain pipeline of the engine benchmarks, shared with the allocation test: `n` string
//! calls, each taking the previous one's result, alternating upper- and lower-casing.

pub fn chain(n: usize) -> String {
    let mut src = String::from("in text: String\nc0 = Uppercase(text)\n");
    for i in 1..n {
        let f = if i % 2 == 0 { "Uppercase" } else { "Lowercase" };
        src.push_str(&format!("c{i} = {f}(c{})\n", i - 1));
    }
    src.push_str(&format!("out c{}\n", n - 1));
    src
}
