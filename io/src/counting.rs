//! A counting global allocator: the front end's way to let the
//! [`MemoryBudget`](crate::MemoryBudget) bound a whole working set, not one
//! buffer at a time. Cost: one relaxed atomic add per allocation and free.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

/// The system allocator, counting the bytes live. A binary installs it and
/// registers the count as the budget's usage probe:
///
/// ```
/// use cellmap_io::{CountingAllocator, MemoryBudget};
/// #[global_allocator]
/// static GLOBAL: CountingAllocator = CountingAllocator;
/// MemoryBudget::set_usage_probe(CountingAllocator::live);
/// let buffer = vec![0u8; 1 << 20];
/// assert!(MemoryBudget::in_use() >= 1 << 20);
/// # drop(buffer);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAllocator;

static LIVE: AtomicU64 = AtomicU64::new(0);

impl CountingAllocator {
    /// Bytes allocated through this allocator and not yet freed.
    pub fn live() -> u64 {
        LIVE.load(Ordering::Relaxed)
    }
}

// SAFETY: every call is forwarded to `System` unchanged; the counter is
// only bookkeeping.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
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
