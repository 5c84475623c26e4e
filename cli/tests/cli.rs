//! Integration tests of the `cellmap` binary on fixtures made by real scipy
//! (`tests/generators/cli.py` → `tests/fixtures/cli/`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cellmap_tests::npy::{self, Array};

/// `tests/fixtures/cli/<name>` (leaked: a test process is short-lived, and `&'static` paths
/// keep the argument lists readable).
fn fixture(name: &str) -> &'static Path {
    Box::leak(npy::fixture_path(&format!("cli/{name}")).into_boxed_path())
}

fn cellmap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cellmap")).args(args).output().expect("cellmap runs")
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[track_caller]
fn assert_ok(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "stdout: {}\nstderr: {}", stdout(out), stderr(out));
}

fn load(path: &Path) -> Array {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    npy::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Exact equality, NaN equal to NaN.
#[track_caller]
fn assert_same(got: &Array, want: &Array) {
    assert_eq!(got.shape, want.shape, "shape");
    for (i, (g, w)) in got.values.iter().zip(&want.values).enumerate() {
        assert!(g == w || (g.is_nan() && w.is_nan()), "element {i}: got {g}, want {w}");
    }
}

/// `|got - want| <= rtol * |want|`, NaN where NaN.
#[track_caller]
fn assert_close(got: &Array, want: &Array, rtol: f64) {
    assert_eq!(got.shape, want.shape, "shape");
    for (i, (g, w)) in got.values.iter().zip(&want.values).enumerate() {
        let ok = (g.is_nan() && w.is_nan()) || (g - w).abs() <= rtol * w.abs();
        assert!(ok, "element {i}: got {g}, want {w}");
    }
}

/// Files in `dir`, recursively, as sorted relative paths.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

/// `$CELLMAP_PYTHON` (CI sets it, so the check cannot be skipped there),
/// else the project venv's python (`<repo>/.venv/bin/python`) if set up.
fn venv_python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CELLMAP_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    if p.exists() {
        Some(p)
    } else {
        eprintln!("note: {} missing (run scripts/setup-python.sh): numpy load check skipped", p.display());
        None
    }
}

// ------------------------------------------------------------------ label

#[test]
fn label_matches_scipy_fill_and_label() {
    let dir = tempfile::tempdir().unwrap();
    let (labels, filled) = (dir.path().join("labels.npy"), dir.path().join("filled.npy"));
    let out = cellmap(&["label", s(fixture("mask.npy")), "-o", s(&labels), "--filled", s(&filled)]);
    assert_ok(&out);
    assert!(stdout(&out).contains("17 cells"), "{}", stdout(&out));
    let got = load(&labels);
    assert_eq!(got.dtype, "<i4");
    assert_same(&got, &load(fixture("labels.npy")));
    let got = load(&filled);
    assert_eq!(got.dtype, "|b1");
    assert_same(&got, &load(fixture("filled.npy")));
}

#[test]
fn label_reads_png_masks() {
    let dir = tempfile::tempdir().unwrap();
    let labels = dir.path().join("labels.npy");
    assert_ok(&cellmap(&["label", s(fixture("mask.png")), "-o", s(&labels)]));
    assert_same(&load(&labels), &load(fixture("labels.npy")));
}

#[test]
fn label_connectivity_and_no_fill_options() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("l8.npy");
    let out =
        cellmap(&["label", s(fixture("mask.npy")), "-o", s(&out_path), "--connectivity", "8", "--json"]);
    assert_ok(&out);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let want = load(fixture("labels8.npy"));
    assert_eq!(summary["cells"], want.values.iter().cloned().fold(0.0, f64::max) as u64);
    assert_same(&load(&out_path), &want);
    let out_path = dir.path().join("nofill.npy");
    assert_ok(&cellmap(&["label", s(fixture("mask.npy")), "-o", s(&out_path), "--no-fill-holes"]));
    assert_same(&load(&out_path), &load(fixture("labels_nofill.npy")));
}

