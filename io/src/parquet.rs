//! Parquet transcript tables (10x Xenium `transcripts.parquet`) and cell
//! polygons (Xenium and MERSCOPE `cell_boundaries.parquet`,
//! [`read_polygons`]), read with the arrow-rs `parquet` crate's column
//! readers (no arrow), one row group at a time: memory is the kept
//! transcripts or polygons plus one row group's columns.
//!
//! The columns are found by name exactly as in CSV tables
//! ([`Options`]: presets, `Column::Any`, row filters, `qv`, control
//! probes); `Column::Index` counts the file's top-level leaf columns.
//! Coordinates may be `float`, `double`, `int32` or `int64`; the gene
//! `string` / `binary` (dictionary-encoded or plain); filter columns any of
//! these (compared as text: `fov=2` matches an integer 2).
//!
//! Codecs: snappy and gzip (pure Rust, also on wasm32); on native targets
//! also lz4, brotli and zstd (left out of the viewer's tables module for its
//! size).

use std::collections::HashMap;

use parquet::basic::Type as PhysicalType;
use parquet::column::reader::ColumnReader;
use parquet::data_type::ByteArray;
use parquet::file::reader::{ChunkReader, FileReader, RowGroupReader, SerializedFileReader};

use crate::error::{Error, ErrorKind};
use crate::limits::{MemoryBudget, capped_list};
use crate::polygons::{Polygons, VertexFrame, VertexRows, XENIUM_UM_PER_PIXEL, push_wkb_cell};
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
    read_with_progress(reader, source, options, &mut |_, _| {})
}

/// The names of the top-level leaf columns of a Parquet file (what
/// `Column::Index` counts): what a front end offers when the columns are
/// not found by name.
pub fn column_names<R: ChunkReader + 'static>(reader: R, source: &str) -> Result<Vec<String>, Error> {
    let file = SerializedFileReader::new(reader)
        .map_err(|e| Error::new(source, ErrorKind::Header(format!("parquet: {e}"))))?;
    Ok(file.metadata().file_metadata().schema_descr().columns().iter().map(|c| c.path().string()).collect())
}

/// [`read`], calling `progress(rows, total)` after each row group with the
/// rows read so far (kept or dropped) and the file's row count.
pub fn read_with_progress<R: ChunkReader + 'static>(
    reader: R,
    source: &str,
    options: &Options,
    progress: &mut dyn FnMut(u64, u64),
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
    let mut rows_read = 0u64;

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
        rows_read += rows as u64;
        progress(rows_read, total as u64);
    }
    Ok(out)
}

/// The z-plane MERSCOPE polygons are read from by default: the middle of
/// its seven planes (`ZIndex` 0–6), if present; else the lowest present.
pub const MERSCOPE_DEFAULT_Z: i64 = 3;

/// Options of [`read_polygons`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PolygonOptions {
    /// Applied to every vertex first (MERSCOPE: µm → mosaic pixels, the
    /// `[[a, b, c], [d, e, f]]` of [`VertexFrame`]); `None`: the identity.
    pub transform: Option<[[f64; 3]; 2]>,
    /// Coordinate units per pixel after the transform; `None`: 0.2125 for
    /// Xenium (µm), 1 for MERSCOPE.
    pub scale: Option<f64>,
    /// MERSCOPE: the `ZIndex` to read; `None`: [`MERSCOPE_DEFAULT_Z`] if
    /// present, else the lowest present.
    pub z_plane: Option<i64>,
}

/// Which `cell_boundaries.parquet` a file was (told by its columns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolygonLayout {
    /// Xenium: `cell_id, vertex_x, vertex_y`.
    Xenium,
    /// MERSCOPE: `EntityID, ZIndex, Geometry`; the plane read and the
    /// planes present (ascending).
    Merscope {
        /// The `ZIndex` read.
        z_plane: i64,
        /// Every `ZIndex` of the file.
        planes: Vec<i64>,
    },
}

