//! Transcript tables (one row per detected molecule): CSV or gzip-compressed
//! CSV with a header, streamed record by record (the text is never held in
//! memory as a whole), and the GeneSegNet-style `cell_id,spotX,spotY,gene`
//! mapping CSV.
//!
//! Presets: [`Options::xenium`] (`transcripts.csv.gz` of 10x Xenium:
//! `x_location`, `y_location`, `feature_name`, `qv`, in µm at 0.2125 µm/px,
//! keeping `qv >= 20` and dropping control probes) and
//! [`Options::genesegnet`] (GeneSegNet spot CSVs: x, y, gene in the first
//! three columns, in pixels, as its scripts read them).

use std::collections::HashMap;
use std::io::{BufRead, Read, Write};

use cellmap_core::assign::OUT_OF_IMAGE;

use crate::error::{Error, ErrorKind};
use crate::limits::Limits;

/// Which column of the table to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// The column with this header name.
    Name(String),
    /// The column at this 0-based position (the header names are ignored).
    Index(usize),
    /// The first of these header names that the table has (case-insensitive,
    /// tried in order): how presets find their columns by name.
    Any(Vec<String>),
}

impl Column {
    /// A column by header name.
    pub fn name(name: &str) -> Self {
        Column::Name(name.to_string())
    }
}

/// How to read a transcript table.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// x coordinate (image column direction).
    pub x: Column,
    /// y coordinate (image row direction).
    pub y: Column,
    /// Gene (feature) name.
    pub gene: Column,
    /// Quality value column, read only when `min_qv` is set.
    pub qv: Option<Column>,
    /// Keep only records with `qv >= min_qv`.
    pub min_qv: Option<f64>,
    /// Drop records whose gene name starts with one of these (control probes).
    pub exclude_gene_prefixes: Vec<String>,
    /// Coordinate units per pixel (e.g. 0.2125 µm/px for Xenium, 1 for pixels).
    pub units_per_pixel: f64,
    /// Field delimiter (`b','`, or `b'\t'` for TSV).
    pub delimiter: u8,
    /// Record and size limits.
    pub limits: Limits,
    /// Detect the delimiter (`,`, tab or `;`) from the header line; when
    /// the header has none of them, `delimiter` is used.
    pub detect_delimiter: bool,
    /// Keep only rows whose column `.0` (header name, case-insensitive) holds
    /// the text `.1` (string equality after trimming; all must hold).
    pub filters: Vec<(String, String)>,
}

/// Xenium control-probe name prefixes, dropped by [`Options::xenium`].
pub const XENIUM_CONTROL_PREFIXES: [&str; 5] =
    ["NegControl", "Deprecated", "Unassigned", "Intergenic", "BLANK"];

impl Options {
    /// Pixel coordinates in columns `x`, `y`, `gene`; no filters.
    pub fn pixels(x: &str, y: &str, gene: &str) -> Self {
        Self {
            x: Column::name(x),
            y: Column::name(y),
            gene: Column::name(gene),
            qv: None,
            min_qv: None,
            exclude_gene_prefixes: Vec::new(),
            units_per_pixel: 1.0,
            delimiter: b',',
            limits: Limits::default(),
            detect_delimiter: true,
            filters: Vec::new(),
        }
    }

    /// 10x Xenium `transcripts.csv(.gz)`: `x_location`, `y_location`,
    /// `feature_name`, µm at 0.2125 µm/px; keeps `qv >= 20` and drops names
    /// starting with [`XENIUM_CONTROL_PREFIXES`] (set `min_qv = None` or
    /// clear `exclude_gene_prefixes` to keep them).
    pub fn xenium() -> Self {
        Self {
            qv: Some(Column::name("qv")),
            min_qv: Some(20.0),
            exclude_gene_prefixes: XENIUM_CONTROL_PREFIXES.iter().map(|p| p.to_string()).collect(),
            units_per_pixel: 0.2125,
            ..Self::pixels("x_location", "y_location", "feature_name")
        }
    }

    /// GeneSegNet spot CSVs (`spotX,spotY,gene`): x, y and gene are the
    /// first three columns whatever the header says (as GeneSegNet's own
    /// scripts read them), in pixels.
    pub fn genesegnet() -> Self {
        Self { x: Column::Index(0), y: Column::Index(1), gene: Column::Index(2), ..Self::pixels("", "", "") }
    }
}

