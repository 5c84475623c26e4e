//! A selection of gene columns (`10..30`, `10..=29`, `7`, `1,5,7`), kept as
//! ranges: `0..100000000` costs two numbers, not a hundred million.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use crate::error::Error;

/// A non-empty set of gene columns (0-based), as a sorted list of disjoint,
/// non-adjacent half-open ranges. Parse it with [`GeneSelection::parse`];
/// check it against a matrix with [`GeneSelection::check`] before any
/// per-gene work. Every operation costs O(number of ranges) at most, never
/// O(number of genes), except [`iter`](GeneSelection::iter), which yields
/// the genes one by one.
///
/// ```
/// use cellmap::GeneSelection;
/// let genes = GeneSelection::parse("7,1,3..5,1")?;
/// assert_eq!(genes.iter().collect::<Vec<_>>(), [1, 3, 4, 7]);
/// assert_eq!((genes.len(), genes.max(), genes.contains(4), genes.contains(5)), (4, 7, true, false));
/// assert_eq!(genes.to_string(), "1,3..=4,7");
///
/// let huge = GeneSelection::parse("0..100000000")?; // two numbers, not a list
/// assert_eq!(huge.len(), 100_000_000);
/// let e = huge.check(40).unwrap_err();
/// assert_eq!(e.to_string(), "gene 40 asked for, but the matrix has 40 genes (0..40)");
/// # Ok::<(), cellmap::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GeneSelection {
    /// Sorted, disjoint and non-adjacent; none empty; at least one.
    ranges: Vec<Range<usize>>,
}

impl GeneSelection {
    /// The longest text [`parse`](GeneSelection::parse) accepts, in bytes.
    pub const MAX_TEXT_LEN: usize = 4096;
    /// The most comma-separated parts [`parse`](GeneSelection::parse) accepts.
    pub const MAX_PARTS: usize = 256;
    /// The largest gene index (the end of a half-open range must fit a `usize`).
    pub const MAX_INDEX: usize = usize::MAX - 1;

    /// Parses `10..30` (10 to 29, like Python's `range`), `10..=29`, `7`
    /// and comma-separated lists of those (spaces around numbers allowed).
    /// Overlapping or repeated parts are merged. Errors
    /// ([`ErrorKind::Argument`](crate::ErrorKind::Argument)) name the bad
    /// part: not a number, an empty range (`5..5`, `9..3`), an index above
    /// [`MAX_INDEX`](Self::MAX_INDEX), more than [`MAX_PARTS`](Self::MAX_PARTS)
    /// parts or more than [`MAX_TEXT_LEN`](Self::MAX_TEXT_LEN) bytes.
    pub fn parse(text: &str) -> Result<Self, Error> {
        if text.len() > Self::MAX_TEXT_LEN {
            return Err(Error::argument(format!(
                "gene list of {} bytes, above the limit of {} (use ranges such as 10..30)",
                text.len(),
                Self::MAX_TEXT_LEN
            )));
        }
        if text.trim().is_empty() {
            return Err(Error::argument("empty gene list (e.g. 10..30, 3 or 1,5,7)"));
        }
        let parts = text.split(',').count();
        if parts > Self::MAX_PARTS {
            return Err(Error::argument(format!(
                "gene list of {parts} parts, above the limit of {} (use ranges such as 10..30)",
                Self::MAX_PARTS
            )));
        }
        let mut ranges = Vec::with_capacity(parts);
        for part in text.split(',') {
            ranges.push(parse_part(part)?);
        }
        Ok(Self::from_sorted(ranges))
    }

    /// The columns of gene `names` in `all`, the gene names by column (e.g. a transcript table's):
    /// exact, case-sensitive matches, the first column of a name given twice. An unknown name is
    /// an [`ErrorKind::Argument`](crate::ErrorKind::Argument) error naming it and a few of `all`.
    ///
    /// ```
    /// use cellmap::GeneSelection;
    /// let all = ["EPCAM", "CD3E", "MS4A1"].map(String::from);
    /// assert_eq!(GeneSelection::from_names(&["MS4A1", "EPCAM"], &all)?.to_string(), "0,2");
    /// let e = GeneSelection::from_names(&["Cd3e"], &all).unwrap_err();
    /// assert_eq!(e.to_string(), "gene `Cd3e` is not one of the 3 genes (EPCAM, CD3E, MS4A1)");
    /// # Ok::<(), cellmap::Error>(())
    /// ```
    pub fn from_names(names: &[impl AsRef<str>], all: &[String]) -> Result<Self, Error> {
        if names.is_empty() {
            return Err(Error::argument("empty gene list"));
        }
        let columns: std::collections::HashMap<&str, usize> =
            all.iter().enumerate().rev().map(|(g, name)| (name.as_str(), g)).collect();
        let mut ranges = Vec::with_capacity(names.len());
        for name in names {
            let name = name.as_ref();
            let Some(&g) = columns.get(name) else {
                const SHOWN: usize = 8;
                let mut listed = all.iter().take(SHOWN).map(String::as_str).collect::<Vec<_>>().join(", ");
                if all.len() > SHOWN {
                    listed += ", ...";
                }
                return Err(Error::argument(format!(
                    "gene `{name}` is not one of the {} genes ({listed})",
                    all.len()
                )));
            };
            ranges.push(g..g + 1);
        }
        Ok(Self::from_sorted(ranges))
    }