/// Reads cell polygons from a Xenium or MERSCOPE `cell_boundaries.parquet`
/// (see [`crate::polygons`]): Xenium when it has the columns `cell_id`,
/// `vertex_x`, `vertex_y`, MERSCOPE when it has `EntityID` and `Geometry`.
/// Errors name `source` and, for a bad value, its row (1-based over the
/// file).
pub fn read_polygons<R: ChunkReader + 'static>(
    reader: R,
    source: &str,
    options: &PolygonOptions,
) -> Result<(Polygons, PolygonLayout), Error> {
    let err =
        |e: parquet::errors::ParquetError| Error::new(source, ErrorKind::Header(format!("parquet: {e}")));
    let file = SerializedFileReader::new(reader).map_err(err)?;
    let schema = file.metadata().file_metadata().schema_descr_ptr();
    let names: Vec<String> = schema.columns().iter().map(|c| c.path().string()).collect();
    let has = |name: &str| names.iter().any(|n| n == name);
    let xenium = has("cell_id") && has("vertex_x") && has("vertex_y");
    let merscope = has("EntityID") && has("Geometry");
    if !(xenium || merscope) {
        return Err(Error::new(
            source,
            ErrorKind::Header(format!(
                "neither Xenium (cell_id, vertex_x, vertex_y) nor MERSCOPE (EntityID, ZIndex, Geometry) \
                 cell boundaries (columns: {})",
                capped_list(&names, 12)
            )),
        ));
    }
    let default_scale = if xenium { XENIUM_UM_PER_PIXEL } else { 1.0 };
    let frame = VertexFrame { transform: options.transform, scale: options.scale.unwrap_or(default_scale) };
    frame
        .check()
        .map_err(|why| Error::new(source, ErrorKind::Core(cellmap_core::Error::InvalidArgument(why))))?;
    if file.metadata().file_metadata().num_rows() <= 0 {
        return Err(Error::new(source, ErrorKind::Table("no cell polygons (the table has no rows)".into())));
    }
    let column = |name: &str| {
        names.iter().position(|n| n == name).ok_or_else(|| {
            Error::new(source, ErrorKind::MissingColumn { name: name.into(), available: names.clone() })
        })
    };
    let groups = PolygonGroups { file: &file, source, names: &names };
    if xenium {
        let columns = [column("cell_id")?, column("vertex_x")?, column("vertex_y")?];
        Ok((groups.xenium(columns, frame)?, PolygonLayout::Xenium))
    } else {
        let columns = [column("EntityID")?, column("ZIndex")?, column("Geometry")?];
        let (polygons, z_plane, planes) = groups.merscope(columns, frame, options.z_plane)?;
        Ok((polygons, PolygonLayout::Merscope { z_plane, planes }))
    }
}

/// The row groups of a polygon table, read one at a time.
struct PolygonGroups<'a> {
    file: &'a dyn FileReader,
    source: &'a str,
    names: &'a [String],
}

