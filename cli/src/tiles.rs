//! Finding the tiles of a folder: each cell mask paired with its expression matrix.
//!
//! The rule (also in `cellmap run --help` and the README):
//! * a **mask** is a file `<tile>.npy`, `<tile>.png`, `<tile>.tif` or `<tile>.tiff`;
//!   a Cellpose suffix `_cp_masks` is dropped from `<tile>` for matching;
//! * its **expression** is `<tile>_ST_1024.npz` when that file exists (the research layout);
//!   otherwise the `.npz` files whose names start with `<tile>` are candidates, and each `.npz`
//!   belongs to the mask with the **longest** name that prefixes it (so `1_12_ST.npz` goes to
//!   `1_12`, not to `1_1`);
//! * a mask with no expression or with several candidates is a bad tile (reported, skipped);
//! * `<tile>_genes.txt`, when present, names the expression's genes (one per line, in column
//!   order), as `cellmap demo` writes it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Extensions read as masks.
const MASK_EXTENSIONS: [&str; 4] = ["npy", "png", "tif", "tiff"];
/// The research scripts' expression name: `<tile>_ST_1024.npz`.
const RESEARCH_SUFFIX: &str = "_ST_1024.npz";
/// The gene names of a tile's expression: `<tile>_genes.txt`.
const GENES_SUFFIX: &str = "_genes.txt";
/// Cellpose names its masks `<image>_cp_masks.png`.
const CELLPOSE_SUFFIX: &str = "_cp_masks";

/// The files of one tile of a folder, or the reason it cannot be processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileFiles {
    /// Tile name (mask file stem without a Cellpose suffix); names the output folder.
    pub name: String,
    /// The mask file.
    pub mask: PathBuf,
    /// The expression file, or why there is none.
    pub expression: Result<PathBuf, String>,
    /// The gene names file `<tile>_genes.txt`, if there is one.
    pub genes: Option<PathBuf>,
}

/// Lists the tiles of `dir`, sorted by name.
pub fn discover(dir: &Path) -> Result<Vec<TileFiles>> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("{}: cannot list the folder", dir.display()))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("{}: cannot list the folder", dir.display()))?;
        if entry.file_type().map(|t| t.is_file() || t.is_symlink()).unwrap_or(false) {
            if let Ok(name) = entry.file_name().into_string() {
                names.push(name);
            }
        }
    }
    Ok(pair(dir, &names))
}

/// Pairs masks with expression files among `names` (file names inside `dir`).
pub fn pair(dir: &Path, names: &[String]) -> Vec<TileFiles> {
    let mut masks: BTreeMap<String, String> = BTreeMap::new();
    let mut expressions: Vec<&str> = Vec::new();
    for name in names {
        if name.starts_with('.') {
            continue;
        }
        let Some((stem, ext)) = name.rsplit_once('.') else { continue };
        let ext = ext.to_ascii_lowercase();
        if ext == "npz" {
            expressions.push(name);
        } else if MASK_EXTENSIONS.contains(&ext.as_str()) && !stem.is_empty() {
            let tile = stem.strip_suffix(CELLPOSE_SUFFIX).filter(|t| !t.is_empty()).unwrap_or(stem);
            // Two masks for one tile (e.g. a.npy and a.png): keep the first by name, report it below.
            masks.entry(tile.to_owned()).or_insert_with(|| name.clone());
        }
    }
    let mut candidates: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for &npz in &expressions {
        let owner = masks.keys().filter(|tile| npz.starts_with(tile.as_str())).max_by_key(|tile| tile.len());
        if let Some(owner) = owner {
            candidates.entry(owner.as_str()).or_default().push(npz);
        }
    }
    masks
        .iter()
        .map(|(tile, mask)| {
            let research = format!("{tile}{RESEARCH_SUFFIX}");
            let found = candidates.get(tile.as_str()).map(Vec::as_slice).unwrap_or(&[]);
            let expression = if found.contains(&research.as_str()) {
                Ok(dir.join(research))
            } else {
                match found {
                    [one] => Ok(dir.join(one)),
                    [] => Err(format!("no expression file `{tile}{RESEARCH_SUFFIX}` or `{tile}*.npz`")),
                    many => Err(format!("ambiguous expression files: {}", many.join(", "))),
                }
            };
            let genes_file = format!("{tile}{GENES_SUFFIX}");
            let genes = names.contains(&genes_file).then(|| dir.join(genes_file));
            TileFiles { name: tile.clone(), mask: dir.join(mask), expression, genes }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiles(names: &[&str]) -> Vec<(String, String, Result<String, String>)> {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        pair(Path::new("d"), &names)
            .into_iter()
            .map(|t| {
                let file = |p: PathBuf| p.file_name().unwrap().to_string_lossy().into_owned();
                (t.name, file(t.mask), t.expression.map(file))
            })
            .collect()
    }

    #[test]
    fn research_layout_pairs_by_st_suffix() {
        let got = tiles(&["1_12.npy", "1_12_ST_1024.npz", "1_1.npy", "1_1_ST_1024.npz", "notes.txt"]);
        assert_eq!(
            got,
            vec![
                ("1_1".into(), "1_1.npy".into(), Ok("1_1_ST_1024.npz".into())),
                ("1_12".into(), "1_12.npy".into(), Ok("1_12_ST_1024.npz".into())),
            ]
        );
    }

    #[test]
    fn prefix_match_goes_to_the_longest_mask_name() {
        let got = tiles(&["a.png", "ab.tif", "ab_expr.npz", "a-x.npz"]);
        assert_eq!(got[0], ("a".into(), "a.png".into(), Ok("a-x.npz".into())));
        assert_eq!(got[1], ("ab".into(), "ab.tif".into(), Ok("ab_expr.npz".into())));
    }

    #[test]
    fn research_name_wins_over_other_candidates() {
        let got = tiles(&["t.npy", "t_ST_1024.npz", "t_old.npz"]);
        assert_eq!(got[0].2, Ok("t_ST_1024.npz".into()));
    }

    #[test]
    fn missing_and_ambiguous_expression_are_reported() {
        let got = tiles(&["x.npy", "y.npy", "y_1.npz", "y_2.npz"]);
        assert!(got[0].2.as_ref().unwrap_err().contains("no expression"));
        assert!(got[1].2.as_ref().unwrap_err().contains("y_1.npz, y_2.npz"));
    }

    #[test]
    fn cellpose_suffix_is_ignored_for_matching() {
        let got = tiles(&["img_cp_masks.png", "img_ST_1024.npz", ".hidden.npy"]);
        assert_eq!(got, vec![("img".into(), "img_cp_masks.png".into(), Ok("img_ST_1024.npz".into()))]);
    }
}
