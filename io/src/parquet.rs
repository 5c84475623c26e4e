//! Parquet transcript tables (10x Xenium `transcripts.parquet`), read with
//! the arrow-rs `parquet` crate's column readers (no arrow), one row group
//! at a time: memory is the kept transcripts plus one row group's columns.
//!
//! The columns are found by name exactly as in CSV tables
//! ([`Options`]: presets, `Column::Any`, row filters, `qv`, control
//! probes); `Column::Index` counts the file's top-level leaf columns.
//! Coordinates may be `float`, `double`, `int32` or `int64`; the gene
//! `string` / `binary` (dictionary-encoded or plain); filter columns any of
//! these (compared as text: `fov=2` matches an integer 2).
//!
//! Codecs: snappy, gzip, lz4, brotli (pure Rust, also on wasm32) and, on
//! native targets only, zstd.

use std::collections::HashMap;

use parquet::basic::Type as PhysicalType;
use parquet::column::reader::ColumnReader;
use parquet::data_type::ByteArray;
use parquet::file::reader::{ChunkReader, FileReader, RowGroupReader, SerializedFileReader};

use crate::error::{Error, ErrorKind};
use crate::table;
use crate::transcripts::{Column, Options, Precision, Transcripts};

/// `true` when `bytes` start with the Parquet magic `PAR1`.
pub fn is_parquet(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PAR1")
}

/// Reads a Parquet transcript table from memory.
pub fn read_bytes(bytes: Vec<u8>, source: &str, options: &Options) -> Result<Transcripts, Error> {
    read(bytes::Bytes::from(bytes), source, options)
}

