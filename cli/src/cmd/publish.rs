//! `cellmap publish`: one folder that is a static site (the viewer), a lazily readable store and
//! a SpatialData store (`SITE/data.zarr`, written by `cellmap::publish`), with a manifest
//! (`SITE/manifest.json`, schema in the README's "Publishing" section).
//!
//! The site is written into a temporary folder next to SITE and renamed into place when
//! complete. An existing SITE is refused unless it is a site cellmap published (its manifest
//! lists every top-level entry) and `--overwrite` is given; then it is replaced as a whole.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use cellmap::publish::{Contents, CscTable, Points, PublishOptions, Published, Stage, write_spatialdata};
use cellmap::{Expression, LabelImage, Selection, Stat, cell_table};
use cellmap_io::zarr3::DirStore;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use crate::args::{BundleArgs, Overwrite, PresetArg, SegmentationArgs, TranscriptArgs};
use crate::cmd::assign::TranscriptJob;
use crate::cmd::run::{Cells, read_cells, read_gene_names, worker_threads};
use crate::inputs::check_all;
use crate::out::{UsageError, check_paths, output_folder};
use crate::report::{emit, error_line};
use crate::run_folder::{self, RunTile, Source};

mod viewer {
    include!(concat!(env!("OUT_DIR"), "/viewer.rs"));
}

/// Files of the viewer: `(path inside the site, bytes)`.
type ViewerFiles = Vec<(String, Vec<u8>)>;

/// The store's folder inside the site.
pub const DATA: &str = "data.zarr";

/// The manifest's name inside the site.
pub const MANIFEST: &str = "manifest.json";

/// What the manifest's `generator` says: the mark of a site cellmap may replace.
pub const GENERATOR: &str = "cellmap publish";

