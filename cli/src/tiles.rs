//! Finding the tiles of a folder: each cell mask paired with its expression matrix.
//!
//! The rule (also in `cellmap run --help` and the README):
//! * a **mask** is a file `<tile>.npy`, `<tile>.png`, `<tile>.tif` or `<tile>.tiff`;
//!   a Cellpose suffix `_cp_masks` is dropped from `<tile>` for matching; so are the Cellpose
//!   `<tile>_seg.npy` suffix `_seg` and the Xenium `<tile>.zarr.zip` (e.g. `cells.zarr.zip` is
//!   tile `cells`); scipy sparse label `.npz` files are not discovered (every `.npz` of a folder
//!   is an expression candidate): convert them, or use `label`/`reduce`/`assign`;
//! * its **expression** is `<tile>_ST_1024.npz` when that file exists (the research layout);
//!   otherwise the `.npz` files whose names start with `<tile>` are candidates, and each `.npz`
//!   belongs to the mask with the **longest** name that prefixes it (so `1_12_ST.npz` goes to
//!   `1_12`, not to `1_1`);
//! * a mask with no expression or with several candidates is a bad tile (reported, skipped);
//! * `<tile>_genes.txt`, when present, names the expression's genes (one per line, in column
//!   order), as `cellmap demo` writes it.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
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
/// Cellpose's GUI file `<image>_seg.npy`.
const CELLPOSE_SEG_SUFFIX: &str = "_seg";
/// Xenium's `cells.zarr.zip`: the stem of a `.zip` mask must end in `.zarr`.
const ZARR_SUFFIX: &str = ".zarr";

/// The files of one tile of a folder, or the reason it cannot be processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileFiles {
    /// Tile name (mask file name without its extension and a Cellpose suffix); names the output
    /// folder. Any file name works, UTF-8 or not.
    pub name: OsString,
    /// The mask file.
    pub mask: PathBuf,
    /// The expression file, or why there is none.
    pub expression: Result<PathBuf, String>,
    /// The gene names file `<tile>_genes.txt`, if there is one.
    pub genes: Option<PathBuf>,
}

impl TileFiles {
    /// The tile name for messages (bytes that are not UTF-8 shown as U+FFFD).
    pub fn display_name(&self) -> String {
        self.name.to_string_lossy().into_owned()
    }
}

/// Lists the tiles of `dir`, sorted by name.
pub fn discover(dir: &Path) -> Result<Vec<TileFiles>> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("{}: cannot list the folder", dir.display()))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("{}: cannot list the folder", dir.display()))?;
        if entry.file_type().map(|t| t.is_file() || t.is_symlink()).unwrap_or(false) {
            names.push(entry.file_name());
        }
    }
    Ok(pair(dir, &names))
}

/// A file name's bytes, for matching: its bytes on Unix; elsewhere an encoding that is ASCII
/// wherever the name is (so cutting at `.` or at an ASCII suffix is exact).
fn bytes(name: &OsStr) -> &[u8] {
    name.as_encoded_bytes()
}

/// The file name made of `bytes`, a part of a name cut at ASCII boundaries.
fn os_name(bytes: &[u8]) -> OsString {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        OsStr::from_bytes(bytes).to_owned()
    }
    #[cfg(not(unix))]
    {
        String::from_utf8_lossy(bytes).into_owned().into()
    }
}

