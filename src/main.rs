//! The `asterism` command (SPEC §11): `check`, `run`, `compile`, `batch`, `viz`, `serve` and
//! `modules`.

mod cli;

/// mimalloc: a batch's rows are made on its reader thread and dropped on the writer's, which
/// glibc's allocator serialises on a lock (docs/decisions.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
