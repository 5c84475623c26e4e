//! `cellmap assign --xenium DIR`, `--cosmx DIR --fov N`, `--merscope DIR`: vendor folders built
//! at test time from the table and label fixtures (tests/generators/tables.py, labels.py). A
//! bundle run must give the same summary and counts as the explicit command on the same files,
//! and a bad bundle must exit 1 naming the file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cellmap_tests::npy::{self, Array};

fn fixture(name: &str) -> PathBuf {
    npy::fixture_path(name)
}

fn cellmap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cellmap")).args(args).output().expect("cellmap runs")
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn copy(from: &str, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(fixture(from), to).unwrap();
}

/// Runs `assign` and returns its JSON summary (without `output`) and counts.npz bytes.
#[track_caller]
fn assign(args: &[&str], out: &Path) -> (serde_json::Value, Vec<u8>, String) {
    let run = cellmap(&[&["assign", "-o", s(out), "--json"], args].concat());
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert_eq!(run.status.code(), Some(0), "{args:?}: {stderr}");
    let mut summary: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    summary.as_object_mut().unwrap().remove("output");
    (summary, std::fs::read(out.join("counts.npz")).unwrap(), stderr)
}

#[track_caller]
fn fails(args: &[&str], code: i32, words: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = cellmap(&[&["assign", "-o", s(&out)], args].concat());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(code), "{args:?}: {stderr}");
    for word in words {
        assert!(stderr.contains(word), "{word}: {stderr}");
    }
    assert!(!out.join("counts.npz").exists());
}

fn xenium_bundle(dir: &Path, experiment: Option<&str>) -> PathBuf {
    let bundle = dir.join("xenium");
    copy("labels/cells.zarr.zip", &bundle.join("cells.zarr.zip"));
    copy("tables/xenium.parquet", &bundle.join("transcripts.parquet"));
    if let Some(text) = experiment {
        std::fs::write(bundle.join("experiment.xenium"), text).unwrap();
    }
    bundle
}

