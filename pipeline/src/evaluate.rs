//! Evaluation of a predicted cell × gene table against a measured one, as
//! GHIST scores it (see [`cellmap_core::evaluate`]): per-gene Pearson
//! correlation across cells (mean, median, NaN count), spatially variable
//! genes ranked by Moran's I of the measured table on the directed k = 8
//! nearest-centroid graph, and the median PCC of the top 20 / top 50 SVGs.

use cellmap_core::evaluate::{
    self as kernels, finite_mean_median, gene_pearson_scratch_len, morans_i_scratch_len, rank_descending,
};

pub use cellmap_core::evaluate::{MORAN_K, TOP_SVGS};

use crate::graph::{NO_NEIGHBOR, knn};
use crate::memory::{budget, filled};
use crate::{Error, grouped};

/// A cell × gene table: values row-major, with the row ids and gene names
/// a CSV header or index gave.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// Rows (cells).
    pub n_cells: usize,
    /// Columns (genes).
    pub n_genes: usize,
    /// `n_cells × n_genes`, row-major.
    pub values: Vec<f64>,
    /// Row ids (a CSV's index or `cell_id` column).
    pub cell_ids: Option<Vec<String>>,
    /// Gene names (a CSV's header).
    pub genes: Option<Vec<String>>,
}

impl Table {
    /// Reads a 2-D `.npy` (any numeric dtype; rows = cells) or a CSV
    /// (header = gene names; a first column with an empty name, or a column
    /// named `cell_id`, holds the row ids; empty fields and `nan` are NaN).
    #[cfg(feature = "fs")]
    pub fn read(path: &std::path::Path) -> Result<Table, Error> {
        let source = cellmap_io::fs::source_name(path);
        let is_npy = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("npy"));
        if is_npy {
            let array = cellmap_io::fs::read_npy(path, &cellmap_io::Limits::default())?;
            let (n_cells, n_genes) = match array.shape() {
                [r, c] => (*r, *c),
                shape => {
                    return Err(Error::input(format!(
                        "{source}: a table is 2-D (cells, genes), got shape {shape:?}"
                    )));
                }
            };
            let values = array
                .data()
                .to_f64()
                .ok_or_else(|| Error::input(format!("{source}: a table must hold numbers")))?;
            return Ok(Table { n_cells, n_genes, values, cell_ids: None, genes: None });
        }
        let bytes = std::fs::read(path).map_err(|e| Error::input(format!("{source}: {e}")))?;
        let text =
            std::str::from_utf8(&bytes).map_err(|_| Error::input(format!("{source}: not UTF-8 text")))?;
        Table::parse_csv(text, &source)
    }

    /// Parses CSV text (see [`Table::read`]); `source` names it in errors.
    ///
    /// ```
    /// use cellmap::evaluate::Table;
    /// let t = Table::parse_csv(",A,B\n7,1.5,\n9,2,nan\n", "t.csv")?;
    /// assert_eq!((t.n_cells, t.n_genes), (2, 2));
    /// assert_eq!(t.cell_ids.unwrap(), ["7", "9"]);
    /// assert_eq!(t.values[0], 1.5);
    /// assert!(t.values[1].is_nan() && t.values[3].is_nan());
    /// # Ok::<(), cellmap::Error>(())
    /// ```
    pub fn parse_csv(text: &str, source: &str) -> Result<Table, Error> {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header: Vec<&str> = lines
            .next()
            .ok_or_else(|| Error::input(format!("{source}: empty table")))?
            .split(',')
            .map(|f| f.trim().trim_matches('"'))
            .collect();
        let id_col = header
            .iter()
            .position(|h| h.eq_ignore_ascii_case("cell_id"))
            .or_else(|| header.first().is_some_and(|h| h.is_empty()).then_some(0));
        let gene_cols: Vec<usize> =
            (0..header.len()).filter(|&c| Some(c) != id_col && !header[c].is_empty()).collect();
        if gene_cols.is_empty() {
            return Err(Error::input(format!("{source}: no gene columns in the header")));
        }
        let genes: Vec<String> = gene_cols.iter().map(|&c| header[c].to_string()).collect();
        let (mut values, mut ids) = (Vec::new(), Vec::new());
        for (line_no, line) in lines.enumerate() {
            let fields: Vec<&str> = line.split(',').map(|f| f.trim().trim_matches('"')).collect();
            if fields.len() != header.len() {
                return Err(Error::input(format!(
                    "{source}: line {} has {} fields, the header {}",
                    line_no + 2,
                    fields.len(),
                    header.len()
                )));
            }
            if let Some(c) = id_col {
                ids.push(fields[c].to_string());
            }
            for &c in &gene_cols {
                let f = fields[c];
                let v = if f.is_empty() || f.eq_ignore_ascii_case("nan") || f.eq_ignore_ascii_case("na") {
                    f64::NAN
                } else {
                    f.parse::<f64>().map_err(|_| {
                        Error::input(format!("{source}: line {}: {f:?} is not a number", line_no + 2))
                    })?
                };
                values.push(v);
            }
        }
        let n_genes = genes.len();
        Ok(Table {
            n_cells: values.len() / n_genes,
            n_genes,
            values,
            cell_ids: id_col.map(|_| ids),
            genes: Some(genes),
        })
    }
}

