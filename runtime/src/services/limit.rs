//! Limiters of module calls (SPEC §6.4 `concurrency`, `throttle`, `priority`).
//!
//! `Gate` is a semaphore whose waiters are served by priority (higher first), ties in arrival
//! order; `Held` lists the gates whose permits the calls around some work hold, so a call nested
//! in one of them takes no second permit (permits are re-entrant). A permit is released when dropped; a waiter that gives up (its run was dropped) never
//! holds a permit, and a permit granted to it at the same moment is passed on. `Bucket` is a
//! token bucket holding at most `n` tokens, refilled continuously at `n` per period, starting
//! full; callers take one token each, waiting (in priority order) when none is left. Time is
//! tokio's, so tests run them under a paused clock. Arithmetic is in integers: no drift.

use parking_lot::Mutex;
use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::time::Instant;

/// A semaphore with `permits` permits and priority-ordered waiters.
#[derive(Debug)]
pub(crate) struct Gate {
    state: Mutex<GateState>,
}

#[derive(Debug)]
struct GateState {
    available: usize,
    waiters: BinaryHeap<Waiter>,
    arrivals: u64,
}

#[derive(Debug)]
struct Waiter {
    priority: u8,
    arrival: u64,
    ticket: Arc<Mutex<Ticket>>,
}

/// A waiter's side of the hand-over; only touched with the gate's lock held.
#[derive(Debug, Default)]
struct Ticket {
    granted: bool,
    abandoned: bool,
    waker: Option<Waker>,
}

impl PartialEq for Waiter {
    fn eq(&self, other: &Self) -> bool {
        self.priority == other.priority && self.arrival == other.arrival
    }
}

impl Eq for Waiter {}

impl PartialOrd for Waiter {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Waiter {
    /// The greatest waiter is served first: highest priority, then earliest arrival.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.priority.cmp(&other.priority).then(other.arrival.cmp(&self.arrival))
    }
}

impl Gate {
    pub fn new(permits: usize) -> Gate {
        Gate { state: Mutex::new(GateState { available: permits, waiters: BinaryHeap::new(), arrivals: 0 }) }
    }

    /// Waits for a permit; among waiters, higher `priority` first.
    pub fn acquire(self: &Arc<Self>, priority: u8) -> Acquire {
        Acquire { gate: self.clone(), priority, arrival: None, ticket: None }
    }

    /// Gives `permit` back and waits for one again, keeping its place among equal priorities.
    pub fn reacquire(self: &Arc<Self>, permit: Permit, priority: u8) -> Acquire {
        let arrival = Some(permit.arrival);
        drop(permit);
        Acquire { gate: self.clone(), priority, arrival, ticket: None }
    }

    /// Whether a call of higher priority than `priority` is waiting.
    pub fn outranked(&self, priority: u8) -> bool {
        self.state.lock().waiters.peek().is_some_and(|w| w.priority > priority)
    }

    /// Gives a permit to the best waiter still waiting, or back to the pool.
    fn release(&self, state: &mut GateState) {
        while let Some(waiter) = state.waiters.pop() {
            let mut ticket = waiter.ticket.lock();
            if ticket.abandoned {
                continue;
            }
            ticket.granted = true;
            if let Some(waker) = ticket.waker.take() {
                waker.wake();
            }
            return;
        }
        state.available += 1;
    }
}

/// The future of `Gate::acquire`.
#[derive(Debug)]
pub(crate) struct Acquire {
    gate: Arc<Gate>,
    priority: u8,
    /// The place in arrival order, taken when first polled.
    arrival: Option<u64>,
    ticket: Option<Arc<Mutex<Ticket>>>,
}

/// A permit of a `Gate`, given back when dropped.
#[derive(Debug)]
pub(crate) struct Permit {
    gate: Arc<Gate>,
    arrival: u64,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut state = self.gate.state.lock();
        self.gate.release(&mut state);
    }
}

impl Future for Acquire {
    type Output = Permit;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Permit> {
        let this = &mut *self;
        let mut state = this.gate.state.lock();
        let arrival = *this.arrival.get_or_insert_with(|| {
            state.arrivals += 1;
            state.arrivals
        });
        match &this.ticket {
            None if state.available > 0 && state.waiters.is_empty() => {
                state.available -= 1;
            }
            None => {
                let ticket = Arc::new(Mutex::new(Ticket { waker: Some(cx.waker().clone()), ..Ticket::default() }));
                state.waiters.push(Waiter { priority: this.priority, arrival, ticket: ticket.clone() });
                this.ticket = Some(ticket);
                return Poll::Pending;
            }
            Some(ticket) => {
                let mut t = ticket.lock();
                if !t.granted {
                    t.waker = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                drop(t);
                this.ticket = None;
            }
        }
        drop(state);
        Poll::Ready(Permit { gate: this.gate.clone(), arrival })
    }
}

impl Drop for Acquire {
    fn drop(&mut self) {
        let Some(ticket) = self.ticket.take() else { return };
        let mut state = self.gate.state.lock();
        let mut t = ticket.lock();
        if t.granted {
            // Granted but never taken: pass the permit on.
            drop(t);
            self.gate.release(&mut state);
        } else {
            t.abandoned = true;
        }
    }
}

/// The gates whose permits the calls around some work hold (usually none). Cheap to clone.
#[derive(Clone, Debug, Default)]
pub(crate) struct Held(Option<Arc<[Arc<Gate>]>>);

impl Held {
    /// Whether a permit of `gate` is held.
    pub fn holds(&self, gate: &Arc<Gate>) -> bool {
        self.0.iter().flat_map(|g| g.iter()).any(|g| Arc::ptr_eq(g, gate))
    }