#[test]
fn xenium_bundle_equals_the_explicit_command() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = xenium_bundle(dir.path(), Some(r#"{"run_name": "t", "pixel_size": 0.425}"#));
    let (got, counts, _) = assign(&["--xenium", s(&bundle)], &dir.path().join("a"));
    let (labels, table) = (bundle.join("cells.zarr.zip"), bundle.join("transcripts.parquet"));
    let explicit = ["--preset", "xenium", "--scale", "0.425", s(&labels), s(&table)];
    let (want, want_counts, _) = assign(&explicit, &dir.path().join("b"));
    assert_eq!(got, want);
    assert_eq!(counts, want_counts);
    // Without pixel_size: 0.2125 (the preset's), with a note.
    std::fs::write(bundle.join("experiment.xenium"), "{}").unwrap();
    let (got, counts, stderr) = assign(&["--xenium", s(&bundle)], &dir.path().join("c"));
    let (want, want_counts, _) =
        assign(&["--preset", "xenium", s(&labels), s(&table)], &dir.path().join("d"));
    assert_eq!((got, counts), (want, want_counts));
    assert!(
        stderr.contains("note: ") && stderr.contains("experiment.xenium") && stderr.contains("0.2125"),
        "{stderr}"
    );
    // --scale wins over the file (which is then not needed).
    std::fs::remove_file(bundle.join("experiment.xenium")).unwrap();
    let (got, _, _) = assign(&["--xenium", s(&bundle), "--scale", "0.425"], &dir.path().join("e"));
    assert_eq!(got["in_cells"], assign(&explicit, &dir.path().join("f")).0["in_cells"]);
}

#[test]
fn xenium_bundle_prefers_parquet_else_reads_csv_gz() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = xenium_bundle(dir.path(), Some(r#"{"pixel_size": 0.2125}"#));
    let labels = bundle.join("cells.zarr.zip");
    copy("cli/xenium.csv.gz", &bundle.join("transcripts.csv.gz"));
    let (both, _, _) = assign(&["--xenium", s(&bundle)], &dir.path().join("a"));
    let parquet = bundle.join("transcripts.parquet");
    assert_eq!(both, assign(&["--preset", "xenium", s(&labels), s(&parquet)], &dir.path().join("b")).0);
    std::fs::remove_file(&parquet).unwrap();
    let (got, counts, _) = assign(&["--xenium", s(&bundle)], &dir.path().join("c"));
    let csv = bundle.join("transcripts.csv.gz");
    let (want, want_counts, _) = assign(&["--preset", "xenium", s(&labels), s(&csv)], &dir.path().join("d"));
    assert_eq!((got, counts), (want, want_counts));
}

#[test]
fn xenium_bundle_without_masks_draws_the_polygons() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("xenium");
    copy("polygons/xenium_cell_boundaries.csv.gz", &bundle.join("cell_boundaries.csv.gz"));
    copy("tables/xenium.parquet", &bundle.join("transcripts.parquet"));
    std::fs::write(bundle.join("experiment.xenium"), r#"{"pixel_size": 0.2125}"#).unwrap();
    let (got, counts, _) = assign(&["--xenium", s(&bundle)], &dir.path().join("a"));
    let (polygons, table) = (bundle.join("cell_boundaries.csv.gz"), bundle.join("transcripts.parquet"));
    let explicit = ["--preset", "xenium", "--scale", "0.2125", s(&polygons), s(&table)];
    let (want, want_counts, _) = assign(&explicit, &dir.path().join("b"));
    assert_eq!((got, counts), (want, want_counts));
    assert!(dir.path().join("a/cell_ids.csv").is_file());
}

#[test]
fn xenium_bundle_prefers_parquet_polygons_else_csv_gz() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("xenium");
    copy("polygons/xenium_cell_boundaries.parquet", &bundle.join("cell_boundaries.parquet"));
    copy("polygons/xenium_cell_boundaries.csv.gz", &bundle.join("cell_boundaries.csv.gz"));
    copy("tables/xenium.parquet", &bundle.join("transcripts.parquet"));
    std::fs::write(bundle.join("experiment.xenium"), r#"{"pixel_size": 0.2125}"#).unwrap();
    let (parquet, csv) = (bundle.join("cell_boundaries.parquet"), bundle.join("cell_boundaries.csv.gz"));
    // The parquet is read (breaking it breaks the bundle), and gives what the CSV gives.
    std::fs::write(&parquet, b"PAR1 broken").unwrap();
    fails(&["--xenium", s(&bundle)], 1, &["cell_boundaries.parquet"]);
    copy("polygons/xenium_cell_boundaries.parquet", &parquet);
    let (got, counts, _) = assign(&["--xenium", s(&bundle)], &dir.path().join("a"));
    let table = bundle.join("transcripts.parquet");
    let (want, want_counts, _) = assign(&["--preset", "xenium", s(&csv), s(&table)], &dir.path().join("b"));
    assert_eq!((&got, &counts), (&want, &want_counts));
    let ids = |out: &str| std::fs::read_to_string(dir.path().join(out).join("cell_ids.csv")).unwrap();
    assert_eq!(ids("a"), ids("b"));
    std::fs::remove_file(&parquet).unwrap();
    let (got, counts, _) = assign(&["--xenium", s(&bundle)], &dir.path().join("c"));
    assert_eq!((got, counts), (want, want_counts));
}

#[test]
fn cosmx_bundle_equals_the_explicit_command() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("cosmx");
    // The label reader goes by the bytes, so the .npy label fixture (40 × 60) serves as the TIFF.
    copy("tables/labels.npy", &bundle.join("CellLabels/CellLabels_F002.tif"));
    copy("tables/cosmx.csv", &bundle.join("Run5_tx_file.csv"));
    let (got, counts, _) = assign(&["--cosmx", s(&bundle), "--fov", "2"], &dir.path().join("a"));
    let (labels, table) = (bundle.join("CellLabels/CellLabels_F002.tif"), bundle.join("Run5_tx_file.csv"));
    let explicit =
        ["--preset", "cosmx", "--where", "fov=2", "--transform", "1,0,0;0,-1,40", s(&labels), s(&table)];
    let (want, want_counts, _) = assign(&explicit, &dir.path().join("b"));
    assert_eq!((&got, counts), (&want, want_counts));
    assert_eq!(got["in_cells"], 42); // tests/fixtures/tables/expected.json, cosmx_fov2
    // --cosmx-y-down: no flip; the labels may also sit in the folder itself.
    std::fs::rename(&labels, bundle.join("CellLabels_F002.tif")).unwrap();
    let (got, _, _) = assign(&["--cosmx", s(&bundle), "--fov", "2", "--cosmx-y-down"], &dir.path().join("c"));
    let moved = bundle.join("CellLabels_F002.tif");
    let plain = ["--preset", "cosmx", "--where", "fov=2", s(&moved), s(&table)];
    assert_eq!(got, assign(&plain, &dir.path().join("d")).0);
}

#[test]
fn merscope_bundle_supplies_transcripts_and_transform() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("merscope");
    copy("tables/merscope.csv", &bundle.join("detected_transcripts.csv"));
    let transform = bundle.join("images/micron_to_mosaic_pixel_transform.csv");
    copy("tables/micron_to_mosaic_pixel_transform.csv", &transform);
    let labels = fixture("tables/labels.npy");
    let (got, counts, _) = assign(&[s(&labels), "--merscope", s(&bundle)], &dir.path().join("a"));
    let table = bundle.join("detected_transcripts.csv");
    let explicit = ["--preset", "merscope", "--transform", s(&transform), s(&labels), s(&table)];
    let (want, want_counts, _) = assign(&explicit, &dir.path().join("b"));
    assert_eq!((&got, counts), (&want, want_counts));
    assert_eq!(got["in_cells"], 56); // expected.json, merscope
    // No LABELS and no polygons: the error names the file and says what else to give.
    fails(&["--merscope", s(&bundle)], 1, &["cell_boundaries.parquet", "LABELS"]);
}

