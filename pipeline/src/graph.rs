//! Spatial neighbour graphs over cells and SGC smoothing (see
//! [`cellmap_core::graph`]): the kNN graph of cell centroids (Bio_GMM_VGAE:
//! k = 5, symmetrised by OR), radius graphs, touching cells, and
//! `X ← D^-1/2 (A + I) D^-1/2 X` K times.
//!
//! Nodes are per-label rows as everywhere in cellmap: node `c` is cell `c`,
//! node 0 the background (no coordinates, no edges).

use cellmap_core::graph::{self as kernels, Contact, contact_table_len, point_grid_scratch_len};

pub use cellmap_core::graph::{DEFAULT_K, MAX_K, NO_NEIGHBOR};

use crate::memory::filled;
use crate::{Connectivity, Error, LabelImage, Region};

/// A graph as CSR: row `i` is `indices[indptr[i]..indptr[i + 1]]`
/// (sorted), with `weights` when the edges are weighted.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Graph {
    /// Row starts (`n_nodes + 1`).
    pub indptr: Vec<u32>,
    /// Column of each entry.
    pub indices: Vec<u32>,
    /// Weight of each entry (`None`: all 1).
    pub weights: Option<Vec<f64>>,
}

impl Graph {
    /// Number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.indptr.len().saturating_sub(1)
    }

    /// The neighbours of node `i`.
    pub fn row(&self, i: usize) -> &[u32] {
        let (s, e) = (self.indptr[i] as usize, self.indptr[i + 1] as usize);
        &self.indices[s..e]
    }
}

/// Centroid coordinates `(x = column, y = row)` per label from the
/// regions (NaN for the background and absent labels).
pub fn centroids(regions: &[Region]) -> (Vec<f64>, Vec<f64>) {
    let mut xs = Vec::with_capacity(regions.len());
    let mut ys = Vec::with_capacity(regions.len());
    for (label, r) in regions.iter().enumerate() {
        let (row, col) = r.centroid();
        let absent = label == 0 || r.area() == 0;
        xs.push(if absent { f64::NAN } else { col });
        ys.push(if absent { f64::NAN } else { row });
    }
    (xs, ys)
}

fn core(step: &'static str) -> impl Fn(cellmap_core::Error) -> Error {
    move |e| Error::core(step, e)
}

/// The directed `k` nearest neighbours of each node (`n × k`, padded with
/// [`NO_NEIGHBOR`]), exact with ties by the smaller node.
///
/// The rows are split between the cores (each builds its own point grid);
/// the table is the same as on one.
pub fn knn(xs: &[f64], ys: &[f64], k: usize) -> Result<Vec<u32>, Error> {
    let n = xs.len();
    let mut nn = filled(n.saturating_mul(k), 0u32, "the neighbour table")?;
    if k == 0 || n == 0 {
        let mut scratch = filled(point_grid_scratch_len(n), 0u32, "the point grid")?;
        kernels::knn(xs, ys, k, &mut nn, &mut scratch).map_err(core("kNN"))?;
        return Ok(nn);
    }
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(n.div_ceil(4096)).max(1);
    let mut scratches = (0..threads)
        .map(|_| filled(point_grid_scratch_len(n), 0u32, "the point grid"))
        .collect::<Result<Vec<_>, _>>()?;
    let rows_per_thread = n.div_ceil(threads);
    let results: Vec<Result<(), cellmap_core::Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = nn
            .chunks_mut(rows_per_thread * k)
            .zip(&mut scratches)
            .enumerate()
            .map(|(t, (part, scratch))| {
                scope.spawn(move || kernels::knn_rows(xs, ys, k, t * rows_per_thread, part, scratch))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(cellmap_core::Error::InvalidArgument("a thread failed"))))
            .collect()
    });
    results.into_iter().try_for_each(|r| r.map_err(core("kNN")))?;
    Ok(nn)
}

/// Bio_GMM_VGAE's graph: the kNN table symmetrised by OR.
///
/// ```
/// use cellmap::graph::knn_graph;
/// let g = knn_graph(&[f64::NAN, 0.0, 1.0, 5.0], &[f64::NAN, 0.0, 0.0, 0.0], 1)?;
/// assert_eq!((g.row(1), g.row(2), g.row(3)), (&[2][..], &[1, 3][..], &[2][..]));
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn knn_graph(xs: &[f64], ys: &[f64], k: usize) -> Result<Graph, Error> {
    let nn = knn(xs, ys, k)?;
    let n = xs.len();
    let mut indptr = filled(n + 1, 0u32, "the graph rows")?;
    let mut indices = filled(nn.len().saturating_mul(2), 0u32, "the graph edges")?;
    let edges = kernels::symmetrize(&nn, k, &mut indptr, &mut indices).map_err(core("kNN graph"))?;
    indices.truncate(edges);
    Ok(Graph { indptr, indices, weights: None })
}

