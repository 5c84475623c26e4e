//! Cell polygons: Xenium `cell_boundaries.csv(.gz)`, GeoJSON
//! FeatureCollections (QuPath, Baysor) and, with the `parquet` feature,
//! Xenium and MERSCOPE `cell_boundaries.parquet` (`parquet::read_polygons`),
//! read into one flat layout that [`cellmap_core::polygon::fill_polygon`]
//! takes as is.
//!
//! # Coordinates
//!
//! Files give vertices in a frame where pixel `c` spans `[c, c + 1)`
//! coordinate units times `scale` (µm per pixel for Xenium, 0.2125 by
//! default; 1 for GeoJSON in pixels) — the frame transcripts are assigned
//! in. The readers turn them into the rasteriser's frame, where integers
//! are pixel centres: `px = coordinate / scale - 0.5` (the same two `f64`
//! operations, in this order, as the Python reference in
//! `tests/generators/polygons.py`). A [`VertexFrame`] may put an affine
//! transform first (MERSCOPE's µm → mosaic pixels, scale 1):
//! `px = ((a·x + b·y) + c) / scale - 0.5`.
//!
//! # Cells, rings and ids
//!
//! * Xenium CSV: rows `cell_id, vertex_x, vertex_y` (other columns are
//!   ignored), the rows of one cell consecutive, forming one ring (Xenium
//!   repeats the first vertex at the end; that adds nothing). A cell id
//!   that comes back after another cell is an error.
//! * GeoJSON: a `FeatureCollection` (or a bare array of features, as
//!   QuPath exports, or one `Feature`); each feature with a `Polygon` or
//!   `MultiPolygon` geometry is one cell, all its rings (outer boundaries
//!   and holes of every part) filled even-odd, so **holes are honoured**.
//!   Its id is the first of the properties `id`, `cell_id`, `cellId`,
//!   `objectId`, `object_id`, `name` that is a string or a number, else the
//!   feature's `id`, else its 1-based index. Features without geometry
//!   (`null`) are skipped; other geometry types are an error.
//!
//! * Xenium `cell_boundaries.parquet`: the CSV's columns and rules
//!   ([`VertexRows`]); `cell_id` a string, bytes or an integer; vertices
//!   `float` or `double`. The same data as CSV gives the same cells.
//! * MERSCOPE `cell_boundaries.parquet`: one row per cell and z-plane,
//!   `EntityID` (the id), `ZIndex` and `Geometry`, a WKB (Multi)Polygon
//!   in µm ([`push_wkb_cell`]); only the rows of one z-plane are read, each
//!   one cell, so a cell without a polygon on that plane is left out.
//!
//! Cells are kept in reading order; the pipeline numbers them `1..=N` in
//! that order and keeps [`Polygons::ids`] as the table `label → id`.

use std::collections::HashMap;
use std::io::Read;

use crate::limits::MemoryBudget;
use crate::{Error, ErrorKind};

/// µm per pixel of Xenium's morphology images (and of its label masks).
pub const XENIUM_UM_PER_PIXEL: f64 = 0.2125;

/// Cells as polygons, in the rasteriser's frame (integers are pixel
/// centres, see the [module docs](self)).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Polygons {
    /// `[x, y]` of every vertex, cell after cell, ring after ring.
    pub vertices: Vec<[f64; 2]>,
    /// End of each ring, counted from its cell's first vertex (the
    /// `ring_ends` of `fill_polygon`).
    pub ring_ends: Vec<usize>,
    /// Per cell: the end of its vertices in `vertices` and of its rings in
    /// `ring_ends`.
    pub cell_ends: Vec<[usize; 2]>,
    /// Per cell: its id in the file.
    pub ids: Vec<String>,
}

impl Polygons {
    /// Number of cells.
    pub fn len(&self) -> usize {
        self.cell_ends.len()
    }

    /// True without cells.
    pub fn is_empty(&self) -> bool {
        self.cell_ends.is_empty()
    }

    /// Cell `k`'s vertices and ring ends, as `fill_polygon` takes them.
    pub fn cell(&self, k: usize) -> (&[[f64; 2]], &[usize]) {
        let [v0, r0] = if k == 0 { [0, 0] } else { self.cell_ends[k - 1] };
        let [v1, r1] = self.cell_ends[k];
        (&self.vertices[v0..v1], &self.ring_ends[r0..r1])
    }

