//! `cellmap assign`: transcripts to cells, and counts per cell and gene.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use cellmap::polygons::PolygonFormat;
use cellmap::{LabelImage, assign_transcripts, count_transcripts_sparse};
use cellmap_io::transcripts::{self, Column, Options};
use serde_json::json;

use crate::anndata::{CellObs, stage_store, store_outputs, write_store};
use crate::args::{AssignArgs, PresetArg};
use crate::inputs::check_all;
use crate::out::{StagedDir, check_paths, output_folder, refuse_existing};
use crate::report::emit;

/// The files `assign` writes into its output folder.
const OUTPUTS: [&str; 4] = ["assignments.csv", "counts.npz", "cells.csv", "genes.txt"];

pub fn run(args: AssignArgs) -> Result<()> {
    let overwrite = args.overwrite.overwrite;
    let polygons = crate::cmd::rasterize::is_polygon_file(&args.labels);
    let mut files: Vec<PathBuf> = OUTPUTS.iter().map(|name| args.output.join(name)).collect();
    if polygons {
        files.push(args.output.join("cell_ids.csv"));
    }
    let mut outputs = vec![args.output.as_path()];
    outputs.extend(files.iter().map(PathBuf::as_path));
    outputs.extend(args.anndata.as_deref());
    check_paths(&[&args.labels, &args.transcripts], &outputs)?;
    check_all([args.labels.as_path(), args.transcripts.as_path()])?;
    let _lock = output_folder(&args.output)?;
    let store_files = args.anndata.as_deref().map(store_outputs).unwrap_or_default();
    refuse_existing(&[&files[..], &store_files[..]].concat(), overwrite)?;
    let (labels, polygon_ids) = if polygons {
        // Xenium polygons are in the transcripts' µm (--scale); GeoJSON ones in pixels.
        let xenium = crate::cmd::rasterize::polygon_format(&args.labels) == Some(PolygonFormat::XeniumCsv);
        let scale = if xenium { args.scale } else { None };
        let drawn = crate::cmd::rasterize::read_polygon_labels(&args.labels, None, args.shape, scale)?;
        (drawn.labels, Some(drawn.ids))
    } else {
        if args.shape.is_some() {
            anyhow::bail!(
                "{}: --shape is for polygon files (a label image has its own)",
                args.labels.display()
            );
        }
        (LabelImage::read(&args.labels)?, None)
    };
    let cells = labels.n_cells();
    let mut options = match args.preset {
        PresetArg::Xenium => Options::xenium(),
        PresetArg::Genesegnet => Options::genesegnet(),
    };
    if let Some(scale) = args.scale {
        options.units_per_pixel = scale;
    }
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
    let table = cellmap_io::fs::read_transcripts(&args.transcripts, &options)?;
    let assignment =
        assign_transcripts(&labels, &table.x, &table.y, options.units_per_pixel, args.max_distance)?;
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
         records dropped); {cells} cells × {genes} genes -> {}",
        table.len(),
        summary.in_cells,
        summary.background,
        summary.out_of_image,
        table.dropped_low_qv,
        table.dropped_controls,
        args.output.display()
    );
    let report = json!({
        "transcripts": table.len(),
        "in_cells": summary.in_cells,
        "background": summary.background,
        "outside": summary.out_of_image,
        "dropped_low_qv": table.dropped_low_qv,
        "dropped_controls": table.dropped_controls,
        "cells": cells,
        "genes": genes,
        "output": args.output,
    });
    emit(args.json, report, &text)?;
    Ok(())
}