/// Transcripts read from a table: coordinates as in the file, gene ids
/// into `gene_names` (numbered in order of first appearance).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Transcripts {
    /// x of each kept transcript, in file units.
    pub x: Vec<f64>,
    /// y of each kept transcript, in file units.
    pub y: Vec<f64>,
    /// Gene id of each kept transcript (index into `gene_names`).
    pub gene: Vec<u32>,
    /// Gene names by id.
    pub gene_names: Vec<String>,
    /// How the file stored `x` ([`Precision::F32`]: a float32 Parquet column), so that
    /// [`write_mapping_csv`] writes the value the file held in its own shortest form.
    pub x_precision: Precision,
    /// How the file stored `y` (see `x_precision`).
    pub y_precision: Precision,
    /// File units per pixel (from the options).
    pub units_per_pixel: f64,
    /// Records dropped by the `qv` filter.
    pub dropped_low_qv: u64,
    /// Records dropped as control probes.
    pub dropped_controls: u64,
    /// Records dropped by the row filters (`Options::filters`).
    pub dropped_filtered: u64,
}

/// The precision a coordinate column had in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// Text numbers, float64 or integer columns: written as the shortest `f64` text.
    #[default]
    F64,
    /// float32 columns (Xenium's `transcripts.parquet`): written as the shortest `f32` text,
    /// which reads back (as float32, or as float64 rounded to float32) to the value the file
    /// held, in about 8 digits instead of the 17 the widened `f64` needs.
    F32,
}

impl Transcripts {
    /// Number of kept transcripts.
    pub fn len(&self) -> usize {
        self.gene.len()
    }

    /// `true` when no transcript was kept.
    pub fn is_empty(&self) -> bool {
        self.gene.is_empty()
    }
}

/// Wraps `reader` in a gzip decoder if its first bytes are the gzip magic
/// (`1f 8b`), whatever the file name says.
pub fn maybe_gunzip<'a, R: BufRead + 'a>(
    mut reader: R,
    source: &str,
) -> Result<Box<dyn BufRead + 'a>, Error> {
    let gzip = reader
        .fill_buf()
        .map(|b| b.starts_with(&[0x1f, 0x8b]))
        .map_err(|e| Error::new(source, ErrorKind::Io(e)))?;
    Ok(if gzip {
        Box::new(std::io::BufReader::with_capacity(1 << 16, flate2::bufread::MultiGzDecoder::new(reader)))
    } else {
        Box::new(reader)
    })
}

/// Reads a transcript table from in-memory bytes (CSV or gzip-compressed CSV).
///
/// ```
/// use cellmap_io::transcripts::{self, Options};
/// let csv = "transcript_id,cell_id,overlaps_nucleus,feature_name,x_location,y_location,z_location,qv\n\
///            1,UNASSIGNED,0,ACTB,2.125,4.25,1.0,40.0\n\
///            2,UNASSIGNED,0,NegControlProbe_00042,1.0,1.0,1.0,40.0\n\
///            3,UNASSIGNED,0,CD3E,0.5,0.5,1.0,12.5\n\
///            4,UNASSIGNED,0,ACTB,0.0,0.0,1.0,20.0\n";
/// let t = transcripts::read_bytes(csv.as_bytes(), "transcripts.csv", &Options::xenium())?;
/// assert_eq!(t.x, vec![2.125, 0.0]);
/// assert_eq!(t.gene, vec![0, 0]);
/// assert_eq!(t.gene_names, vec!["ACTB".to_string()]);
/// assert_eq!((t.dropped_controls, t.dropped_low_qv), (1, 1));
///
/// let err = transcripts::read_bytes(b"x,y\n1,2\n", "spots.csv", &Options::xenium()).unwrap_err();
/// assert_eq!(err.to_string(), "spots.csv: missing column `x_location` (columns: x, y)");
/// # Ok::<(), cellmap_io::Error>(())
/// ```
pub fn read_bytes(bytes: &[u8], source: &str, options: &Options) -> Result<Transcripts, Error> {
    read(maybe_gunzip(bytes, source)?, source, options)
}

/// Reads a transcript table from a (decompressed) stream, one record at a
/// time. Use [`maybe_gunzip`] or `fs::open_maybe_gzip` for `.gz` input.
pub fn read<R: Read>(reader: R, source: &str, options: &Options) -> Result<Transcripts, Error> {
    read_with_progress(reader, source, options, &mut |_| {})
}

/// Records between two calls of the progress callback of [`read_with_progress`].
pub const PROGRESS_RECORDS: u64 = 1 << 16;

