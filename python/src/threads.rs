//! The engine's tokio runtime, shared by its pipelines (`Threads`).
//!
//! Guarantees: dropped without waiting for its blocking threads — one may be inside a Python
//! function that needs the GIL the dropping thread holds.

/// A tokio runtime shut down in the background when dropped.
pub struct Threads(Option<tokio::runtime::Runtime>);

impl Threads {
    /// A multi-threaded runtime, a worker per core, its threads named `asterism`.
    pub fn new() -> std::io::Result<Threads> {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("asterism").build()?;
        Ok(Threads(Some(runtime)))
    }
}

impl std::ops::Deref for Threads {
    type Target = tokio::runtime::Runtime;

    fn deref(&self) -> &tokio::runtime::Runtime {
        self.0.as_ref().expect("the runtime lives as long as its holder")
    }
}

impl Drop for Threads {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}
