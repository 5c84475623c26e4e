//! A tile folder that `cellmap run` wrote, read back (for `cellmap publish RUN_DIR`): its summary
//! `run.json`, the label image `labels.npy`, the table `table.npz` and the gene names
//! `genes.txt`. Everything a site needs is there, so nothing is recomputed and the run's inputs
//! are not read again.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use cellmap::{CellTable, LabelImage, Stat, TableValues};
use cellmap_io::npy::ArrayData;
use serde_json::Value;

/// The summary `run` writes into each tile folder.
pub const SUMMARY: &str = "run.json";

/// What a summary's `generator` says.
pub const GENERATOR: &str = "cellmap run";

/// A summary is a few hundred bytes; a larger file is not one (and is not read).
const MAX_SUMMARY_BYTES: u64 = 1 << 20;

/// The files of a tile folder that publish reads.
pub const READ: [&str; 4] = [SUMMARY, "labels.npy", "table.npz", "genes.txt"];

/// An input file: its role (`mask`, `expression`, `genes`, `labels`, `transcripts`), name and
/// size, as a run's summary and a site's manifest record it.
pub struct Source {
    pub role: String,
    pub name: String,
    pub bytes: Option<u64>,
}

impl Source {
    /// The file at `path` now.
    pub fn of(role: &str, path: &Path) -> Source {
        Source {
            role: role.to_string(),
            name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            bytes: std::fs::metadata(path).map(|m| m.len()).ok(),
        }
    }
}

/// A tile folder of `cellmap run`, read.
pub struct RunTile {
    /// The tile's name (the run's, e.g. `demo_0`).
    pub tile: String,
    pub labels: LabelImage,
    pub table: CellTable,
    pub genes: Vec<String>,
    /// The run's inputs: mask, expression (genes) or labels, transcripts.
    pub sources: Vec<Source>,
    /// The table came from transcripts (a bundle's run): it counts them.
    pub transcripts: bool,
}

/// The tile folder of `dir`: `dir` itself when it holds a summary, else its only subfolder that
/// does (a run's output folder of one tile). An error says why `dir` is none of these.
pub fn find(dir: &Path) -> Result<PathBuf> {
    if dir.join(SUMMARY).is_file() {
        return Ok(dir.to_path_buf());
    }
    let mut tiles: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot read the folder", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join(SUMMARY).is_file())
        .collect();
    tiles.sort();
    match &tiles[..] {
        [tile] => Ok(tile.clone()),
        [] if dir.join("labels.npy").is_file() && dir.join("table.npz").is_file() => bail!(
            "{}: has no {SUMMARY} (written by a cellmap run older than this publish?): run it again, or \
             publish from its inputs (MASK EXPRESSION)",
            dir.display()
        ),
        [] => bail!(
            "{}: is not a folder `cellmap run` wrote (no {SUMMARY} in it or in a tile folder under it); \
             publish takes MASK EXPRESSION, MASK --transcripts TABLE, a bundle flag, or a run's output \
             folder",
            dir.display()
        ),
        many => {
            let names: Vec<String> = many
                .iter()
                .take(5)
                .map(|p| p.file_name().unwrap_or_default().to_string_lossy().into_owned())
                .collect();
            let more = if many.len() > 5 { ", ..." } else { "" };
            bail!(
                "{}: holds {} tiles ({}{more}); a site shows one: publish one of them, e.g. cellmap publish \
                 {} -o SITE",
                dir.display(),
                many.len(),
                names.join(", "),
                many[0].display()
            )
        }
    }
}

/// Reads the tile folder `folder` (see [`find`]).
pub fn read(folder: &Path) -> Result<RunTile> {
    let path = folder.join(SUMMARY);
    let size = std::fs::metadata(&path).with_context(|| format!("{}: cannot read", path.display()))?.len();
    if size > MAX_SUMMARY_BYTES {
        bail!("{}: {size} bytes, too large for a summary of `{GENERATOR}`", path.display());
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("{}: cannot read", path.display()))?;
    let summary: Value = serde_json::from_str(&text)
        .map_err(|e| anyhow!("{}: not JSON ({e}): not a summary of `{GENERATOR}`", path.display()))?;
    if summary["generator"] != GENERATOR {
        bail!(
            "{}: not a summary of `{GENERATOR}` (its generator is {})",
            path.display(),
            summary["generator"]
        );
    }
    let field = |key: &str| {
        summary[key].as_str().ok_or_else(|| anyhow!("{}: no \"{key}\" (a damaged summary)", path.display()))
    };
    let tile = field("tile")?.to_string();
    let stat = Stat::from_name(field("statistic")?)
        .ok_or_else(|| anyhow!("{}: unknown statistic {}", path.display(), summary["statistic"]))?;
    let sources: Vec<Source> = summary["sources"]
        .as_array()
        .ok_or_else(|| anyhow!("{}: no \"sources\" (a damaged summary)", path.display()))?
        .iter()
        .map(|s| Source {
            role: s["role"].as_str().unwrap_or_default().to_string(),
            name: s["name"].as_str().unwrap_or_default().to_string(),
            bytes: s["bytes"].as_u64(),
        })
        .collect();
    let transcripts = sources.iter().any(|s| s.role == "transcripts");
    let labels_path = folder.join("labels.npy");
    let labels = LabelImage::read(&labels_path)?;
    let table = read_table(&folder.join("table.npz"), stat)?;
    if table.n_cells() != labels.n_cells() {
        bail!(
            "{}: {} rows, but {} has {} cells (files of different runs?)",
            folder.join("table.npz").display(),
            table.n_cells(),
            labels_path.display(),
            labels.n_cells()
        );
    }
    let genes = crate::cmd::run::read_gene_names(&folder.join("genes.txt"), table.n_genes())?;
    Ok(RunTile { tile, labels, table, genes, sources, transcripts })
}

/// `table.npz`'s table of `stat` (the member named after it, `(cells, genes)`).
fn read_table(path: &Path, stat: Stat) -> Result<CellTable> {
    let mut npz = cellmap_io::fs::open_npz(path, &cellmap_io::Limits::default())?;
    if !npz.names().iter().any(|n| n == stat.name()) {
        bail!("{}: no array {:?} (the run's statistic)", path.display(), stat.name());
    }
    let (shape, data) = npz.array(stat.name())?.into_parts();
    let [cells, genes] = shape[..] else {
        bail!("{}: {} is not a (cells, genes) table (shape {shape:?})", path.display(), stat.name());
    };
    let values = match data {
        ArrayData::F64(v) => TableValues::F64(v),
        ArrayData::I64(v) => TableValues::I64(v),
        ArrayData::F32(v) => TableValues::F32(v),
        _ => bail!("{}: {} is not float64, int64 or float32", path.display(), stat.name()),
    };
    CellTable::from_values(stat, cells, genes, values).map_err(|e| anyhow!("{}: {e}", path.display()))
}