#[test]
fn label_images_are_used_as_is() {
    let dir = tempfile::tempdir().unwrap();
    let labels = dir.path().join("labels.npy");
    let want = load(fixture("cp_masks.npy"));
    // The same output again and again: --overwrite (cellmap's own file, replaced).
    for mask in ["cp_masks.png", "cp_masks.npy"] {
        let out = cellmap(&["label", s(fixture(mask)), "-o", s(&labels), "--json", "--overwrite"]);
        assert_ok(&out);
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!((summary["cells"].as_u64(), summary["mask_kind"].as_str()), (Some(9), Some("labels")));
        let got = load(&labels);
        assert_eq!(got.dtype, "<i4");
        assert_same(&got, &want);
    }
    // Forced binary: filled and relabelled, touching cells merged (what `auto` used to do).
    let args =
        ["label", s(fixture("cp_masks.png")), "-o", s(&labels), "--mask-kind", "binary", "--overwrite"];
    assert_ok(&cellmap(&args));
    assert_same(&load(&labels), &load(fixture("cp_binary_labels.npy")));
    // A 0/255 mask has one nonzero value: binary under auto; forced labels, 255 is one (large) id.
    let out = cellmap(&["label", s(fixture("mask.npy")), "-o", s(&labels), "--overwrite"]);
    assert!(stdout(&out).contains("17 cells"), "{}", stdout(&out));
    let out =
        cellmap(&["label", s(fixture("mask.npy")), "-o", s(&labels), "--mask-kind", "labels", "--overwrite"]);
    assert!(stdout(&out).contains("label image: 255 cells"), "{}", stdout(&out));
    // No filled mask exists for a label image.
    let filled = dir.path().join("filled.npy");
    let out = cellmap(&[
        "label",
        s(fixture("cp_masks.npy")),
        "-o",
        s(&labels),
        "--filled",
        s(&filled),
        "--overwrite",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--mask-kind binary") && !filled.exists(), "{}", stderr(&out));
}

#[test]
fn run_keeps_the_cells_of_a_label_image() {
    let dir = tempfile::tempdir().unwrap();
    let tiles = dir.path().join("tiles");
    std::fs::create_dir(&tiles).unwrap();
    std::fs::copy(fixture("cp_masks.png"), tiles.join("t_cp_masks.png")).unwrap();
    std::fs::copy(fixture("st.npz"), tiles.join("t_ST_1024.npz")).unwrap();
    let out_dir = dir.path().join("out");
    assert_ok(&cellmap(&["run", s(&tiles), "-o", s(&out_dir), "--genes", "0..2"]));
    assert_same(&load(&out_dir.join("t/labels.npy")), &load(fixture("cp_masks.npy")));
    let means = read_npz_member(&out_dir.join("t/table.npz"), "mean");
    assert_close(&means, &load(fixture("cp_means.npy")), 1e-12);
    assert!(means.values[4 * 7..5 * 7].iter().all(|v| v.is_nan()), "label 5 has no pixel");
    let regions = std::fs::read_to_string(out_dir.join("t/regions.csv")).unwrap();
    assert!(regions.lines().nth(5).unwrap().starts_with("5,0,"), "{regions}");
}

// ------------------------------------------------------------------ reduce

#[test]
fn reduce_dense_statistics_match_numpy() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [("mean", "<f8"), ("sum", "<f8"), ("count", "<i8"), ("min", "<f4"), ("max", "<f4")];
    for (stat, dtype) in cases {
        let out_path = dir.path().join(format!("{stat}.npy"));
        let out = cellmap(&[
            "reduce",
            s(fixture("labels.npy")),
            s(fixture("dense.npy")),
            "-o",
            s(&out_path),
            "--stat",
            stat,
        ]);
        assert_ok(&out);
        let got = load(&out_path);
        assert_eq!(got.dtype, dtype, "{stat}");
        let want = load(fixture(&format!("dense_{stat}.npy")));
        if stat == "count" || stat == "min" || stat == "max" {
            assert_same(&got, &want);
        } else {
            assert_close(&got, &want, 1e-12);
        }
    }
    let out_path = dir.path().join("keep.npy");
    let args = ["reduce", s(fixture("labels.npy")), s(fixture("dense.npy")), "-o", s(&out_path)];
    assert_ok(&cellmap(&[&args[..], &["--keep-zeros"]].concat()));
    assert_close(&load(&out_path), &load(fixture("dense_mean_keepzeros.npy")), 1e-12);
}

#[test]
fn reduce_csr_all_genes_matches_the_research_semantics() {
    let dir = tempfile::tempdir().unwrap();
    let within = dir.path().join("within.npy");
    let out = cellmap(&[
        "reduce",
        s(fixture("labels.npy")),
        s(fixture("st.npz")),
        "-o",
        s(&within),
        "--stat",
        "mean",
        "--within",
        s(fixture("mask.npy")),
    ]);
    assert_ok(&out);
    assert_close(&load(&within), &load(fixture("st_means_within.npy")), 1e-12);

    let all = dir.path().join("all.npy");
    assert_ok(&cellmap(&["reduce", s(fixture("labels.npy")), s(fixture("st.npz")), "-o", s(&all)]));
    assert_close(&load(&all), &load(fixture("st_means.npy")), 1e-12);

    let counts = dir.path().join("counts.npy");
    let out = cellmap(&[
        "reduce",
        s(fixture("labels.npy")),
        s(fixture("st.npz")),
        "-o",
        s(&counts),
        "--stat",
        "count",
    ]);
    assert_ok(&out);
    let got = load(&counts);
    assert_eq!(got.dtype, "<i8");
    assert_same(&got, &load(fixture("st_counts.npy")));
}

// ------------------------------------------------------------------ assign

#[test]
fn assign_genesegnet_spots_by_pixel_lookup() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out = cellmap(&[
        "assign",
        s(fixture("labels.npy")),
        s(fixture("spots.csv")),
        "-o",
        s(&out_dir),
        "--preset",
        "genesegnet",
    ]);
    assert_ok(&out);
    let got = mapping(&out_dir.join("assignments.csv"));
    let spots = std::fs::read_to_string(fixture("spots.csv")).unwrap();
    let cells = load(fixture("spots_cells.npy")).values;
    let mut want: Vec<(i64, String)> =
        spots.lines().skip(1).zip(&cells).map(|(line, &c)| (c as i64, spot(line))).collect();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn assign_max_distance_gives_background_spots_the_nearest_cell() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let labels_path = fixture("labels.npy");
    let args = ["assign", s(labels_path), s(fixture("spots.csv")), "-o", s(&out_dir), "--max-distance", "2"];
    assert_ok(&cellmap(&args));
    // Brute force: the cell pixel nearest to the spot's pixel (centre distance <= 2, ties to the
    // smallest label), for spots on background inside the image; -1 for spots outside it.
    let labels = load(labels_path);
    let (h, w) = (labels.shape[0] as i64, labels.shape[1] as i64);
    let label_at = |r: i64, c: i64| labels.values[(r * w + c) as usize] as i64;
    let nearest = |x: f64, y: f64| -> i64 {
        if !(x >= 0.0 && y >= 0.0 && (x as i64) < w && (y as i64) < h) {
            return -1; // outside the image
        }
        let (r0, c0) = (y as i64, x as i64);
        let mut best: Option<(i64, i64)> = None;
        for r in 0..h {
            for c in 0..w {
                let l = label_at(r, c);
                let d2 = (r - r0).pow(2) + (c - c0).pow(2);
                if l > 0 && d2 <= 4 && best.is_none_or(|b| (d2, l) < b) {
                    best = Some((d2, l));
                }
            }
        }
        best.map_or(0, |(_, l)| l)
    };
    let spots = std::fs::read_to_string(fixture("spots.csv")).unwrap();
    let mut want: Vec<(i64, String)> = spots
        .lines()
        .skip(1)
        .map(|line| {
            let mut f = line.split(',');
            let x: f64 = f.next().unwrap().parse().unwrap();
            let y: f64 = f.next().unwrap().parse().unwrap();
            (nearest(x, y), spot(line))
        })
        .collect();
    want.sort();
    let got = mapping(&out_dir.join("assignments.csv"));
    assert_eq!(got, want);
    let without_radius = load(fixture("spots_cells.npy")).values.iter().filter(|&&c| c > 0.0).count();
    assert!(got.iter().filter(|(c, _)| *c > 0).count() > without_radius, "the radius assigns more spots");
}