    /// These and `gate`'s.
    pub fn with(&self, gate: Option<&Arc<Gate>>) -> Held {
        match gate {
            Some(gate) if !self.holds(gate) => {
                Held(Some(self.0.iter().flat_map(|g| g.iter()).chain([gate]).cloned().collect()))
            }
            _ => self.clone(),
        }
    }
}

/// The timer's resolution: what a bucket may hold beyond its capacity (see `Bucket::take`).
const GRACE_NS: u128 = 1_000_000;

/// A token bucket: at most `capacity` tokens (and what a millisecond refills), refilled at
/// `capacity` per `period`.
#[derive(Debug)]
pub(crate) struct Bucket {
    /// Serialises takers in priority order.
    turn: Arc<Gate>,
    state: Mutex<BucketState>,
    capacity: u128,
    period_ns: u128,
}

/// Tokens are counted in units of 1 / period_ns, so a token costs `period_ns` units and one
/// nanosecond refills `capacity` units.
#[derive(Debug)]
struct BucketState {
    units: u128,
    at: Instant,
}

impl Bucket {
    /// A full bucket; `period` must be positive (a zero period means no limit and no bucket).
    pub fn new(capacity: u64, period: Duration) -> Bucket {
        let capacity = u128::from(capacity.max(1));
        let period_ns = period.as_nanos().max(1);
        Bucket {
            turn: Arc::new(Gate::new(1)),
            state: Mutex::new(BucketState { units: capacity * period_ns, at: Instant::now() }),
            capacity,
            period_ns,
        }
    }

    /// Takes one token, waiting for it if the bucket is empty. The call whose turn it is waits for
    /// the token; if a call of higher priority comes meanwhile, that one goes first.
    pub async fn take(&self, priority: u8) {
        let mut turn = self.turn.acquire(priority).await;
        loop {
            let wait = {
                let mut s = self.state.lock();
                let now = Instant::now();
                let elapsed = now.saturating_duration_since(s.at).as_nanos();
                // The bucket holds its capacity plus what one millisecond refills: timers wake on
                // whole milliseconds, and a waiter woken late keeps what it overslept for the
                // next token, so fine rates (`10/1ms`) keep their pace.
                s.units = (s.units + elapsed * self.capacity).min(self.capacity * (self.period_ns + GRACE_NS));
                s.at = now;
                if s.units >= self.period_ns {
                    s.units -= self.period_ns;
                    return;
                }
                let missing = self.period_ns - s.units;
                missing.div_ceil(self.capacity)
            };
            tokio::time::sleep(Duration::from_nanos(u64::try_from(wait).unwrap_or(u64::MAX))).await;
            if self.turn.outranked(priority) {
                turn = self.turn.reacquire(turn, priority).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn waiters_are_served_by_priority_then_arrival() {
        let gate = Arc::new(Gate::new(1));
        let first = gate.acquire(50).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (name, priority) in [("low", 20), ("high-1", 80), ("normal", 50), ("high-2", 80)] {
            let (gate, order) = (gate.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                let _p = gate.acquire(priority).await;
                order.lock().push(name);
            }));
            tokio::task::yield_now().await;
        }
        drop(first);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*order.lock(), ["high-1", "high-2", "normal", "low"]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_abandoned_waiter_does_not_keep_a_permit() {
        let gate = Arc::new(Gate::new(1));
        let held = gate.acquire(50).await;
        let mut waiting = Box::pin(gate.acquire(90));
        assert!(futures_util::FutureExt::now_or_never(&mut waiting).is_none());
        drop(held); // granted to `waiting`, which is dropped before it takes it
        drop(waiting);
        let again = tokio::time::timeout(Duration::from_secs(1), gate.acquire(10)).await;
        assert!(again.is_ok(), "the permit went back to the gate");
    }

    #[tokio::test(start_paused = true)]
    async fn a_bucket_allows_a_burst_then_refills_at_its_rate() {
        let bucket = Bucket::new(2, Duration::from_secs(1));
        let start = Instant::now();
        let mut at = Vec::new();
        for _ in 0..5 {
            bucket.take(50).await;
            at.push(start.elapsed().as_millis());
        }
        assert_eq!(at, [0, 0, 500, 1000, 1500]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_fine_rate_keeps_its_pace_when_timers_wake_late() {
        // One token per 300µs; tokio's timer wakes on whole milliseconds, so each wait overshoots.
        let bucket = Bucket::new(1, Duration::from_micros(300));
        let start = Instant::now();
        for _ in 0..100 {
            bucket.take(50).await;
        }
        let took = start.elapsed();
        assert!(took <= Duration::from_millis(31), "100 tokens at 300µs each took {took:?}");
    }
}
