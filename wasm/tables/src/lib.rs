//! # cellmap-wasm-tables
//!
//! The viewer's optional transcript-table module: transcript tables (one row
//! per detected molecule) as `cellmap assign` reads them — CSV, TSV or `;`
//! tables, gzip-compressed or not, and Parquet — with the same readers,
//! presets, header detection, filters and frame ([`cellmap_io::transcripts`],
//! [`cellmap_io::table`], [`cellmap_io::parquet`], [`cellmap::Transform`]).
//! It holds the table ([`TranscriptTable`]) and counts it per cell and gene
//! with the labels the main package's session gives it
//! ([`cellmap::count_in_frame`]: `cellmap assign`'s numbers); the counts go
//! to `Session.attachCounts`, and the points of the shown genes to the page
//! as dots. Kept out of the main package for its size (the Parquet reader
//! above all); the viewer's worker loads it when a transcript table is
//! dropped.
//!
//! Text tables are streamed from the dropped `File` in 4 MiB slices
//! (`FileReaderSync`, so only inside a Web Worker): memory is the kept
//! columns, not the file. A Parquet file is read whole (its row groups are
//! found from the footer).
//!
//! ```js
//! import initTables, { readTranscripts } from './pkg/tables/cellmap_wasm_tables.js';
//! await initTables();
//! const read = readTranscripts(file, file.name);              // preset from the header
//! if (read.needsMapping) { /* ask which of read.columns are x, y, gene, then read again */ }
//! const labels = new Int32Array(wasm.memory.buffer, session.labelsPtr(), session.labelsLen());
//! const counts = read.table.count(labels, session.width, session.height);
//! session.attachCounts(counts.genePtr, counts.cells, counts.counts, read.table.geneNames());
//! ```

use std::cell::Cell;
use std::io::{BufReader, Read};
use std::rc::Rc;

use cellmap::{Frame, Image, LabelImage, Rounding, Transform, assign_in_frame, count_in_frame, frame_points};
use cellmap_io::table::{Preset, position};
use cellmap_io::transcripts::{self, Column, Options, Transcripts};
use cellmap_io::{Error, ErrorKind, Limits, parquet};
use cellmap_wasm_chunks::JsChunks;
use js_sys::{Array, Float32Array, Object, Reflect, Uint8Array, Uint32Array};
use wasm_bindgen::prelude::*;
use web_sys::{Blob, DedicatedWorkerGlobalScope, FileReaderSync};

/// Bytes read from the file per `FileReaderSync` call.
const SLICE: usize = 4 << 20;

