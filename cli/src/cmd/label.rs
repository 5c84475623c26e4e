//! `cellmap label`: fill holes and label a mask.

use anyhow::Result;
use serde_json::json;

use crate::args::LabelArgs;
use crate::compute::segment;
use crate::input::read_mask;
use crate::out::Staged;
use crate::report::emit;

pub fn run(args: LabelArgs) -> Result<()> {
    let mask = read_mask(&args.mask)?;
    let seg = segment(&mask, args.segmentation, args.filled.is_some())?;
    let shape = [mask.height, mask.width];
    let mut staged = Staged::default();
    let labels_dest = args.output.display().to_string();
    staged.file(&args.output, |w| Ok(cellmap_io::npy::write(w, &shape, &seg.labels.data, &labels_dest)?))?;
    if let (Some(path), Some(filled)) = (&args.filled, &seg.filled) {
        let dest = path.display().to_string();
        staged.file(path, |w| Ok(cellmap_io::npy::write(w, &shape, filled, &dest)?))?;
    }
    staged.commit()?;
    let text =
        format!("{} cells ({}×{} mask) -> {}", seg.cells, mask.height, mask.width, args.output.display());
    let summary = json!({
        "cells": seg.cells,
        "height": mask.height,
        "width": mask.width,
        "labels": args.output,
        "filled": args.filled,
    });
    emit(args.json, summary, &text)?;
    Ok(())
}
