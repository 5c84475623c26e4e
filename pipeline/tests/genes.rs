//! `GeneSelection::parse` on arbitrary text never panics, and on small lists agrees with the
//! expanded list (sorted, each gene once); its text form reads back the same.

use cellmap::GeneSelection;
use proptest::prelude::*;

/// `a..b`, `a..=b` or `a` with small numbers, and its genes.
fn part() -> impl Strategy<Value = (String, Vec<usize>)> {
    (0usize..40, 0usize..40, 0u8..3).prop_map(|(a, b, form)| match form {
        0 => (format!("{a}..{b}"), (a..b).collect()),
        1 => (format!("{a}..={b}"), (a..=b).collect()),
        _ => (a.to_string(), vec![a]),
    })
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in ".{0,64}", digits in "[0-9.,= ]{0,64}") {
        for t in [&text, &digits] {
            if let Ok(s) = GeneSelection::parse(t) {
                prop_assert!(!s.is_empty());
                prop_assert!(s.contains(s.min()) && s.contains(s.max()));
                prop_assert_eq!(GeneSelection::parse(&s.to_string()), Ok(s.clone()));
            }
        }
    }

    #[test]
    fn small_lists_match_the_expanded_list(parts in prop::collection::vec(part(), 1..6)) {
        let text: Vec<&str> = parts.iter().map(|(t, _)| t.as_str()).collect();
        let text = text.join(",");
        let mut want: Vec<usize> = parts.iter().flat_map(|(_, g)| g.iter().copied()).collect();
        want.sort_unstable();
        want.dedup();
        let any_empty = parts.iter().any(|(_, g)| g.is_empty());
        match GeneSelection::parse(&text) {
            Ok(s) => {
                prop_assert!(!any_empty);
                prop_assert_eq!(s.iter().collect::<Vec<_>>(), want.clone());
                prop_assert_eq!(s.len(), want.len());
                prop_assert_eq!(s.max(), *want.last().unwrap());
                for g in 0..45 {
                    prop_assert_eq!(s.contains(g), want.contains(&g));
                }
                let n = s.max() + 1;
                prop_assert!(s.check(n).is_ok());
                prop_assert!(s.check(n - 1).is_err());
            }
            Err(e) => prop_assert!(any_empty, "{}", e),
        }
    }
}

#[test]
fn the_largest_index_round_trips() {
    // Found by the fuzz target `genes`: `0..=18446744073709551614` (MAX_INDEX).
    let genes = cellmap::GeneSelection::parse("0..=18446744073709551614").unwrap();
    assert!(genes.contains(genes.min()) && genes.contains(genes.max()));
    assert!(genes.iter().take(1000).all(|g| genes.contains(g)));
    assert!(genes.check(genes.max()).is_err() && genes.check(genes.max() + 1).is_ok());
    assert_eq!(cellmap::GeneSelection::parse(&genes.to_string()).as_ref(), Ok(&genes));
}
