//! k-means (Lloyd) and the diagonal Gaussian mixture (EM) of `cellmap_core::cluster` on the
//! table that `bench/cluster.py` writes (50,000 cells by default), from the same initial
//! centres / parameters as its scikit-learn peers, so that both run the same iterations.
//!
//! Not a criterion bench: `bench/cluster.py` runs it (`cargo bench -p cellmap-tests --bench
//! cluster -- DIR`) and prints one table with sklearn's times from the same run. It prints one
//! JSON object: median milliseconds over `REPEATS` runs (wall clock; `CELLMAP_BENCH_CLOCK=cpu`
//! for thread CPU time), the iterations, the k-means inertia and the GMM lower bound.
use cellmap::bench::{Clock, median_ms};
use cellmap_core::cluster::{
    DiagGmm, GmmParams, KMeansLloydScratch, gmm_diag_fit, gmm_diag_fit_scratch_len, kmeans_lloyd,
};
use cellmap_tests::npy::{Array, parse};

fn load(dir: &std::path::Path, name: &str) -> Array {
    let path = dir.join(name);
    let bytes =
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (run bench/cluster.py)", path.display()));
    parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn main() {
    let Some(dir) = std::env::args().skip(1).find(|a| !a.starts_with("--")) else {
        eprintln!(
            "usage: cargo bench -p cellmap-tests --bench cluster -- DIR (written by bench/cluster.py); skipping"
        );
        return;
    };
    let dir = std::path::Path::new(&dir);
    let repeats: usize = std::env::var("REPEATS").ok().and_then(|r| r.parse().ok()).unwrap_or(5);
    let clock = Clock::from_env(Clock::Wall).expect("CELLMAP_BENCH_CLOCK");
    let x = load(dir, "x.npy");
    let (n, d) = (x.shape[0], x.shape[1]);
    let init = load(dir, "kmeans_init.npy").values;
    let k = init.len() / d;
    let params = load(dir, "params.npy").values; // kmeans max_iter, tol; gmm max_iter, tol, reg_covar
    let need = KMeansLloydScratch::new(n, d, k);
    let (mut labels, mut previous) = (vec![0u32; n], vec![0u32; need.previous]);
    let mut scratch = vec![0.0; need.scratch];
    let mut centres = init.clone();
    let mut kfit = None;
    let kmeans_ms = median_ms(clock, repeats, || {
        centres.copy_from_slice(&init);
        let fit = kmeans_lloyd(
            &x.values,
            n,
            d,
            k,
            params[0] as usize,
            params[1],
            &mut centres,
            &mut labels,
            &mut previous,
            &mut scratch,
        )?;
        kfit = Some(fit);
        Ok::<(), cellmap_core::Error>(())
    })
    .expect("k-means");
    let kmeans_labels = labels.clone();

    let w0 = load(dir, "gmm_weights.npy").values;
    let m0 = load(dir, "gmm_means.npy").values;
    let v0: Vec<f64> = load(dir, "gmm_precisions.npy").values.iter().map(|p| 1.0 / p).collect();
    let (mut w, mut m, mut v) = (w0.clone(), m0.clone(), v0.clone());
    let mut resp = vec![0.0; gmm_diag_fit_scratch_len(n, d, k)];
    let gmm_params = GmmParams { max_iter: params[2] as usize, tol: params[3], reg_covar: params[4] };
    let mut gfit = None;
    let gmm_ms = median_ms(clock, repeats, || {
        w.copy_from_slice(&w0);
        m.copy_from_slice(&m0);
        v.copy_from_slice(&v0);
        let model = DiagGmm { weights: &mut w, means: &mut m, variances: &mut v };
        gfit = Some(gmm_diag_fit(&x.values, n, d, k, gmm_params, model, &mut labels, &mut resp)?);
        Ok::<(), cellmap_core::Error>(())
    })
    .expect("gmm");
    let (kfit, gfit) = (kfit.expect("ran"), gfit.expect("ran"));
    std::fs::write(
        dir.join("cellmap_kmeans_labels.bin"),
        kmeans_labels.iter().flat_map(|l| l.to_le_bytes()).collect::<Vec<u8>>(),
    )
    .expect("write labels");
    std::fs::write(
        dir.join("cellmap_gmm_labels.bin"),
        labels.iter().flat_map(|l| l.to_le_bytes()).collect::<Vec<u8>>(),
    )
    .expect("write labels");
    println!(
        "{{\"clock\": \"{}\", \"repeats\": {repeats}, \"kmeans_ms\": {kmeans_ms}, \"kmeans_iterations\": {}, \"inertia\": {}, \"gmm_ms\": {gmm_ms}, \"gmm_iterations\": {}, \"lower_bound\": {}}}",
        clock.name(),
        kfit.iterations,
        kfit.inertia,
        gfit.iterations,
        gfit.lower_bound
    );
}