    /// Adds a ring to the cell being built (ended by [`Self::end_cell`]).
    fn push_ring(&mut self, ring: impl IntoIterator<Item = [f64; 2]>) {
        self.vertices.extend(ring);
        let start = self.cell_ends.last().map_or(0, |e| e[0]);
        self.ring_ends.push(self.vertices.len() - start);
    }

    fn end_cell(&mut self, id: String) {
        self.cell_ends.push([self.vertices.len(), self.ring_ends.len()]);
        self.ids.push(id);
    }
}

/// The formats [`read_bytes`] knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Xenium `cell_boundaries.csv(.gz)`.
    XeniumCsv,
    /// A GeoJSON FeatureCollection.
    GeoJson,
}

impl Format {
    /// The format a file name says (`.geojson`, `.json`; `.csv`, `.csv.gz`),
    /// or `None`.
    pub fn from_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".geojson") || lower.ends_with(".json") {
            Some(Format::GeoJson)
        } else if lower.ends_with(".csv") || lower.ends_with(".csv.gz") {
            Some(Format::XeniumCsv)
        } else {
            None
        }
    }

    /// The default `scale` (coordinate units per pixel) of the format.
    pub fn default_scale(self) -> f64 {
        match self {
            Format::XeniumCsv => XENIUM_UM_PER_PIXEL,
            Format::GeoJson => 1.0,
        }
    }
}

/// Reads polygons of `format` from `bytes` (gzip-compressed or not);
/// `scale` is the file's coordinate units per pixel. `source` names the
/// file in errors.
pub fn read_bytes(bytes: &[u8], source: &str, format: Format, scale: f64) -> Result<Polygons, Error> {
    if !(scale.is_finite() && scale > 0.0) {
        return Err(Error::new(
            source,
            ErrorKind::Core(cellmap_core::Error::InvalidArgument("the polygon scale must be finite and > 0")),
        ));
    }
    let reader = crate::transcripts::maybe_gunzip(bytes, source)?;
    match format {
        Format::XeniumCsv => read_xenium_csv(reader, source, scale),
        Format::GeoJson => read_geojson(reader, source, scale),
    }
}

fn record_error(source: &str, line: u64, message: impl Into<String>) -> Error {
    Error::new(source, ErrorKind::Record { line, message: message.into() })
}

fn to_pixels(v: f64, scale: f64) -> f64 {
    v / scale - 0.5
}

/// How a file's `(x, y)` becomes a vertex of the rasteriser's frame (see
/// the [module docs](self)): the `transform`, if any, then `/ scale - 0.5`.
///
/// ```
/// use cellmap_io::polygons::VertexFrame;
/// assert_eq!(VertexFrame::scale(0.5).apply(1.0, 2.0), [1.5, 3.5]);
/// let mosaic = VertexFrame { transform: Some([[2.0, 0.0, 10.0], [0.0, 2.0, -4.0]]), scale: 1.0 };
/// assert_eq!(mosaic.apply(1.0, 2.0), [11.5, -0.5]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VertexFrame {
    /// `[[a, b, c], [d, e, f]]`: `(x, y) ↦ ((a·x + b·y) + c, (d·x + e·y) + f)`,
    /// applied first; `None`: the identity.
    pub transform: Option<[[f64; 3]; 2]>,
    /// Coordinate units per pixel after the transform (finite, > 0).
    pub scale: f64,
}

impl VertexFrame {
    /// No transform, `scale` units per pixel.
    pub fn scale(scale: f64) -> Self {
        Self { transform: None, scale }
    }

    /// The vertex of `(x, y)`.
    pub fn apply(&self, x: f64, y: f64) -> [f64; 2] {
        let (x, y) = match self.transform {
            Some([[a, b, c], [d, e, f]]) => (a * x + b * y + c, d * x + e * y + f),
            None => (x, y),
        };
        [to_pixels(x, self.scale), to_pixels(y, self.scale)]
    }

    /// An error unless the scale is finite and > 0 and the transform finite.
    pub fn check(&self) -> Result<(), &'static str> {
        if !(self.scale.is_finite() && self.scale > 0.0) {
            return Err("the polygon scale must be finite and > 0");
        }
        if self.transform.iter().flatten().flatten().any(|v| !v.is_finite()) {
            return Err("the polygon transform must be finite");
        }
        Ok(())
    }
}

