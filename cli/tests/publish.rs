//! `cellmap publish`: the site's files, its SpatialData store checked by the pinned spatialdata
//! stack (cli/tests/publish_check.py in .venv-spatialdata: read_zarr, annotators, values equal to
//! `run`'s and `assign`'s, anndata over HTTP), golden metadata (tests/fixtures/publish/), and the
//! output policy (an existing folder is replaced only if cellmap published it, with --overwrite).
//!
//! The golden files are the store's metadata as cellmap writes it: a change of the format shows
//! as a diff. After a deliberate change, rewrite them with `CELLMAP_UPDATE_GOLDEN=1 cargo test -p
//! cellmap-cli --test publish` and review the diff.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cellmap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cellmap")).args(args).output().expect("cellmap runs")
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

#[track_caller]
fn assert_ok(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[track_caller]
fn assert_fails(out: &Output, code: i32, words: &str) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(err.contains(words), "{err}");
    err
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(name)
}

/// Sorted names in `dir`.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A stand-in viewer folder: what publish copies (and the files it leaves out).
fn fake_viewer(dir: &Path) -> PathBuf {
    let web = dir.join("web");
    std::fs::create_dir_all(web.join("pkg/readers")).unwrap();
    for (name, text) in [
        ("index.html", "<!doctype html><meta name=\"cellmap-data\" content=\"\">"),
        ("main.js", "// main"),
        ("README.md", "not copied"),
        (".hidden", "not copied"),
        ("pkg/cellmap_wasm_bg.wasm", "\0asm"),
        ("pkg/.gitignore", "*"),
        ("pkg/readers/r.js", "// r"),
    ] {
        std::fs::write(web.join(name), text).unwrap();
    }
    web
}

/// The Python of .venv-spatialdata: `$CELLMAP_SPATIALDATA_PYTHON` (CI sets it, so the check
/// cannot be skipped there), else the checkout's venv if set up.
fn spatialdata_python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CELLMAP_SPATIALDATA_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv-spatialdata/bin/python");
    if p.exists() {
        Some(p)
    } else {
        eprintln!("note: {} missing (run scripts/setup-python.sh): spatialdata check skipped", p.display());
        None
    }
}

/// Runs cli/tests/publish_check.py on `site` (`transcripts`: the CSV its points came from).
fn check_in_spatialdata(
    site: &Path,
    labels: &Path,
    table: &Path,
    genes: &Path,
    levels: usize,
    transcripts: Option<&Path>,
) {
    let Some(py) = spatialdata_python() else { return };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/publish_check.py");
    let out = Command::new(py)
        .arg(&script)
        .args([s(site), s(labels), s(table), s(genes), &levels.to_string()])
        .args(transcripts.map(s))
        .output()
        .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).trim_end().ends_with("ok"),
        "publish_check.py: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Compares `got` (a JSON file of the store, cellmap's version replaced by `VERSION`) with the
