//! `cellmap run`: the batch job over a folder of tiles (parallel tiles, progress, summary), or over
//! a vendor bundle as one tile.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use cellmap::input::kind_reason;
use cellmap::{
    CONNECTIVITIES, CellImage, CellTable, ColorScale, Expression, GeneSelection, Image, LabelImage, MaskKind,
    Range, Region, Selection, Stat, TableValues, add_layer, cell_table, paint_map, pixel_ranges, regions,
    segment, write_regions_csv,
};
use indicatif::{ProgressBar, ProgressFinish, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::args::{GenesArg, PresetArg, RangeArg, RunArgs, SegmentationArgs};
use crate::cmd::assign::{TranscriptJob, write_counts_npz, write_genes_txt};
use crate::inputs::check_all;
use crate::out::{
    FolderLock, Output, StagedDir, UsageError, check_paths, output_folder, refuse_existing, write_rgba_png,
};
use crate::report::{catch_panic, emit, error_line, one_line};
use crate::run_folder::{GENERATOR, SUMMARY, Source};
use crate::tiles::{TileFiles, discover};

/// What happened to one tile.
#[derive(Debug, Serialize)]
struct TileReport {
    name: String,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    cells: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    genes: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nnz: Option<usize>,
    seconds: f64,
    /// "labels" or "binary": what the mask was taken for.
    #[serde(skip_serializing_if = "Option::is_none")]
    mask_kind: Option<&'static str>,
    /// Why (see `cellmap::input::kind_reason`).
    #[serde(skip_serializing_if = "Option::is_none")]
    mask_kind_reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// A bundle's transcripts: read, in cells, on background, outside, dropped.
    #[serde(skip_serializing_if = "Option::is_none")]
    transcripts: Option<serde_json::Value>,
}

/// Sizes of a finished tile.
struct Done {
    cells: usize,
    genes: usize,
    nnz: usize,
    /// What the mask was taken for: [`MaskKind::Binary`] or [`MaskKind::Labels`].
    kind: MaskKind,
    /// A label image that looks like an intensity image.
    warning: Option<String>,
}

pub fn run(args: RunArgs) -> Result<()> {
    let started = Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(worker_threads(args.jobs))
        .build()
        .context("cannot start worker threads")?;
    let dir = match (&args.dir, &args.genes) {
        _ if args.bundle.flag().is_some() => return pool.install(|| run_bundle(&args, started)),
        (Some(dir), None | Some(GenesArg::Columns(_))) => dir,
        // Cli::validate refuses both.
        (None, _) => return Err(UsageError("DIR is required without a bundle flag".into()).into()),
        (_, Some(GenesArg::Names(_))) => {
            return Err(UsageError("--genes: gene names need a bundle flag".into()).into());
        }
    };
    let genes = match &args.genes {
        Some(GenesArg::Columns(genes)) => genes.clone(),
        _ => GeneSelection::parse(DEFAULT_GENES)?,
    };
    let tiles = discover(dir)?;
    if tiles.is_empty() {
        bail!(
            "{}: no tiles (masks <tile>.npy, .png, .tif, .tiff, <tile>_seg.npy or <tile>.zarr.zip)",
            dir.display()
        );
    }
    let _lock = prepare_output(dir, &tiles, &args, &genes)?;
    let progress = if args.json || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new(tiles.len() as u64);
        let style = ProgressStyle::with_template("{bar:30} {pos}/{len} tiles [{elapsed}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar
    };
    let reports: Vec<TileReport> = pool.install(|| {
        tiles
            .par_iter()
            .map(|tile| {
                let t0 = Instant::now();
                // A panic inside a tile is that tile's failure: the others and the summary go on.
                let result = catch_panic(|| process(tile, &args, &genes));
                let name = tile.display_name();
                progress.inc(1);
                progress.set_message(name.clone());
                let seconds = t0.elapsed().as_secs_f64();
                match result {
                    Ok(done) => {
                        if let Some(warning) = &done.warning {
                            let mask = tile.mask.display();
                            progress
                                .suspend(|| error_line(&format!("warning: tile {name}: {mask}: {warning}")));
                        }
                        TileReport {
                            name,
                            ok: true,
                            cells: Some(done.cells),
                            genes: Some(done.genes),
                            nnz: Some(done.nnz),
                            seconds,
                            mask_kind: Some(done.kind.name()),
                            mask_kind_reason: Some(kind_reason(args.segmentation.mask_kind, done.kind)),
                            error: None,
                            transcripts: None,
                        }
                    }
                    Err(e) => {
                        let message = one_line(&e);
                        progress.suspend(|| error_line(&format!("error: tile {name}: {message}")));
                        TileReport {
                            name,
                            ok: false,
                            cells: None,
                            genes: None,
                            nnz: None,
                            seconds,
                            mask_kind: None,
                            mask_kind_reason: None,
                            error: Some(message),
                            transcripts: None,
                        }
                    }
                }
            })
            .collect()
    });
    progress.finish_and_clear();
    let ok = reports.iter().filter(|r| r.ok).count();
    let failed = reports.len() - ok;
    let seconds = started.elapsed().as_secs_f64();
    let mut text = String::new();
    for r in &reports {
        match (&r.error, r.cells, r.genes) {
            (None, Some(cells), Some(genes)) => {
                let kind = if r.mask_kind == Some("labels") { "label image" } else { "binary mask" };
                let why = r.mask_kind_reason.unwrap_or("");
                text += &format!(
                    "ok    {}: {cells} cells, {genes} genes, {:.2} s; {kind} ({why})\n",
                    r.name, r.seconds
                )
            }
            (error, ..) => text += &format!("FAIL  {}: {}\n", r.name, error.as_deref().unwrap_or("?")),
        }
    }
    text += &format!(
        "{} tiles: {ok} ok, {failed} failed, {seconds:.2} s -> {}",
        reports.len(),
        args.output.display()
    );
    let summary = json!({
        "tiles": reports,
        "ok": ok,
        "failed": failed,
        "seconds": seconds,
        "output": args.output,
    });
    emit(args.json, summary, &text)?;
    if failed > 0 {
        bail!("{failed} of {} tiles failed (see above); their outputs were not written", reports.len());
    }
    Ok(())
}

/// The files this run writes into a tile's output `folder` that matter before any work: the fixed
/// names, and the gene maps of the selection that exist already (a selection may be huge: it is
/// matched against the folder's entries, never expanded; gene names are known later).
fn tile_outputs(folder: &Path, args: &RunArgs, genes: Option<&GeneSelection>) -> Vec<PathBuf> {
    let mut names = vec!["labels.npy", "regions.csv", "table.npz", "genes.txt", SUMMARY, SUM_MAP];
    if args.csv {
        names.push("table.csv");
    }
    let mut paths: Vec<PathBuf> = names.iter().map(|name| folder.join(name)).collect();
    if args.anndata {
        paths.extend(crate::anndata::store_outputs(&folder.join(ANNDATA)));
    }
    let maps = folder.join("maps");
    if let (Some(genes), Ok(entries)) = (genes, std::fs::read_dir(&maps)) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let gene =
                name.to_str().and_then(|n| n.strip_prefix("gene_")?.strip_suffix(".png")?.parse().ok());
            if gene.is_some_and(|g| {
                genes.contains(g) && map_name(g) == format!("maps/{}", name.to_string_lossy())
            }) {
                paths.push(maps.join(name));
            }
        }
    }
    paths
}

