//! A warm run allocates only for the values it produces (DESIGN.md §3): counted with a global
//! allocator that counts, on the 100-node chain of string modules of the benchmarks.

use asterism::{Engine, Status};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts allocations.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `alloc`'s contract, which we pass on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `realloc`'s contract, which we pass on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[path = "../benches/shapes/chain.rs"]
mod shapes;
use shapes::chain;

#[test]
fn a_warm_run_of_the_100_node_chain_allocates_only_its_values() {
    let engine = Engine::new();
    let pipeline = engine.compile("chain.cst", &chain(100, "Uppercase", "Lowercase")).unwrap();
    let inputs = pipeline.parse_inputs(br#"{"text": "Hello, Asterism"}"#).unwrap();
    assert_eq!(pipeline.run_blocking(&inputs).status(), Status::Completed);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let outcome = pipeline.run_blocking(&inputs);
    let allocated = ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert_eq!(outcome.status(), Status::Completed);
    // One string per node, plus the outcome's list of outputs and its handle on the plan.
    assert!(allocated <= 100 + 2, "a warm run allocated {allocated} times for 100 values");
    eprintln!("warm run of the 100-node chain: {allocated} allocations");
}