/// Write a static site: the viewer, the cells and their table as a SpatialData store, a manifest.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    cellmap publish tile.npy tile_ST_1024.npz -o site --genes-file tile_genes.txt\n  \
    cellmap publish labels.npy --transcripts transcripts.csv.gz -o site --preset xenium\n  \
    cellmap publish --xenium outs/ -o site --title 'Mouse brain, section 3'\n  \
    cellmap publish out/demo_0 -o site   # a tile folder `cellmap run` wrote\n  \
    python3 -m http.server -d site 8000   # then open http://localhost:8000/\n\n\
    SITE gets the viewer's files (index.html, its scripts and the wasm package; embedded in \
    this binary, or --viewer DIR), SITE/data.zarr and SITE/manifest.json. data.zarr is a Zarr v3 \
    SpatialData store (container format 0.2, codecs bytes + zstd, metadata consolidated into its \
    root zarr.json): labels/cells, the labels renumbered 1..N as an int32 pyramid (levels halved \
    by nearest neighbour down to 512 px, 512×512 chunks, all-background chunks left out) and \
    tables/table, an AnnData table annotating them (X in CSC, float32: the per-cell statistic of \
    `cellmap run` for a mask + expression, the transcript counts of `cellmap assign` for \
    transcripts; a cell without a value has no entry; obs = region, cell_id, area, centroid_y, \
    centroid_x, bbox_min_row, bbox_min_col, bbox_max_row, bbox_max_col; var = gene names; \
    obsm/cellmap_top_genes and obsm/cellmap_top_values = each cell's 10 largest values). spatialdata.read_zarr and anndata.read_zarr open it. \
    From a folder `cellmap run` wrote (a tile's folder, or the output folder of a run of one \
    tile), the site holds the run's labels, table and gene names as they are (nothing is \
    recomputed; the run's tile name is the default title); a bundle's run holds no transcripts, \
    so that site has no points. \
    The folder is complete when it appears (written under a temporary name, then renamed); an \
    existing SITE is replaced only with --overwrite and only if cellmap published it.")]
pub struct PublishArgs {
    /// Cell mask or label image (as for `cellmap run`); with --merscope, optionally the label
    /// image of the mosaic. Not with --xenium/--cosmx (the bundle's). Alone: a folder `cellmap
    /// run` wrote (a tile's folder with its run.json, or a run's output folder of one tile).
    #[arg(value_name = "MASK|RUN_DIR", required_unless_present_any = ["xenium", "cosmx", "merscope"], conflicts_with_all = ["xenium", "cosmx"])]
    pub mask: Option<PathBuf>,
    /// Expression: scipy CSR .npz (pixels × genes) or dense .npy, as for `cellmap run`
    /// (required with a MASK file unless --transcripts).
    #[arg(value_name = "EXPRESSION", conflicts_with_all = ["transcripts", "xenium", "cosmx", "merscope"])]
    pub expression: Option<PathBuf>,
    /// A transcript table instead of EXPRESSION (as for `cellmap assign`): the table counts
    /// transcripts per cell and gene.
    #[arg(long, value_name = "TABLE", conflicts_with_all = ["xenium", "cosmx", "merscope"])]
    pub transcripts: Option<PathBuf>,
    /// Output folder: the site (must not exist, or be empty, or be a site cellmap published and
    /// --overwrite).
    #[arg(short, long, value_name = "SITE")]
    pub output: PathBuf,
    /// Gene names of EXPRESSION's columns, one per line [default: gene_<i>].
    #[arg(long, value_name = "GENES.txt", requires = "expression")]
    pub genes_file: Option<PathBuf>,
    /// Per-cell statistic of EXPRESSION (transcripts are counted).
    #[arg(long, default_value = "mean", value_parser = crate::args::stat_parser(), requires = "expression")]
    pub stat: Stat,
    /// The site's title (in the manifest) [default: the name of SITE].
    #[arg(long)]
    pub title: Option<String>,
    /// Copy the viewer from this folder (e.g. `web/` after scripts/build-wasm.sh) instead of
    /// the copy embedded in this binary.
    #[arg(long, value_name = "DIR", conflicts_with = "no_viewer")]
    pub viewer: Option<PathBuf>,
    /// Write only data.zarr and manifest.json (no viewer files).
    #[arg(long)]
    pub no_viewer: bool,
    /// Leave the transcripts out of the store (by default they are its points element
    /// `points/transcripts`, Parquet in Morton order, in pixels of the labels).
    #[arg(long)]
    pub no_points: bool,
    /// Columns and units of --transcripts.
    #[arg(long, value_enum, default_value_t = PresetArg::Auto, requires = "transcripts")]
    pub preset: PresetArg,
    /// Affine transform of --transcripts' (x, y) to pixel (column, row), as for `cellmap assign`.
    #[arg(long, value_name = "AFFINE|FILE", allow_hyphen_values = true, requires = "transcripts")]
    pub transform: Option<String>,
    #[command(flatten)]
    pub bundle: BundleArgs,
    #[command(flatten)]
    pub frame: TranscriptArgs,
    #[command(flatten)]
    pub segmentation: SegmentationArgs,
    /// Worker threads (default and at most: the cores available).
    #[arg(long, short = 'j', value_parser = crate::args::jobs)]
    pub jobs: Option<usize>,
    #[command(flatten)]
    pub overwrite: Overwrite,
    /// Print a JSON summary instead of text (also hides the progress bar).
    #[arg(long)]
    pub json: bool,
}

/// The cells and their table, whatever the input.
struct Content {
    labels: LabelImage,
    table: CscTable,
    genes: Vec<String>,
    /// What X holds (`mean`, ..., `count` for transcripts).
    statistic: &'static str,
    /// The input files.
    sources: Vec<Source>,
    /// The transcripts in pixels, their genes and cells (for the points element).
    points: Option<OwnedPoints>,
}

/// The columns of [`cellmap::publish::Points`], owned.
struct OwnedPoints {
    x: Vec<f32>,
    y: Vec<f32>,
    gene: Vec<u32>,
    cell_id: Vec<u32>,
}

impl OwnedPoints {
    /// The transcripts of `assigned` at their pixel positions (the frame of the assignment; with
    /// `--round nearest` shifted by half a pixel, so that pixel `i` covers `[i, i + 1)`).
    fn new(assigned: &mut crate::cmd::assign::Assigned) -> Self {
        let frame = assigned.frame;
        let half = if frame.rounding == cellmap::Rounding::Nearest { 0.5 } else { 0.0 };
        let n = assigned.table.x.len();
        let table = &mut assigned.table;
        let (mut x, mut y) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for (&tx, &ty) in table.x.iter().zip(&table.y) {
            let (px, py) = frame.transform.apply(tx, ty);
            x.push((px / frame.scale + half) as f32);
            y.push((py / frame.scale + half) as f32);
        }
        // The table's coordinates are no longer needed: free them before the store is written.
        table.x = Vec::new();
        table.y = Vec::new();
        let gene = std::mem::take(&mut table.gene);
        let cell_id = std::mem::take(&mut assigned.assignment.cell_ids);
        OwnedPoints { x, y, gene, cell_id }
    }
}

pub fn run(args: PublishArgs) -> Result<()> {
    let started = Instant::now();
    let site = args.output.clone();
    let progress = if args.json || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let spinner = ProgressBar::new_spinner();
        spinner.enable_steady_tick(Duration::from_millis(120));
        spinner
    };
    // Inputs, then the usage errors (an output that is an input) before any work.
    let mut job = TranscriptJob {
        labels: args.mask.clone(),
        transcripts: args.transcripts.clone(),
        preset: args.preset,
        transform: args.transform.clone(),
        frame: args.frame.clone(),
    };
    let run_dir = run_dir(&args)?;
    let transcripts = args.expression.is_none() && run_dir.is_none();
    let resolved = if transcripts { Some(job.resolve(&args.bundle)?) } else { None };
    let mut inputs: Vec<PathBuf> = Vec::new();
    match (&resolved, &run_dir) {
        (Some((_, labels, table)), _) => inputs.extend([labels.clone(), table.clone()]),
        (None, Some(tile)) => inputs.extend(run_folder::READ.iter().map(|name| tile.join(name))),
        (None, None) => {
            inputs.extend(args.mask.clone());
            inputs.extend(args.expression.clone());
            inputs.extend(args.genes_file.clone());
        }
    }
    let files = inputs.len();
    inputs.extend(args.viewer.clone());
    inputs.extend(args.mask.clone().filter(|_| run_dir.is_some()));
    let input_refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    check_paths(&input_refs, &[site.as_path()])?;
    check_all(inputs[..files].iter().map(PathBuf::as_path))?;
    let viewer = viewer_files(&args)?;
    let parent = parent_of(&site);
    let _lock = output_folder(&parent)?;
    let replaces = check_site(&site, args.overwrite.overwrite)?;
    let threads = worker_threads(args.jobs);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start worker threads")?;
    let mut run_title = None;
    let content = pool.install(|| -> Result<Content> {
        if let Some(tile) = &run_dir {
            progress.set_message(format!("{}: reading the run's tile", tile.display()));
            let RunTile { tile, labels, table, genes, sources, transcripts } = run_folder::read(tile)?;
            if transcripts {
                progress.suspend(|| {
                    error_line("note: a run's folder holds no transcripts: the site has no points element")
                });
            }
            run_title = Some(tile);
            return Ok(Content {
                table: CscTable::from_table(&table)?,
                labels,
                genes,
                statistic: if transcripts { "count" } else { table.stat().name() },
                sources,
                points: None,
            });
        }
        match &resolved {
            Some((bundle, labels_path, table_path)) => {
                progress.set_message(format!("{}: reading and assigning transcripts", table_path.display()));
                let mut assigned = job.assign(labels_path, table_path, bundle.as_ref())?;
                let table = CscTable::from_counts(&assigned.counts)?;
                let (what, _) = assigned.summary(!job.frame.filters.is_empty());
                progress.suspend(|| error_line(&format!("note: {what}")));
                let points = (!args.no_points).then(|| OwnedPoints::new(&mut assigned));
                Ok(Content {
                    labels: assigned.labels,
                    table,
                    genes: assigned.table.gene_names,
                    statistic: "count",
                    sources: vec![Source::of("labels", labels_path), Source::of("transcripts", table_path)],
                    points,
                })
            }
            None => {
                let (mask_path, expression_path) = match (&args.mask, &args.expression) {
                    (Some(mask), Some(expression)) => (mask, expression),
                    _ => return Err(UsageError("MASK and EXPRESSION are required".into()).into()),
                };
                progress.set_message(format!("{}: labelling", mask_path.display()));
                let Cells { mask, labels, warning, .. } = read_cells(mask_path, &args.segmentation)?;
                if let Some(warning) = warning {
                    progress.suspend(|| error_line(&format!("warning: {}: {warning}", mask_path.display())));
                }
                progress.set_message(format!("{}: per-cell {}", expression_path.display(), args.stat.name()));
                let expression = Expression::read(expression_path, labels.height(), labels.width())?;
                let genes = match &args.genes_file {
                    Some(path) => read_gene_names(path, expression.n_genes())?,
                    None => (0..expression.n_genes()).map(|g| format!("gene_{g}")).collect(),
                };
                // `run`'s semantics: only the unfilled mask's pixels, zeros and NaN skipped.
                let selection = Selection { within: Some(&mask), keep_zeros: false };
                let table = cell_table(&labels, &expression, selection, args.stat)?;
                drop(expression);
                let mut sources =
                    vec![Source::of("mask", mask_path), Source::of("expression", expression_path)];
                sources.extend(args.genes_file.as_deref().map(|p| Source::of("genes", p)));
                Ok(Content {
                    table: CscTable::from_table(&table)?,
                    labels,
                    genes,
                    statistic: args.stat.name(),
                    sources,
                    points: None,
                })
            }
        }
    })?;
    let temp = tempfile::Builder::new()
        .prefix(&cellmap_io::fs::temp_prefix())
        .tempdir_in(&parent)
        .with_context(|| format!("{}: cannot create a folder", parent.display()))?;
    let mut entries = Vec::new();
    if let Some(files) = &viewer {
        progress.set_message("copying the viewer");
        entries.extend(write_viewer(temp.path(), files, &site)?);
    }
    let store = DirStore(temp.path().join(DATA));
    let dest = site.join(DATA).display().to_string();
    let software = format!("cellmap {}", env!("CARGO_PKG_VERSION"));
    let options = PublishOptions { software, threads };
    let bar_style = ProgressStyle::with_template("{bar:30} {pos}/{len} label chunks [{elapsed}] {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    // When each stage started, for the summary's `stage_seconds`.
    let marks = std::sync::Mutex::new(vec![("inputs", started), ("regions", Instant::now())]);
    let mark =
        |name: &'static str| marks.lock().unwrap_or_else(|e| e.into_inner()).push((name, Instant::now()));
    let report = |stage: Stage| match stage {
        Stage::Labels { done, total } => {
            if done == 1 {
                mark("labels");
                progress.set_style(bar_style.clone());
                progress.set_length(total as u64);
                progress.set_message("labels pyramid");
            }
            progress.set_position(done as u64);
        }
        Stage::Table => {
            mark("table");
            progress.set_style(ProgressStyle::default_spinner());
            progress.set_message("table");
        }
        Stage::Points => {
            mark("points");
            progress.set_message("points (transcripts in Morton order)");
        }
    };
    let points =
        content.points.as_ref().map(|p| Points { x: &p.x, y: &p.y, gene: &p.gene, cell_id: &p.cell_id });
    let contents = Contents { labels: &content.labels, table: &content.table, genes: &content.genes, points };
    let published = write_spatialdata(&store, &dest, &contents, &options, &report)?;
    entries.push(DATA.to_string());
    entries.push(MANIFEST.to_string());
    let title = args.title.clone().or(run_title).unwrap_or_else(|| resolve_name(&site));
    let manifest = manifest(&title, &content, &published, &entries);
    std::fs::write(temp.path().join(MANIFEST), format!("{manifest:#}\n"))
        .with_context(|| format!("{}: write failed", site.join(MANIFEST).display()))?;
    set_mode(temp.path(), 0o755).with_context(|| format!("{}: cannot create", site.display()))?;
    progress.finish_and_clear();
    commit(temp, &site, replaces, &parent)?;
    let seconds = started.elapsed().as_secs_f64();
    mark("end");
    let marks = marks.into_inner().unwrap_or_else(|e| e.into_inner());
    let stage_seconds: serde_json::Map<String, Value> =
        marks.windows(2).map(|w| (w[0].0.to_string(), json!((w[1].1 - w[0].1).as_secs_f64()))).collect();
    let bytes = folder_bytes(&site.join(DATA));
    let (h, w) = published.levels[0];
    let text = format!(
        "published {}: {} cells × {} genes ({} values, {}), labels {h}×{w} in {} levels ({} chunks, {} \
         all-background left out), data.zarr {:.1} MB, {seconds:.2} s\nserve it: python3 -m http.server \
         -d {} 8000, then open http://localhost:8000/",
        site.display(),
        published.n_cells,
        published.n_genes,
        published.nnz,
        content.statistic,
        published.levels.len(),
        published.label_chunks,
        published.empty_chunks,
        bytes as f64 / 1e6,
        site.display()
    );
    let summary = json!({
        "output": site,
        "cells": published.n_cells,
        "genes": published.n_genes,
        "nnz": published.nnz,
        "statistic": content.statistic,
        "levels": published.levels,
        "label_chunks": published.label_chunks,
        "empty_chunks": published.empty_chunks,
        "renumbered": published.renumbered,
        "points": published.points,
        "data_bytes": bytes,
        "seconds": seconds,
        "stage_seconds": stage_seconds,
    });
    emit(args.json, summary, &text)
}

/// The tile folder to publish when MASK is a folder and nothing else names inputs (see
/// [`run_folder::find`]); `None` for the other inputs. MASK without EXPRESSION, --transcripts or
/// a bundle is a usage error, and so are labelling flags with a run's folder (the run labelled).
fn run_dir(args: &PublishArgs) -> Result<Option<PathBuf>> {
    let alone = args.expression.is_none() && args.transcripts.is_none() && args.bundle.flag().is_none();
    let Some(mask) = args.mask.as_ref().filter(|_| alone) else { return Ok(None) };
    if !mask.is_dir() {
        return Err(UsageError(format!(
            "{}: EXPRESSION is required (or --transcripts TABLE, or a folder `cellmap run` wrote instead of \
             MASK)",
            mask.display()
        ))
        .into());
    }
    let s = &args.segmentation;
    if s.connectivity != cellmap::Connectivity::Four
        || s.no_fill_holes
        || s.mask_kind != cellmap::MaskKind::Auto
    {
        return Err(UsageError(format!(
            "{}: --connectivity, --no-fill-holes and --mask-kind are not for a run's folder (the run \
             labelled its cells)",
            mask.display()
        ))
        .into());
    }
    run_folder::find(mask).map(Some)
}

/// The folder holding `site` (`.` for a bare name).
fn parent_of(site: &Path) -> PathBuf {
    match site.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The last name of `site` (after resolving `.` and `..`).
fn resolve_name(site: &Path) -> String {
    crate::out::resolve(site).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// The viewer's files `(path in the site, bytes)`: none with --no-viewer, else those of
/// --viewer DIR, else the embedded ones; an error when they are not a runnable viewer (no
/// index.html or no wasm package).
fn viewer_files(args: &PublishArgs) -> Result<Option<ViewerFiles>> {
    if args.no_viewer {
        return Ok(None);
    }
    let (files, from) = match &args.viewer {
        Some(dir) => {
            if !dir.is_dir() {
                bail!("--viewer {}: not a folder", dir.display());
            }
            let mut files = Vec::new();
            read_tree(dir, dir, &mut files)?;
            (files, format!("--viewer {}", dir.display()))
        }
        None => (
            viewer::VIEWER_FILES.iter().map(|(name, bytes)| (name.to_string(), bytes.to_vec())).collect(),
            "the viewer embedded in this cellmap".to_string(),
        ),
    };
    let has = |name: &str| files.iter().any(|(n, _)| n == name);
    if !has("index.html") {
        bail!("{from}: no index.html (is it the viewer's web/ folder?)");
    }
    if !has("pkg/cellmap_wasm_bg.wasm") {
        bail!(
            "{from}: no pkg/cellmap_wasm_bg.wasm: build the wasm package first (bash scripts/build-wasm.sh, \
             then rebuild cellmap to embed it), or pass --viewer DIR or --no-viewer"
        );
    }
    Ok(Some(files))
}

/// Every file under `dir` (dotfiles and README.md left out), by path relative to `root`.
fn read_tree(root: &Path, dir: &Path, out: &mut ViewerFiles) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot read the folder", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.starts_with('.') || name == "README.md" {
            continue;
        }
        if path.is_dir() {
            read_tree(root, &path, out)?;
        } else if path.is_file() {
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let parts: Vec<String> =
                relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            let bytes = std::fs::read(&path).with_context(|| format!("{}: cannot read", path.display()))?;
            out.push((parts.join("/"), bytes));
        }
    }
    Ok(())
}

/// The viewer's placeholder for the store it opens without `?data=` (web/index.html).
const DATA_META: &str = r#"<meta name="cellmap-data" content="">"#;

/// `index.html` with its placeholder naming the site's store, so that the site's own address
/// (e.g. `https://lab.github.io/site/`) opens the published data, not the demo. A viewer
/// without the placeholder (`--viewer DIR` of another version) is copied as it is.
fn open_on_data(index_html: &[u8]) -> Vec<u8> {
    match std::str::from_utf8(index_html) {
        Ok(text) if text.contains(DATA_META) => text
            .replacen(DATA_META, &format!(r#"<meta name="cellmap-data" content="{DATA}">"#), 1)
            .into_bytes(),
        _ => index_html.to_vec(),
    }
}

/// Writes the viewer's files into `dir`; gives the top-level names written.
fn write_viewer(dir: &Path, files: &[(String, Vec<u8>)], site: &Path) -> Result<Vec<String>> {
    let mut top = Vec::new();
    for (name, bytes) in files {
        if name == MANIFEST || name == DATA || name.starts_with(&format!("{DATA}/")) {
            continue; // the site's own names
        }
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("{}: cannot create a folder", site.join(name).display()))?;
        }
        let bytes = if name == "index.html" { open_on_data(bytes) } else { bytes.clone() };
        std::fs::write(&path, bytes)
            .with_context(|| format!("{}: write failed", site.join(name).display()))?;
        let first = name.split('/').next().unwrap_or(name).to_string();
        if !top.contains(&first) {
            top.push(first);
        }
    }
    Ok(top)
}

/// Whether SITE exists and may be replaced: `false` when it is missing or an empty folder;
/// `true` for a site cellmap published (its manifest lists every top-level entry) with
/// `overwrite`; an error otherwise.
fn check_site(site: &Path, overwrite: bool) -> Result<bool> {
    let Ok(meta) = std::fs::symlink_metadata(site) else { return Ok(false) };
    if !meta.is_dir() {
        bail!("{}: exists and is not a folder", site.display());
    }
    let mut names: Vec<String> = std::fs::read_dir(site)
        .with_context(|| format!("{}: cannot read the folder", site.display()))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if names.is_empty() {
        return Ok(false);
    }
    names.sort();
    let listed: Option<Vec<String>> = std::fs::read_to_string(site.join(MANIFEST))
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .filter(|m| m["generator"] == GENERATOR)
        .and_then(|m| serde_json::from_value(m["files"].clone()).ok());
    let Some(listed) = listed else {
        bail!(
            "{}: exists and is not a site cellmap published (no {MANIFEST} of `{GENERATOR}`); cellmap \
             never replaces other folders: choose another output",
            site.display()
        );
    };
    let foreign: Vec<&String> = names.iter().filter(|n| !listed.contains(n)).collect();
    if !foreign.is_empty() {
        let shown: Vec<&str> = foreign.iter().take(8).map(|s| s.as_str()).collect();
        bail!(
            "{}: holds files cellmap did not publish ({}); cellmap replaces a site only when it holds \
             nothing else: move them or choose another output",
            site.display(),
            shown.join(", ")
        );
    }
    if !overwrite {
        bail!("{}: exists (a site cellmap published); pass --overwrite to replace it", site.display());
    }
    Ok(true)
}

/// Moves the finished site from `temp` to `site`; an old site (`replaces`) is moved aside
/// first and deleted after.
fn commit(temp: tempfile::TempDir, site: &Path, replaces: bool, parent: &Path) -> Result<()> {
    let cannot = || format!("{}: cannot move the site into place", site.display());
    let old = if replaces {
        let aside = tempfile::Builder::new()
            .prefix(&cellmap_io::fs::temp_prefix())
            .tempdir_in(parent)
            .with_context(cannot)?;
        let old = aside.path().join("old");
        std::fs::rename(site, &old).with_context(cannot)?;
        Some(aside)
    } else {
        None
    };
    let path = temp.keep();
    if let Err(error) = std::fs::rename(&path, site) {
        let _ = std::fs::remove_dir_all(&path);
        if let Some(aside) = &old {
            let _ = std::fs::rename(aside.path().join("old"), site);
        }
        return Err(error).with_context(cannot);
    }
    drop(old); // deletes the old site
    Ok(())
}

/// The manifest the viewer reads first (schema: README, "Publishing").
fn manifest(title: &str, content: &Content, published: &Published, files: &[String]) -> Value {
    let sources: Vec<Value> =
        content.sources.iter().map(|s| json!({"role": s.role, "name": s.name, "bytes": s.bytes})).collect();
    // The gene in the most cells (the first of those), shown when the link names none.
    let table = &content.table;
    let gene = (0..table.n_genes())
        .max_by_key(|&g| (table.indptr[g + 1] - table.indptr[g], std::cmp::Reverse(g)))
        .and_then(|g| content.genes.get(g));
    json!({
        "generator": GENERATOR,
        "format": 1,
        "cellmap_version": env!("CARGO_PKG_VERSION"),
        "title": title,
        "data": DATA,
        "labels": format!("labels/{}", cellmap::publish::LABELS_NAME),
        "table": format!("tables/{}", cellmap::publish::TABLE_NAME),
        "points": (published.points > 0).then(|| format!("points/{}", cellmap::publish::POINTS_NAME)),
        "statistic": content.statistic,
        "shape": [published.levels[0].0, published.levels[0].1],
        "levels": published.levels.len(),
        "cells": published.n_cells,
        "genes": published.n_genes,
        "sources": sources,
        "default_view": {"gene": gene, "colormap": "viridis"},
        "files": files,
    })
}

/// Bytes of the files under `dir`.
fn folder_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => folder_bytes(&e.path()),
            _ => e.metadata().map(|m| m.len()).unwrap_or(0),
        })
        .sum()
}