/// The map of gene column `g`.
fn map_name(g: usize) -> String {
    format!("maps/gene_{g:04}.png")
}

/// `--genes` of a tile run by default.
const DEFAULT_GENES: &str = "10..30";

/// The most genes a bundle run maps by default (its first ones).
const BUNDLE_GENES: usize = 20;

/// The AnnData store of a tile (`--anndata`).
const ANNDATA: &str = "anndata.zarr";

/// The map of the chosen genes' sum.
const SUM_MAP: &str = "maps/sum.png";

/// Before any work: usage errors (an output that is an input), then the output folder is created
/// and locked, and existing outputs of the tiles are refused unless --overwrite.
fn prepare_output(
    dir: &Path,
    tiles: &[TileFiles],
    args: &RunArgs,
    genes: &GeneSelection,
) -> Result<FolderLock> {
    let runnable: Vec<&TileFiles> = tiles.iter().filter(|t| t.expression.is_ok()).collect();
    let mut inputs = vec![dir];
    for tile in tiles {
        inputs.push(&tile.mask);
        inputs.extend(tile.expression.as_deref().ok());
        inputs.extend(tile.genes.as_deref());
    }
    let folders: Vec<PathBuf> = runnable.iter().map(|t| args.output.join(&t.name)).collect();
    let files: Vec<PathBuf> =
        folders.iter().flat_map(|folder| tile_outputs(folder, args, Some(genes))).collect();
    let outputs: Vec<&Path> = std::iter::once(args.output.as_path())
        .chain(folders.iter().map(PathBuf::as_path))
        .chain(files.iter().map(PathBuf::as_path))
        .collect();
    check_paths(&inputs, &outputs)?;
    let lock = output_folder(&args.output)?;
    folders.iter().try_for_each(|folder| check_tile_folder(folder))?;
    refuse_existing(&files, args.overwrite.overwrite)?;
    Ok(lock)
}