/// The scores of a prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Gene names (or `gene_<i>`), one per compared column.
    pub genes: Vec<String>,
    /// Per-gene Pearson correlation across cells.
    pub pcc: Vec<f64>,
    /// Genes whose PCC is NaN (constant or too few cells).
    pub nan_genes: usize,
    /// Mean PCC over the finite values.
    pub mean: f64,
    /// Median PCC over the finite values.
    pub median: f64,
    /// Moran's I of the measured table, per gene (with coordinates).
    pub morans_i: Option<Vec<f64>>,
    /// Genes by Moran's I, highest first (with coordinates).
    pub svg_order: Option<Vec<u32>>,
    /// `(k, median PCC of the top k SVGs, finite PCCs among them)`.
    pub top_svgs: Vec<(usize, f64, usize)>,
}

/// Two tables on the same cells and genes, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Aligned {
    /// The prediction, `n_cells × genes.len()`.
    pub pred: Vec<f64>,
    /// The measured table, same shape.
    pub measured: Vec<f64>,
    /// Rows.
    pub n_cells: usize,
    /// Gene names (or `gene_<i>`).
    pub genes: Vec<String>,
    /// Row ids, when a table had them.
    pub cell_ids: Option<Vec<String>>,
}

/// Aligns two tables: genes by name when both are named (the prediction's
/// order, genes missing from the measured table dropped), rows by id when
/// both have ids, else by position.
pub fn align(pred: &Table, measured: &Table) -> Result<Aligned, Error> {
    let gene_pairs: Vec<(usize, usize, String)> = match (&pred.genes, &measured.genes) {
        (Some(p), Some(m)) => {
            let pairs: Vec<_> = p
                .iter()
                .enumerate()
                .filter_map(|(i, g)| m.iter().position(|x| x == g).map(|j| (i, j, g.clone())))
                .collect();
            if pairs.is_empty() {
                return Err(Error::input("the tables have no gene name in common".to_string()));
            }
            pairs
        }
        _ => {
            if pred.n_genes != measured.n_genes {
                return Err(Error::input(format!(
                    "the tables have {} and {} genes (and no names to match them by)",
                    pred.n_genes, measured.n_genes
                )));
            }
            let names = pred.genes.as_ref().or(measured.genes.as_ref());
            (0..pred.n_genes)
                .map(|i| (i, i, names.map_or_else(|| format!("gene_{i}"), |n| n[i].clone())))
                .collect()
        }
    };
    let rows: Vec<(usize, usize)> = match (&pred.cell_ids, &measured.cell_ids) {
        (Some(p), Some(m)) => {
            let index: std::collections::HashMap<&str, usize> =
                m.iter().enumerate().map(|(j, id)| (id.as_str(), j)).collect();
            p.iter()
                .enumerate()
                .map(|(i, id)| {
                    index.get(id.as_str()).map(|&j| (i, j)).ok_or_else(|| {
                        Error::input(format!("cell {id:?} of the prediction is not in the measured table"))
                    })
                })
                .collect::<Result<_, _>>()?
        }
        _ => {
            if pred.n_cells != measured.n_cells {
                return Err(Error::input(format!(
                    "the tables have {} and {} cells (and no ids to match them by)",
                    pred.n_cells, measured.n_cells
                )));
            }
            (0..pred.n_cells).map(|i| (i, i)).collect()
        }
    };
    let g = gene_pairs.len();
    budget(
        || format!("two aligned tables of {} × {g}", grouped(rows.len())),
        rows.len() as u128 * g as u128 * 2,
        8,
    )?;
    let mut p = Vec::with_capacity(rows.len() * g);
    let mut m = Vec::with_capacity(rows.len() * g);
    for &(i, j) in &rows {
        for (a, b, _) in &gene_pairs {
            p.push(pred.values[i * pred.n_genes + a]);
            m.push(measured.values[j * measured.n_genes + b]);
        }
    }
    Ok(Aligned {
        pred: p,
        measured: m,
        n_cells: rows.len(),
        genes: gene_pairs.into_iter().map(|(_, _, n)| n).collect(),
        cell_ids: pred.cell_ids.clone().or_else(|| measured.cell_ids.clone()),
    })
}