/// [`read`], calling `progress(records)` with the records read so far (kept or
/// dropped) every [`PROGRESS_RECORDS`] records and once at the end, so that a
/// front end can show how far a long read is.
///
/// ```
/// use cellmap_io::transcripts::{self, Options};
/// let mut calls = Vec::new();
/// let t = transcripts::read_with_progress(&b"x,y,gene\n1,2,A\n3,4,B\n"[..], "t.csv", &Options::auto(), &mut |n| calls.push(n))?;
/// assert_eq!((t.len(), calls), (2, vec![2]));
/// # Ok::<(), cellmap_io::Error>(())
/// ```
pub fn read_with_progress<R: Read>(
    reader: R,
    source: &str,
    options: &Options,
    progress: &mut dyn FnMut(u64),
) -> Result<Transcripts, Error> {
    if !(options.units_per_pixel.is_finite() && options.units_per_pixel > 0.0) {
        return Err(Error::new(
            source,
            ErrorKind::Core(cellmap_core::Error::InvalidArgument(
                "units per pixel must be finite and positive",
            )),
        ));
    }
    let mut reader = std::io::BufReader::with_capacity(1 << 16, reader);
    let delimiter = if options.detect_delimiter {
        let head = reader.fill_buf().map_err(|e| Error::new(source, ErrorKind::Io(e)))?;
        crate::table::detect_delimiter(head, options.delimiter)
    } else {
        options.delimiter
    };
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(RecordGuard::new(reader, delimiter));
    let headers = csv.byte_headers().map_err(|e| csv_error(source, e))?.clone();
    if headers.is_empty() {
        return Err(Error::new(source, ErrorKind::Header("the file is empty (no header line)".into())));
    }
    let names: Vec<String> = headers.iter().map(|h| String::from_utf8_lossy(h).trim().to_string()).collect();
    if headers.iter().any(|h| std::str::from_utf8(h).is_err()) {
        return Err(Error::new(source, ErrorKind::Header("the header line is not valid UTF-8".into())));
    }
    let positional = [&options.x, &options.y, &options.gene].iter().any(|c| matches!(c, Column::Index(_)));
    let find = |column: &Column, role: &str| -> Result<(usize, String), Error> {
        let label = crate::table::describe(column, role);
        match (crate::table::position(&names, column), column) {
            (Some(i), _) => Ok((i, label)),
            (None, Column::Name(name)) => Err(Error::new(
                source,
                ErrorKind::MissingColumn { name: name.clone(), available: names.clone() },
            )),
            (None, _) => Err(Error::new(
                source,
                ErrorKind::Header(format!(
                    "no {label} column (columns: {}); {}",
                    names.join(", "),
                    crate::table::COLUMN_FLAGS_HINT
                )),
            )),
        }
    };
    let x_col = find(&options.x, "x")?;
    let y_col = find(&options.y, "y")?;
    let gene_col = find(&options.gene, "gene")?;
    let qv_col = match (&options.qv, options.min_qv) {
        (Some(column), Some(_)) => Some(find(column, "qv")?),
        _ => None,
    };
    let filters = options
        .filters
        .iter()
        .map(|(name, value)| Ok((find(&Column::name(name), name)?.0, value.trim().as_bytes())))
        .collect::<Result<Vec<_>, Error>>()?;
    // After a "not a number" in a column picked by position: the header, and how to name columns.
    let hint = if positional {
        format!(" (the header is: {}; {})", names.join(", "), crate::table::COLUMN_FLAGS_HINT)
    } else {
        String::new()
    };

    let over_budget = |e| Error::new(source, ErrorKind::OverBudget(Box::new(e)));
    let mut out = Transcripts { units_per_pixel: options.units_per_pixel, ..Transcripts::default() };
    let mut ids: HashMap<Vec<u8>, u32> = HashMap::new();
    let mut record = csv::ByteRecord::new();
    let mut records = 0u64;
    // Bytes of gene names held (twice: the lookup key and the name), and
    // the size at which the budget is asked again.
    let mut name_bytes = 0u64;
    let mut next_name_check = 1u64 << 20;
    while csv.read_byte_record(&mut record).map_err(|e| csv_error(source, e))? {
        records += 1;
        if records % PROGRESS_RECORDS == 0 {
            progress(records);
        }
        if records > options.limits.max_records {
            return Err(Error::new(
                source,
                ErrorKind::LimitExceeded {
                    what: "transcript table",
                    needed: records,
                    unit: "records",
                    limit: options.limits.max_records,
                },
            ));
        }
        let line = record.position().map_or(records + 1, |p| p.line());
        let field = |(index, label): &(usize, String)| -> Result<&[u8], Error> {
            record.get(*index).ok_or_else(|| {
                Error::new(
                    source,
                    ErrorKind::Record { line, message: format!("has {} fields, no {label}", record.len()) },
                )
            })
        };
        let number = |column: &(usize, String)| -> Result<f64, Error> {
            let raw = field(column)?;
            std::str::from_utf8(raw).ok().and_then(|s| s.trim().parse::<f64>().ok()).ok_or_else(|| {
                Error::new(
                    source,
                    ErrorKind::Record {
                        line,
                        message: format!(
                            "{} is not a number: {:?}{hint}",
                            column.1,
                            String::from_utf8_lossy(raw)
                        ),
                    },
                )
            })
        };
        if !filters.iter().all(|&(i, value)| record.get(i).is_some_and(|f| f.trim_ascii() == value)) {
            out.dropped_filtered += 1;
            continue;
        }
        let gene = field(&gene_col)?;
        let gene_text = std::str::from_utf8(gene).map_err(|_| {
            Error::new(
                source,
                ErrorKind::Record { line, message: format!("{} is not valid UTF-8", gene_col.1) },
            )
        })?;
        if options.exclude_gene_prefixes.iter().any(|p| gene_text.starts_with(p.as_str())) {
            out.dropped_controls += 1;
            continue;
        }
        if let (Some(column), Some(min)) = (&qv_col, options.min_qv) {
            if number(column)? < min {
                out.dropped_low_qv += 1;
                continue;
            }
        }
        let (x, y) = (number(&x_col)?, number(&y_col)?);
        let id = match ids.get(gene) {
            Some(&id) => id,
            None => {
                name_bytes += 2 * gene.len() as u64 + 80;
                if name_bytes >= next_name_check {
                    let what = || format!("the names of {} genes", out.gene_names.len() + 1);
                    options.limits.memory.check(what, u128::from(name_bytes)).map_err(over_budget)?;
                    next_name_check = name_bytes.saturating_mul(2);
                }
                let id = u32::try_from(out.gene_names.len()).map_err(|_| {
                    Error::new(
                        source,
                        ErrorKind::Record { line, message: "more than 2^32 distinct genes".into() },
                    )
                })?;
                ids.insert(gene.to_vec(), id);
                out.gene_names.push(gene_text.to_string());
                id
            }
        };
        if out.x.len() == out.x.capacity() {
            // The columns are about to grow: the new buffers must fit.
            let grown = (out.x.capacity() as u128 * 2).max(1024);
            let what = || format!("transcript table of {} records", out.x.len() + 1);
            options.limits.memory.check_elements(what, grown, 8 + 8 + 4).map_err(over_budget)?;
        }
        out.x.push(x);
        out.y.push(y);
        out.gene.push(id);
    }
    progress(records);
    Ok(out)
}