/// A tile's output folder, if it exists, must be a folder.
fn check_tile_folder(folder: &Path) -> Result<()> {
    if std::fs::symlink_metadata(folder).is_ok_and(|m| !m.is_dir()) && !folder.is_dir() {
        bail!("{}: exists and is not a folder (it would be the output folder of a tile)", folder.display());
    }
    Ok(())
}

/// The whole job for one tile; its files appear only if everything succeeded.
fn process(tile: &TileFiles, args: &RunArgs, selected: &GeneSelection) -> Result<Done> {
    let expression_path =
        tile.expression.as_ref().map_err(|why| anyhow!("{}: {why}", tile.mask.display()))?;
    check_all([tile.mask.as_path(), expression_path.as_path()].into_iter().chain(tile.genes.as_deref()))?;
    // The mask is small: read and segment it while the expression matrix is inflated.
    let (segmented, csr) = rayon::join(
        || read_cells(&tile.mask, &args.segmentation),
        || cellmap_io::fs::read_csr(expression_path, &cellmap_io::Limits::default()),
    );
    let Cells { mask, labels, kind, warning } = segmented?;
    let expression = Expression::from_csr(csr?, labels.height(), labels.width())?;
    let (cells, genes, nnz) = (labels.n_cells(), expression.n_genes(), expression.nnz());
    // Before any per-gene work; afterwards the chosen genes are at most the matrix's.
    selected.check(genes).map_err(|e| e.context(expression.source()))?;
    let chosen: Vec<usize> = selected.iter().collect();
    let gene_names = match &tile.genes {
        Some(path) => Some(read_gene_names(path, genes)?),
        None => None,
    };
    // The research semantics: only pixels of the original (unfilled) mask, zeros and NaN skipped.
    let selection = Selection { within: Some(&mask), keep_zeros: false };
    let table = cell_table(&labels, &expression, selection, args.stat.unwrap_or(Stat::Mean))?;
    // Per-gene map ranges: fixed, the research script's pixel range, or the cells' min-max.
    let ranges: Vec<Range> = match (args.vmin.zip(args.vmax), args.range) {
        (Some((vmin, vmax)), _) => vec![Range::Fixed { vmin, vmax }; chosen.len() + 1],
        (None, RangeArg::Pixels) => {
            let mut r: Vec<_> = pixel_ranges(&labels, &expression, &mask, &chosen)?
                .into_iter()
                .map(|(vmin, vmax)| Range::Fixed { vmin, vmax })
                .collect();
            r.push(Range::MinMax); // the summed map: the cells' range
            r
        }
        (None, RangeArg::Cells) => vec![Range::MinMax; chosen.len() + 1],
    };
    // Freeing the ~200 MB matrix takes a while: do it off the critical path.
    rayon::spawn(move || drop(expression));
    let regions = regions(&labels)?;
    let out = StagedDir::new(&args.output, &args.output.join(&tile.name), args.overwrite.overwrite)?;
    let tile_name = tile.display_name();
    let mut sources = vec![("mask", tile.mask.as_path()), ("expression", expression_path.as_path())];
    sources.extend(tile.genes.as_deref().map(|p| ("genes", p)));
    let outputs = TileOutputs {
        labels: &labels,
        regions: &regions,
        table: &table,
        gene_names: gene_names.as_deref(),
        sources: &sources,
        mask_kind: kind,
    };
    write_tile(&out, &tile_name, &outputs, &chosen, &ranges, args)?;
    out.commit()?;
    Ok(Done { cells, genes, nnz, kind, warning })
}

