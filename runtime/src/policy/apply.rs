//! The one path of a call with a policy (SPEC §6.5, inside out: execution, `on_error`, `timeout`,
//! `retry` with `delay`/`backoff`, `fallback`, `cache`, `throttle`/`concurrency` by `priority`).
//!
//! Each engine passes its own attempt (a module execution, or a whole higher-order execution with
//! its lambdas) and turns the `Settled` result into a node result (running the fallback graph its
//! own way). `here` is the path of policies that never wait (retry without delay, `on_error`,
//! `fallback`): attempts back to back on the calling thread. `waiting` is the path of policies
//! that wait: limiters first (a concurrency permit, then a throttle token, both in priority
//! order), then the cache (single-flight), then the attempts, each under the timeout, with the
//! waits of `delay` and `backoff` between them; the permit is given back before the call settles,
//! so a fallback never holds it.

use super::{CachePlan, Next, Policy, Settled};
use crate::outcome::{At, Fault};
use crate::services::cache::{CacheKey, Looked, Now, Served};
use crate::services::limit::{Held, Permit};
use asterism_registry::Reporter;
use asterism_registry::value::Value;
use std::future::Future;

/// A call whose policy does not wait: attempts at once while the policy retries, then settles.
pub(crate) fn here(
    policy: &Policy,
    reporter: &dyn Reporter,
    at: At,
    mut attempt: impl FnMut() -> Result<Value, Fault>,
) -> Settled {
    let mut n = 0;
    let outcome = loop {
        n += 1;
        match attempt() {
            Ok(v) => break Ok(v),
            Err(fault) => match policy.next(n, fault) {
                Next::Retry(_) => {}
                Next::Stop(fault) => break Err(fault),
            },
        }
    };
    policy.settle(outcome, reporter, at)
}

/// What the cache of a call with these arguments says at once: only a cache that answers at once
/// (memory, disk) of a call without limiters (a hit still takes a token and a permit) can spare
/// the call the scheduler. A hit is the call's value as the slow path settles it (`on_error:
/// wrap` wraps it).
pub(crate) fn stored(policy: &Policy, args: &[Value], reporter: &dyn Reporter) -> Now {
    match &policy.cache {
        Some(c) if c.cache.answers_at_once() && policy.concurrency.is_none() && policy.throttle.is_none() => {
            match c.cache.now(c.key(args), reporter) {
                Now::Hit(v, tier) => Now::Hit(policy.succeeded(v), tier),
                now => now,
            }
        }
        _ => Now::Later,
    }
}

/// A call whose policy waits, on the asynchronous scheduler. `key` gives the cache key of this
/// execution, or `None` when it must not be cached; `function` names the call in timeouts;
/// `held` are the permits the calls around it hold, which it does not wait for again; `looked`
/// is a lookup of its cache made before it came here, which missed. Gives how the call settled
/// and how it was served (`Served::Ran` without a cache).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn waiting<F, Fut>(
    policy: &Policy,
    held: &Held,
    reporter: &dyn Reporter,
    at: At,
    function: &str,
    key: impl FnOnce(&CachePlan) -> Option<CacheKey>,
    looked: Option<Looked>,
    attempt: F,
) -> (Settled, Served)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Value, Fault>>,
{
    let permit = limits(policy, held).await;
    let run = || attempts(policy, at, function, attempt);
    let key = |c: &CachePlan| looked.map(|l| l.key).or_else(|| key(c));
    let (outcome, served) = match policy.cache.as_ref().and_then(|c| Some((c, key(c)?))) {
        Some((c, key)) => {
            let (outcome, served) = c.cache.get_or_run(key, c.ttl, reporter, looked, run).await;
            // A shared execution may have failed at another call site: report it here.
            (outcome.map_err(|f| f.moved_to(at)), served)
        }
        None => (run().await, Served::Ran),
    };
    drop(permit);
    (policy.settle(outcome, reporter, at), served)
}

/// Attempts on the scheduler: each under the timeout, with the policy's waits between them.
async fn attempts<F, Fut>(policy: &Policy, at: At, function: &str, mut attempt: F) -> Result<Value, Fault>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Value, Fault>>,
{
    let mut n = 0;
    loop {
        n += 1;
        let outcome = match policy.timeout {
            Some(limit) => {
                let deadline = tokio::time::Instant::now() + limit;
                match tokio::time::timeout(limit, attempt()).await {
                    // Work that never waits (a lambda that only computes) cannot be abandoned on
                    // the way: it is checked when it finishes.
                    Ok(_) if tokio::time::Instant::now() > deadline => Err(Fault::timeout(at, function, limit)),
                    Ok(outcome) => outcome,
                    Err(_) => Err(Fault::timeout(at, function, limit)),
                }
            }
            None => attempt().await,
        };
        match outcome {
            Ok(v) => return Ok(v),
            Err(fault) => match policy.next(n, fault) {
                Next::Retry(wait) if wait.is_zero() => {}
                Next::Retry(wait) => tokio::time::sleep(wait).await,
                Next::Stop(fault) => return Err(fault),
            },
        }
    }
}

/// Takes what the policy's limiters give: a concurrency permit (held until dropped) unless a call
/// around this one holds it already, then a throttle token.
async fn limits(policy: &Policy, held: &Held) -> Option<Permit> {
    let permit = match &policy.concurrency {
        Some(gate) if !held.holds(gate) => Some(gate.acquire(policy.priority).await),
        _ => None,
    };
    if let Some(bucket) = &policy.throttle {
        bucket.take(policy.priority).await;
    }
    permit
}