/// The column names of a table's header line (the delimiter detected as
/// [`read`] detects it, names trimmed): what a front end offers when the
/// columns are not found by name. `reader` is the decompressed text.
///
/// ```
/// let names = cellmap_io::transcripts::header_names(&b"a\tb c\t gene\n1\t2\tA\n"[..], "t.tsv")?;
/// assert_eq!(names, ["a", "b c", "gene"]);
/// # Ok::<(), cellmap_io::Error>(())
/// ```
pub fn header_names<R: Read>(reader: R, source: &str) -> Result<Vec<String>, Error> {
    let mut reader = std::io::BufReader::with_capacity(1 << 16, reader);
    let head = reader.fill_buf().map_err(|e| Error::new(source, ErrorKind::Io(e)))?;
    let delimiter = crate::table::detect_delimiter(head, b',');
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(RecordGuard::new(reader, delimiter));
    let headers = csv.byte_headers().map_err(|e| csv_error(source, e))?;
    if headers.is_empty() {
        return Err(Error::new(source, ErrorKind::Header("the file is empty (no header line)".into())));
    }
    headers
        .iter()
        .map(|h| {
            std::str::from_utf8(h).map(|h| h.trim().to_string()).map_err(|_| {
                Error::new(source, ErrorKind::Header("the header line is not valid UTF-8".into()))
            })
        })
        .collect()
}

/// Longest field of a transcript table (a gene name, a number).
pub const MAX_FIELD_BYTES: u64 = 64 << 10;
/// Longest record of a transcript table (a line, or several when a quoted
/// field holds line breaks).
pub const MAX_RECORD_BYTES: u64 = 1 << 20;

