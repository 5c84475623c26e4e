//! `cellmap heatmap`: transcript location heatmaps (GeneSegNet's location map) → .npy, and
//! optionally a PNG.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use cellmap::Colormap;
use cellmap::heatmap::{
    Bump, Combine, GENESEGNET_CUTOFF, GENESEGNET_SIGMA, gene_heatmaps, heatmap_rgba, location_heatmap,
    transcript_pixels,
};
use clap::{Args, ValueEnum};
use serde_json::json;

use crate::args::{BundleArgs, Overwrite, PresetArg, TranscriptArgs};
use crate::cmd::assign::TranscriptJob;
use crate::inputs::check_all;
use crate::out::{Staged, check_paths, refuse_existing, write_rgba_png};
use crate::report::emit;

/// Transcript location heatmaps: a Gaussian bump per transcript (GeneSegNet's location map).
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    cellmap heatmap labels.npy spots.csv -o heatmap.npy --preset genesegnet --png heatmap.png\n  \
    cellmap heatmap labels.npy transcripts.parquet -o genes.npy --preset xenium --genes EPCAM,CD3E\n  \
    cellmap heatmap labels.png spots.csv -o in_cells.npy --in-cells --combine sum\n\n\
    Each transcript's pixel (placed as `cellmap assign` places it: the same table reader, preset, \
    --transform, --scale and --round; transcripts outside the image are left out) gets \
    exp(-d²/(2σ²)) with peak 1, exactly 0 where d²/2/σ/σ > CUTOFF (GeneSegNet: σ 7, cut 4.6052 ≈ \
    ln 100, so values are 0 or in [0.01, 1]); bumps combine by pixel-wise maximum (GeneSegNet) or \
    sum. Values are f32 (each bump value exp in f64 rounded to f32). The label image gives the \
    image size, and with --in-cells the cells: only transcripts on a cell count (GeneSegNet's \
    HeatMap; the default is its HeatMap_all). Output: float32 (H, W), or (G, H, W) with --genes or \
    --each-gene (genes in the order given, or the table's first-appearance order; their names \
    are printed and in the JSON).")]
pub struct HeatmapArgs {
    /// Label image (.npy, PNG, TIFF, ...): the image size, and the cells for --in-cells.
    pub labels: PathBuf,
    /// Transcript table (CSV/TSV, gzip or not, or Parquet).
    pub transcripts: PathBuf,
    /// Output heatmap (.npy, float32).
    #[arg(short, long, value_name = "OUT.npy")]
    pub output: PathBuf,
    /// Column names and units of a known instrument.
    #[arg(long, value_enum, default_value_t = PresetArg::Auto)]
    pub preset: PresetArg,
    /// Affine transform from the table's (x, y) to pixel (column, row), as for `cellmap assign`.
    #[arg(long, value_name = "AFFINE|FILE", allow_hyphen_values = true)]
    pub transform: Option<String>,
    #[command(flatten)]
    pub frame: TranscriptArgs,
    /// One map per gene of this comma-separated list of names.
    #[arg(long, value_name = "NAMES", value_delimiter = ',', conflicts_with = "each_gene")]
    pub genes: Vec<String>,
    /// One map per gene of the table.
    #[arg(long)]
    pub each_gene: bool,
    /// Only transcripts on a cell (nonzero label) count.
    #[arg(long)]
    pub in_cells: bool,
    /// How bumps combine.
    #[arg(long, value_enum, default_value_t = CombineArg::Max)]
    pub combine: CombineArg,
    /// σ of the bump, in pixels.
    #[arg(long, default_value_t = GENESEGNET_SIGMA)]
    pub sigma: f64,
    /// The bump is 0 where d²/(2σ²) exceeds this.
    #[arg(long, default_value_t = GENESEGNET_CUTOFF)]
    pub cutoff: f64,
    /// Also write the map as a PNG over [0, max] (one map only).
    #[arg(long, value_name = "OUT.png", conflicts_with_all = ["genes", "each_gene"])]
    pub png: Option<PathBuf>,
    /// Colormap of the PNG.
    #[arg(long, default_value = "viridis", value_parser = colormap)]
    pub colormap: Colormap,
    #[command(flatten)]
    pub overwrite: Overwrite,
    /// Print a JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

fn colormap(name: &str) -> Result<Colormap, String> {
    Colormap::from_name(name).ok_or_else(|| {
        format!("unknown colormap {name:?} (one of {})", Colormap::ALL.map(Colormap::name).join(", "))
    })
}

/// `--combine`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CombineArg {
    /// Pixel-wise maximum (GeneSegNet).
    Max,
    /// Sum of the bumps.
    Sum,
}

pub fn run(args: HeatmapArgs) -> Result<()> {
    let bump = Bump { sigma: args.sigma, cutoff: args.cutoff };
    if !(bump.sigma.is_finite() && bump.sigma > 0.0 && bump.cutoff.is_finite() && bump.cutoff >= 0.0) {
        return Err(crate::out::UsageError(format!(
            "--sigma must be > 0 and --cutoff >= 0 (finite), got {} and {}",
            args.sigma, args.cutoff
        ))
        .into());
    }
    let outputs: Vec<&Path> = std::iter::once(args.output.as_path()).chain(args.png.as_deref()).collect();
    check_paths(&[&args.labels, &args.transcripts], &outputs)?;
    check_all([args.labels.as_path(), args.transcripts.as_path()])?;
    let owned: Vec<PathBuf> = outputs.iter().map(|p| p.to_path_buf()).collect();
    refuse_existing(&owned, args.overwrite.overwrite)?;
    let mut job = TranscriptJob {
        labels: Some(args.labels.clone()),
        transcripts: Some(args.transcripts.clone()),
        preset: args.preset,
        transform: args.transform.clone(),
        frame: args.frame.clone(),
    };
    let no_bundle = BundleArgs { xenium: None, cosmx: None, fov: None, cosmx_y_down: false, merscope: None };
    let (bundle, labels_path, transcripts_path) = job.resolve(&no_bundle)?;
    let done = job.assign(&labels_path, &transcripts_path, bundle.as_ref())?;
    let (width, height) = (done.labels.width(), done.labels.height());
    let mut pixels = transcript_pixels(&done.table.x, &done.table.y, done.frame, width, height)?;
    if args.in_cells {
        for (p, &cell) in pixels.iter_mut().zip(&done.assignment.cell_ids) {
            if cell == 0 || cell == cellmap::OUT_OF_IMAGE {
                *p = None;
            }
        }
    }
    let used = pixels.iter().filter(|p| p.is_some()).count();
    let combine = if args.combine == CombineArg::Sum { Combine::Sum } else { Combine::Max };
    let names = &done.table.gene_names;
    let genes: Option<Vec<usize>> = if args.each_gene {
        Some((0..names.len()).collect())
    } else if !args.genes.is_empty() {
        let mut ids = Vec::new();
        for wanted in &args.genes {
            match names.iter().position(|n| n == wanted) {
                Some(id) => ids.push(id),
                None => bail!("{}: no gene {wanted:?} in the table", transcripts_path.display()),
            }
        }
        Some(ids)
    } else {
        None
    };
    let (maps, shape) = match &genes {
        Some(ids) => (
            gene_heatmaps(&pixels, &done.table.gene, ids, width, height, bump, combine)?,
            vec![ids.len(), height, width],
        ),
        None => {
            let points: Vec<[u32; 2]> = pixels.iter().filter_map(|p| *p).collect();
            (location_heatmap(&points, width, height, bump, combine)?, vec![height, width])
        }
    };
    let mut staged = Staged::new(args.overwrite.overwrite);
    let dest = args.output.display().to_string();
    staged.file(&args.output, |w| Ok(cellmap_io::npy::write(w, &shape, &maps, &dest)?))?;
    if let Some(png) = &args.png {
        let rgba = heatmap_rgba(&maps, args.colormap)?;
        staged.file(png, |w| write_rgba_png(w, width, height, &rgba))?;
    }
    staged.commit()?;
    let max = maps.iter().copied().fold(0.0f32, f32::max);
    let gene_names: Option<Vec<&str>> =
        genes.as_ref().map(|ids| ids.iter().map(|&i| names[i].as_str()).collect());
    let what = match &gene_names {
        Some(list) => format!("{} gene maps ({})", list.len(), list.join(", ")),
        None => "one map of all genes".to_string(),
    };
    let text = format!(
        "{used} of {} transcripts drawn{} ({what}; σ {}, cut {}, {}), max {max} -> {}",
        done.table.len(),
        if args.in_cells { " (on cells)" } else { "" },
        args.sigma,
        args.cutoff,
        if combine == Combine::Max { "max" } else { "sum" },
        args.output.display()
    );
    let summary = json!({
        "transcripts": done.table.len(),
        "drawn": used,
        "shape": shape,
        "genes": gene_names,
        "sigma": args.sigma,
        "cutoff": args.cutoff,
        "combine": if combine == Combine::Max { "max" } else { "sum" },
        "max": max,
        "output": args.output,
        "png": args.png,
    });
    emit(args.json, summary, &text)
}
