//! The memory budget of a browser tab: wasm32 addresses at most 4 GiB, so
//! data whose decoded size (with what is already allocated) would not fit
//! is refused before it is allocated, with a one-line message giving its
//! size and the limit, instead of failing half-way or trapping.
//!
//! A counting allocator tells the budget what is in use (wasm memory never
//! shrinks, so its size says how much was ever used, not what is free).

use std::sync::Once;

use cellmap::{CountingAllocator, MemoryBudget};

/// What one tab's wasm memory can hold: wasm32's whole address space.
const TAB_MEMORY: u64 = 4 << 30;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Makes the tab's memory the process-wide budget, counting what is
/// allocated (once; every `Session` constructor calls it).
pub(crate) fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        MemoryBudget::new(TAB_MEMORY)
            .with_hint("a browser tab's wasm memory holds at most 4 GiB")
            .set_global();
        MemoryBudget::set_usage_probe(CountingAllocator::live);
    });
}
