//! `cellmap assign`: transcripts to cells, and counts per cell and gene.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use cellmap::polygons::PolygonFormat;
use cellmap::{
    Assignment, Frame, LabelImage, Rounding, SparseCounts, Transform, assign_in_frame,
    count_transcripts_sparse,
};
use cellmap_io::table::Preset;
use cellmap_io::transcripts::{self, Column, Options, Transcripts};
use serde_json::json;

use crate::anndata::{CellObs, stage_store, store_outputs, write_store};
use crate::args::{AssignArgs, BundleArgs, PresetArg, RoundArg, TranscriptArgs};
use crate::bundle::Bundle;
use crate::cmd::rasterize::PolygonRead;
use crate::inputs::check_all;
use crate::out::{Output, StagedDir, UsageError, check_paths, output_folder, refuse_existing};
use crate::report::emit;

/// The files `assign` writes into its output folder.
const OUTPUTS: [&str; 4] = ["assignments.csv", "counts.npz", "cells.csv", "genes.txt"];

pub fn run(args: AssignArgs) -> Result<()> {
    let overwrite = args.overwrite.overwrite;
    let mut job = TranscriptJob {
        labels: args.labels,
        transcripts: args.transcripts,
        preset: args.preset,
        transform: args.transform,
        frame: args.frame,
    };
    let (bundle, labels_path, transcripts_path) = job.resolve(&args.bundle)?;
    let polygons = crate::cmd::rasterize::is_polygon_file(&labels_path);
    let mut files: Vec<PathBuf> = OUTPUTS.iter().map(|name| args.output.join(name)).collect();
    if polygons {
        files.push(args.output.join("cell_ids.csv"));
    }
    let mut outputs = vec![args.output.as_path()];
    outputs.extend(files.iter().map(PathBuf::as_path));
    outputs.extend(args.anndata.as_deref());
    check_paths(&[&labels_path, &transcripts_path], &outputs)?;
    check_all([labels_path.as_path(), transcripts_path.as_path()])?;
    let _lock = output_folder(&args.output)?;
    let store_files = args.anndata.as_deref().map(store_outputs).unwrap_or_default();
    refuse_existing(&[&files[..], &store_files[..]].concat(), overwrite)?;
    let done = job.assign(&labels_path, &transcripts_path, bundle.as_ref())?;
    let Assigned { labels, polygon_ids, table, assignment, counts, .. } = &done;
    let (cells, genes) = (labels.n_cells(), table.gene_names.len());
    let obs = CellObs::new(&cellmap::regions(labels)?);
    let out = StagedDir::new(&args.output, &args.output, overwrite)?;
    out.file("assignments.csv", |w| {
        Ok(transcripts::write_mapping_csv(w, "assignments.csv", table, &assignment.cell_ids)?)
    })?;
    out.file("counts.npz", |w| write_counts_npz(w, counts))?;
    out.file("cells.csv", |w| Ok(obs.write_csv(w)?))?;
    out.file("genes.txt", |w| write_genes_txt(w, &table.gene_names))?;
    if let Some(ids) = polygon_ids {
        out.file("cell_ids.csv", |w| Ok(cellmap_io::polygons::write_ids_csv(w, "cell_ids.csv", ids)?))?;
    }
    // The store is staged next to its destination, and moved into place after the folder's files.
    let store = match &args.anndata {
        Some(store) => {
            let staged = stage_store(store, overwrite)?;
            let x = cellmap_io::anndata::Matrix::Csr {
                indptr: &counts.indptr,
                indices: &counts.indices,
                data: cellmap_io::anndata::Values::I64(&counts.data),
            };
            write_store(&staged, "", &store.display().to_string(), &obs, &table.gene_names, x)?;
            Some(staged)
        }
        None => None,
    };
    out.commit()?;
    if let Some(store) = store {
        store.commit()?;
    }
    let (text, mut report) = done.summary(!job.frame.filters.is_empty());
    report["cells"] = json!(cells);
    report["genes"] = json!(genes);
    report["output"] = json!(args.output);
    emit(args.json, report, &format!("{text}; {cells} cells × {genes} genes -> {}", args.output.display()))?;
    Ok(())
}

