//! Transcript location heatmaps as GeneSegNet renders its "location map"
//! (`gen_pose_target`): a Gaussian bump of peak 1 per transcript pixel,
//! `exp(−d² / (2σ²))` with σ = 7 px, exactly 0 where the exponent
//! `d² / 2 / σ / σ` exceeds 4.6052 (≈ ln 100, so every value is 0 or in
//! [0.01, 1]); bumps combined by pixel-wise maximum (GeneSegNet) or summed.
//!
//! Transcripts are integer pixels `[column, row]`, so a bump only takes
//! the values at integer squared distances `d² = 0..=d²_max`: the kernel
//! evaluates them once into a caller table ([`heatmap_scratch_len`]), each
//! as `exp` in `f64` rounded to `f32` (GeneSegNet computes in `float32` on
//! torch; the two agree within one `f32` ulp, and exactly on the cut). The
//! exponent is computed in GeneSegNet's order: `((d² / 2) / σ) / σ`.

use crate::Error;

/// GeneSegNet's σ in pixels.
pub const GENESEGNET_SIGMA: f64 = 7.0;

/// GeneSegNet's cut on the exponent `d²/(2σ²)` (≈ ln 100).
pub const GENESEGNET_CUTOFF: f64 = 4.6052;

/// How bumps of several transcripts combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Combine {
    /// Pixel-wise maximum (GeneSegNet): the map stays in [0, 1].
    #[default]
    Max,
    /// Sum of the bumps in transcript order (`f32` additions): a density.
    Sum,
}

/// The Gaussian bump of one transcript.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Bump {
    /// Standard deviation in pixels (> 0).
    pub sigma: f64,
    /// The bump is 0 where `d²/(2σ²)` exceeds this (≥ 0).
    pub cutoff: f64,
}

impl Bump {
    /// GeneSegNet's bump: σ = 7, cut at 4.6052.
    pub const GENESEGNET: Bump = Bump { sigma: GENESEGNET_SIGMA, cutoff: GENESEGNET_CUTOFF };

    /// The exponent at squared distance `d2`, in GeneSegNet's order of operations.
    fn exponent(&self, d2: u64) -> f64 {
        d2 as f64 / 2.0 / self.sigma / self.sigma
    }
}

/// The largest squared distance with a nonzero bump, or `None` for a bump
/// that is not valid (σ ≤ 0, NaN, a negative cut) or wider than `u32`.
const fn max_d2(bump: Bump) -> Option<u64> {
    let (s, c) = (bump.sigma, bump.cutoff);
    if !(s > 0.0 && c >= 0.0 && s.is_finite() && c.is_finite()) {
        return None;
    }
    let approx = c * 2.0 * s * s;
    if approx > u32::MAX as f64 {
        return None;
    }
    // Move to the exact edge of `d2 / 2 / s / s <= c`.
    let mut d2 = approx as u64;
    while d2 > 0 && d2 as f64 / 2.0 / s / s > c {
        d2 -= 1;
    }
    while (d2 + 1) as f64 / 2.0 / s / s <= c {
        d2 += 1;
    }
    Some(d2)
}

/// Number of `f32` scratch entries [`location_heatmap`] needs for `bump`:
/// one per squared distance `0..=d²_max` (452 for GeneSegNet's), `0` for
/// an invalid bump (which the kernel rejects).
///
/// ```
/// use cellmap_core::heatmap::{heatmap_scratch_len, Bump};
/// assert_eq!(heatmap_scratch_len(Bump::GENESEGNET), 452);
/// assert_eq!(heatmap_scratch_len(Bump { sigma: 1.0, cutoff: 0.5 }), 2);
/// ```
pub const fn heatmap_scratch_len(bump: Bump) -> usize {
    match max_d2(bump) {
        Some(d2) => d2 as usize + 1,
        None => 0,
    }
}

