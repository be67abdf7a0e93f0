//! The `asterism` command (SPEC §11): `check`, `run` and `compile` pipelines.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