/// The transcript side of `assign` and of a bundle `run`: files, preset and frame.
#[derive(Debug)]
pub struct TranscriptJob {
    /// The label image or polygon file (the bundle's, once resolved).
    pub labels: Option<PathBuf>,
    /// The transcript table (the bundle's, once resolved).
    pub transcripts: Option<PathBuf>,
    /// Columns and units of the table.
    pub preset: PresetArg,
    /// `--transform`: inline numbers or a file.
    pub transform: Option<String>,
    /// Scale, columns, filters, rounding, --max-distance.
    pub frame: TranscriptArgs,
}

/// Transcripts assigned to the cells of a label image, and their counts per cell and gene.
#[derive(Debug)]
pub struct Assigned {
    /// The labels the transcripts were placed on.
    pub labels: LabelImage,
    /// The polygon id of each label, when the labels were drawn from polygons.
    pub polygon_ids: Option<Vec<String>>,
    /// The transcripts kept, with their gene names.
    pub table: Transcripts,
    /// Each transcript's cell.
    pub assignment: Assignment,
    /// Transcripts per cell and gene.
    pub counts: SparseCounts,
    /// The frame that placed the transcripts on the labels (`cellmap heatmap` draws them).
    pub frame: Frame,
}

impl TranscriptJob {
    /// Resolves the bundle flag of `flags` into the job, then gives the bundle and the label and
    /// transcript files (a usage error without them).
    pub fn resolve(&mut self, flags: &BundleArgs) -> Result<(Option<Bundle>, PathBuf, PathBuf)> {
        let bundle = crate::bundle::resolve(flags, self)?;
        match (self.labels.clone(), self.transcripts.clone()) {
            (Some(labels), Some(transcripts)) => Ok((bundle, labels, transcripts)),
            _ => Err(UsageError("LABELS and TRANSCRIPTS are required without a bundle flag".into()).into()),
        }
    }

    /// The preset to read `transcripts_path` with: `--preset auto` on a table with a vendor's
    /// documented columns (`cellmap_io::table::Preset::detect`) and no column flags takes that
    /// vendor's preset — its units, quality filter and control probes — with a note on stderr.
    /// MERSCOPE's µm need the micron→pixel transform: without `--transform` that is an error.
    fn preset_for(&self, transcripts_path: &Path, transformed: bool) -> Result<PresetArg> {
        let frame = &self.frame;
        let named = frame.x_col.is_some() || frame.y_col.is_some() || frame.gene_col.is_some();
        if self.preset != PresetArg::Auto || named {
            return Ok(self.preset);
        }
        let columns = cellmap_io::fs::transcript_columns(transcripts_path)?;
        let source = transcripts_path.display();
        let (preset, what) = match Preset::detect(&columns) {
            Preset::Xenium => (
                PresetArg::Xenium,
                "Xenium columns (x_location, y_location, feature_name): --preset xenium, µm at 0.2125 µm/px \
                 unless --scale, qv >= 20, control probes dropped",
            ),
            Preset::Cosmx => (
                PresetArg::Cosmx,
                "CosMx columns (target, x_local_px/x_global_px): --preset cosmx, pixels, control probes \
                 dropped (local pixels have y up: --transform 1,0,0;0,-1,H, or --cosmx DIR --fov N)",
            ),
            Preset::Merscope if !transformed => anyhow::bail!(
                "{source}: MERSCOPE columns (global_x, global_y in µm of the global frame): give the \
                 micron-to-pixel transform, --transform DIR/images/micron_to_mosaic_pixel_transform.csv, \
                 or the whole output folder with --merscope DIR"
            ),
            Preset::Merscope => (
                PresetArg::Merscope,
                "MERSCOPE columns (global_x, global_y, gene): --preset merscope, Blank-* dropped",
            ),
            _ => return Ok(PresetArg::Auto),
        };
        crate::report::error_line(&format!("note: {source}: {what}"));
        Ok(preset)
    }

