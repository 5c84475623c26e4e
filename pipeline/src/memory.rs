//! Allocations that fail with a message instead of aborting — checked
//! against the [`MemoryBudget`] first — and numbers written the way people
//! read them.

use cellmap_io::MemoryBudget;

use crate::Error;

/// `1048576` → `"1,048,576"`.
///
/// ```
/// assert_eq!(cellmap::grouped(1_234_567), "1,234,567");
/// assert_eq!(cellmap::grouped(999), "999");
/// ```
pub fn grouped(n: usize) -> String {
    cellmap_io::grouped(n as u128)
}

/// `Ok` when `count` elements of `size` bytes fit in the process-wide
/// [`MemoryBudget`] (with what is in use), else an
/// [`crate::ErrorKind::OutOfMemory`] error: "`what` needs 32.8 GB, over the
/// memory budget of 11.5 GB". The one check every big buffer of the
/// pipeline passes before it is allocated; the size is computed without
/// overflow.
pub(crate) fn budget(what: impl FnOnce() -> String, count: u128, size: usize) -> Result<(), Error> {
    MemoryBudget::global().check_elements(what, count, size).map_err(|e| Error::out_of_memory(e.to_string()))
}

/// `len` copies of `value` in a new `Vec`, or an [`crate::ErrorKind::OutOfMemory`]
/// error naming `what` when it would not fit in the memory budget
/// ([`budget`]) or the memory cannot be had (instead of aborting).
pub(crate) fn filled<T: Clone>(len: usize, value: T, what: &str) -> Result<Vec<T>, Error> {
    budget(|| format!("{what} ({} × {} bytes)", grouped(len), size_of::<T>()), len as u128, size_of::<T>())?;
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| {
        Error::out_of_memory(format!(
            "not enough memory for {what} ({} elements of {} bytes)",
            grouped(len),
            size_of::<T>()
        ))
    })?;
    // Large buffers in 2 MB pages: far fewer page faults while `resize` writes them.
    cellmap_io::advise_huge_pages(v.spare_capacity_mut());
    v.resize(len, value);
    Ok(v)
}

/// Resizes `v` to `len` copies of `value` (keeping its allocation when it is
/// large enough), with the same error as [`filled`].
pub(crate) fn refill<T: Clone>(v: &mut Vec<T>, len: usize, value: T, what: &str) -> Result<(), Error> {
    v.clear();
    if v.capacity() < len {
        *v = filled(len, value, what)?;
    } else {
        v.resize(len, value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1_048_576), "1,048,576");
        assert_eq!(grouped(1_234_567_890), "1,234,567,890");
    }

    #[test]
    fn an_impossible_allocation_is_an_error() {
        let e = filled(usize::MAX / 2, 0u64, "the test buffer").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::OutOfMemory);
        assert!(e.to_string().contains("the test buffer"), "{e}");
        assert!(e.to_string().contains("over the memory budget of"), "{e}");
        // No overflow in the size computation either.
        let e = filled(usize::MAX, [0u64; 4], "the wide buffer").unwrap_err();
        assert!(e.to_string().starts_with("the wide buffer ("), "{e}");
    }

    #[test]
    fn refill_keeps_the_allocation() {
        let mut v = filled(8, 1u32, "v").unwrap();
        let ptr = v.as_ptr();
        refill(&mut v, 4, 7, "v").unwrap();
        assert_eq!((v.as_slice(), v.as_ptr()), (&[7, 7, 7, 7][..], ptr));
    }
}
