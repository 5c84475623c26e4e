//! `cellmap demo`: a small synthetic tile folder made by the core simulator.

use std::io::Write;

use anyhow::{Context, Result};
use cellmap_sim::Transcript;
use flate2::write::GzEncoder;
use serde_json::json;

use crate::args::DemoArgs;
use crate::out::{Output, Staged, write_scipy_csr};
use crate::report::emit;
use crate::synth;

pub fn run(args: DemoArgs) -> Result<()> {
    if args.tiles == 0 {
        anyhow::bail!("--tiles must be at least 1");
    }
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("{}: cannot create the folder", args.output.display()))?;
    let mut names = Vec::new();
    let mut staged = Staged::default();
    for k in 0..args.tiles {
        let tile = synth::tile(args.seed + k as u64, args.size, args.genes)?;
        let name = format!("demo_{k}");
        let mask_path = args.output.join(format!("{name}.npy"));
        let mask_dest = mask_path.display().to_string();
        let shape = [tile.height, tile.width];
        staged.file(&mask_path, |w| Ok(cellmap_io::npy::write(w, &shape, &tile.mask, &mask_dest)?))?;
        let csr_path = args.output.join(format!("{name}_ST_1024.npz"));
        let csr_dest = csr_path.display().to_string();
        let to_i32 = |v: &[u32]| -> Result<Vec<i32>> {
            Ok(v.iter().map(|&x| i32::try_from(x)).collect::<Result<_, _>>()?)
        };
        let (indptr, indices) = (to_i32(&tile.indptr)?, to_i32(&tile.indices)?);
        let rows = tile.mask.len();
        staged.file(&csr_path, |w| {
            write_scipy_csr(w, &csr_dest, (rows, tile.genes), &indptr, &indices, &tile.data)
        })?;
        let transcripts_path = args.output.join(format!("{name}_transcripts.csv.gz"));
        let transcripts = tile.transcripts()?;
        staged.file(&transcripts_path, |w| write_transcripts_gz(w, &transcripts))?;
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

/// Writes transcripts as a gzip CSV `x,y,gene` (pixels; gene `gene_<index>`, the column names of
/// `table.csv`), which `cellmap assign`'s default preset (GeneSegNet: x, y, gene first) reads.
fn write_transcripts_gz(w: &mut Output, transcripts: &[Transcript]) -> Result<()> {
    let mut gz = GzEncoder::new(w, flate2::Compression::fast());
    writeln!(gz, "x,y,gene")?;
    for t in transcripts {
        writeln!(gz, "{:?},{:?},gene_{}", t.x, t.y, t.gene)?;
    }
    gz.finish()?;
    Ok(())
}
