//! Vendor output folders (`assign|run --xenium DIR`, `--cosmx DIR --fov N`, `--merscope DIR`):
//! their files found by the vendors' documented names, and the frame read from them. A missing
//! file is an input error (exit 1) naming the path(s) looked for.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use crate::args::{BundleArgs, PresetArg};
use crate::cmd::assign::TranscriptJob;

/// Xenium's µm per pixel of the morphology image when experiment.xenium has no `pixel_size`.
pub const XENIUM_PIXEL_SIZE: f64 = 0.2125;

/// What a bundle flag resolved to.
#[derive(Debug)]
pub struct Bundle {
    /// The vendor, as the flag says (`--xenium`, ...), for messages.
    pub flag: &'static str,
    /// CosMx: transform `1,0,0;0,-1,H` once the label image's height H is known.
    pub flip_y: bool,
    /// Notes for stderr (defaults taken).
    pub notes: Vec<String>,
}

/// The first of `candidates` that exists, else an error naming them all.
fn first_of(flag: &str, what: &str, candidates: &[PathBuf]) -> Result<PathBuf> {
    if let Some(found) = candidates.iter().find(|p| p.is_file()) {
        return Ok(found.clone());
    }
    let names: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
    bail!("{flag}: no {what}: expected {}", names.join(" or "))
}

/// Fills the job's labels, transcripts, preset, scale, transform and filters from the bundle flag
/// of `flags`, if any. `None`: no bundle flag.
pub fn resolve(flags: &BundleArgs, job: &mut TranscriptJob) -> Result<Option<Bundle>> {
    if let Some(dir) = flags.xenium.clone() {
        folder("--xenium", &dir)?;
        let labels = first_of(
            "--xenium",
            "cell labels",
            &[
                dir.join("cells.zarr.zip"),
                dir.join("cell_boundaries.parquet"),
                dir.join("cell_boundaries.csv.gz"),
            ],
        )?;
        let transcripts = first_of(
            "--xenium",
            "transcripts",
            &[dir.join("transcripts.parquet"), dir.join("transcripts.csv.gz")],
        )?;
        let mut notes = Vec::new();
        if job.frame.scale.is_none() {
            let experiment = first_of("--xenium", "experiment file", &[dir.join("experiment.xenium")])?;
            let (size, note) = xenium_pixel_size(&experiment)?;
            notes.extend(note);
            job.frame.scale = Some(size);
        }
        job.labels = Some(labels);
        job.transcripts = Some(transcripts);
        job.preset = PresetArg::Xenium;
        return Ok(Some(Bundle { flag: "--xenium", flip_y: false, notes }));
    }
    if let Some(dir) = flags.cosmx.clone() {
        folder("--cosmx", &dir)?;
        let fov = flags.fov.unwrap_or_default();
        let name = format!("CellLabels_F{fov:03}.tif");
        let labels =
            first_of("--cosmx", "cell labels", &[dir.join("CellLabels").join(&name), dir.join(&name)])?;
        let transcripts = cosmx_tx_file(&dir)?;
        job.labels = Some(labels);
        job.transcripts = Some(transcripts);
        job.preset = PresetArg::Cosmx;
        job.frame.filters.push(("fov".to_string(), fov.to_string()));
        return Ok(Some(Bundle { flag: "--cosmx", flip_y: !flags.cosmx_y_down, notes: Vec::new() }));
    }
    if let Some(dir) = flags.merscope.clone() {
        folder("--merscope", &dir)?;
        let transcripts = first_of("--merscope", "transcripts", &[dir.join("detected_transcripts.csv")])?;
        let transform = first_of(
            "--merscope",
            "transform",
            &[dir.join("images").join("micron_to_mosaic_pixel_transform.csv")],
        )?;
        let mut notes = Vec::new();
        if job.labels.is_none() {
            // Drawn in mosaic pixels: Parquet polygons get the transcripts' transform.
            let what = "cell polygons (or give a label image of the mosaic as LABELS)";
            job.labels = Some(first_of("--merscope", what, &[dir.join("cell_boundaries.parquet")])?);
            if job.frame.shape.is_none() {
                notes.push(
                    "note: --merscope: the label image spans the polygons' extent in mosaic pixels; \
                     --shape H,W for the mosaic's size"
                        .to_string(),
                );
            }
        }
        job.transcripts = Some(transcripts);
        job.transform = Some(transform.to_string_lossy().into_owned());
        job.preset = PresetArg::Merscope;
        return Ok(Some(Bundle { flag: "--merscope", flip_y: false, notes }));
    }
    Ok(None)
}

fn folder(flag: &str, dir: &Path) -> Result<()> {
    if !dir.is_dir() {
        bail!("{flag} {}: not a folder", dir.display());
    }
    Ok(())
}

/// The one `*_tx_file.csv` or `*_tx_file.csv.gz` of a CosMx folder.
fn cosmx_tx_file(dir: &Path) -> Result<PathBuf> {
    let entries = std::fs::read_dir(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with("_tx_file.csv") || n.ends_with("_tx_file.csv.gz"))
        })
        .collect();
    found.sort();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => bail!("--cosmx: no transcripts: expected {}", dir.join("*_tx_file.csv[.gz]").display()),
        _ => {
            let names: Vec<String> = found.iter().map(|p| p.display().to_string()).collect();
            bail!(
                "--cosmx: several transcript files, give one as TRANSCRIPTS with the label image: {}",
                names.join(", ")
            )
        }
    }
}

/// `pixel_size` (µm per pixel) of experiment.xenium (JSON), with a note when it is missing.
fn xenium_pixel_size(path: &Path) -> Result<(f64, Option<String>)> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: not JSON: {e}", path.display()))?;
    match json.get("pixel_size") {
        None => Ok((
            XENIUM_PIXEL_SIZE,
            Some(format!("note: {}: no pixel_size, using {XENIUM_PIXEL_SIZE} µm per pixel", path.display())),
        )),
        Some(value) => match value.as_f64() {
            // Xenium's morphology pixels are 0.2125 µm; 10 µm or more is another unit (nm).
            Some(size) if size.is_finite() && size > 0.0 && size < 10.0 => Ok((size, None)),
            Some(size) if size >= 10.0 && size.is_finite() => bail!(
                "{}: pixel_size {size} is not µm per pixel (Xenium's is about {XENIUM_PIXEL_SIZE}; \
                 nm?); give --scale UM_PER_PX",
                path.display()
            ),
            _ => bail!("{}: pixel_size {value} is not a positive number of µm per pixel", path.display()),
        },
    }
}