/// A tile's cells: the unfilled mask (the pixels the statistics use), the labels, what the
/// mask was taken for, and a warning for a label image that looks like an intensity image.
pub struct Cells {
    pub mask: Image<bool>,
    pub labels: LabelImage,
    pub kind: MaskKind,
    pub warning: Option<String>,
}

/// Reads a mask or label image and labels it as `run` does: a binary mask is filled and
/// labelled (`segmentation`), a label image is used as is, its cell pixels playing the unfilled
/// mask's part.
pub fn read_cells(path: &Path, segmentation: &SegmentationArgs) -> Result<Cells> {
    cells_of(CellImage::read(path, segmentation.mask_kind)?, segmentation)
}

/// [`read_cells`] on a decoded mask or label image (`image`, taken as `segmentation.mask_kind`
/// says).
pub fn cells_of(image: CellImage, segmentation: &SegmentationArgs) -> Result<Cells> {
    match image {
        CellImage::Mask(mask) => {
            let labels = segment(&mask, segmentation.options())?;
            Ok(Cells { mask, labels, kind: MaskKind::Binary, warning: None })
        }
        CellImage::Labels(labels) => {
            let warning = labels.intensity_warning();
            Ok(Cells { mask: labels.foreground(), labels, kind: MaskKind::Labels, warning })
        }
    }
}

/// What a tile's folder holds, whatever made it.
struct TileOutputs<'a> {
    labels: &'a LabelImage,
    regions: &'a [Region],
    table: &'a CellTable,
    /// The table's gene names, if known.
    gene_names: Option<&'a [String]>,
    /// `(role, path)` of each input: mask, expression, genes; or labels, transcripts.
    sources: &'a [(&'static str, &'a Path)],
    /// What the mask was taken for.
    mask_kind: MaskKind,
}

/// The tile's summary `run.json`: what made the folder and from which inputs (`cellmap publish
/// RUN_DIR` reads it with labels.npy, table.npz and genes.txt).
fn tile_summary(tile: &str, outputs: &TileOutputs<'_>, args: &RunArgs) -> serde_json::Value {
    let sources: Vec<serde_json::Value> = outputs
        .sources
        .iter()
        .map(|&(role, path)| {
            let Source { name, bytes, .. } = Source::of(role, path);
            json!({"role": role, "name": name, "path": path.to_string_lossy(), "bytes": bytes})
        })
        .collect();
    let segmentation = (outputs.mask_kind == MaskKind::Binary).then(|| {
        let options = args.segmentation.options();
        let connectivity = CONNECTIVITIES.iter().find(|(c, _)| *c == options.connectivity).map(|(_, n)| n);
        json!({"fill_holes": options.fill_holes, "connectivity": connectivity})
    });
    json!({
        "generator": GENERATOR,
        "format": 1,
        "cellmap_version": env!("CARGO_PKG_VERSION"),
        "tile": tile,
        "statistic": outputs.table.stat().name(),
        "shape": [outputs.labels.height(), outputs.labels.width()],
        "cells": outputs.table.n_cells(),
        "genes": outputs.table.n_genes(),
        "mask_kind": outputs.mask_kind.name(),
        "segmentation": segmentation,
        "sources": sources,
    })
}