/// `"x,y,gene"` with the coordinates re-printed from their parsed values (`18` = `18.0`).
fn spot(text: &str) -> String {
    let mut fields = text.splitn(3, ',');
    let mut number = || fields.next().unwrap().parse::<f64>().unwrap();
    let (x, y) = (number(), number());
    format!("{x:?},{y:?},{}", fields.next().unwrap())
}

/// Rows of a mapping CSV `cell_id,spotX,spotY,gene` as `(cell, "x,y,gene")`, sorted.
fn mapping(path: &Path) -> Vec<(i64, String)> {
    let csv = std::fs::read_to_string(path).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("cell_id,spotX,spotY,gene"));
    let mut rows: Vec<(i64, String)> = lines
        .map(|l| {
            let (cell, rest) = l.split_once(',').unwrap();
            (cell.parse().unwrap(), spot(rest))
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn assign_xenium_counts_per_cell_and_gene() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out = cellmap(&[
        "assign",
        s(fixture("labels.npy")),
        s(fixture("xenium.csv.gz")),
        "-o",
        s(&out_dir),
        "--preset",
        "xenium",
        "--json",
    ]);
    assert_ok(&out);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cells = load(fixture("xenium_cells.npy")).values;
    let in_cells = cells.iter().filter(|&&c| c > 0.0).count() as u64;
    assert_eq!((summary["transcripts"].as_u64(), summary["in_cells"].as_u64()), (Some(200), Some(in_cells)));
    let genes = std::fs::read_to_string(out_dir.join("genes.txt")).unwrap();
    assert_eq!(genes, std::fs::read_to_string(fixture("xenium_genes.txt")).unwrap());
    // Each row's cell: the generator's pixel lookup of the same (µm) coordinates.
    let text = cellmap_io::transcripts::read_bytes(
        &std::fs::read(fixture("xenium.csv.gz")).unwrap(),
        "xenium.csv.gz",
        &cellmap_io::transcripts::Options::xenium(),
    )
    .unwrap();
    let mut want: Vec<(i64, String)> = (0..text.len())
        .map(|i| {
            let gene = &text.gene_names[text.gene[i] as usize];
            (cells[i] as i64, spot(&format!("{},{},{gene}", text.x[i], text.y[i])))
        })
        .collect();
    want.sort();
    assert_eq!(mapping(&out_dir.join("assignments.csv")), want);
    // The count matrix: a scipy CSR (cells × genes, int64 values, sorted column indices).
    let mut npz = cellmap_io::fs::open_npz(&out_dir.join("counts.npz"), &Default::default()).unwrap();
    assert_eq!(npz.header("data").unwrap().dtype.name(), "int64");
    let csr = npz.csr().unwrap();
    csr.validate().unwrap();
    assert_same(&read_counts(&out_dir.join("counts.npz")), &load(fixture("xenium_counts.npy")));
    // cells.csv: one line per row, the label image's regions.
    let cells_csv = std::fs::read_to_string(out_dir.join("cells.csv")).unwrap();
    let regions: Vec<String> = std::fs::read_to_string(fixture("regions.csv"))
        .unwrap()
        .lines()
        .map(|l| l.split(',').take(4).collect::<Vec<_>>().join(","))
        .collect();
    assert_eq!(cells_csv.lines().next(), Some("cell_id,area,centroid_row,centroid_col"));
    assert_eq!(cells_csv.lines().skip(1).collect::<Vec<_>>(), regions[1..]);
}

#[test]
fn assign_columns_and_quality_filter_are_configurable() {
    let dir = tempfile::tempdir().unwrap();
    let xenium = s(fixture("xenium.csv.gz"));
    let labels = s(fixture("labels.npy"));
    let named = ["--x-col", "x_location", "--y-col", "y_location", "--gene-col", "feature_name"];
    let run = |name: &str, extra: &[&str]| -> (serde_json::Value, PathBuf) {
        let out_dir = dir.path().join(name);
        let out = cellmap(&[&["assign", labels, xenium, "-o", s(&out_dir), "--json"], extra].concat());
        assert_ok(&out);
        (serde_json::from_slice(&out.stdout).unwrap(), out_dir)
    };
    // The Xenium columns named one by one (GeneSegNet preset otherwise: pixels, no filters).
    let (summary, out_dir) = run("named", &[&named[..], &["--scale", "0.2125"]].concat());
    let cells = load(fixture("xenium_cells.npy")).values;
    let in_cells = cells.iter().filter(|&&c| c > 0.0).count() as u64;
    assert_eq!((summary["transcripts"].as_u64(), summary["in_cells"].as_u64()), (Some(200), Some(in_cells)));
    let genes = std::fs::read_to_string(out_dir.join("genes.txt")).unwrap();
    assert_eq!(genes, std::fs::read_to_string(fixture("xenium_genes.txt")).unwrap());
    assert_same(&read_counts(&out_dir.join("counts.npz")), &load(fixture("xenium_counts.npy")));
    // qv is 30 + (row % 10): --min-qv 35 keeps rows 5..9 of every ten (column `qv` by default).
    let kept_in_cells = cells.iter().enumerate().filter(|&(i, &c)| i % 10 >= 5 && c > 0.0).count() as u64;
    for (name, extra) in [("qv", &["--min-qv", "35"][..]), ("qvcol", &["--min-qv", "35", "--qv-col", "qv"])] {
        let (summary, _) = run(name, &[&named[..], &["--scale", "0.2125"], extra].concat());
        assert_eq!(summary["dropped_low_qv"].as_u64(), Some(100), "{name}");
        assert_eq!(summary["in_cells"].as_u64(), Some(kept_in_cells), "{name}");
    }
    let (summary, _) = run("xenium35", &["--preset", "xenium", "--min-qv", "35"]);
    assert_eq!(summary["dropped_low_qv"].as_u64(), Some(100));
    // A quality column with no threshold is a usage error; a missing column names the file.
    let out_dir = dir.path().join("bad");
    let out = cellmap(&["assign", labels, xenium, "-o", s(&out_dir), "--qv-col", "qv"]);
    assert_eq!(out.status.code(), Some(2));
    let out = cellmap(&["assign", labels, xenium, "-o", s(&out_dir), "--gene-col", "no_such_column"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("xenium.csv.gz") && stderr(&out).contains("no_such_column"),
        "{}",
        stderr(&out)
    );
    assert!(!out_dir.exists());
}

// ------------------------------------------------------------------ run

/// A tile folder: one good tile (`good`), a tile whose CSR has an out-of-range index
/// (`badcsr`) and a tile with a truncated mask (`badmask`).
fn tile_folder(root: &Path) -> PathBuf {
    let tiles = root.join("tiles");
    std::fs::create_dir_all(&tiles).unwrap();
    let mask = std::fs::read(fixture("mask.npy")).unwrap();
    std::fs::write(tiles.join("good.npy"), &mask).unwrap();
    std::fs::copy(fixture("st.npz"), tiles.join("good_ST_1024.npz")).unwrap();
    std::fs::write(tiles.join("badcsr.npy"), &mask).unwrap();
    std::fs::copy(fixture("bad_indices.npz"), tiles.join("badcsr_ST_1024.npz")).unwrap();
    std::fs::write(tiles.join("badmask.npy"), &mask[..mask.len() - 100]).unwrap();
    std::fs::copy(fixture("st.npz"), tiles.join("badmask_ST_1024.npz")).unwrap();
    tiles
}

#[test]
fn run_processes_good_tiles_and_reports_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let tiles = tile_folder(dir.path());
    let out_dir = dir.path().join("out");
    let out = cellmap(&["run", s(&tiles), "-o", s(&out_dir), "--genes", "1..4", "--csv", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((summary["ok"].as_u64(), summary["failed"].as_u64()), (Some(1), Some(2)));
    let err = stderr(&out);
    assert!(err.contains("badcsr_ST_1024.npz"), "{err}");
    assert!(err.contains("badmask.npy"), "{err}");

    // Only the good tile's folder exists, complete, and no temporary is left behind.
    let names: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into())
        .collect();
    assert_eq!(names, vec!["good".to_string()]);
    let good = out_dir.join("good");
    assert_eq!(
        files(&good),
        [
            "genes.txt",
            "labels.npy",
            "maps/gene_0001.png",
            "maps/gene_0002.png",
            "maps/gene_0003.png",
            "maps/sum.png",
            "regions.csv",
            "run.json",
            "table.csv",
            "table.npz"
        ]
    );
    assert_same(&load(&good.join("labels.npy")), &load(fixture("labels.npy")));

    // Region table: areas and boxes exact, centroids to 1e-12.
    let got = std::fs::read_to_string(good.join("regions.csv")).unwrap();
    let want = std::fs::read_to_string(fixture("regions.csv")).unwrap();
    assert_eq!(got.lines().count(), want.lines().count());
    for (g, w) in got.lines().zip(want.lines()) {
        for (gf, wf) in g.split(',').zip(w.split(',')) {
            match (gf.parse::<f64>(), wf.parse::<f64>()) {
                (Ok(a), Ok(b)) => assert!((a - b).abs() <= 1e-12 * b.abs(), "{g} vs {w}"),
                _ => assert_eq!(gf, wf),
            }
        }
    }

    // The cell x gene table: the research semantics (mean within the unfilled mask).
    let mean = cellmap_io::fs::open_npz(&good.join("table.npz"), &Default::default())
        .unwrap()
        .array("mean")
        .unwrap();
    let (shape, values) = mean.into_parts();
    let want = load(fixture("st_means_within.npy"));
    assert_eq!(shape, want.shape);
    let values = match values {
        cellmap_io::npy::ArrayData::F64(v) => v,
        other => panic!("mean has dtype {:?}", other.dtype()),
    };
    assert_close(&Array { shape, dtype: "<f8".into(), values }, &want, 1e-12);

    let png = std::fs::read(good.join("maps/sum.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn run_options_reach_the_kernels() {
    let dir = tempfile::tempdir().unwrap();
    let tiles = dir.path().join("tiles");
    std::fs::create_dir(&tiles).unwrap();
    std::fs::copy(fixture("mask.npy"), tiles.join("t.npy")).unwrap();
    std::fs::copy(fixture("st.npz"), tiles.join("t-expression.npz")).unwrap();
    let out_dir = dir.path().join("out");
    let args =
        ["run", s(&tiles), "-o", s(&out_dir), "--genes", "0", "--stat", "count", "--connectivity", "8"];
    assert_ok(&cellmap(&[&args[..], &["--colormap", "magma", "--vmin", "0", "--vmax", "3"]].concat()));
    let labels8 = load(fixture("labels8.npy"));
    assert_same(&load(&out_dir.join("t/labels.npy")), &labels8);
    let count = cellmap_io::fs::open_npz(&out_dir.join("t/table.npz"), &Default::default())
        .unwrap()
        .array("count")
        .unwrap();
    let cells = labels8.values.iter().cloned().fold(0.0, f64::max) as usize;
    assert_eq!(count.shape(), &[cells, 7]);
    assert!(matches!(count.data(), cellmap_io::npy::ArrayData::I64(_)));
    assert_eq!(files(&out_dir.join("t/maps")), ["gene_0000.png", "sum.png"]);
    // --vmin without --vmax is a usage error.
    assert_eq!(cellmap(&[&args[..], &["--vmin", "0"]].concat()).status.code(), Some(2));
}

/// Decodes an 8-bit RGBA PNG.
fn png_rgba(path: &Path) -> (usize, Vec<[u8; 4]>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.color_type, info.bit_depth), (png::ColorType::Rgba, png::BitDepth::Eight));
    let pixels = buf[..info.buffer_size()].chunks_exact(4).map(|p| [p[0], p[1], p[2], p[3]]).collect();
    (info.width as usize, pixels)
}

#[test]
fn pixel_range_maps_reproduce_the_research_normalisation() {
    let dir = tempfile::tempdir().unwrap();
    let tiles = dir.path().join("tiles");
    std::fs::create_dir(&tiles).unwrap();
    std::fs::copy(fixture("mask.npy"), tiles.join("t.npy")).unwrap();
    std::fs::copy(fixture("st.npz"), tiles.join("t_ST_1024.npz")).unwrap();
    let out_dir = dir.path().join("out");
    assert_ok(&cellmap(&["run", s(&tiles), "-o", s(&out_dir), "--genes", "2,6", "--range", "pixels"]));
    let labels = load(fixture("labels.npy"));
    let means = load(fixture("st_means_within.npy"));
    let ranges = load(fixture("st_pixel_range_within.npy"));
    let genes = means.shape[1];
    for gene in [2usize, 6] {
        let (width, rgba) = png_rgba(&out_dir.join(format!("t/maps/gene_{gene:04}.png")));
        assert_eq!(rgba.len(), labels.values.len());
        assert_eq!(width, labels.shape[1]);
        let (lo, hi) = (ranges.values[gene * 2], ranges.values[gene * 2 + 1]);
        for (pixel, &label) in labels.values.iter().enumerate() {
            let want = if label == 0.0 {
                cellmap::BACKGROUND_RGBA
            } else {
                let mean = means.values[(label as usize - 1) * genes + gene];
                if mean.is_nan() {
                    cellmap::NO_VALUE_RGBA
                } else {
                    // The research script's 255·(v − lo)/(hi − lo), rounded half to even.
                    let level = (255.0 * (mean - lo) / (hi - lo)).round_ties_even().clamp(0.0, 255.0) as u8;
                    let [r, g, b] = cellmap::Colormap::Viridis.rgb(level);
                    [r, g, b, 255]
                }
            };
            assert_eq!(rgba[pixel], want, "gene {gene}, pixel {pixel} (cell {label})");
        }
    }
}

#[test]
fn npz_written_by_cellmap_loads_in_numpy() {
    let Some(py) = venv_python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let tiles = tile_folder(dir.path());
    let out_dir = dir.path().join("out");
    cellmap(&["run", s(&tiles), "-o", s(&out_dir), "--genes", "2"]);
    let code = format!(
        "import numpy as np\n\
         z = np.load({:?})\n\
         want = np.load({:?})\n\
         np.testing.assert_allclose(z['mean'], want, rtol=1e-12)\n\
         assert z['cell_id'].tolist() == list(range(1, want.shape[0] + 1))\n\
         assert z['gene'].tolist() == list(range(want.shape[1]))\n",
        s(&out_dir.join("good/table.npz")),
        s(fixture("st_means_within.npy"))
    );
    let done = Command::new(&py).args(["-c", &code]).output().unwrap();
    assert!(done.status.success(), "{}", stderr(&done));

    // The demo's CSR (scipy save_npz layout) and the assign counts load in scipy / numpy.
    let demo = dir.path().join("demo");
    assert_ok(&cellmap(&["demo", "-o", s(&demo), "--size", "48", "--genes", "6", "--tiles", "1"]));
    let assigned = dir.path().join("assigned");
    assert_ok(&cellmap(&["assign", s(fixture("labels.npy")), s(fixture("spots.csv")), "-o", s(&assigned)]));
    let code = format!(
        "import numpy as np, scipy.sparse as sp\n\
         m = sp.load_npz({:?})\n\
         assert m.format == 'csr' and m.shape == (48 * 48, 6) and m.nnz > 0, (m.format, m.shape, m.nnz)\n\
         mask = np.load({:?})\n\
         assert mask.shape == (48, 48) and set(np.unique(mask)) <= {{0, 255}}\n\
         c = sp.load_npz({:?})\n\
         assert c.format == 'csr' and c.dtype == np.int64 and c.shape == (17, 4), (c.format, c.dtype, c.shape)\n\
         assert c.has_sorted_indices and c.has_canonical_format and (c.data > 0).all()\n\
         cells = np.load({:?}).astype(np.int64)\n\
         assert c.sum() == (cells > 0).sum()\n\
         assert (np.asarray(c.sum(axis=1)).ravel() == np.bincount(cells[cells > 0], minlength=18)[1:]).all()\n",
        s(&demo.join("demo_0_ST_1024.npz")),
        s(&demo.join("demo_0.npy")),
        s(&assigned.join("counts.npz")),
        s(fixture("spots_cells.npy"))
    );
    let done = Command::new(&py).args(["-c", &code]).output().unwrap();
    assert!(done.status.success(), "{}", stderr(&done));
}

#[test]
fn anndata_stores_open_in_anndata() {
    let dir = tempfile::tempdir().unwrap();
    // assign: X = the CSR counts, obs = the cells' regions, var = the genes.
    let out_dir = dir.path().join("out");
    let store = dir.path().join("counts.zarr");
    let args = ["assign", s(fixture("labels.npy")), s(fixture("xenium.csv.gz")), "-o", s(&out_dir)];
    assert_ok(&cellmap(&[&args[..], &["--preset", "xenium", "--anndata", s(&store)]].concat()));
    assert!(store.join(".zgroup").is_file() && store.join("X/indptr/0").is_file());
    // An existing store is refused without --overwrite, and replaced with it.
    let again =
        cellmap(&[&args[..], &["--preset", "xenium", "--anndata", s(&store), "--overwrite"]].concat());
    assert_ok(&again);
    let refused = cellmap(&[&args[..], &["--preset", "xenium", "--anndata", s(&store)]].concat());
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    // run: X = the per-cell means (dense), one store per tile.
    let tiles = tile_folder(dir.path());
    let run_dir = dir.path().join("run");
    cellmap(&["run", s(&tiles), "-o", s(&run_dir), "--genes", "2", "--anndata"]);
    let tile_store = run_dir.join("good/anndata.zarr");
    assert!(tile_store.join(".zattrs").is_file());
    assert!(!run_dir.join("badcsr/anndata.zarr").exists());
    // run --stat sum: X = the per-cell sums, sparse (a cell without a gene has 0 of it)
    let sum_dir = dir.path().join("run_sum");
    cellmap(&["run", s(&tiles), "-o", s(&sum_dir), "--genes", "2", "--stat", "sum", "--anndata"]);
    let sum_store = sum_dir.join("good/anndata.zarr");
    assert!(sum_store.join("X/indptr/0").is_file(), "a CSR X");
    let Some(py) = venv_python() else { return };
    let code = format!(
        "import warnings\n\
         warnings.simplefilter('error')\n\
         import anndata as ad, numpy as np, scipy.sparse as sp, csv\n\
         a = ad.read_zarr({store:?})\n\
         counts = np.load({counts:?})\n\
         assert sp.issparse(a.X) and a.X.format == 'csr' and a.X.dtype == np.int64, type(a.X)\n\
         assert a.shape == counts.shape and (a.X.toarray() == counts).all()\n\
         assert (sp.load_npz({npz:?}) != a.X).nnz == 0\n\
         assert list(a.var_names) == open({genes:?}).read().split()\n\
         regions = list(csv.DictReader(open({regions:?})))\n\
         assert list(a.obs_names) == [r['label'] for r in regions]\n\
         assert list(a.obs.columns) == ['cell_id', 'area', 'centroid_row', 'centroid_col']\n\
         assert a.obs['cell_id'].tolist() == [int(r['label']) for r in regions]\n\
         assert a.obs['area'].tolist() == [int(r['area']) for r in regions]\n\
         rc = np.array([[float(r['centroid_row']), float(r['centroid_col'])] for r in regions])\n\
         np.testing.assert_array_equal(a.obs[['centroid_row', 'centroid_col']].to_numpy(), rc)\n\
         np.testing.assert_array_equal(a.obsm['spatial'], rc[:, ::-1])\n\
         t = ad.read_zarr({tile:?})\n\
         means = np.load({means:?})\n\
         assert isinstance(t.X, np.ndarray) and t.X.dtype == means.dtype and t.shape == means.shape\n\
         np.testing.assert_array_equal(t.X, means)\n\
         assert list(t.var_names) == ['gene_%d' % g for g in range(means.shape[1])]\n\
         assert t.obs['cell_id'].tolist() == list(range(1, means.shape[0] + 1))\n\
         u = ad.read_zarr({sum_store:?})\n\
         sums = np.load({sum_table:?})['sum']\n\
         assert sp.issparse(u.X) and u.X.format == 'csr' and u.X.dtype == sums.dtype, type(u.X)\n\
         assert u.X.nnz == np.count_nonzero(sums) > 0\n\
         np.testing.assert_array_equal(u.X.toarray(), sums)\n",
        store = s(&store),
        counts = s(fixture("xenium_counts.npy")),
        npz = s(&out_dir.join("counts.npz")),
        genes = s(fixture("xenium_genes.txt")),
        regions = s(fixture("regions.csv")),
        tile = s(&tile_store),
        means = s(fixture("st_means_within.npy")),
        sum_store = s(&sum_store),
        sum_table = s(&sum_dir.join("good/table.npz")),
    );
    let done = Command::new(&py).args(["-c", &code]).output().unwrap();
    assert!(done.status.success(), "{}", stderr(&done));
}

#[test]
fn demo_folder_runs() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let out = cellmap(&["demo", "-o", s(&demo), "--size", "64", "--genes", "12", "--tiles", "2"]);
    assert_ok(&out);
    let tile_files = [
        "demo_0.npy",
        "demo_0_ST_1024.npz",
        "demo_0_genes.txt",
        "demo_0_transcripts.csv.gz",
        "demo_0_truth.csv",
    ];
    let expected: Vec<String> =
        (0..2).flat_map(|k| tile_files.map(|f| f.replace("_0", &format!("_{k}")))).collect();
    assert_eq!(files(&demo), expected);
    let out_dir = dir.path().join("out");
    let out = cellmap(&["run", s(&demo), "-o", s(&out_dir), "--genes", "0..3", "--json"]);
    assert_ok(&out);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["ok"].as_u64(), Some(2));
    assert!(files(&out_dir).contains(&"demo_1/maps/gene_0002.png".to_string()));

    // The transcripts are the CSR's molecules: assigning them to the labelled cells counts, per
    // cell and gene, exactly the CSR's per-cell sums.
    let labels = dir.path().join("labels.npy");
    assert_ok(&cellmap(&["label", s(&demo.join("demo_1.npy")), "-o", s(&labels)]));
    let sums = dir.path().join("sums.npy");
    let csr = demo.join("demo_1_ST_1024.npz");
    assert_ok(&cellmap(&["reduce", s(&labels), s(&csr), "-o", s(&sums), "--stat", "sum"]));
    let assigned = dir.path().join("assigned");
    let transcripts = demo.join("demo_1_transcripts.csv.gz");
    assert_ok(&cellmap(&["assign", s(&labels), s(&transcripts), "-o", s(&assigned)]));
    let sums = load(&sums);
    let (cells, genes) = (sums.shape[0], sums.shape[1]);
    let counts = read_counts(&assigned.join("counts.npz"));
    // Genes by the demo's names: the CSR's column order is demo_1_genes.txt.
    let csr_genes = std::fs::read_to_string(demo.join("demo_1_genes.txt")).unwrap();
    let csr_genes: Vec<&str> = csr_genes.lines().collect();
    let names = std::fs::read_to_string(assigned.join("genes.txt")).unwrap();
    let columns: Vec<usize> =
        names.lines().map(|n| csr_genes.iter().position(|g| *g == n).unwrap()).collect();
    assert_eq!(counts.shape, [cells, columns.len()]);
    let mut regrouped = vec![0.0; cells * genes];
    for c in 0..cells {
        for (k, &g) in columns.iter().enumerate() {
            regrouped[c * genes + g] = counts.values[c * columns.len() + k];
        }
    }
    assert!(sums.values.iter().sum::<f64>() > 0.0);
    assert_same(&Array { values: regrouped, ..sums.clone() }, &sums);
}

