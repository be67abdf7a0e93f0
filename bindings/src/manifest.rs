//! The module manifest (`asterism.toml`): what each module is, read and checked, nothing started.
//!
//! Takes: a manifest's text and path. Gives: its entries in file order (and its call caches:
//! `caches`) — qualified name, parsed
//! signature, version, where it was declared, and the settings of its kind — or every problem
//! found, each at the line and column it is about. Guarantees: no input panics; keys a kind does
//! not use, unknown kinds, bad signatures, signatures a service cannot be called with (type
//! variables, functions), malformed URLs, headers, durations and sizes are errors here, never on
//! the first call. Nothing is contacted and no secret is read.

mod caches;
mod kserve;
mod onnx;
mod openai;

use crate::wire;
use asterism_registry::Signature;
use asterism_registry::limits::{parse_duration, parse_size};
pub use caches::{CacheEntry, CacheSpec, MAX_TIERS, MEMORY, RedisSpec, RedisUrl};
pub use kserve::KServeSpec;
pub use onnx::OnnxSpec;
pub use openai::{Api, OpenAiSpec};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// A place in a manifest, as `file:line:column` (both from 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// A problem of a manifest, where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestError {
    pub at: Place,
    pub message: String,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

impl std::error::Error for ManifestError {}

/// One module of a manifest.
#[derive(Clone, Debug)]
pub struct Entry {
    pub signature: Signature,
    /// Names the implementation in the function's fingerprint (default `"0"`).
    pub version: String,
    pub kind: Kind,
    /// Where its table starts.
    pub at: Place,
}

/// What runs a module, with its settings.
#[derive(Clone, Debug)]
pub enum Kind {
    Http(HttpSpec),
    Process(ProcessSpec),
    OpenAi(OpenAiSpec),
    KServe(KServeSpec),
    Onnx(OnnxSpec),
}

impl Kind {
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Http(_) => "http",
            Kind::Process(_) => "process",
            Kind::OpenAi(_) => "openai",
            Kind::KServe(_) => "kserve",
            Kind::Onnx(_) => "onnx",
        }
    }
}

/// A module answered by an HTTP service: POST of the argument record to `url`.
#[derive(Clone, Debug)]
pub struct HttpSpec {
    pub url: hyper::Uri,
    pub headers: Vec<(String, String)>,
    /// The environment variable holding a bearer token, read at each call.
    pub auth_env: Option<String>,
    /// The longest a request may take, answer included.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// The largest answer body accepted.
    pub max_body: u64,
    /// Set when the service takes batches: a JSON array of argument records, answered by an array
    /// of values in the same order, of at most this many.
    pub max_batch: Option<usize>,
    /// How long a batch waits to fill when the call names no `batch_timeout`.
    pub max_delay: Option<Duration>,
}

/// A module answered by long-lived worker processes speaking JSON lines.
#[derive(Clone, Debug)]
pub struct ProcessSpec {
    /// The program and its arguments; a program given as a relative path is the manifest folder's.
    pub command: Vec<String>,
    /// Where workers start: the manifest's folder.
    pub dir: PathBuf,
    pub env: Vec<(String, String)>,
    pub instances: usize,
    /// The longest a worker may hold a request before it is taken for hung and replaced.
    pub timeout: Duration,
    /// How long a new worker may take to give its first answer (loading a model, say).
    pub start_timeout: Duration,
    /// The longest answer line accepted.
    pub max_line: u64,
}

pub const DEFAULT_VERSION: &str = "0";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(60);
const DEFAULT_MAX_BODY: u64 = 16 << 20;
/// The most workers of one module.
const MAX_INSTANCES: i64 = 256;
/// The largest batch a manifest may declare.
const MAX_BATCH: i64 = 65_536;

/// The manifest as written: every key any kind takes, checked against the kind afterwards so each
/// problem keeps its position.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    modules: BTreeMap<String, Spanned<RawEntry>>,
    #[serde(default)]
    caches: BTreeMap<String, Spanned<caches::RawCache>>,
}