/// Reads the transcript table `file` (a `File` or `Blob`; `fileName` names
/// it in messages) as `cellmap assign` would with the same options.
///
/// `preset`: `"auto"`, `"xenium"`, `"cosmx"`, `"merscope"`, `"genesegnet"`,
/// `"pciseq"` (see `presetNames()`), or `undefined` to take the one the
/// header belongs to (`cellmap_io::table::Preset::detect`: a Xenium table
/// gets µm at 0.2125 µm/px, `qv >= 20` and its control probes dropped, as with
/// `--preset xenium`). `x`, `y`, `gene`: header names overriding the preset's
/// columns (`--x-col` ...). `scale`: units per pixel (`--scale`). `transform`:
/// an affine transform as `--transform` takes it (`"a,b,c;d,e,f"`; the scale
/// is then 1 unless given).
///
/// Without `preset` and column names, when the header has no x, y or gene
/// column the preset knows, nothing is read and the answer is `{needsMapping:
/// true, columns, preset, found: {x, y, gene}}` (`found`: the columns the
/// preset did find, else `undefined`): ask the user, then call again with
/// names. Otherwise: `{table: TranscriptTable, preset, scale, rows,
/// droppedLowQv, droppedControls, droppedFiltered}` (`rows`: read, kept or
/// dropped; free `table` when done).
///
/// Inside a Web Worker, progress messages `{type: "progress", step:
/// "transcripts", file, done, total, rows}` reach the page while it reads
/// (`done`/`total`: bytes of a text file, rows of a Parquet one).
#[wasm_bindgen(js_name = readTranscripts)]
#[allow(clippy::too_many_arguments)]
pub fn read_transcripts(
    file: &Blob,
    file_name: &str,
    preset: Option<String>,
    x: Option<String>,
    y: Option<String>,
    gene: Option<String>,
    scale: Option<f64>,
    transform: Option<String>,
) -> Result<JsValue, JsError> {
    let js = |e: Error| JsError::new(&e.to_string());
    let source = Source::open(file, file_name).map_err(js)?;
    let columns = source.column_names().map_err(js)?;
    let chosen = match preset.as_deref() {
        Some(name) => Preset::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = Preset::ALL.iter().map(|p| p.name()).collect();
            JsError::new(&format!("unknown preset \"{name}\" (known: {})", known.join(", ")))
        })?,
        None => Preset::detect(&columns),
    };
    let mut options = chosen.options();
    for (name, column) in [(x, &mut options.x), (y, &mut options.y), (gene, &mut options.gene)] {
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            *column = Column::Name(name);
        }
    }
    let found = |column: &Column| position(&columns, column).filter(|&i| i < columns.len());
    let roles = [found(&options.x), found(&options.y), found(&options.gene)];
    if preset.is_none() && roles.iter().any(Option::is_none) {
        let name = |i: Option<usize>| i.map_or(JsValue::UNDEFINED, |i| JsValue::from_str(&columns[i]));
        let found = object(&[("x", name(roles[0])), ("y", name(roles[1])), ("gene", name(roles[2]))])?;
        return object(&[
            ("needsMapping", JsValue::TRUE),
            ("columns", columns.iter().map(|c| JsValue::from_str(c)).collect::<Array>().into()),
            ("preset", JsValue::from_str(chosen.name())),
            ("found", found),
        ]);
    }
    let transform = match transform.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => {
            options.units_per_pixel = 1.0; // the transform gives pixels
            Transform::parse(text).map_err(|e| JsError::new(&format!("transform {text:?}: {e}")))?
        }
        None => Transform::IDENTITY,
    };
    if let Some(scale) = scale {
        options.units_per_pixel = scale;
    }
    let transcripts = source.read(&options).map_err(js)?;
    let count = |n: u64| JsValue::from_f64(n as f64);
    let dropped = [transcripts.dropped_low_qv, transcripts.dropped_controls, transcripts.dropped_filtered];
    let rows = transcripts.len() as u64 + dropped.iter().sum::<u64>();
    let frame = Frame { transform, scale: transcripts.units_per_pixel, rounding: Rounding::Floor };
    let scale = transcripts.units_per_pixel;
    let table = TranscriptTable { transcripts, frame, name: file_name.to_string() };
    object(&[
        ("table", table.into()),
        ("preset", JsValue::from_str(chosen.name())),
        ("scale", JsValue::from_f64(scale)),
        ("rows", count(rows)),
        ("droppedLowQv", count(dropped[0])),
        ("droppedControls", count(dropped[1])),
        ("droppedFiltered", count(dropped[2])),
    ])
}

/// A transcript table read by `readTranscripts`: its kept rows, gene names
/// and frame (table units → pixels), held in this module's memory.
#[wasm_bindgen]
#[derive(Debug)]
pub struct TranscriptTable {
    transcripts: Transcripts,
    frame: Frame,
    name: String,
}

