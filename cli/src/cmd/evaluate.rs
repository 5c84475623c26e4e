//! `cellmap evaluate`: a predicted cell × gene table against a measured one, as GHIST scores it.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use cellmap::LabelImage;
use cellmap::evaluate::{
    CellTypes, MORAN_K, TOP_SVGS, Table, TypeScores, align, evaluate, score_types, write_scores_csv,
};
use clap::Args;
use serde_json::json;

use crate::args::Overwrite;
use crate::inputs::check_all;
use crate::out::{Staged, prepare_files};
use crate::report::emit;

/// Score a predicted cell × gene table against a measured one (per-gene PCC, SVGs by Moran's I;
/// cell types: accuracy and macro-F1).
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    cellmap evaluate epoch_50_expr.csv measured.csv\n  \
    cellmap evaluate pred.npy measured.npy --labels nuclei.tif --csv genes.csv\n  \
    cellmap evaluate pred.csv measured.csv --pred-types pred_types.csv --measured-types types.csv\n\n\
    Tables: .npy (cells, genes) of any numeric dtype, or CSV with a header of gene names (a first \
    column with an empty name, or a column cell_id, holds the cell ids, as GHIST writes them). \
    Genes are matched by name when both tables have names (the prediction's order), cells by id \
    when both have ids; otherwise by position. Per gene: Pearson correlation across the cells \
    where neither value is NaN (pandas corrwith); a gene constant on either side is NaN and \
    counted; mean and median over the finite values. With --labels (the label image whose cell \
    ids the rows are: the id column, or row k-1 = cell k), genes are ranked as spatially variable \
    by Moran's I of the MEASURED table on the directed K-nearest-centroid graph (GHIST+: K 8, \
    weights 1; 0 for a constant gene), and the median PCC of the top 20 and top 50 is reported. \
    With --pred-types and --measured-types (CSV cell_id,type): the cells in both files (matched \
    by id) are scored as scikit-learn's accuracy_score and f1_score(average=\"macro\") score \
    them, bit for bit: the types averaged are those on either side (a type only predicted, or \
    only measured, has F1 0), sorted numerically when all are numbers, else as text.")]
pub struct EvaluateArgs {
    /// Predicted table (.npy or .csv).
    pub pred: PathBuf,
    /// Measured table (.npy or .csv).
    pub measured: PathBuf,
    /// Label image of the cells (centroids for Moran's I).
    #[arg(long, value_name = "LABELS")]
    pub labels: Option<PathBuf>,
    /// Neighbours per cell of Moran's I.
    #[arg(long, default_value_t = MORAN_K, value_parser = neighbours)]
    pub k: usize,
    /// Write per-gene scores: gene,pcc[,morans_i,svg_rank].
    #[arg(long, value_name = "OUT.csv")]
    pub csv: Option<PathBuf>,
    /// Predicted cell types: CSV cell_id,type.
    #[arg(long, value_name = "FILE", requires = "measured_types")]
    pub pred_types: Option<PathBuf>,
    /// Measured cell types: CSV cell_id,type.
    #[arg(long, value_name = "FILE", requires = "pred_types")]
    pub measured_types: Option<PathBuf>,
    /// Write per-type scores: type,precision,recall,f1,support,predicted, then the rows
    /// accuracy and macro avg.
    #[arg(long, value_name = "OUT.csv", requires = "pred_types")]
    pub types_csv: Option<PathBuf>,
    #[command(flatten)]
    pub overwrite: Overwrite,
    /// Print a JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

fn neighbours(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(k) if (1..=cellmap::graph::MAX_K).contains(&k) => Ok(k),
        _ => Err(format!("expected a number of neighbours in 1..={}, got {s:?}", cellmap::graph::MAX_K)),
    }
}

/// x (column) and y (row) of the centroid of each row's cell.
fn row_centroids(
    labels: &LabelImage,
    ids: Option<&[String]>,
    n_rows: usize,
    source: &Path,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let regions = cellmap::regions(labels)?;
    let (mut xs, mut ys) = (Vec::with_capacity(n_rows), Vec::with_capacity(n_rows));
    for row in 0..n_rows {
        let label = match ids {
            Some(ids) => match ids[row].trim().parse::<f64>() {
                Ok(v) if v >= 0.0 && v.fract() == 0.0 => v as usize,
                _ => bail!("cell id {:?} is not a label of {}", ids[row], source.display()),
            },
            None => row + 1,
        };
        match regions.get(label).filter(|r| r.area() > 0) {
            Some(r) => {
                let (y, x) = r.centroid();
                xs.push(x);
                ys.push(y);
            }
            None => bail!("{}: has no cell {label} (row {} of the tables)", source.display(), row + 1),
        }
    }
    Ok((xs, ys))
}

pub fn run(args: EvaluateArgs) -> Result<()> {
    let outputs: Vec<&Path> = args.csv.iter().chain(&args.types_csv).map(PathBuf::as_path).collect();
    let mut inputs = vec![args.pred.as_path(), args.measured.as_path()];
    inputs.extend(args.labels.as_deref());
    inputs.extend(args.pred_types.as_deref());
    inputs.extend(args.measured_types.as_deref());
    prepare_files(&inputs, &outputs, args.overwrite.overwrite)?;
    check_all(inputs.iter().copied())?;
    let types = match (&args.pred_types, &args.measured_types) {
        (Some(pred), Some(measured)) => {
            Some(score_types(&CellTypes::read(pred)?, &CellTypes::read(measured)?)?)
        }
        _ => None,
    };
    let pred = Table::read(&args.pred)?;
    let measured = Table::read(&args.measured)?;
    let aligned = align(&pred, &measured)
        .map_err(|e| anyhow::anyhow!("{} vs {}: {e}", args.pred.display(), args.measured.display()))?;
    let (p, m, n, genes) = (&aligned.pred, &aligned.measured, aligned.n_cells, &aligned.genes);
    let coords = match &args.labels {
        Some(path) => Some(row_centroids(&LabelImage::read(path)?, aligned.cell_ids.as_deref(), n, path)?),
        None => None,
    };
    let e = evaluate(p, m, n, genes, coords.as_ref().map(|(x, y)| (&x[..], &y[..])), args.k, &TOP_SVGS)?;
    let mut staged = Staged::new(args.overwrite.overwrite);
    if let Some(path) = &args.csv {
        staged.file(path, |w| Ok(write_scores_csv(w, &e)?))?;
    }
    if let (Some(path), Some(types)) = (&args.types_csv, &types) {
        staged.file(path, |w| write_types_csv(w, types))?;
    }
    staged.commit()?;
    let mut text = format!(
        "{n} cells × {} genes: mean PCC {:.6}, median {:.6} ({} genes NaN: constant or too few cells)",
        genes.len(),
        e.mean,
        e.median,
        e.nan_genes
    );
    for (k, median, finite) in &e.top_svgs {
        text.push_str(&format!(
            "\ntop {k} SVGs (Moran's I, k = {}): median PCC {median:.6} ({finite} finite)",
            args.k
        ));
    }
    if let Some(t) = &types {
        text.push_str(&format!(
            "\ncell types: {} cells ({} only predicted, {} only measured: not scored), {} types: accuracy \
             {:.6}, macro-F1 {:.6}",
            t.n_cells,
            t.pred_only,
            t.measured_only,
            t.types.len(),
            t.accuracy,
            t.macro_f1
        ));
    }
    for path in args.csv.iter().chain(&args.types_csv) {
        text.push_str(&format!("\n-> {}", path.display()));
    }
    let number = |v: f64| if v.is_finite() { json!(v) } else { serde_json::Value::Null };
    let summary = json!({
        "cells": n,
        "genes": genes.len(),
        "mean_pcc": number(e.mean),
        "median_pcc": number(e.median),
        "nan_genes": e.nan_genes,
        "top_svgs": e.top_svgs.iter().map(|(k, m, f)| json!({"k": k, "median_pcc": number(*m), "finite": f})).collect::<Vec<_>>(),
        "svgs": e.svg_order.as_ref().map(|o| o.iter().take(50).map(|&g| e.genes[g as usize].clone()).collect::<Vec<_>>()),
        "csv": args.csv,
        "cell_types": types.as_ref().map(|t| json!({
            "cells": t.n_cells,
            "correct": t.correct,
            "pred_only": t.pred_only,
            "measured_only": t.measured_only,
            "accuracy": t.accuracy,
            "macro_f1": t.macro_f1,
            "macro_precision": t.macro_precision,
            "macro_recall": t.macro_recall,
            "types": t.types.iter().zip(&t.tallies).map(|(name, tally)| json!({
                "type": name,
                "precision": tally.precision(),
                "recall": tally.recall(),
                "f1": tally.f1(),
                "support": tally.actual,
                "predicted": tally.predicted,
            })).collect::<Vec<_>>(),
        })),
        "types_csv": args.types_csv,
    });
    emit(args.json, summary, &text)
}

/// type,precision,recall,f1,support,predicted per type (scikit-learn's label order; precision and
/// recall 0 where undefined, as sklearn's default), then `accuracy,,,A,N,N` and
/// `macro avg,P,R,F1,N,N` (the layout of sklearn's classification_report).
fn write_types_csv(w: &mut crate::out::Output, t: &TypeScores) -> Result<()> {
    writeln!(w, "type,precision,recall,f1,support,predicted")?;
    for (name, tally) in t.types.iter().zip(&t.tallies) {
        let field = if name.contains([',', '"']) {
            format!("\"{}\"", name.replace('"', "\"\""))
        } else {
            name.clone()
        };
        writeln!(
            w,
            "{field},{},{},{},{},{}",
            tally.precision(),
            tally.recall(),
            tally.f1(),
            tally.actual,
            tally.predicted
        )?;
    }
    let n = t.n_cells;
    writeln!(w, "accuracy,,,{},{n},{n}", t.accuracy)?;
    writeln!(w, "macro avg,{},{},{},{n},{n}", t.macro_precision, t.macro_recall, t.macro_f1)?;
    Ok(())
}
