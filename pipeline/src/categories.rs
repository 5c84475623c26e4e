//! Cell categories (e.g. cluster ids) from a two-column CSV,
//! `cell_id,<column>`, for colouring cells by category.

use crate::memory::filled;
use crate::{CATEGORY_SLOTS, Error, grouped};

/// The category of each cell, read from a CSV whose header is
/// `cell_id,<column>` and whose rows are `<label>,<category>` (fields may
/// be double-quoted; blank lines are skipped). Categories are numbered in
/// sorted order: numerically when every one is an integer (cluster ids),
/// else as text.
///
/// ```
/// use cellmap::Categories;
/// let csv = b"cell_id,cluster\n1,10\n2,9\n3,10\n9,2\n";
/// let categories = Categories::from_csv(csv, "clusters.csv", 4)?;
/// assert_eq!(categories.column(), "cluster");
/// assert_eq!(categories.names(), ["9", "10"]);
/// assert_eq!(categories.of(1), Some(1));
/// assert_eq!((categories.of(2), categories.of(4)), (Some(0), None));
/// assert_eq!(categories.unmatched(), 1); // cell 9 is not a label of the image
/// # Ok::<(), cellmap::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Categories {
    column: String,
    names: Vec<String>,
    /// By label (entry 0, the background, is `None`).
    by_label: Vec<Option<u32>>,
    /// Cells per category.
    counts: Vec<usize>,
    unmatched: usize,
}

impl Categories {
    /// Reads the CSV's bytes for an image whose labels run `1..=n_cells`;
    /// rows of other ids are counted ([`Categories::unmatched`]), not
    /// kept, and only categories of the image's cells are listed. `source` names the file in errors.
    pub fn from_csv(bytes: &[u8], source: &str, n_cells: usize) -> Result<Self, Error> {
        let text =
            std::str::from_utf8(bytes).map_err(|_| Error::input(format!("{source}: not UTF-8 text")))?;
        let mut lines = text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty());
        let (_, header) = lines.next().ok_or_else(|| Error::input(format!("{source}: empty file")))?;
        let column = match fields(header)[..] {
            [_, column] => column.to_string(),
            ref other => {
                return Err(Error::input(format!(
                    "{source}: the header needs two columns, cell_id,<category column>; it has {}",
                    other.len()
                )));
            }
        };
        let mut rows = Vec::new();
        let mut unmatched = 0;
        let mut seen = filled(n_cells + 1, false, "the listed cells")?;
        for (index, line) in lines {
            let at = || format!("{source} line {}", index + 1);
            let [id, name] = fields(line)[..] else {
                return Err(Error::input(format!("{}: expected two fields, cell id and category", at())));
            };
            let id: usize = id
                .parse()
                .map_err(|_| Error::input(format!("{}: \"{id}\" is not a cell id (a whole number)", at())))?;
            if id == 0 || id > n_cells {
                unmatched += 1;
            } else if std::mem::replace(&mut seen[id], true) {
                return Err(Error::input(format!("{}: cell {id} is listed twice", at())));
            } else {
                rows.push((id, name));
            }
        }
        if rows.is_empty() {
            return Err(Error::input(format!(
                "{source}: no row names a cell of the image (ids 1 to {})",
                grouped(n_cells)
            )));
        }
        let rows = rows.into_iter();
        let numeric = rows.clone().all(|(_, name)| name.parse::<i64>().is_ok());
        Categories::from_rows(column.as_str(), rows, numeric, n_cells, unmatched)
    }

    /// Categories of `(label, name)` rows (labels in `1..=n_cells`, each at
    /// most once), numbered in sorted order: numerically when `numeric`
    /// (every name parses as a number), else as text. `unmatched` counts the
    /// rows of other ids the caller skipped.
    pub(crate) fn from_rows<'a>(
        column: &str,
        rows: impl Iterator<Item = (usize, &'a str)> + Clone,
        numeric: bool,
        n_cells: usize,
        unmatched: usize,
    ) -> Result<Self, Error> {
        let order = |a: &str, b: &str| {
            if numeric {
                let (a, b) = (a.parse::<f64>().unwrap_or(f64::NAN), b.parse::<f64>().unwrap_or(f64::NAN));
                a.total_cmp(&b)
            } else {
                a.cmp(b)
            }
        };
        let mut names: Vec<&str> = rows.clone().map(|(_, name)| name).collect();
        names.sort_unstable_by(|a, b| order(a, b));
        names.dedup_by(|a, b| order(a, b).is_eq());
        if names.is_empty() {
            return Err(Error::input(format!(
                "{column}: no cell of the image (ids 1 to {}) has a value",
                grouped(n_cells)
            )));
        }
        u32::try_from(names.len()).map_err(|_| Error::input(format!("{column}: too many categories")))?;
        let mut by_label = filled(n_cells + 1, None, "the cell categories")?;
        let mut counts = vec![0usize; names.len()];
        for (id, name) in rows {
            let category = names.binary_search_by(|probe| order(probe, name)).unwrap_or(0);
            if let Some(slot) = by_label.get_mut(id) {
                *slot = Some(category as u32);
                counts[category] += 1;
            }
        }
        let names = names.into_iter().map(str::to_string).collect();
        Ok(Categories { column: column.to_string(), names, by_label, counts, unmatched })
    }

    /// The category column's name (the header's second field).
    pub fn column(&self) -> &str {
        &self.column
    }

    /// The categories, in their order (index = category).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The category of cell `label`, or `None` (not listed, or not a label).
    pub fn of(&self, label: usize) -> Option<u32> {
        self.by_label.get(label).copied().flatten()
    }

    /// Rows whose cell id is not a label of the image (0 or past the last).
    pub fn unmatched(&self) -> usize {
        self.unmatched
    }

    /// Cells `1..=n_cells` that have a category.
    pub fn matched(&self) -> usize {
        self.by_label.iter().filter(|c| c.is_some()).count()
    }

    /// Cells per category, in category order.
    pub fn counts(&self) -> &[usize] {
        &self.counts
    }

    /// The colour slot of each category ([`crate::slot_rgba`]): with at most
    /// [`crate::CATEGORY_SLOTS`] categories, category `k` has slot `k`;
    /// with more, the `CATEGORY_SLOTS` with the most cells (ties: in
    /// category order) have slots `0..CATEGORY_SLOTS` from the most common
    /// down, and the others share slot `CATEGORY_SLOTS` ("other").
    pub fn slots(&self) -> Vec<u32> {
        let n = self.names.len();
        if n <= CATEGORY_SLOTS {
            return (0..n as u32).collect();
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| self.counts[b].cmp(&self.counts[a]).then(a.cmp(&b)));
        let mut slots = vec![CATEGORY_SLOTS as u32; n];
        for (slot, &category) in order.iter().take(CATEGORY_SLOTS).enumerate() {
            slots[category] = slot as u32;
        }
        slots
    }

    /// The colour slot of cell `label` ([`Categories::slots`]); `None`
    /// without a category.
    pub fn slot_of(&self, label: usize) -> Option<u32> {
        let category = self.of(label)?;
        let n = self.names.len();
        if n <= CATEGORY_SLOTS {
            return Some(category);
        }
        self.slots().get(category as usize).copied()
    }

    /// Every label's colour slot (`n_cells + 1` entries, entry 0 the
    /// background): `u32::MAX` without a category.
    pub fn slots_by_label(&self) -> Vec<u32> {
        let slots = self.slots();
        self.by_label.iter().map(|c| c.map_or(u32::MAX, |c| slots[c as usize])).collect()
    }

    /// A one-line summary for front ends: `"cluster: 12 categories for 640
    /// cells (3 rows of other ids skipped)"`.
    pub fn summary(&self) -> String {
        let skipped = match self.unmatched {
            0 => String::new(),
            n => format!(" ({} rows of ids not in the image skipped)", grouped(n)),
        };
        format!(
            "{}: {} categories for {} cells{skipped}",
            self.column,
            grouped(self.names.len()),
            grouped(self.matched())
        )
    }
}

