//! Exact samplers on top of [`Xoshiro256StarStar`], each a published
//! algorithm written out with `libm` for every transcendental function (so
//! results are bit-identical on x86, wasm32 and thumbv7em):
//!
//! | distribution | algorithm |
//! |---|---|
//! | uniform `[0, 1)` | top 53 bits × 2⁻⁵³ |
//! | normal | Marsaglia polar method (Marsaglia & Bray 1964); the second value of each pair is discarded so every draw is stateless |
//! | gamma(shape k, scale θ) | Marsaglia & Tsang (2000); for k < 1, `gamma(k + 1) · U^(1/k)` |
//! | Poisson(λ) | λ < 10: inversion by sequential search; λ ≥ 10: PTRS, Hörmann (1993) "The transformed rejection method for generating Poisson random variables" (the algorithm numpy uses) |
//! | negative binomial(mean μ, shape r) | gamma–Poisson mixture: `Poisson(G)`, `G ~ gamma(r, μ/r)`; mean μ, variance μ + μ²/r |
//! | Bernoulli(p) | `U < p` |
//!
//! The public functions validate their parameters and return
//! [`Error::InvalidArgument`] for NaN, negative or out-of-range values.

use crate::rng::Xoshiro256StarStar;
use cellmap_core::Error;

/// Largest Poisson mean accepted (the count must fit a `u64` comfortably).
///
/// ```
/// use cellmap_sim::{samplers::{poisson, MAX_POISSON_MEAN}, Xoshiro256StarStar};
/// let mut rng = Xoshiro256StarStar::seed_from_u64(0);
/// assert!(poisson(&mut rng, MAX_POISSON_MEAN * 2.0).is_err());
/// ```
pub const MAX_POISSON_MEAN: f64 = 1e15;

/// PTRS is used from this mean on; below it, inversion.
const PTRS_THRESHOLD: f64 = 10.0;

/// A uniform `f64` in `[0, 1)`.
///
/// ```
/// use cellmap_sim::{Xoshiro256StarStar, samplers::uniform};
/// let mut rng = Xoshiro256StarStar::seed_from_u64(1);
/// assert!((0..1000).map(|_| uniform(&mut rng)).all(|u| (0.0..1.0).contains(&u)));
/// ```
#[inline]
pub fn uniform(rng: &mut Xoshiro256StarStar) -> f64 {
    rng.next_f64()
}

/// A standard normal draw (Marsaglia polar method).
///
/// ```
/// use cellmap_sim::{Xoshiro256StarStar, samplers::standard_normal};
/// let mut rng = Xoshiro256StarStar::seed_from_u64(1);
/// let mean = (0..10_000).map(|_| standard_normal(&mut rng)).sum::<f64>() / 10_000.0;
/// assert!(mean.abs() < 0.05); // sd of the mean is 0.01
/// ```
pub fn standard_normal(rng: &mut Xoshiro256StarStar) -> f64 {
    loop {
        let u = 2.0 * rng.next_f64() - 1.0;
        let v = 2.0 * rng.next_f64() - 1.0;
        let s = u * u + v * v;
        if s > 0.0 && s < 1.0 {
            return u * libm::sqrt(-2.0 * libm::log(s) / s);
        }
    }
}

/// A normal draw with mean `mean` and standard deviation `sd >= 0`.
///
/// ```
/// use cellmap_sim::{Xoshiro256StarStar, samplers::normal};
/// let mut rng = Xoshiro256StarStar::seed_from_u64(1);
/// assert_eq!(normal(&mut rng, 3.0, 0.0)?, 3.0);
/// assert!(normal(&mut rng, 0.0, -1.0).is_err());
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn normal(rng: &mut Xoshiro256StarStar, mean: f64, sd: f64) -> Result<f64, Error> {
    if !mean.is_finite() || !sd.is_finite() || sd < 0.0 {
        return Err(Error::InvalidArgument("normal: mean must be finite and sd finite and >= 0"));
    }
    Ok(mean + sd * standard_normal(rng))
}