/// The directed `k`-nearest-neighbour graph of points as CSR (row `i`:
/// its `k` nearest, nearest first), for Moran's I.
pub fn knn_directed(xs: &[f64], ys: &[f64], k: usize) -> Result<(Vec<u32>, Vec<u32>), Error> {
    let nn = knn(xs, ys, k)?;
    let mut indptr = Vec::with_capacity(xs.len() + 1);
    let mut indices = Vec::with_capacity(nn.len());
    indptr.push(0u32);
    for row in nn.chunks_exact(k.max(1)) {
        indices.extend(row.iter().copied().filter(|&j| j != NO_NEIGHBOR));
        indptr.push(indices.len() as u32);
    }
    Ok((indptr, indices))
}

/// Moran's I of each gene of `table` (`n × n_genes`) on a CSR graph, the
/// genes split between the available cores (each result is the same as
/// on one thread).
pub fn morans_i(indptr: &[u32], indices: &[u32], table: &[f64], n_genes: usize) -> Result<Vec<f64>, Error> {
    let n = indptr.len().saturating_sub(1);
    let mut out = filled(n_genes, 0.0f64, "Moran's I")?;
    let threads =
        std::thread::available_parallelism().map_or(1, |t| t.get()).min(n_genes.div_ceil(64)).max(1);
    let per_thread = n_genes.div_ceil(threads).max(1);
    let mut scratches = Vec::with_capacity(threads);
    for _ in 0..threads {
        scratches.push(filled(morans_i_scratch_len(n, per_thread), 0.0f64, "the Moran's I scratch")?);
    }
    let results: Vec<Result<(), cellmap_core::Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = out
            .chunks_mut(per_thread)
            .zip(scratches.iter_mut())
            .enumerate()
            .map(|(t, (part, scratch))| {
                scope.spawn(move || {
                    kernels::morans_i_of_genes(
                        indptr,
                        indices,
                        None,
                        table,
                        n_genes,
                        t * per_thread,
                        part,
                        scratch,
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(cellmap_core::Error::InvalidArgument("a thread failed"))))
            .collect()
    });
    for result in results {
        result.map_err(|e| Error::core("Moran's I", e))?;
    }
    Ok(out)
}

/// Scores `pred` against `measured` (`n_cells × genes.len()`, aligned);
/// with `coords` (x, y per row) also Moran's I of the measured table on
/// the directed `k`-NN graph and the top-SVG medians of `tops`.
///
/// ```
/// use cellmap::evaluate::evaluate;
/// let pred = [1.0, 2.0, 3.0, 4.0];
/// let measured = [1.0, 2.5, 2.5, 5.0];
/// let genes = vec!["A".to_string()];
/// let e = evaluate(&pred, &measured, 4, &genes, None, 8, &[20])?;
/// assert!((e.pcc[0] - 0.9341987329938276).abs() < 1e-15); // np.corrcoef
/// assert_eq!((e.nan_genes, e.mean, e.median), (0, e.pcc[0], e.pcc[0]));
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn evaluate(
    pred: &[f64],
    measured: &[f64],
    n_cells: usize,
    genes: &[String],
    coords: Option<(&[f64], &[f64])>,
    k: usize,
    tops: &[usize],
) -> Result<Evaluation, Error> {
    let g = genes.len();
    let mut pcc = filled(g, 0.0f64, "the per-gene PCC")?;
    let mut scratch = filled(gene_pearson_scratch_len(g).max(g), 0.0f64, "the PCC scratch")?;
    let nan_genes = kernels::gene_pearson(pred, measured, n_cells, g, &mut pcc, &mut scratch)
        .map_err(|e| Error::core("Pearson correlation", e))?;
    let (mean, median, _) =
        finite_mean_median(&pcc, &mut scratch).map_err(|e| Error::core("PCC summary", e))?;
    let (mut morans, mut svg_order, mut top_svgs) = (None, None, Vec::new());
    if let Some((xs, ys)) = coords {
        if xs.len() != n_cells || ys.len() != n_cells {
            return Err(Error::input(format!("{} coordinates for {n_cells} cells", xs.len())));
        }
        let (indptr, indices) = knn_directed(xs, ys, k)?;
        let mi = morans_i(&indptr, &indices, measured, g)?;
        let mut order = filled(g, 0u32, "the SVG order")?;
        rank_descending(&mi, &mut order).map_err(|e| Error::core("SVG ranking", e))?;
        for &top in tops {
            let chosen: Vec<f64> = order.iter().take(top).map(|&i| pcc[i as usize]).collect();
            let (_, median, n) =
                finite_mean_median(&chosen, &mut scratch).map_err(|e| Error::core("top SVG median", e))?;
            top_svgs.push((top, median, n));
        }
        morans = Some(mi);
        svg_order = Some(order);
    }
    Ok(Evaluation {
        genes: genes.to_vec(),
        pcc,
        nan_genes,
        mean,
        median,
        morans_i: morans,
        svg_order,
        top_svgs,
    })
}
