//! Asterism: compile and run constellation-lang pipelines.
//!
//! This is the embedded API; the `asterism` binary is one of its clients. An `Engine` holds the
//! registry of callable functions (the standard library and prelude, plus what the host
//! registers), a compile cache and the prepared plans (each bounded to 1,024 programs, so a
//! server compiling endless distinct sources holds a bounded set); `compile` gives a `Pipeline` or
//! `Diagnostics` that render exactly like the CLI's.
//!
//! ```
//! let mut engine = asterism::Engine::new();
//! engine.register_fn("text.shout", &["text"], |text: String| format!("{}!", text.to_uppercase())).unwrap();
//! let pipeline = engine.compile("hello.cst", "in name: String\ngreeting = shout(\"hi ${name}\")\nout greeting\n").unwrap();
//! let inputs = pipeline.parse_inputs(br#"{"name": "Ada"}"#).unwrap();
//! let outcome = pipeline.run_blocking(&inputs);
//! assert_eq!(outcome.outputs_json(asterism::Layout::Compact), r#"{"greeting":"HI ADA!"}"#);
//! ```

pub mod batch;
pub mod cache;
pub mod diagnostics;
pub mod explain;
mod files;
pub mod histogram;
pub mod host;
mod manifest;
mod observe;
mod pipeline;
pub mod plan_cache;
pub mod profile;
pub mod render;
#[cfg(feature = "serve")]
pub mod serve;
pub mod viz;

pub use asterism_bindings::{ManifestError, Place, Service};
pub use asterism_lang::{Code, Severity};
pub use asterism_registry::dag::DagSpec;
pub use asterism_registry::limits;
pub use asterism_registry::{Limits, Module, ModuleError, Notice, NoticeKind, Reporter, Silent, Type, Value};
pub use asterism_runtime::json::Layout;
pub use asterism_runtime::{
    BatchStats, CacheBackend, CacheStats, MemoryBackend, NodeTimes, PrepareError, Profile, RunError, Status, TierStats,
    Tiered,
};
pub use diagnostics::Diagnostics;
pub use manifest::BoundModule;
pub use observe::CallObserver;
pub use pipeline::{Inputs, Outcome, Pipeline, StreamEvent};

use asterism_compiler::cache::Bounded;
use asterism_compiler::{CompileCache, Compiled};
use asterism_registry::{Registry, RegistryError, Signature};
use asterism_runtime::{Env, ExecutionPlan, Services};
use host::{AsyncHostFn, HostFn};
use std::sync::Arc;

/// The compiler and runtime, configured with a registry of functions.
#[derive(Debug)]
pub struct Engine {
    registry: Registry,
    cache: CompileCache,
    /// Prepared plans by DagSpec hash.
    plans: Bounded<ExecutionPlan>,
    /// Call caches and limiters, shared by every run of every pipeline of this engine.
    services: Arc<Services>,
    /// What the runs of pipelines compiled from now on are given: the reporter of their notices
    /// and their budgets.
    env: Env,
    /// The modules manifests bound, and the reporter their workers' standard error goes to.
    bound: Vec<BoundModule>,
    worker_reporter: manifest::SharedReporter,
    /// The call caches manifests declared and `--cache-dir` made, and that folder.
    caches: Vec<cache::Built>,
    cache_dir: Option<std::path::PathBuf>,
}

impl Default for Engine {
    fn default() -> Engine {
        Engine::new()
    }
}

/// The default reporter: each notice becomes a `tracing` event.
#[derive(Debug)]
struct Traced;

impl Reporter for Traced {
    fn report(&self, notice: Notice) {
        match notice.kind {
            NoticeKind::Log => tracing::info!(target: "asterism", line = notice.line, "{}", notice.message),
            NoticeKind::OnErrorLog => {
                tracing::warn!(target: "asterism", line = notice.line, "{} (on_error: log)", notice.message)
            }
            NoticeKind::Worker => tracing::info!(target: "asterism::worker", "{}", notice.message),
            NoticeKind::Cache => tracing::warn!(target: "asterism::cache", "{}", notice.message),
        }
    }
}

