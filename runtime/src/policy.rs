//! Floor 2 of the runtime: call options as the runtime applies them (SPEC §6.4–§6.5).
//!
//! `Policy::prepare` turns a call's `CallOptions` into what a run needs: retry counts and waits,
//! the timeout, the `on_error` substitute, the fallback graph, and the cache and limiters
//! resolved in the engine's `Services`. A call whose options change nothing at run time gets no
//! policy, so it costs nothing. The rules are here once: when an attempt is retried (`next`),
//! what a finished call gives (`settle`), and in `apply` the one path of a call with a policy
//! (limiters, cache, attempts), to which each engine passes its own attempt.
//!
//! Layers, inside out: execution, `on_error`, `timeout`, `retry` with `delay`/`backoff`,
//! `fallback`, `cache`, `throttle`/`concurrency` ordered by `priority`, `lazy`. So with
//! `on_error: skip|log|wrap` only timeouts are retried or reach the fallback; only values of
//! successful executions are cached; a cache hit still takes a token and a permit.

pub(crate) mod apply;

use crate::outcome::{At, Fault};
use crate::services::cache::{CacheKey, CallCache, KEY_FORMAT, KeyBuilder};
use crate::services::limit::{Bucket, Gate};
use crate::services::{DEFAULT_CACHE, Services};
use crate::values::convert::zero;
use asterism_registry::dag::{Backoff, CallOptions, OnError};
use asterism_registry::types::Type;
use asterism_registry::value::Value;
use asterism_registry::{Notice, NoticeKind, Reporter};
use std::sync::Arc;
use std::time::Duration;

/// The longest wait between attempts.
const MAX_WAIT: Duration = Duration::from_secs(30);

/// Priority of a call that names none (`normal`).
const NORMAL: u8 = 50;

#[derive(Debug)]
pub(crate) struct Policy {
    pub retry: u32,
    pub timeout: Option<Duration>,
    pub delay: Option<Duration>,
    pub backoff: Backoff,
    pub on_error: OnError,
    /// The zero value of the call's type (`skip`, `log`).
    pub zero: Value,
    /// The graph of the `fallback` expression.
    pub fallback: Option<u32>,
    pub cache: Option<CachePlan>,
    pub concurrency: Option<Arc<Gate>>,
    pub throttle: Option<Arc<Bucket>>,
    pub priority: u8,
    /// Whether applying the policy waits (timers, limiters, the cache): the call then always runs
    /// on the asynchronous scheduler.
    pub waits: bool,
}

#[derive(Debug)]
pub(crate) struct CachePlan {
    pub cache: Arc<CallCache>,
    pub ttl: Duration,
    /// The identity of the call site the key starts with.
    pub site: CacheKey,
}

impl CachePlan {
    /// The key of an execution with these values (the arguments, then anything else the
    /// execution reads, such as a lambda's captured values).
    pub fn key<'v>(&self, values: impl IntoIterator<Item = &'v Value>) -> CacheKey {
        let mut key = KeyBuilder::new(&self.site);
        values.into_iter().for_each(|v| {
            key.value(v);
        });
        key.finish()
    }
}

/// After a failed attempt: try again after a wait, or stop with the call's failure.
pub(crate) enum Next {
    Retry(Duration),
    Stop(Fault),
}

/// What a finished call gives.
pub(crate) enum Settled {
    Value(Value),
    /// Evaluate the fallback graph: its value is the call's.
    Fallback(u32),
    Fail(Fault),
}

impl Policy {
    /// The policy of a call, or `None` when its options change nothing in a single-shot run.
    /// `ty` is the call's type before `on_error: wrap`.
    pub fn prepare(site: Site<'_>, services: &Services) -> Option<Policy> {
        let o = site.options;
        let throttle = o.throttle.filter(|&(count, per)| count > 0 && per > 0);
        let on_error = o.on_error.unwrap_or(OnError::Propagate);
        let retry = o.retry.unwrap_or(0);
        let applies = retry > 0
            || o.timeout_ms.is_some()
            || on_error != OnError::Propagate
            || site.fallback.is_some()
            || o.cache_ms.is_some()
            || throttle.is_some()
            || o.concurrency.is_some();
        if !applies {
            return None;
        }
        let delay = o.delay_ms.map(Duration::from_millis);
        let cache = o.cache_ms.map(|ms| {
            let backend = o.cache_backend.as_deref().unwrap_or(DEFAULT_CACHE);
            let mut h = blake3::Hasher::new();
            h.update(KEY_FORMAT).update(site.function.as_bytes()).update(&[0]).update(site.fingerprint);
            h.update(backend.as_bytes()).update(&[0]);
            for t in site.arg_types.iter().chain([site.ty]) {
                h.update(t.to_string().as_bytes()).update(&[0]);
            }
            if let Some((dag, lambda)) = site.lambda {
                h.update(dag).update(&lambda.to_le_bytes());
            }
            CachePlan { cache: services.cache(backend), ttl: Duration::from_millis(ms), site: *h.finalize().as_bytes() }
        });
        let concurrency = o.concurrency.map(|n| services.gate(site.function, n));
        let throttle = throttle.map(|(count, per)| services.bucket(site.function, count, per));
        Some(Policy {
            retry,
            timeout: o.timeout_ms.map(Duration::from_millis),
            delay,
            backoff: o.backoff.unwrap_or(Backoff::Fixed),
            on_error,
            zero: zero(site.ty),
            fallback: site.fallback,
            cache,
            concurrency,
            throttle,
            priority: o.priority.unwrap_or(NORMAL),
            waits: Policy::waits(o),
        })
    }

