//! `cellmap bench`: times every kernel (median of repeats, one thread) on a synthetic tile or on
//! the files of `bash bench/make-data.sh`.

use std::time::Instant;

use anyhow::{Result, bail};
use cellmap_core::assign;
use cellmap_core::color::{self, Colormap, Normalization};
use cellmap_core::labeling::{self, Connectivity};
use cellmap_core::regions::{self, Region};
use cellmap_core::sparse::{self, SparseIndex, SparseValue};
use cellmap_core::stats::{self, Options};
use cellmap_core::{Grid, fill};
use serde::Serialize;
use serde_json::json;

use crate::args::{BenchArgs, ClockArg};
use crate::compute::{CsrFn, CsrMeans, with_csr};
use crate::input::{Image, read_csr, read_mask};
use crate::report::emit;
use crate::synth;

/// One kernel's timing.
#[derive(Debug, Serialize)]
struct Timing {
    kernel: &'static str,
    ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    mpx_per_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mnnz_per_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mpoints_per_s: Option<f64>,
}

/// Median time (`clock`) of `repeats` runs of `f` (after one warm-up run), in ms.
fn median_ms(clock: ClockArg, repeats: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    f()?;
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats.max(1) {
        let elapsed = match clock {
            ClockArg::Wall => {
                let t0 = Instant::now();
                f()?;
                t0.elapsed()
            }
            ClockArg::Cpu => {
                let t0 = cpu_time::ThreadTime::now();
                f()?;
                t0.elapsed()
            }
        };
        times.push(elapsed.as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// One timed run of `f`, in ms; with the CPU clock, the CPU time of the whole process (the CSR
/// reader inflates a member on a second thread).
fn once<T>(clock: ClockArg, f: impl FnOnce() -> Result<T>) -> Result<(T, f64)> {
    let (value, elapsed) = match clock {
        ClockArg::Wall => {
            let t0 = Instant::now();
            (f()?, t0.elapsed())
        }
        ClockArg::Cpu => {
            let t0 = cpu_time::ProcessTime::now();
            (f()?, t0.elapsed())
        }
    };
    Ok((value, elapsed.as_secs_f64() * 1e3))
}

fn clock_name(clock: ClockArg) -> &'static str {
    match clock {
        ClockArg::Wall => "wall",
        ClockArg::Cpu => "cpu",
    }
}

/// The timings, in a fixed order.
struct Report {
    pixels: f64,
    nnz: f64,
    rows: Vec<Timing>,
}

impl Report {
    fn pixels(&mut self, kernel: &'static str, ms: f64) {
        let mpx_per_s = Some(self.pixels / ms / 1e3);
        self.rows.push(Timing { kernel, ms, mpx_per_s, mnnz_per_s: None, mpoints_per_s: None });
    }
    fn nonzeros(&mut self, kernel: &'static str, ms: f64) {
        let mnnz_per_s = Some(self.nnz / ms / 1e3);
        self.rows.push(Timing { kernel, ms, mpx_per_s: None, mnnz_per_s, mpoints_per_s: None });
    }
}

pub fn run(args: BenchArgs) -> Result<()> {
    let repeats = args.repeats.max(1);
    let clock = args.clock;
    let mut file_rows = Vec::new();
    let (source, mask, csr) = match &args.data {
        Some(dir) => {
            let n = args.size;
            let mask_path = dir.join(format!("mask_{n}x{n}_s0.npy"));
            let csr_path = dir.join(format!("st_{n}x{n}_s0_g5100_d0.01.npz"));
            for p in [&mask_path, &csr_path] {
                if !p.exists() {
                    bail!("{}: missing; run `bash bench/make-data.sh` first", p.display());
                }
            }
            let (mask, ms) = once(clock, || read_mask(&mask_path))?;
            file_rows.push(("read_mask", ms));
            let (csr, ms) = once(clock, || read_csr(&csr_path))?;
            file_rows.push(("read_csr", ms));
            (dir.display().to_string(), mask, Matrix::File(csr))
        }
        None => {
            let tile = synth::tile(0, args.size, args.genes)?;
            let mask = Image {
                width: tile.width,
                height: tile.height,
                data: tile.mask.iter().map(|&m| m != 0).collect(),
            };
            ("synthetic".to_string(), mask, Matrix::Synthetic(tile))
        }
    };
    let (width, height, n) = (mask.width, mask.height, mask.data.len());
    let nnz = csr.nnz();
    let mut report = Report { pixels: n as f64, nnz: nnz as f64, rows: Vec::new() };
    for (kernel, ms) in file_rows {
        match kernel {
            "read_csr" => report.nonzeros(kernel, ms),
            _ => report.pixels(kernel, ms),
        }
    }

    let grid = mask.grid();
    let mut scratch = vec![0u32; labeling::fill_holes_and_label_scratch_len(width, height)];
    let mut filled = vec![false; n];
    let mut labels = vec![0i32; n];
    let ms =
        median_ms(clock, repeats, || Ok(fill::fill_holes(grid, &mut filled, &mut scratch).map(|_| ())?))?;
    report.pixels("fill_holes", ms);
    let filled_grid = Grid::new(width, height, &filled[..])?;
    for (kernel, connectivity) in [("label4", Connectivity::Four), ("label8", Connectivity::Eight)] {
        let ms = median_ms(clock, repeats, || {
            Ok(labeling::label(filled_grid, connectivity, &mut labels, &mut scratch).map(|_| ())?)
        })?;
        report.pixels(kernel, ms);
    }
    let mut cells = 0;
    let ms = median_ms(clock, repeats, || {
        cells = labeling::fill_holes_and_label(grid, Connectivity::Four, &mut labels, &mut scratch)?;
        Ok(())
    })?;
    report.pixels("fill_label", ms);
    let labels = Grid::new(width, height, &labels[..])?;

    // One dense gene (column 10, or the last one) for the per-cell mean.
    let gene = 10.min(csr.genes().saturating_sub(1));
    let dense = csr.view(DenseColumn { gene, pixels: n })?;
    let values = Grid::new(width, height, &dense[..])?;
    let (mut counts, mut means) = (vec![0u32; stats::table_len(cells)], vec![0f64; stats::table_len(cells)]);
    let ms = median_ms(clock, repeats, || {
        Ok(stats::cell_means(labels, values, cells, Options::new(), &mut counts, &mut means)?)
    })?;
    report.pixels("mean_dense", ms);

    /// All-genes per-cell means within the mask; `keep_zeros`: mean over every pixel (what
    /// `scanpy.get.aggregate`'s mean is), else over the nonzero values (the research scripts').
    struct CsrMean<'a> {
        labels: Grid<'a, i32>,
        within: Grid<'a, bool>,
        cells: usize,
        keep_zeros: bool,
        clock: ClockArg,
        repeats: usize,
    }
    impl CsrFn<f64> for CsrMean<'_> {
        fn call<I: SparseIndex, V: SparseValue>(self, x: &sparse::Csr<'_, I, V>) -> Result<f64> {
            let mut buffers = CsrMeans::new(self.labels.len(), self.cells, x.cols());
            let options = Options::new().within(self.within);
            let options = if self.keep_zeros { options.keep_zeros() } else { options };
            median_ms(self.clock, self.repeats, || buffers.compute(self.labels, x, self.cells, options))
        }
    }
    for (kernel, keep_zeros) in [("csr_mean", false), ("csr_mean_keep_zeros", true)] {
        let csr_mean = CsrMean { labels, within: grid, cells, keep_zeros, clock, repeats: repeats.min(5) };
        report.nonzeros(kernel, csr.view(csr_mean)?);
    }

    let mut regions_out = vec![Region::EMPTY; stats::table_len(cells)];
    let ms = median_ms(clock, repeats, || Ok(regions::region_props(labels, cells, &mut regions_out)?))?;
    report.pixels("regions", ms);

    let cell_values: Vec<f64> = means[1..].to_vec();
    let mut levels = vec![None; cells];
    let mut table = vec![[0u8; 4]; cells + 1];
    let mut rgba = vec![[0u8; 4]; n];
    let ms = median_ms(clock, repeats, || {
        color::normalize(&cell_values, &Normalization::default(), &mut [], &mut levels)?;
        color::cell_colors(&levels, Colormap::Viridis, [0, 0, 0, 255], [96, 96, 96, 255], &mut table)?;
        Ok(color::paint(labels, &table, None, &mut rgba)?)
    })?;
    report.pixels("paint", ms);

    // Gene-major transposition (the viewer's per-gene layout), then one gene's per-cell mean from it.
    struct Transpose {
        clock: ClockArg,
        repeats: usize,
    }
    impl CsrFn<f64> for Transpose {
        fn call<I: SparseIndex, V: SparseValue>(self, x: &sparse::Csr<'_, I, V>) -> Result<f64> {
            let mut gene_ptr = vec![0usize; sparse::gene_ptr_len(x.cols())];
            let (mut pixels, mut values) = (vec![0u32; x.nnz()], vec![x.data()[0]; x.nnz()]);
            median_ms(self.clock, self.repeats, || {
                sparse::csr_to_gene_major(x, &mut gene_ptr, &mut pixels, &mut values)?;
                Ok(())
            })
        }
    }
    if nnz > 0 {
        let ms = csr.view(Transpose { clock, repeats: repeats.min(5) })?;
        report.nonzeros("transpose", ms);
    }

    // Transcripts: one point per 4 pixels on a jittered lattice, looked up in the labels.
    let points = n / 4;
    let xs: Vec<f64> = (0..points).map(|i| ((i * 7919) % width) as f64 + 0.37).collect();
    let ys: Vec<f64> = (0..points).map(|i| ((i * 104_729) % height) as f64 + 0.61).collect();
    let mut assigned = vec![0u32; points];
    let ms = median_ms(clock, repeats, || {
        Ok(assign::assign_points(labels, &xs, &ys, 1.0, &mut assigned).map(|_| ())?)
    })?;
    report.rows.push(Timing {
        kernel: "assign",
        ms,
        mpx_per_s: None,
        mnnz_per_s: None,
        mpoints_per_s: Some(points as f64 / ms / 1e3),
    });
    let mut nearest = vec![0u32; n];
    let mut scratch = vec![0u32; assign::nearest_cell_scratch_len(width, height)];
    let ms =
        median_ms(clock, repeats, || Ok(assign::nearest_cell_map(labels, 3.0, &mut nearest, &mut scratch)?))?;
    report.pixels("nearest_map", ms);

    let mut text = format!(
        "{source}: {height}×{width} px, {cells} cells, {} genes, {nnz} nonzeros; median {} time of {repeats} (ms)\n",
        csr.genes(),
        clock_name(clock)
    );
    text += &format!("{:<12} {:>10} {:>10} {:>10} {:>10}\n", "kernel", "ms", "Mpx/s", "Mnnz/s", "Mpoints/s");
    for t in &report.rows {
        let rate = |r: Option<f64>| r.map_or(String::from("-"), |r| format!("{r:.1}"));
        let (px, nz, pts) = (rate(t.mpx_per_s), rate(t.mnnz_per_s), rate(t.mpoints_per_s));
        text += &format!("{:<12} {:>10.3} {px:>10} {nz:>10} {pts:>10}\n", t.kernel, t.ms);
    }
    let summary = json!({
        "source": source,
        "width": width,
        "height": height,
        "cells": cells,
        "genes": csr.genes(),
        "nnz": nnz,
        "repeats": repeats,
        "clock": clock_name(clock),
        "threads": 1,
        "results": report.rows,
    });
    emit(args.json, summary, text.trim_end())?;
    Ok(())
}