/// The CSR `counts.npz` of `assign` (scipy `save_npz` layout), dense, as the test reader's array.
fn read_counts(path: &Path) -> Array {
    use cellmap_io::npz::ValueArray;
    let csr = cellmap_io::fs::open_npz(path, &Default::default()).unwrap().csr().unwrap();
    csr.validate().unwrap();
    let (rows, cols) = csr.shape;
    let ValueArray::F64(data) = &csr.data else { panic!("{}: float32 counts", path.display()) };
    let mut values = vec![0.0; rows * cols];
    for r in 0..rows {
        let (start, end) = (csr.indptr.get(r).unwrap() as usize, csr.indptr.get(r + 1).unwrap() as usize);
        let columns: Vec<i64> = (start..end).map(|k| csr.indices.get(k).unwrap()).collect();
        assert!(columns.windows(2).all(|w| w[0] < w[1]), "row {r}: columns {columns:?} not sorted");
        for (k, &c) in (start..end).zip(&columns) {
            values[r * cols + c as usize] = data[k];
        }
    }
    Array { shape: vec![rows, cols], dtype: "<i8".into(), values }
}

/// One int64 or float64 member of an `.npz` written by cellmap, as the test reader's array.
fn read_npz_member(path: &Path, name: &str) -> Array {
    use cellmap_io::npy::ArrayData;
    let mut npz = cellmap_io::fs::open_npz(path, &Default::default()).unwrap();
    let array = npz.array(name).unwrap();
    let (dtype, values) = match array.data() {
        ArrayData::I64(v) => ("<i8", v.iter().map(|&v| v as f64).collect()),
        ArrayData::F64(v) => ("<f8", v.clone()),
        other => panic!("{name}: dtype {}", other.dtype().name()),
    };
    Array { shape: array.shape().to_vec(), dtype: dtype.into(), values }
}

