//! Token-bucket rate limits, per client address and per API key.
//!
//! Takes: a limit (`RATE/s` or `RATE/min`, and a burst) and, per request, the key of its bucket.
//! Gives: whether the request may go on, or how long until it may (`Retry-After`). Guarantees:
//! a bucket starts full with `burst` tokens and refills at the rate, never above `burst`; taking
//! never waits; the buckets held are bounded (past 100,000, the full ones — no different from
//! new ones — are dropped).

use parking_lot::Mutex;
use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// A rate and a burst.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// Tokens added per second.
    pub per_second: f64,
    /// The most tokens a bucket holds (and starts with).
    pub burst: u32,
}

impl RateLimit {
    /// `100/min`, `10/s`, with an optional burst after a colon (`100/min:20`); the burst is by
    /// default a tenth of a minute's requests, at least 1.
    pub fn parse(text: &str) -> Result<RateLimit, String> {
        let bad = || format!("'{text}': expected RATE/s or RATE/min, and optionally :BURST (100/min:20)");
        let (rate, burst) = match text.split_once(':') {
            Some((rate, burst)) => (rate, Some(burst.trim().parse::<u32>().map_err(|_| bad())?)),
            None => (text, None),
        };
        let (n, unit) = rate.trim().split_once('/').ok_or_else(bad)?;
        let n: f64 = n.trim().parse().map_err(|_| bad())?;
        let per_second = match unit.trim() {
            "s" | "sec" | "second" => n,
            "min" | "minute" => n / 60.0,
            _ => return Err(bad()),
        };
        if !(per_second.is_finite() && per_second > 0.0) || burst == Some(0) {
            return Err(bad());
        }
        let burst = burst.unwrap_or_else(|| ((per_second * 6.0) as u32).max(1));
        Ok(RateLimit { per_second, burst })
    }
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The buckets of one limit, by key.
#[derive(Debug)]
pub struct Buckets<K> {
    limit: RateLimit,
    buckets: Mutex<HashMap<K, Bucket>>,
}

/// The most buckets held before the full ones are dropped.
const MAX_BUCKETS: usize = 100_000;

impl<K: Hash + Eq> Buckets<K> {
    pub fn new(limit: RateLimit) -> Buckets<K> {
        Buckets { limit, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes a token from `key`'s bucket at `now`, or says how long until one is there.
    pub fn take(&self, key: K, now: Instant) -> Result<(), Duration> {
        let RateLimit { per_second, burst } = self.limit;
        let burst = f64::from(burst);
        let mut buckets = self.buckets.lock();
        if buckets.len() >= MAX_BUCKETS {
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * per_second < burst);
        }
        let bucket = buckets.entry(key).or_insert(Bucket { tokens: burst, at: now });
        bucket.tokens = (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * per_second).min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        Err(Duration::try_from_secs_f64((1.0 - bucket.tokens) / per_second).unwrap_or(Duration::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_holds_its_burst_and_refills_at_its_rate() {
        let limit = RateLimit::parse("60/min:2").unwrap();
        assert_eq!(limit, RateLimit { per_second: 1.0, burst: 2 });
        let buckets = Buckets::new(limit);
        let t0 = Instant::now();
        assert!(buckets.take("a", t0).is_ok() && buckets.take("a", t0).is_ok());
        let wait = buckets.take("a", t0).unwrap_err();
        assert!(wait > Duration::from_millis(990) && wait <= Duration::from_secs(1), "{wait:?}");
        assert!(buckets.take("b", t0).is_ok(), "buckets are per key");
        assert!(buckets.take("a", t0 + Duration::from_millis(500)).is_err());
        assert!(buckets.take("a", t0 + Duration::from_millis(1001)).is_ok());
        assert!(buckets.take("a", t0 + Duration::from_secs(100)).is_ok());
        assert!(buckets.take("a", t0 + Duration::from_secs(100)).is_ok());
        assert!(buckets.take("a", t0 + Duration::from_secs(100)).is_err(), "never more than the burst");
        let slow = Buckets::new(RateLimit::parse("1e-300/s:1").unwrap());
        assert!(slow.take("a", t0).is_ok());
        assert_eq!(slow.take("a", t0), Err(Duration::MAX), "an absurd rate is an absurd wait, not a panic");
        for bad in ["10", "10/h", "0/s", "-1/s", "10/s:0", "x/s", "inf/s", "NaN/s"] {
            assert!(RateLimit::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(RateLimit::parse("100/min").unwrap().burst, 10);
    }
}
