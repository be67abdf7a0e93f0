//! The chain pipeline of the engine benchmarks, shared with the allocation test: `n` string
//! calls, each taking the previous one's result, alternating `up` and `down` (functions of one
//! string: the stdlib's `Uppercase` and `Lowercase`, or host functions).

pub fn chain(n: usize, up: &str, down: &str) -> String {
    let mut src = format!("in text: String\nc0 = {up}(text)\n");
    for i in 1..n {
        let f = if i % 2 == 0 { up } else { down };
        src.push_str(&format!("c{i} = {f}(c{})\n", i - 1));
    }
    src.push_str(&format!("out c{}\n", n - 1));
    src
}