#[wasm_bindgen]
impl TranscriptTable {
    /// Number of kept transcripts.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> u32 {
        self.transcripts.len() as u32
    }

    /// The gene names, by gene index (first-seen order among kept rows).
    #[wasm_bindgen(js_name = geneNames)]
    pub fn gene_names(&self) -> Vec<String> {
        self.transcripts.gene_names.clone()
    }

    /// Places the transcripts in the cells of `labels` (`width × height`,
    /// row-major, 0 = background: the session's) and counts them per cell and
    /// gene as `cellmap assign` does: `{genePtr, cells, counts}` for
    /// `Session.attachCounts` / `recount`, and where they fell:
    /// `{transcripts, inCells, background, outside, warning}` (`warning`: when
    /// more than half fell outside the image, what `cellmap assign` warns,
    /// else `undefined`). Every transcript outside the image is an error
    /// naming the file, with their extent.
    pub fn count(&self, labels: Vec<i32>, width: u32, height: u32) -> Result<JsValue, JsError> {
        let js = |e: cellmap::Error| JsError::new(&e.to_string());
        let labels =
            Image::new(width as usize, height as usize, labels).and_then(LabelImage::new).map_err(js)?;
        let t = &self.transcripts;
        let (counts, summary, warning) =
            count_in_frame(&labels, &t.x, &t.y, &t.gene, t.gene_names.len(), self.frame, &self.name)
                .map_err(js)?;
        let (gene_ptr, cells, values) = counts.parts();
        let number = |n: usize| JsValue::from_f64(n as f64);
        object(&[
            ("genePtr", Uint32Array::from(gene_ptr).into()),
            ("cells", Uint32Array::from(cells).into()),
            ("counts", Uint32Array::from(values).into()),
            ("transcripts", number(t.len())),
            ("inCells", number(summary.in_cells)),
            ("background", number(summary.background)),
            ("outside", number(summary.out_of_image)),
            ("warning", warning.map_or(JsValue::UNDEFINED, |w| JsValue::from_str(&w))),
        ])
    }

    /// Writes every transcript's cell for `labels` (`width × height`, as for
    /// `count`) as CSV, as `cellmap assign` writes `assignments.csv`
    /// ([`transcripts::write_mapping_csv`]: `cell_id,spotX,spotY,gene` in the
    /// file's units, grouped by cell id, 0 = background first, -1 = outside
    /// the image last), handing it to `sink(Uint8Array)` in chunks of 1 MiB
    /// (e.g. the parts of a `Blob`), so it never sits whole in wasm memory.
    #[wasm_bindgen(js_name = assignmentsCsv)]
    pub fn assignments_csv(
        &self,
        labels: Vec<i32>,
        width: u32,
        height: u32,
        sink: &js_sys::Function,
    ) -> Result<(), JsError> {
        let js = |e: cellmap::Error| JsError::new(&e.to_string());
        let labels =
            Image::new(width as usize, height as usize, labels).and_then(LabelImage::new).map_err(js)?;
        let t = &self.transcripts;
        let (assignment, _) = assign_in_frame(&labels, &t.x, &t.y, self.frame, None).map_err(js)?;
        drop(labels);
        // write_mapping_csv flushes: the last chunk is handed over before it returns
        transcripts::write_mapping_csv(JsChunks::new(sink), "assignments.csv", t, &assignment.cell_ids)
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// The transcripts of genes `geneIndices` as dots: `{xy: Float32Array,
    /// starts: Uint32Array}`, pixel coordinates (column, row) interleaved,
    /// pixel `i` spanning `[i, i + 1)`; gene `geneIndices[k]`'s points are
    /// `starts[k]..starts[k + 1]` (see `cellmap::frame_points`).
    pub fn points(&self, gene_indices: &[u32]) -> Result<JsValue, JsError> {
        let genes: Vec<usize> = gene_indices.iter().map(|&g| g as usize).collect();
        let (mut xy, mut starts) = (Vec::new(), Vec::new());
        let t = &self.transcripts;
        frame_points(&t.x, &t.y, &t.gene, self.frame, &genes, &mut xy, &mut starts);
        object(&[
            ("xy", Float32Array::from(&xy[..]).into()),
            ("starts", Uint32Array::from(&starts[..]).into()),
        ])
    }
}

/// The preset names for a menu, in `cellmap_io::table::Preset::ALL` order
/// (`["auto", "xenium", ...]`).
#[wasm_bindgen(js_name = presetNames)]
pub fn preset_names() -> Vec<String> {
    Preset::ALL.iter().map(|p| p.name().to_string()).collect()
}

/// A dropped table: Parquet (read whole) or text (streamed).
enum Source<'a> {
    Parquet { bytes: bytes::Bytes, name: &'a str },
    Text { file: &'a Blob, name: &'a str },
}

impl<'a> Source<'a> {
    fn open(file: &'a Blob, name: &'a str) -> Result<Self, Error> {
        let mut head = [0u8; 4];
        let got =
            BlobReader::new(file, name)?.read(&mut head).map_err(|e| Error::new(name, ErrorKind::Io(e)))?;
        if !parquet::is_parquet(&head[..got]) {
            return Ok(Source::Text { file, name });
        }
        let size = file.size() as u64;
        Limits::default()
            .memory
            .check(|| format!("{name} ({size} bytes)"), u128::from(size))
            .map_err(|e| Error::new(name, ErrorKind::OverBudget(Box::new(e))))?;
        let mut bytes = Vec::new();
        bytes.try_reserve_exact(size as usize).map_err(|_| {
            Error::new(name, ErrorKind::Header(format!("not enough memory for {size} bytes")))
        })?;
        BlobReader::new(file, name)?
            .read_to_end(&mut bytes)
            .map_err(|e| Error::new(name, ErrorKind::Io(e)))?;
        Ok(Source::Parquet { bytes: bytes.into(), name })
    }