    /// Sorts and merges non-empty ranges.
    fn from_sorted(mut ranges: Vec<Range<usize>>) -> Self {
        ranges.sort_unstable_by_key(|r| r.start);
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
        for r in ranges {
            match merged.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => merged.push(r),
            }
        }
        GeneSelection { ranges: merged }
    }

    /// How many genes are selected.
    pub fn len(&self) -> usize {
        // Disjoint ranges inside 0..=usize::MAX: the total fits a usize.
        self.ranges.iter().map(|r| r.end - r.start).sum()
    }

    /// Always false: a selection has at least one gene.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The genes in increasing order, each once.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.ranges.iter().flat_map(Range::clone)
    }

    /// Whether `gene` is selected (binary search over the ranges).
    pub fn contains(&self, gene: usize) -> bool {
        let after = self.ranges.partition_point(|r| r.start <= gene);
        after > 0 && self.ranges[after - 1].end > gene
    }

    /// The smallest selected gene.
    pub fn min(&self) -> usize {
        self.ranges.first().map_or(0, |r| r.start)
    }

    /// The largest selected gene.
    pub fn max(&self) -> usize {
        self.ranges.last().map_or(0, |r| r.end - 1)
    }

    /// The selection as sorted, disjoint, non-adjacent half-open ranges.
    pub fn ranges(&self) -> &[Range<usize>] {
        &self.ranges
    }

    /// Checks that every selected gene is a column of a matrix with `n_genes`
    /// genes; the error ([`ErrorKind::Argument`](crate::ErrorKind::Argument))
    /// names the smallest gene that is not.
    pub fn check(&self, n_genes: usize) -> Result<(), Error> {
        if self.max() < n_genes {
            return Ok(());
        }
        let first = self.ranges.iter().find(|r| r.end > n_genes).map_or(n_genes, |r| r.start.max(n_genes));
        Err(Error::argument(format!(
            "gene {first} asked for, but the matrix has {n_genes} genes (0..{n_genes})"
        )))
    }
}

/// One part of a gene list: `a..b`, `a..=b` or `a`.
fn parse_part(part: &str) -> Result<Range<usize>, Error> {
    let number = |s: &str| -> Result<usize, Error> {
        let s = s.trim();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::argument(format!(
                "`{s}` is not a gene index (a whole number from 0) in `{}`",
                part.trim()
            )));
        }
        s.parse::<usize>().ok().filter(|&n| n <= GeneSelection::MAX_INDEX).ok_or_else(|| {
            Error::argument(format!("gene index {s} is too large (at most {})", GeneSelection::MAX_INDEX))
        })
    };
    let empty = || Error::argument(format!("`{}` selects no gene", part.trim()));
    if let Some((lo, hi)) = part.split_once("..=") {
        let (lo, hi) = (number(lo)?, number(hi)?);
        // hi <= MAX_INDEX, so hi + 1 does not overflow.
        if lo > hi { Err(empty()) } else { Ok(lo..hi + 1) }
    } else if let Some((lo, hi)) = part.split_once("..") {
        let (lo, hi) = (number(lo)?, number(hi)?);
        if lo >= hi { Err(empty()) } else { Ok(lo..hi) }
    } else {
        let g = number(part)?;
        Ok(g..g + 1)
    }
}

impl FromStr for GeneSelection {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        GeneSelection::parse(text)
    }
}

/// The canonical text: `1,3..=4,7` (inclusive ranges, which [`GeneSelection::parse`] reads back).
impl fmt::Display for GeneSelection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, r) in self.ranges.iter().enumerate() {
            if k > 0 {
                f.write_str(",")?;
            }
            if r.end - r.start == 1 {
                write!(f, "{}", r.start)?
            } else {
                // Inclusive: the exclusive end of a range up to MAX_INDEX is not itself an index.
                write!(f, "{}..={}", r.start, r.end - 1)?
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn genes(text: &str) -> Vec<usize> {
        GeneSelection::parse(text).unwrap().iter().collect()
    }

    fn err(text: &str) -> String {
        let e = GeneSelection::parse(text).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Argument);
        e.to_string()
    }