/// `counts.npz` (scipy sparse CSR) as a dense (cells, genes) array.
fn counts(path: &Path) -> Array {
    let csr = cellmap_io::fs::read_csr(path, &Default::default()).unwrap();
    let (rows, cols) = csr.shape;
    let mut values = vec![0.0; rows * cols];
    let cellmap_io::npz::ValueArray::F64(data) = &csr.data else { panic!("int64 counts read as f64") };
    for row in 0..rows {
        let (start, end) = (csr.indptr.get(row).unwrap() as usize, csr.indptr.get(row + 1).unwrap() as usize);
        for k in start..end {
            values[row * cols + csr.indices.get(k).unwrap() as usize] += data[k];
        }
    }
    Array { shape: vec![rows, cols], dtype: "<i8".into(), values }
}

#[test]
fn merscope_bundle_draws_the_polygons_of_one_plane() {
    // tests/fixtures/polygons/merscope: cell_boundaries.parquet, transform, transcripts (µm).
    let bundle = fixture("polygons/merscope");
    let dir = tempfile::tempdir().unwrap();
    let (got, _, stderr) = assign(&["--merscope", s(&bundle)], &dir.path().join("a"));
    let text = std::fs::read_to_string(fixture("polygons/merscope_expected.json")).unwrap();
    let want: serde_json::Value = serde_json::from_str(&text).unwrap();
    for key in ["transcripts", "in_cells", "background", "outside", "dropped_controls", "cells", "genes"] {
        assert_eq!(got[key], want[key], "{key}");
    }
    let got_counts = counts(&dir.path().join("a/counts.npz"));
    let want_counts = npy::parse(&std::fs::read(fixture("polygons/merscope_counts.npy")).unwrap()).unwrap();
    assert_eq!((&got_counts.shape, &got_counts.values), (&want_counts.shape, &want_counts.values));
    let genes = std::fs::read_to_string(dir.path().join("a/genes.txt")).unwrap();
    assert_eq!(genes, std::fs::read_to_string(fixture("polygons/merscope_genes.txt")).unwrap());
    let ids = std::fs::read_to_string(dir.path().join("a/cell_ids.csv")).unwrap();
    assert_eq!(ids.lines().count(), 10, "{ids}");
    assert!(
        stderr.contains("z-plane 3") && stderr.contains("extent") && stderr.contains("--shape"),
        "{stderr}"
    );
    // The same as the explicit command with the polygons as LABELS.
    let (polygons, table) = (bundle.join("cell_boundaries.parquet"), bundle.join("detected_transcripts.csv"));
    let transform = bundle.join("images/micron_to_mosaic_pixel_transform.csv");
    let explicit = ["--preset", "merscope", "--transform", s(&transform), s(&polygons), s(&table)];
    let (explicit, _, _) = assign(&explicit, &dir.path().join("b"));
    assert_eq!(got, explicit);
    // A larger --shape: no transcript of the extent moves, the ones beyond it are on background.
    let [h, w] = [want["shape"][0].as_u64().unwrap(), want["shape"][1].as_u64().unwrap()];
    let shape = format!("{},{}", h + 10, w + 10);
    let (wide, _, _) = assign(&["--merscope", s(&bundle), "--shape", &shape], &dir.path().join("c"));
    assert_eq!(wide["in_cells"], want["in_cells"]);
    assert!(wide["outside"].as_u64() < want["outside"].as_u64(), "{wide}");
    // Another plane: other cells (one of them not on plane 3).
    let (z0, _, stderr) = assign(&["--merscope", s(&bundle), "--z-plane", "0"], &dir.path().join("d"));
    assert!(!stderr.contains("z-plane"), "{stderr}");
    assert_eq!(z0["cells"], 9);
    let ids0 = std::fs::read_to_string(dir.path().join("d/cell_ids.csv")).unwrap();
    assert!(ids0.contains("1780200000000009007") && !ids.contains("1780200000000009007"), "{ids0}");
    // A label image as LABELS and --z-plane do not mix.
    fails(&[s(&fixture("tables/labels.npy")), "--merscope", s(&bundle), "--z-plane", "0"], 1, &["--z-plane"]);
}