/// What a manifest declares.
#[derive(Clone, Debug, Default)]
pub struct Manifest {
    /// Its modules, in file order.
    pub entries: Vec<Entry>,
    /// Its call caches, in file order.
    pub caches: Vec<CacheEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    kind: Spanned<String>,
    signature: Spanned<String>,
    version: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    headers: Option<Spanned<BTreeMap<String, String>>>,
    auth_env: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    connect_timeout: Option<Spanned<String>>,
    start_timeout: Option<Spanned<String>>,
    max_body: Option<Spanned<Size>>,
    max_batch: Option<Spanned<i64>>,
    max_delay: Option<Spanned<String>>,
    api: Option<Spanned<String>>,
    model: Option<Spanned<String>>,
    output: Option<Spanned<String>>,
    fp64: Option<Spanned<bool>>,
    path: Option<Spanned<String>>,
    stream: Option<Spanned<bool>>,
    system: Option<Spanned<String>>,
    max_tokens: Option<Spanned<i64>>,
    temperature: Option<Spanned<f64>>,
    command: Option<Spanned<Vec<String>>>,
    instances: Option<Spanned<i64>>,
    env: Option<Spanned<BTreeMap<String, String>>>,
}

/// A size written as a number of bytes or as text (`16MiB`).
#[derive(Deserialize)]
#[serde(untagged)]
enum Size {
    Bytes(i64),
    Text(String),
}

/// Reads the manifest `text` found at `path`.
pub fn parse(path: &Path, text: &str) -> Result<Manifest, Vec<ManifestError>> {
    let at = |span: Range<usize>| place(path, text, span.start);
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let message = e.message().trim_end().to_string();
        vec![ManifestError { at: at(e.span().unwrap_or(0..0)), message }]
    })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let mut modules: Vec<(String, Spanned<RawEntry>)> = raw.modules.into_iter().collect();
    modules.sort_by_key(|(_, e)| e.span().start);
    for (name, entry) in modules {
        let start = entry.span().start;
        let mut problems = Problems { errors: Vec::new(), at: &at };
        if let Some(entry) = read_entry(&name, entry.into_inner(), &dir, &mut problems) {
            entries.push(Entry { at: at(start..start), ..entry });
        }
        errors.extend(problems.errors);
    }
    let mut problems = Problems { errors: Vec::new(), at: &at };
    let mut raw_caches: Vec<_> = raw.caches.into_iter().collect();
    raw_caches.sort_by_key(|(_, c)| c.span().start);
    let caches = caches::read(raw_caches, &dir, &mut problems);
    errors.extend(problems.errors);
    if errors.is_empty() { Ok(Manifest { entries, caches }) } else { Err(errors) }
}

/// The problems of one entry, placed by their spans.
struct Problems<'a> {
    errors: Vec<ManifestError>,
    at: &'a dyn Fn(Range<usize>) -> Place,
}

impl Problems<'_> {
    fn add(&mut self, span: Range<usize>, message: String) {
        self.errors.push(ManifestError { at: (self.at)(span), message });
    }

    /// The value of a setting the entry must give; without it, a problem at `at` (its kind).
    fn required<T>(
        &mut self,
        value: Option<Spanned<T>>,
        at: Range<usize>,
        name: &str,
        kind: &str,
        key: &str,
    ) -> Option<T> {
        if value.is_none() {
            self.add(at, format!("module '{name}' of kind '{kind}' needs a '{key}'"));
        }
        value.map(Spanned::into_inner)
    }

    /// The value of a setting, or a problem at it.
    fn check<T, U>(&mut self, value: Option<Spanned<T>>, read: impl FnOnce(T) -> Result<U, String>) -> Option<U> {
        let value = value?;
        let span = value.span();
        read(value.into_inner()).map_err(|m| self.add(span, m)).ok()
    }
}