    #[test]
    fn ranges_follow_python_range() {
        assert_eq!(genes("10..13"), [10, 11, 12]);
        assert_eq!(genes("10..=12"), [10, 11, 12]);
        assert_eq!(genes("7,1,3..5,1"), [1, 3, 4, 7]);
        assert_eq!(genes(" 2 .. 4 , 0"), [0, 2, 3]);
        assert_eq!(genes("0..=0"), [0]);
    }

    #[test]
    fn overlapping_and_adjacent_parts_merge() {
        let s = GeneSelection::parse("5..10,0..3,3..6,20,8..=12").unwrap();
        assert_eq!(s.ranges(), &[0..13, 20..21]);
        assert_eq!((s.len(), s.min(), s.max()), (14, 0, 20));
        assert_eq!(s.to_string(), "0..=12,20");
        assert_eq!(GeneSelection::parse(&s.to_string()).unwrap(), s);
    }

    #[test]
    fn contains_matches_iter() {
        let s = GeneSelection::parse("2..4,7,9..=11").unwrap();
        let listed: Vec<usize> = s.iter().collect();
        for g in 0..15 {
            assert_eq!(s.contains(g), listed.contains(&g), "{g}");
        }
    }

    #[test]
    fn huge_ranges_cost_nothing() {
        let s = GeneSelection::parse("0..=18446744073709551614").unwrap();
        assert_eq!((s.len(), s.max()), (usize::MAX, usize::MAX - 1));
        assert!(s.contains(usize::MAX - 1) && !s.contains(usize::MAX));
        assert_eq!(
            s.check(40).unwrap_err().to_string(),
            "gene 40 asked for, but the matrix has 40 genes (0..40)"
        );
        let s = GeneSelection::parse("3,0..4294967296").unwrap();
        assert_eq!(s.len(), 1 << 32);
        assert_eq!(s.iter().take(3).collect::<Vec<_>>(), [0, 1, 2]);
    }

    #[test]
    fn check_names_the_first_missing_gene() {
        let s = GeneSelection::parse("1,50..60").unwrap();
        assert!(s.check(60).is_ok());
        assert!(s.check(59).unwrap_err().to_string().starts_with("gene 59 asked for"));
        assert!(s.check(10).unwrap_err().to_string().starts_with("gene 50 asked for"));
        assert!(s.check(0).unwrap_err().to_string().starts_with("gene 1 asked for"));
        assert_eq!(GeneSelection::parse("0").unwrap().check(0).unwrap_err().kind(), ErrorKind::Argument);
    }

    #[test]
    fn names_select_their_first_column() {
        let all: Vec<String> = ["a", "b", "a", "c"].map(String::from).to_vec();
        let s = GeneSelection::from_names(&["c", "a", "c"], &all).unwrap();
        assert_eq!(s.iter().collect::<Vec<_>>(), [0, 3]);
        assert_eq!(GeneSelection::from_names(&[] as &[&str], &all).unwrap_err().kind(), ErrorKind::Argument);
        let many: Vec<String> = (0..20).map(|g| format!("g{g}")).collect();
        let e = GeneSelection::from_names(&["G1"], &many).unwrap_err();
        assert_eq!(
            e.to_string(),
            "gene `G1` is not one of the 20 genes (g0, g1, g2, g3, g4, g5, g6, g7, ...)"
        );
        assert!(GeneSelection::from_names(&["a"], &[]).unwrap_err().to_string().contains("the 0 genes ()"));
    }

    #[test]
    fn bad_text_is_an_argument_error_naming_the_part() {
        assert_eq!(err("5..5"), "`5..5` selects no gene");
        assert_eq!(err("1,9..3"), "`9..3` selects no gene");
        assert!(err("a..3").contains("`a` is not a gene index"));
        assert!(err("-1").contains("`-1` is not a gene index"));
        assert!(err("+1").contains("`+1` is not a gene index"));
        assert!(err("1,,2").contains("`` is not a gene index"));
        assert!(err("").contains("empty gene list"));
        assert!(err("0..=18446744073709551615").contains("gene index 18446744073709551615 is too large"));
        assert!(err(&"9".repeat(60)).contains("too large"));
        assert!(err("1...3").contains("not a gene index"));
        assert!(err(&"1,".repeat(300)).contains("above the limit of 256"));
        assert!(err(&"1".repeat(5000)).contains("5000 bytes, above the limit of 4096"));
        assert!(err("3\u{0}").contains("not a gene index"));
    }
}