/// How many prepared plans an engine keeps, as many as compiled programs.
const PLANS: usize = 1024;

/// The version string host registrations use in their fingerprint unless they give one.
const HOST_VERSION: &str = "host";

impl Engine {
    /// An engine with the standard library and the prelude registered (SPEC §9).
    pub fn new() -> Engine {
        let reporter: Arc<dyn Reporter> = Arc::new(Traced);
        Engine {
            registry: Registry::standard(),
            cache: CompileCache::default(),
            plans: Bounded::new(PLANS),
            services: Arc::new(Services::new()),
            env: Env { reporter: reporter.clone(), ..Env::default() },
            bound: Vec::new(),
            worker_reporter: Arc::new(std::sync::RwLock::new(reporter)),
            caches: Vec::new(),
            cache_dir: None,
        }
    }

    /// Makes the runs of pipelines compiled from now on give their notices (`log` lines and
    /// `on_error: log` lines, SPEC §6.4, §9.7) to `reporter`, and with them the lines module workers
    /// write on their standard error. By default they are `tracing`
    /// events of target `asterism` (`log` at INFO, `on_error: log` at WARN); nothing is printed.
    pub fn set_reporter(&mut self, reporter: impl Reporter + 'static) {
        self.env.reporter = Arc::new(reporter);
        if let Ok(mut workers) = self.worker_reporter.write() {
            *workers = self.env.reporter.clone();
        }
    }

