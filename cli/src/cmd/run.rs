//! `cellmap run`: the batch job over a folder of tiles (parallel tiles, progress, summary).

use std::io::{IsTerminal, Write};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::args::{RangeArg, RunArgs};
use crate::compute::{Selection, Table, csr_stat, paint_map, pixel_ranges, region_props, segment};
use crate::input::{read_csr, read_mask};
use crate::out::{Output, StagedDir, write_rgba_png};
use crate::report::emit;
use crate::tiles::{Tile, discover};

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
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Sizes of a finished tile.
struct Done {
    cells: usize,
    genes: usize,
    nnz: usize,
}

pub fn run(args: RunArgs) -> Result<()> {
    let started = Instant::now();
    let tiles = discover(&args.dir)?;
    if tiles.is_empty() {
        bail!("{}: no tiles (masks <tile>.npy, .png, .tif or .tiff)", args.dir.display());
    }
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("{}: cannot create the output folder", args.output.display()))?;
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(jobs) = args.jobs {
        pool = pool.num_threads(jobs.max(1));
    }
    let pool = pool.build().context("cannot start worker threads")?;
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
                let result = process(tile, &args);
                progress.inc(1);
                progress.set_message(tile.name.clone());
                let seconds = t0.elapsed().as_secs_f64();
                match result {
                    Ok(done) => TileReport {
                        name: tile.name.clone(),
                        ok: true,
                        cells: Some(done.cells),
                        genes: Some(done.genes),
                        nnz: Some(done.nnz),
                        seconds,
                        error: None,
                    },
                    Err(e) => {
                        let message = format!("{e:#}");
                        progress.suspend(|| eprintln!("error: tile {}: {message}", tile.name));
                        TileReport {
                            name: tile.name.clone(),
                            ok: false,
                            cells: None,
                            genes: None,
                            nnz: None,
                            seconds,
                            error: Some(message),
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
                text += &format!("ok    {}: {cells} cells, {genes} genes, {:.2} s\n", r.name, r.seconds)
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

/// The whole job for one tile; its folder appears only if everything succeeded.
fn process(tile: &Tile, args: &RunArgs) -> Result<Done> {
    let expression = tile.expression.as_ref().map_err(|why| anyhow!("{}: {why}", tile.mask.display()))?;
    // The mask is small: read and segment it while the expression matrix is inflated.
    let (segmented, csr) = rayon::join(
        || -> Result<_> {
            let mask = read_mask(&tile.mask)?;
            let seg = segment(&mask, args.segmentation, false)?;
            Ok((mask, seg))
        },
        || read_csr(expression),
    );
    let ((mask, seg), csr) = (segmented?, csr?);
    let (cells, genes, nnz) = (seg.cells, csr.shape.1, csr.nnz());
    if let Some(&g) = args.genes.0.iter().find(|&&g| g >= genes) {
        bail!("{}: gene {g} asked for, but the matrix has {genes} genes (0..{genes})", expression.display());
    }
    // The research semantics: only pixels of the original (unfilled) mask, zeros and NaN skipped.
    let selection = Selection { within: Some(&mask), keep_zeros: false };
    let table = csr_stat(&seg.labels, cells, &csr, selection, args.stat)?;
    // Per-gene map ranges: fixed, the research script's pixel range, or (None) the cells' range.
    let ranges: Vec<Option<(f64, f64)>> = match (args.vmin.zip(args.vmax), args.range) {
        (Some(fixed), _) => vec![Some(fixed); args.genes.0.len() + 1],
        (None, RangeArg::Pixels) => {
            let mut r: Vec<_> =
                pixel_ranges(&seg.labels, cells, &csr, &mask, &args.genes.0)?.into_iter().map(Some).collect();
            r.push(None); // the summed map: the cells' range
            r
        }
        (None, RangeArg::Cells) => vec![None; args.genes.0.len() + 1],
    };
    // Freeing the ~200 MB matrix takes a while: do it off the critical path.
    rayon::spawn(move || drop(csr));
    let regions = region_props(&seg.labels, cells)?;

    let out = StagedDir::new(&args.output.join(&tile.name))?;
    let labels = &seg.labels;
    let write_tables = || -> Result<()> {
        let shape = [labels.height, labels.width];
        out.file("labels.npy", |w| Ok(cellmap_io::npy::write(w, &shape, &labels.data, "labels.npy")?))?;
        out.file("regions.csv", |w| write_regions(w, &regions))?;
        let stat = format!("{:?}", args.stat).to_lowercase();
        out.file("table.npz", |w| write_table_npz(w, &table, &stat, cells, genes))?;
        if args.csv {
            out.file("table.csv", |w| write_table_csv(w, &table, cells, genes))?;
        }
        Ok(())
    };
    let colormap = args.colormap.into();
    let chosen = &args.genes.0;
    let columns: Vec<Vec<f64>> = chosen.iter().map(|&g| table.column(g, genes)).collect();
    let write_maps = || {
        (0..=columns.len()).into_par_iter().try_for_each(|k| -> Result<()> {
            let sum;
            let (name, values) = match columns.get(k) {
                Some(values) => (format!("maps/gene_{:04}.png", chosen[k]), values),
                None => {
                    sum = nan_skipping_sum(&columns, cells);
                    ("maps/sum.png".to_string(), &sum)
                }
            };
            let rgba = paint_map(labels, values, colormap, ranges[k])?;
            out.file(&name, |w| write_rgba_png(w, labels.width, labels.height, &rgba))
        })
    };
    // The tables are mostly I/O, the maps mostly CPU: overlap them.
    let (tables, maps) = rayon::join(write_tables, write_maps);
    tables?;
    maps?;
    out.commit()?;
    Ok(Done { cells, genes, nnz })
}

/// Per-cell sum over several genes' values, NaN skipped (NaN if every value is NaN).
fn nan_skipping_sum(columns: &[Vec<f64>], cells: usize) -> Vec<f64> {
    (0..cells)
        .map(|c| {
            let finite = columns.iter().map(|col| col[c]).filter(|v| !v.is_nan());
            finite.fold(None, |acc: Option<f64>, v| Some(acc.unwrap_or(0.0) + v)).unwrap_or(f64::NAN)
        })
        .collect()
}

impl Table {
    /// Column `gene` of an `(N, genes)` table, as f64.
    fn column(&self, gene: usize, genes: usize) -> Vec<f64> {
        match self {
            Table::F64(v) => v.iter().skip(gene).step_by(genes).copied().collect(),
            Table::I64(v) => v.iter().skip(gene).step_by(genes).map(|&x| x as f64).collect(),
            Table::F32(v) => v.iter().skip(gene).step_by(genes).map(|&x| f64::from(x)).collect(),
        }
    }
}

fn write_regions(w: &mut Output, regions: &[cellmap_core::regions::Region]) -> Result<()> {
    writeln!(w, "label,area,centroid_row,centroid_col,bbox_min_row,bbox_min_col,bbox_max_row,bbox_max_col")?;
    for (k, r) in regions.iter().enumerate() {
        let (cr, cc) = r.centroid();
        write!(w, "{},{},{cr:?},{cc:?},", k + 1, r.area())?;
        match r.bounding_box() {
            Some(b) => writeln!(w, "{},{},{},{}", b.row_start, b.col_start, b.row_end, b.col_end)?,
            None => writeln!(w, ",,,")?,
        }
    }
    Ok(())
}

fn write_table_npz(w: &mut Output, table: &Table, stat: &str, cells: usize, genes: usize) -> Result<()> {
    let mut npz = cellmap_io::npz::NpzWriter::new(w, "table.npz");
    let shape = [cells, genes];
    match table {
        Table::F64(v) => npz.add(stat, &shape, v)?,
        Table::I64(v) => npz.add(stat, &shape, v)?,
        Table::F32(v) => npz.add(stat, &shape, v)?,
    }
    let cell_ids: Vec<i32> = (1..=cells).map(|c| c as i32).collect();
    npz.add("cell_id", &[cells], &cell_ids)?;
    let gene_ids: Vec<i64> = (0..genes).map(|g| g as i64).collect();
    npz.add("gene", &[genes], &gene_ids)?;
    npz.finish()?;
    Ok(())
}

fn write_table_csv(w: &mut Output, table: &Table, cells: usize, genes: usize) -> Result<()> {
    write!(w, "cell_id")?;
    for g in 0..genes {
        write!(w, ",gene_{g}")?;
    }
    writeln!(w)?;
    for c in 0..cells {
        write!(w, "{}", c + 1)?;
        let row = c * genes..(c + 1) * genes;
        match table {
            Table::F64(v) => v[row].iter().try_for_each(|x| write!(w, ",{x:?}"))?,
            Table::I64(v) => v[row].iter().try_for_each(|x| write!(w, ",{x}"))?,
            Table::F32(v) => v[row].iter().try_for_each(|x| write!(w, ",{x:?}"))?,
        }
        writeln!(w)?;
    }
    Ok(())
}