/// The comma-separated fields of a CSV line, trimmed and unquoted.
pub(crate) fn fields(line: &str) -> Vec<&str> {
    line.split(',')
        .map(|field| {
            let field = field.trim();
            field.strip_prefix('"').and_then(|f| f.strip_suffix('"')).unwrap_or(field)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_categories_sort_as_text_and_quotes_are_removed() {
        let csv = b"\"cell_id\",\"type\"\r\n2,\"T cell\"\r\n\r\n1,B cell\r\n";
        let categories = Categories::from_csv(csv, "types.csv", 2).unwrap();
        assert_eq!(categories.names(), ["B cell", "T cell"]);
        assert_eq!((categories.of(1), categories.of(2)), (Some(0), Some(1)));
        assert_eq!(categories.summary(), "type: 2 categories for 2 cells");
    }

    #[test]
    fn malformed_files_name_the_line() {
        let error = |csv: &[u8]| Categories::from_csv(csv, "c.csv", 5).unwrap_err().to_string();
        assert!(error(b"cell_id\n1\n").contains("two columns"), "{}", error(b"cell_id\n1\n"));
        assert!(error(b"cell_id,k\n1,a\nx,b\n").contains("c.csv line 3: \"x\" is not a cell id"));
        assert!(error(b"cell_id,k\n1,a\n1,b\n").contains("c.csv line 3: cell 1 is listed twice"));
        assert!(error(b"cell_id,k\n1,a,b\n").contains("line 2: expected two fields"));
        assert!(error(b"cell_id,k\n").contains("no row names a cell"));
        assert!(error(b"cell_id,k\n0,a\n6,b\n").contains("no row names a cell of the image (ids 1 to 5)"));
        assert!(error(b"").contains("empty file"));
        assert!(error(&[0xff, 0xfe]).contains("not UTF-8"));
    }
}
