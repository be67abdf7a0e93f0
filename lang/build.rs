//! Generates the LR(1) parser from `src/grammar.lalrpop` into OUT_DIR.
fn main() {
    lalrpop::Configuration::new()
        .emit_rerun_directives(true)
        .process_dir("src")
        .unwrap_or_else(|e| panic!("cannot generate the parser: {e}"));
}