#[test]
fn bad_bundles_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = xenium_bundle(dir.path(), Some(r#"{"pixel_size": 0.2125}"#));
    let x = s(&bundle);
    // Wrong units / not JSON / missing experiment file.
    std::fs::write(bundle.join("experiment.xenium"), r#"{"pixel_size": "0.2125 um"}"#).unwrap();
    fails(&["--xenium", x], 1, &["experiment.xenium", "pixel_size"]);
    std::fs::write(bundle.join("experiment.xenium"), r#"{"pixel_size": 212.5}"#).unwrap();
    fails(&["--xenium", x], 1, &["experiment.xenium", "not µm per pixel", "--scale"]);
    std::fs::write(bundle.join("experiment.xenium"), r#"{"pixel_size": 0}"#).unwrap();
    fails(&["--xenium", x], 1, &["experiment.xenium", "pixel_size"]);
    std::fs::write(bundle.join("experiment.xenium"), "pixel_size=0.2").unwrap();
    fails(&["--xenium", x], 1, &["experiment.xenium", "not JSON"]);
    std::fs::remove_file(bundle.join("experiment.xenium")).unwrap();
    fails(&["--xenium", x], 1, &["experiment.xenium"]);
    std::fs::write(bundle.join("experiment.xenium"), "{}").unwrap();
    // Missing transcripts: both names; missing labels: both names.
    std::fs::remove_file(bundle.join("transcripts.parquet")).unwrap();
    fails(&["--xenium", x], 1, &["transcripts.parquet", "transcripts.csv.gz"]);
    copy("tables/xenium.parquet", &bundle.join("transcripts.parquet"));
    std::fs::remove_file(bundle.join("cells.zarr.zip")).unwrap();
    fails(&["--xenium", x], 1, &["cells.zarr.zip", "cell_boundaries.parquet", "cell_boundaries.csv.gz"]);
    fails(&["--xenium", s(&dir.path().join("nope"))], 1, &["nope", "not a folder"]);
    // CosMx: no labels for the FOV, no tx file, two tx files, an FOV with no transcripts.
    let cosmx = dir.path().join("cosmx");
    copy("tables/labels.npy", &cosmx.join("CellLabels/CellLabels_F002.tif"));
    let c = s(&cosmx);
    fails(&["--cosmx", c, "--fov", "7"], 1, &["CellLabels_F007.tif"]);
    fails(&["--cosmx", c, "--fov", "2"], 1, &["_tx_file.csv"]);
    copy("tables/cosmx.csv", &cosmx.join("A_tx_file.csv"));
    copy("labels/cells.zarr.zip", &cosmx.join("CellLabels/CellLabels_F009.tif"));
    fails(&["--cosmx", c, "--fov", "9"], 1, &["A_tx_file.csv", "no transcripts matching --where"]);
    copy("tables/cosmx.csv", &cosmx.join("B_tx_file.csv.gz"));
    fails(&["--cosmx", c, "--fov", "2"], 1, &["A_tx_file.csv", "B_tx_file.csv.gz"]);
    // An empty table (header only).
    std::fs::remove_file(cosmx.join("B_tx_file.csv.gz")).unwrap();
    std::fs::write(cosmx.join("A_tx_file.csv"), "fov,cell_ID,x_local_px,y_local_px,target\n").unwrap();
    fails(&["--cosmx", c, "--fov", "2"], 1, &["A_tx_file.csv", "no rows"]);
    // MERSCOPE: missing transcripts, missing transform.
    let merscope = dir.path().join("merscope");
    std::fs::create_dir_all(&merscope).unwrap();
    let labels = fixture("tables/labels.npy");
    fails(&[s(&labels), "--merscope", s(&merscope)], 1, &["detected_transcripts.csv"]);
    copy("tables/merscope.csv", &merscope.join("detected_transcripts.csv"));
    fails(&[s(&labels), "--merscope", s(&merscope)], 1, &["micron_to_mosaic_pixel_transform.csv"]);
}

#[test]
fn bundles_and_explicit_files_do_not_mix() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = xenium_bundle(dir.path(), Some("{}"));
    let labels = fixture("tables/labels.npy");
    let table = fixture("tables/cosmx.csv");
    fails(&["--xenium", s(&bundle), s(&labels)], 2, &["--xenium"]);
    fails(&["--xenium", s(&bundle), "--preset", "cosmx"], 2, &["--preset"]);
    fails(&["--xenium", s(&bundle), "--cosmx", s(&bundle), "--fov", "1"], 2, &["--cosmx"]);
    fails(&["--cosmx", s(&bundle)], 2, &["--fov"]);
    fails(&["--fov", "2", s(&labels), s(&table)], 2, &["--cosmx"]);
    fails(&[s(&labels), s(&table), "--merscope", s(&bundle)], 2, &["--merscope"]);
    fails(&[], 2, &["LABELS", "TRANSCRIPTS"]);
}

/// Runs `run -o OUT --json` and returns its JSON summary and stderr.
#[track_caller]
fn run(args: &[&str], out: &Path) -> (serde_json::Value, String) {
    let done = cellmap(&[&["run", "-o", s(out), "--json"], args].concat());
    let stderr = String::from_utf8_lossy(&done.stderr).into_owned();
    assert_eq!(done.status.code(), Some(0), "{args:?}: {stderr}");
    (serde_json::from_slice(&done.stdout).unwrap(), stderr)
}

#[track_caller]
fn run_fails(args: &[&str], code: i32, words: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let done = cellmap(&[&["run", "-o", s(&out)], args].concat());
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(code), "{args:?}: {stderr}");
    for word in words {
        assert!(stderr.contains(word), "{word}: {stderr}");
    }
    assert_eq!(stderr.lines().filter(|l| l.starts_with("error:")).count(), 1, "{stderr}");
    assert!(
        !out.exists() || std::fs::read_dir(&out).unwrap().all(|e| e.unwrap().file_name() == ".cellmap.lock")
    );
}

/// An integer member of an `.npz` as int64.
fn ints(path: &Path, name: &str) -> (Vec<usize>, Vec<i64>) {
    use cellmap_io::npy::ArrayData;
    let array = cellmap_io::fs::open_npz(path, &Default::default()).unwrap().array(name).unwrap();
    let values = match array.data() {
        ArrayData::I32(v) => v.iter().map(|&v| i64::from(v)).collect(),
        ArrayData::I64(v) => v.clone(),
        other => panic!("{name}: dtype {}", other.dtype().name()),
    };
    (array.shape().to_vec(), values)
}

/// Width and height of a PNG.
fn png_size(path: &Path) -> (usize, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let info = decoder.read_info().unwrap();
    (info.info().width as usize, info.info().height as usize)
}

/// `run` on a bundle against `assign` with the same flags: the tile `tile` has assign's counts.npz
/// and genes.txt byte for byte, table.npz's `sum` is those counts densely, labels.npy and
/// regions.csv are those of the labels (`labels`: the bundle's label image, when it is one), and
/// there is one map of the labels' size per gene of `genes` plus sum.png. Returns run's tile report.
#[track_caller]
fn run_equals_assign(
    args: &[&str],
    extra: &[&str],
    tile: &str,
    labels: Option<&Path>,
    genes: &[usize],
) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let (want, want_counts, _) = assign(args, &dir.path().join("a"));
    let (report, _) = run(&[args, extra].concat(), &dir.path().join("r"));
    assert_eq!((report["ok"].as_u64(), report["failed"].as_u64()), (Some(1), Some(0)), "{report}");
    let got = &report["tiles"][0];
    assert_eq!(got["name"], tile);
    assert_eq!((&got["cells"], &got["genes"]), (&want["cells"], &want["genes"]));
    let mut transcripts = want.clone();
    transcripts.as_object_mut().unwrap().retain(|k, _| k != "cells" && k != "genes");
    assert_eq!(got["transcripts"], transcripts);
    let folder = dir.path().join("r").join(tile);
    assert_eq!(std::fs::read(folder.join("counts.npz")).unwrap(), want_counts);
    let genes_txt = std::fs::read(folder.join("genes.txt")).unwrap();
    assert_eq!(genes_txt, std::fs::read(dir.path().join("a/genes.txt")).unwrap());
    // table.npz: the counts, dense, float64 under `sum`.
    let (cells, n_genes) =
        (want["cells"].as_u64().unwrap() as usize, want["genes"].as_u64().unwrap() as usize);
    let counts = folder.join("counts.npz");
    let ((_, indptr), (_, indices), (_, data)) =
        (ints(&counts, "indptr"), ints(&counts, "indices"), ints(&counts, "data"));
    let mut dense = vec![0.0; cells * n_genes];
    for c in 0..cells {
        for k in indptr[c] as usize..indptr[c + 1] as usize {
            dense[c * n_genes + indices[k] as usize] = data[k] as f64;
        }
    }
    assert_eq!(dense.iter().sum::<f64>(), want["in_cells"].as_u64().unwrap() as f64);
    let sum = cellmap_io::fs::open_npz(&folder.join("table.npz"), &Default::default())
        .unwrap()
        .array("sum")
        .unwrap();
    assert_eq!(sum.shape(), &[cells, n_genes]);
    assert_eq!(sum.data(), &cellmap_io::npy::ArrayData::F64(dense));
    assert_eq!(ints(&folder.join("table.npz"), "cell_id").1, (1..=cells as i64).collect::<Vec<_>>());
    // labels.npy and regions.csv: the bundle's labels.
    let written = cellmap::LabelImage::read(&folder.join("labels.npy")).unwrap();
    assert_eq!(written.n_cells(), cells);
    if let Some(labels) = labels {
        let read = cellmap::LabelImage::read(labels).unwrap();
        assert_eq!(written.labels().data(), read.labels().data());
        assert_eq!((written.width(), written.height()), (read.width(), read.height()));
    }
    let mut regions = Vec::new();
    cellmap::write_regions_csv(&mut regions, &cellmap::regions(&written).unwrap()).unwrap();
    assert_eq!(
        String::from_utf8(std::fs::read(folder.join("regions.csv")).unwrap()).unwrap(),
        String::from_utf8(regions).unwrap()
    );
    let mut maps: Vec<String> = std::fs::read_dir(folder.join("maps"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    maps.sort();
    let mut want_maps: Vec<String> = genes.iter().map(|g| format!("gene_{g:04}.png")).collect();
    want_maps.push("sum.png".into());
    assert_eq!(maps, want_maps);
    for map in &maps {
        assert_eq!(png_size(&folder.join("maps").join(map)), (written.width(), written.height()), "{map}");
    }
    got.clone()
}

#[test]
fn run_on_a_xenium_bundle_is_assign_then_a_tile() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = xenium_bundle(dir.path(), Some(r#"{"pixel_size": 0.425}"#));
    let labels = bundle.join("cells.zarr.zip");
    let got = run_equals_assign(&["--xenium", s(&bundle)], &[], "cells", Some(&labels), &[0, 1, 2, 3, 4]);
    assert!(got["transcripts"]["in_cells"].as_u64() > Some(0), "{got}");
    // Gene names from the table (genes.txt: Gad1, Vip, Actb, Pvalb, Sst) and a colour range.
    let names = ["--genes", "Sst,Vip", "--vmin", "0", "--vmax", "3"];
    run_equals_assign(&["--xenium", s(&bundle)], &names, "cells", Some(&labels), &[1, 4]);
    run_equals_assign(
        &["--xenium", s(&bundle), "--max-distance", "2"],
        &["--genes", "2"],
        "cells",
        None,
        &[2],
    );
}

#[test]
fn run_on_xenium_polygons_keeps_their_ids() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("xenium");
    copy("polygons/xenium_cell_boundaries.csv.gz", &bundle.join("cell_boundaries.csv.gz"));
    copy("tables/xenium.parquet", &bundle.join("transcripts.parquet"));
    std::fs::write(bundle.join("experiment.xenium"), r#"{"pixel_size": 0.2125}"#).unwrap();
    run_equals_assign(&["--xenium", s(&bundle)], &["--genes", "0..2"], "cell_boundaries", None, &[0, 1]);
    let out = dir.path().join("out");
    run(&["--xenium", s(&bundle)], &out);
    let ids = std::fs::read(out.join("cell_boundaries/cell_ids.csv")).unwrap();
    assign(&["--xenium", s(&bundle)], &dir.path().join("a"));
    assert_eq!(ids, std::fs::read(dir.path().join("a/cell_ids.csv")).unwrap());
}

#[test]
fn run_on_a_cosmx_bundle_matches_the_python_reference() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("cosmx");
    copy("tables/labels.npy", &bundle.join("CellLabels/CellLabels_F002.tif"));
    copy("tables/cosmx.csv", &bundle.join("Run5_tx_file.csv"));
    let labels = bundle.join("CellLabels/CellLabels_F002.tif");
    let args = ["--cosmx", s(&bundle), "--fov", "2"];
    let got =
        run_equals_assign(&args, &["--csv", "--anndata"], "CellLabels_F002", Some(&labels), &[0, 1, 2, 3, 4]);
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture("tables/expected.json")).unwrap()).unwrap();
    for (key, want) in expected["cosmx_fov2"].as_object().unwrap() {
        assert_eq!(&got["transcripts"][key], want, "{key}");
    }
    // --stat count: the same numbers as int64; table.csv and the store name the genes.
    let out = dir.path().join("out");
    run(&[&args[..], &["--stat", "count", "--csv", "--anndata"]].concat(), &out);
    let folder = out.join("CellLabels_F002");
    let (shape, count) = ints(&folder.join("table.npz"), "count");
    assert_eq!(count.iter().sum::<i64>(), 42);
    assert_eq!(shape[1] as u64, got["genes"].as_u64().unwrap());
    let genes = std::fs::read_to_string(folder.join("genes.txt")).unwrap();
    let csv = std::fs::read_to_string(folder.join("table.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert_eq!(header[1..], genes.lines().collect::<Vec<_>>()[..]);
    assert_eq!(
        csv.lines()
            .skip(1)
            .flat_map(|l| l.split(',').skip(1))
            .map(|v| v.parse::<i64>().unwrap())
            .sum::<i64>(),
        42
    );
    // transcript counts: a sparse (CSR) X
    assert!(folder.join("anndata.zarr/X/indptr/.zarray").is_file(), "a CSR X");
}

#[test]
fn run_on_a_merscope_bundle_takes_the_labels_as_its_argument() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("merscope");
    copy("tables/merscope.csv", &bundle.join("detected_transcripts.csv"));
    copy(
        "tables/micron_to_mosaic_pixel_transform.csv",
        &bundle.join("images/micron_to_mosaic_pixel_transform.csv"),
    );
    let labels = dir.path().join("mosaic_labels.npy");
    copy("tables/labels.npy", &labels);
    let args = [s(&labels), "--merscope", s(&bundle)];
    let got = run_equals_assign(&args, &[], "mosaic_labels", Some(&labels), &[0, 1, 2, 3, 4]);
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture("tables/expected.json")).unwrap()).unwrap();
    for (key, want) in expected["merscope"].as_object().unwrap() {
        assert_eq!(&got["transcripts"][key], want, "{key}");
    }
    run_fails(&["--merscope", s(&bundle)], 1, &["cell_boundaries.parquet", "LABELS"]);
}