impl PolygonGroups<'_> {
    /// Row group `g`, its first row (0-based over the file) and row count,
    /// once its uncompressed size and decoded values (as the header declares
    /// them) fit the memory budget.
    fn group(&self, g: usize, first: u64) -> Result<(Box<dyn RowGroupReader + '_>, usize), Error> {
        let group = self
            .file
            .get_row_group(g)
            .map_err(|e| Error::new(self.source, ErrorKind::Header(format!("parquet: {e}"))))?;
        let bytes = u64::try_from(group.metadata().total_byte_size()).unwrap_or(0);
        let rows = u64::try_from(group.metadata().num_rows()).unwrap_or(0);
        // Three columns of at most a `ByteArray` (32 bytes) and a level (2 bytes) per row.
        let needed = 2 * u128::from(bytes) + 3 * 34 * u128::from(rows);
        MemoryBudget::global()
            .check(|| format!("{}: row group {g} (rows from {})", self.source, first + 1), needed)
            .map_err(|e| Error::new(self.source, ErrorKind::OverBudget(Box::new(e))))?;
        Ok((group, rows as usize))
    }

    fn column_error(&self, i: usize, g: usize, what: &str) -> Error {
        Error::new(
            self.source,
            ErrorKind::Header(format!("column `{}` (row group {g}): {what}", self.names[i])),
        )
    }

    fn row_error(&self, row: u64, message: String) -> Error {
        Error::new(self.source, ErrorKind::Row { row, message })
    }

    fn xenium(&self, [id_col, x_col, y_col]: [usize; 3], frame: VertexFrame) -> Result<Polygons, Error> {
        let mut cells = VertexRows::table(self.source, frame);
        let mut first = 0u64;
        for g in 0..self.file.num_row_groups() {
            let (group, rows) = self.group(g, first)?;
            let ids = texts(&*group, id_col, rows).map_err(|e| self.column_error(id_col, g, &e))?;
            let xs = floats(&*group, x_col, rows).map_err(|e| self.column_error(x_col, g, &e))?;
            let ys = floats(&*group, y_col, rows).map_err(|e| self.column_error(y_col, g, &e))?;
            for (r, ((id, x), y)) in ids.iter().zip(xs).zip(ys).enumerate() {
                let row = first + r as u64 + 1;
                let id = std::str::from_utf8(id.data())
                    .map_err(|_| self.row_error(row, "cell_id is not valid UTF-8".into()))?;
                cells.push(id, x, y, row)?;
            }
            first += rows as u64;
        }
        Ok(cells.finish())
    }

    fn merscope(
        &self,
        [id_col, z_col, geometry_col]: [usize; 3],
        frame: VertexFrame,
        z_plane: Option<i64>,
    ) -> Result<(Polygons, i64, Vec<i64>), Error> {
        // First pass: the planes present (the ZIndex column only).
        let mut planes = Vec::new();
        let mut first = 0u64;
        for g in 0..self.file.num_row_groups() {
            let (group, rows) = self.group(g, first)?;
            planes.extend(integers(&*group, z_col, rows).map_err(|e| self.column_error(z_col, g, &e))?);
            planes.sort_unstable();
            planes.dedup();
            first += rows as u64;
        }
        let z = match z_plane {
            Some(z) if planes.contains(&z) => z,
            Some(z) => {
                return Err(Error::new(
                    self.source,
                    ErrorKind::Table(format!(
                        "no cell polygons on z-plane {z} (ZIndex present: {})",
                        capped_list(&planes, 12)
                    )),
                ));
            }
            None if planes.contains(&MERSCOPE_DEFAULT_Z) => MERSCOPE_DEFAULT_Z,
            None => planes.first().copied().unwrap_or(MERSCOPE_DEFAULT_Z),
        };
        let mut polygons = Polygons::default();
        let mut seen: HashMap<Vec<u8>, u64> = HashMap::new();
        let mut first = 0u64;
        for g in 0..self.file.num_row_groups() {
            let (group, rows) = self.group(g, first)?;
            let zs = integers(&*group, z_col, rows).map_err(|e| self.column_error(z_col, g, &e))?;
            let ids = texts(&*group, id_col, rows).map_err(|e| self.column_error(id_col, g, &e))?;
            let geometries =
                binaries(&*group, geometry_col, rows).map_err(|e| self.column_error(geometry_col, g, &e))?;
            for (r, ((&zr, id), wkb)) in zs.iter().zip(&ids).zip(&geometries).enumerate() {
                if zr != z {
                    continue;
                }
                let row = first + r as u64 + 1;
                let id = std::str::from_utf8(id.data())
                    .map_err(|_| self.row_error(row, "EntityID is not valid UTF-8".into()))?;
                if let Some(before) = seen.insert(id.as_bytes().to_vec(), row) {
                    return Err(self.row_error(
                        row,
                        format!(
                            "EntityID {id} has a second polygon on z-plane {z} (the first on row {before})"
                        ),
                    ));
                }
                crate::polygons::check_growth(&polygons, self.source)?;
                push_wkb_cell(&mut polygons, wkb.data(), id.to_string(), &frame)
                    .map_err(|why| self.row_error(row, format!("EntityID {id}: bad Geometry: {why}")))?;
            }
            first += rows as u64;
        }
        Ok((polygons, z, planes))
    }
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