    /// Gives the runs of pipelines compiled from now on these budgets: how much memory their
    /// values may take (and any one value: 256 MiB per string and ten million elements per list
    /// at most) and how long they may take. Past a budget the node at fault fails with a message
    /// naming it; the run's other outputs still arrive. By default 1 GiB and no time limit.
    pub fn set_limits(&mut self, limits: Limits) {
        self.env.limits = limits;
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Registers a signature without an implementation: enough to check programs calling it.
    pub fn register_signature(&mut self, name: &str, signature: &str) -> Result<(), RegistryError> {
        self.registry.register_text(name, signature)
    }

    /// Registers a module for the function `name` with the signature `signature`, e.g.
    /// `(text: String) -> List<Float>`. `version` names the implementation: change it when the
    /// behaviour changes, so cached plans are not reused.
    pub fn register_module(
        &mut self,
        name: &str,
        signature: &str,
        module: Module,
        version: &str,
    ) -> Result<(), RegistryError> {
        let sig = Signature::parse(name, signature).map_err(RegistryError::Signature)?;
        self.registry.register(sig, Some(module), version)
    }

    /// Registers a Rust function as a synchronous module; its signature comes from its types,
    /// with `params` as the parameter names.
    pub fn register_fn<Args>(
        &mut self,
        name: &str,
        params: &[&str],
        f: impl HostFn<Args>,
    ) -> Result<(), RegistryError> {
        let (sig, module) = f.into_module(name, params);
        self.registry.register(sig, Some(module), HOST_VERSION)
    }

    /// Registers a Rust async function (a model or service call) as an asynchronous module.
    pub fn register_async_fn<Args>(
        &mut self,
        name: &str,
        params: &[&str],
        f: impl AsyncHostFn<Args>,
    ) -> Result<(), RegistryError> {
        let (sig, module) = f.into_module(name, params);
        self.registry.register(sig, Some(module), HOST_VERSION)
    }

    /// Parses and type-checks `source`; `file` is the name diagnostics print.
    pub fn check(&self, file: &str, source: &str) -> Diagnostics {
        let checked = asterism_compiler::check_source(source, &self.registry);
        Diagnostics::new(file, source, checked.diagnostics)
    }

    /// Like `check`, for raw bytes: invalid UTF-8 is reported as E020 (SPEC §2.1).
    pub fn check_bytes(&self, file: &str, bytes: &[u8]) -> Diagnostics {
        match std::str::from_utf8(bytes) {
            Ok(source) => self.check(file, source),
            Err(_) => Diagnostics::new(
                file,
                &String::from_utf8_lossy(bytes),
                asterism_lang::parse_bytes(bytes).err().into_iter().collect(),
            ),
        }
    }

    /// Compiles `source` (cached by source text and registry) and prepares it to run.
    pub fn compile(&self, file: &str, source: &str) -> Result<Pipeline, Diagnostics> {
        let compiled = self.cache.compile(source, &self.registry).map_err(|d| Diagnostics::new(file, source, d))?;
        let warnings = Diagnostics::new(file, source, compiled.warnings.clone());
        self.prepare(&compiled, warnings).map_err(|e| {
            let d =
                asterism_lang::Diagnostic::new(Code::E900, Default::default(), format!("Internal compiler error: {e}"));
            Diagnostics::new(file, source, vec![d])
        })
    }

    /// A pipeline from a DagSpec compiled earlier (e.g. read from disk) against this registry.
    pub fn load(&self, spec: DagSpec) -> Result<Pipeline, PrepareError> {
        let hash = spec.hash();
        self.prepare(&Compiled { spec, hash, warnings: Vec::new() }, Diagnostics::new("", "", Vec::new()))
    }

    fn prepare(&self, compiled: &Compiled, warnings: Diagnostics) -> Result<Pipeline, PrepareError> {
        let plan = match self.plans.get(&compiled.hash) {
            Some(plan) => plan,
            None => {
                let plan =
                    Arc::new(ExecutionPlan::prepare(Arc::new(compiled.spec.clone()), &self.registry, &self.services)?);
                self.plans.insert(compiled.hash, plan.clone());
                plan
            }
        };
        Ok(Pipeline { plan, hash: compiled.hash, warnings, env: self.env.clone() })
    }

    /// How many compiled programs and prepared plans the engine holds now: each at most 1,024,
    /// however many distinct sources it compiles.
    pub fn programs_held(&self) -> (usize, usize) {
        (self.cache.len(), self.plans.len())
    }

    /// (hits, misses) of the compile cache.
    pub fn compile_cache_stats(&self) -> (u64, u64) {
        self.cache.stats()
    }

    /// Makes `cache_backend: "name"` (or, for `name` = `"default"`, every `cache` without a
    /// `cache_backend`) store in `backend`. Set backends before compiling the pipelines that use
    /// them; a name never set gets an in-memory backend on first use.
    pub fn set_cache_backend(&self, name: &str, backend: Arc<dyn CacheBackend>) {
        self.services.set_cache_backend(name, backend);
    }

    /// Hits, misses and each tier's counters of each call cache (`with cache`) used or
    /// configured so far, by backend name.
    pub fn call_cache_stats(&self) -> Vec<(String, CacheStats)> {
        self.services.cache_stats()
    }

    /// The batches each batched module (`with batch`) sent so far: how many, for how many
    /// executions, and how many of each size; by function.
    pub fn batch_stats(&self) -> Vec<(String, BatchStats)> {
        self.services.batch_stats()
    }

    /// Registers a Rust async function of a whole batch as a batched module (SPEC §6.4 `batch`):
    /// `f` gets the argument of every execution in the batch and gives one result per execution,
    /// in order, or one error for the batch. The function's signature is `name(param: A) -> T`;
    /// `max_batch` caps the batches it is given. A call without `batch` is a batch of one.
    pub fn register_batched_fn<A, T, E, Fut>(
        &mut self,
        name: &str,
        param: &str,
        max_batch: Option<usize>,
        f: impl Fn(Vec<A>) -> Fut + Send + Sync + 'static,
    ) -> Result<(), RegistryError>
    where
        A: host::FromValue + host::LangType + Send + 'static,
        T: host::IntoValue + host::LangType,
        E: std::fmt::Display,
        Fut: std::future::Future<Output = Result<Vec<T>, E>> + Send + 'static,
    {
        let (sig, module) = host::batched(name, param, max_batch, f);
        self.registry.register(sig, Some(module), HOST_VERSION)
    }
}