/// Every pair of nodes within `radius` of each other.
///
/// ```
/// use cellmap::graph::radius_graph;
/// let g = radius_graph(&[0.0, 1.0, 3.0], &[0.0; 3], 2.0)?;
/// assert_eq!(g.indices, [1, 0, 2, 1]);
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn radius_graph(xs: &[f64], ys: &[f64], radius: f64) -> Result<Graph, Error> {
    let n = xs.len();
    let mut indptr = filled(n + 1, 0u32, "the graph rows")?;
    let mut scratch = filled(point_grid_scratch_len(n), 0u32, "the point grid")?;
    let mut indices = Vec::new();
    loop {
        match kernels::radius_graph(xs, ys, radius, &mut indptr, &mut indices, &mut scratch) {
            Ok(edges) => {
                indices.truncate(edges);
                return Ok(Graph { indptr, indices, weights: None });
            }
            Err(cellmap_core::Error::BufferTooSmall { buffer: "indices", needed, .. })
                if needed > indices.len() =>
            {
                indices = filled(needed, 0u32, "the graph edges")?;
            }
            Err(e) => return Err(Error::core("radius graph", e)),
        }
    }
}

/// Touching cells of a label image, weighted by contact length (pixel
/// pairs).
///
/// ```
/// use cellmap::{Connectivity, Image, LabelImage, graph::touching_graph};
/// let labels = LabelImage::new(Image::new(3, 1, vec![1, 2, 2])?)?;
/// let g = touching_graph(&labels, Connectivity::Four)?;
/// assert_eq!((g.row(1), g.weights.as_deref()), (&[2][..], Some(&[1.0, 1.0][..])));
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn touching_graph(labels: &LabelImage, connectivity: Connectivity) -> Result<Graph, Error> {
    let n = labels.n_cells();
    let mut indptr = filled(n + 2, 0u32, "the graph rows")?;
    let mut slots = contact_table_len(4 * n + 16);
    let (mut indices, mut weights) = (Vec::new(), Vec::new());
    loop {
        let mut table = filled(slots, Contact::default(), "the contact table")?;
        match kernels::touching_graph(
            labels.labels().grid(),
            n,
            connectivity,
            &mut indptr,
            &mut indices,
            &mut weights,
            &mut table,
        ) {
            Ok(entries) => {
                indices.truncate(entries);
                let weights = weights[..entries].iter().map(|&w| f64::from(w)).collect();
                return Ok(Graph { indptr, indices, weights: Some(weights) });
            }
            Err(cellmap_core::Error::BufferTooSmall { buffer: "table", needed, .. }) if slots < needed => {
                slots = (slots * 2).min(needed);
            }
            Err(cellmap_core::Error::BufferTooSmall { buffer: "indices" | "weights", needed, .. })
                if needed > indices.len() =>
            {
                indices = filled(needed, 0u32, "the graph edges")?;
                weights = filled(needed, 0u32, "the graph weights")?;
            }
            Err(e) => return Err(Error::core("touching graph", e)),
        }
    }
}

/// SGC smoothing: `features` (`n_nodes × n_features`, row-major) times
/// `(D^-1/2 (A + I) D^-1/2)^steps`, as scipy.sparse computes it.
///
/// ```
/// use cellmap::graph::{knn_graph, smooth};
/// let g = knn_graph(&[0.0, 1.0], &[0.0, 0.0], 1)?;
/// let out = smooth(&g, &[1.0, 3.0], 1, 1)?;
/// assert!((out[0] - 2.0).abs() < 1e-15 && out[0] == out[1]);
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn smooth(graph: &Graph, features: &[f64], n_features: usize, steps: usize) -> Result<Vec<f64>, Error> {
    let n = graph.n_nodes();
    if n.checked_mul(n_features) != Some(features.len()) {
        return Err(Error::input(format!(
            "a table of {} values is not {n} nodes × {n_features} features",
            features.len()
        )));
    }
    let weights = graph.weights.as_deref();
    let mut inv_sqrt = filled(n, 0.0f64, "the node degrees")?;
    kernels::gcn_inv_sqrt_degrees(&graph.indptr, &graph.indices, weights, &mut inv_sqrt)
        .map_err(core("smoothing"))?;
    let mut out = filled(features.len(), 0.0f64, "the smoothed table")?;
    if steps == 0 {
        out.copy_from_slice(features);
        return Ok(out);
    }
    let mut other =
        if steps >= 2 { filled(features.len(), 0.0f64, "the smoothing scratch")? } else { Vec::new() };
    // The rows of each step are split between the cores (the values are the same as on one).
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(n.div_ceil(256)).max(1);
    let rows_per_thread = n.div_ceil(threads).max(1);
    let step_into = |src: &[f64], dst: &mut [f64]| -> Result<(), Error> {
        let results: Vec<Result<(), cellmap_core::Error>> = std::thread::scope(|scope| {
            let handles: Vec<_> = dst
                .chunks_mut(rows_per_thread * n_features.max(1))
                .enumerate()
                .map(|(t, part)| {
                    let (indptr, indices, inv_sqrt) = (&graph.indptr, &graph.indices, &inv_sqrt);
                    scope.spawn(move || {
                        kernels::propagate_rows(
                            indptr,
                            indices,
                            weights,
                            inv_sqrt,
                            n_features,
                            src,
                            t * rows_per_thread,
                            part,
                        )
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or(Err(cellmap_core::Error::InvalidArgument("a thread failed"))))
                .collect()
        });
        results.into_iter().try_for_each(|r| r.map_err(core("smoothing")))
    };
    // The last step writes `out`.
    for step in 0..steps {
        let into_out = (steps - step) % 2 == 1;
        match (step == 0, into_out) {
            (true, true) => step_into(features, &mut out)?,
            (true, false) => step_into(features, &mut other)?,
            (false, true) => step_into(&other, &mut out)?,
            (false, false) => step_into(&out, &mut other)?,
        }
    }
    Ok(out)
}
