//! Times the readers on real files: `cargo run --release -p cellmap-io --example read_speed -- FILE...`
//! (`.npy` → [`cellmap_io::fs::read_npy`], `.npz` → [`cellmap_io::fs::read_csr`], anything else → transcripts).
//! Compare with `python -c "import numpy; numpy.load(...)"` / `scipy.sparse.load_npz` in the same run.

use std::path::Path;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let limits = cellmap_io::Limits::default();
    for arg in std::env::args().skip(1) {
        let path = Path::new(&arg);
        for _ in 0..3 {
            let start = Instant::now();
            let what = match path.extension().and_then(|e| e.to_str()) {
                Some("npy") => {
                    let shape = cellmap_io::fs::read_npy(path, &limits)?.shape().to_vec();
                    let from_file = start.elapsed();
                    // In memory: decoding vs a plain copy of the same bytes.
                    let bytes = std::fs::read(path)?;
                    let decode = Instant::now();
                    let array = cellmap_io::npy::read(&bytes, &arg)?;
                    let decode = decode.elapsed();
                    let copy = Instant::now();
                    let copied = bytes.to_vec();
                    let copy = copy.elapsed();
                    assert_eq!(copied.len(), bytes.len());
                    format!(
                        "{shape:?} (from file {:.1} ms; from bytes {:.1} ms vs memcpy {:.1} ms; {} elements)",
                        from_file.as_secs_f64() * 1e3,
                        decode.as_secs_f64() * 1e3,
                        copy.as_secs_f64() * 1e3,
                        array.data().len()
                    )
                }
                Some("npz") => format!("nnz {}", cellmap_io::fs::read_csr(path, &limits)?.nnz()),
                _ => {
                    let reader = cellmap_io::fs::open_maybe_gzip(path)?;
                    let options = cellmap_io::transcripts::Options::xenium();
                    let table = cellmap_io::transcripts::read(reader, &arg, &options)?;
                    format!("{} transcripts, {} genes", table.len(), table.gene_names.len())
                }
            };
            println!("{arg}: {what} in {:.1} ms", start.elapsed().as_secs_f64() * 1e3);
        }
    }
    Ok(())
}