/// golden file `tests/fixtures/publish/<name>`; rewrites it with CELLMAP_UPDATE_GOLDEN=1.
#[track_caller]
fn assert_golden(got: &Path, name: &str) {
    let text = std::fs::read_to_string(got).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let version = format!("cellmap {}", env!("CARGO_PKG_VERSION"));
    if let Some(v) = json.pointer_mut("/attributes/spatialdata_attrs/spatialdata_software_version") {
        assert_eq!(v, &serde_json::json!(version));
        *v = serde_json::json!("cellmap VERSION");
    }
    let got = format!("{json:#}\n");
    let path = fixture("publish").join(name);
    if std::env::var_os("CELLMAP_UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(got == want, "{name}: the store's metadata changed (CELLMAP_UPDATE_GOLDEN=1 to accept):\n{got}");
}

#[test]
fn a_tile_is_published_with_runs_values() {
    let dir = tempfile::tempdir().unwrap();
    // The tile as `run` finds it, and the same files given to publish.
    let tiles = dir.path().join("tiles");
    std::fs::create_dir(&tiles).unwrap();
    let (mask, csr) = (tiles.join("t.npy"), tiles.join("t_ST_1024.npz"));
    std::fs::copy(fixture("cli/mask.npy"), &mask).unwrap();
    std::fs::copy(fixture("cli/st.npz"), &csr).unwrap();
    let ran = dir.path().join("ran");
    assert_ok(&cellmap(&["run", s(&tiles), "-o", s(&ran), "--genes", "0"]));
    let site = dir.path().join("site");
    let web = fake_viewer(dir.path());
    let out = cellmap(&["publish", s(&mask), s(&csr), "-o", s(&site), "--viewer", s(&web), "--json"]);
    assert_ok(&out);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((summary["cells"].as_u64(), summary["levels"].as_array().map(Vec::len)), (Some(17), Some(1)));
    assert_eq!(names(&site), ["data.zarr", "index.html", "main.js", "manifest.json", "pkg"]);
    assert_eq!(names(&site.join("pkg")), ["cellmap_wasm_bg.wasm", "readers"]);
    assert_eq!(names(dir.path()), ["ran", "site", "tiles", "web"], "no temporaries left");
    // the site's own address opens its store: index.html names it
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert_eq!(index, r#"<!doctype html><meta name="cellmap-data" content="data.zarr">"#);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(site.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["generator"], "cellmap publish");
    assert_eq!(manifest["title"], "site");
    assert_eq!(manifest["statistic"], "mean");
    assert_eq!(
        manifest["files"],
        serde_json::json!(["index.html", "main.js", "pkg", "data.zarr", "manifest.json"])
    );
    assert_golden(&site.join("data.zarr/zarr.json"), "tile.zarr.json");
    // The table as `run` wrote it (means, NaN for none): the check compares X with it.
    let genes = dir.path().join("genes.txt");
    let n_genes = summary["genes"].as_u64().unwrap();
    std::fs::write(&genes, (0..n_genes).map(|g| format!("gene_{g}\n")).collect::<String>()).unwrap();
    let table = PathBuf::from(format!("{}:mean", s(&ran.join("t/table.npz"))));
    check_in_spatialdata(&site, &ran.join("t/labels.npy"), &table, &genes, 1, None);
}

/// A 4096² label image of 40-px squares (ids with gaps: every 7th id unused), the top-right
/// quarter empty; and a transcript table with points in some cells.
fn slide(dir: &Path) -> (PathBuf, PathBuf) {
    let n = 4096usize;
    let mut labels = vec![0i32; n * n];
    for y in 0..n {
        for x in 0..n {
            let (cy, cx) = (y / 40, x / 40);
            let inside = y % 40 < 36 && x % 40 < 36;
            let id = (cy * 103 + cx + 1) as i32;
            if inside && !(y < n / 2 && x >= n / 2) && id % 7 != 0 {
                labels[y * n + x] = id;
            }
        }
    }
    let path = dir.join("labels.npy");
    cellmap_io::fs::write_npy(&path, &[n, n], &labels).unwrap();
    let mut csv = String::from("x,y,gene\n");
    for k in 0..3000usize {
        let (x, y) = ((k * 7919) % n, (k * 104_729) % n);
        let gene = ["Gad1", "Sst", "Pvalb"][k % 3];
        csv += &format!("{}.5,{}.25,{gene}\n", x, y);
    }
    let table = dir.join("transcripts.csv");
    std::fs::write(&table, csv).unwrap();
    (path, table)
}

#[test]
fn a_slide_gets_a_pyramid_and_assigns_counts() {
    let dir = tempfile::tempdir().unwrap();
    let (labels, transcripts) = slide(dir.path());
    let assigned = dir.path().join("assigned");
    assert_ok(&cellmap(&["assign", s(&labels), s(&transcripts), "-o", s(&assigned)]));
    let site = dir.path().join("site");
    let out = cellmap(&[
        "publish",
        s(&labels),
        "--transcripts",
        s(&transcripts),
        "-o",
        s(&site),
        "--no-viewer",
        "--json",
    ]);
    assert_ok(&out);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["levels"], serde_json::json!([[4096, 4096], [2048, 2048], [1024, 1024], [512, 512]]));
    assert_eq!(summary["renumbered"], true);
    let stages: Vec<&String> = summary["stage_seconds"].as_object().unwrap().keys().collect();
    assert_eq!(stages, ["inputs", "labels", "points", "regions", "table"]);
    assert_eq!(names(&site), ["data.zarr", "manifest.json"]);
    // The top-right quarter is background: its level-0 chunks (rows 0..4, columns 4..8) are absent.
    let s0 = site.join("data.zarr/labels/cells/s0/c");
    assert!(s0.join("0/0").is_file() && s0.join("7/7").is_file());
    assert!((0..4).all(|r| (4..8).all(|c| !s0.join(format!("{r}/{c}")).exists())));
    assert_eq!(summary["empty_chunks"], 16 + 4 + 1);
    assert_golden(&site.join("data.zarr/labels/cells/zarr.json"), "slide.labels.zarr.json");
    assert_golden(&site.join("data.zarr/points/transcripts/zarr.json"), "slide.points.zarr.json");
    assert_eq!(summary["points"], 3000);
    let counts = assigned.join("counts.npz");
    check_in_spatialdata(&site, &labels, &counts, &assigned.join("genes.txt"), 4, Some(&transcripts));
}

#[test]
fn an_existing_folder_is_replaced_only_if_cellmap_published_it() {
    let dir = tempfile::tempdir().unwrap();
    let mask = fixture("cli/mask.npy");
    let csr = fixture("cli/st.npz");
    let site = dir.path().join("site");
    let publish = |extra: &[&str]| {
        cellmap(&[&["publish", s(&mask), s(&csr), "-o", s(&site), "--no-viewer"][..], extra].concat())
    };
    // A folder of someone else's files is never replaced.
    std::fs::create_dir(&site).unwrap();
    std::fs::write(site.join("notes.txt"), "mine").unwrap();
    assert_fails(&publish(&["--overwrite"]), 1, "is not a site cellmap published");
    assert_eq!(names(&site), ["notes.txt"]);
    std::fs::remove_file(site.join("notes.txt")).unwrap();
    // An empty folder is taken; the site then needs --overwrite to be replaced.
    assert_ok(&publish(&[]));
    assert_fails(&publish(&[]), 1, "pass --overwrite to replace it");
    assert_ok(&publish(&["--overwrite", "--title", "again"]));
    let manifest = std::fs::read_to_string(site.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"title\": \"again\""), "{manifest}");
    // A file added to a published site makes it someone else's.
    std::fs::write(site.join("CNAME"), "example.org").unwrap();
    assert_fails(&publish(&["--overwrite"]), 1, "holds files cellmap did not publish (CNAME)");
    assert!(site.join("CNAME").is_file() && site.join("data.zarr/zarr.json").is_file());
    assert_eq!(names(dir.path()), ["site"], "no temporaries left");
    // An input as the output is a usage error.
    let out = cellmap(&["publish", s(&mask), s(&csr), "-o", s(&mask), "--no-viewer"]);
    assert_fails(&out, 2, "is also an input");
}