    fn column_names(&self) -> Result<Vec<String>, Error> {
        match self {
            Source::Parquet { bytes, name } => parquet::column_names(bytes.clone(), name),
            Source::Text { file, name } => {
                let text = transcripts::maybe_gunzip(BufReader::new(BlobReader::new(file, name)?), name)?;
                transcripts::header_names(text, name)
            }
        }
    }

    fn read(self, options: &Options) -> Result<Transcripts, Error> {
        match self {
            Source::Parquet { bytes, name } => {
                let mut report = progress(name);
                parquet::read_with_progress(bytes, name, options, &mut |rows, total| {
                    report(rows as f64, total as f64, rows);
                })
            }
            Source::Text { file, name } => {
                let reader = BlobReader::new(file, name)?;
                let (done, total) = (reader.done.clone(), file.size());
                let text = transcripts::maybe_gunzip(BufReader::with_capacity(SLICE, reader), name)?;
                let mut report = progress(name);
                transcripts::read_with_progress(text, name, options, &mut |rows| {
                    report(done.get() as f64, total, rows);
                })
            }
        }
    }
}

/// A `Blob` read front to back in slices with `FileReaderSync`; `done`
/// counts the bytes read.
struct BlobReader {
    file: Blob,
    reader: FileReaderSync,
    name: String,
    done: Rc<Cell<u64>>,
}

impl BlobReader {
    fn new(file: &Blob, name: &str) -> Result<Self, Error> {
        let reader = FileReaderSync::new().map_err(|e| {
            Error::new(
                name,
                ErrorKind::Header(format!("cannot read files here (not a Web Worker?): {}", describe(&e))),
            )
        })?;
        Ok(BlobReader { file: file.clone(), reader, name: name.to_string(), done: Rc::default() })
    }
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let start = self.done.get() as f64;
        let end = (start + buf.len().min(SLICE) as f64).min(self.file.size());
        if end <= start {
            return Ok(0);
        }
        let failed = |e: JsValue| std::io::Error::other(format!("{}: {}", self.name, describe(&e)));
        let slice = self.file.slice_with_f64_and_f64(start, end).map_err(failed)?;
        let buffer = self.reader.read_as_array_buffer(&slice).map_err(failed)?;
        let bytes = Uint8Array::new(&buffer);
        let n = (bytes.length() as usize).min(buf.len());
        bytes.subarray(0, n as u32).copy_to(&mut buf[..n]);
        self.done.set(self.done.get() + n as u64);
        Ok(n)
    }
}

/// A `(done, total, rows)` callback posting `{type: "progress", step:
/// "transcripts", file, done, total, rows}` to the worker's page (dropped
/// outside a worker).
fn progress(file: &str) -> impl FnMut(f64, f64, u64) + use<> {
    let scope = js_sys::global().dyn_into::<DedicatedWorkerGlobalScope>().ok();
    let file = JsValue::from_str(file);
    move |done, total, rows| {
        let Some(scope) = &scope else { return };
        let message = object(&[
            ("type", JsValue::from_str("progress")),
            ("step", JsValue::from_str("transcripts")),
            ("file", file.clone()),
            ("done", JsValue::from_f64(done)),
            ("total", JsValue::from_f64(total)),
            ("rows", JsValue::from_f64(rows as f64)),
        ]);
        // a report that cannot be posted is not worth failing the read for
        if let Ok(message) = message {
            let _ = scope.post_message(&message);
        }
    }
}

fn describe(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "unknown error".to_string())
}

/// A plain JS object with these fields.
fn object(fields: &[(&str, JsValue)]) -> Result<JsValue, JsError> {
    let out = Object::new();
    for (key, value) in fields {
        Reflect::set(&out, &JsValue::from_str(key), value)
            .map_err(|_| JsError::new("could not build a JS object"))?;
    }
    Ok(out.into())
}