/// A `float` or `double` column as `f64`.
fn floats(group: &dyn RowGroupReader, i: usize, rows: usize) -> Result<Vec<f64>, String> {
    match group.get_column_reader(i).map_err(|e| e.to_string())? {
        ColumnReader::DoubleColumnReader(r) => read_all(r, rows),
        ColumnReader::FloatColumnReader(r) => Ok(read_all(r, rows)?.into_iter().map(f64::from).collect()),
        _ => Err(format!("not a float column ({})", physical(group, i))),
    }
}

/// An `int32` or `int64` column as `i64`.
fn integers(group: &dyn RowGroupReader, i: usize, rows: usize) -> Result<Vec<i64>, String> {
    match group.get_column_reader(i).map_err(|e| e.to_string())? {
        ColumnReader::Int64ColumnReader(r) => read_all(r, rows),
        ColumnReader::Int32ColumnReader(r) => Ok(read_all(r, rows)?.into_iter().map(i64::from).collect()),
        _ => Err(format!("not an integer column ({})", physical(group, i))),
    }
}

/// A `binary` column (WKB).
fn binaries(group: &dyn RowGroupReader, i: usize, rows: usize) -> Result<Vec<ByteArray>, String> {
    match group.get_column_reader(i).map_err(|e| e.to_string())? {
        ColumnReader::ByteArrayColumnReader(r) => read_all(r, rows),
        _ => Err(format!("not a binary column ({})", physical(group, i))),
    }
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

    fn polygons(name: &str, options: &PolygonOptions) -> Result<(Polygons, PolygonLayout), Error> {
        let bytes = fixture(&format!("../polygons/{name}"));
        read_polygons(bytes::Bytes::from(bytes), name, options)
    }

    #[test]
    fn xenium_parquet_gives_the_cells_of_the_csv() {
        let csv = std::fs::read(format!(
            "{}/../tests/fixtures/polygons/xenium_cell_boundaries.csv.gz",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let want = crate::polygons::read_bytes(
            &csv,
            "c.csv.gz",
            crate::polygons::Format::XeniumCsv,
            XENIUM_UM_PER_PIXEL,
        )
        .unwrap();
        let options = PolygonOptions::default();
        for name in [
            "xenium_cell_boundaries.parquet",
            "xenium_cell_boundaries_binary.parquet",
            "xenium_cell_boundaries_int.parquet",
        ] {
            let (got, layout) = polygons(name, &options).unwrap();
            assert_eq!(layout, PolygonLayout::Xenium);
            assert_eq!(
                (&got.vertices, &got.ring_ends, &got.cell_ends),
                (&want.vertices, &want.ring_ends, &want.cell_ends),
                "{name}"
            );
            let ids: Vec<String> = if name.ends_with("_int.parquet") {
                (1..=6).map(|k| k.to_string()).collect()
            } else {
                want.ids.clone()
            };
            assert_eq!(got.ids, ids, "{name}");
        }
    }

    #[test]
    fn merscope_parquet_reads_one_plane() {
        let (default, layout) =
            polygons("merscope/cell_boundaries.parquet", &PolygonOptions::default()).unwrap();
        assert_eq!(layout, PolygonLayout::Merscope { z_plane: 3, planes: (0..7).collect() });
        // Nine cells on plane 3 (one is on planes 0, 1, 5, 6 only), ids as text.
        assert_eq!(default.len(), 9);
        assert_eq!(default.ids[0], "1780200000000000007");
        // The hole and the two parts: two rings each.
        assert_eq!((default.cell(7).1.len(), default.cell(8).1.len()), (2, 2));
        let z0 = PolygonOptions { z_plane: Some(0), ..PolygonOptions::default() };
        let (plane0, _) = polygons("merscope/cell_boundaries.parquet", &z0).unwrap();
        // The two-part cell is on planes 2..4 only; the last cell is not on plane 3.
        assert_eq!((plane0.len(), plane0.ids[8].as_str()), (9, "1780200000000009007"));
        assert_eq!(default.ids[8], "1780200000000008007");
        // Scale 1 and no transform: µm - 0.5; the transform comes first.
        let t = [[2.0, 0.0, 10.0], [0.0, 2.0, -4.0]];
        let moved = PolygonOptions { transform: Some(t), ..PolygonOptions::default() };
        let (mosaic, _) = polygons("merscope/cell_boundaries.parquet", &moved).unwrap();
        let ([x, y], [mx, my]) = (default.vertices[0], mosaic.vertices[0]);
        assert_eq!([mx, my], [2.0 * (x + 0.5) + 10.0 - 0.5, 2.0 * (y + 0.5) - 4.0 - 0.5]);
        let e = polygons("merscope/cell_boundaries.parquet", &PolygonOptions { z_plane: Some(9), ..z0 })
            .unwrap_err()
            .to_string();
        assert!(e.contains("z-plane 9") && e.contains("0, 1, 2, 3, 4, 5, 6"), "{e}");
    }

    #[test]
    fn bad_polygon_tables_name_the_file_and_row() {
        let options = PolygonOptions::default();
        let cases = [
            ("bad/restart.parquet", &["row 5", "cell `a` starts again", "row 1"][..]),
            ("bad/text_vertex.parquet", &["vertex_x", "not a float column"]),
            ("bad/empty.parquet", &["no rows"]),
            ("bad/truncated_wkb.parquet", &["row 2", "EntityID 12", "bad Geometry"]),
            ("bad/no_zindex.parquet", &["missing column `ZIndex`"]),
        ];
        for (name, words) in cases {
            let e = polygons(name, &options).unwrap_err().to_string();
            assert!(e.starts_with(&format!("{name}: ")) && e.lines().count() == 1, "{e}");
            for word in words {
                assert!(e.contains(word), "{name}: {word}: {e}");
            }
        }
        // A transcript table is neither layout.
        let e = read_polygons(bytes::Bytes::from(fixture("xenium.parquet")), "t.parquet", &options)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.parquet: ") && e.contains("neither Xenium") && e.contains("x_location"),
            "{e}"
        );
        let bad_scale = PolygonOptions { scale: Some(0.0), ..options };
        assert!(polygons("xenium_cell_boundaries.parquet", &bad_scale).is_err());
    }
}

/// Columns of a points table for [`write_points`], one entry per point.
#[derive(Debug, Clone, Copy)]
pub struct PointColumns<'a> {
    /// x (column direction).
    pub x: &'a [f32],
    /// y (row direction).
    pub y: &'a [f32],
    /// Gene of each point: an index into `gene_names`.
    pub gene: &'a [u32],
    /// The gene names.
    pub gene_names: &'a [String],
    /// The cell of each point (0: none).
    pub cell_id: &'a [i32],
    /// A sort key of each point (the Morton code of its position).
    pub morton_code_2d: &'a [u32],
}

