//! AnnData zarr stores written through the output policy (staged, then moved into place).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use cellmap::Region;
use cellmap_io::anndata::{AnnData, Matrix, Values, write_zarr};
use cellmap_io::zarr_write::Sink;

use anyhow::Context;

use crate::out::{StagedDir, remove_stale_temporaries};

/// The files every store has: an existing store is refused (unless `--overwrite`) by these.
pub fn store_outputs(store: &Path) -> Vec<PathBuf> {
    [".zgroup", ".zattrs"].iter().map(|name| store.join(name)).collect()
}

/// A store of its own (`assign --anndata`), staged in the folder that will hold it (created if
/// missing; the temporaries of killed runs there are removed first).
pub fn stage_store(store: &Path, overwrite: bool) -> Result<StagedDir> {
    let root = store.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(root).with_context(|| format!("{}: cannot create a folder", root.display()))?;
    remove_stale_temporaries(root);
    StagedDir::new(root, store, overwrite)
}

/// A zarr sink writing the keys as files `prefix + key` of a [`StagedDir`].
struct Staged<'a> {
    out: &'a StagedDir,
    prefix: &'a str,
}

impl Sink for Staged<'_> {
    fn put(
        &mut self,
        key: &str,
        body: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        self.out
            .file(&format!("{}{key}", self.prefix), |w| Ok(body(w)?))
            .map_err(|e| std::io::Error::other(format!("{e:#}")))
    }
}

/// Per-cell `obs` columns from the regions (entry 0, the background, skipped): cell ids 1..=N,
/// areas, centroids, and `obsm["spatial"]` = (x, y) = (centroid column, centroid row).
pub struct CellObs {
    ids: Vec<i64>,
    area: Vec<i64>,
    row: Vec<f64>,
    col: Vec<f64>,
    spatial: Vec<f64>,
}

impl CellObs {
    pub fn new(regions: &[Region]) -> Self {
        let cells = &regions[1.min(regions.len())..];
        let centroids: Vec<(f64, f64)> = cells.iter().map(Region::centroid).collect();
        Self {
            ids: (1..=cells.len() as i64).collect(),
            area: cells.iter().map(|r| r.area() as i64).collect(),
            row: centroids.iter().map(|c| c.0).collect(),
            col: centroids.iter().map(|c| c.1).collect(),
            spatial: centroids.iter().flat_map(|&(row, col)| [col, row]).collect(),
        }
    }

    /// Writes the line `cell_id,area,centroid_row,centroid_col` then one line per cell.
    pub fn write_csv(&self, w: &mut dyn Write) -> std::io::Result<()> {
        writeln!(w, "cell_id,area,centroid_row,centroid_col")?;
        for k in 0..self.ids.len() {
            writeln!(w, "{},{},{:?},{:?}", self.ids[k], self.area[k], self.row[k], self.col[k])?;
        }
        Ok(())
    }
}

/// Writes an AnnData store as the files `prefix…` of `out` (`dest` names it in errors).
pub fn write_store(
    out: &StagedDir,
    prefix: &str,
    dest: &str,
    obs: &CellObs,
    var_names: &[String],
    x: Matrix<'_>,
) -> Result<()> {
    let adata = AnnData {
        obs_names: obs.ids.iter().map(i64::to_string).collect(),
        obs: vec![
            ("cell_id", Values::I64(&obs.ids)),
            ("area", Values::I64(&obs.area)),
            ("centroid_row", Values::F64(&obs.row)),
            ("centroid_col", Values::F64(&obs.col)),
        ],
        var_names,
        x,
        obsm: vec![("spatial", 2, &obs.spatial)],
    };
    write_zarr(Staged { out, prefix }, dest, &adata)?;
    Ok(())
}