/// Adds the bumps of `points` (`[column, row]` pixels) to the
/// `width × height` map `out`, combined with what `out` holds by
/// `combine` (start from zeros; calling it again with more points is the
/// same as one call with all of them, in order).
///
/// # Errors
///
/// [`Error::InvalidArgument`] for an invalid bump (σ ≤ 0 or not finite, a
/// negative or non-finite cut) or a point outside the image,
/// [`Error::ShapeMismatch`] if `out` is not `width × height`,
/// [`Error::DimensionsTooLarge`] if that overflows, [`Error::BufferTooSmall`]
/// for a short `scratch`. `out` is untouched on every error (the points
/// are checked first).
///
/// ```
/// use cellmap_core::heatmap::{location_heatmap, heatmap_scratch_len, Bump, Combine};
/// let mut map = vec![0.0f32; 50 * 50];
/// let mut scratch = vec![0.0f32; heatmap_scratch_len(Bump::GENESEGNET)];
/// location_heatmap(&[[10, 10], [12, 10]], 50, 50, Bump::GENESEGNET, Combine::Max, &mut map, &mut scratch)?;
/// assert_eq!(map[10 * 50 + 10], 1.0);
/// assert_eq!(map[10 * 50 + 11], (-1.0f64 / 98.0).exp() as f32);
/// // From (12, 10): d² = 21² = 441 is inside the cut (451.3), 22² = 484 outside.
/// assert!(map[10 * 50 + 33] > 0.01 && map[10 * 50 + 34] == 0.0);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn location_heatmap(
    points: &[[u32; 2]],
    width: usize,
    height: usize,
    bump: Bump,
    combine: Combine,
    out: &mut [f32],
    scratch: &mut [f32],
) -> Result<(), Error> {
    let n = crate::grid::pixel_count(width, height)?;
    if out.len() != n {
        return Err(Error::ShapeMismatch { expected: n, got: out.len() });
    }
    let d2_max =
        max_d2(bump).ok_or(Error::InvalidArgument("the bump needs sigma > 0 and a cut >= 0, finite"))?;
    let table_len = d2_max as usize + 1;
    crate::error::ensure_len("scratch", scratch, table_len)?;
    if points.iter().any(|&[c, r]| c as usize >= width || r as usize >= height) {
        return Err(Error::InvalidArgument("a point is outside the image"));
    }
    let table = scratch.get_mut(..table_len).unwrap_or_default();
    for (d2, value) in table.iter_mut().enumerate() {
        *value = libm::exp(-bump.exponent(d2 as u64)) as f32;
    }
    let radius = libm::sqrt(d2_max as f64) as i64;
    let radius = if (radius + 1) * (radius + 1) <= d2_max as i64 { radius + 1 } else { radius };
    for &[col, row] in points {
        let (col, row) = (i64::from(col), i64::from(row));
        let r0 = (row - radius).max(0);
        let r1 = (row + radius).min(height as i64 - 1);
        for r in r0..=r1 {
            let dr = (r - row) * (r - row);
            let rest = d2_max as i64 - dr;
            if rest < 0 {
                continue;
            }
            // Columns with dc² <= rest.
            let mut half = libm::sqrt(rest as f64) as i64;
            while half * half > rest {
                half -= 1;
            }
            while (half + 1) * (half + 1) <= rest {
                half += 1;
            }
            let c0 = (col - half).max(0);
            let c1 = (col + half).min(width as i64 - 1);
            let start = r as usize * width;
            let line = out.get_mut(start + c0 as usize..=start + c1 as usize).unwrap_or_default();
            for (c, pixel) in (c0..=c1).zip(line.iter_mut()) {
                let d2 = (dr + (c - col) * (c - col)) as usize;
                let value = table.get(d2).copied().unwrap_or(0.0);
                match combine {
                    Combine::Max => {
                        if value > *pixel {
                            *pixel = value;
                        }
                    }
                    Combine::Sum => *pixel += value,
                }
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

    /// Every pixel against every point, as GeneSegNet writes it (full-image maps).
    fn brute(points: &[[u32; 2]], w: usize, h: usize, bump: Bump, combine: Combine) -> Vec<f32> {
        let mut out = vec![0.0f32; w * h];
        for &[x, y] in points {
            for r in 0..h {
                for c in 0..w {
                    let d2 = (c as i64 - i64::from(x)).pow(2) + (r as i64 - i64::from(y)).pow(2);
                    let e = bump.exponent(d2 as u64);
                    let v = if e > bump.cutoff { 0.0 } else { libm::exp(-e) as f32 };
                    let p = &mut out[r * w + c];
                    match combine {
                        Combine::Max => *p = p.max(v),
                        Combine::Sum => *p += v,
                    }
                }
            }
        }
        out
    }

    proptest! {
        #[test]
        fn equals_the_full_image_evaluation(
            (w, h, points) in (1usize..40, 1usize..40).prop_flat_map(|(w, h)| {
                (Just(w), Just(h), proptest::collection::vec((0..w as u32, 0..h as u32).prop_map(|(c, r)| [c, r]), 0..6))
            }),
            sigma in 0.5f64..9.0,
            cutoff in 0.0f64..6.0,
            sum in any::<bool>(),
        ) {
            let bump = Bump { sigma, cutoff };
            let combine = if sum { Combine::Sum } else { Combine::Max };
            let mut out = vec![0.0f32; w * h];
            let mut scratch = vec![0.0f32; heatmap_scratch_len(bump)];
            location_heatmap(&points, w, h, bump, combine, &mut out, &mut scratch).unwrap();
            prop_assert_eq!(out, brute(&points, w, h, bump, combine));
        }
    }

    #[test]
    fn bad_bumps_and_points_are_refused_before_writing() {
        let mut out = vec![0.5f32; 4];
        let mut scratch = vec![0.0f32; 600];
        for bump in [
            Bump { sigma: 0.0, cutoff: 1.0 },
            Bump { sigma: f64::NAN, cutoff: 1.0 },
            Bump { sigma: 1.0, cutoff: -1.0 },
        ] {
            assert!(matches!(
                location_heatmap(&[[0, 0]], 2, 2, bump, Combine::Max, &mut out, &mut scratch),
                Err(Error::InvalidArgument(_))
            ));
        }
        assert!(
            location_heatmap(&[[2, 0]], 2, 2, Bump::GENESEGNET, Combine::Max, &mut out, &mut scratch)
                .is_err()
        );
        assert_eq!(out, [0.5; 4]);
        assert_eq!(
            location_heatmap(&[[0, 0]], 2, 2, Bump::GENESEGNET, Combine::Max, &mut out, &mut scratch[..3]),
            Err(Error::BufferTooSmall { buffer: "scratch", needed: 452, got: 3 })
        );
    }
}