#[test]
fn bench_reports_every_kernel_as_json() {
    let out = cellmap(&["bench", "--json", "--size", "96", "--genes", "16", "--repeats", "1"]);
    assert_ok(&out);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kernels: Vec<&str> =
        report["results"].as_array().unwrap().iter().map(|r| r["kernel"].as_str().unwrap()).collect();
    let every =
        ["fill_holes", "label4", "label8", "fill_label", "mean_dense", "csr_mean", "regions", "paint"];
    for k in every.into_iter().chain(["transpose", "assign", "nearest_map"]) {
        assert!(kernels.contains(&k), "{k} missing from {kernels:?}");
    }
}

// ------------------------------------------------------------------ usage and bad input

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    assert_eq!(cellmap(&["label", "mask.npy"]).status.code(), Some(2));
    assert_eq!(cellmap(&["reduce", "a", "b", "-o", "c", "--stat", "median"]).status.code(), Some(2));
    assert_eq!(cellmap(&["run", "d", "-o", "o", "--genes", "x"]).status.code(), Some(2));
    assert_eq!(cellmap(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(cellmap(&["demo", "-o", "d", "--size", "100000"]).status.code(), Some(2));
    assert_eq!(cellmap(&["bench", "--genes", "0"]).status.code(), Some(2));
    assert_eq!(cellmap(&[]).status.code(), Some(2));
    for sub in ["label", "reduce", "assign", "run", "bench", "demo"] {
        let out = cellmap(&[sub, "--help"]);
        assert_ok(&out);
        assert!(stdout(&out).contains("Example"), "{sub} --help has no example");
    }
}

/// Runs a command expected to fail on bad input: exit code 1, the message names `culprit`,
/// and `out_dir` (where the outputs would go) is left empty.
#[track_caller]
fn assert_bad_input(args: &[&str], culprit: &Path, out_dir: &Path, what: &str) {
    let out = cellmap(args);
    assert_eq!(out.status.code(), Some(1), "{what}: stdout {} stderr {}", stdout(&out), stderr(&out));
    let err = stderr(&out);
    let name = culprit.file_name().unwrap().to_str().unwrap();
    assert!(err.contains(name), "{what}: the message does not name {name}: {err}");
    assert!(err.to_lowercase().contains(what), "{what}: {err}");
    let left: Vec<String> = files(out_dir);
    assert!(left.is_empty(), "{what}: files left behind: {left:?}");
}

struct Bad {
    dir: tempfile::TempDir,
}

impl Bad {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("out")).unwrap();
        Self { dir }
    }
    fn input(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }
}

