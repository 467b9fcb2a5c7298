//! A counting global allocator for the "default build never allocates" tests.
//!
//! Include with `#[path = "common/alloc_guard.rs"] mod alloc_guard;`. It counts
//! allocations made on the *current thread* while a closure runs, so libtest's
//! own threads do not disturb the count, and a test fails when the count is
//! not zero.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static WATCHING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only bookkeeping is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // `try_with`: the thread-locals may already be gone during thread exit.
        let _ = WATCHING.try_with(|w| {
            if w.get() {
                let _ = COUNT.try_with(|c| c.set(c.get() + 1));
            }
        });
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Run `f` and return its result with the number of heap allocations it made
/// on this thread.
pub fn count_allocations<R>(f: impl FnOnce() -> R) -> (R, usize) {
    COUNT.with(|c| c.set(0));
    WATCHING.with(|w| w.set(true));
    let r = f();
    WATCHING.with(|w| w.set(false));
    (r, COUNT.with(|c| c.get()))
}

/// Run `f` and panic if it allocated.
pub fn assert_no_alloc<R>(what: &str, f: impl FnOnce() -> R) -> R {
    let (r, n) = count_allocations(f);
    assert_eq!(n, 0, "{what}: {n} heap allocation(s) in a no-alloc section");
    r
}

/// Prove the guard can fail: one deliberate allocation must be counted.
pub fn self_test() {
    let (_, n) = count_allocations(|| std::hint::black_box(vec![1u8; 3]));
    assert!(n >= 1, "the counting allocator did not see a deliberate allocation");
}
