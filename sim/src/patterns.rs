//! The spatial patterns of the nonnegative spatial factorization (NSF)
//! simulations (Townes & Engelhardt 2023, repository `willtownes/nsf-paper`,
//! `simulations/sim.py`), written from their published definitions:
//!
//! * **quilt**: four 12×12 patterns — `squares`, `corners`, `scotland`,
//!   `checkers`;
//! * **ggblocks**: four 6×6 blocks given by their flat indices;
//! * **both**: the ggblocks factors followed by the quilt factors (8).
//!
//! A pattern is enlarged to an `nside × nside` grid of spots by a Kronecker
//! product with a block of ones (each pattern cell becomes an
//! `nside/unit`-square block; the pattern is **not** tiled), and spot
//! `s = row · nside + col` (row-major, as `A.reshape((L, N)).T` in the paper's
//! code).

use cellmap_core::Error;

/// Which set of spatial factors to simulate.
///
/// ```
/// use cellmap_sim::Scenario;
/// assert_eq!(Scenario::Quilt.factors(), 4);
/// assert_eq!(Scenario::Both.factors(), 8);
/// assert_eq!(Scenario::GgBlocks.unit(), 6);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Scenario {
    /// The four 12×12 quilt patterns.
    #[default]
    Quilt,
    /// The four 6×6 ggblocks patterns.
    GgBlocks,
    /// ggblocks (factors 0–3) then quilt (factors 4–7).
    Both,
}

impl Scenario {
    /// Number of spatial factors `L`.
    ///
    /// ```
    /// assert_eq!(cellmap_sim::Scenario::GgBlocks.factors(), 4);
    /// ```
    pub const fn factors(self) -> usize {
        match self {
            Scenario::Quilt | Scenario::GgBlocks => 4,
            Scenario::Both => 8,
        }
    }

    /// Side of the basic block: `nside` must be a multiple of it.
    ///
    /// ```
    /// assert_eq!(cellmap_sim::Scenario::Both.unit(), 12);
    /// ```
    pub const fn unit(self) -> usize {
        match self {
            Scenario::GgBlocks => 6,
            Scenario::Quilt | Scenario::Both => 12,
        }
    }

    /// Checks that `nside` is a positive multiple of [`Scenario::unit`].
    ///
    /// ```
    /// use cellmap_sim::Scenario;
    /// assert!(Scenario::Quilt.check_nside(36).is_ok());
    /// assert!(Scenario::Quilt.check_nside(30).is_err());
    /// assert!(Scenario::GgBlocks.check_nside(30).is_ok());
    /// ```
    pub const fn check_nside(self, nside: usize) -> Result<(), Error> {
        if nside == 0 || nside % self.unit() != 0 {
            return Err(Error::InvalidArgument("nside must be a positive multiple of the pattern unit"));
        }
        Ok(())
    }

    /// Value (0 or 1) of spatial factor `factor` at spot `(row, col)` of an
    /// `nside × nside` grid (the Kronecker enlargement); 0 for anything out of
    /// range or an invalid `nside`.
    ///
    /// ```
    /// use cellmap_sim::Scenario;
    /// // quilt factor 0 (squares) at 36×36: pattern cell (1, 1) covers spots 3..6.
    /// assert_eq!(Scenario::Quilt.factor_at(36, 0, 3, 3), 1.0);
    /// assert_eq!(Scenario::Quilt.factor_at(36, 0, 2, 3), 0.0);
    /// ```
    pub const fn factor_at(self, nside: usize, factor: usize, row: usize, col: usize) -> f64 {
        if self.check_nside(nside).is_err() || row >= nside || col >= nside || factor >= self.factors() {
            return 0.0;
        }
        let (pattern_factor, unit) = match self {
            Scenario::Quilt => (factor, 12),
            Scenario::GgBlocks => (factor, 6),
            Scenario::Both if factor < 4 => (factor, 6),
            Scenario::Both => (factor - 4, 12),
        };
        let copies = nside / unit;
        let (r, c) = (row / copies, col / copies);
        let on = if unit == 12 { quilt(pattern_factor, r, c) } else { ggblocks(pattern_factor, r, c) };
        if on { 1.0 } else { 0.0 }
    }
}

/// Quilt pattern `index` (0 squares, 1 corners, 2 scotland, 3 checkers) at
/// `(row, col)` of its 12×12 block.
///
/// ```
/// use cellmap_sim::patterns::quilt;
/// assert!(quilt(2, 0, 0) && quilt(2, 0, 11) && !quilt(2, 0, 5)); // the saltire
/// ```
pub const fn quilt(index: usize, row: usize, col: usize) -> bool {
    if row >= 12 || col >= 12 {
        return false;
    }
    match index {
        // A[1:5,1:5] = A[7:11,1:5] = A[1:5,7:11] = A[7:11,7:11] = 1
        0 => in_square_band(row) && in_square_band(col),
        // B[i, i:] = 1 (6×6); A = flip(B, axis=1); AB = [A B]; CD = flip(AB, axis=0)
        1 => {
            let r = if row < 6 { row } else { 11 - row };
            if col < 6 { r + col <= 5 } else { col - 6 >= r }
        }
        // eye(12) plus the anti-diagonal
        2 => row == col || row + col == 11,
        // [[0 1 0] [1 0 1] [0 1 0]] in 4×4 blocks
        3 => (row / 4 + col / 4) % 2 == 1,
        _ => false,
    }
}