/// Reads a Parquet transcript table from a file (`std::fs::File`) or bytes.
pub fn read<R: ChunkReader + 'static>(
    reader: R,
    source: &str,
    options: &Options,
) -> Result<Transcripts, Error> {
    let err =
        |e: parquet::errors::ParquetError| Error::new(source, ErrorKind::Header(format!("parquet: {e}")));
    if !(options.units_per_pixel.is_finite() && options.units_per_pixel > 0.0) {
        return Err(Error::new(
            source,
            ErrorKind::Core(cellmap_core::Error::InvalidArgument(
                "units per pixel must be finite and positive",
            )),
        ));
    }
    let file = SerializedFileReader::new(reader).map_err(err)?;
    let schema = file.metadata().file_metadata().schema_descr_ptr();
    let names: Vec<String> = schema.columns().iter().map(|c| c.path().string()).collect();
    let find = |column: &Column, role: &str| -> Result<usize, Error> {
        match table::position(&names, column) {
            Some(i) if i < names.len() => Ok(i),
            _ => Err(Error::new(
                source,
                ErrorKind::Header(format!(
                    "no {} column (columns: {}); {}",
                    table::describe(column, role),
                    names.join(", "),
                    table::COLUMN_FLAGS_HINT
                )),
            )),
        }
    };
    let x_col = find(&options.x, "x")?;
    let y_col = find(&options.y, "y")?;
    let gene_col = find(&options.gene, "gene")?;
    let qv_col = match (&options.qv, options.min_qv) {
        (Some(column), Some(min)) => Some((find(column, "qv")?, min)),
        _ => None,
    };
    let filters = options
        .filters
        .iter()
        .map(|(name, value)| Ok((find(&Column::name(name), name)?, value.trim().to_string())))
        .collect::<Result<Vec<_>, Error>>()?;

    let total = u64::try_from(file.metadata().file_metadata().num_rows()).unwrap_or(0);
    if total > options.limits.max_records {
        return Err(Error::new(
            source,
            ErrorKind::LimitExceeded {
                what: "transcript table",
                needed: total,
                unit: "records",
                limit: options.limits.max_records,
            },
        ));
    }
    let over_budget = |e| Error::new(source, ErrorKind::OverBudget(Box::new(e)));
    options
        .limits
        .memory
        .check_elements(|| format!("transcript table of {total} records"), u128::from(total), 8 + 8 + 4)
        .map_err(over_budget)?;
    let mut out = Transcripts { units_per_pixel: options.units_per_pixel, ..Transcripts::default() };
    let total = total as usize;
    out.x.reserve_exact(total);
    out.y.reserve_exact(total);
    out.gene.reserve_exact(total);
    let mut ids: HashMap<Vec<u8>, u32> = HashMap::new();
    let mut name_bytes = 0u64;
    let mut next_name_check = 1u64 << 20;

    for g in 0..file.num_row_groups() {
        let group = file.get_row_group(g).map_err(err)?;
        let rows = usize::try_from(group.metadata().num_rows()).unwrap_or(0);
        let column_error = |i: usize, what: &str| {
            Error::new(source, ErrorKind::Header(format!("column `{}` (row group {g}): {what}", names[i])))
        };
        let xs = numbers(&*group, x_col, rows).map_err(|e| column_error(x_col, &e))?;
        // The schema's type, the same in every row group.
        out.x_precision = precision(&*group, x_col);
        out.y_precision = precision(&*group, y_col);
        let ys = numbers(&*group, y_col, rows).map_err(|e| column_error(y_col, &e))?;
        let genes = texts(&*group, gene_col, rows).map_err(|e| column_error(gene_col, &e))?;
        let qvs = match qv_col {
            Some((i, _)) => Some(numbers(&*group, i, rows).map_err(|e| column_error(i, &e))?),
            None => None,
        };
        let mut keep = vec![true; rows];
        for (i, value) in &filters {
            let values = texts(&*group, *i, rows).map_err(|e| column_error(*i, &e))?;
            for (k, v) in keep.iter_mut().zip(&values) {
                *k &= v.data().trim_ascii() == value.as_bytes();
            }
        }
        for r in 0..rows {
            if !keep[r] {
                out.dropped_filtered += 1;
                continue;
            }
            let gene = genes[r].data();
            if options.exclude_gene_prefixes.iter().any(|p| gene.starts_with(p.as_bytes())) {
                out.dropped_controls += 1;
                continue;
            }
            if let (Some(qvs), Some((_, min))) = (&qvs, qv_col) {
                if qvs[r] < min {
                    out.dropped_low_qv += 1;
                    continue;
                }
            }
            let id = match ids.get(gene) {
                Some(&id) => id,
                None => {
                    let text = std::str::from_utf8(gene).map_err(|_| {
                        column_error(gene_col, &format!("row {r}: a gene name is not valid UTF-8"))
                    })?;
                    name_bytes += 2 * gene.len() as u64 + 80;
                    if name_bytes >= next_name_check {
                        let what = || format!("the names of {} genes", out.gene_names.len() + 1);
                        options.limits.memory.check(what, u128::from(name_bytes)).map_err(over_budget)?;
                        next_name_check = name_bytes.saturating_mul(2);
                    }
                    let id = u32::try_from(out.gene_names.len())
                        .map_err(|_| column_error(gene_col, "more than 2^32 distinct genes"))?;
                    ids.insert(gene.to_vec(), id);
                    out.gene_names.push(text.to_string());
                    id
                }
            };
            out.x.push(xs[r]);
            out.y.push(ys[r]);
            out.gene.push(id);
        }
    }
    Ok(out)
}

/// Reads `rows` values of a required or null-free optional column.
fn read_all<T: parquet::data_type::DataType>(
    mut reader: parquet::column::reader::ColumnReaderImpl<T>,
    rows: usize,
) -> Result<Vec<T::T>, String> {
    let mut values = Vec::with_capacity(rows);
    let mut levels = Vec::with_capacity(rows);
    let mut read = 0;
    while read < rows {
        let (records, _values, _levels) = reader
            .read_records(rows - read, Some(&mut levels), None, &mut values)
            .map_err(|e| e.to_string())?;
        if records == 0 {
            break;
        }
        read += records;
    }
    if read != rows || values.len() != rows {
        return Err(format!("{} values for {rows} rows (null values are not supported)", values.len()));
    }
    Ok(values)
}