/// Pairs masks with expression files among `names` (file names inside `dir`; UTF-8 or not).
pub fn pair(dir: &Path, names: &[OsString]) -> Vec<TileFiles> {
    // Tile name (bytes) -> mask file name.
    let mut masks: BTreeMap<&[u8], &OsStr> = BTreeMap::new();
    let mut expressions: Vec<&OsStr> = Vec::new();
    for name in names {
        let all = bytes(name);
        if all.starts_with(b".") {
            continue;
        }
        let Some(dot) = all.iter().rposition(|&b| b == b'.') else { continue };
        let (stem, ext) = (&all[..dot], all[dot + 1..].to_ascii_lowercase());
        let zarr = ext == b"zip" && stem.to_ascii_lowercase().ends_with(ZARR_SUFFIX.as_bytes());
        if ext == b"npz" {
            expressions.push(name);
        } else if (MASK_EXTENSIONS.iter().any(|m| m.as_bytes() == ext) || zarr) && !stem.is_empty() {
            let stem = if zarr { &stem[..stem.len() - ZARR_SUFFIX.len()] } else { stem };
            let tile = [CELLPOSE_SUFFIX, CELLPOSE_SEG_SUFFIX]
                .iter()
                .find_map(|suffix| stem.strip_suffix(suffix.as_bytes()))
                .filter(|t| !t.is_empty())
                .unwrap_or(stem);
            if tile.is_empty() {
                continue;
            }
            // Two masks for one tile (e.g. a.npy and a.png): keep the first by name, report it below.
            let first = masks.entry(tile).or_insert(name);
            if bytes(name) < bytes(first) {
                *first = name;
            }
        }
    }
    let mut candidates: BTreeMap<&[u8], Vec<&OsStr>> = BTreeMap::new();
    for &npz in &expressions {
        let owner = masks.keys().filter(|tile| bytes(npz).starts_with(tile)).max_by_key(|tile| tile.len());
        if let Some(&owner) = owner {
            candidates.entry(owner).or_default().push(npz);
        }
    }
    let named = |tile: &[u8], suffix: &str| [tile, suffix.as_bytes()].concat();
    masks
        .iter()
        .map(|(&tile, &mask)| {
            let shown = String::from_utf8_lossy(tile);
            let research = named(tile, RESEARCH_SUFFIX);
            let found = candidates.get(tile).map(Vec::as_slice).unwrap_or(&[]);
            let expression = match (found.iter().find(|n| bytes(n) == research), found) {
                (Some(research), _) | (None, [research]) => Ok(dir.join(research)),
                (None, []) => Err(format!("no expression file `{shown}{RESEARCH_SUFFIX}` or `{shown}*.npz`")),
                (None, many) => {
                    let mut many: Vec<_> = many.iter().map(|n| n.to_string_lossy()).collect();
                    many.sort();
                    Err(format!("ambiguous expression files: {}", many.join(", ")))
                }
            };
            let genes_file = named(tile, GENES_SUFFIX);
            let genes = names.iter().find(|n| bytes(n) == genes_file).map(|n| dir.join(n));
            TileFiles { name: os_name(tile), mask: dir.join(mask), expression, genes }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiles(names: &[&str]) -> Vec<(String, String, Result<String, String>)> {
        let names: Vec<OsString> = names.iter().map(OsString::from).collect();
        pair(Path::new("d"), &names)
            .into_iter()
            .map(|t| {
                let file = |p: PathBuf| p.file_name().unwrap().to_string_lossy().into_owned();
                (t.display_name(), file(t.mask), t.expression.map(file))
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
        let got = tiles(&["img_seg.npy", "img_ST_1024.npz", "cells.zarr.zip", "cells_ST_1024.npz", "x.zip"]);
        assert_eq!(
            got,
            vec![
                ("cells".into(), "cells.zarr.zip".into(), Ok("cells_ST_1024.npz".into())),
                ("img".into(), "img_seg.npy".into(), Ok("img_ST_1024.npz".into())),
            ]
        );
        let got = tiles(&["img_cp_masks.png", "img_ST_1024.npz", ".hidden.npy"]);
        assert_eq!(got, vec![("img".into(), "img_cp_masks.png".into(), Ok("img_ST_1024.npz".into()))]);
    }

    #[test]
    fn two_masks_of_a_tile_keep_the_first_by_name() {
        let got = tiles(&["a.png", "a.npy", "a_ST_1024.npz"]);
        assert_eq!(got, vec![("a".into(), "a.npy".into(), Ok("a_ST_1024.npz".into()))]);
    }

    #[cfg(unix)]
    #[test]
    fn names_that_are_not_utf8_pair_too() {
        use std::os::unix::ffi::OsStringExt;
        let name = |b: &[u8]| OsString::from_vec(b.to_vec());
        let names = [
            name(b"t\xff.npy"),
            name(b"t\xff_ST_1024.npz"),
            name(b"t\xff_genes.txt"),
            name(b"u.npy"),
            name(b"u\xfe.npz"),
        ];
        let got = pair(Path::new("d"), &names);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].name, name(b"t\xff"));
        assert_eq!(got[0].mask, Path::new("d").join(name(b"t\xff.npy")));
        assert_eq!(got[0].expression, Ok(Path::new("d").join(name(b"t\xff_ST_1024.npz"))));
        assert_eq!(got[0].genes, Some(Path::new("d").join(name(b"t\xff_genes.txt"))));
        assert_eq!(got[0].display_name(), "t\u{fffd}");
        assert_eq!(got[1].expression, Ok(Path::new("d").join(name(b"u\xfe.npz"))));
    }
}