    /// Whether calls with these options wait (timers, limiters, the cache).
    pub fn waits(o: &CallOptions) -> bool {
        o.timeout_ms.is_some()
            || (o.retry.unwrap_or(0) > 0 && o.delay_ms.is_some())
            || o.cache_ms.is_some()
            || o.concurrency.is_some()
            || o.throttle.is_some_and(|(count, per)| count > 0 && per > 0)
    }

    /// The wait before retry `k` (1-based).
    pub fn wait(&self, k: u32) -> Duration {
        let Some(delay) = self.delay else { return Duration::ZERO };
        let factor: u32 = match self.backoff {
            Backoff::Fixed => 1,
            Backoff::Linear => k,
            Backoff::Exponential => 1u32.checked_shl(k - 1).unwrap_or(u32::MAX),
        };
        delay.checked_mul(factor).unwrap_or(MAX_WAIT).min(MAX_WAIT)
    }

    /// What follows failed attempt `n` (1-based): a retry waits `delay` with its backoff, and at
    /// least what the module asked (`Fault::retry_after`).
    pub fn next(&self, n: u32, mut fault: Fault) -> Next {
        let substituted = !fault.timed_out && self.on_error != OnError::Propagate;
        if fault.errors.is_empty() || substituted {
            return Next::Stop(fault);
        }
        if n <= self.retry {
            // A service's own `Retry-After` is waited out, unless it asks for longer than any
            // wait may be: then retrying now would only be refused again.
            return match fault.retry_after {
                Some(asked) if asked > MAX_WAIT => Next::Stop(fault),
                Some(asked) => Next::Retry(self.wait(n).max(asked)),
                None => Next::Retry(self.wait(n)),
            };
        }
        if self.retry > 0
            && let Some(e) = fault.first()
        {
            e.message.push_str(&format!(" (failed after {n} attempts)"));
        }
        Next::Stop(fault)
    }

    /// The value of a call that succeeded (or was served by its cache) with `v`: wrapped with
    /// `on_error: wrap`.
    pub fn succeeded(&self, v: Value) -> Value {
        match self.on_error {
            OnError::Wrap => wrapped(Value::None, Value::some(v)),
            _ => v,
        }
    }

    /// The call's result once its attempts are over; an `on_error: log` line goes to `reporter`.
    pub fn settle(&self, outcome: Result<Value, Fault>, reporter: &dyn Reporter, at: At) -> Settled {
        let fault = match outcome {
            Ok(v) => return Settled::Value(self.succeeded(v)),
            Err(fault) => fault,
        };
        if fault.errors.is_empty() {
            return Settled::Fail(fault);
        }
        if !fault.timed_out {
            match self.on_error {
                OnError::Propagate => {}
                OnError::Skip => return Settled::Value(self.zero.clone()),
                OnError::Log => {
                    let message = fault.message().to_string();
                    reporter.report(Notice { kind: NoticeKind::OnErrorLog, message, line: at.line });
                    return Settled::Value(self.zero.clone());
                }
                OnError::Wrap => return Settled::Value(wrapped(Value::str(fault.message()), Value::None)),
            }
        }
        match self.fallback {
            Some(g) => Settled::Fallback(g),
            None => Settled::Fail(fault),
        }
    }
}

/// What `Policy::prepare` needs to know about a call site.
pub(crate) struct Site<'a> {
    pub options: &'a CallOptions,
    pub fallback: Option<u32>,
    pub function: &'a str,
    pub fingerprint: &'a [u8; 32],
    pub arg_types: &'a [Type],
    /// The call's type before `on_error: wrap`.
    pub ty: &'a Type,
    /// For a higher-order call: the DagSpec's hash and the lambda's graph (part of the identity).
    pub lambda: Option<(&'a [u8; 32], u32)>,
}

/// `{error, value}` of `on_error: wrap`, fields in canonical order.
fn wrapped(error: Value, value: Value) -> Value {
    Value::Record(Arc::from([error, value]))
}

/// The type of a call with `on_error: wrap` is `{error: Optional<String>, value: Optional<T>}`;
/// this gives `T`.
pub(crate) fn unwrapped(ty: &Type) -> Type {
    match ty {
        Type::Record(r) => match r.get("value") {
            Some(Type::Optional(t)) => (**t).clone(),
            _ => ty.clone(),
        },
        _ => ty.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(retry: u32, delay_ms: Option<u64>, backoff: Backoff) -> Policy {
        let options = CallOptions { retry: Some(retry), delay_ms, backoff: Some(backoff), ..CallOptions::default() };
        let site = Site {
            options: &options,
            fallback: None,
            function: "f",
            fingerprint: &[0; 32],
            arg_types: &[],
            ty: &Type::Int,
            lambda: None,
        };
        Policy::prepare(site, &Services::new()).unwrap()
    }

    #[test]
    fn waits_grow_by_backoff_and_are_capped_at_30_seconds() {
        let ms = |p: &Policy, k| p.wait(k).as_millis();
        let fixed = policy(3, Some(100), Backoff::Fixed);
        assert_eq!([ms(&fixed, 1), ms(&fixed, 2), ms(&fixed, 3)], [100, 100, 100]);
        let linear = policy(3, Some(100), Backoff::Linear);
        assert_eq!([ms(&linear, 1), ms(&linear, 2), ms(&linear, 3)], [100, 200, 300]);
        let exp = policy(10, Some(100), Backoff::Exponential);
        assert_eq!([ms(&exp, 1), ms(&exp, 2), ms(&exp, 4)], [100, 200, 800]);
        assert_eq!(ms(&exp, 10), 30_000);
        assert_eq!(ms(&exp, 40), 30_000, "no overflow");
        assert_eq!(ms(&policy(2, None, Backoff::Exponential), 2), 0, "no delay, no wait");
    }
}
