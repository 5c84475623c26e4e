//! Per-cell annotations from a CSV (`cellmap cluster`'s `cell_id,cluster`,
//! or any table with a cell id column and other columns): each column is
//! shown as numbers (coloured like a gene) or as categories (a colour per
//! value).

use crate::color::{CATEGORICAL, NO_VALUE_RGBA};
use crate::memory::{budget, filled};
use crate::{Categories, Error, grouped};

/// The colour of the categories past the [`CATEGORY_SLOTS`] most common
/// (a dark grey, unlike every [`CATEGORICAL`] colour).
pub const OTHER_CATEGORY_RGBA: [u8; 4] = [64, 64, 64, 255];

/// Categories with a colour of their own: one per [`CATEGORICAL`] entry;
/// the rest share [`OTHER_CATEGORY_RGBA`] (colour slot `CATEGORY_SLOTS`).
pub const CATEGORY_SLOTS: usize = CATEGORICAL.len();

/// The colour of slot `slot` ([`Categories::slots`]): `None` (no category)
/// is [`NO_VALUE_RGBA`], slots `0..CATEGORY_SLOTS` the [`CATEGORICAL`]
/// colours, any other [`OTHER_CATEGORY_RGBA`].
///
/// ```
/// use cellmap::{CATEGORICAL, NO_VALUE_RGBA, OTHER_CATEGORY_RGBA, slot_rgba};
/// let [r, g, b] = CATEGORICAL[3];
/// assert_eq!(slot_rgba(Some(3)), [r, g, b, 255]);
/// assert_eq!((slot_rgba(Some(20)), slot_rgba(None)), (OTHER_CATEGORY_RGBA, NO_VALUE_RGBA));
/// ```
pub fn slot_rgba(slot: Option<u32>) -> [u8; 4] {
    match slot {
        None => NO_VALUE_RGBA,
        Some(s) => match CATEGORICAL.get(s as usize) {
            Some(&[r, g, b]) => [r, g, b, 255],
            None => OTHER_CATEGORY_RGBA,
        },
    }
}

/// What a column holds: numbers (an empty field, `nan` or `NA` is no
/// value) — whole numbers or not — or text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Every value a whole number (`-3`, `12`): cluster ids, counts.
    Integers,
    /// Every value a number, some not whole.
    Numbers,
    /// Some value is not a number.
    Text,
}

impl ColumnKind {
    /// `"integers"`, `"numbers"` or `"text"`.
    pub fn name(self) -> &'static str {
        match self {
            ColumnKind::Integers => "integers",
            ColumnKind::Numbers => "numbers",
            ColumnKind::Text => "text",
        }
    }
}

/// One column: its name, kind and the field of each kept row.
#[derive(Debug, Clone, PartialEq)]
struct Column {
    name: String,
    kind: ColumnKind,
    /// The fields of the kept rows, one after the other.
    text: String,
    /// Where each field ends in `text`.
    ends: Vec<u32>,
}

impl Column {
    fn field(&self, row: usize) -> &str {
        let start = if row == 0 { 0 } else { self.ends[row - 1] as usize };
        &self.text[start..self.ends[row] as usize]
    }
}

/// A per-cell table read from CSV bytes for an image whose labels run
/// `1..=n_cells`: the cell id column is the one named `cell_id` (any case),
/// else the first; every other column is kept. Rows whose id is not a label
/// of the image are counted ([`Annotations::unmatched`]), not kept.
///
/// ```
/// use cellmap::{Annotations, ColumnKind};
/// let csv = b"cell_id,cluster,score,type\n1,3,0.5,T cell\n2,1,,B cell\n7,1,2,T cell\n";
/// let table = Annotations::from_csv(csv, "cells.csv", 4)?;
/// assert_eq!(table.columns(), ["cluster", "score", "type"]);
/// assert_eq!(table.kind(0), Some(ColumnKind::Integers));
/// assert_eq!(table.kind(1), Some(ColumnKind::Numbers));
/// assert_eq!(table.unmatched(), 1); // cell 7 is not a label of the image
/// let score = table.values(1)?;
/// assert_eq!(score[1], 0.5);
/// assert!(score[2].is_nan() && score[3].is_nan()); // empty field, no row
/// let types = table.categories(2)?;
/// assert_eq!(types.names(), ["B cell", "T cell"]);
/// assert_eq!((types.of(1), types.of(2), types.of(3)), (Some(1), Some(0), None));
/// # Ok::<(), cellmap::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Annotations {
    source: String,
    id_column: String,
    n_cells: usize,
    /// The label of each kept row.
    labels: Vec<u32>,
    columns: Vec<Column>,
    unmatched: usize,
}