#[test]
fn run_on_a_merscope_bundle_without_labels_draws_its_polygons() {
    // tests/fixtures/polygons/merscope: cell_boundaries.parquet, transform, transcripts (µm).
    let bundle = fixture("polygons/merscope");
    let genes = [0, 1, 2, 3, 4];
    let got = run_equals_assign(&["--merscope", s(&bundle)], &[], "cell_boundaries", None, &genes);
    let text = std::fs::read_to_string(fixture("polygons/merscope_expected.json")).unwrap();
    let want: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!((&got["cells"], &got["transcripts"]["in_cells"]), (&want["cells"], &want["in_cells"]));
    // --z-plane and --shape reach the polygons as they do for assign.
    let z0 = run_equals_assign(
        &["--merscope", s(&bundle), "--z-plane", "0"],
        &[],
        "cell_boundaries",
        None,
        &genes,
    );
    assert_eq!(z0["cells"], 9);
    let [h, w] = [want["shape"][0].as_u64().unwrap(), want["shape"][1].as_u64().unwrap()];
    let shape = format!("{},{}", h + 10, w + 10);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (_, stderr) = run(&["--merscope", s(&bundle), "--shape", &shape], &out);
    assert!(!stderr.contains("extent"), "{stderr}");
    let labels = cellmap::LabelImage::read(&out.join("cell_boundaries/labels.npy")).unwrap();
    assert_eq!((labels.height() as u64, labels.width() as u64), (h + 10, w + 10));
    // The polygon ids are assign's.
    let ids = std::fs::read(out.join("cell_boundaries/cell_ids.csv")).unwrap();
    assign(&["--merscope", s(&bundle), "--shape", &shape], &dir.path().join("a"));
    assert_eq!(ids, std::fs::read(dir.path().join("a/cell_ids.csv")).unwrap());
    // --z-plane belongs to a bundle's transcripts, not to tiles.
    run_fails(&[s(dir.path()), "--z-plane", "0"], 2, &["--z-plane", "--merscope"]);
}

