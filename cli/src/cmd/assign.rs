//! `cellmap assign`: transcripts to cells, and counts per cell and gene.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use cellmap::{LabelImage, assign_transcripts, count_transcripts};
use cellmap_io::transcripts::{self, Column, Options};
use serde_json::json;

use crate::args::{AssignArgs, PresetArg};
use crate::inputs::check_all;
use crate::out::{StagedDir, check_paths, output_folder, refuse_existing};
use crate::report::emit;

/// The files `assign` writes into its output folder.
const OUTPUTS: [&str; 3] = ["assignments.csv", "counts.npz", "genes.txt"];

pub fn run(args: AssignArgs) -> Result<()> {
    let overwrite = args.overwrite.overwrite;
    let files: Vec<PathBuf> = OUTPUTS.iter().map(|name| args.output.join(name)).collect();
    let mut outputs = vec![args.output.as_path()];
    outputs.extend(files.iter().map(PathBuf::as_path));
    check_paths(&[&args.labels, &args.transcripts], &outputs)?;
    check_all([args.labels.as_path(), args.transcripts.as_path()])?;
    let _lock = output_folder(&args.output)?;
    refuse_existing(&files, overwrite)?;
    let labels = LabelImage::read(&args.labels)?;
    if let Some(warning) = labels.intensity_warning() {
        crate::report::error_line(&format!("warning: {}: {warning}", args.labels.display()));
    }
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
    let counts = count_transcripts(&assignment, &table.gene, cells, genes)?;
    let out = StagedDir::new(&args.output, &args.output, overwrite)?;
    out.file("assignments.csv", |w| {
        Ok(transcripts::write_mapping_csv(w, "assignments.csv", &table, &assignment.cell_ids)?)
    })?;
    // numpy's int64 for the table as written: a second copy, twice the size, checked first.
    cellmap::MemoryBudget::global()
        .check_elements(|| format!("int64 counts of {cells} cells × {genes} genes"), counts.len() as u128, 8)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let counts: Vec<i64> = counts.into_iter().map(i64::from).collect();
    out.file("counts.npz", |w| {
        let mut npz = cellmap_io::npz::NpzWriter::new(w, "counts.npz");
        npz.add("counts", &[cells, genes], &counts)?;
        let ids: Vec<i32> = (1..=cells).map(|c| c as i32).collect();
        npz.add("cell_id", &[cells], &ids)?;
        npz.finish()?;
        Ok(())
    })?;
    out.file("genes.txt", |w| {
        table.gene_names.iter().try_for_each(|g| writeln!(w, "{g}"))?;
        Ok(())
    })?;
    out.commit()?;
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