/// Refuses a vertex table that would outgrow the memory budget (checked
/// when the table is about to grow).
pub(crate) fn check_growth(polygons: &Polygons, source: &str) -> Result<(), Error> {
    let v = &polygons.vertices;
    if v.len() == v.capacity() {
        let next = (v.len() as u128).max(1024) * 2;
        MemoryBudget::global()
            .check_elements(|| format!("{source}: polygon vertices"), next, 16 + 8)
            .map_err(|e| Error::new(source, ErrorKind::OverBudget(Box::new(e))))?;
    }
    Ok(())
}

/// Reads a Xenium `cell_boundaries.csv` stream (decompressed).
pub fn read_xenium_csv<R: Read>(reader: R, source: &str, scale: f64) -> Result<Polygons, Error> {
    let mut csv = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(reader);
    let headers = csv.headers().map_err(|e| Error::new(source, ErrorKind::Header(e.to_string())))?.clone();
    let column = |name: &str| {
        headers.iter().position(|h| h.trim() == name).ok_or_else(|| {
            Error::new(
                source,
                ErrorKind::MissingColumn {
                    name: name.into(),
                    available: headers.iter().map(String::from).collect(),
                },
            )
        })
    };
    let (id_col, x_col, y_col) = (column("cell_id")?, column("vertex_x")?, column("vertex_y")?);
    let mut rows = VertexRows::new(source, scale);
    let mut record = csv::StringRecord::new();
    let mut line = 1u64;
    loop {
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(record_error(source, line + 1, e.to_string())),
        }
        line = record.position().map_or(line + 1, |p| p.line());
        let number = |col: usize, name: &str| {
            let text = record.get(col).unwrap_or("").trim();
            text.parse::<f64>()
                .map_err(|_| record_error(source, line, format!("{name} `{text}` is not a number")))
        };
        let (x, y) = (number(x_col, "vertex_x")?, number(y_col, "vertex_y")?);
        rows.push(record.get(id_col).unwrap_or(""), x, y, line)?;
    }
    Ok(rows.finish())
}

/// Builds cells from vertex rows `cell_id, x, y` (Xenium's layout, in a
/// CSV or decoded from `cell_boundaries.parquet`): the rows of one cell
/// consecutive, one ring per cell, coordinates shifted into the
/// rasteriser's frame.
///
/// ```
/// use cellmap_io::polygons::VertexRows;
/// let mut rows = VertexRows::new("cell_boundaries.parquet", 0.5);
/// for (row, (id, x, y)) in [("a", 0.0, 0.0), ("a", 1.0, 0.0), ("a", 0.0, 1.0), ("b", 2.0, 2.0)].into_iter().enumerate() {
///     rows.push(id, x, y, row as u64 + 1)?;
/// }
/// assert!(rows.push("a", 0.0, 0.0, 5).is_err()); // a starts again
/// let cells = rows.finish();
/// assert_eq!((cells.ids.len(), cells.cell(0).0[1]), (2, [1.5, -0.5]));
/// # Ok::<(), cellmap_io::Error>(())
/// ```
#[derive(Debug)]
pub struct VertexRows<'a> {
    source: &'a str,
    frame: VertexFrame,
    /// Errors say `row N` (a Parquet table), else `line N` (a CSV file).
    table_rows: bool,
    polygons: Polygons,
    current: Option<String>,
    ring: Vec<[f64; 2]>,
    seen: HashMap<String, u64>,
}

impl<'a> VertexRows<'a> {
    /// No cells yet; `source` names the file in errors (rows are its
    /// lines), `scale` is its coordinate units per pixel.
    pub fn new(source: &'a str, scale: f64) -> Self {
        Self {
            source,
            frame: VertexFrame::scale(scale),
            table_rows: false,
            polygons: Polygons::default(),
            current: None,
            ring: Vec::new(),
            seen: HashMap::new(),
        }
    }

    /// No cells yet, for the rows of a table (errors say `row N`) in `frame`.
    pub fn table(source: &'a str, frame: VertexFrame) -> Self {
        Self { frame, table_rows: true, ..Self::new(source, frame.scale) }
    }

