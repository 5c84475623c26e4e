//! `cellmap label`: fill holes and label a mask (a label image is validated and copied).

use std::path::Path;

use anyhow::{Result, bail};
use cellmap::input::kind_reason;
use cellmap::{CellImage, MaskKind, SegmentOptions, fill_mask_holes, segment};
use serde_json::json;

use crate::args::LabelArgs;
use crate::inputs::check_regular;
use crate::out::{Staged, prepare_files};
use crate::report::{emit, error_line};

pub fn run(args: LabelArgs) -> Result<()> {
    let outputs: Vec<&Path> = std::iter::once(args.output.as_path()).chain(args.filled.as_deref()).collect();
    prepare_files(&[&args.mask], &outputs, args.overwrite.overwrite)?;
    check_regular(&args.mask)?;
    let cells = CellImage::read(&args.mask, args.segmentation.mask_kind)?;
    let labelled = cells.kind() == MaskKind::Labels;
    let reason = kind_reason(args.segmentation.mask_kind, cells.kind());
    let warning = match &cells {
        CellImage::Labels(labels) => labels.intensity_warning(),
        CellImage::Mask(_) => None,
    };
    if let Some(warning) = &warning {
        error_line(&format!("warning: {}: {warning}", args.mask.display()));
    }
    let (labels, filled) = match cells {
        CellImage::Mask(mask) => {
            let options = args.segmentation.options();
            if args.filled.is_some() {
                let filled = fill_mask_holes(&mask)?;
                let labels = segment(&filled, SegmentOptions { fill_holes: false, ..options })?;
                (labels, Some(filled))
            } else {
                (segment(&mask, options)?, None)
            }
        }
        CellImage::Labels(labels) => {
            if args.filled.is_some() {
                bail!(
                    "{}: is a label image, used as is (no hole filling), so there is no filled mask to \
                     write; drop --filled, or pass --mask-kind binary to fill and relabel it",
                    args.mask.display()
                );
            }
            (labels, None)
        }
    };
    let (height, width, cells) = (labels.height(), labels.width(), labels.n_cells());
    let shape = [height, width];
    let mut staged = Staged::new(args.overwrite.overwrite);
    let labels_dest = args.output.display().to_string();
    staged.file(&args.output, |w| {
        Ok(cellmap_io::npy::write(w, &shape, labels.labels().data(), &labels_dest)?)
    })?;
    if let (Some(path), Some(filled)) = (&args.filled, &filled) {
        let dest = path.display().to_string();
        staged.file(path, |w| Ok(cellmap_io::npy::write(w, &shape, filled.data(), &dest)?))?;
    }
    staged.commit()?;
    let text = if labelled {
        format!(
            "label image: {cells} cells (largest label; used as is, not filled or relabelled; {height}×{width}) \
             -> {}\n{}: label image ({reason})",
            args.output.display(),
            args.mask.display()
        )
    } else {
        format!(
            "{cells} cells ({height}×{width} mask) -> {}\n{}: binary mask ({reason})",
            args.output.display(),
            args.mask.display()
        )
    };
    let summary = json!({
        "cells": cells,
        "height": height,
        "width": width,
        "mask_kind": if labelled { "labels" } else { "binary" },
        "mask_kind_reason": reason,
        "warning": warning,
        "labels": args.output,
        "filled": args.filled,
    });
    emit(args.json, summary, &text)?;
    Ok(())
}