/// [`Precision::F32`] for a float32 column.
fn precision(group: &dyn RowGroupReader, i: usize) -> Precision {
    match physical(group, i) {
        PhysicalType::FLOAT => Precision::F32,
        _ => Precision::F64,
    }
}

/// A numeric column as `f64`.
fn numbers(group: &dyn RowGroupReader, i: usize, rows: usize) -> Result<Vec<f64>, String> {
    let reader = group.get_column_reader(i).map_err(|e| e.to_string())?;
    Ok(match reader {
        ColumnReader::DoubleColumnReader(r) => read_all(r, rows)?,
        ColumnReader::FloatColumnReader(r) => read_all(r, rows)?.into_iter().map(f64::from).collect(),
        ColumnReader::Int32ColumnReader(r) => read_all(r, rows)?.into_iter().map(f64::from).collect(),
        ColumnReader::Int64ColumnReader(r) => read_all(r, rows)?.into_iter().map(|v| v as f64).collect(),
        _ => return Err(format!("not a number column ({})", physical(group, i))),
    })
}

/// A column as text: strings and binary as they are, numbers formatted.
fn texts(group: &dyn RowGroupReader, i: usize, rows: usize) -> Result<Vec<ByteArray>, String> {
    let reader = group.get_column_reader(i).map_err(|e| e.to_string())?;
    let text = |s: String| ByteArray::from(s.into_bytes());
    Ok(match reader {
        ColumnReader::ByteArrayColumnReader(r) => read_all(r, rows)?,
        ColumnReader::Int32ColumnReader(r) => {
            read_all(r, rows)?.into_iter().map(|v| text(v.to_string())).collect()
        }
        ColumnReader::Int64ColumnReader(r) => {
            read_all(r, rows)?.into_iter().map(|v| text(v.to_string())).collect()
        }
        ColumnReader::DoubleColumnReader(r) => {
            read_all(r, rows)?.into_iter().map(|v| text(v.to_string())).collect()
        }
        ColumnReader::FloatColumnReader(r) => {
            read_all(r, rows)?.into_iter().map(|v| text(v.to_string())).collect()
        }
        ColumnReader::BoolColumnReader(r) => {
            read_all(r, rows)?.into_iter().map(|v| text(v.to_string())).collect()
        }
        _ => return Err(format!("unsupported column type ({})", physical(group, i))),
    })
}

fn physical(group: &dyn RowGroupReader, i: usize) -> PhysicalType {
    group.metadata().column(i).column_type()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/../tests/fixtures/tables/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn xenium_parquet_reads_like_the_preset_says() {
        for name in ["xenium.parquet", "xenium_binary.parquet"] {
            let t = read_bytes(fixture(name), name, &Options::xenium()).unwrap();
            assert_eq!((t.len(), t.dropped_controls, t.dropped_low_qv), (313, 36, 151), "{name}");
            assert!(t.gene_names.iter().all(|g| !g.starts_with("NegControl") && !g.starts_with("BLANK")));
        }
        let mut o = Options::xenium();
        o.filters = vec![("cell_id".into(), "UNASSIGNED".into()), ("overlaps_nucleus".into(), "0".into())];
        assert_eq!(read_bytes(fixture("xenium.parquet"), "x.parquet", &o).unwrap().len(), 313);
        o.filters = vec![("overlaps_nucleus".into(), "1".into())];
        let t = read_bytes(fixture("xenium.parquet"), "x.parquet", &o).unwrap();
        assert_eq!((t.len(), t.dropped_filtered), (0, 500));
        let err =
            read_bytes(fixture("xenium.parquet"), "x.parquet", &Options::cosmx()).unwrap_err().to_string();
        assert!(
            err.starts_with("x.parquet: ") && err.contains("x_location") && err.contains("--x-col"),
            "{err}"
        );
        let err = read_bytes(b"PAR1 not really".to_vec(), "y.parquet", &Options::xenium()).unwrap_err();
        assert!(err.to_string().starts_with("y.parquet: "), "{err}");
    }
}