/// Writes `points` as a Parquet file (snappy, dictionary-encoded; rows in the order given, in
/// row groups of `row_group` rows): columns `x`, `y` (float), `gene` (string), `cell_id`
/// (int32), `feature_index` (int32: the gene's index) and `morton_code_2d` (uint32), as
/// SpatialData's points elements and Vitessce read them.
///
/// ```
/// use cellmap_io::parquet::{PointColumns, write_points};
/// let names = vec!["Gad1".to_string(), "Sst".to_string()];
/// let points = PointColumns {
///     x: &[1.5, 2.0], y: &[0.5, 3.0], gene: &[1, 0], gene_names: &names,
///     cell_id: &[7, 0], morton_code_2d: &[3, 9],
/// };
/// let mut file = Vec::new();
/// write_points(&mut file, &points, 100_000, "points.parquet")?;
/// let options = cellmap_io::transcripts::Options::auto();
/// let back = cellmap_io::parquet::read_bytes(file, "points.parquet", &options)?;
/// assert_eq!((back.x.as_slice(), back.gene_names[back.gene[0] as usize].as_str()), (&[1.5, 2.0][..], "Sst"));
/// # Ok::<(), cellmap_io::Error>(())
/// ```
pub fn write_points<W: std::io::Write + Send>(
    out: W,
    points: &PointColumns<'_>,
    row_group: usize,
    source: &str,
) -> Result<(), Error> {
    use parquet::basic::Compression;
    use parquet::data_type::{FloatType, Int32Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use std::sync::Arc;

    let n = points.x.len();
    let lengths = [points.y.len(), points.gene.len(), points.cell_id.len(), points.morton_code_2d.len()];
    let failed =
        |e: parquet::errors::ParquetError| Error::new(source, ErrorKind::Io(std::io::Error::other(e)));
    if lengths.iter().any(|&len| len != n)
        || points.gene.iter().any(|&g| g as usize >= points.gene_names.len())
    {
        return Err(Error::new(
            source,
            ErrorKind::Header("point columns of different lengths or genes out of range".into()),
        ));
    }
    let schema = parquet::schema::parser::parse_message_type(
        "message points { required float x; required float y; required binary gene (STRING); \
         required int32 cell_id; required int32 feature_index; required int32 morton_code_2d (INTEGER(32, false)); }",
    )
    .map_err(failed)?;
    // Dictionaries for the columns with few distinct values only: for coordinates and codes the
    // encoder would build one per row group and give it up (time, no gain).
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_dictionary_enabled(false)
        .set_column_dictionary_enabled("gene".into(), true)
        .set_column_dictionary_enabled("feature_index".into(), true)
        .build();
    let mut writer =
        SerializedFileWriter::new(out, Arc::new(schema), Arc::new(properties)).map_err(failed)?;
    let names: Vec<ByteArray> = points.gene_names.iter().map(|n| ByteArray::from(n.as_str())).collect();
    for start in (0..n).step_by(row_group.max(1)) {
        let rows = start..(start + row_group.max(1)).min(n);
        let mut group = writer.next_row_group().map_err(failed)?;
        let mut column = 0;
        while let Some(mut writer) = group.next_column().map_err(failed)? {
            let written = match column {
                0 => writer.typed::<FloatType>().write_batch(&points.x[rows.clone()], None, None),
                1 => writer.typed::<FloatType>().write_batch(&points.y[rows.clone()], None, None),
                2 => {
                    let genes: Vec<ByteArray> =
                        points.gene[rows.clone()].iter().map(|&g| names[g as usize].clone()).collect();
                    writer.typed::<parquet::data_type::ByteArrayType>().write_batch(&genes, None, None)
                }
                3 => writer.typed::<Int32Type>().write_batch(&points.cell_id[rows.clone()], None, None),
                4 => {
                    let index: Vec<i32> = points.gene[rows.clone()].iter().map(|&g| g as i32).collect();
                    writer.typed::<Int32Type>().write_batch(&index, None, None)
                }
                _ => {
                    let codes: Vec<i32> =
                        points.morton_code_2d[rows.clone()].iter().map(|&m| m as i32).collect();
                    writer.typed::<Int32Type>().write_batch(&codes, None, None)
                }
            };
            written.map_err(failed)?;
            writer.close().map_err(failed)?;
            column += 1;
        }
        group.close().map_err(failed)?;
    }
    writer.close().map_err(failed)?;
    Ok(())
}