/// A gamma draw with shape `k > 0` and scale `θ > 0` (mean kθ, variance kθ²),
/// by Marsaglia & Tsang's squeeze method.
///
/// ```
/// use cellmap_sim::{Xoshiro256StarStar, samplers::gamma};
/// let mut rng = Xoshiro256StarStar::seed_from_u64(1);
/// let g = gamma(&mut rng, 2.0, 3.0)?;
/// assert!(g > 0.0);
/// assert!(gamma(&mut rng, 0.0, 1.0).is_err());
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn gamma(rng: &mut Xoshiro256StarStar, shape: f64, scale: f64) -> Result<f64, Error> {
    if !(shape > 0.0 && shape.is_finite() && scale > 0.0 && scale.is_finite()) {
        return Err(Error::InvalidArgument("gamma: shape and scale must be finite and > 0"));
    }
    Ok(gamma_unchecked(rng, shape) * scale)
}

/// Gamma(shape, 1) for a finite `shape > 0`.
pub(crate) fn gamma_unchecked(rng: &mut Xoshiro256StarStar, shape: f64) -> f64 {
    if shape < 1.0 {
        let boosted = gamma_unchecked(rng, shape + 1.0);
        return boosted * libm::pow(rng.next_f64_open(), 1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / libm::sqrt(9.0 * d);
    loop {
        let x = standard_normal(rng);
        let t = 1.0 + c * x;
        if t <= 0.0 {
            continue;
        }
        let v = t * t * t;
        let u = rng.next_f64_open();
        let x2 = x * x;
        if u < 1.0 - 0.0331 * x2 * x2 {
            return d * v;
        }
        if libm::log(u) < 0.5 * x2 + d * (1.0 - v + libm::log(v)) {
            return d * v;
        }
    }
}

/// A Poisson draw with mean `0 <= λ <=` [`MAX_POISSON_MEAN`]: inversion for
/// λ < 10, PTRS (transformed rejection with squeeze) above.
///
/// ```
/// use cellmap_sim::{Xoshiro256StarStar, samplers::poisson};
/// let mut rng = Xoshiro256StarStar::seed_from_u64(1);
/// assert_eq!(poisson(&mut rng, 0.0)?, 0);
/// let big = poisson(&mut rng, 1e6)?;
/// assert!(big.abs_diff(1_000_000) < 10_000); // 10 sd
/// assert!(poisson(&mut rng, f64::NAN).is_err());
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn poisson(rng: &mut Xoshiro256StarStar, lambda: f64) -> Result<u64, Error> {
    if !(0.0..=MAX_POISSON_MEAN).contains(&lambda) {
        return Err(Error::InvalidArgument("poisson: mean must be in 0..=1e15"));
    }
    Ok(poisson_unchecked(rng, lambda))
}

/// Poisson for `0 <= lambda <= MAX_POISSON_MEAN` (not NaN).
pub(crate) fn poisson_unchecked(rng: &mut Xoshiro256StarStar, lambda: f64) -> u64 {
    if lambda <= 0.0 {
        0
    } else if lambda < PTRS_THRESHOLD {
        poisson_inversion(rng.next_f64(), libm::exp(-lambda), lambda)
    } else {
        poisson_ptrs(rng, lambda)
    }
}

/// Smallest `k` with `u < P(X <= k)` for `X ~ Poisson(λ)`, `p0 = e^{-λ}`.
/// Stops when the terms underflow, so it always terminates.
#[inline]
pub(crate) fn poisson_inversion(u: f64, p0: f64, lambda: f64) -> u64 {
    let mut k = 0u64;
    let mut p = p0;
    let mut cdf = p0;
    while u >= cdf && p > 0.0 {
        k += 1;
        p *= lambda / k as f64;
        cdf += p;
    }
    k
}

fn poisson_ptrs(rng: &mut Xoshiro256StarStar, lambda: f64) -> u64 {
    let slam = libm::sqrt(lambda);
    let loglam = libm::log(lambda);
    let b = 0.931 + 2.53 * slam;
    let a = -0.059 + 0.02483 * b;
    let invalpha = 1.1239 + 1.1328 / (b - 3.4);
    let vr = 0.9277 - 3.6224 / (b - 2.0);
    loop {
        let u = rng.next_f64() - 0.5;
        let v = rng.next_f64();
        let us = 0.5 - libm::fabs(u);
        let k = libm::floor((2.0 * a / us + b) * u + lambda + 0.43);
        if us >= 0.07 && v <= vr {
            return k as u64;
        }
        if k < 0.0 || (us < 0.013 && v > us) {
            continue;
        }
        let lhs = libm::log(v) + libm::log(invalpha) - libm::log(a / (us * us) + b);
        if lhs <= -lambda + k * loglam - libm::lgamma(k + 1.0) {
            return k as u64;
        }
    }
}

/// A negative-binomial draw with mean `μ >= 0` and shape `r > 0`
/// (variance μ + μ²/r), as the gamma–Poisson mixture `Poisson(G)`,
/// `G ~ gamma(r, μ/r)`. This is numpy's `negative_binomial(r, r/(μ+r))`,
/// the NSF simulation's count model.
///
/// ```
/// use cellmap_sim::{Xoshiro256StarStar, samplers::negative_binomial};
/// let mut rng = Xoshiro256StarStar::seed_from_u64(1);
/// assert_eq!(negative_binomial(&mut rng, 0.0, 10.0)?, 0);
/// let n = 20_000;
/// let mean = (0..n).map(|_| negative_binomial(&mut rng, 20.0, 10.0).unwrap()).sum::<u64>() as f64 / n as f64;
/// assert!((mean - 20.0).abs() < 0.15); // sd of the mean: sqrt(60 / 20000) ≈ 0.055
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn negative_binomial(rng: &mut Xoshiro256StarStar, mean: f64, shape: f64) -> Result<u64, Error> {
    if !(0.0..=MAX_POISSON_MEAN).contains(&mean) {
        return Err(Error::InvalidArgument("negative_binomial: mean must be in 0..=1e15"));
    }
    if !(shape > 0.0 && shape.is_finite()) {
        return Err(Error::InvalidArgument("negative_binomial: shape must be finite and > 0"));
    }
    Ok(negative_binomial_unchecked(rng, mean, shape))
}

/// Negative binomial for validated parameters.
pub(crate) fn negative_binomial_unchecked(rng: &mut Xoshiro256StarStar, mean: f64, shape: f64) -> u64 {
    if mean <= 0.0 {
        return 0;
    }
    let rate = gamma_unchecked(rng, shape) * (mean / shape);
    poisson_unchecked(rng, rate.min(MAX_POISSON_MEAN))
}

/// A Bernoulli draw: `true` with probability `p ∈ [0, 1]` (used for
/// dropout and for the non-spatial factors).
///
/// ```
/// use cellmap_sim::{Xoshiro256StarStar, samplers::bernoulli};
/// let mut rng = Xoshiro256StarStar::seed_from_u64(1);
/// assert!(!bernoulli(&mut rng, 0.0)?);
/// assert!(bernoulli(&mut rng, 1.0)?);
/// assert!(bernoulli(&mut rng, 1.5).is_err());
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn bernoulli(rng: &mut Xoshiro256StarStar, p: f64) -> Result<bool, Error> {
    if !(0.0..=1.0).contains(&p) {
        return Err(Error::InvalidArgument("bernoulli: p must be in [0, 1]"));
    }
    Ok(rng.next_f64() < p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// Sample mean and (unbiased) variance.
    fn moments(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
        (mean, var)
    }

    /// Checks sample mean and variance against the truth with tolerances of
    /// 5 standard errors: se(mean) = sqrt(σ²/n), se(var) = sqrt((μ4 − σ⁴)/n)
    /// with the distribution's true fourth central moment μ4.
    fn assert_moments(xs: &[f64], mean: f64, var: f64, mu4: f64) {
        let n = xs.len() as f64;
        let (m, v) = moments(xs);
        let se_mean = (var / n).sqrt();
        let se_var = ((mu4 - var * var) / n).sqrt();
        assert!((m - mean).abs() < 5.0 * se_mean, "mean {m} vs {mean} (se {se_mean})");
        assert!((v - var).abs() < 5.0 * se_var, "var {v} vs {var} (se {se_var})");
    }

    const N: usize = 200_000;

    #[test]
    fn negative_binomial_mean_and_variance_match_lambda_and_lambda_plus_lambda_squared_over_shape() {
        let r = 10.0;
        for (i, &mu) in [0.2f64, 3.0, 20.2, 55.0].iter().enumerate() {
            let mut rng = Xoshiro256StarStar::stream(11, 0, i as u64);
            let xs: Vec<f64> = (0..N).map(|_| negative_binomial(&mut rng, mu, r).unwrap() as f64).collect();
            // NB(mean μ, shape r) with p = r/(r+μ): σ² = μ + μ²/r and
            // μ4 = κ4 + 3σ⁴ with the cumulant κ4 = r(1−p)(p² − 6p + 6)/p⁴.
            let p = r / (r + mu);
            let var = mu + mu * mu / r;
            let mu4 = r * (1.0 - p) * (p * p - 6.0 * p + 6.0) / p.powi(4) + 3.0 * var * var;
            assert_moments(&xs, mu, var, mu4);
        }
    }

    #[test]
    fn poisson_mean_and_variance_match_lambda_on_both_algorithms() {
        for (i, &lambda) in [0.05f64, 1.0, 9.99, 10.0, 37.5, 1000.0].iter().enumerate() {
            let mut rng = Xoshiro256StarStar::stream(12, 0, i as u64);
            let xs: Vec<f64> = (0..N).map(|_| poisson(&mut rng, lambda).unwrap() as f64).collect();
            // Poisson: κ2 = κ4 = λ, so μ4 = λ + 3λ².
            assert_moments(&xs, lambda, lambda, lambda + 3.0 * lambda * lambda);
        }
    }

    #[test]
    fn poisson_small_probabilities_match_the_pmf() {
        // P(X = 0) = e^{-λ}: a direct check of the inversion branch.
        let lambda = 2.0;
        let mut rng = Xoshiro256StarStar::seed_from_u64(13);
        let zeros = (0..N).filter(|_| poisson(&mut rng, lambda).unwrap() == 0).count() as f64;
        let p = (-lambda).exp();
        let se = (p * (1.0 - p) * N as f64).sqrt();
        assert!((zeros - p * N as f64).abs() < 5.0 * se);
    }

    #[test]
    fn gamma_mean_and_variance_match_shape_and_scale() {
        for (i, &(k, theta)) in [(0.3f64, 2.0f64), (1.0, 1.0), (10.0, 0.1), (250.0, 4.0)].iter().enumerate() {
            let mut rng = Xoshiro256StarStar::stream(14, 0, i as u64);
            let xs: Vec<f64> = (0..N).map(|_| gamma(&mut rng, k, theta).unwrap()).collect();
            // Gamma: κ2 = kθ², κ4 = 6kθ⁴, μ4 = κ4 + 3κ2².
            let var = k * theta * theta;
            let mu4 = 6.0 * k * theta.powi(4) + 3.0 * var * var;
            assert_moments(&xs, k * theta, var, mu4);
        }
    }

    #[test]
    fn normal_mean_and_variance_match() {
        let mut rng = Xoshiro256StarStar::seed_from_u64(15);
        let xs: Vec<f64> = (0..N).map(|_| normal(&mut rng, 1.5, 2.0).unwrap()).collect();
        assert_moments(&xs, 1.5, 4.0, 3.0 * 16.0);
    }

    #[test]
    fn bernoulli_rate_matches_p() {
        let mut rng = Xoshiro256StarStar::seed_from_u64(16);
        let p = 0.2;
        let hits = (0..N).filter(|_| bernoulli(&mut rng, p).unwrap()).count() as f64;
        let se = (p * (1.0 - p) * N as f64).sqrt();
        assert!((hits - p * N as f64).abs() < 5.0 * se);
    }

    #[test]
    fn invalid_parameters_are_errors_not_panics() {
        let mut rng = Xoshiro256StarStar::seed_from_u64(17);
        assert!(poisson(&mut rng, -1.0).is_err());
        assert!(poisson(&mut rng, f64::INFINITY).is_err());
        assert!(gamma(&mut rng, f64::NAN, 1.0).is_err());
        assert!(gamma(&mut rng, 1.0, 0.0).is_err());
        assert!(negative_binomial(&mut rng, 1.0, 0.0).is_err());
        assert!(negative_binomial(&mut rng, f64::NAN, 1.0).is_err());
        assert!(bernoulli(&mut rng, f64::NAN).is_err());
        assert!(normal(&mut rng, f64::NAN, 1.0).is_err());
        assert!(poisson(&mut rng, MAX_POISSON_MEAN).is_ok());
        assert!(negative_binomial(&mut rng, MAX_POISSON_MEAN, 0.01).is_ok());
    }

    #[test]
    fn inversion_terminates_when_u_is_just_below_one() {
        let u = 1.0 - f64::EPSILON / 2.0;
        let k = poisson_inversion(u, (-9.9f64).exp(), 9.9);
        assert!(k > 20 && k < 400);
    }
}