/// Where a [`RecordGuard`] is inside the CSV text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lexer {
    /// At the start of a field.
    FieldStart,
    /// In an unquoted field.
    Unquoted,
    /// In a quoted field.
    Quoted,
    /// On a quote inside a quoted field (closing, or the first of `""`).
    QuoteInQuoted,
}

/// A CSV problem found by the [`RecordGuard`]: line and message.
#[derive(Debug)]
struct GuardError {
    line: u64,
    message: String,
}

impl std::fmt::Display for GuardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for GuardError {}

/// Passes CSV text through while following its quoting (RFC 4180, as the
/// `csv` crate reads it), so that a field longer than [`MAX_FIELD_BYTES`],
/// a record longer than [`MAX_RECORD_BYTES`] or a quote never closed is an
/// error naming the line before the `csv` crate buffers it whole.
struct RecordGuard<R> {
    inner: R,
    delimiter: u8,
    state: Lexer,
    /// 1-based line of the next byte.
    line: u64,
    /// Line where the open quoted field started.
    quote_line: u64,
    field_bytes: u64,
    record_bytes: u64,
}

impl<R: Read> RecordGuard<R> {
    fn new(inner: R, delimiter: u8) -> Self {
        Self {
            inner,
            delimiter,
            state: Lexer::FieldStart,
            line: 1,
            quote_line: 1,
            field_bytes: 0,
            record_bytes: 0,
        }
    }

    fn error(line: u64, message: String) -> std::io::Error {
        std::io::Error::other(GuardError { line, message })
    }

    fn scan(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let delimiter = self.delimiter;
        let mut i = 0;
        while i < bytes.len() {
            // Runs of plain bytes in bulk.
            let plain = bytes[i..].iter().position(|&b| b == b'"' || b == b'\n' || b == delimiter);
            let run = plain.unwrap_or(bytes.len() - i);
            if run > 0 {
                if self.state == Lexer::FieldStart || self.state == Lexer::QuoteInQuoted {
                    self.state = Lexer::Unquoted;
                }
                self.field_bytes += run as u64;
                self.record_bytes += run as u64;
                i += run;
                self.check()?;
                continue;
            }
            let b = bytes[i];
            i += 1;
            self.record_bytes += 1;
            match (self.state, b) {
                (Lexer::FieldStart, b'"') => {
                    self.state = Lexer::Quoted;
                    self.quote_line = self.line;
                }
                (Lexer::Quoted, b'"') => self.state = Lexer::QuoteInQuoted,
                (Lexer::QuoteInQuoted, b'"') => {
                    self.state = Lexer::Quoted;
                    self.field_bytes += 1;
                }
                (Lexer::Quoted, b'\n') => {
                    self.line += 1;
                    self.field_bytes += 1;
                }
                (Lexer::Quoted, _) => self.field_bytes += 1,
                (_, b'\n') => {
                    self.line += 1;
                    self.state = Lexer::FieldStart;
                    self.field_bytes = 0;
                    self.record_bytes = 0;
                }
                (_, b) if b == delimiter => {
                    self.state = Lexer::FieldStart;
                    self.field_bytes = 0;
                }
                (_, _) => {
                    // A quote inside an unquoted field is a plain character.
                    self.state = Lexer::Unquoted;
                    self.field_bytes += 1;
                }
            }
            self.check()?;
        }
        Ok(())
    }

    fn check(&self) -> std::io::Result<()> {
        if self.field_bytes > MAX_FIELD_BYTES {
            return Err(Self::error(
                self.line,
                format!("a field is longer than {} KiB (not a transcript table?)", MAX_FIELD_BYTES >> 10),
            ));
        }
        if self.record_bytes > MAX_RECORD_BYTES {
            return Err(Self::error(
                self.line,
                format!("a record is longer than {} MiB (not a transcript table?)", MAX_RECORD_BYTES >> 20),
            ));
        }
        Ok(())
    }
}

impl<R: Read> Read for RecordGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && matches!(self.state, Lexer::Quoted) {
            return Err(Self::error(
                self.quote_line,
                "a quoted field is never closed (a \" without its closing quote)".into(),
            ));
        }
        self.scan(&buf[..n])?;
        Ok(n)
    }
}