    /// Adds the vertex of row `row` (1-based, for errors).
    pub fn push(&mut self, id: &str, x: f64, y: f64, row: u64) -> Result<(), Error> {
        if self.current.as_deref() != Some(id) {
            if let Some(first) = self.seen.get(id) {
                let unit = if self.table_rows { "row" } else { "line" };
                let message = format!(
                    "cell `{id}` starts again (its rows began on {unit} {first}); rows of a cell must be consecutive"
                );
                return Err(if self.table_rows {
                    Error::new(self.source, ErrorKind::Row { row, message })
                } else {
                    record_error(self.source, row, message)
                });
            }
            if let Some(done) = self.current.take() {
                self.polygons.push_ring(self.ring.drain(..));
                self.polygons.end_cell(done);
            }
            self.seen.insert(id.to_string(), row);
            self.current = Some(id.to_string());
        }
        check_growth(&self.polygons, self.source)?;
        self.ring.push(self.frame.apply(x, y));
        Ok(())
    }

    /// The cells.
    pub fn finish(mut self) -> Polygons {
        if let Some(done) = self.current.take() {
            self.polygons.push_ring(self.ring.drain(..));
            self.polygons.end_cell(done);
        }
        self.polygons
    }
}

/// Reads a GeoJSON stream (decompressed).
#[cfg(feature = "geojson")]
pub fn read_geojson<R: Read>(mut reader: R, source: &str, scale: f64) -> Result<Polygons, Error> {
    use serde_json::Value;
    let mut text = Vec::new();
    reader.read_to_end(&mut text).map_err(|e| Error::new(source, ErrorKind::Io(e)))?;
    // A parsed document takes several times its text.
    MemoryBudget::global()
        .check_elements(|| format!("{source}: GeoJSON document"), text.len() as u128, 8)
        .map_err(|e| Error::new(source, ErrorKind::OverBudget(Box::new(e))))?;
    let bad = |why: String| Error::new(source, ErrorKind::Header(why));
    let doc: Value = serde_json::from_slice(&text).map_err(|e| bad(format!("not valid JSON: {e}")))?;
    drop(text);
    let features: &[Value] = match &doc {
        Value::Array(features) => features,
        Value::Object(o) => match o.get("type").and_then(Value::as_str) {
            Some("FeatureCollection") => o
                .get("features")
                .and_then(Value::as_array)
                .ok_or_else(|| bad("a FeatureCollection without a `features` array".into()))?,
            Some("Feature") => std::slice::from_ref(&doc),
            other => return Err(bad(format!("expected a FeatureCollection, got type {other:?}"))),
        },
        _ => return Err(bad("expected a FeatureCollection (a JSON object)".into())),
    };
    let mut polygons = Polygons::default();
    for (index, feature) in features.iter().enumerate() {
        let what = |why: &str| bad(format!("feature {index}: {why}"));
        let geometry = match feature.get("geometry") {
            None | Some(Value::Null) => continue,
            Some(g) => g,
        };
        let coordinates = geometry.get("coordinates").ok_or_else(|| what("geometry without coordinates"))?;
        let parts: Vec<&Value> = match geometry.get("type").and_then(Value::as_str) {
            Some("Polygon") => vec![coordinates],
            Some("MultiPolygon") => coordinates
                .as_array()
                .ok_or_else(|| what("MultiPolygon coordinates are not an array"))?
                .iter()
                .collect(),
            other => return Err(what(&format!("geometry type {other:?} is not Polygon or MultiPolygon"))),
        };
        for part in parts {
            for ring in
                part.as_array().ok_or_else(|| what("polygon coordinates are not an array of rings"))?
            {
                let points = ring.as_array().ok_or_else(|| what("a ring is not an array of positions"))?;
                let mut vertices = Vec::with_capacity(points.len());
                for p in points {
                    let xy = p
                        .as_array()
                        .filter(|a| a.len() >= 2)
                        .ok_or_else(|| what("a position is not [x, y]"))?;
                    let (Some(x), Some(y)) = (xy[0].as_f64(), xy[1].as_f64()) else {
                        return Err(what("a coordinate is not a number"));
                    };
                    vertices.push([to_pixels(x, scale), to_pixels(y, scale)]);
                }
                check_growth(&polygons, source)?;
                polygons.push_ring(vertices);
            }
        }
        polygons.end_cell(feature_id(feature, index));
    }
    Ok(polygons)
}