#[test]
fn a_viewer_without_its_wasm_package_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let web = fake_viewer(dir.path());
    std::fs::remove_file(web.join("pkg/cellmap_wasm_bg.wasm")).unwrap();
    let site = dir.path().join("site");
    let (mask, csr) = (fixture("cli/mask.npy"), fixture("cli/st.npz"));
    let args = ["publish", s(&mask), s(&csr), "-o", s(&site)];
    let out = cellmap(&[&args[..], &["--viewer", s(&web)]].concat());
    assert_fails(&out, 1, "build the wasm package first (bash scripts/build-wasm.sh");
    assert!(!site.exists());
    // Transcript flags need transcripts.
    assert_fails(&cellmap(&[&args[..], &["--scale", "0.5"]].concat()), 2, "--scale is for transcripts");
}

/// The Python of .venv (anndata): `$CELLMAP_PYTHON`, else the checkout's venv if set up.
fn venv_python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CELLMAP_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    p.exists().then_some(p)
}

#[test]
fn a_xenium_bundle_is_published_with_assigns_counts() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("xenium");
    std::fs::create_dir(&bundle).unwrap();
    std::fs::copy(fixture("labels/cells.zarr.zip"), bundle.join("cells.zarr.zip")).unwrap();
    std::fs::copy(fixture("tables/xenium.parquet"), bundle.join("transcripts.parquet")).unwrap();
    std::fs::write(bundle.join("experiment.xenium"), r#"{"pixel_size": 0.425}"#).unwrap();
    let assigned = dir.path().join("assigned");
    assert_ok(&cellmap(&["assign", "--xenium", s(&bundle), "-o", s(&assigned)]));
    let site = dir.path().join("site");
    let out = cellmap(&["publish", "--xenium", s(&bundle), "-o", s(&site), "--no-viewer", "--json"]);
    assert_ok(&out);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(summary["points"].as_u64().unwrap() > 0, "{summary}");
    let manifest = std::fs::read_to_string(site.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"role\": \"transcripts\"") && manifest.contains("\"statistic\": \"count\""));
    let Some(py) = venv_python() else { return };
    // X is assign's counts.npz, row by row of the (renumbered) cells.
    let code = format!(
        "import anndata as ad, numpy as np, scipy.sparse as sp\n\
         a = ad.read_zarr({table:?})\n\
         c = sp.load_npz({counts:?}).toarray()\n\
         rows = a.obs['source_label'].to_numpy() - 1 if 'source_label' in a.obs else np.arange(a.n_obs)\n\
         assert a.X.format == 'csc' and a.n_obs > 0\n\
         np.testing.assert_array_equal(a.X.toarray(), c[rows].astype(np.float32))\n\
         assert c.sum() == c[rows].sum(), 'counts on cells without pixels'\n\
         assert list(a.var_names) == open({genes:?}).read().splitlines()\n",
        table = s(&site.join("data.zarr/tables/table")),
        counts = s(&assigned.join("counts.npz")),
        genes = s(&assigned.join("genes.txt")),
    );
    let done = Command::new(py).args(["-c", &code]).output().unwrap();
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
}

