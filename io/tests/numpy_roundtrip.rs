//! `.npy` / `.npz` files written by cellmap load in numpy with the right
//! dtypes, shapes and values. Uses `$CELLMAP_PYTHON`, else the checkout's
//! `.venv/bin/python` (`scripts/setup-python.sh`); skipped with a note if
//! neither exists.

use std::path::PathBuf;
use std::process::Command;

use cellmap_io::fs::write_atomic;
use cellmap_io::npy;
use cellmap_io::npz::NpzWriter;

fn python() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CELLMAP_PYTHON") {
        return Some(PathBuf::from(path));
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    venv.exists().then_some(venv)
}

const CHECK: &str = r#"
import sys
import numpy as np
d = sys.argv[1]
for name, compressed in (("stored.npz", False), ("deflated.npz", True)):
    with np.load(f"{d}/{name}") as z:
        assert sorted(z.files) == ["counts", "flags", "format", "labels", "means"], z.files
        labels = z["labels"]
        assert labels.dtype == np.int32 and labels.shape == (3, 4), (labels.dtype, labels.shape)
        assert (labels == np.arange(12, dtype=np.int32).reshape(3, 4) - 5).all()
        means = z["means"]
        assert means.dtype == np.float64 and means.shape == (2, 3)
        assert np.array_equal(means, np.array([[0.5, np.nan, -1e300], [np.inf, 0.0, 1 / 3]]), equal_nan=True)
        assert z["counts"].dtype == np.int64 and z["counts"].tolist() == [0, 2**40, -7]
        assert z["flags"].dtype == np.bool_ and z["flags"].tolist() == [True, False]
        assert z["format"].dtype == np.dtype("S3") and z["format"].shape == () and z["format"][()] == b"csr"
a = np.load(f"{d}/single.npy")
assert a.dtype == np.float32 and a.shape == (2, 2, 2) and a.ravel().tolist() == [0, 1, 2, 3, 4, 5, 6, 7]
print("numpy loaded all cellmap outputs")
"#;

#[test]
fn npz_and_npy_written_by_cellmap_load_in_numpy() {
    let Some(python) = python() else {
        println!("note: no python (set CELLMAP_PYTHON or run scripts/setup-python.sh); numpy check skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, compressed) in [("stored.npz", false), ("deflated.npz", true)] {
        write_atomic(&dir.path().join(name), |file| {
            let mut npz = NpzWriter::new(file, name);
            if compressed {
                npz = npz.compressed();
            }
            let labels: Vec<i32> = (0..12).map(|v| v - 5).collect();
            npz.add("labels", &[3, 4], &labels)?;
            npz.add("means", &[2, 3], &[0.5, f64::NAN, -1e300, f64::INFINITY, 0.0, 1.0 / 3.0])?;
            npz.add("counts", &[3], &[0i64, 1 << 40, -7])?;
            npz.add("flags", &[2], &[true, false])?;
            npz.add_bytes_string("format", b"csr")?;
            npz.finish()?;
            Ok(())
        })
        .unwrap();
    }
    write_atomic(&dir.path().join("single.npy"), |file| {
        npy::write(file, &[2, 2, 2], &[0f32, 1., 2., 3., 4., 5., 6., 7.], "single.npy")
    })
    .unwrap();
    let output = Command::new(&python).arg("-c").arg(CHECK).arg(dir.path()).output().unwrap();
    assert!(
        output.status.success(),
        "{} failed:\n{}{}",
        python.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("numpy loaded all cellmap outputs"));
}
