//! A session's per-frame work — a gene switch, a statistic change, a repaint, the sum of several
//! genes — allocates nothing once the session is set up (counted by a wrapping global allocator).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use cellmap::{ColorScale, Colormap, Range, Session, Stat};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Tests run on parallel threads: one measurement at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn allocations_during(f: impl FnOnce()) -> usize {
    let _one_at_a_time = SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    f();
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

#[test]
fn gene_switches_and_repaints_allocate_nothing() {
    let mut session = Session::demo(3, 160, 120).unwrap();
    let percentile = ColorScale {
        colormap: Colormap::Magma,
        range: Range::Percentile { low: 1.0, high: 99.0 },
        log1p: true,
    };
    // first frame: buffers grow to their size
    session.compute(&[0, 1, 2], Stat::Mean).unwrap();
    session.paint(&percentile, true).unwrap();
    let frames = allocations_during(|| {
        for gene in 0..session.n_genes() {
            for stat in Stat::ALL {
                session.compute(&[gene], stat).unwrap();
                session.paint(&ColorScale::default(), true).unwrap();
                session.paint(&percentile, false).unwrap();
            }
        }
        session.compute(&[4, 9, 11], Stat::Sum).unwrap();
        session.paint(&ColorScale { colormap: Colormap::Gray, ..ColorScale::default() }, false).unwrap();
    });
    assert_eq!(frames, 0, "per-frame work allocated");
}

#[test]
fn the_counter_sees_an_allocation() {
    let n = allocations_during(|| drop(std::hint::black_box(vec![1u8; 64])));
    assert!(n >= 1);
}