/// Stages a tile's files into `out`: labels.npy, regions.csv, table.npz, genes.txt (`gene_<i>`
/// without names), run.json (table.csv, anndata.zarr) and the maps of the `chosen` genes
/// (`ranges`: theirs, then the sum's).
fn write_tile(
    out: &StagedDir,
    tile: &str,
    outputs: &TileOutputs<'_>,
    chosen: &[usize],
    ranges: &[Range],
    args: &RunArgs,
) -> Result<()> {
    let TileOutputs { labels, regions, table, gene_names, .. } = *outputs;
    let write_tables = || -> Result<()> {
        let image = labels.labels();
        let shape = [image.height(), image.width()];
        out.file("labels.npy", |w| Ok(cellmap_io::npy::write(w, &shape, image.data(), "labels.npy")?))?;
        out.file("regions.csv", |w| Ok(write_regions_csv(w, regions)?))?;
        out.file("table.npz", |w| write_table_npz(w, table))?;
        match gene_names {
            Some(names) => out.file("genes.txt", |w| write_genes_txt(w, names))?,
            None => {
                let names: Vec<String> = (0..table.n_genes()).map(|g| format!("gene_{g}")).collect();
                out.file("genes.txt", |w| write_genes_txt(w, &names))?
            }
        }
        let summary = tile_summary(tile, outputs, args);
        out.file(SUMMARY, |w| Ok(writeln!(w, "{summary:#}")?))?;
        if args.csv {
            out.file("table.csv", |w| write_table_csv(w, table, gene_names))?;
        }
        if args.anndata {
            write_table_anndata(out, tile, table, regions, gene_names)?;
        }
        Ok(())
    };
    let columns: Vec<Vec<f64>> = chosen.iter().map(|&g| table.values_by_label(g)).collect();
    let write_maps = || {
        (0..=columns.len()).into_par_iter().try_for_each(|k| -> Result<()> {
            let sum;
            let (name, values) = match columns.get(k) {
                Some(values) => (map_name(chosen[k]), values),
                None => {
                    sum = summed_genes(&columns, labels.n_cells())?;
                    (SUM_MAP.to_string(), &sum)
                }
            };
            let scale = ColorScale { colormap: args.colormap, range: ranges[k], log1p: false };
            let map = paint_map(labels, values, regions, &scale, false)?;
            out.file(&name, |w| write_rgba_png(w, labels.width(), labels.height(), &map.rgba))
        })
    };
    // The tables are mostly I/O, the maps mostly CPU: overlap them.
    let (tables, maps) = rayon::join(write_tables, write_maps);
    tables?;
    maps
}

