//! `cellmap reduce`: per-cell statistics of a dense image or of every gene of a CSR.

use anyhow::Result;
use serde_json::json;

use crate::args::ReduceArgs;
use crate::compute::{Selection, Table, csr_stat, dense_stat};
use crate::input::{Values, read_labels, read_mask, read_values};
use crate::out::Staged;
use crate::report::emit;

pub fn run(args: ReduceArgs) -> Result<()> {
    let (labels, cells) = read_labels(&args.labels)?;
    let within = match &args.within {
        Some(path) => {
            let mask = read_mask(path)?;
            if (mask.height, mask.width) != (labels.height, labels.width) {
                anyhow::bail!(
                    "{}: shape mismatch: mask is {}×{}, labels {} are {}×{}",
                    path.display(),
                    mask.height,
                    mask.width,
                    args.labels.display(),
                    labels.height,
                    labels.width
                );
            }
            Some(mask)
        }
        None => None,
    };
    let selection = Selection { within: within.as_ref(), keep_zeros: args.keep_zeros };
    let (table, shape) = match read_values(&args.values)? {
        Values::Dense(values) => {
            if (values.height, values.width) != (labels.height, labels.width) {
                anyhow::bail!(
                    "{}: shape mismatch: values are {}×{}, labels {} are {}×{}",
                    args.values.display(),
                    values.height,
                    values.width,
                    args.labels.display(),
                    labels.height,
                    labels.width
                );
            }
            (dense_stat(&labels, cells, &values, selection, args.stat)?, vec![cells])
        }
        Values::Sparse(csr) => {
            let genes = csr.shape.1;
            (csr_stat(&labels, cells, &csr, selection, args.stat)?, vec![cells, genes])
        }
    };
    let dest = args.output.display().to_string();
    let mut staged = Staged::default();
    staged.file(&args.output, |w| {
        match &table {
            Table::F64(v) => cellmap_io::npy::write(w, &shape, v, &dest)?,
            Table::I64(v) => cellmap_io::npy::write(w, &shape, v, &dest)?,
            Table::F32(v) => cellmap_io::npy::write(w, &shape, v, &dest)?,
        }
        Ok(())
    })?;
    staged.commit()?;
    let stat = format!("{:?}", args.stat).to_lowercase();
    let text = format!("{stat} of {cells} cells, shape {shape:?} -> {}", args.output.display());
    emit(args.json, json!({ "cells": cells, "stat": stat, "shape": shape, "output": args.output }), &text)?;
    Ok(())
}