impl Annotations {
    /// Reads CSV bytes (comma-separated, double quotes as in RFC 4180,
    /// UTF-8); `source` names the file in errors. Cell ids are whole
    /// numbers (`12` or `12.0`); a cell listed twice is an error.
    pub fn from_csv(bytes: &[u8], source: &str, n_cells: usize) -> Result<Self, Error> {
        // the fields are kept once each (plus 4 bytes per field, at most one per byte of the file)
        budget(|| format!("{source}: the annotations"), bytes.len() as u128, 5)?;
        let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(bytes);
        let header = reader.headers().map_err(|e| csv_error(source, &e))?.clone();
        let names: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
        if names.len() < 2 {
            return Err(Error::input(format!(
                "{source}: the header needs a cell id column and at least one more (e.g. cell_id,cluster); it has {}",
                names.len()
            )));
        }
        let id_col = names.iter().position(|h| h.eq_ignore_ascii_case("cell_id")).unwrap_or(0);
        let mut columns: Vec<Column> = names
            .iter()
            .enumerate()
            .filter(|&(c, _)| c != id_col)
            .map(|(_, name)| Column {
                name: name.clone(),
                kind: ColumnKind::Integers,
                text: String::new(),
                ends: Vec::new(),
            })
            .collect();
        let mut seen = filled(n_cells + 1, false, "the listed cells")?;
        let (mut labels, mut unmatched) = (Vec::new(), 0);
        let mut record = csv::StringRecord::new();
        while reader.read_record(&mut record).map_err(|e| csv_error(source, &e))? {
            let line = record.position().map_or(0, |p| p.line());
            if record.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            let id = record.get(id_col).unwrap_or("").trim();
            let label = parse_id(id).ok_or_else(|| {
                Error::input(format!("{source} line {line}: \"{id}\" is not a cell id (a whole number)"))
            })?;
            if label == 0 || label > n_cells as u64 {
                unmatched += 1;
                continue;
            }
            let label = label as usize;
            if seen[label] {
                return Err(Error::input(format!("{source} line {line}: cell {label} is listed twice")));
            }
            seen[label] = true;
            labels.push(label as u32);
            let fields = record.iter().enumerate().filter(|&(c, _)| c != id_col).map(|(_, f)| f.trim());
            for (column, field) in columns.iter_mut().zip(fields) {
                column.kind = widen(column.kind, field);
                column.text.push_str(field);
                column.ends.push(column.text.len() as u32);
            }
        }
        if labels.is_empty() {
            return Err(Error::input(format!(
                "{source}: no row names a cell of the image (ids 1 to {}; the id column is \"{}\")",
                grouped(n_cells),
                names[id_col]
            )));
        }
        Ok(Annotations {
            source: source.to_string(),
            id_column: names[id_col].clone(),
            n_cells,
            labels,
            columns,
            unmatched,
        })
    }