/// Without the `geojson` feature: an error naming the file.
#[cfg(not(feature = "geojson"))]
pub fn read_geojson<R: Read>(_reader: R, source: &str, _scale: f64) -> Result<Polygons, Error> {
    Err(Error::new(source, ErrorKind::Header("GeoJSON needs cellmap-io's `geojson` feature".into())))
}

#[cfg(feature = "geojson")]
fn feature_id(feature: &serde_json::Value, index: usize) -> String {
    use serde_json::Value;
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let properties = feature.get("properties");
    ["id", "cell_id", "cellId", "objectId", "object_id", "name"]
        .iter()
        .find_map(|key| properties.and_then(|p| p.get(key)).and_then(text))
        .or_else(|| feature.get("id").and_then(text))
        .unwrap_or_else(|| (index + 1).to_string())
}

/// Adds one cell from a WKB geometry (the `geometry` column of MERSCOPE's
/// `cell_boundaries.parquet`): a `Polygon` or `MultiPolygon`, every ring
/// kept (holes filled even-odd), little- or big-endian, 2-D or with Z / M
/// values (ISO codes `1003`, `2003`, `3003`, ... or EWKB flags, with an
/// optional EWKB SRID), which are dropped; `(x, y)` go through `frame`.
/// Counts are checked against the bytes present before anything is
/// allocated. On error the cell is not added; the message says what is
/// wrong (the caller adds file and row).
///
/// ```
/// use cellmap_io::polygons::{Polygons, VertexFrame, push_wkb_cell};
/// // POLYGON((0 0, 2 0, 0 2, 0 0)), little-endian.
/// let mut wkb = vec![1u8, 3, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0];
/// for v in [0.0f64, 0.0, 2.0, 0.0, 0.0, 2.0, 0.0, 0.0] {
///     wkb.extend(v.to_le_bytes());
/// }
/// let mut cells = Polygons::default();
/// push_wkb_cell(&mut cells, &wkb, "c1".into(), &VertexFrame::scale(1.0)).unwrap();
/// assert_eq!(cells.cell(0).0[1], [1.5, -0.5]);
/// assert!(push_wkb_cell(&mut cells, &wkb[..20], "c2".into(), &VertexFrame::scale(1.0)).is_err());
/// assert_eq!(cells.len(), 1);
/// ```
pub fn push_wkb_cell(
    polygons: &mut Polygons,
    wkb: &[u8],
    id: String,
    frame: &VertexFrame,
) -> Result<(), String> {
    let mut rings: Vec<Vec<[f64; 2]>> = Vec::new();
    let mut at = 0usize;
    let (kind, dims, little) = wkb_header(wkb, &mut at)?;
    match kind {
        3 => wkb_polygon(wkb, &mut at, dims, little, frame, &mut rings)?,
        6 => {
            let parts = wkb_u32(wkb, &mut at, little)? as usize;
            for _ in 0..parts {
                let (part, part_dims, part_little) = wkb_header(wkb, &mut at)?;
                if part != 3 {
                    return Err(format!("a MultiPolygon part of WKB type {part}, not a Polygon"));
                }
                wkb_polygon(wkb, &mut at, part_dims, part_little, frame, &mut rings)?;
            }
        }
        other => return Err(format!("WKB geometry type {other} is not Polygon (3) or MultiPolygon (6)")),
    }
    for ring in rings {
        polygons.push_ring(ring);
    }
    polygons.end_cell(id);
    Ok(())
}

/// Byte order, type and coordinate count of a WKB geometry at `at`.
fn wkb_header(wkb: &[u8], at: &mut usize) -> Result<(u32, usize, bool), String> {
    let little = match wkb.get(*at) {
        Some(1) => true,
        Some(0) => false,
        Some(b) => return Err(format!("bad WKB byte-order mark {b}")),
        None => return Err("WKB ends before a geometry".into()),
    };
    *at += 1;
    let code = wkb_u32(wkb, at, little)?;
    let (z, m) = (code & 0x8000_0000 != 0, code & 0x4000_0000 != 0);
    if code & 0x2000_0000 != 0 {
        wkb_u32(wkb, at, little)?; // EWKB SRID
    }
    let iso = code & 0x0fff_ffff;
    let (kind, iso_z, iso_m) = (iso % 1000, matches!(iso / 1000, 1 | 3), matches!(iso / 1000, 2 | 3));
    if iso / 1000 > 3 {
        return Err(format!("unknown WKB geometry type {code}"));
    }
    let dims = 2 + usize::from(z || iso_z) + usize::from(m || iso_m);
    Ok((kind, dims, little))
}