/// The CSR under test: read from a file or simulated.
enum Matrix {
    File(cellmap_io::npz::Csr),
    Synthetic(synth::SynthTile),
}

impl Matrix {
    fn nnz(&self) -> usize {
        match self {
            Matrix::File(c) => c.nnz(),
            Matrix::Synthetic(t) => t.data.len(),
        }
    }

    fn genes(&self) -> usize {
        match self {
            Matrix::File(c) => c.shape.1,
            Matrix::Synthetic(t) => t.genes,
        }
    }

    /// Runs `f` on the core's view of the matrix.
    fn view<R>(&self, f: impl CsrFn<R>) -> Result<R> {
        match self {
            Matrix::File(c) => with_csr(c, f),
            Matrix::Synthetic(t) => f.call(&sparse::Csr::new(t.genes, &t.indptr, &t.indices, &t.data)?),
        }
    }
}

/// Column `gene` of a CSR as a dense image (duplicates summed): the dense kernel's input.
struct DenseColumn {
    gene: usize,
    pixels: usize,
}

impl CsrFn<Vec<f32>> for DenseColumn {
    fn call<I: SparseIndex, V: SparseValue>(self, x: &sparse::Csr<'_, I, V>) -> Result<Vec<f32>> {
        let mut out = vec![0f32; self.pixels];
        for (row, span) in x.indptr().windows(2).enumerate() {
            let (start, end) = (span[0].as_index(), span[1].as_index());
            for (&col, &v) in x.indices()[start..end].iter().zip(&x.data()[start..end]) {
                if col.as_index() == self.gene {
                    out[row] += v.to_f64() as f32;
                }
            }
        }
        Ok(out)
    }
}
