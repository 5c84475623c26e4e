//! The simulator's pseudo-random number generator: **xoshiro256\*\*** by
//! Blackman and Vigna (<https://prng.di.unimi.it/xoshiro256starstar.c>),
//! seeded through **SplitMix64** (<https://prng.di.unimi.it/splitmix64.c>),
//! exactly as the authors recommend.
//!
//! Both are a handful of integer operations (shifts, rotations, wrapping
//! multiplications), so every target produces the same stream bit for bit.
//! The stream is *not* numpy's: simulations follow the published models, not
//! numpy's random bit streams.

/// The SplitMix64 generator (Steele, Lea and Flood 2014), used to expand a
/// 64-bit seed into a xoshiro256\*\* state and to derive independent streams.
///
/// ```
/// use cellmap_sim::SplitMix64;
/// let mut s = SplitMix64::new(0);
/// assert_eq!(s.next_u64(), 0xE220_A839_7B1D_CDAF); // the reference first output
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose state is `seed`.
    ///
    /// ```
    /// let mut s = cellmap_sim::SplitMix64::new(1234567);
    /// assert_eq!(s.next_u64(), 6457827717110365317); // splitmix64.c reference output
    /// ```
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next output; advances the state by the golden-ratio increment.
    ///
    /// ```
    /// let mut s = cellmap_sim::SplitMix64::new(0);
    /// assert_eq!(s.next_u64(), 0xE220_A839_7B1D_CDAF);
    /// assert_eq!(s.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    /// ```
    pub const fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.state)
    }
}

/// SplitMix64's output function (a bijective 64-bit finaliser).
///
/// ```
/// // The first SplitMix64 output from state 0 is the mix of the increment.
/// assert_eq!(cellmap_sim::rng::mix64(0x9E37_79B9_7F4A_7C15), 0xE220_A839_7B1D_CDAF);
/// ```
pub const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Derives the seed of an independent sub-stream from a base seed and two
/// stream coordinates (e.g. a purpose tag and an index): nested SplitMix64
/// mixes, so nearby coordinates give unrelated seeds.
///
/// ```
/// use cellmap_sim::rng::derive_seed;
/// assert_eq!(derive_seed(7, 1, 2), derive_seed(7, 1, 2));
/// assert_ne!(derive_seed(7, 1, 2), derive_seed(7, 2, 1));
/// ```
pub const fn derive_seed(seed: u64, a: u64, b: u64) -> u64 {
    let inner = mix64(b.wrapping_add(0x9E37_79B9_7F4A_7C15));
    let middle = mix64((a ^ inner).wrapping_add(0x3C6E_F372_FE94_F82A));
    mix64((seed ^ middle).wrapping_add(0xDAA6_6D2C_7DDF_743F))
}

/// The xoshiro256\*\* generator: 256 bits of state, period 2²⁵⁶ − 1,
/// 64-bit outputs.
///
/// ```
/// use cellmap_sim::Xoshiro256StarStar;
/// let mut rng = Xoshiro256StarStar::seed_from_u64(42);
/// let a = rng.next_u64();
/// let mut again = Xoshiro256StarStar::seed_from_u64(42);
/// assert_eq!(again.next_u64(), a);
/// let u = rng.next_f64();
/// assert!((0.0..1.0).contains(&u));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Xoshiro256StarStar {
    s: [u64; 4],
}

impl Xoshiro256StarStar {
    /// A generator with the given raw state, or `None` for the all-zero
    /// state (a fixed point that outputs zeros forever).
    ///
    /// ```
    /// use cellmap_sim::Xoshiro256StarStar;
    /// // The reference vector of the authors' C code (also in rand_xoshiro).
    /// let mut rng = Xoshiro256StarStar::from_state([1, 2, 3, 4]).unwrap();
    /// assert_eq!([rng.next_u64(), rng.next_u64(), rng.next_u64()], [11520, 0, 1509978240]);
    /// assert!(Xoshiro256StarStar::from_state([0; 4]).is_none());
    /// ```
    pub const fn from_state(s: [u64; 4]) -> Option<Self> {
        if s[0] == 0 && s[1] == 0 && s[2] == 0 && s[3] == 0 { None } else { Some(Self { s }) }
    }

    /// Seeds the state with four consecutive SplitMix64 outputs from `seed`
    /// (the authors' recommended seeding). Never all-zero: SplitMix64's
    /// outputs are a bijection of distinct states.
    ///
    /// ```
    /// use cellmap_sim::{SplitMix64, Xoshiro256StarStar};
    /// let mut sm = SplitMix64::new(9);
    /// let state = [sm.next_u64(), sm.next_u64(), sm.next_u64(), sm.next_u64()];
    /// assert_eq!(Xoshiro256StarStar::seed_from_u64(9), Xoshiro256StarStar::from_state(state).unwrap());
    /// ```
    pub const fn seed_from_u64(seed: u64) -> Self {
        let mut sm = SplitMix64::new(seed);
        let s = [sm.next_u64(), sm.next_u64(), sm.next_u64(), sm.next_u64()];
        Self { s }
    }

