//! `cellmap rasterize`: cell polygons (Xenium cell_boundaries.csv[.gz], GeoJSON) → a label image
//! and the table of each label's id in the polygon file.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use cellmap::polygons::PolygonFormat;
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
    cellmap rasterize --polygons cells.geojson --shape 2000,3000 -o labels.npy --ids ids.csv\n\n\
    A pixel is a cell's when its centre is inside the polygon or on its boundary, exactly as \
    skimage.draw.polygon decides; holes of GeoJSON polygons are left out; where cells overlap the \
    later one in the file wins. Coordinates are in a frame where pixel c spans [c, c + 1) × SCALE \
    (Xenium: µm, SCALE 0.2125 µm/px; GeoJSON: pixels, SCALE 1). Cells are labelled 1..N in file \
    order; the file's ids go to a CSV (label,cell_id), by default LABELS_ids.csv next to LABELS.")]
pub struct RasterizeArgs {
    /// Polygon file: Xenium cell_boundaries.csv or .csv.gz (cell_id, vertex_x, vertex_y), or a
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
    /// Coordinate units per pixel [default: 0.2125 for Xenium (µm), 1 for GeoJSON].
    #[arg(long, value_name = "UNITS_PER_PX")]
    pub scale: Option<f64>,
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
}

/// True for a file whose name says polygons (`.geojson`, `.json`, `.csv`, `.csv.gz`): `assign`
/// takes one in place of LABELS.
pub fn is_polygon_file(path: &Path) -> bool {
    polygon_format(path).is_some()
}

/// The polygon format a file name says.
pub fn polygon_format(path: &Path) -> Option<PolygonFormat> {
    PolygonFormat::from_name(&path.to_string_lossy())
}

/// Reads a polygon file and rasterises it into a `shape` (height, width) label image; without a
/// shape, the image is just large enough for every pixel a polygon can take (skimage's bounding
/// box, `ceil(max) + 1`). `scale`: coordinate units per pixel (the format's default if `None`).
pub fn read_polygon_labels(
    path: &Path,
    format: Option<PolygonFormat>,
    shape: Option<(usize, usize)>,
    scale: Option<f64>,
) -> Result<cellmap::PolygonLabels> {
    let source = cellmap_io::fs::source_name(path);
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    cellmap::MemoryBudget::global()
        .check(|| format!("{source} ({size} bytes)"), u128::from(size))
        .map_err(|e| anyhow::anyhow!("{source}: {e}"))?;
    let bytes = std::fs::read(path).with_context(|| source.clone())?;
    let polygons = cellmap::read_polygons(&bytes, &source, format, scale)?;
    drop(bytes);
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
    let format = args.format.map(|f| match f {
        Format::Xenium => PolygonFormat::XeniumCsv,
        Format::Geojson => PolygonFormat::GeoJson,
    });
    let (height, width) = args.shape;
    let source = cellmap_io::fs::source_name(&args.polygons);
    let out = read_polygon_labels(&args.polygons, format, Some((height, width)), args.scale)?;
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