fn csv_error(source: &str, e: csv::Error) -> Error {
    let line = e.position().map_or(0, |p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(io) if io.get_ref().is_some_and(|inner| inner.is::<GuardError>()) => {
            let guard = io.into_inner().and_then(|inner| inner.downcast::<GuardError>().ok());
            match guard {
                Some(g) => Error::new(source, ErrorKind::Record { line: g.line, message: g.message }),
                None => Error::new(source, ErrorKind::Record { line, message: "unreadable record".into() }),
            }
        }
        csv::ErrorKind::Io(io) => match io.kind() {
            std::io::ErrorKind::InvalidInput
            | std::io::ErrorKind::InvalidData
            | std::io::ErrorKind::UnexpectedEof => {
                Error::new(source, ErrorKind::Zip(format!("corrupt gzip stream: {io}")))
            }
            _ => Error::new(source, ErrorKind::Io(io)),
        },
        other => Error::new(source, ErrorKind::Record { line, message: format!("{other:?}") }),
    }
}

/// Writes the GeneSegNet-style mapping CSV `cell_id,spotX,spotY,gene`:
/// one row per transcript, grouped by cell id in ascending order (0 =
/// background first) and in table order within a cell, as GeneSegNet's
/// `generate_MappingRelationships.py` writes it (with integer cell ids).
/// Transcripts outside the image ([`OUT_OF_IMAGE`] in `cell_ids`, as
/// [`assign_points`](cellmap_core::assign::assign_points) reports them)
/// come last, with cell id `-1`. Coordinates are written as `{}` writes them (shortest text
/// that reads back to the value, no exponent); those of a float32 column
/// ([`Precision::F32`]) as the float32's shortest text (`0.1`, not the widened
/// `0.10000000149011612`), which reads back to the value the file held.
///
/// ```
/// use cellmap_core::assign::OUT_OF_IMAGE;
/// use cellmap_io::transcripts::{self, Options};
/// let t = transcripts::read_bytes(b"spotX,spotY,gene\n3,4,Gad1\n1.5,2,Pvalb\n7,8,Gad1\n-1,0,Gad1\n", "s.csv", &Options::genesegnet())?;
/// let mut out = Vec::new();
/// transcripts::write_mapping_csv(&mut out, "map.csv", &t, &[2, 0, 1, OUT_OF_IMAGE])?;
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     "cell_id,spotX,spotY,gene\n0,1.5,2,Pvalb\n1,7,8,Gad1\n2,3,4,Gad1\n-1,-1,0,Gad1\n"
/// );
/// # Ok::<(), cellmap_io::Error>(())
/// ```
pub fn write_mapping_csv<W: Write>(
    writer: W,
    dest: &str,
    transcripts: &Transcripts,
    cell_ids: &[u32],
) -> Result<(), Error> {
    if cell_ids.len() != transcripts.len() {
        return Err(Error::new(
            dest,
            ErrorKind::Shape(format!("{} cell ids for {} transcripts", cell_ids.len(), transcripts.len())),
        ));
    }
    let order = cell_order(cell_ids);
    let io_error = |e: std::io::Error| Error::new(dest, ErrorKind::Io(e));
    // The gene names as CSV fields (quoted where the csv crate would quote them), once.
    let genes: Vec<Vec<u8>> = transcripts.gene_names.iter().map(|g| csv_field(g.as_bytes())).collect();
    let mut writer = writer;
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 18);
    buf.extend_from_slice(b"cell_id,spotX,spotY,gene\n");
    let mut ints = itoa::Buffer::new();
    let mut floats = ryu::Buffer::new();
    // Rows in cell order are scattered over the table: each block's values are gathered first, in
    // a loop of independent loads that the CPU overlaps, then formatted from the block.
    const BLOCK: usize = 4096;
    let mut xs = [0f64; BLOCK];
    let mut ys = [0f64; BLOCK];
    let mut gs = [0u32; BLOCK];
    let mut cs = [0u32; BLOCK];
    for block in order.chunks(BLOCK) {
        for (k, &i) in block.iter().enumerate() {
            xs[k] = transcripts.x[i];
            ys[k] = transcripts.y[i];
            gs[k] = transcripts.gene[i];
            cs[k] = cell_ids[i];
        }
        for k in 0..block.len() {
            match cs[k] {
                OUT_OF_IMAGE => buf.extend_from_slice(b"-1"),
                cell => buf.extend_from_slice(ints.format(cell).as_bytes()),
            }
            buf.push(b',');
            push_number(&mut buf, &mut floats, xs[k], transcripts.x_precision);
            buf.push(b',');
            push_number(&mut buf, &mut floats, ys[k], transcripts.y_precision);
            buf.push(b',');
            buf.extend_from_slice(&genes[gs[k] as usize]);
            buf.push(b'\n');
        }
        writer.write_all(&buf).map_err(io_error)?;
        buf.clear();
    }
    writer.write_all(&buf).map_err(io_error)?;
    writer.flush().map_err(io_error)
}

