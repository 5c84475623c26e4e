//! `cellmap cluster`: the table `cellmap run --csv` writes, the scanpy preprocessing and the
//! sklearn clusterings end to end (fixtures: tests/generators/cluster.py), and bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cellmap_tests::npy;

fn cellmap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cellmap")).args(args).output().expect("cellmap runs")
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn fixture(name: &str) -> PathBuf {
    npy::fixture_path(&format!("cluster/{name}"))
}

fn ok(args: &[&str]) -> String {
    let out = cellmap(args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn fails(args: &[&str], code: i32, words: &[&str]) {
    let out = cellmap(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    assert!(err.starts_with("error: "), "{err}");
    for w in words {
        assert!(err.contains(w), "{err} lacks {w}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

fn read_clusters(path: &Path) -> Vec<(String, u32)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("cell_id,cluster"));
    lines
        .map(|l| {
            let (id, c) = l.split_once(',').unwrap();
            (id.to_string(), c.parse().unwrap())
        })
        .collect()
}

/// The fixture's raw counts as the table.csv of `cellmap run --csv`, and its groups as truth.
fn write_inputs(dir: &Path) -> (PathBuf, PathBuf) {
    let counts = npy::load("cluster/counts.npy");
    let groups = npy::load("cluster/groups.npy");
    let (n, g) = (counts.shape[0], counts.shape[1]);
    let mut table = String::from("cell_id");
    (0..g).for_each(|j| table.push_str(&format!(",gene_{j}")));
    table.push('\n');
    for i in 0..n {
        table.push_str(&(i + 1).to_string());
        counts.values[i * g..(i + 1) * g].iter().for_each(|v| table.push_str(&format!(",{v:?}")));
        table.push('\n');
    }
    let mut truth = String::from("cell_id,group\n");
    for (i, v) in groups.values.iter().enumerate().rev() {
        truth.push_str(&format!("{},G{v}\n", i + 1));
    }
    let (t, l) = (dir.join("table.csv"), dir.join("truth.csv"));
    std::fs::write(&t, table).unwrap();
    std::fs::write(&l, truth).unwrap();
    (t, l)
}

#[test]
fn the_scanpy_recipe_recovers_the_groups() {
    let dir = tempfile::tempdir().unwrap();
    let (table, truth) = write_inputs(dir.path());
    let out = dir.path().join("clusters.csv");
    let recipe = ["--normalize", "--log1p", "--hvg", "80", "--pca", "10", "--k", "4"];
    for method in ["kmeans", "gmm"] {
        let args = [
            &["cluster", s(&table), "-o", s(&out), "--overwrite", "--json", "--method", method][..],
            &recipe[..],
            &["--truth", s(&truth)],
        ]
        .concat();
        let report: serde_json::Value = serde_json::from_str(&ok(&args)).unwrap();
        assert_eq!((report["ari"].as_f64(), report["nmi"].as_f64()), (Some(1.0), Some(1.0)), "{method}");
        assert_eq!((report["features"].as_u64(), report["genes"].as_u64()), (Some(10), Some(80)));
        if method == "kmeans" {
            // The partition sklearn's KMeans finds from its own centres (kmeans_pca_*), same inertia.
            let want = npy::load("cluster/kmeans_pca_stats.npy").values[0];
            let got = report["objective"].as_f64().unwrap();
            assert!((got - want).abs() <= 1e-9 * want, "inertia {got} vs sklearn {want}");
        }
        let clusters = read_clusters(&out);
        assert_eq!(clusters.len(), 240);
        assert!(clusters.iter().enumerate().all(|(i, (id, c))| *id == (i + 1).to_string() && *c < 4));
        // --seed 0 is sklearn's random_state=0: the very labels of KMeans / GaussianMixture.
        let want = npy::load(if method == "gmm" {
            "cluster/gmm_pca_labels.npy"
        } else {
            "cluster/gmm_pca_init_labels.npy"
        });
        let got: Vec<f64> = clusters.iter().map(|(_, c)| f64::from(*c)).collect();
        assert_eq!(got, want.values, "{method} labels vs sklearn");
    }
    // A 2-D .npy table and a 1-D .npy truth give the same clusters.
    let out2 = dir.path().join("npy.csv");
    let (counts, groups) = (fixture("counts.npy"), fixture("groups.npy"));
    let args =
        [&["cluster", s(&counts), "-o", s(&out2), "--json"][..], &recipe[..], &["--truth", s(&groups)]]
            .concat();
    let report: serde_json::Value = serde_json::from_str(&ok(&args)).unwrap();
    assert_eq!(report["ari"].as_f64(), Some(1.0));
    assert_eq!(read_clusters(&out2), read_clusters(&out));
}

#[test]
fn clusters_the_table_cellmap_run_writes() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let run = dir.path().join("run");
    ok(&["demo", "-o", s(&demo), "--size", "64", "--genes", "40"]);
    ok(&["run", s(&demo), "-o", s(&run), "--csv", "--stat", "sum"]);
    let table = run.join("demo_0").join("table.csv");
    let out = dir.path().join("clusters.csv");
    ok(&["cluster", s(&table), "-o", s(&out), "--k", "3", "--normalize", "--log1p", "--pca", "5"]);
    let text = std::fs::read_to_string(&table).unwrap();
    let ids: Vec<String> = text.lines().skip(1).map(|l| l.split(',').next().unwrap().to_string()).collect();
    let clusters = read_clusters(&out);
    assert_eq!(clusters.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(), ids);
    assert!(clusters.iter().all(|(_, c)| *c < 3));
}

/// `cellmap demo`'s truth names the cells `cellmap run` labels (each once, in table order) with
/// their dominant spatial factor, recomputed here from run's labels.npy, the demo's mask and the
/// simulator's factor images; `cellmap cluster --truth` scores the clusters of run's table by it.
#[test]
fn the_demo_truth_scores_the_clusters_of_run() {
    let dir = tempfile::tempdir().unwrap();
    let (demo, run) = (dir.path().join("demo"), dir.path().join("run"));
    let (seed, size, genes) = (3, 128, 40);
    ok(&["demo", "-o", s(&demo), "--tiles", "1", "--seed", "3", "--size", "128", "--genes", "40"]);
    ok(&["run", s(&demo), "-o", s(&run), "--csv", "--stat", "sum"]);
    let (table, truth) = (run.join("demo_0/table.csv"), demo.join("demo_0_truth.csv"));

    let text = std::fs::read_to_string(&truth).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("cell_id,factor"));
    let rows: Vec<(String, String)> =
        lines.map(|l| l.split_once(',').map(|(a, b)| (a.to_string(), b.to_string())).unwrap()).collect();
    let table_text = std::fs::read_to_string(&table).unwrap();
    let table_ids: Vec<&str> = table_text.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(rows.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), table_ids);

    // The reference: run's labels, the mask file's cell pixels, the mean of each F<l>.
    let labels = npy::parse(&std::fs::read(run.join("demo_0/labels.npy")).unwrap()).unwrap();
    let mask = npy::parse(&std::fs::read(demo.join("demo_0.npy")).unwrap()).unwrap();
    let cells = labels.values.iter().fold(0.0f64, |a, &b| a.max(b)) as usize;
    assert_eq!(rows.len(), cells);
    let ids: Vec<String> = (1..=cells).map(|k| k.to_string()).collect();
    assert_eq!(rows.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(), ids, "every label once");
    let sim = cellmap::Demo::new(seed, size, size, genes).unwrap();
    let factors: Vec<Vec<f32>> = sim
        .factor_images()
        .unwrap()
        .into_iter()
        .filter(|(name, _)| name.starts_with('F'))
        .map(|(_, image)| image)
        .collect();
    assert_eq!(factors.len(), 4);
    for (k, (_, factor)) in rows.iter().enumerate() {
        let inside: Vec<usize> = (0..size * size)
            .filter(|&p| labels.values[p] == (k + 1) as f64 && mask.values[p] != 0.0)
            .collect();
        let means: Vec<f64> = factors
            .iter()
            .map(|f| inside.iter().map(|&p| f64::from(f[p])).sum::<f64>() / inside.len() as f64)
            .collect();
        let mut best = 0;
        for l in 1..means.len() {
            if means[l] > means[best] {
                best = l;
            }
        }
        let want = if means[best] > 0.0 { format!("F{best}") } else { "none".to_string() };
        assert_eq!(*factor, want, "cell {}: means {means:?}", k + 1);
    }
    let classes: std::collections::BTreeSet<&str> = rows.iter().map(|(_, f)| f.as_str()).collect();
    assert!(classes.len() >= 3, "{classes:?}");

    let out = dir.path().join("clusters.csv");
    let recipe = ["--normalize", "--log1p", "--pca", "10", "--k", "5"];
    let args = [&["cluster", s(&table), "-o", s(&out)][..], &recipe[..], &["--truth", s(&truth)]].concat();
    let printed = ok(&args);
    let scores = printed.lines().last().unwrap();
    assert!(scores.starts_with("ARI ") && scores.contains("  NMI "), "{printed}");
    let args = [&args[..], &["--overwrite", "--json"]].concat();
    let report: serde_json::Value = serde_json::from_str(&ok(&args)).unwrap();
    let (ari, nmi) = (report["ari"].as_f64().unwrap(), report["nmi"].as_f64().unwrap());
    assert!((-1.0..=1.0).contains(&ari) && (0.0..=1.0).contains(&nmi), "ARI {ari}, NMI {nmi}");
    assert_eq!(scores, format!("ARI {ari:.6}  NMI {nmi:.6}"));
}

#[test]
fn bad_input_is_one_line_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (table, _) = write_inputs(dir.path());
    let out = dir.path().join("c.csv");
    let partial = dir.path().join("partial.csv");
    std::fs::write(&partial, "cell_id,group\n1,A\n2,B\n").unwrap();
    fails(
        &["cluster", s(&table), "-o", s(&out), "--k", "2", "--truth", s(&partial)],
        1,
        &["partial.csv", "no label for cell 3"],
    );
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "cell_id,a,b\n1,1,2\n2,x,3\n").unwrap();
    fails(
        &["cluster", s(&bad), "-o", s(&out), "--k", "2"],
        1,
        &["bad.csv", "line 3, column 2", "`x` is not a number"],
    );
    std::fs::write(&bad, "cell_id,a,b\n1,1,2\n2,3\n").unwrap();
    fails(&["cluster", s(&bad), "-o", s(&out), "--k", "2"], 1, &["bad.csv", "line 3"]);
    fails(&["cluster", s(&table), "-o", s(&out), "--k", "0"], 2, &["--k"]);
    fails(
        &["cluster", s(&table), "-o", s(&out), "--k", "500"],
        1,
        &["table.csv", "500 clusters asked of 240 cells"],
    );
    fails(
        &["cluster", s(&table), "-o", s(&out), "--k", "2", "--pca", "400"],
        1,
        &["400 principal components"],
    );
    fails(
        &["cluster", s(&table), "-o", s(&out), "--k", "2", "--hvg", "301"],
        1,
        &["301 highly variable genes"],
    );
    fails(&["cluster", s(&table), "-o", s(&table), "--k", "2"], 2, &["also an input"]);
    let wide = dir.path().join("wide.csv");
    let header: String = (0..5001).map(|j| format!(",g{j}")).collect();
    let row: String = (0..5001).map(|j| format!(",{}", j % 7)).collect();
    std::fs::write(&wide, format!("cell_id{header}\n1{row}\n2{row}\n3{row}\n")).unwrap();
    fails(
        &["cluster", s(&wide), "-o", s(&out), "--k", "2", "--pca", "2"],
        1,
        &["wide.csv", "PCA of 5001 genes", "highly variable"],
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.starts_with("c.csv") || n.starts_with('.')), "left behind: {names:?}");
    // An existing output is refused without --overwrite.
    std::fs::write(&out, "mine").unwrap();
    fails(&["cluster", s(&table), "-o", s(&out), "--k", "2"], 1, &["c.csv", "--overwrite"]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "mine");
}