/// `run --xenium|--cosmx|--merscope`: the bundle's transcripts assigned as `assign` does, then one
/// tile named after the label file: its files, counts.npz and genes.txt (cell_ids.csv for
/// polygons). Errors are the bundle's (exit 1), not a failed tile.
fn run_bundle(args: &RunArgs, started: Instant) -> Result<()> {
    let overwrite = args.overwrite.overwrite;
    let mut job = TranscriptJob {
        labels: args.dir.clone(),
        transcripts: None,
        preset: PresetArg::Auto,
        transform: None,
        frame: args.frame.clone(),
    };
    let (bundle, labels_path, transcripts_path) = job.resolve(&args.bundle)?;
    let name = bundle_tile_name(&labels_path);
    let folder = args.output.join(&name);
    let polygons = crate::cmd::rasterize::is_polygon_file(&labels_path);
    let early = match &args.genes {
        Some(GenesArg::Columns(genes)) => Some(genes),
        _ => None,
    };
    let mut files = tile_outputs(&folder, args, early);
    let extra: &[&str] = if polygons { &BUNDLE_OUTPUTS } else { &BUNDLE_OUTPUTS[..1] };
    files.extend(extra.iter().map(|file| folder.join(file)));
    let outputs: Vec<&Path> = [args.output.as_path(), folder.as_path()]
        .into_iter()
        .chain(files.iter().map(PathBuf::as_path))
        .collect();
    check_paths(&[&labels_path, &transcripts_path], &outputs)?;
    check_all([labels_path.as_path(), transcripts_path.as_path()])?;
    let _lock = output_folder(&args.output)?;
    check_tile_folder(&folder)?;
    refuse_existing(&files, overwrite)?;
    let progress = if args.json || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let spinner = ProgressBar::new_spinner().with_finish(ProgressFinish::AndClear);
        spinner.enable_steady_tick(Duration::from_millis(120));
        spinner
    };
    progress.set_message(format!("{}: reading and assigning transcripts", transcripts_path.display()));
    let assigned = job.assign(&labels_path, &transcripts_path, bundle.as_ref())?;
    let (labels, gene_names, counts) = (&assigned.labels, &assigned.table.gene_names, &assigned.counts);
    let in_table = |e: cellmap::Error| anyhow!("{}: {e}", transcripts_path.display());
    let selected = match &args.genes {
        Some(GenesArg::Columns(genes)) => {
            genes.check(gene_names.len()).map_err(in_table)?;
            genes.clone()
        }
        Some(GenesArg::Names(names)) => GeneSelection::from_names(names, gene_names).map_err(in_table)?,
        // A bundle's table has at least one gene.
        None => GeneSelection::parse(&format!("0..{}", gene_names.len().clamp(1, BUNDLE_GENES)))?,
    };
    let chosen: Vec<usize> = selected.iter().collect();
    progress.set_message(format!("{}: table and {} maps", name.to_string_lossy(), chosen.len() + 1));
    let table = CellTable::from_counts(counts, args.stat.unwrap_or(Stat::Sum))?;
    let regions = regions(labels)?;
    let range = match args.vmin.zip(args.vmax) {
        Some((vmin, vmax)) => Range::Fixed { vmin, vmax },
        None => Range::MinMax,
    };
    let out = StagedDir::new(&args.output, &folder, overwrite)?;
    let tile = name.to_string_lossy();
    let sources = [("labels", labels_path.as_path()), ("transcripts", transcripts_path.as_path())];
    let outputs = TileOutputs {
        labels,
        regions: &regions,
        table: &table,
        gene_names: Some(gene_names),
        sources: &sources,
        mask_kind: MaskKind::Labels,
    };
    write_tile(&out, &tile, &outputs, &chosen, &vec![range; chosen.len() + 1], args)?;
    out.file("counts.npz", |w| write_counts_npz(w, counts))?;
    if let Some(ids) = &assigned.polygon_ids {
        out.file("cell_ids.csv", |w| Ok(cellmap_io::polygons::write_ids_csv(w, "cell_ids.csv", ids)?))?;
    }
    out.commit()?;
    progress.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let (what, transcripts) = assigned.summary(!job.frame.filters.is_empty());
    let (cells, genes) = (labels.n_cells(), gene_names.len());
    let text = format!(
        "ok    {tile}: {cells} cells, {genes} genes, {seconds:.2} s; {what}\n1 tiles: 1 ok, 0 failed, \
         {seconds:.2} s -> {}",
        args.output.display()
    );
    let report = TileReport {
        name: tile.into_owned(),
        ok: true,
        cells: Some(cells),
        genes: Some(genes),
        nnz: Some(counts.nnz()),
        seconds,
        mask_kind: Some(MaskKind::Labels.name()),
        mask_kind_reason: None,
        error: None,
        transcripts: Some(transcripts),
    };
    let summary =
        json!({ "tiles": [report], "ok": 1, "failed": 0, "seconds": seconds, "output": args.output });
    emit(args.json, summary, &text)
}

