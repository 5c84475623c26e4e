//! Large decoded arrays ask Linux for transparent huge pages, as numpy does
//! for arrays of 4 MB and more (`madvise(MADV_HUGEPAGE)`).
//!
//! Measured on this project's 2-core machines (THP mode `madvise`, the
//! default): filling a fresh 100 MB buffer took 150–250 ms with 4 KB pages
//! and 33–42 ms with huge pages (page faults dominate), which is why
//! `np.load` of a large `.npy` was several times faster than a plain copy
//! into a new `Vec`. The one `unsafe` call of the crate lives here.

/// Arrays below this size are left alone (numpy's threshold).
const MIN_BYTES: usize = 4 << 20;
/// The huge page size on x86-64 and aarch64 (4 KB base pages).
#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 << 20;

/// A zeroed `Vec` of `count` elements whose pages the kernel may back with
/// huge pages (zeroing is lazy: `vec!` of zeros comes from fresh pages).
pub(crate) fn zeroed_vec<T: bytemuck::Pod>(count: usize) -> Vec<T> {
    let mut out = vec![T::zeroed(); count];
    let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut out);
    if bytes.len() >= MIN_BYTES {
        advise_bytes(bytes);
    }
    out
}

/// Asks for huge pages behind a `Vec`'s spare capacity (from
/// `Vec::spare_capacity_mut`, before it is first written) when it spans
/// at least 4 MB: large buffers are then faulted in 2 MB at a time instead
/// of 4 KB (about 500 times fewer page faults). A no-op elsewhere than on
/// Linux, and for small buffers; the contents are not touched.
///
/// ```
/// let mut v: Vec<u32> = Vec::with_capacity(2 << 20);
/// cellmap_io::advise_huge_pages(v.spare_capacity_mut());
/// v.resize(2 << 20, 0);
/// assert!(v.iter().all(|&x| x == 0));
/// ```
pub fn advise_huge_pages<T>(spare: &mut [std::mem::MaybeUninit<T>]) {
    let len = std::mem::size_of_val(spare);
    if len >= MIN_BYTES {
        advise_range(spare.as_mut_ptr() as usize, len);
    }
}

fn advise_bytes(bytes: &mut [u8]) {
    advise_range(bytes.as_mut_ptr() as usize, bytes.len());
}

/// `madvise(MADV_HUGEPAGE)` on the whole huge pages inside `[first, first + len)`,
/// a range the caller borrows exclusively.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn advise_range(first: usize, len: usize) {
    let start = first.next_multiple_of(HUGE_PAGE);
    let end = (first + len) & !(HUGE_PAGE - 1);
    if end > start {
        // SAFETY: `[start, end)` lies inside the caller's exclusively
        // borrowed buffer, so no other reference observes it. MADV_HUGEPAGE only
        // changes how the kernel backs these pages, never their contents;
        // a failure (e.g. THP disabled) leaves them as they were, so the
        // result is deliberately ignored.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_range(_first: usize, _len: usize) {}

#[cfg(test)]
mod tests {
    #[test]
    fn large_and_small_buffers_are_zeroed() {
        assert!(super::zeroed_vec::<f32>(3 << 20).iter().all(|&v| v == 0.0));
        assert_eq!(super::zeroed_vec::<u8>(5), vec![0; 5]);
        assert!(super::zeroed_vec::<u64>(0).is_empty());
    }
}