#[test]
fn truncated_npy_is_rejected() {
    let bad = Bad::new();
    let mask = std::fs::read(fixture("mask.npy")).unwrap();
    let input = bad.input("cut.npy", &mask[..mask.len() - 7]);
    let o = bad.out().join("labels.npy");
    assert_bad_input(&["label", s(&input), "-o", s(&o)], &input, &bad.out(), "truncated");
}

#[test]
fn npy_with_a_wrong_header_is_rejected() {
    let bad = Bad::new();
    let mut bytes = std::fs::read(fixture("mask.npy")).unwrap();
    let at = bytes.windows(7).position(|w| w == b"'descr'").unwrap();
    bytes[at..at + 7].copy_from_slice(b"'dexcr'");
    let input = bad.input("header.npy", &bytes);
    let o = bad.out().join("labels.npy");
    assert_bad_input(&["label", s(&input), "-o", s(&o)], &input, &bad.out(), "header");
}

#[test]
fn zip_with_a_bad_member_is_rejected() {
    let bad = Bad::new();
    let mut bytes = std::fs::read(fixture("st.npz")).unwrap();
    // Corrupt the compressed stream of the first member (after its 30-byte local header + name).
    let name_len = u16::from_le_bytes([bytes[26], bytes[27]]) as usize;
    let extra_len = u16::from_le_bytes([bytes[28], bytes[29]]) as usize;
    let start = 30 + name_len + extra_len;
    for b in &mut bytes[start + 10..start + 60] {
        *b ^= 0x5a;
    }
    let input = bad.input("corrupt.npz", &bytes);
    let o = bad.out().join("t.npy");
    let args = ["reduce", s(fixture("labels.npy")), s(&input), "-o", s(&o)];
    assert_bad_input(&args, &input, &bad.out(), "");
}

