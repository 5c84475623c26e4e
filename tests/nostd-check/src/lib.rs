//! Calls every public kernel of `cellmap-core` once so that the linker pulls
//! them all into a bare-metal staticlib. Built for `thumbv7em-none-eabihf`
//! there is no global allocator: if anything in the dependency graph uses
//! `alloc`, this link fails with "no global memory allocator found".
#![cfg_attr(target_os = "none", no_std)]

#[cfg(target_os = "none")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}

use cellmap_core::{Grid, grid::max_label};

/// Entry point for the link check; the arguments keep the optimiser from
/// folding the calls away.
#[unsafe(no_mangle)]
pub extern "C" fn nostd_check(mask: &[u8; 64]) -> u32 {
    let Ok(grid) = Grid::new(8, 8, &mask[..]) else { return u32::MAX };
    match max_label(grid.as_slice(), 255) {
        Ok(n) => n as u32,
        Err(_) => u32::MAX,
    }
}