    /// The generator of sub-stream `(a, b)` of `seed` (see [`derive_seed`]).
    ///
    /// ```
    /// use cellmap_sim::Xoshiro256StarStar;
    /// let mut x = Xoshiro256StarStar::stream(1, 2, 3);
    /// let mut y = Xoshiro256StarStar::stream(1, 2, 4);
    /// assert_ne!(x.next_u64(), y.next_u64());
    /// ```
    pub const fn stream(seed: u64, a: u64, b: u64) -> Self {
        Self::seed_from_u64(derive_seed(seed, a, b))
    }

    /// The next 64-bit output.
    ///
    /// ```
    /// let mut rng = cellmap_sim::Xoshiro256StarStar::from_state([1, 2, 3, 4]).unwrap();
    /// assert_eq!((rng.next_u64(), rng.next_u64(), rng.next_u64()), (11520, 0, 1509978240));
    /// ```
    #[inline]
    pub const fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A uniform `f64` in `[0, 1)`: the top 53 bits times 2⁻⁵³ (every
    /// multiple of 2⁻⁵³ equally likely).
    ///
    /// ```
    /// let mut rng = cellmap_sim::Xoshiro256StarStar::seed_from_u64(0);
    /// assert!((0..1000).map(|_| rng.next_f64()).all(|u| (0.0..1.0).contains(&u)));
    /// ```
    #[inline]
    pub const fn next_f64(&mut self) -> f64 {
        unit_from_bits(self.next_u64())
    }

    /// A uniform `f64` in the open interval `(0, 1)`: `(k + 0.5)·2⁻⁵²` for
    /// the top 52 bits `k`, so it is safe to take its logarithm.
    ///
    /// ```
    /// let mut rng = cellmap_sim::Xoshiro256StarStar::seed_from_u64(0);
    /// assert!((0..1000).map(|_| rng.next_f64_open()).all(|u| u > 0.0 && u < 1.0));
    /// ```
    #[inline]
    pub const fn next_f64_open(&mut self) -> f64 {
        open_unit_from_bits(self.next_u64())
    }

    /// A uniform integer in `0..n` (Lemire's multiply-shift with rejection,
    /// unbiased); `0` when `n == 0`.
    ///
    /// ```
    /// use cellmap_sim::Xoshiro256StarStar;
    /// let mut rng = Xoshiro256StarStar::seed_from_u64(3);
    /// assert!((0..100).all(|_| rng.below(6) < 6));
    /// assert_eq!(rng.below(0), 0);
    /// ```
    pub const fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = (self.next_u64() as u128) * (n as u128);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }
}

/// `[0, 1)` from the top 53 bits.
const fn unit_from_bits(x: u64) -> f64 {
    (x >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
}

/// `(0, 1)` from the top 52 bits.
const fn open_unit_from_bits(x: u64) -> f64 {
    ((x >> 12) as f64 + 0.5) * (1.0 / 4_503_599_627_370_496.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoshiro256starstar_matches_the_reference_implementation() {
        // rand_xoshiro's `reference` test: "These values were produced with
        // the reference implementation" (state {1, 2, 3, 4}).
        let expected: [u64; 10] = [
            11520,
            0,
            1509978240,
            1215971899390074240,
            1216172134540287360,
            607988272756665600,
            16172922978634559625,
            8476171486693032832,
            10595114339597558777,
            2904607092377533576,
        ];
        let mut rng = Xoshiro256StarStar::from_state([1, 2, 3, 4]).unwrap();
        for e in expected {
            assert_eq!(rng.next_u64(), e);
        }
    }

    #[test]
    fn splitmix64_matches_the_reference_implementation() {
        // splitmix64.c from state 1234567 (the widely published check values).
        let mut s = SplitMix64::new(1234567);
        for e in [
            6457827717110365317u64,
            3203168211198807973,
            9817491932198370423,
            4593380528125082431,
            16408922859458223821,
        ] {
            assert_eq!(s.next_u64(), e);
        }
        let mut z = SplitMix64::new(0);
        for e in [0xE220A8397B1DCDAFu64, 0x6E789E6AA1B965F4, 0x06C45D188009454F, 0xF88BB8A8724C81EC] {
            assert_eq!(z.next_u64(), e);
        }
    }

    #[test]
    fn seeding_uses_four_splitmix_outputs() {
        let mut sm = SplitMix64::new(99);
        let state = [sm.next_u64(), sm.next_u64(), sm.next_u64(), sm.next_u64()];
        assert_eq!(Xoshiro256StarStar::seed_from_u64(99), Xoshiro256StarStar::from_state(state).unwrap());
    }

    #[test]
    fn unit_floats_stay_in_their_intervals_at_the_extremes() {
        assert_eq!(unit_from_bits(0), 0.0);
        assert!(unit_from_bits(u64::MAX) < 1.0);
        assert!(open_unit_from_bits(0) > 0.0);
        assert!(open_unit_from_bits(u64::MAX) < 1.0);
    }

    #[test]
    fn below_is_roughly_uniform() {
        let mut rng = Xoshiro256StarStar::seed_from_u64(5);
        let mut counts = [0u32; 6];
        for _ in 0..60_000 {
            counts[rng.below(6) as usize] += 1;
        }
        // Binomial(60000, 1/6): sd ≈ 91; allow 5 sd.
        assert!(counts.iter().all(|&c| (c as i64 - 10_000).abs() < 460), "{counts:?}");
    }
}
