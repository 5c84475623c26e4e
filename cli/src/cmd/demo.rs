//! `cellmap demo`: a small synthetic tile folder made by the pipeline's demo (cellmap-sim).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use cellmap::demo::write_factor_truth_csv;
use cellmap::{CellImage, Demo};
use cellmap_io::npy::{Array, ArrayData};
use flate2::write::GzEncoder;
use serde_json::json;

use crate::args::{DemoArgs, SegmentationArgs};
use crate::cmd::run::cells_of;
use crate::out::{Output, Staged, output_folder, refuse_existing};
use crate::report::emit;

/// The files of tile `demo_<k>`: `demo_<k><suffix>`.
const SUFFIXES: [&str; 5] = [".npy", "_ST_1024.npz", "_genes.txt", "_transcripts.csv.gz", "_truth.csv"];

pub fn run(args: DemoArgs) -> Result<()> {
    if args.tiles == 0 {
        anyhow::bail!("--tiles must be at least 1");
    }
    let overwrite = args.overwrite.overwrite;
    let file = |name: &str, suffix: &str| args.output.join(format!("{name}{suffix}"));
    let files: Vec<PathBuf> =
        (0..args.tiles).flat_map(|k| SUFFIXES.map(|suffix| file(&format!("demo_{k}"), suffix))).collect();
    let _lock = output_folder(&args.output)?;
    refuse_existing(&files, overwrite)?;
    // The truth names cells as `cellmap run` labels them without flags.
    let segmentation = SegmentationArgs::defaults()?;
    let mut names = Vec::new();
    let mut staged = Staged::new(overwrite);
    for k in 0..args.tiles {
        let demo = Demo::new(args.seed + k as u64, args.size, args.size, args.genes)?;
        let name = format!("demo_{k}");
        let mask_path = file(&name, SUFFIXES[0]);
        let mask_dest = mask_path.display().to_string();
        let mask = demo.mask();
        let shape = [mask.height(), mask.width()];
        let pixels: Vec<u8> = mask.data().iter().map(|&cell| if cell { 255 } else { 0 }).collect();
        staged.file(&mask_path, |w| Ok(cellmap_io::npy::write(w, &shape, &pixels, &mask_dest)?))?;
        let csr_path = file(&name, SUFFIXES[1]);
        let csr_dest = csr_path.display().to_string();
        staged.file(&csr_path, |w| {
            demo.expression().csr().write(w, &csr_dest)?;
            Ok(())
        })?;
        let genes_path = file(&name, SUFFIXES[2]);
        staged.file(&genes_path, |w| {
            demo.gene_names().iter().try_for_each(|g| writeln!(w, "{g}"))?;
            Ok(())
        })?;
        let transcripts_path = file(&name, SUFFIXES[3]);
        staged.file(&transcripts_path, |w| write_transcripts_gz(w, &demo))?;
        // The mask as `run` reads it back: the same array, the same label policy.
        let image = Array::new(shape.to_vec(), ArrayData::U8(pixels), &mask_dest)?;
        let cells =
            cells_of(CellImage::from_array(&image, &mask_dest, segmentation.mask_kind)?, &segmentation)?;
        let factors = demo.dominant_factors(&cells.labels)?;
        let truth_path = file(&name, SUFFIXES[4]);
        staged.file(&truth_path, |w| Ok(write_factor_truth_csv(w, &factors)?))?;
        names.push(name);
    }
    staged.commit()?;
    let text = format!(
        "{} synthetic tiles of {}×{} px with {} genes in {} (try: cellmap run {} -o OUT)",
        args.tiles,
        args.size,
        args.size,
        args.genes,
        args.output.display(),
        args.output.display()
    );
    emit(
        args.json,
        json!({ "tiles": names, "output": args.output, "size": args.size, "genes": args.genes }),
        &text,
    )?;
    Ok(())
}

/// Writes the demo's molecules as a gzip CSV `x,y,gene` (pixels; genes by the demo's names),
/// which `cellmap assign`'s default preset (GeneSegNet: x, y, gene first) reads.
fn write_transcripts_gz(w: &mut Output, demo: &Demo) -> Result<()> {
    let names = demo.gene_names();
    let mut gz = GzEncoder::new(w, flate2::Compression::fast());
    writeln!(gz, "x,y,gene")?;
    for t in demo.transcripts()? {
        let gene = names.get(t.gene as usize).map_or("?", String::as_str);
        writeln!(gz, "{:?},{:?},{gene}", t.x, t.y)?;
    }
    gz.finish()?;
    Ok(())
}
