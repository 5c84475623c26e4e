//! `cellmap segeval`: score a predicted label image against a true one as GeneSegNet does (AP at
//! IoU thresholds, aggregated Jaccard index), optionally after its post-processing.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use cellmap::LabelImage;
use cellmap::segeval::{DEFAULT_THRESHOLDS, fill_holes_and_remove_small_masks, score_segmentation};
use clap::Args;
use serde_json::json;

use crate::args::Overwrite;
use crate::inputs::check_regular;
use crate::out::{Staged, prepare_files};
use crate::report::emit;

/// Score a predicted label image against a true one (GeneSegNet's AP and aggregated Jaccard index).
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    cellmap segeval truth.png pred.npy\n  \
    cellmap segeval truth.tif pred.tif --thresholds 0.5,0.75,0.9 --csv scores.csv\n  \
    cellmap segeval truth.png pred.png --min-size 15 --cleaned pred_clean.npy\n\n\
    Both images are label images (0 = background) of the same size: .npy, PNG, TIFF, Cellpose \
    _seg.npy, scipy sparse .npz or Xenium cells.zarr.zip. Per threshold t: TP = matched pairs with \
    IoU >= t in the assignment GeneSegNet asks scipy's linear_sum_assignment for (equal to a maximum \
    matching of the pairs with IoU >= t), FP = n_pred - TP, FN = n_true - TP where n_true and n_pred \
    are the LARGEST labels (as GeneSegNet counts them), AP = TP / (TP + FP + FN) (float32). AJI: the \
    pixels shared by the pairs assigned at 0.5 over the pixels that are cells in either image. \
    --min-size N first applies GeneSegNet's fill_holes_and_remove_small_masks to the prediction \
    (masks under N pixels erased, the others hole-filled and renumbered 1..K in id order; \
    GeneSegNet uses 15).")]
pub struct SegevalArgs {
    /// True label image.
    pub truth: PathBuf,
    /// Predicted label image.
    pub pred: PathBuf,
    /// IoU thresholds, comma-separated [default: GeneSegNet's 0.25,0.75,0.9].
    #[arg(long, value_name = "T,T,...", value_delimiter = ',', value_parser = threshold)]
    pub thresholds: Vec<f64>,
    /// Post-process the prediction first: erase masks under N pixels, fill holes, renumber.
    #[arg(long, value_name = "N")]
    pub min_size: Option<usize>,
    /// Write the post-processed prediction (.npy, int32; needs --min-size).
    #[arg(long, value_name = "OUT.npy", requires = "min_size")]
    pub cleaned: Option<PathBuf>,
    /// Write the table as CSV: threshold,tp,fp,fn,ap (and a last row aji).
    #[arg(long, value_name = "OUT.csv")]
    pub csv: Option<PathBuf>,
    #[command(flatten)]
    pub overwrite: Overwrite,
    /// Print a JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

fn threshold(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(t) if (0.0..=1.0).contains(&t) => Ok(t),
        _ => Err(format!("expected an IoU threshold in [0, 1], got {s:?}")),
    }
}

fn read_labels(path: &Path) -> Result<LabelImage> {
    check_regular(path)?;
    Ok(LabelImage::read(path)?)
}

pub fn run(args: SegevalArgs) -> Result<()> {
    let outputs: Vec<&Path> = args.csv.iter().chain(&args.cleaned).map(PathBuf::as_path).collect();
    prepare_files(&[&args.truth, &args.pred], &outputs, args.overwrite.overwrite)?;
    let thresholds =
        if args.thresholds.is_empty() { DEFAULT_THRESHOLDS.to_vec() } else { args.thresholds.clone() };
    let truth = read_labels(&args.truth)?;
    let mut pred = read_labels(&args.pred)?;
    if !truth.labels().same_shape(pred.labels()) {
        bail!(
            "{}: is {}×{}, but {} is {}×{}: the label images must have the same size",
            args.pred.display(),
            pred.height(),
            pred.width(),
            args.truth.display(),
            truth.height(),
            truth.width()
        );
    }
    if let Some(min_size) = args.min_size {
        pred = fill_holes_and_remove_small_masks(&pred, min_size)
            .with_context(|| args.pred.display().to_string())?;
    }
    let scores = score_segmentation(&truth, &pred, &thresholds)?;
    let mut staged = Staged::new(args.overwrite.overwrite);
    if let Some(path) = &args.csv {
        staged.file(path, |w| Ok(scores.write_csv(w)?))?;
    }
    if let Some(path) = &args.cleaned {
        let dest = path.display().to_string();
        let shape = [pred.height(), pred.width()];
        staged.file(path, |w| Ok(cellmap_io::npy::write(w, &shape, pred.labels().data(), &dest)?))?;
    }
    staged.commit()?;
    let mut text = format!(
        "{} true cells (largest label), {} predicted{}; {} overlapping pairs\nthreshold     tp     fp     fn        ap\n",
        scores.n_true,
        scores.n_pred,
        args.min_size.map_or(String::new(), |n| format!(" (after --min-size {n})")),
        scores.pairs.len()
    );
    for s in &scores.scores {
        text.push_str(&format!("{:>9} {:>6} {:>6} {:>6} {:>9.6}\n", s.threshold, s.tp, s.fp, s.fn_, s.ap));
    }
    text.push_str(&format!("AJI {:.6}", scores.aji));
    for path in args.csv.iter().chain(&args.cleaned) {
        text.push_str(&format!("\n-> {}", path.display()));
    }
    let summary = json!({
        "n_true": scores.n_true,
        "n_pred": scores.n_pred,
        "pairs": scores.pairs.len(),
        "scores": scores.scores.iter().map(|s| json!({
            "threshold": s.threshold, "tp": s.tp, "fp": s.fp, "fn": s.fn_, "ap": json_number(f64::from(s.ap)),
        })).collect::<Vec<_>>(),
        "aji": json_number(scores.aji),
        "csv": args.csv,
        "cleaned": args.cleaned,
    });
    emit(args.json, summary, &text)
}

/// NaN (0/0) as JSON null.
fn json_number(v: f64) -> serde_json::Value {
    if v.is_finite() { json!(v) } else { serde_json::Value::Null }
}