/// Gives the site folder ordinary permissions (a temporary folder is created private).
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_viewer_is_web_without_dotfiles_or_readme() {
        let names: Vec<&str> = viewer::VIEWER_FILES.iter().map(|(name, _)| *name).collect();
        let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../web");
        for name in ["index.html", "main.js", "worker.js"] {
            let (_, bytes) = viewer::VIEWER_FILES.iter().find(|(n, _)| *n == name).expect(name);
            assert_eq!(*bytes, std::fs::read(web.join(name)).unwrap().as_slice(), "{name}");
        }
        assert!(!names.iter().any(|n| n.ends_with("README.md") || n.split('/').any(|p| p.starts_with('.'))));
        assert_eq!(
            names.contains(&"pkg/cellmap_wasm_bg.wasm"),
            web.join("pkg/cellmap_wasm_bg.wasm").is_file()
        );
    }

    #[test]
    fn the_sites_index_html_names_its_store() {
        let (_, index) = viewer::VIEWER_FILES.iter().find(|(n, _)| *n == "index.html").expect("index.html");
        let published = String::from_utf8(open_on_data(index)).unwrap();
        assert!(
            published.contains(r#"<meta name="cellmap-data" content="data.zarr">"#),
            "web/index.html has the placeholder"
        );
        assert_eq!(open_on_data(b"<!doctype html>"), b"<!doctype html>", "no placeholder: as it is");
    }
}