/// `field` as the csv crate writes it by default: in double quotes (inner quotes doubled) when it
/// has a comma, a quote or a line break.
fn csv_field(field: &[u8]) -> Vec<u8> {
    if !field.iter().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
        return field.to_vec();
    }
    let mut out = Vec::with_capacity(field.len() + 2);
    out.push(b'"');
    for &b in field {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
    out
}

/// Appends `value` as `{}` (Display) writes it: the shortest text that reads back to it, without
/// an exponent, `2` for `2.0`. A [`Precision::F32`] value (exactly a float32) as the float32's
/// shortest text (~8 digits where the widened `f64` needs ~17), by ryu: the same text as std's
/// except that when two shortest texts are exactly as near, ryu takes the even last digit
/// (`1.6914062`, std `1.6914063`; both read back to the same float32; ~0.1% of values). Values ryu
/// would write with an exponent go through std.
fn push_number(buf: &mut Vec<u8>, floats: &mut ryu::Buffer, value: f64, precision: Precision) {
    use std::io::Write as _;
    let narrow = value as f32;
    if precision == Precision::F32 && f64::from(narrow) == value {
        if narrow.is_finite() {
            let text = floats.format_finite(narrow);
            if !text.as_bytes().contains(&b'e') {
                buf.extend_from_slice(text.strip_suffix(".0").unwrap_or(text).as_bytes());
                return;
            }
        }
        _ = write!(buf, "{narrow}");
    } else {
        _ = write!(buf, "{value}");
    }
}