fn wkb_u32(wkb: &[u8], at: &mut usize, little: bool) -> Result<u32, String> {
    let bytes: [u8; 4] =
        wkb.get(*at..*at + 4).and_then(|b| b.try_into().ok()).ok_or("WKB ends inside a count")?;
    *at += 4;
    Ok(if little { u32::from_le_bytes(bytes) } else { u32::from_be_bytes(bytes) })
}

fn wkb_polygon(
    wkb: &[u8],
    at: &mut usize,
    dims: usize,
    little: bool,
    frame: &VertexFrame,
    rings: &mut Vec<Vec<[f64; 2]>>,
) -> Result<(), String> {
    let n_rings = wkb_u32(wkb, at, little)? as usize;
    // Every ring takes at least its 4-byte count.
    if n_rings > (wkb.len() - *at) / 4 {
        return Err(format!("WKB polygon of {n_rings} rings is longer than its {} bytes", wkb.len()));
    }
    for _ in 0..n_rings {
        let n = wkb_u32(wkb, at, little)? as usize;
        let size = 8 * dims;
        if n > (wkb.len() - *at) / size {
            return Err(format!("WKB ring of {n} points is longer than its {} bytes", wkb.len()));
        }
        let mut ring = Vec::with_capacity(n);
        for point in wkb[*at..*at + n * size].chunks_exact(size) {
            let value = |k: usize| {
                let b: [u8; 8] = point[8 * k..8 * k + 8].try_into().unwrap_or([0; 8]);
                if little { f64::from_le_bytes(b) } else { f64::from_be_bytes(b) }
            };
            ring.push(frame.apply(value(0), value(1)));
        }
        *at += n * size;
        rings.push(ring);
    }
    Ok(())
}

