//! The only `unsafe` of the crate: turning the caller's pointers into
//! slices, after checking null, alignment, size and overlap.
//!
//! What cannot be checked is the C contract itself: a non-null pointer
//! with length `n` must point to `n` initialised elements that stay valid
//! (and, for outputs, unused by anyone else) for the duration of the call.

use core::mem::size_of;

use crate::status::{
    CELLMAP_ERR_DIMENSIONS_TOO_LARGE, CELLMAP_ERR_MISALIGNED, CELLMAP_ERR_NULL_POINTER, CELLMAP_ERR_OVERLAP,
    Failure,
};

/// The bytes `start..end` a buffer covers (`0..0` for an empty one), and
/// whether the call writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    start: usize,
    end: usize,
    written: bool,
}

impl Span {
    /// A buffer that is not there (an optional pointer that is null).
    pub(crate) const NONE: Span = Span { start: 0, end: 0, written: false };

    fn overlaps(&self, other: &Span) -> bool {
        (self.written || other.written) && self.start < other.end && other.start < self.end
    }
}

/// Checks `ptr` for `len` elements of `T`: not null unless `len == 0`,
/// aligned, and at most `isize::MAX` bytes that do not wrap.
pub(crate) fn span<T>(ptr: *const T, len: usize, written: bool) -> Result<Span, Failure> {
    if len == 0 {
        return Ok(Span::NONE);
    }
    if ptr.is_null() {
        return Err(Failure(CELLMAP_ERR_NULL_POINTER));
    }
    if !ptr.is_aligned() {
        return Err(Failure(CELLMAP_ERR_MISALIGNED));
    }
    let start = ptr as usize;
    let end = len
        .checked_mul(size_of::<T>())
        .filter(|&bytes| bytes <= isize::MAX as usize)
        .and_then(|bytes| start.checked_add(bytes))
        .ok_or(Failure(CELLMAP_ERR_DIMENSIONS_TOO_LARGE))?;
    Ok(Span { start, end, written })
}

/// Fails with [`CELLMAP_ERR_OVERLAP`] if a written buffer overlaps any
/// other one.
pub(crate) fn disjoint(spans: &[Span]) -> Result<(), Failure> {
    for (i, a) in spans.iter().enumerate() {
        if spans.iter().skip(i + 1).any(|b| a.overlaps(b)) {
            return Err(Failure(CELLMAP_ERR_OVERLAP));
        }
    }
    Ok(())
}

/// The caller's input buffer as a slice (checked as [`span`]).
///
/// # Safety
///
/// A non-null `ptr` must be valid for reads of `len` initialised `T`s,
/// not written by anyone during `'a`.
pub(crate) unsafe fn input<'a, T>(ptr: *const T, len: usize) -> Result<&'a [T], Failure> {
    span(ptr, len, false)?;
    if len == 0 {
        return Ok(&[]);
    }
    // SAFETY: non-null, aligned, at most isize::MAX bytes (checked above);
    // valid and initialised by the caller's contract.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// The caller's output buffer as a slice (checked as [`span`]).
///
/// # Safety
///
/// A non-null `ptr` must be valid for reads and writes of `len`
/// initialised `T`s, used by no one else during `'a`.
pub(crate) unsafe fn output<'a, T>(ptr: *mut T, len: usize) -> Result<&'a mut [T], Failure> {
    span(ptr, len, true)?;
    if len == 0 {
        return Ok(&mut []);
    }
    // SAFETY: as in `input`, and exclusive by the caller's contract (and
    // the `disjoint` check of every function).
    Ok(unsafe { core::slice::from_raw_parts_mut(ptr, len) })
}

/// An optional scalar output: `None` for a null pointer.
///
/// # Safety
///
/// A non-null `ptr` must be valid for writes of one `T`.
pub(crate) unsafe fn optional_out<'a, T>(ptr: *mut T) -> Result<Option<&'a mut T>, Failure> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: as `output` with one element.
    let slice = unsafe { output(ptr, 1)? };
    Ok(slice.first_mut())
}

/// The span of an optional scalar output (for [`disjoint`]).
pub(crate) fn optional_span<T>(ptr: *mut T) -> Result<Span, Failure> {
    if ptr.is_null() { Ok(Span::NONE) } else { span(ptr.cast_const(), 1, true) }
}

/// Clears `bytes` and views them as `bool`s (`false`), the mask type the
/// core writes.
pub(crate) fn zeroed_bools(bytes: &mut [u8]) -> &mut [bool] {
    bytes.fill(0);
    // SAFETY: `bool` has the size and alignment of `u8`, and every byte is
    // now 0, a valid `false`; the borrow of `bytes` moves into the result.
    unsafe { core::slice::from_raw_parts_mut(bytes.as_mut_ptr().cast::<bool>(), bytes.len()) }
}

/// Replaces each `A` of `items` by `convert(A)`, a `B` of the same size
/// and alignment (checked at compile time), in place: how the core's
/// per-cell tables become the C structs without a second buffer. Only for
/// types of plain numbers, where every bit pattern is a valid value.
pub(crate) fn convert_in_place<A: Copy, B: Copy>(items: &mut [A], convert: impl Fn(A) -> B) {
    const {
        assert!(size_of::<A>() == size_of::<B>() && core::mem::align_of::<A>() == core::mem::align_of::<B>());
    }
    for item in items {
        let converted = convert(*item);
        // SAFETY: `item` is valid for writes of `size_of::<A>()` bytes and
        // aligned for `A`, hence for `B` (same size and alignment).
        unsafe { core::ptr::from_mut(item).cast::<B>().write(converted) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_reject_null_misaligned_and_huge_buffers() {
        let words = [0u32; 4];
        assert_eq!(span(core::ptr::null::<u32>(), 0, false), Ok(Span::NONE));
        assert_eq!(span(core::ptr::null::<u32>(), 1, false), Err(Failure(CELLMAP_ERR_NULL_POINTER)));
        let odd = words.as_ptr().cast::<u8>().wrapping_add(1).cast::<u32>();
        assert_eq!(span(odd, 1, false), Err(Failure(CELLMAP_ERR_MISALIGNED)));
        assert_eq!(
            span(words.as_ptr(), usize::MAX / 2, false),
            Err(Failure(CELLMAP_ERR_DIMENSIONS_TOO_LARGE))
        );
    }

    #[test]
    fn written_buffers_must_not_overlap_anything() {
        let words = [0u32; 8];
        let p = words.as_ptr();
        let whole = |written| span(p, 8, written).unwrap();
        let tail = |written| span(p.wrapping_add(4), 4, written).unwrap();
        assert!(disjoint(&[whole(false), tail(false)]).is_ok()); // two inputs may share memory
        assert_eq!(disjoint(&[whole(false), tail(true)]), Err(Failure(CELLMAP_ERR_OVERLAP)));
        let head = span(p, 4, true).unwrap();
        assert!(disjoint(&[head, tail(true), Span::NONE]).is_ok());
    }
}