/// Indices of `cell_ids` sorted by id, table order within an id, [`OUT_OF_IMAGE`] last: a
/// counting sort (O(n)) when the ids are at most a few times more than the points, else a
/// stable comparison sort.
fn cell_order(cell_ids: &[u32]) -> Vec<usize> {
    let max = cell_ids.iter().copied().filter(|&c| c != OUT_OF_IMAGE).max().unwrap_or(0) as usize;
    if max > 4 * cell_ids.len() + 1024 {
        let mut order: Vec<usize> = (0..cell_ids.len()).collect();
        order.sort_by_key(|&i| cell_ids[i]); // stable: table order within a cell; OUT_OF_IMAGE last
        return order;
    }
    // Bucket max + 1 holds OUT_OF_IMAGE.
    let bucket = |c: u32| if c == OUT_OF_IMAGE { max + 1 } else { c as usize };
    let mut start = vec![0usize; max + 3];
    for &c in cell_ids {
        start[bucket(c) + 1] += 1;
    }
    for k in 1..start.len() {
        start[k] += start[k - 1];
    }
    let mut order = vec![0usize; cell_ids.len()];
    for (i, &c) in cell_ids.iter().enumerate() {
        let slot = &mut start[bucket(c)];
        order[*slot] = i;
        *slot += 1;
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `push_number` writes what `{}` writes (of the f32 for float32 sources, but for exact ties).
    #[test]
    fn numbers_are_written_as_display_writes_them() {
        let text = |value: f64, precision: Precision| {
            let mut buf = Vec::new();
            push_number(&mut buf, &mut ryu::Buffer::new(), value, precision);
            String::from_utf8(buf).unwrap()
        };
        let mut special = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            2.0,
            1.5,
            0.1,
            1e-4,
            1e-5,
            1e-7,
            123456.789,
            1e15,
            1e16,
            1e17,
            1e20,
            1e300,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        // A xorshift sequence of bit patterns: doubles of every magnitude, and widened floats.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            special.push(f64::from_bits(state));
            special.push(f64::from(f32::from_bits(state as u32)));
            special.push((state >> 11) as f64 / (1u64 << 40) as f64); // 0 .. 8 Mi, many digits
        }
        for value in special {
            assert_eq!(text(value, Precision::F64), format!("{value}"), "{value:e}");
            let narrow = value as f32;
            let got = text(value, Precision::F32);
            if f64::from(narrow) != value || !narrow.is_finite() {
                // Not a float32 value (written in full), or not finite.
                let want = if value.is_nan() { format!("{narrow}") } else { format!("{value}") };
                assert_eq!(got, want, "{value:e} as f32");
                continue;
            }
            assert_eq!(got.parse::<f32>().unwrap().to_bits(), narrow.to_bits(), "{value:e}: {got}");
            let std = format!("{narrow}");
            if got != std {
                // An exact tie between two shortest texts: ryu's even last digit, std's odd one.
                let (g, w) = (got.as_bytes(), std.as_bytes());
                let n = g.len();
                assert!(n == w.len() && g[..n - 1] == w[..n - 1], "{value:e}: {got} vs {std}");
                assert!((g[n - 1] - b'0') % 2 == 0 && w[n - 1] == g[n - 1] + 1, "{value:e}: {got} vs {std}");
            }
        }
        assert_eq!(text(f64::from(0.1f32), Precision::F32), "0.1");
        assert_eq!(text(f64::from(2f32), Precision::F32), "2");
        assert_eq!(text(f64::from(1.6914063f32), Precision::F32), "1.6914062"); // std: 1.6914063
        assert_eq!(text(f64::from(0.1f32), Precision::F64), "0.10000000149011612");
    }

    #[test]
    fn gene_fields_are_quoted_like_the_csv_crate_quotes_them() {
        for gene in ["Gad1", "", "a,b", "say \"hi\"", "two\nlines", "cr\r", "plain text"] {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(["x", gene]).unwrap();
            let want = String::from_utf8(w.into_inner().unwrap()).unwrap();
            let got = format!("x,{}\n", String::from_utf8(csv_field(gene.as_bytes())).unwrap());
            assert_eq!(got, want, "{gene:?}");
        }
    }

    #[test]
    fn cell_order_is_a_stable_sort_with_outside_last() {
        let ids = [3, OUT_OF_IMAGE, 0, 3, 1, 0, OUT_OF_IMAGE, 2];
        let mut want: Vec<usize> = (0..ids.len()).collect();
        want.sort_by_key(|&i| ids[i]);
        assert_eq!(cell_order(&ids), want);
        let sparse = [5_000_000, 1, OUT_OF_IMAGE, 1];
        assert_eq!(cell_order(&sparse), vec![1, 3, 0, 2]);
        assert!(cell_order(&[]).is_empty());
    }

    #[test]
    fn gzip_is_detected_by_magic_bytes() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"a,b,g\n1,2,X\n3,4,Y\n5,6,X\n").unwrap();
        let bytes = gz.finish().unwrap();
        let t = read_bytes(&bytes, "spots.csv", &Options::pixels("a", "b", "g")).unwrap();
        assert_eq!(t.x, vec![1.0, 3.0, 5.0]);
        assert_eq!(t.y, vec![2.0, 4.0, 6.0]);
        assert_eq!(t.gene, vec![0, 1, 0]);
        assert_eq!(t.gene_names, vec!["X", "Y"]);
        let err = read_bytes(&bytes[..bytes.len() / 2], "spots.csv.gz", &Options::pixels("a", "b", "g"));
        assert!(err.unwrap_err().to_string().starts_with("spots.csv.gz: "));
    }

    #[test]
    fn bad_records_name_the_line_and_column() {
        let o = Options::pixels("x", "y", "gene");
        let err = read_bytes(b"x,y,gene\n1,2,A\n1,oops,B\n", "t.csv", &o).unwrap_err().to_string();
        assert_eq!(err, "t.csv: line 3: `y` is not a number: \"oops\"");
        let err = read_bytes(b"x,y,gene\n1,2\n", "t.csv", &o).unwrap_err().to_string();
        assert_eq!(err, "t.csv: line 2: has 2 fields, no `gene`");
        let err = read_bytes(b"x,y,gene\n1,2,\xff\xfe\n", "t.csv", &o).unwrap_err().to_string();
        assert_eq!(err, "t.csv: line 2: `gene` is not valid UTF-8");
        let err = read_bytes(b"x,\xff,gene\n", "t.csv", &o).unwrap_err().to_string();
        assert_eq!(err, "t.csv: bad header: the header line is not valid UTF-8");
    }

    #[test]
    fn record_limit_stops_reading() {
        let mut o = Options::pixels("x", "y", "g");
        o.limits.max_records = 2;
        let err = read_bytes(b"x,y,g\n1,1,a\n2,2,a\n3,3,a\n", "t.csv", &o).unwrap_err().to_string();
        assert_eq!(err, "t.csv: transcript table needs 3 records, above the limit of 2 (raise it in Limits)");
    }
}