fn read_entry(name: &str, raw: RawEntry, dir: &Path, p: &mut Problems<'_>) -> Option<Entry> {
    let signature = match Signature::parse(name, raw.signature.get_ref()) {
        Ok(signature) => match wire::callable(&signature) {
            Ok(()) => Some(signature),
            Err(why) => {
                p.add(raw.signature.span(), format!("module '{name}' cannot be bound: {why}"));
                None
            }
        },
        Err(e) => {
            p.add(raw.signature.span(), format!("invalid signature of '{name}': {e}"));
            None
        }
    };
    let kind_span = raw.kind.span();
    let settings = Settings::of(&raw);
    let version = raw.version.as_ref().map_or_else(|| DEFAULT_VERSION.to_string(), |v| v.get_ref().clone());
    let kind = match raw.kind.get_ref().as_str() {
        "http" => {
            let keys =
                ["url", "headers", "auth_env", "timeout", "connect_timeout", "max_body", "max_batch", "max_delay"];
            settings.only(&keys, "http", p);
            http(name, raw, kind_span, p).map(Kind::Http)
        }
        "process" => {
            settings.only(&["command", "instances", "env", "timeout", "start_timeout", "max_body"], "process", p);
            process(name, raw, dir, kind_span, p).map(Kind::Process)
        }
        "openai" => {
            settings.only(&openai::KEYS, "openai", p);
            openai::read(name, signature.as_ref(), raw, kind_span, p).map(Kind::OpenAi)
        }
        "kserve" => {
            settings.only(&kserve::KEYS, "kserve", p);
            kserve::read(name, signature.as_ref(), raw, kind_span, p).map(Kind::KServe)
        }
        "onnx" => {
            settings.only(&onnx::KEYS, "onnx", p);
            onnx::read(name, raw, dir, kind_span, p).map(Kind::Onnx)
        }
        other => {
            let known = "\"http\", \"process\", \"openai\", \"kserve\" or \"onnx\"";
            p.add(kind_span, format!("unknown kind '{other}' of module '{name}': expected {known}"));
            None
        }
    };
    Some(Entry { signature: signature?, version, kind: kind?, at: Place { file: PathBuf::new(), line: 0, column: 0 } })
}

