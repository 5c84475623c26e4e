//! `--max-memory`: the memory budget of a run, and the counting allocator
//! that lets the budget bound a whole working set, not one buffer at a time.
//!
//! Every big buffer of the pipeline and the readers is checked against
//! [`cellmap::MemoryBudget`] before it is allocated; with the bytes this
//! allocator counts as in use, a check refuses what would take the process
//! over the budget. Cost: one relaxed atomic add per allocation and free.

use cellmap::{CountingAllocator, MemoryBudget};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

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
    MemoryBudget::set_usage_probe(CountingAllocator::live);
}
