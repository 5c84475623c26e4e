//! `cellmap cluster`: cluster the cells of a cell × gene table (scanpy preprocessing, then
//! k-means or a diagonal Gaussian mixture as sklearn), optionally scored against truth labels.

use std::path::PathBuf;

use anyhow::Result;
use cellmap::{
    Preprocess, agreement, gaussian_mixture, kmeans, preprocess, read_cell_gene_table, read_truth_labels,
};
use clap::{Args, ValueEnum};
use serde_json::json;

use crate::args::Overwrite;
use crate::inputs::check_all;
use crate::out::{Staged, prepare_files};
use crate::report::emit;

/// Cluster cells: normalisation, log1p, highly variable genes, PCA, then k-means or a Gaussian
/// mixture.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    cellmap cluster out/tile/table.csv -o clusters.csv --k 7\n  \
    cellmap cluster counts.csv -o clusters.csv --normalize --log1p --hvg 3000 --pca 30 --method gmm --k 7 \
    --truth layers.csv\n\n\
    TABLE is the table.csv that `cellmap run --csv` writes (cell_id, then one column per gene) or a \
    2-D .npy (row k-1 = cell k). Steps, in scanpy's order (the Bio_GMM_VGAE recipe): --hvg picks the \
    Seurat v3 highly variable genes on the raw table (scanpy flavor=\"seurat_v3\", loess span 0.3), \
    --normalize scales each cell to TARGET counts, --log1p takes ln(1 + x), the table is cut to the \
    HVGs, --pca projects onto N principal components (exact, sklearn's signs). --method kmeans is \
    sklearn's KMeans(k, n_init=1, random_state=SEED); gmm is \
    GaussianMixture(k, covariance_type=\"diag\", random_state=SEED): the same clusters as sklearn. OUT is CSV \
    cell_id,cluster (0..k-1). --truth (CSV cell_id,label with a header, or a 1-D .npy in table \
    order) prints the adjusted Rand index and normalised mutual information (sklearn's).")]
pub struct ClusterArgs {
    /// Cell × gene table: CSV (cell_id, genes…) or 2-D .npy.
    pub table: PathBuf,
    /// Output CSV: cell_id,cluster.
    #[arg(short, long, value_name = "OUT.csv")]
    pub output: PathBuf,
    /// Number of clusters (at least 1, at most the number of cells).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub k: u32,
    /// Clustering method.
    #[arg(long, value_enum, default_value = "gmm")]
    pub method: Method,
    /// Seed of the k-means++ initialisation: sklearn's random_state (numpy RandomState, 0..2^32-1).
    #[arg(long, default_value = "0")]
    pub seed: u32,
    /// Scale each cell's values to sum to TARGET (scanpy normalize_total).
    #[arg(long, value_name = "TARGET", num_args = 0..=1, default_missing_value = "10000")]
    pub normalize: Option<f64>,
    /// ln(1 + x) after normalisation (scanpy log1p).
    #[arg(long)]
    pub log1p: bool,
    /// Keep the N Seurat v3 highly variable genes (chosen on the raw table).
    #[arg(long, value_name = "N")]
    pub hvg: Option<usize>,
    /// Cluster on N principal components.
    #[arg(long, value_name = "N")]
    pub pca: Option<usize>,
    /// Truth labels to score the clusters against: CSV cell_id,label or 1-D .npy.
    #[arg(long, value_name = "LABELS")]
    pub truth: Option<PathBuf>,
    #[command(flatten)]
    pub overwrite: Overwrite,
    /// Print a JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `--method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Method {
    /// k-means (k-means++ init, Lloyd), as sklearn's KMeans.
    Kmeans,
    /// Diagonal-covariance Gaussian mixture by EM, as sklearn's GaussianMixture.
    Gmm,
}

pub fn run(args: ClusterArgs) -> Result<()> {
    let mut inputs = vec![args.table.as_path()];
    inputs.extend(args.truth.as_deref());
    prepare_files(&inputs, &[&args.output], args.overwrite.overwrite)?;
    check_all(inputs.iter().copied())?;
    let read = read_cell_gene_table(&args.table)?;
    let truth = match &args.truth {
        Some(path) => Some(read_truth_labels(path, &read.cell_ids)?),
        None => None,
    };
    let steps = Preprocess {
        normalize_total: args.normalize,
        log1p: args.log1p,
        highly_variable: args.hvg,
        pca: args.pca,
    };
    let source = args.table.display().to_string();
    let prepared = preprocess(read.table, steps).map_err(|e| e.context(&source))?;
    let k = args.k as usize;
    let clustering = match args.method {
        Method::Kmeans => kmeans(&prepared.table, k, args.seed),
        Method::Gmm => gaussian_mixture(&prepared.table, k, args.seed),
    }
    .map_err(|e| e.context(&source))?;
    let mut staged = Staged::new(args.overwrite.overwrite);
    staged.file(&args.output, |w| Ok(cellmap::write_clusters_csv(w, &read.cell_ids, &clustering.labels)?))?;
    staged.commit()?;
    let scores = match &truth {
        Some(truth) => Some(agreement(truth, &clustering.labels)?),
        None => None,
    };
    let method = match args.method {
        Method::Kmeans => "kmeans",
        Method::Gmm => "gmm",
    };
    let cells = clustering.labels.len();
    let mut text = format!(
        "{method}: {cells} cells, {} features, {} clusters, {} iterations{} -> {}",
        prepared.table.n_features(),
        args.k,
        clustering.iterations,
        if clustering.converged { "" } else { " (not converged)" },
        args.output.display()
    );
    if let Some((ari, nmi)) = scores {
        text.push_str(&format!("\nARI {ari:.6}  NMI {nmi:.6}"));
    }
    let value = json!({
        "method": method,
        "cells": cells,
        "features": prepared.table.n_features(),
        "genes": prepared.genes.len(),
        "k": args.k,
        "iterations": clustering.iterations,
        "converged": clustering.converged,
        "objective": clustering.objective,
        "ari": scores.map(|s| s.0),
        "nmi": scores.map(|s| s.1),
        "output": args.output,
    });
    emit(args.json, value, &text)?;
    Ok(())
}
