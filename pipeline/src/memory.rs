//! Allocations that fail with a message instead of aborting, and numbers
//! written the way people read them.

use crate::Error;

/// `1048576` → `"1,048,576"`.
///
/// ```
/// assert_eq!(cellmap::grouped(1_234_567), "1,234,567");
/// assert_eq!(cellmap::grouped(999), "999");
/// ```
pub fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `len` copies of `value` in a new `Vec`, or an [`crate::ErrorKind::OutOfMemory`]
/// error naming `what` when the memory cannot be had (instead of aborting).
pub(crate) fn filled<T: Clone>(len: usize, value: T, what: &str) -> Result<Vec<T>, Error> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| {
        Error::out_of_memory(format!(
            "not enough memory for {what} ({} elements of {} bytes)",
            grouped(len),
            size_of::<T>()
        ))
    })?;
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
    }

    #[test]
    fn refill_keeps_the_allocation() {
        let mut v = filled(8, 1u32, "v").unwrap();
        let ptr = v.as_ptr();
        refill(&mut v, 4, 7, "v").unwrap();
        assert_eq!((v.as_slice(), v.as_ptr()), (&[7, 7, 7, 7][..], ptr));
    }
}
