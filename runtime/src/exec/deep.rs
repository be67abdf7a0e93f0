//! Stack room for nested forcing of lazy calls.
//!
//! Forcing a lazy call can force another inside it (an argument or a lambda reading a lazy value),
//! so forcing nests as deep as a chain of lazy calls is long. `deep` runs a closure with room for
//! one more level, continuing on a new stack segment on the heap when the thread's stack runs low;
//! `Deep` does the same for every poll of a future and for every wake-up that travels back out
//! through it. Nothing here changes what runs, only where its stack frames live.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// Runs `f` with room on the stack for one more level of forcing, moving to a new stack segment
/// on the heap when the current one runs low.
pub(crate) fn deep<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(256 * 1024, 4 * 1024 * 1024, f)
}

/// A future polled under `deep`: polling a force polls the forces it waits for, one level each.
/// Wake-ups travel the other way, from the innermost force out through every level, so the waker
/// it passes in runs under `deep` too.
pub(crate) struct Deep<F> {
    inner: F,
    /// The caller's waker and the one passed in, which wakes it under `deep`.
    wakers: Option<(Waker, Waker)>,
}

impl<F> Deep<F> {
    pub fn new(inner: F) -> Deep<F> {
        Deep { inner, wakers: None }
    }
}

impl<F: Future + Unpin> Future for Deep<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let outer = cx.waker();
        let waker = match &this.wakers {
            Some((caller, passed)) if caller.will_wake(outer) => passed,
            _ => {
                let passed = Waker::from(Arc::new(DeepWaker(outer.clone())));
                &this.wakers.insert((outer.clone(), passed)).1
            }
        };
        let mut cx = Context::from_waker(waker);
        deep(|| Pin::new(&mut this.inner).poll(&mut cx))
    }
}

struct DeepWaker(Waker);

impl Wake for DeepWaker {
    fn wake(self: Arc<Self>) {
        deep(|| self.0.wake_by_ref());
    }

    fn wake_by_ref(self: &Arc<Self>) {
        deep(|| self.0.wake_by_ref());
    }
}
