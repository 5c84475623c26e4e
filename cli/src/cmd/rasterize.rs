//! `cellmap rasterize`: cell polygons (Xenium cell_boundaries.csv[.gz] or .parquet, MERSCOPE
//! cell_boundaries.parquet, GeoJSON) → a label image and the table of each label's id in the
//! polygon file.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use cellmap::Transform;
use cellmap::polygons::PolygonFormat;
use cellmap_io::parquet::{PolygonLayout, PolygonOptions};
use clap::{Args, ValueEnum};
use serde_json::json;

use crate::args::Overwrite;
use crate::inputs::check_regular;
use crate::out::{Staged, prepare_files};
use crate::report::emit;

/// Draw cell polygons into a label image (the pixels skimage.draw.polygon gives).
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    cellmap rasterize --polygons cell_boundaries.csv.gz --shape 4096,4096 -o labels.npy\n  \
    cellmap rasterize --polygons cells.geojson --shape 2000,3000 -o labels.npy --ids ids.csv\n  \
    cellmap rasterize --polygons region_0/cell_boundaries.parquet --shape 50000,60000 -o labels.npy \\\n    \
    --transform region_0/images/micron_to_mosaic_pixel_transform.csv --z-plane 3\n\n\
    A pixel is a cell's when its centre is inside the polygon or on its boundary, exactly as \
    skimage.draw.polygon decides; holes of GeoJSON and MERSCOPE polygons are left out; where cells overlap the \
    later one in the file wins. Coordinates are in a frame where pixel c spans [c, c + 1) × SCALE \
    (Xenium: µm, SCALE 0.2125 µm/px; GeoJSON: pixels, SCALE 1), after --transform for Parquet \
    polygons (MERSCOPE: µm to mosaic pixels, SCALE 1): vertex (x, y) is drawn at \
    ((a*x + b*y) + c) / SCALE - 0.5. Cells are labelled 1..N in file order; the file's ids (Xenium \
    cell_id, MERSCOPE EntityID) go to a CSV (label,cell_id), by default LABELS_ids.csv next to \
    LABELS.")]
pub struct RasterizeArgs {
    /// Polygon file: Xenium cell_boundaries.csv, .csv.gz or .parquet (cell_id, vertex_x,
    /// vertex_y), MERSCOPE cell_boundaries.parquet (EntityID, ZIndex, Geometry as WKB), or a
    /// GeoJSON FeatureCollection (.geojson, .json) of Polygon / MultiPolygon features.
    #[arg(long, value_name = "FILE")]
    pub polygons: PathBuf,
    /// Size of the label image, in pixels: HEIGHT,WIDTH.
    #[arg(long, value_name = "H,W", value_parser = parse_shape)]
    pub shape: (usize, usize),
    /// Output label image (.npy, int32).
    #[arg(short, long, value_name = "LABELS.npy")]
    pub output: PathBuf,
    /// Output table label,cell_id [default: LABELS_ids.csv next to LABELS].
    #[arg(long, value_name = "IDS.csv")]
    pub ids: Option<PathBuf>,
    /// The polygon file's format [default: from its name].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Coordinate units per pixel, after --transform [default: 0.2125 for Xenium (µm), 1 for
    /// MERSCOPE and GeoJSON].
    #[arg(long, value_name = "UNITS_PER_PX")]
    pub scale: Option<f64>,
    /// Parquet polygons: affine transform applied to the vertices before --scale, inline
    /// "a,b,c;d,e,f" or a file of 3 rows of 3 numbers (MERSCOPE's
    /// images/micron_to_mosaic_pixel_transform.csv: µm to mosaic pixels).
    #[arg(long, value_name = "AFFINE|FILE", allow_hyphen_values = true)]
    pub transform: Option<String>,
    /// MERSCOPE cell_boundaries.parquet: the ZIndex whose polygons are drawn (a cell without a
    /// polygon on it is left out) [default: 3, the middle of MERSCOPE's 7 planes, if present,
    /// else the lowest present; a note says which].
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub z_plane: Option<i64>,
    #[command(flatten)]
    pub overwrite: Overwrite,
    /// Print a JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `--format`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// Xenium cell_boundaries.csv(.gz).
    Xenium,
    /// GeoJSON FeatureCollection.
    Geojson,
    /// Xenium or MERSCOPE cell_boundaries.parquet (which one: from its columns).
    Parquet,
}

/// True for a file whose name says polygons (`.geojson`, `.json`, `.csv`, `.csv.gz`,
/// `.parquet`): `assign` takes one in place of LABELS.
pub fn is_polygon_file(path: &Path) -> bool {
    polygon_format(path).is_some() || is_parquet(path)
}

/// True for a `.parquet` file name.
pub fn is_parquet(path: &Path) -> bool {
    path.to_string_lossy().to_ascii_lowercase().ends_with(".parquet")
}

/// How to read a polygon file: its format (`None`: from the name), the coordinate units per
/// pixel (`None`: the format's), and for Parquet the transform applied first and the MERSCOPE
/// z-plane (`None`: the reader's default, announced on stderr).
#[derive(Debug, Clone, Copy, Default)]
pub struct PolygonRead {
    pub format: Option<Format>,
    pub scale: Option<f64>,
    pub transform: Option<Transform>,
    pub z_plane: Option<i64>,
}

/// The polygon format a file name says.
pub fn polygon_format(path: &Path) -> Option<PolygonFormat> {
    PolygonFormat::from_name(&path.to_string_lossy())
}