/// Writes the table `label,cell_id` (label `k + 1` is `ids[k]`), the
/// labels' ids in the polygon file.
///
/// ```
/// let mut out = Vec::new();
/// cellmap_io::polygons::write_ids_csv(&mut out, "ids.csv", &["a".into(), "b,2".into()])?;
/// assert_eq!(String::from_utf8(out).unwrap(), "label,cell_id\n1,a\n2,\"b,2\"\n");
/// # Ok::<(), cellmap_io::Error>(())
/// ```
pub fn write_ids_csv<W: std::io::Write>(writer: W, dest: &str, ids: &[String]) -> Result<(), Error> {
    let mut csv = csv::WriterBuilder::new().from_writer(writer);
    let write_error = |e: csv::Error| Error::new(dest, ErrorKind::Io(std::io::Error::other(e.to_string())));
    csv.write_record(["label", "cell_id"]).map_err(write_error)?;
    for (k, id) in ids.iter().enumerate() {
        csv.write_record([(k + 1).to_string().as_str(), id.as_str()]).map_err(write_error)?;
    }
    csv.flush().map_err(|e| Error::new(dest, ErrorKind::Io(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xenium_rows_make_one_ring_per_cell() {
        let csv =
            "cell_id,vertex_x,vertex_y\na,0.2125,0.2125\na,2.125,0.2125\na,0.2125,2.125\nb,1,1\nb,2,2\n";
        let p = read_bytes(csv.as_bytes(), "b.csv", Format::XeniumCsv, XENIUM_UM_PER_PIXEL).unwrap();
        assert_eq!(p.ids, ["a", "b"]);
        assert_eq!(p.cell(0).0, [[0.5, 0.5], [9.5, 0.5], [0.5, 9.5]]);
        assert_eq!(p.cell(0).1, [3]);
        assert_eq!(p.cell(1).1, [2]);
    }

    #[test]
    fn xenium_errors_name_the_file_and_line() {
        let csv = "cell_id,vertex_x,vertex_y\na,1,1\nb,1,1\na,2,2\n";
        let e = read_bytes(csv.as_bytes(), "b.csv", Format::XeniumCsv, 1.0).unwrap_err().to_string();
        assert!(e.starts_with("b.csv: ") && e.contains("line 4") && e.contains("consecutive"), "{e}");
        let e = read_bytes(b"cell_id,x\n", "b.csv", Format::XeniumCsv, 1.0).unwrap_err().to_string();
        assert!(e.contains("vertex_x"), "{e}");
        let e =
            read_bytes(b"cell_id,vertex_x,vertex_y\na,1,zz\n", "b.csv", Format::XeniumCsv, 1.0).unwrap_err();
        assert!(e.to_string().contains("`zz`"), "{e}");
    }

    #[cfg(feature = "geojson")]
    #[test]
    fn geojson_ids_holes_and_multipolygons() {
        let doc = r#"{"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": 9, "properties": {"objectId": "q1"},
             "geometry": {"type": "Polygon", "coordinates": [[[0,0],[4,0],[4,4],[0,0]], [[1,1],[2,1],[2,2]]]}},
            {"type": "Feature", "geometry": null, "properties": {}},
            {"type": "Feature", "id": 7, "properties": {},
             "geometry": {"type": "MultiPolygon", "coordinates": [[[[0,0],[1,0],[1,1]]], [[[5,5],[6,5],[6,6]]]]}},
            {"type": "Feature", "properties": {"cell_id": 3.5},
             "geometry": {"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1]]]}}
        ]}"#;
        let p = read_bytes(doc.as_bytes(), "c.geojson", Format::GeoJson, 1.0).unwrap();
        assert_eq!(p.ids, ["q1", "7", "3.5"]);
        assert_eq!(p.cell(0).1, [4, 7]);
        assert_eq!(p.cell(1).1, [3, 6]);
        assert_eq!(p.cell(2).0[0], [-0.5, -0.5]);
        let e = read_bytes(
            br#"{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}}"#,
            "c.json",
            Format::GeoJson,
            1.0,
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("c.json: ") && e.contains("feature 0") && e.contains("Point"), "{e}");
    }
}

#[cfg(test)]
mod wkb_tests {
    use super::*;

    fn ring_be(points: &[[f64; 2]]) -> Vec<u8> {
        let mut out = (points.len() as u32).to_be_bytes().to_vec();
        for p in points {
            out.extend(p[0].to_be_bytes());
            out.extend(p[1].to_be_bytes());
            out.extend(7.0f64.to_be_bytes()); // Z, dropped
        }
        out
    }

    #[test]
    fn big_endian_multipolygon_with_z_and_a_hole() {
        let square = [[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0], [0.0, 0.0]];
        let hole = [[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 1.0]];
        let mut wkb = vec![0u8];
        wkb.extend(1006u32.to_be_bytes()); // MultiPolygon Z
        wkb.extend(2u32.to_be_bytes());
        for rings in [&[&square[..], &hole[..]][..], &[&square[..]][..]] {
            wkb.push(0);
            wkb.extend(1003u32.to_be_bytes());
            wkb.extend((rings.len() as u32).to_be_bytes());
            for r in rings {
                wkb.extend(ring_be(r));
            }
        }
        let mut cells = Polygons::default();
        push_wkb_cell(&mut cells, &wkb, "m".into(), &VertexFrame::scale(2.0)).unwrap();
        let (v, rings) = cells.cell(0);
        assert_eq!(rings, [5, 9, 14]);
        assert_eq!(v[1], [1.5, -0.5]);
        // Every truncation is an error, never a panic, and adds no cell.
        for cut in 0..wkb.len() {
            assert!(push_wkb_cell(&mut cells, &wkb[..cut], "t".into(), &VertexFrame::scale(1.0)).is_err());
        }
        assert_eq!(cells.len(), 1);
        // A huge declared count is refused before allocating.
        let mut lie = vec![1u8, 3, 0, 0, 0];
        lie.extend(u32::MAX.to_le_bytes());
        let e = push_wkb_cell(&mut cells, &lie, "x".into(), &VertexFrame::scale(1.0)).unwrap_err();
        assert!(e.contains("rings"), "{e}");
    }
}
