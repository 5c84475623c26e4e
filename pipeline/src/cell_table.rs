//! Cell × gene tables as files, for clustering: the `table.csv` that
//! `cellmap run --csv` writes (`cell_id,<gene>,…`, one row per cell) or a
//! 2-D `.npy` (row `k − 1` = cell `k`, genes `gene_<j>`), and truth
//! labellings (`cell_id,<label>` CSV, or a 1-D `.npy` in table row order).

use crate::Error;
use crate::analysis::DenseTable;
use crate::memory::budget;

/// A table with its cell ids and gene names.
#[derive(Debug, Clone, PartialEq)]
pub struct CellGeneTable {
    /// One id per row (the CSV's first column, or `1..=N` for `.npy`).
    pub cell_ids: Vec<String>,
    /// One name per column.
    pub genes: Vec<String>,
    /// The values.
    pub table: DenseTable,
}

fn is_npy(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x93NUMPY")
}

/// Reads a cell × gene table from the bytes of a `.npy` (2-D, numeric) or
/// a CSV with a header (first column the cell id, then one column per
/// gene; values parsed as `f64`). `source` names the file in errors.
///
/// # Errors
///
/// One-line input errors naming `source` and the line: a ragged row, a
/// value that is not a number, an empty table, a wrong `.npy` shape; out of
/// memory.
///
/// ```
/// let t = cellmap::read_cell_gene_table_bytes(b"cell_id,A,B\n1,0.0,2\n2,1,3\n", "t.csv").unwrap();
/// assert_eq!((t.cell_ids.len(), t.genes.as_slice()), (2, &["A".to_string(), "B".to_string()][..]));
/// assert_eq!(t.table.row(1), &[1.0, 3.0]);
/// let e = cellmap::read_cell_gene_table_bytes(b"cell_id,A\n1,x\n", "t.csv").unwrap_err();
/// assert_eq!(e.to_string(), "t.csv: line 2, column 2: `x` is not a number");
/// ```
pub fn read_cell_gene_table_bytes(bytes: &[u8], source: &str) -> Result<CellGeneTable, Error> {
    if is_npy(bytes) {
        let array = cellmap_io::npy::read(bytes, source)?;
        let &[cells, genes] = array.shape() else {
            return Err(Error::input(format!(
                "{source}: expected a 2-D cells × genes array, got shape {:?}",
                array.shape()
            )));
        };
        let values = array
            .data()
            .to_f64()
            .ok_or_else(|| Error::input(format!("{source}: a string array is not a table")))?;
        let table = DenseTable::new(cells, genes, values).map_err(|e| e.context(source))?;
        return Ok(CellGeneTable {
            cell_ids: (1..=cells).map(|c| c.to_string()).collect(),
            genes: (0..genes).map(|g| format!("gene_{g}")).collect(),
            table,
        });
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
    let header = reader.headers().map_err(|e| Error::input(format!("{source}: {e}")))?;
    if header.len() < 2 {
        return Err(Error::input(format!(
            "{source}: the header needs a cell id column and at least one gene"
        )));
    }
    let genes: Vec<String> = header.iter().skip(1).map(str::to_string).collect();
    let width = genes.len();
    // Each row holds at least `width` bytes of separators: bounds the values before reading them.
    budget(|| format!("{source}: the table"), (bytes.len() / width.max(1)) as u128 * width as u128, 8)?;
    let mut cell_ids = Vec::new();
    let mut values = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let line = row + 2;
        let record = record.map_err(|e| Error::input(format!("{source}: line {line}: {e}")))?;
        if record.len() != width + 1 {
            return Err(Error::input(format!(
                "{source}: line {line}: {} fields, the header has {}",
                record.len(),
                width + 1
            )));
        }
        cell_ids.push(record[0].to_string());
        for (j, field) in record.iter().enumerate().skip(1) {
            let v: f64 = field.trim().parse().map_err(|_| {
                Error::input(format!("{source}: line {line}, column {}: `{field}` is not a number", j + 1))
            })?;
            values.push(v);
        }
    }
    if cell_ids.is_empty() {
        return Err(Error::input(format!("{source}: no cells (only a header)")));
    }
    let table = DenseTable::new(cell_ids.len(), width, values)?;
    Ok(CellGeneTable { cell_ids, genes, table })
}

