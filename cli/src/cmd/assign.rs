//! `cellmap assign`: transcripts to cells, and counts per cell and gene.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use cellmap::polygons::PolygonFormat;
use cellmap::{Frame, LabelImage, Rounding, Transform, assign_in_frame, count_transcripts_sparse};
use cellmap_io::transcripts::{self, Column, Options};
use serde_json::json;

use crate::anndata::{CellObs, stage_store, store_outputs, write_store};
use crate::args::{AssignArgs, PresetArg, RoundArg};
use crate::cmd::rasterize::PolygonRead;
use crate::inputs::check_all;
use crate::out::{StagedDir, UsageError, check_paths, output_folder, refuse_existing};
use crate::report::emit;

/// The files `assign` writes into its output folder.
const OUTPUTS: [&str; 4] = ["assignments.csv", "counts.npz", "cells.csv", "genes.txt"];

pub fn run(mut args: AssignArgs) -> Result<()> {
    let overwrite = args.overwrite.overwrite;
    let bundle = crate::bundle::resolve(&mut args)?;
    let (Some(labels_path), Some(transcripts_path)) = (args.labels.clone(), args.transcripts.clone()) else {
        return Err(UsageError("LABELS and TRANSCRIPTS are required without a bundle flag".into()).into());
    };
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
    let mut transform = args.transform.as_deref().map(read_transform).transpose()?;
    let (labels, polygon_ids) = if polygons {
        // Xenium CSV polygons are in the transcripts' µm (--scale); Parquet ones in the
        // transcripts' frame (--transform, then --scale, 1 with a transform); GeoJSON in pixels.
        let parquet = crate::cmd::rasterize::is_parquet(&labels_path);
        let xenium = crate::cmd::rasterize::polygon_format(&labels_path) == Some(PolygonFormat::XeniumCsv);
        let read = PolygonRead {
            format: None,
            scale: match (parquet, xenium) {
                (true, _) => args.scale.or(transform.map(|_| 1.0)),
                (false, true) => args.scale,
                (false, false) => None,
            },
            transform: transform.filter(|_| parquet),
            z_plane: args.z_plane,
        };
        let drawn = crate::cmd::rasterize::read_polygon_labels(&labels_path, &read, args.shape)?;
        (drawn.labels, Some(drawn.ids))
    } else {
        if args.shape.is_some() || args.z_plane.is_some() {
            anyhow::bail!(
                "{}: --shape and --z-plane are for polygon files (a label image has its own)",
                labels_path.display()
            );
        }
        let labels = LabelImage::read(&labels_path)?;
        if let Some(warning) = labels.intensity_warning() {
            crate::report::error_line(&format!("warning: {}: {warning}", labels_path.display()));
        }
        (labels, None)
    };
    let cells = labels.n_cells();
    if let Some(bundle) = &bundle {
        for note in &bundle.notes {
            crate::report::error_line(note);
        }
        if bundle.flip_y {
            // CosMx local pixels: origin at the bottom-left of the FOV, y up.
            let h = labels.height() as f64;
            transform = Some(Transform([[1.0, 0.0, 0.0], [0.0, -1.0, h]]));
        }
    }
    let mut options = match args.preset {
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
    if let Some(scale) = args.scale {
        options.units_per_pixel = scale;
    }
    options.filters = args.filters.clone();
    let named = |name: &Option<String>, preset: &mut Column| {
        if let Some(name) = name {
            *preset = Column::name(name);
        }
    };
    named(&args.x_col, &mut options.x);
    named(&args.y_col, &mut options.y);
    named(&args.gene_col, &mut options.gene);
    if let Some(min_qv) = args.min_qv {
        options.min_qv = Some(min_qv);
        match &args.qv_col {
            Some(name) => options.qv = Some(Column::name(name)),
            None => _ = options.qv.get_or_insert_with(|| Column::name("qv")),
        }
    }
    let table = cellmap_io::fs::read_transcripts(&transcripts_path, &options)?;
    if let Some(bundle) = &bundle {
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
    let frame = Frame {
        transform: transform.unwrap_or_default(),
        scale: options.units_per_pixel,
        rounding: match args.round {
            RoundArg::Floor => Rounding::Floor,
            RoundArg::Nearest => Rounding::Nearest,
        },
    };
    let (assignment, bounds) = assign_in_frame(&labels, &table.x, &table.y, frame, args.max_distance)?;
    check_outside(&transcripts_path, &labels, table.len(), assignment.summary.out_of_image, bounds)?;
    let genes = table.gene_names.len();
    let counts = count_transcripts_sparse(&assignment, &table.gene, cells, genes)?;
    let obs = CellObs::new(&cellmap::regions(&labels)?);
    let out = StagedDir::new(&args.output, &args.output, overwrite)?;
    out.file("assignments.csv", |w| {
        Ok(transcripts::write_mapping_csv(w, "assignments.csv", &table, &assignment.cell_ids)?)
    })?;
    // scipy.sparse.save_npz's CSR layout: load_npz gives the (cells, genes) int64 matrix.
    out.file("counts.npz", |w| {
        cellmap_io::npz::write_csr(
            w,
            "counts.npz",
            (cells, genes),
            &counts.indptr,
            &counts.indices,
            &counts.data,
        )?;
        Ok(())
    })?;
    out.file("cells.csv", |w| Ok(obs.write_csv(w)?))?;
    out.file("genes.txt", |w| {
        table.gene_names.iter().try_for_each(|g| writeln!(w, "{g}"))?;
        Ok(())
    })?;
    if let Some(ids) = &polygon_ids {
        out.file("cell_ids.csv", |w| Ok(cellmap_io::polygons::write_ids_csv(w, "cell_ids.csv", ids)?))?;
    }
    // The store is staged next to its destination, and moved into place after the folder's files.
    let store = match &args.anndata {
        Some(store) => {
            let staged = stage_store(store, overwrite)?;
            let x = cellmap_io::anndata::Matrix::Csr {
                indptr: &counts.indptr,
                indices: &counts.indices,
                data: &counts.data,
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
    let summary = assignment.summary;
    let text = format!(
        "{} transcripts: {} in cells, {} on background, {} outside the image ({} low-qv and {} control \
         records dropped{}); {cells} cells × {genes} genes -> {}",
        table.len(),
        summary.in_cells,
        summary.background,
        summary.out_of_image,
        table.dropped_low_qv,
        table.dropped_controls,
        if args.filters.is_empty() {
            String::new()
        } else {
            format!(", {} not matching --where", table.dropped_filtered)
        },
        args.output.display()
    );
    let report = json!({
        "transcripts": table.len(),
        "in_cells": summary.in_cells,
        "background": summary.background,
        "outside": summary.out_of_image,
        "dropped_low_qv": table.dropped_low_qv,
        "dropped_controls": table.dropped_controls,
        "dropped_filtered": table.dropped_filtered,
        "cells": cells,
        "genes": genes,
        "output": args.output,
    });
    emit(args.json, report, &text)?;
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
    if total == 0 || outside * 2 <= total {
        return Ok(());
    }
    let (w, h) = (labels.width(), labels.height());
    let boxed = match bounds {
        Some(b) => format!("x {:.6}..{:.6} × y {:.6}..{:.6}", b.x.0, b.x.1, b.y.0, b.y.1),
        None => "no finite coordinates".to_string(),
    };
    let what = format!(
        "{outside} of {total} transcripts fall outside the image: transcripts span {boxed} pixels, \
         the image is 0..{w} × 0..{h}"
    );
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