    /// The column names, in file order, without the id column.
    pub fn columns(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    /// The id column's name.
    pub fn id_column(&self) -> &str {
        &self.id_column
    }

    /// What column `column` holds (`None` past the last column).
    pub fn kind(&self, column: usize) -> Option<ColumnKind> {
        self.columns.get(column).map(|c| c.kind)
    }

    /// The image's cell count: labels run `1..=n_cells`.
    pub fn n_cells(&self) -> usize {
        self.n_cells
    }

    /// Rows kept: cells of the image.
    pub fn rows(&self) -> usize {
        self.labels.len()
    }

    /// Rows whose cell id is not a label of the image (0 or past the last).
    pub fn unmatched(&self) -> usize {
        self.unmatched
    }

    /// A numeric column by label (`n_cells + 1` values, entry 0 the
    /// background): NaN where a cell has no row or no value.
    pub fn values(&self, column: usize) -> Result<Vec<f64>, Error> {
        let c = self.column(column)?;
        if c.kind == ColumnKind::Text {
            return Err(Error::argument(format!(
                "{}: column \"{}\" holds text, not numbers: show it as categories",
                self.source, c.name
            )));
        }
        let mut values = filled(self.n_cells + 1, f64::NAN, "the column's values")?;
        for (row, &label) in self.labels.iter().enumerate() {
            values[label as usize] = number(c.field(row)).unwrap_or(f64::NAN);
        }
        Ok(values)
    }

    /// Column `column` as categories: one per distinct non-empty value,
    /// numbered in sorted order (numerically for a numeric column, else as
    /// text); an empty field, `nan` or `NA` is no category.
    pub fn categories(&self, column: usize) -> Result<Categories, Error> {
        let c = self.column(column)?;
        let numeric = c.kind != ColumnKind::Text;
        let rows = self
            .labels
            .iter()
            .enumerate()
            .map(|(row, &label)| (label as usize, c.field(row)))
            .filter(|(_, field)| !field.is_empty() && !is_missing(field));
        Categories::from_rows(&c.name, rows, numeric, self.n_cells, self.unmatched)
    }

    fn column(&self, column: usize) -> Result<&Column, Error> {
        self.columns.get(column).ok_or_else(|| {
            Error::argument(format!("{}: no column {column} (it has {})", self.source, self.columns.len()))
        })
    }
}

/// The kind of a column that was `kind` after one more field.
fn widen(kind: ColumnKind, field: &str) -> ColumnKind {
    if field.is_empty() || kind == ColumnKind::Text || is_missing(field) {
        return kind;
    }
    match (kind, field.parse::<i64>().is_ok(), field.parse::<f64>().is_ok()) {
        (ColumnKind::Integers, true, _) => ColumnKind::Integers,
        (_, _, true) => ColumnKind::Numbers,
        _ => ColumnKind::Text,
    }
}

fn is_missing(field: &str) -> bool {
    ["nan", "na"].iter().any(|m| field.eq_ignore_ascii_case(m))
}

/// A numeric field's value; `None` for an empty or missing one.
fn number(field: &str) -> Option<f64> {
    if field.is_empty() || is_missing(field) { None } else { field.parse().ok() }
}

/// A whole-number cell id (`12`, `12.0`).
fn parse_id(id: &str) -> Option<u64> {
    id.parse::<u64>().ok().or_else(|| {
        let v = id.parse::<f64>().ok()?;
        (v >= 0.0 && v.fract() == 0.0 && v < 2f64.powi(53)).then_some(v as u64)
    })
}

fn csv_error(source: &str, error: &csv::Error) -> Error {
    let line = error.position().map_or(String::new(), |p| format!(" line {}", p.line()));
    let what = match error.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{len} fields, the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".to_string(),
        _ => error.to_string(),
    };
    Error::input(format!("{source}{line}: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(csv: &str, n: usize) -> Result<Annotations, String> {
        Annotations::from_csv(csv.as_bytes(), "a.csv", n).map_err(|e| e.to_string())
    }

    #[test]
    fn the_id_column_is_cell_id_or_the_first() {
        let t = read("cluster,cell_id\n4,2\n5,1\n", 2).unwrap();
        assert_eq!((t.id_column(), t.columns()), ("cell_id", vec!["cluster"]));
        assert_eq!(t.values(0).unwrap()[1..], [5.0, 4.0]);
        let t = read("id,cluster\n2,4\n", 2).unwrap();
        assert_eq!((t.id_column(), t.values(0).unwrap()[2]), ("id", 4.0));
    }

    #[test]
    fn kinds_widen_from_integers_to_numbers_to_text() {
        let t = read("cell_id,a,b,c,d\n1,1,1,1,\n2,-2,2.5,x,NaN\n3,,1e3,2,\n", 3).unwrap();
        let kinds: Vec<_> = (0..4).map(|c| t.kind(c).unwrap()).collect();
        assert_eq!(
            kinds,
            [ColumnKind::Integers, ColumnKind::Numbers, ColumnKind::Text, ColumnKind::Integers]
        );
        assert!(t.values(2).unwrap_err().to_string().contains("column \"c\" holds text"));
        let d = t.values(3).unwrap();
        assert!(d.iter().all(|v| v.is_nan()));
    }

    #[test]
    fn integer_categories_sort_numerically_and_count_cells() {
        let t = read("cell_id,cluster\n1,10\n2,9\n3,10\n4,\n", 5).unwrap();
        let c = t.categories(0).unwrap();
        assert_eq!(c.names(), ["9", "10"]);
        assert_eq!(c.counts(), [1, 2]);
        assert_eq!((c.of(1), c.of(2), c.of(4), c.of(5)), (Some(1), Some(0), None, None));
    }

    #[test]
    fn quoted_fields_and_blank_lines() {
        let t = read("\"cell_id\",\"type\"\r\n2,\"T, cell\"\r\n\r\n1,B cell\r\n", 2).unwrap();
        assert_eq!(t.categories(0).unwrap().names(), ["B cell", "T, cell"]);
    }

    #[test]
    fn bad_files_give_one_line_naming_the_file() {
        let cases = [
            ("cell_id\n1\n", "a.csv: the header needs a cell id column and at least one more"),
            ("cell_id,k\n1,a\nx,b\n", "a.csv line 3: \"x\" is not a cell id"),
            ("cell_id,k\n1,a\n1,b\n", "a.csv line 3: cell 1 is listed twice"),
            ("cell_id,k\n1,a,b\n", "a.csv line 2: 3 fields, the header has 2"),
            ("cell_id,k\n9,a\n", "a.csv: no row names a cell of the image (ids 1 to 5"),
            ("", "a.csv: the header needs"),
        ];
        for (csv, message) in cases {
            let error = read(csv, 5).unwrap_err();
            assert!(error.starts_with(message), "{csv:?}: {error}");
            assert!(!error.contains('\n'));
        }
        let error = Annotations::from_csv(b"cell_id,k\n1,\xff\n", "a.csv", 2).unwrap_err().to_string();
        assert!(error.starts_with("a.csv line 2: not UTF-8"), "{error}");
    }

    #[test]
    fn many_categories_keep_twenty_colours_for_the_most_common() {
        // category k (k = 0..25) has k + 1 cells: the 20 largest are 5..25
        let mut csv = String::from("cell_id,k\n");
        let mut label = 0;
        for k in 0..25 {
            for _ in 0..=k {
                label += 1;
                csv.push_str(&format!("{label},c{k:02}\n"));
            }
        }
        let c = read(&csv, label).unwrap().categories(0).unwrap();
        let slots = c.slots();
        for (k, &slot) in slots.iter().enumerate() {
            let expected = if k >= 5 { 24 - k as u32 } else { CATEGORY_SLOTS as u32 };
            assert_eq!(slot, expected, "category {k}");
        }
        assert_eq!(slot_rgba(Some(slots[0])), OTHER_CATEGORY_RGBA);
        assert_eq!(c.slot_of(1), Some(CATEGORY_SLOTS as u32));
        assert_eq!(c.slot_of(label), Some(0));
    }
}