#[test]
fn csr_with_out_of_range_indices_is_rejected() {
    let bad = Bad::new();
    let input = bad.input("idx.npz", &std::fs::read(fixture("bad_indices.npz")).unwrap());
    let o = bad.out().join("t.npy");
    let args = ["reduce", s(fixture("labels.npy")), s(&input), "-o", s(&o)];
    assert_bad_input(&args, &input, &bad.out(), "ind");
}

#[test]
fn csr_with_inconsistent_indptr_is_rejected() {
    let bad = Bad::new();
    let input = bad.input("ptr.npz", &std::fs::read(fixture("bad_indptr.npz")).unwrap());
    let o = bad.out().join("t.npy");
    let args = ["reduce", s(fixture("labels.npy")), s(&input), "-o", s(&o)];
    assert_bad_input(&args, &input, &bad.out(), "indptr");
}

#[test]
fn mask_and_expression_shape_mismatch_is_rejected() {
    let bad = Bad::new();
    let input = bad.input("small.npz", &std::fs::read(fixture("st_wrong_shape.npz")).unwrap());
    let o = bad.out().join("t.npy");
    let args = ["reduce", s(fixture("labels.npy")), s(&input), "-o", s(&o)];
    assert_bad_input(&args, &input, &bad.out(), "shape");
    let small = bad.input("small.npy", &std::fs::read(fixture("dense_small.npy")).unwrap());
    let args = ["reduce", s(fixture("labels.npy")), s(&small), "-o", s(&o)];
    assert_bad_input(&args, &small, &bad.out(), "shape");
    let args =
        ["reduce", s(fixture("labels.npy")), s(fixture("dense.npy")), "-o", s(&o), "--within", s(&small)];
    assert_bad_input(&args, &small, &bad.out(), "shape");
}