/// Truth labels for `cell_ids`, from a CSV (`cell_id,<label>` with a header;
/// every cell of the table needs exactly one row, other rows are ignored)
/// or a 1-D `.npy` of one label per table row. Labels are kept as text.
///
/// # Errors
///
/// One-line input errors naming `source`: a missing or repeated cell, a
/// row without two fields, a `.npy` of the wrong length.
///
/// ```
/// let ids = vec!["1".to_string(), "2".to_string()];
/// let truth = cellmap::read_truth_labels_bytes(b"cell_id,layer\n2,L2\n1,L1\n3,L9\n", "t.csv", &ids).unwrap();
/// assert_eq!(truth, ["L1", "L2"]);
/// let e = cellmap::read_truth_labels_bytes(b"cell_id,layer\n1,L1\n", "t.csv", &ids).unwrap_err();
/// assert_eq!(e.to_string(), "t.csv: no label for cell 2");
/// ```
pub fn read_truth_labels_bytes(
    bytes: &[u8],
    source: &str,
    cell_ids: &[String],
) -> Result<Vec<String>, Error> {
    if is_npy(bytes) {
        let array = cellmap_io::npy::read(bytes, source)?;
        if array.shape() != [cell_ids.len()] {
            return Err(Error::input(format!(
                "{source}: expected {} labels (one per cell), got shape {:?}",
                cell_ids.len(),
                array.shape()
            )));
        }
        let values = array
            .data()
            .to_f64()
            .ok_or_else(|| Error::input(format!("{source}: string arrays are not supported")))?;
        return Ok(values.iter().map(|v| format!("{v}")).collect());
    }
    let index: std::collections::HashMap<&str, usize> =
        cell_ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    let mut labels: Vec<Option<String>> = vec![None; cell_ids.len()];
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(bytes);
    for (row, record) in reader.records().enumerate() {
        let line = row + 2;
        let record = record.map_err(|e| Error::input(format!("{source}: line {line}: {e}")))?;
        if record.len() < 2 {
            return Err(Error::input(format!("{source}: line {line}: expected cell_id,label")));
        }
        if let Some(&i) = index.get(&record[0]) {
            if labels[i].is_some() {
                return Err(Error::input(format!(
                    "{source}: line {line}: cell {} is labelled twice",
                    &record[0]
                )));
            }
            labels[i] = Some(record[1].to_string());
        }
    }
    labels
        .into_iter()
        .zip(cell_ids)
        .map(|(l, id)| l.ok_or_else(|| Error::input(format!("{source}: no label for cell {id}"))))
        .collect()
}

/// Clusters as CSV: `cell_id,cluster` (clusters `0..k`).
///
/// ```
/// let mut out = Vec::new();
/// cellmap::write_clusters_csv(&mut out, &["a".to_string(), "b".to_string()], &[1, 0]).unwrap();
/// assert_eq!(out, b"cell_id,cluster\na,1\nb,0\n");
/// ```
pub fn write_clusters_csv<W: std::io::Write>(
    writer: W,
    cell_ids: &[String],
    clusters: &[u32],
) -> std::io::Result<()> {
    let mut csv = csv::WriterBuilder::new().from_writer(writer);
    let err = |e: csv::Error| std::io::Error::other(e.to_string());
    csv.write_record(["cell_id", "cluster"]).map_err(err)?;
    for (id, c) in cell_ids.iter().zip(clusters) {
        csv.write_record([id.as_str(), c.to_string().as_str()]).map_err(err)?;
    }
    csv.flush()
}

/// [`read_cell_gene_table_bytes`] on a file.
///
/// # Errors
///
/// As the bytes reader, and a read error naming the file.
#[cfg(feature = "fs")]
pub fn read_cell_gene_table(path: &std::path::Path) -> Result<CellGeneTable, Error> {
    let source = path.display().to_string();
    read_cell_gene_table_bytes(&read_file(path)?, &source)
}

/// [`read_truth_labels_bytes`] on a file.
///
/// # Errors
///
/// As the bytes reader, and a read error naming the file.
#[cfg(feature = "fs")]
pub fn read_truth_labels(path: &std::path::Path, cell_ids: &[String]) -> Result<Vec<String>, Error> {
    let source = path.display().to_string();
    read_truth_labels_bytes(&read_file(path)?, &source, cell_ids)
}

#[cfg(feature = "fs")]
fn read_file(path: &std::path::Path) -> Result<Vec<u8>, Error> {
    let len = std::fs::metadata(path).map_err(|e| Error::input(format!("{}: {e}", path.display())))?.len();
    budget(|| format!("{}", path.display()), u128::from(len), 1)?;
    std::fs::read(path).map_err(|e| Error::input(format!("{}: {e}", path.display())))
}