    /// Reads the labels (a label image, or polygons drawn) and the transcripts, places each
    /// transcript in its cell and counts them. An empty bundle table, or every transcript
    /// outside the image, is an error naming the file.
    pub fn assign(
        &self,
        labels_path: &Path,
        transcripts_path: &Path,
        bundle: Option<&Bundle>,
    ) -> Result<Assigned> {
        let frame = &self.frame;
        let mut transform = self.transform.as_deref().map(read_transform).transpose()?;
        let (labels, polygon_ids) = if crate::cmd::rasterize::is_polygon_file(labels_path) {
            // Polygons in the transcripts' frame: Xenium's (CSV or Parquet) in µm at --scale,
            // Parquet ones through --transform first (then the scale is 1 unless --scale is given);
            // GeoJSON ones in pixels.
            let parquet = crate::cmd::rasterize::is_parquet(labels_path);
            let xenium = crate::cmd::rasterize::polygon_format(labels_path) == Some(PolygonFormat::XeniumCsv);
            let read = PolygonRead {
                format: None,
                scale: match (parquet, xenium) {
                    (true, _) => frame.scale.or(transform.map(|_| 1.0)),
                    (false, true) => frame.scale,
                    (false, false) => None,
                },
                transform: transform.filter(|_| parquet),
                z_plane: frame.z_plane,
            };
            let drawn = crate::cmd::rasterize::read_polygon_labels(labels_path, &read, frame.shape)?;
            (drawn.labels, Some(drawn.ids))
        } else {
            if frame.shape.is_some() || frame.z_plane.is_some() {
                anyhow::bail!(
                    "{}: --shape and --z-plane are for polygon files (a label image has its own)",
                    labels_path.display()
                );
            }
            let labels = LabelImage::read(labels_path)?;
            if let Some(warning) = labels.intensity_warning() {
                crate::report::error_line(&format!("warning: {}: {warning}", labels_path.display()));
            }
            (labels, None)
        };
        let cells = labels.n_cells();
        if let Some(bundle) = bundle {
            for note in &bundle.notes {
                crate::report::error_line(note);
            }
            if bundle.flip_y {
                // CosMx local pixels: origin at the bottom-left of the FOV, y up.
                let h = labels.height() as f64;
                transform = Some(Transform([[1.0, 0.0, 0.0], [0.0, -1.0, h]]));
            }
        }
        let preset = self.preset_for(transcripts_path, transform.is_some())?;
        let mut options = match preset {
            PresetArg::Auto => Options::auto(),
            PresetArg::Xenium => Options::xenium(),
            PresetArg::Cosmx => Options::cosmx(),
            PresetArg::Merscope => Options::merscope(),
            PresetArg::Genesegnet => Options::genesegnet(),
            PresetArg::Pciseq => Options::pciseq(),
        };
        if transform.is_some() {
            options.units_per_pixel = 1.0; // the transform gives pixels
        }
        if let Some(scale) = frame.scale {
            options.units_per_pixel = scale;
        }
        options.filters = frame.filters.clone();
        let named = |name: &Option<String>, preset: &mut Column| {
            if let Some(name) = name {
                *preset = Column::name(name);
            }
        };
        named(&frame.x_col, &mut options.x);
        named(&frame.y_col, &mut options.y);
        named(&frame.gene_col, &mut options.gene);
        if let Some(min_qv) = frame.min_qv {
            options.min_qv = Some(min_qv);
            match &frame.qv_col {
                Some(name) => options.qv = Some(Column::name(name)),
                None => _ = options.qv.get_or_insert_with(|| Column::name("qv")),
            }
        }
        let table = cellmap_io::fs::read_transcripts(transcripts_path, &options)?;
        if let Some(bundle) = bundle {
            if table.is_empty() {
                let why = if table.dropped_filtered > 0 {
                    format!(" matching --where ({} rows of other values)", table.dropped_filtered)
                } else if table.dropped_low_qv + table.dropped_controls > 0 {
                    " above the quality filter or not controls".to_string()
                } else {
                    " (the table has no rows)".to_string()
                };
                anyhow::bail!("{} {}: no transcripts{why}", bundle.flag, transcripts_path.display());
            }
        }
        let pixel_frame = Frame {
            transform: transform.unwrap_or_default(),
            scale: options.units_per_pixel,
            rounding: match frame.round {
                RoundArg::Floor => Rounding::Floor,
                RoundArg::Nearest => Rounding::Nearest,
            },
        };
        let (assignment, bounds) =
            assign_in_frame(&labels, &table.x, &table.y, pixel_frame, frame.max_distance)?;
        check_outside(transcripts_path, &labels, table.len(), assignment.summary.out_of_image, bounds)?;
        let counts = count_transcripts_sparse(&assignment, &table.gene, cells, table.gene_names.len())?;
        Ok(Assigned { labels, polygon_ids, table, assignment, counts, frame: pixel_frame })
    }
}

