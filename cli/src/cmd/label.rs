//! `cellmap label`: fill holes and label a mask (a label image is validated and copied).

use anyhow::{Result, bail};
use serde_json::json;

use crate::args::LabelArgs;
use crate::compute::segment;
use crate::input::{MaskInput, read_mask_input};
use crate::out::Staged;
use crate::report::emit;

pub fn run(args: LabelArgs) -> Result<()> {
    let (labels, cells, filled, labelled) = match read_mask_input(&args.mask, args.segmentation.mask_kind)? {
        MaskInput::Binary(mask) => {
            let seg = segment(&mask, args.segmentation, args.filled.is_some())?;
            (seg.labels, seg.cells, seg.filled, false)
        }
        MaskInput::Labels(image) => {
            if args.filled.is_some() {
                bail!(
                    "{}: is a label image, used as is (no hole filling), so there is no filled mask to \
                     write; drop --filled, or pass --mask-kind binary to fill and relabel it",
                    args.mask.display()
                );
            }
            (image.labels, image.cells, None, true)
        }
    };
    let shape = [labels.height, labels.width];
    let mut staged = Staged::default();
    let labels_dest = args.output.display().to_string();
    staged.file(&args.output, |w| Ok(cellmap_io::npy::write(w, &shape, &labels.data, &labels_dest)?))?;
    if let (Some(path), Some(filled)) = (&args.filled, &filled) {
        let dest = path.display().to_string();
        staged.file(path, |w| Ok(cellmap_io::npy::write(w, &shape, filled, &dest)?))?;
    }
    staged.commit()?;
    let (height, width) = (labels.height, labels.width);
    let text = if labelled {
        format!(
            "label image: {cells} cells (largest label; used as is, not filled or relabelled; {height}×{width}) \
             -> {}",
            args.output.display()
        )
    } else {
        format!("{cells} cells ({height}×{width} mask) -> {}", args.output.display())
    };
    let summary = json!({
        "cells": cells,
        "height": height,
        "width": width,
        "mask_kind": if labelled { "labels" } else { "binary" },
        "labels": args.output,
        "filled": args.filled,
    });
    emit(args.json, summary, &text)?;
    Ok(())
}
