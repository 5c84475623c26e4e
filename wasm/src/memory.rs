//! The memory budget of a browser tab: wasm32 addresses at most 4 GiB, so
//! data whose decoded size (with what is already allocated) would not fit
//! is refused before it is allocated, with a one-line message giving its
//! size and the limit, instead of failing half-way or trapping.
//!
//! A counting allocator tells the budget what is in use (wasm memory never
//! shrinks, so its size says how much was ever used, not what is free).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

use cellmap::MemoryBudget;

/// What one tab's wasm memory can hold: wasm32's whole address space.
const TAB_MEMORY: u64 = 4 << 30;

/// The system allocator (dlmalloc on wasm32), counting the bytes live
/// (`realloc` is the default: allocate, copy, free, all counted).
struct Counting;

static LIVE: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded to `System` unchanged; the counter is
// only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, forwarded.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as u64, Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, forwarded.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as u64, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Makes the tab's memory the process-wide budget, counting what is
/// allocated (once; every `Session` constructor calls it).
pub(crate) fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        MemoryBudget::new(TAB_MEMORY)
            .with_hint("a browser tab's wasm memory holds at most 4 GiB")
            .set_global();
        MemoryBudget::set_usage_probe(|| LIVE.load(Ordering::Relaxed));
    });
}
