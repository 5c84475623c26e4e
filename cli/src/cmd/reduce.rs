//! `cellmap reduce`: per-cell statistics of a dense image or of every gene of a CSR.

use anyhow::{Result, bail};
use cellmap::{Expression, LabelImage, Selection, TableValues, cell_table};
use serde_json::json;

use crate::args::ReduceArgs;
use crate::inputs::check_all;
use crate::out::{Staged, prepare_files};
use crate::report::emit;

pub fn run(args: ReduceArgs) -> Result<()> {
    let mut inputs = vec![args.labels.as_path(), &args.values];
    inputs.extend(args.within.as_deref());
    prepare_files(&inputs, &[&args.output], args.overwrite.overwrite)?;
    check_all(inputs.iter().copied())?;
    let labels = LabelImage::read(&args.labels)?;
    if let Some(warning) = labels.intensity_warning() {
        crate::report::error_line(&format!("warning: {}: {warning}", args.labels.display()));
    }
    let within = match &args.within {
        Some(path) => {
            let mask = cellmap::input::read_mask(path)?;
            if !mask.same_shape(labels.labels()) {
                bail!(
                    "{}: shape mismatch: mask is {}×{}, labels {} are {}×{}",
                    path.display(),
                    mask.height(),
                    mask.width(),
                    args.labels.display(),
                    labels.height(),
                    labels.width()
                );
            }
            Some(mask)
        }
        None => None,
    };
    let expression = Expression::read(&args.values, labels.height(), labels.width())?;
    let selection = Selection { within: within.as_ref(), keep_zeros: args.keep_zeros };
    let table = cell_table(&labels, &expression, selection, args.stat)?;
    let cells = table.n_cells();
    let shape = if expression.is_single_image() { vec![cells] } else { vec![cells, table.n_genes()] };
    let dest = args.output.display().to_string();
    let mut staged = Staged::new(args.overwrite.overwrite);
    staged.file(&args.output, |w| {
        match table.values() {
            TableValues::F64(v) => cellmap_io::npy::write(w, &shape, v, &dest)?,
            TableValues::I64(v) => cellmap_io::npy::write(w, &shape, v, &dest)?,
            TableValues::F32(v) => cellmap_io::npy::write(w, &shape, v, &dest)?,
        }
        Ok(())
    })?;
    staged.commit()?;
    let stat = args.stat.name();
    let text = format!("{stat} of {cells} cells, shape {shape:?} -> {}", args.output.display());
    emit(args.json, json!({ "cells": cells, "stat": stat, "shape": shape, "output": args.output }), &text)?;
    Ok(())
}
