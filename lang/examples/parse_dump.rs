fn main() {
    for path in std::env::args().skip(1) {
        let src = std::fs::read_to_string(&path).unwrap();
        let parsed = asterism_lang::parse(&src);
        let idx = asterism_lang::LineIndex::new(&src);
        for d in &parsed.diagnostics {
            let p = idx.position(&src, d.span.start);
            println!("{path}:{}:{}: {} {}", p.line, p.column, d.code, d.message);
        }
        print!("{}", asterism_lang::sexpr::program(&parsed.program));
    }
}