/// The optional settings an entry gives, with their spans: to refuse those its kind does not use.
struct Settings(Vec<(&'static str, Range<usize>)>);

impl Settings {
    fn of(raw: &RawEntry) -> Settings {
        let mut given = Vec::new();
        let mut note = |key, span: Option<Range<usize>>| {
            if let Some(span) = span {
                given.push((key, span));
            }
        };
        note("url", raw.url.as_ref().map(Spanned::span));
        note("headers", raw.headers.as_ref().map(Spanned::span));
        note("auth_env", raw.auth_env.as_ref().map(Spanned::span));
        note("timeout", raw.timeout.as_ref().map(Spanned::span));
        note("connect_timeout", raw.connect_timeout.as_ref().map(Spanned::span));
        note("start_timeout", raw.start_timeout.as_ref().map(Spanned::span));
        note("max_body", raw.max_body.as_ref().map(Spanned::span));
        note("max_batch", raw.max_batch.as_ref().map(Spanned::span));
        note("max_delay", raw.max_delay.as_ref().map(Spanned::span));
        note("api", raw.api.as_ref().map(Spanned::span));
        note("model", raw.model.as_ref().map(Spanned::span));
        note("output", raw.output.as_ref().map(Spanned::span));
        note("fp64", raw.fp64.as_ref().map(Spanned::span));
        note("path", raw.path.as_ref().map(Spanned::span));
        note("stream", raw.stream.as_ref().map(Spanned::span));
        note("system", raw.system.as_ref().map(Spanned::span));
        note("max_tokens", raw.max_tokens.as_ref().map(Spanned::span));
        note("temperature", raw.temperature.as_ref().map(Spanned::span));
        note("command", raw.command.as_ref().map(Spanned::span));
        note("instances", raw.instances.as_ref().map(Spanned::span));
        note("env", raw.env.as_ref().map(Spanned::span));
        Settings(given)
    }

    fn only(&self, allowed: &[&str], kind: &str, p: &mut Problems<'_>) {
        for (key, span) in &self.0 {
            if !allowed.contains(key) {
                p.add(
                    span.clone(),
                    format!("'{key}' is not a setting of kind '{kind}' (it takes: {})", allowed.join(", ")),
                );
            }
        }
    }
}

fn http(name: &str, raw: RawEntry, kind_span: Range<usize>, p: &mut Problems<'_>) -> Option<HttpSpec> {
    let Some(url) = raw.url else {
        p.add(kind_span, format!("module '{name}' of kind 'http' needs a 'url'"));
        return None;
    };
    let url = p.check(Some(url), |text| {
        let url: hyper::Uri = text.parse().map_err(|e| format!("invalid url '{text}': {e}"))?;
        match url.scheme_str() {
            Some("http") if url.host().is_some_and(|h| !h.is_empty()) => Ok(url),
            Some("http") => Err(format!("invalid url '{text}': it names no host")),
            Some("https") => Err(format!(
                "'{text}': this build speaks plain HTTP only (services beside the engine, or behind a local proxy)"
            )),
            Some(other) => Err(format!("'{text}': the scheme '{other}' is not HTTP")),
            None => Err(format!("invalid url '{text}': write it whole, e.g. http://127.0.0.1:8000/embed")),
        }
    });
    let headers = p.check(raw.headers, |headers| {
        headers
            .into_iter()
            .map(|(k, v)| {
                hyper::header::HeaderName::from_bytes(k.as_bytes())
                    .map_err(|_| format!("invalid header name '{k}'"))?;
                hyper::header::HeaderValue::from_str(&v).map_err(|_| format!("invalid value of header '{k}'"))?;
                Ok((k, v))
            })
            .collect::<Result<Vec<_>, String>>()
    });
    let auth_env = p.check(raw.auth_env, |var| match var.is_empty() || var.contains('=') || var.contains('\0') {
        true => Err(format!("'{var}' is not an environment variable name")),
        false => Ok(var),
    });
    let timeout = p.check(raw.timeout, |t| parse_duration(&t));
    let connect_timeout = p.check(raw.connect_timeout, |t| parse_duration(&t));
    let max_body = p.check(raw.max_body, size);
    let max_batch = p.check(raw.max_batch, |n| match n {
        1..=MAX_BATCH => Ok(n as usize),
        _ => Err(format!("'max_batch' must be between 1 and {MAX_BATCH}, not {n}")),
    });
    let max_delay = p.check(raw.max_delay, |t| parse_duration(&t));
    Some(HttpSpec {
        url: url?,
        headers: headers.unwrap_or_default(),
        auth_env,
        timeout: timeout.unwrap_or(DEFAULT_TIMEOUT),
        connect_timeout: connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
        max_body: max_body.unwrap_or(DEFAULT_MAX_BODY),
        max_batch,
        max_delay,
    })
}

fn process(
    name: &str,
    raw: RawEntry,
    dir: &Path,
    kind_span: Range<usize>,
    p: &mut Problems<'_>,
) -> Option<ProcessSpec> {
    let Some(command) = raw.command else {
        p.add(
            kind_span,
            format!("module '{name}' of kind 'process' needs a 'command', e.g. [\"python3\", \"worker.py\"]"),
        );
        return None;
    };
    let command = p.check(Some(command), |command| match command.first() {
        Some(program) if !program.is_empty() => Ok(command),
        _ => Err("'command' needs at least the program to run".to_string()),
    });
    let instances = p.check(raw.instances, |n| match n {
        1..=MAX_INSTANCES => Ok(n as usize),
        _ => Err(format!("'instances' must be between 1 and {MAX_INSTANCES}, not {n}")),
    });
    let timeout = p.check(raw.timeout, |t| parse_duration(&t));
    let start_timeout = p.check(raw.start_timeout, |t| parse_duration(&t));
    let max_line = p.check(raw.max_body, size);
    let env = raw.env.map(|env| env.into_inner().into_iter().collect()).unwrap_or_default();
    Some(ProcessSpec {
        command: command?,
        dir: dir.to_path_buf(),
        env,
        instances: instances.unwrap_or(1),
        timeout: timeout.unwrap_or(DEFAULT_TIMEOUT),
        start_timeout: start_timeout.unwrap_or(DEFAULT_START_TIMEOUT),
        max_line: max_line.unwrap_or(DEFAULT_MAX_BODY),
    })
}

fn size(size: Size) -> Result<u64, String> {
    match size {
        Size::Bytes(n) if n > 0 => Ok(n as u64),
        Size::Bytes(n) => Err(format!("a size must be positive, not {n}")),
        Size::Text(text) => parse_size(&text),
    }
}

/// The place of byte `offset` of `text`.
fn place(path: &Path, text: &str, offset: usize) -> Place {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    Place { file: path.to_path_buf(), line, column }
}