/// Every file under `dir`: (path relative to it, bytes), sorted by path.
fn tree_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The site's manifest.
fn manifest(site: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(site.join("manifest.json")).unwrap()).unwrap()
}

/// `site`'s store and manifest are those of `want` (every file of data.zarr byte for byte).
#[track_caller]
fn assert_same_site(site: &Path, want: &Path) {
    let (got, expected) = (tree_bytes(&site.join("data.zarr")), tree_bytes(&want.join("data.zarr")));
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&got), names(&expected), "{} vs {}", site.display(), want.display());
    for ((name, a), (_, b)) in got.iter().zip(&expected) {
        assert!(a == b, "{name} differs: {} vs {}", site.display(), want.display());
    }
    assert_eq!(manifest(site), manifest(want));
}

#[test]
fn a_run_folder_publishes_the_store_of_its_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    // A binary mask (mean, the default) with gene names, in the folder layout `run` reads.
    std::fs::create_dir(path("tiles")).unwrap();
    let (mask, csr, genes) = (path("tiles/t.npy"), path("tiles/t_ST_1024.npz"), path("tiles/t_genes.txt"));
    std::fs::copy(fixture("cli/mask.npy"), &mask).unwrap();
    std::fs::copy(fixture("cli/st.npz"), &csr).unwrap();
    std::fs::write(&genes, "Gad1\nSst\nPvalb\nVip\nActb\nMbp\nSnap25\n").unwrap();
    assert_ok(&cellmap(&["run", s(&path("tiles")), "-o", s(&path("ran")), "--genes", "0"]));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path("ran/t/run.json")).unwrap()).unwrap();
    assert_eq!(
        (&summary["generator"], &summary["tile"], &summary["statistic"]),
        (&"cellmap run".into(), &"t".into(), &"mean".into())
    );
    assert_eq!(
        std::fs::read_to_string(path("ran/t/genes.txt")).unwrap(),
        std::fs::read_to_string(&genes).unwrap()
    );
    let publish = |from: &[&str], site: &str| {
        let out =
            cellmap(&[&["publish"][..], from, &["-o", s(&path(site)), "--no-viewer", "--json"]].concat());
        assert_ok(&out);
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    // The run's output folder (one tile) and the tile's folder give the store of the inputs.
    let from_inputs = publish(&[s(&mask), s(&csr), "--genes-file", s(&genes), "--title", "t"], "from_inputs");
    let from_run = publish(&[s(&path("ran"))], "from_run");
    publish(&[s(&path("ran/t"))], "from_tile");
    assert_same_site(&path("from_run"), &path("from_inputs"));
    assert_same_site(&path("from_tile"), &path("from_inputs"));
    for key in ["cells", "genes", "nnz", "statistic", "levels", "label_chunks", "renumbered"] {
        assert_eq!(from_run[key], from_inputs[key], "{key}");
    }
    let m = manifest(&path("from_run"));
    assert_eq!((m["title"].as_str(), m["statistic"].as_str()), (Some("t"), Some("mean")));
    let roles: Vec<&str> =
        m["sources"].as_array().unwrap().iter().map(|s| s["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["mask", "expression", "genes"]);
    let table = PathBuf::from(format!("{}:mean", s(&path("ran/t/table.npz"))));
    check_in_spatialdata(&path("from_run"), &path("ran/t/labels.npy"), &table, &genes, 1, None);

    // A label image with unused ids (renumbered in the store) and another statistic (float32).
    std::fs::create_dir(path("tiles2")).unwrap();
    let labels = cellmap_io::fs::read_npy(&path("ran/t/labels.npy"), &cellmap_io::Limits::default()).unwrap();
    let (shape, data) = labels.into_parts();
    let cellmap_io::npy::ArrayData::I32(ids) = data else { panic!("labels.npy is int32") };
    let gapped: Vec<i32> = ids.iter().map(|&l| l * 3).collect();
    let (label_image, csr2) = (path("tiles2/u.npy"), path("tiles2/u_ST_1024.npz"));
    cellmap_io::fs::write_npy(&label_image, &shape, &gapped).unwrap();
    std::fs::copy(fixture("cli/st.npz"), &csr2).unwrap();
    assert_ok(&cellmap(&[
        "run",
        s(&path("tiles2")),
        "-o",
        s(&path("ran2")),
        "--genes",
        "0",
        "--stat",
        "max",
    ]));
    let from_inputs = publish(&[s(&label_image), s(&csr2), "--stat", "max", "--title", "u"], "from_inputs2");
    assert_eq!(from_inputs["renumbered"], true);
    publish(&[s(&path("ran2"))], "from_run2");
    assert_same_site(&path("from_run2"), &path("from_inputs2"));
    assert_eq!(manifest(&path("from_run2"))["statistic"], "max");
}

#[test]
fn a_folder_that_is_not_a_runs_output_is_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let publish = |from: &Path, extra: &[&str]| {
        let site = path("site");
        cellmap(&[&["publish", s(from), "-o", s(&site), "--no-viewer"][..], extra].concat())
    };
    #[track_caller]
    fn one_line(out: &Output, words: &str) {
        let err = assert_fails(out, 1, words);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
    // An empty folder, a folder of other files.
    std::fs::create_dir(path("empty")).unwrap();
    one_line(&publish(&path("empty"), &[]), "empty: is not a folder `cellmap run` wrote (no run.json");
    // A run of two tiles: publish one of them.
    std::fs::create_dir(path("tiles")).unwrap();
    for tile in ["a", "b"] {
        std::fs::copy(fixture("cli/mask.npy"), path(&format!("tiles/{tile}.npy"))).unwrap();
        std::fs::copy(fixture("cli/st.npz"), path(&format!("tiles/{tile}_ST_1024.npz"))).unwrap();
    }
    assert_ok(&cellmap(&["run", s(&path("tiles")), "-o", s(&path("ran")), "--genes", "0"]));
    one_line(&publish(&path("ran"), &[]), "ran: holds 2 tiles (a, b); a site shows one: publish one of them");
    // A tile folder without its summary (an older run), or with someone else's run.json.
    std::fs::rename(path("ran/b/run.json"), path("b.json")).unwrap();
    one_line(&publish(&path("ran/b"), &[]), "b: has no run.json (written by a cellmap run older");
    std::fs::write(path("ran/b/run.json"), "{\"generator\": \"something else\"}").unwrap();
    one_line(&publish(&path("ran/b"), &[]), "run.json: not a summary of `cellmap run`");
    std::fs::write(path("ran/b/run.json"), "not json").unwrap();
    one_line(&publish(&path("ran/b"), &[]), "run.json: not JSON");
    std::fs::write(path("ran/b/run.json"), vec![b' '; 2 << 20]).unwrap();
    one_line(&publish(&path("ran/b"), &[]), "run.json: 2097152 bytes, too large for a summary");
    // An incomplete tile folder names the missing file.
    std::fs::remove_file(path("ran/a/table.npz")).unwrap();
    one_line(&publish(&path("ran/a"), &[]), "table.npz");
    assert!(!path("site").exists(), "nothing written");
    // Usage errors (exit 2): labelling flags or --stat with a run's folder, a mask alone, the
    // run's folder as the output.
    assert_fails(&publish(&path("ran/b"), &["--connectivity", "8"]), 2, "not for a run's folder");
    assert_fails(&publish(&path("ran/b"), &["--stat", "sum"]), 2, "EXPRESSION");
    assert_fails(&publish(&fixture("cli/mask.npy"), &[]), 2, "EXPRESSION is required");
    let out = cellmap(&["publish", s(&path("ran/b")), "-o", s(&path("ran/b")), "--no-viewer"]);
    assert_fails(&out, 2, "is also an input");
}

#[test]
fn a_bundles_run_folder_publishes_the_bundles_store_without_points() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    std::fs::create_dir(path("xenium")).unwrap();
    std::fs::copy(fixture("labels/cells.zarr.zip"), path("xenium/cells.zarr.zip")).unwrap();
    std::fs::copy(fixture("tables/xenium.parquet"), path("xenium/transcripts.parquet")).unwrap();
    std::fs::write(path("xenium/experiment.xenium"), r#"{"pixel_size": 0.425}"#).unwrap();
    assert_ok(&cellmap(&["run", "--xenium", s(&path("xenium")), "-o", s(&path("ran"))]));
    let out = cellmap(&["publish", s(&path("ran")), "-o", s(&path("from_run")), "--no-viewer"]);
    assert_ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds no transcripts"));
    let (bundle, site) = (path("xenium"), path("from_bundle"));
    let args =
        ["publish", "--xenium", s(&bundle), "--no-points", "--title", "cells", "-o", s(&site), "--no-viewer"];
    assert_ok(&cellmap(&args));
    assert_same_site(&path("from_run"), &path("from_bundle"));
    assert_eq!(manifest(&path("from_run"))["statistic"], "count");
}