/// The files a bundle's tile gets besides a tile's: `assign`'s counts, and the polygon ids of
/// drawn labels.
const BUNDLE_OUTPUTS: [&str; 2] = ["counts.npz", "cell_ids.csv"];

/// A bundle's tile: the label file's name without its extensions (`cells` of cells.zarr.zip,
/// `CellLabels_F002` of CellLabels_F002.tif, `cell_boundaries` of cell_boundaries.csv.gz).
fn bundle_tile_name(labels: &Path) -> OsString {
    let stem = labels.file_stem().map(Path::new).unwrap_or(Path::new("labels"));
    match stem.extension().and_then(|e| e.to_str()) {
        Some("zarr" | "csv" | "tsv" | "json" | "geojson") => {
            stem.file_stem().unwrap_or_default().to_os_string()
        }
        _ => stem.as_os_str().to_os_string(),
    }
}

/// Worker threads: `-j` (default: every core available), at most the cores available. Not also
/// capped by the number of tiles: a tile's own work (reading its mask while its matrix inflates,
/// writing its tables while its maps are painted) runs on the same pool.
pub fn worker_threads(jobs: Option<usize>) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    jobs.map_or(cores, |jobs| jobs.clamp(1, cores))
}

/// Per-cell sum over several genes' values by label, NaN skipped (NaN if every value is NaN).
fn summed_genes(columns: &[Vec<f64>], cells: usize) -> Result<Vec<f64>> {
    let mut total = vec![f64::NAN; cells + 1];
    for column in columns {
        add_layer(&mut total, column)?;
    }
    Ok(total)
}

/// One gene name per line, as many as the expression has genes.
pub fn read_gene_names(path: &std::path::Path, genes: usize) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let names: Vec<String> = text.lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect();
    if names.len() != genes {
        bail!("{}: {} gene names but the expression has {genes} genes", path.display(), names.len());
    }
    Ok(names)
}

fn write_table_npz(w: &mut Output, table: &CellTable) -> Result<()> {
    let mut npz = cellmap_io::npz::NpzWriter::new(w, "table.npz");
    let (cells, genes) = (table.n_cells(), table.n_genes());
    let shape = [cells, genes];
    let stat = table.stat().name();
    match table.values() {
        TableValues::F64(v) => npz.add(stat, &shape, v)?,
        TableValues::I64(v) => npz.add(stat, &shape, v)?,
        TableValues::F32(v) => npz.add(stat, &shape, v)?,
    }
    let cell_ids: Vec<i32> = (1..=cells).map(|c| c as i32).collect();
    npz.add("cell_id", &[cells], &cell_ids)?;
    let gene_ids: Vec<i64> = (0..genes).map(|g| g as i64).collect();
    npz.add("gene", &[genes], &gene_ids)?;
    npz.finish()?;
    Ok(())
}

