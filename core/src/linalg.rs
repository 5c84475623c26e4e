//! Small dense linear algebra over caller buffers: the symmetric
//! eigen-decomposition behind exact PCA, and numpy's pairwise summation.
//!
//! The eigen-decomposition is the classic Householder tridiagonalisation
//! followed by the implicit QL algorithm (EISPACK `tred2` / `tql2`, as in
//! JAMA), written here rather than taken from a crate because the core is
//! `no_std` without an allocator and the crates of the field (nalgebra,
//! faer) allocate their dynamic matrices.

use crate::Error;
use crate::error::ensure_len;

/// Sum of `values` in numpy's order (`pairwise_sum` of
/// `numpy/_core/src/umath/loops_utils.h`): plain below 8 elements, eight
/// interleaved partial sums up to 128, halves (rounded down to a multiple
/// of 8) above. `np.sum` of a contiguous float64 row gives the same bits.
///
/// ```
/// use cellmap_core::linalg::pairwise_sum;
/// let v: Vec<f64> = (0..1000).map(|i| 1.0 / (1.0 + i as f64)).collect();
/// assert!((pairwise_sum(&v) - v.iter().sum::<f64>()).abs() < 1e-12);
/// ```
pub fn pairwise_sum(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 8 {
        // numpy starts from -0.0 so that an all -0.0 row sums to -0.0.
        values.iter().fold(-0.0, |acc, v| acc + v)
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&values[..8]);
        let mut i = 8;
        while i + 8 <= n {
            for (acc, v) in r.iter_mut().zip(&values[i..i + 8]) {
                *acc += v;
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for v in &values[i..] {
            res += v;
        }
        res
    } else {
        let mut half = n / 2;
        half -= half % 8;
        pairwise_sum(&values[..half]) + pairwise_sum(&values[half..])
    }
}

/// Scratch (`f64` elements) that [`symmetric_eigen`] needs for an `n × n`
/// matrix: `n` (the off-diagonal). Saturates for impossible sizes.
///
/// ```
/// assert_eq!(cellmap_core::linalg::symmetric_eigen_scratch_len(5), 5);
/// ```
pub const fn symmetric_eigen_scratch_len(n: usize) -> usize {
    n
}

/// Eigen-decomposition of the symmetric `n × n` row-major matrix `a`
/// (only the lower triangle is read): on return `a` holds the eigenvectors
/// as **columns** (`a[i * n + j]` = component `i` of vector `j`) and
/// `values` the eigenvalues in ascending order.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] if `a` is not `n × n`,
/// [`Error::BufferTooSmall`] for short `values` / `scratch`, and
/// [`Error::InvalidArgument`] for non-finite entries or if the QL
/// iteration does not converge (30 iterations per eigenvalue, as EISPACK).
///
/// ```
/// use cellmap_core::linalg::symmetric_eigen;
/// let mut a = [2.0, 1.0, 1.0, 2.0];
/// let mut values = [0.0; 2];
/// symmetric_eigen(&mut a, 2, &mut values, &mut [0.0; 2]).unwrap();
/// assert!((values[0] - 1.0).abs() < 1e-12 && (values[1] - 3.0).abs() < 1e-12);
/// assert!((a[1].abs() - 0.5f64.sqrt()).abs() < 1e-12); // vector of 3 is (1, 1)/√2
/// ```
pub fn symmetric_eigen(
    a: &mut [f64],
    n: usize,
    values: &mut [f64],
    scratch: &mut [f64],
) -> Result<(), Error> {
    let nn = n.checked_mul(n).ok_or(Error::InvalidArgument("eigen: matrix too large"))?;
    if a.len() != nn {
        return Err(Error::ShapeMismatch { expected: nn, got: a.len() });
    }
    ensure_len("values", values, n)?;
    ensure_len("scratch", scratch, n)?;
    if a.iter().any(|v| !v.is_finite()) {
        return Err(Error::InvalidArgument("eigen: matrix has non-finite entries"));
    }
    if n == 0 {
        return Ok(());
    }
    let d = &mut values[..n];
    let e = &mut scratch[..n];
    // Symmetrise from the lower triangle.
    for i in 0..n {
        for j in 0..i {
            a[j * n + i] = a[i * n + j];
        }
    }
    tred2(a, n, d, e);
    tql2(a, n, d, e)
}

/// Householder reduction to tridiagonal form (JAMA `tred2`).
fn tred2(v: &mut [f64], n: usize, d: &mut [f64], e: &mut [f64]) {
    let at = |i: usize, j: usize| i * n + j;
    for j in 0..n {
        d[j] = v[at(n - 1, j)];
    }
    for i in (1..n).rev() {
        let mut scale = 0.0;
        let mut h = 0.0;
        for dk in d.iter().take(i) {
            scale += dk.abs();
        }
        if scale == 0.0 {
            e[i] = d[i - 1];
            for j in 0..i {
                d[j] = v[at(i - 1, j)];
                v[at(i, j)] = 0.0;
                v[at(j, i)] = 0.0;
            }
        } else {
            for dk in d.iter_mut().take(i) {
                *dk /= scale;
                h += *dk * *dk;
            }
            let mut f = d[i - 1];
            let mut g = libm::sqrt(h);
            if f > 0.0 {
                g = -g;
            }
            e[i] = scale * g;
            h -= f * g;
            d[i - 1] = f - g;
            for ej in e.iter_mut().take(i) {
                *ej = 0.0;
            }
            for j in 0..i {
                f = d[j];
                v[at(j, i)] = f;
                g = e[j] + v[at(j, j)] * f;
                for k in j + 1..i {
                    g += v[at(k, j)] * d[k];
                    e[k] += v[at(k, j)] * f;
                }
                e[j] = g;
            }
            f = 0.0;
            for j in 0..i {
                e[j] /= h;
                f += e[j] * d[j];
            }
            let hh = f / (h + h);
            for j in 0..i {
                e[j] -= hh * d[j];
            }
            for j in 0..i {
                f = d[j];
                g = e[j];
                for k in j..i {
                    v[at(k, j)] -= f * e[k] + g * d[k];
                }
                d[j] = v[at(i - 1, j)];
                v[at(i, j)] = 0.0;
            }
        }
        d[i] = h;
    }
    // Accumulate the transformations.
    for i in 0..n - 1 {
        v[at(n - 1, i)] = v[at(i, i)];
        v[at(i, i)] = 1.0;
        let h = d[i + 1];
        if h != 0.0 {
            for k in 0..=i {
                d[k] = v[at(k, i + 1)] / h;
            }
            for j in 0..=i {
                let mut g = 0.0;
                for k in 0..=i {
                    g += v[at(k, i + 1)] * v[at(k, j)];
                }
                for k in 0..=i {
                    v[at(k, j)] -= g * d[k];
                }
            }
        }
        for k in 0..=i {
            v[at(k, i + 1)] = 0.0;
        }
    }
    for j in 0..n {
        d[j] = v[at(n - 1, j)];
        v[at(n - 1, j)] = 0.0;
    }
    v[at(n - 1, n - 1)] = 1.0;
    e[0] = 0.0;
}

/// Implicit QL on the tridiagonal form, then ascending sort (JAMA `tql2`).
fn tql2(v: &mut [f64], n: usize, d: &mut [f64], e: &mut [f64]) -> Result<(), Error> {
    let at = |i: usize, j: usize| i * n + j;
    for i in 1..n {
        e[i - 1] = e[i];
    }
    e[n - 1] = 0.0;
    let mut f = 0.0f64;
    let mut tst1 = 0.0f64;
    let eps = f64::EPSILON;
    for l in 0..n {
        tst1 = tst1.max(d[l].abs() + e[l].abs());
        let mut m = l;
        while m < n - 1 && e[m].abs() > eps * tst1 {
            m += 1;
        }
        if m > l {
            let mut iterations = 0;
            loop {
                iterations += 1;
                if iterations > 30 {
                    return Err(Error::InvalidArgument("eigen: QL iteration did not converge"));
                }
                let mut g = d[l];
                let mut p = (d[l + 1] - g) / (2.0 * e[l]);
                let mut r = libm::hypot(p, 1.0);
                if p < 0.0 {
                    r = -r;
                }
                d[l] = e[l] / (p + r);
                d[l + 1] = e[l] * (p + r);
                let dl1 = d[l + 1];
                let mut h = g - d[l];
                for di in d.iter_mut().take(n).skip(l + 2) {
                    *di -= h;
                }
                f += h;
                p = d[m];
                let mut c = 1.0;
                let mut c2 = c;
                let mut c3 = c;
                let el1 = e[l + 1];
                let mut s = 0.0;
                let mut s2 = 0.0;
                for i in (l..m).rev() {
                    c3 = c2;
                    c2 = c;
                    s2 = s;
                    g = c * e[i];
                    h = c * p;
                    r = libm::hypot(p, e[i]);
                    e[i + 1] = s * r;
                    s = e[i] / r;
                    c = p / r;
                    p = c * d[i] - s * g;
                    d[i + 1] = h + s * (c * g + s * d[i]);
                    for k in 0..n {
                        h = v[at(k, i + 1)];
                        v[at(k, i + 1)] = s * v[at(k, i)] + c * h;
                        v[at(k, i)] = c * v[at(k, i)] - s * h;
                    }
                }
                p = -s * s2 * c3 * el1 * e[l] / dl1;
                e[l] = s * p;
                d[l] = c * p;
                if e[l].abs() <= eps * tst1 {
                    break;
                }
            }
        }
        d[l] += f;
        e[l] = 0.0;
    }
    // Ascending order, vectors alongside.
    for i in 0..n.saturating_sub(1) {
        let mut k = i;
        let mut p = d[i];
        for (j, dj) in d.iter().enumerate().skip(i + 1) {
            if *dj < p {
                k = j;
                p = *dj;
            }
        }
        if k != i {
            d[k] = d[i];
            d[i] = p;
            for row in 0..n {
                v.swap(at(row, i), at(row, k));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec;
    use std::vec::Vec;

    proptest! {
        #[test]
        fn eigenpairs_satisfy_a_v_equals_lambda_v(n in 1usize..9, seed in proptest::collection::vec(-5.0f64..5.0, 81)) {
            let mut a = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..=i {
                    a[i * n + j] = seed[i * 9 + j];
                    a[j * n + i] = seed[i * 9 + j];
                }
            }
            let orig = a.clone();
            let mut values = vec![0.0; n];
            symmetric_eigen(&mut a, n, &mut values, &mut vec![0.0; n]).unwrap();
            for j in 0..n {
                for i in 0..n {
                    let av: f64 = (0..n).map(|k| orig[i * n + k] * a[k * n + j]).sum();
                    prop_assert!((av - values[j] * a[i * n + j]).abs() < 1e-9);
                }
                if j > 0 {
                    prop_assert!(values[j - 1] <= values[j]);
                }
            }
        }

        #[test]
        fn pairwise_sum_is_close_to_the_plain_sum(v in proptest::collection::vec(-1e3f64..1e3, 0..600)) {
            let plain: f64 = v.iter().sum();
            let scale: f64 = v.iter().map(|x| x.abs()).sum::<f64>() + 1.0;
            prop_assert!((pairwise_sum(&v) - plain).abs() <= 1e-12 * scale);
        }
    }

    #[test]
    fn pairwise_sum_follows_numpys_blocking() {
        // 1e16 + 1 + ... depends on the order; numpy sums 8 lanes then halves.
        let mut v: Vec<f64> = vec![1.0; 200];
        v[0] = 1e16;
        // numpy: np.sum([1e16] + [1.0] * 199) == 1.0000000000000188e16
        assert_eq!(pairwise_sum(&v), 1.0000000000000188e16);
    }
}
