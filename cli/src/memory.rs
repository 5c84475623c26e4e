//! `--max-memory`: the memory budget of a run, and the counting allocator
//! that lets the budget bound a whole working set, not one buffer at a time.
//!
//! Every big buffer of the pipeline and the readers is checked against
//! [`cellmap::MemoryBudget`] before it is allocated; with the bytes this
//! allocator counts as in use, a check refuses what would take the process
//! over the budget. Cost: one relaxed atomic add per allocation and free.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use cellmap::MemoryBudget;

/// The system allocator, counting the bytes live.
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

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract, forwarded.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(new_size as u64, Ordering::Relaxed);
            LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// `--max-memory 8G`: a size with a unit (K, M, G, T = powers of 1024;
/// kB, MB, GB, TB = powers of 1000), or bytes.
pub fn parse_max_memory(text: &str) -> Result<u64, String> {
    cellmap_io::limits::parse_size(text)
}

/// Sets the process-wide budget (`--max-memory`, or half of the memory
/// available) before any input is read.
pub fn init(max_memory: Option<u64>) {
    let budget = max_memory.map_or_else(MemoryBudget::machine_default, MemoryBudget::new);
    budget.with_hint("--max-memory").set_global();
    MemoryBudget::set_usage_probe(|| LIVE.load(Ordering::Relaxed));
}