#[test]
fn non_utf8_csv_is_rejected() {
    let bad = Bad::new();
    let input = bad.input("latin1.csv", b"spotX,spotY,gene\n1.0,2.0,ACTB\n3.0,4.0,CAF\xc9\n");
    let o = bad.out().join("assigned");
    let args = ["assign", s(fixture("labels.npy")), s(&input), "-o", s(&o)];
    assert_bad_input(&args, &input, &bad.out(), "utf-8");
}

#[test]
fn csv_missing_columns_is_rejected() {
    let bad = Bad::new();
    let input = bad.input("cols.csv", b"x,y,gene\n1.0,2.0,ACTB\n");
    let o = bad.out().join("assigned");
    let args = ["assign", s(fixture("labels.npy")), s(&input), "-o", s(&o), "--preset", "xenium"];
    assert_bad_input(&args, &input, &bad.out(), "missing column");
}

#[test]
fn absurd_label_values_are_rejected_before_allocating() {
    let bad = Bad::new();
    let mut labels = vec![0i32; 24 * 32];
    labels[5] = 2_000_000_000;
    let input = bad.input("huge.npy", &cellmap_io::npy::encode(&[24, 32], &labels).unwrap());
    let o = bad.out().join("t.npy");
    let args = ["reduce", s(&input), s(fixture("dense.npy")), "-o", s(&o)];
    assert_bad_input(&args, &input, &bad.out(), "relabel");
}