/// Reads a polygon file and rasterises it into a `shape` (height, width) label image; without a
/// shape, the image is just large enough for every pixel a polygon can take (skimage's bounding
/// box, `ceil(max) + 1`).
pub fn read_polygon_labels(
    path: &Path,
    read: &PolygonRead,
    shape: Option<(usize, usize)>,
) -> Result<cellmap::PolygonLabels> {
    let source = cellmap_io::fs::source_name(path);
    let parquet = match read.format {
        Some(format) => matches!(format, Format::Parquet),
        None => is_parquet(path),
    };
    let polygons = if parquet {
        // Read a row group at a time from the file.
        let file = std::fs::File::open(path).with_context(|| source.clone())?;
        let options = PolygonOptions {
            transform: read.transform.map(|t| t.0),
            scale: read.scale,
            z_plane: read.z_plane,
        };
        let (polygons, layout) = cellmap_io::parquet::read_polygons(file, &source, &options)?;
        match layout {
            PolygonLayout::Merscope { z_plane, planes } if read.z_plane.is_none() => {
                let planes: Vec<String> = planes.iter().map(i64::to_string).collect();
                crate::report::error_line(&format!(
                    "note: {source}: cell polygons of z-plane {z_plane} (ZIndex present: {}); \
                     --z-plane N for another",
                    planes.join(", ")
                ));
            }
            PolygonLayout::Xenium if read.z_plane.is_some() => {
                bail!("{source}: --z-plane is for MERSCOPE polygons; this is Xenium's layout (one plane)")
            }
            _ => {}
        }
        polygons
    } else {
        if read.transform.is_some() {
            bail!("{source}: --transform is for Parquet polygons (Xenium, MERSCOPE)");
        }
        if read.z_plane.is_some() {
            bail!("{source}: --z-plane is for MERSCOPE cell_boundaries.parquet");
        }
        let format = read.format.map(|f| match f {
            Format::Geojson => PolygonFormat::GeoJson,
            Format::Xenium | Format::Parquet => PolygonFormat::XeniumCsv, // Parquet: read above
        });
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        cellmap::MemoryBudget::global()
            .check(|| format!("{source} ({size} bytes)"), u128::from(size))
            .map_err(|e| anyhow::anyhow!("{source}: {e}"))?;
        let bytes = std::fs::read(path).with_context(|| source.clone())?;
        cellmap::read_polygons(&bytes, &source, format, read.scale)?
    };
    let (height, width) = shape.unwrap_or_else(|| {
        let extent = |k: usize| {
            let most = polygons.vertices.iter().map(|v| v[k]).fold(f64::NEG_INFINITY, f64::max);
            if most > -1.0 { most.ceil() as usize + 1 } else { 0 }
        };
        (extent(1), extent(0))
    });
    Ok(cellmap::polygons_to_labels(&polygons, height, width)?)
}

pub fn parse_shape(text: &str) -> Result<(usize, usize), String> {
    let parse = |t: &str| t.trim().parse::<usize>().map_err(|_| format!("`{text}` is not HEIGHT,WIDTH"));
    match text.split_once(',') {
        Some((h, w)) => Ok((parse(h)?, parse(w)?)),
        None => Err(format!("`{text}` is not HEIGHT,WIDTH (e.g. 2048,2048)")),
    }
}

/// `LABELS_ids.csv` next to `LABELS.npy`.
pub fn default_ids_path(labels: &Path) -> PathBuf {
    let stem = labels.file_stem().map_or_else(|| "labels".into(), |s| s.to_string_lossy().into_owned());
    labels.with_file_name(format!("{stem}_ids.csv"))
}

pub fn run(args: RasterizeArgs) -> Result<()> {
    let ids_path = args.ids.clone().unwrap_or_else(|| default_ids_path(&args.output));
    prepare_files(&[&args.polygons], &[&args.output, &ids_path], args.overwrite.overwrite)?;
    check_regular(&args.polygons)?;
    if let Some(scale) = args.scale {
        if !(scale.is_finite() && scale > 0.0) {
            bail!("--scale {scale}: must be a finite number > 0");
        }
    }
    let read = PolygonRead {
        format: args.format,
        scale: args.scale,
        transform: args.transform.as_deref().map(crate::cmd::assign::read_transform).transpose()?,
        z_plane: args.z_plane,
    };
    let (height, width) = args.shape;
    let source = cellmap_io::fs::source_name(&args.polygons);
    let out = read_polygon_labels(&args.polygons, &read, Some((height, width)))?;
    let painted = out.labels.labels().data().iter().filter(|&&l| l != 0).count();
    let mut staged = Staged::new(args.overwrite.overwrite);
    let labels_dest = args.output.display().to_string();
    staged.file(&args.output, |w| {
        Ok(cellmap_io::npy::write(w, &[height, width], out.labels.labels().data(), &labels_dest)?)
    })?;
    let ids_dest = ids_path.display().to_string();
    staged.file(&ids_path, |w| Ok(cellmap_io::polygons::write_ids_csv(w, &ids_dest, &out.ids)?))?;
    staged.commit()?;
    let cells = out.ids.len();
    let text = format!(
        "{cells} cells from {source} ({painted} pixels of {height}×{width}) -> {}, ids -> {}",
        args.output.display(),
        ids_path.display()
    );
    let summary = json!({
        "cells": cells,
        "pixels": painted,
        "height": height,
        "width": width,
        "labels": args.output,
        "ids": ids_path,
    });
    emit(args.json, summary, &text)?;
    Ok(())
}
