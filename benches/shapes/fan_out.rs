//! The fan-out pipeline of the engine benchmarks: one input, `branches` chains of `depth` string
//! calls (alternating `up` and `down`), one output per chain.

pub fn fan_out_of(branches: usize, depth: usize, up: &str, down: &str) -> String {
    let mut src = String::from("in text: String\n");
    for b in 0..branches {
        src.push_str(&format!("b{b}_0 = {up}(text)\n"));
        for d in 1..depth {
            let f = if d % 2 == 0 { up } else { down };
            src.push_str(&format!("b{b}_{d} = {f}(b{b}_{})\n", d - 1));
        }
        src.push_str(&format!("out b{b}_{}\n", depth - 1));
    }
    src
}