#[test]
fn run_on_xenium_parquet_polygons_alone_reads_them_in_um() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("xenium");
    copy("polygons/xenium_cell_boundaries.parquet", &bundle.join("cell_boundaries.parquet"));
    copy("tables/xenium.parquet", &bundle.join("transcripts.parquet"));
    let csv = fixture("polygons/xenium_cell_boundaries.csv.gz");
    let table = bundle.join("transcripts.parquet");
    // The experiment's pixel size scales the parquet polygons as it does the CSV ones and the
    // transcripts (0.425: not the readers' default).
    for size in ["0.2125", "0.425"] {
        std::fs::write(bundle.join("experiment.xenium"), format!(r#"{{"pixel_size": {size}}}"#)).unwrap();
        run_equals_assign(&["--xenium", s(&bundle)], &["--genes", "0..2"], "cell_boundaries", None, &[0, 1]);
        let out = dir.path().join(format!("run-{size}"));
        run(&["--xenium", s(&bundle)], &out);
        let explicit = ["--preset", "xenium", "--scale", size, s(&csv), s(&table)];
        let (want, want_counts, _) = assign(&explicit, &dir.path().join(format!("csv-{size}")));
        assert!(want["in_cells"].as_u64() > Some(0), "{want}");
        assert_eq!(std::fs::read(out.join("cell_boundaries/counts.npz")).unwrap(), want_counts);
        let ids = |path: PathBuf| std::fs::read(path.join("cell_ids.csv")).unwrap();
        assert_eq!(ids(out.join("cell_boundaries")), ids(dir.path().join(format!("csv-{size}"))));
    }
}

#[test]
fn run_on_bad_bundles_names_the_file_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = xenium_bundle(dir.path(), Some(r#"{"pixel_size": 0.2125}"#));
    let x = s(&bundle);
    run_fails(&["--xenium", x, "--genes", "Gad1,Nope"], 1, &["transcripts.parquet", "gene `Nope`"]);
    run_fails(&["--xenium", x, "--genes", "5"], 1, &["transcripts.parquet", "gene 5 asked for"]);
    // Every transcript outside the image: the frame is named.
    run_fails(
        &["--xenium", x, "--scale", "0.001"],
        1,
        &["transcripts.parquet", "outside the image", "--scale"],
    );
    // Stats and flags that make no sense for counts: usage errors.
    run_fails(&["--xenium", x, "--stat", "mean"], 2, &["--stat mean", "sum", "count"]);
    run_fails(&["--xenium", x, "--range", "pixels"], 2, &["--range pixels"]);
    run_fails(&["--xenium", x, "--no-fill-holes"], 2, &["tile masks"]);
    run_fails(&["--xenium", x, s(&bundle)], 2, &["--xenium"]);
    std::fs::write(bundle.join("experiment.xenium"), "pixel_size=0.2").unwrap();
    run_fails(&["--xenium", x], 1, &["experiment.xenium", "not JSON"]);
    std::fs::remove_file(bundle.join("cells.zarr.zip")).unwrap();
    run_fails(&["--xenium", x, "--scale", "0.2125"], 1, &["cells.zarr.zip", "cell_boundaries.csv.gz"]);
    // CosMx: an FOV without transcripts; an empty table.
    let cosmx = dir.path().join("cosmx");
    copy("tables/labels.npy", &cosmx.join("CellLabels/CellLabels_F009.tif"));
    copy("tables/cosmx.csv", &cosmx.join("A_tx_file.csv"));
    run_fails(
        &["--cosmx", s(&cosmx), "--fov", "9"],
        1,
        &["A_tx_file.csv", "no transcripts matching --where"],
    );
    std::fs::write(cosmx.join("A_tx_file.csv"), "fov,cell_ID,x_local_px,y_local_px,target\n").unwrap();
    run_fails(&["--cosmx", s(&cosmx), "--fov", "9"], 1, &["A_tx_file.csv", "no rows"]);
    // Transcript flags without a bundle.
    run_fails(&[s(dir.path()), "--min-qv", "20"], 2, &["--min-qv", "--xenium"]);
}

#[test]
fn run_on_a_bundle_keeps_the_output_policy() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = xenium_bundle(dir.path(), Some(r#"{"pixel_size": 0.2125}"#));
    let out = dir.path().join("out");
    run(&["--xenium", s(&bundle), "--genes", "0"], &out);
    let before = std::fs::read(out.join("cells/table.npz")).unwrap();
    let again = cellmap(&["run", "--xenium", s(&bundle), "--genes", "0", "--stat", "count", "-o", s(&out)]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("table.npz") && stderr.contains("--overwrite"), "{stderr}");
    assert_eq!(std::fs::read(out.join("cells/table.npz")).unwrap(), before);
    run(&["--xenium", s(&bundle), "--genes", "0", "--stat", "count", "--overwrite"], &out);
    assert_ne!(std::fs::read(out.join("cells/table.npz")).unwrap(), before);
    // A budget too small for the transcripts: refused before anything is written.
    let small = dir.path().join("small");
    let done = cellmap(&["--max-memory", "1K", "run", "--xenium", s(&bundle), "-o", s(&small)]);
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--max-memory"), "{stderr}");
    assert!(!small.join("cells").exists());
}
