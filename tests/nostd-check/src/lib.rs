//! Calls every public kernel of `cellmap-core` and every public function of
//! `cellmap-sim` once so that the linker pulls them all into a bare-metal
//! staticlib. Built for `thumbv7em-none-eabihf` there is no global
//! allocator: if anything in the dependency graph uses `alloc`, this link
//! fails with "no global memory allocator found".
//!
//! One module per core topic, plus `sim` for the simulator; each `check`
//! returns a number derived from its results so the optimiser cannot drop
//! the calls.
#![cfg_attr(target_os = "none", no_std)]

#[cfg(target_os = "none")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}

mod assign;
mod cluster;
mod color;
mod evaluate;
mod graph;
mod heatmap;
mod labeling;
mod polygon;
mod regions;
mod segeval;
mod sim;
mod sparse;
mod stats;

/// Entry point for the link check: runs every topic's checks on `mask`.
#[unsafe(no_mangle)]
pub extern "C" fn nostd_check(mask: &[u8; 64]) -> u32 {
    assign::check(mask)
        .wrapping_add(cluster::check(mask))
        .wrapping_add(cluster::check_clustering(mask))
        .wrapping_add(polygon::check(mask))
        .wrapping_add(color::check(mask))
        .wrapping_add(labeling::check(mask))
        .wrapping_add(regions::check(mask))
        .wrapping_add(sim::check(mask))
        .wrapping_add(sparse::check(mask))
        .wrapping_add(stats::check(mask))
        .wrapping_add(segeval::check(mask))
        .wrapping_add(heatmap::check(mask))
        .wrapping_add(graph::check(mask))
        .wrapping_add(evaluate::check(mask))
}
