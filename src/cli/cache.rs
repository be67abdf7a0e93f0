//! `asterism cache stats|clear [FILE] [--backend NAME] [--cache-dir DIR] [--modules M]…`: what
//! the call caches that outlive a process hold, and emptying them.
//!
//! The caches are those the manifests declare (`[caches.NAME]`) and the folder `--cache-dir`
//! names; `--backend NAME` picks one (a cache of tiers stands for its tiers). A store shared by
//! several names is counted and cleared once. In-memory caches hold nothing between processes.
//! A Redis server is scanned with SCAN and emptied with UNLINK of the cache's own keys only.

use super::{EXIT_FAILED, Manifests, eprint, modules, println, usage_error};
use asterism::cache::{Built, Store};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// How many entries, and how many bytes, each cache holds
    Stats {
        #[command(flatten)]
        which: Which,
        /// Print {"caches": [{"name", "kind", "place", "entries", "bytes", "error"}, …]}
        #[arg(long)]
        json: bool,
    },
    /// Remove every entry of each cache (of NAME only, with --backend)
    Clear {
        #[command(flatten)]
        which: Which,
    },
}

#[derive(Debug, clap::Args)]
struct Which {
    /// A pipeline whose folder holds the manifest (else the working directory's asterism.toml)
    file: Option<PathBuf>,
    /// Only the cache of this name
    #[arg(long, value_name = "NAME")]
    backend: Option<String>,
    #[command(flatten)]
    modules: Manifests,
    #[command(flatten)]
    caching: super::Caching,
}

/// One store, once, under the name it is reached by.
struct Found {
    name: String,
    store: Store,
}

pub fn cache(args: Args) -> ExitCode {
    let (which, json, clear) = match args.action {
        Action::Stats { which, json } => (which, json, false),
        Action::Clear { which } => (which, false, true),
    };
    let engine = match modules::engine(which.file.as_deref(), &which.modules.files, which.caching.cache_dir.as_deref())
    {
        Ok(engine) => engine,
        Err(errors) => {
            return modules::failed(&errors, json.then_some(&|d| serde_json::json!({"caches": [], "diagnostics": d})));
        }
    };
    let caches = engine.caches();
    if let Some(name) = &which.backend
        && !caches.iter().any(|c| c.name == *name)
    {
        let known: Vec<&str> = caches.iter().map(|c| c.name.as_str()).collect();
        return usage_error(match known.is_empty() {
            true => format!("no cache '{name}': no manifest declares caches, and no --cache-dir was given"),
            false => format!("no cache '{name}' (the caches are: {})", known.join(", ")),
        });
    }
    let stores = stores(caches, which.backend.as_deref());
    if stores.is_empty() && !json {
        eprint("no caches that outlive a process: declare [caches.NAME] in the manifest, or give --cache-dir DIR\n");
        return ExitCode::SUCCESS;
    }
    let mut failed = false;
    let mut rows = Vec::new();
    for Found { name, store } in &stores {
        let (place, counted) = match store {
            Store::Disk(d) if clear => (
                d.dir().display().to_string(),
                d.clear().map(|u| (u.entries, Some(u.bytes))).map_err(|e| e.to_string()),
            ),
            Store::Disk(d) => {
                let u = d.usage();
                (d.dir().display().to_string(), Ok((u.entries, Some(u.bytes))))
            }
            Store::Redis(r) if clear => (r.place().to_string(), r.clear().map(|n| (n, None))),
            Store::Redis(r) => (r.place().to_string(), r.usage().map(|(n, b)| (n, Some(b)))),
            Store::Memory(_) | Store::Tiers(..) => continue,
        };
        match (&counted, clear) {
            (Ok((n, _)), true) => println(&format!("cache '{name}' ({}): removed {n} entries", store.kind())),
            (Ok((n, bytes)), false) if !json => {
                let size = bytes.map(|b| format!(", {}", size(b))).unwrap_or_default();
                println(&format!("cache '{name}' ({}, {place}): {n} entries{size}", store.kind()));
            }
            (Err(e), _) if !json => eprint(&format!("error: cache '{name}' ({}, {place}): {e}\n", store.kind())),
            _ => {}
        }
        failed |= counted.is_err();
        let (entries, bytes, error) = match counted {
            Ok((n, b)) => (Some(n), b, None),
            Err(e) => (None, None, Some(e)),
        };
        rows.push(serde_json::json!({"name": name, "kind": store.kind(), "place": place, "entries": entries, "bytes": bytes, "error": error}));
    }
    if json {
        println(&serde_json::json!({ "caches": rows }).to_string());
    }
    if failed { ExitCode::from(EXIT_FAILED) } else { ExitCode::SUCCESS }
}

/// The stores of `caches` (of `only`, if given), each once: a cache of tiers gives its tiers.
fn stores(caches: &[Built], only: Option<&str>) -> Vec<Found> {
    let mut found: Vec<Found> = Vec::new();
    let mut add = |name: &str, store: &Store| {
        if matches!(store, Store::Memory(_)) {
            return;
        }
        let same = |f: &Found| {
            std::ptr::addr_eq(std::sync::Arc::as_ptr(&f.store.backend()), std::sync::Arc::as_ptr(&store.backend()))
        };
        if !found.iter().any(same) {
            found.push(Found { name: name.to_string(), store: store.clone() });
        }
    };
    for built in caches.iter().filter(|c| only.is_none_or(|n| n == c.name)) {
        match &built.store {
            Store::Tiers(tiers, _) => {
                tiers.iter().for_each(|(tier, store)| add(&format!("{}/{tier}", built.name), store))
            }
            store => add(&built.name, store),
        }
    }
    found
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}