impl Assigned {
    /// "N transcripts: ... in cells, ..." and the same numbers as JSON (`filtered`: --where was
    /// given).
    pub fn summary(&self, filtered: bool) -> (String, serde_json::Value) {
        let (table, summary) = (&self.table, &self.assignment.summary);
        let text = format!(
            "{} transcripts: {} in cells, {} on background, {} outside the image ({} low-qv and {} \
             control records dropped{})",
            table.len(),
            summary.in_cells,
            summary.background,
            summary.out_of_image,
            table.dropped_low_qv,
            table.dropped_controls,
            if filtered {
                format!(", {} not matching --where", table.dropped_filtered)
            } else {
                String::new()
            },
        );
        let report = json!({
            "transcripts": table.len(),
            "in_cells": summary.in_cells,
            "background": summary.background,
            "outside": summary.out_of_image,
            "dropped_low_qv": table.dropped_low_qv,
            "dropped_controls": table.dropped_controls,
            "dropped_filtered": table.dropped_filtered,
        });
        (text, report)
    }
}

/// counts.npz: scipy.sparse.save_npz's CSR layout; load_npz gives the (cells, genes) int64 matrix.
pub fn write_counts_npz(w: &mut Output, counts: &SparseCounts) -> Result<()> {
    let shape = (counts.n_cells, counts.n_genes);
    cellmap_io::npz::write_csr(w, "counts.npz", shape, &counts.indptr, &counts.indices, &counts.data)?;
    Ok(())
}

/// genes.txt: one gene name per line, in column order.
pub fn write_genes_txt(w: &mut Output, names: &[String]) -> Result<()> {
    names.iter().try_for_each(|g| writeln!(w, "{g}"))?;
    Ok(())
}

/// `--transform`: a file (MERSCOPE's micron_to_mosaic_pixel_transform.csv) or inline numbers.
pub fn read_transform(value: &str) -> Result<Transform> {
    let path = std::path::Path::new(value);
    if path.is_file() {
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        return Transform::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()));
    }
    Transform::parse(value)
        .map_err(|e| UsageError(format!("--transform {value:?}: {e} (or not a file)")).into())
}

/// All transcripts outside the image: an error; more than half: a warning. Both give the
/// bounding box of the transcripts in pixels and the image's.
fn check_outside(
    transcripts: &std::path::Path,
    labels: &LabelImage,
    total: usize,
    outside: usize,
    bounds: Option<cellmap::Bounds>,
) -> Result<()> {
    let (w, h) = (labels.width(), labels.height());
    let Some(what) = cellmap::frame::outside_message(total, outside, bounds, w, h) else {
        return Ok(());
    };
    if outside == total {
        anyhow::bail!(
            "{}: {what}; check the frame: --scale (units per pixel), --transform (e.g. '1,0,0;0,-1,{h}' \
             for y up), --preset, --x-col/--y-col",
            transcripts.display()
        );
    }
    let _ = writeln!(std::io::stderr(), "warning: {}: {what}", transcripts.display());
    Ok(())
}