const fn in_square_band(i: usize) -> bool {
    (i >= 1 && i < 5) || (i >= 7 && i < 11)
}

/// The published ggblocks definition: flat indices (row · 6 + col) of the
/// ones of each 6×6 block.
///
/// ```
/// use cellmap_sim::patterns::{ggblocks, GGBLOCKS_INDICES};
/// assert!(GGBLOCKS_INDICES[3].iter().all(|&i| ggblocks(3, i / 6, i % 6)));
/// ```
pub const GGBLOCKS_INDICES: [&[usize]; 4] =
    [&[1, 6, 7, 8, 13], &[3, 4, 5, 9, 11, 15, 16, 17], &[18, 24, 25, 30, 31, 32], &[21, 22, 23, 28, 34]];

/// ggblocks pattern `index` (0–3) at `(row, col)` of its 6×6 block.
///
/// ```
/// use cellmap_sim::patterns::ggblocks;
/// assert!(ggblocks(0, 1, 1) && !ggblocks(0, 0, 0)); // the plus sign
/// ```
pub const fn ggblocks(index: usize, row: usize, col: usize) -> bool {
    if index >= 4 || row >= 6 || col >= 6 {
        return false;
    }
    let flat = row * 6 + col;
    let ones = GGBLOCKS_INDICES[index];
    let mut i = 0;
    while i < ones.len() {
        if ones[i] == flat {
            return true;
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    fn picture(f: impl Fn(usize, usize) -> bool, n: usize) -> Vec<String> {
        (0..n).map(|r| (0..n).map(|c| if f(r, c) { '#' } else { '.' }).collect()).collect()
    }

    // The 12×12 quilt patterns as printed by the published numpy definitions
    // (`squares()`, `corners()`, `scotland()`, `checkers()` in nsf-paper's
    // simulations/sim.py).
    const SQUARES: [&str; 12] = [
        "............",
        ".####..####.",
        ".####..####.",
        ".####..####.",
        ".####..####.",
        "............",
        "............",
        ".####..####.",
        ".####..####.",
        ".####..####.",
        ".####..####.",
        "............",
    ];
    const CORNERS: [&str; 12] = [
        "############",
        "#####..#####",
        "####....####",
        "###......###",
        "##........##",
        "#..........#",
        "#..........#",
        "##........##",
        "###......###",
        "####....####",
        "#####..#####",
        "############",
    ];
    const SCOTLAND: [&str; 12] = [
        "#..........#",
        ".#........#.",
        "..#......#..",
        "...#....#...",
        "....#..#....",
        ".....##.....",
        ".....##.....",
        "....#..#....",
        "...#....#...",
        "..#......#..",
        ".#........#.",
        "#..........#",
    ];
    const CHECKERS: [&str; 12] = [
        "....####....",
        "....####....",
        "....####....",
        "....####....",
        "####....####",
        "####....####",
        "####....####",
        "####....####",
        "....####....",
        "....####....",
        "....####....",
        "....####....",
    ];
    const GGBLOCKS: [[&str; 6]; 4] = [
        [".#....", "###...", ".#....", "......", "......", "......"],
        ["...###", "...#.#", "...###", "......", "......", "......"],
        ["......", "......", "......", "#.....", "##....", "###..."],
        ["......", "......", "......", "...###", "....#.", "....#."],
    ];

    #[test]
    fn quilt_patterns_equal_the_published_definitions() {
        for (i, want) in [SQUARES, CORNERS, SCOTLAND, CHECKERS].iter().enumerate() {
            assert_eq!(picture(|r, c| quilt(i, r, c), 12), want.to_vec(), "quilt pattern {i}");
        }
    }

    #[test]
    fn ggblocks_patterns_equal_the_published_definitions() {
        for (i, want) in GGBLOCKS.iter().enumerate() {
            assert_eq!(picture(|r, c| ggblocks(i, r, c), 6), want.to_vec(), "ggblocks pattern {i}");
        }
    }

    #[test]
    fn enlargement_is_a_kronecker_product_not_a_tiling() {
        // ggblocks 0 at nside 12: every pattern cell becomes a 2×2 block.
        let want = [
            "..##........",
            "..##........",
            "######......",
            "######......",
            "..##........",
            "..##........",
            "............",
            "............",
            "............",
            "............",
            "............",
            "............",
        ];
        assert_eq!(picture(|r, c| Scenario::GgBlocks.factor_at(12, 0, r, c) == 1.0, 12), want.to_vec());
        // "both": factor 4 is quilt squares.
        assert_eq!(picture(|r, c| Scenario::Both.factor_at(12, 4, r, c) == 1.0, 12), SQUARES.to_vec());
    }

    #[test]
    fn out_of_range_queries_are_zero() {
        assert_eq!(Scenario::Quilt.factor_at(36, 4, 0, 0), 0.0);
        assert_eq!(Scenario::Quilt.factor_at(36, 0, 36, 0), 0.0);
        assert_eq!(Scenario::Quilt.factor_at(35, 1, 0, 0), 0.0);
        assert!(!quilt(4, 0, 0) && !quilt(0, 12, 0) && !ggblocks(0, 6, 0));
    }
}