/// The table as `anndata.zarr`: X = the statistic, obs = the cells' regions, var = the gene
/// names (`gene_<i>` without a genes file). Sums and counts are sparse (CSR of the nonzero
/// entries: a cell without a gene has 0 of it); means, minima and maxima stay dense, since their
/// missing value (a cell without the gene) is NaN, not 0.
fn write_table_anndata(
    out: &StagedDir,
    tile: &str,
    table: &CellTable,
    regions: &[cellmap::Region],
    names: Option<&[String]>,
) -> Result<()> {
    use cellmap_io::anndata::{Matrix, Values};
    let var_names: Vec<String> = match names {
        Some(names) => names.to_vec(),
        None => (0..table.n_genes()).map(|g| format!("gene_{g}")).collect(),
    };
    let (cells, genes) = (table.n_cells(), table.n_genes());
    let csr = match (table.stat(), table.values()) {
        (Stat::Sum | Stat::Count, TableValues::F64(v)) => {
            Some(nonzero_rows(v, cells, genes, OwnedValues::F64)?)
        }
        (Stat::Sum | Stat::Count, TableValues::I64(v)) => {
            Some(nonzero_rows(v, cells, genes, OwnedValues::I64)?)
        }
        (Stat::Sum | Stat::Count, TableValues::F32(v)) => {
            Some(nonzero_rows(v, cells, genes, OwnedValues::F32)?)
        }
        _ => None,
    };
    let x = match (&csr, table.values()) {
        (Some((indptr, indices, data)), _) => Matrix::Csr { indptr, indices, data: data.values() },
        (None, TableValues::F64(v)) => Matrix::Dense(Values::F64(v)),
        (None, TableValues::I64(v)) => Matrix::Dense(Values::I64(v)),
        (None, TableValues::F32(v)) => Matrix::Dense(Values::F32(v)),
    };
    let obs = crate::anndata::CellObs::new(regions);
    crate::anndata::write_store(
        out,
        &format!("{ANNDATA}/"),
        &format!("{tile}/{ANNDATA}"),
        &obs,
        &var_names,
        x,
    )
}

/// Values of one dtype, owned (the data of a CSR built here).
enum OwnedValues {
    F64(Vec<f64>),
    I64(Vec<i64>),
    F32(Vec<f32>),
}

impl OwnedValues {
    fn values(&self) -> cellmap_io::anndata::Values<'_> {
        use cellmap_io::anndata::Values;
        match self {
            OwnedValues::F64(v) => Values::F64(v),
            OwnedValues::I64(v) => Values::I64(v),
            OwnedValues::F32(v) => Values::F32(v),
        }
    }
}

/// The nonzero entries of a row-major `rows × genes` table as CSR: row pointers, column
/// indices, and the values wrapped by `wrap`.
fn nonzero_rows<T: Copy + Default + PartialEq>(
    values: &[T],
    rows: usize,
    genes: usize,
    wrap: fn(Vec<T>) -> OwnedValues,
) -> Result<(Vec<i64>, Vec<i32>, OwnedValues)> {
    let mut indptr = vec![0i64];
    let (mut indices, mut data) = (Vec::new(), Vec::new());
    for r in 0..rows {
        let row = values.get(r * genes..(r + 1) * genes).context("a table row past the end")?;
        for (g, &v) in row.iter().enumerate() {
            if v != T::default() {
                indices.push(i32::try_from(g).context("more than 2^31 genes")?);
                data.push(v);
            }
        }
        indptr.push(data.len() as i64);
    }
    Ok((indptr, indices, wrap(data)))
}

fn write_table_csv(w: &mut Output, table: &CellTable, names: Option<&[String]>) -> Result<()> {
    let (cells, genes) = (table.n_cells(), table.n_genes());
    write!(w, "cell_id")?;
    for g in 0..genes {
        match names {
            Some(names) => write!(w, ",{}", names[g])?,
            None => write!(w, ",gene_{g}")?,
        }
    }
    writeln!(w)?;
    for c in 0..cells {
        write!(w, "{}", c + 1)?;
        let row = c * genes..(c + 1) * genes;
        match table.values() {
            TableValues::F64(v) => v[row].iter().try_for_each(|x| write!(w, ",{x:?}"))?,
            TableValues::I64(v) => v[row].iter().try_for_each(|x| write!(w, ",{x}"))?,
            TableValues::F32(v) => v[row].iter().try_for_each(|x| write!(w, ",{x:?}"))?,
        }
        writeln!(w)?;
    }
    Ok(())
}
