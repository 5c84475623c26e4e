//! Evaluation of a predicted cell × gene table against a measured one, as
//! GHIST scores it (see [`cellmap_core::evaluate`]): per-gene Pearson
//! correlation across cells (mean, median, NaN count), spatially variable
//! genes ranked by Moran's I of the measured table on the directed k = 8
//! nearest-centroid graph, and the median PCC of the top 20 / top 50 SVGs;
//! and predicted cell types against measured ones ([`score_types`]: accuracy
//! and macro-F1, scikit-learn's numbers).

use cellmap_core::evaluate::{
    self as kernels, CategoryTally, category_scores, category_scores_scratch_len, finite_mean_median,
    gene_pearson_scratch_len, morans_i_scratch_len, rank_descending,
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
        // the table's size from its line count, checked before any value is stored
        let rows = lines.clone().count();
        budget(
            || format!("{source}: a table of {} rows × {} genes", grouped(rows), grouped(gene_cols.len())),
            rows as u128 * gene_cols.len() as u128,
            8,
        )?;
        let (mut values, mut ids) = (Vec::with_capacity(rows * gene_cols.len()), Vec::new());
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

/// A type per cell, from a CSV `cell_id,<column>` (e.g. `cell_id,type`; fields may be
/// double-quoted, blank lines are skipped). Ids are compared as text, like [`Table`]'s.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CellTypes {
    /// The file, for messages.
    pub source: String,
    /// Cell ids, in the file's order.
    pub cell_ids: Vec<String>,
    /// Each cell's type.
    pub types: Vec<String>,
}

impl CellTypes {
    /// Reads a cell-type CSV (see [`CellTypes::parse_csv`]).
    #[cfg(feature = "fs")]
    pub fn read(path: &std::path::Path) -> Result<CellTypes, Error> {
        let source = cellmap_io::fs::source_name(path);
        let bytes = std::fs::read(path).map_err(|e| Error::input(format!("{source}: {e}")))?;
        let text =
            std::str::from_utf8(&bytes).map_err(|_| Error::input(format!("{source}: not UTF-8 text")))?;
        CellTypes::parse_csv(text, &source)
    }

    /// Parses the CSV text; a header of two columns, then one row per cell. A row without two
    /// fields, an empty type, a cell listed twice or no rows at all is an error naming `source`
    /// (and the line).
    ///
    /// ```
    /// use cellmap::evaluate::CellTypes;
    /// let t = CellTypes::parse_csv("cell_id,type\n7,\"T cell\"\n9,B cell\n", "types.csv")?;
    /// assert_eq!((t.cell_ids, t.types), (vec!["7".to_string(), "9".into()], vec!["T cell".to_string(), "B cell".into()]));
    /// assert!(CellTypes::parse_csv("cell_id,type\n7,a\n7,b\n", "t.csv").unwrap_err().to_string().contains("t.csv line 3"));
    /// # Ok::<(), cellmap::Error>(())
    /// ```
    pub fn parse_csv(text: &str, source: &str) -> Result<CellTypes, Error> {
        let mut lines = text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty());
        let (_, header) = lines.next().ok_or_else(|| Error::input(format!("{source}: empty file")))?;
        if crate::categories::fields(header).len() != 2 {
            return Err(Error::input(format!(
                "{source}: the header needs two columns, cell_id,<type column>; it has {}",
                crate::categories::fields(header).len()
            )));
        }
        let mut seen = std::collections::HashMap::new();
        let (mut cell_ids, mut types) = (Vec::new(), Vec::new());
        for (index, line) in lines {
            let at = || format!("{source} line {}", index + 1);
            let [id, kind] = crate::categories::fields(line)[..] else {
                return Err(Error::input(format!("{}: expected two fields, cell id and type", at())));
            };
            if kind.is_empty() {
                return Err(Error::input(format!("{}: cell {id} has no type", at())));
            }
            if let Some(first) = seen.insert(id.to_string(), index + 1) {
                return Err(Error::input(format!(
                    "{}: cell {id} is listed twice (first on line {first})",
                    at()
                )));
            }
            cell_ids.push(id.to_string());
            types.push(kind.to_string());
        }
        if cell_ids.is_empty() {
            return Err(Error::input(format!("{source}: no cells (only a header)")));
        }
        Ok(CellTypes { source: source.to_string(), cell_ids, types })
    }
}

/// Predicted cell types scored against measured ones ([`score_types`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TypeScores {
    /// The types on either side, in scikit-learn's label order.
    pub types: Vec<String>,
    /// Per type (same order): cells in it on both sides, predicted in it, measured in it.
    pub tallies: Vec<CategoryTally>,
    /// Cells with both a predicted and a measured type (the scored ones).
    pub n_cells: usize,
    /// Of those, cells whose types agree.
    pub correct: usize,
    /// `correct / n_cells` (`sklearn.metrics.accuracy_score`).
    pub accuracy: f64,
    /// `sklearn.metrics.f1_score(average="macro")`.
    pub macro_f1: f64,
    /// `precision_score(average="macro")` (a type never predicted counts 0).
    pub macro_precision: f64,
    /// `recall_score(average="macro")` (a type never measured counts 0).
    pub macro_recall: f64,
    /// Predicted cells that have no measured type (not scored).
    pub pred_only: usize,
    /// Measured cells that have no predicted type (not scored).
    pub measured_only: usize,
}

/// Accuracy and macro-F1 of `pred` against `measured` over the cells (ids) in both, as
/// `sklearn.metrics.accuracy_score(y_true, y_pred)` and `f1_score(y_true, y_pred,
/// average="macro")` give them for those cells — bit for bit (see
/// [`cellmap_core::evaluate::category_scores`] for the rules). The types are sklearn's labels:
/// those on either side, sorted numerically when every one is a number (as pandas reads such a
/// column: `2` before `10`, `1` and `1.0` the same type), else as text (code point order, as numpy
/// sorts strings).
///
/// # Errors
///
/// No cell id in both ([`ErrorKind::Input`](crate::ErrorKind::Input)), naming both files.
///
/// ```
/// use cellmap::evaluate::{CellTypes, score_types};
/// let measured = CellTypes::parse_csv("cell_id,type\n1,B\n2,T\n3,T\n4,NK\n", "m.csv")?;
/// let pred = CellTypes::parse_csv("cell_id,type\n2,T\n1,T\n3,T\n9,B\n", "p.csv")?;
/// let s = score_types(&pred, &measured)?;
/// assert_eq!((s.n_cells, s.pred_only, s.measured_only), (3, 1, 1));
/// assert_eq!(s.types, ["B", "T"]);
/// assert_eq!(s.accuracy, 2.0 / 3.0); // sklearn: accuracy_score(["B", "T", "T"], ["T", "T", "T"])
/// assert_eq!(s.macro_f1, 0.4); // f1_score(..., average="macro"): (0 + 0.8) / 2
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn score_types(pred: &CellTypes, measured: &CellTypes) -> Result<TypeScores, Error> {
    let predicted: std::collections::HashMap<&str, &str> =
        pred.cell_ids.iter().map(String::as_str).zip(pred.types.iter().map(String::as_str)).collect();
    let pairs: Vec<(&str, &str)> = measured
        .cell_ids
        .iter()
        .zip(&measured.types)
        .filter_map(|(id, t)| predicted.get(id.as_str()).map(|&p| (t.as_str(), p)))
        .collect();
    if pairs.is_empty() {
        return Err(Error::input(format!(
            "{} vs {}: no cell id is in both (ids are compared as text)",
            pred.source, measured.source
        )));
    }
    if pairs.len() > (u32::MAX / 2) as usize {
        return Err(Error::input(format!("{}: too many cells", measured.source)));
    }
    // sklearn's labels: the types on either side, sorted.
    let numbers: Option<Vec<f64>> = pairs
        .iter()
        .flat_map(|&(t, p)| [t, p])
        .map(|v| v.parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect();
    let mut names: Vec<&str> = pairs.iter().flat_map(|&(t, p)| [t, p]).collect();
    let ids: Vec<u32> = match numbers {
        Some(values) => {
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            sorted.dedup_by(|a, b| a == b); // 1 and 1.0, -0 and 0: one type
            let mut label_names = vec![""; sorted.len()];
            let ids: Vec<u32> = values
                .iter()
                .zip(&names)
                .map(|(v, &name)| {
                    let k = sorted.partition_point(|x| x < v);
                    if label_names[k].is_empty() {
                        label_names[k] = name;
                    }
                    k as u32
                })
                .collect();
            names = label_names;
            ids
        }
        None => {
            let all = names.clone();
            names.sort_unstable();
            names.dedup();
            all.iter().map(|v| names.partition_point(|x| x < v) as u32).collect()
        }
    };
    let truth: Vec<u32> = ids.iter().step_by(2).copied().collect();
    let guess: Vec<u32> = ids.iter().skip(1).step_by(2).copied().collect();
    let mut tallies = filled(names.len(), CategoryTally::default(), "the per-type tallies")?;
    let mut scratch = filled(category_scores_scratch_len(names.len()), 0.0f64, "the per-type F1")?;
    let s = category_scores(&truth, &guess, &mut tallies, &mut scratch)
        .map_err(|e| Error::core("cell-type scores", e))?;
    // The per-type precision and recall, then their means as numpy takes them.
    let mean = |value: fn(&CategoryTally) -> f64, scratch: &mut [f64]| {
        for (slot, tally) in scratch.iter_mut().zip(&tallies) {
            *slot = value(tally);
        }
        let values = &scratch[..tallies.len()];
        cellmap_core::linalg::pairwise_sum(values) / values.len() as f64
    };
    let macro_precision = mean(CategoryTally::precision, &mut scratch);
    let macro_recall = mean(CategoryTally::recall, &mut scratch);
    Ok(TypeScores {
        types: names.into_iter().map(str::to_string).collect(),
        macro_precision,
        macro_recall,
        tallies,
        n_cells: s.n_cells,
        correct: s.correct,
        accuracy: s.accuracy,
        macro_f1: s.macro_f1,
        pred_only: pred.cell_ids.len() - pairs.len(),
        measured_only: measured.cell_ids.len() - pairs.len(),
    })
}

/// Writes the per-gene scores as CSV, as `cellmap evaluate --csv` does:
/// `gene,pcc` and, with Moran's I, `morans_i,svg_rank` (rank 1 = most
/// spatially variable); numbers in Rust's shortest round-trip form, NaN as
/// `NaN`.
///
/// ```
/// use cellmap::evaluate::{evaluate, write_scores_csv};
/// // genes A and B over 3 cells, row-major; B is constant in the prediction: NaN
/// let pred = [1.0, 5.0, 2.0, 5.0, 3.0, 5.0];
/// let measured = [1.0, 1.0, 3.0, 2.0, 2.0, 3.0];
/// let e = evaluate(&pred, &measured, 3, &["A".into(), "B".into()], None, 8, &[])?;
/// let mut out = Vec::new();
/// write_scores_csv(&mut out, &e)?;
/// assert_eq!(String::from_utf8(out).unwrap(), format!("gene,pcc\nA,{}\nB,NaN\n", e.pcc[0]));
/// assert!((e.pcc[0] - 0.5).abs() < 1e-15);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_scores_csv(w: &mut dyn std::io::Write, e: &Evaluation) -> std::io::Result<()> {
    let mut rank = vec![0usize; e.genes.len()];
    if let Some(order) = &e.svg_order {
        for (r, &g) in order.iter().enumerate() {
            rank[g as usize] = r + 1;
        }
    }
    writeln!(w, "gene,pcc{}", if e.morans_i.is_some() { ",morans_i,svg_rank" } else { "" })?;
    for (g, name) in e.genes.iter().enumerate() {
        write!(w, "{name},{}", e.pcc[g])?;
        if let Some(mi) = &e.morans_i {
            write!(w, ",{},{}", mi[g], rank[g])?;
        }
        writeln!(w)?;
    }
    Ok(())
}

/// What a per-cell map of a [`Comparison`] shows for one gene.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compared {
    /// The predicted value.
    Predicted,
    /// The measured value.
    Measured,
    /// Predicted minus measured.
    Difference,
}

impl Compared {
    /// Every kind, in menu order.
    pub const ALL: [Compared; 3] = [Compared::Predicted, Compared::Measured, Compared::Difference];

    /// `"predicted"`, `"measured"` or `"difference"`.
    pub fn name(self) -> &'static str {
        match self {
            Compared::Predicted => "predicted",
            Compared::Measured => "measured",
            Compared::Difference => "difference",
        }
    }

    /// The kind called `name` ([`Compared::name`]).
    pub fn from_name(name: &str) -> Option<Compared> {
        Compared::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// A predicted table scored against the measured values of an image's
/// cells `1..=n_cells` (one column per gene the prediction names): the
/// scores of [`evaluate`] on the aligned tables — what `cellmap evaluate
/// PRED MEASURED` gives when MEASURED is the cells' table with ids `1..=n`
/// — and per-cell maps of one gene.
///
/// ```
/// use cellmap::evaluate::{Compared, Comparison, Table};
/// let pred = Table::parse_csv("cell_id,A,B\n2,1,5\n1,2,4\n3,4,4\n", "pred.csv")?;
/// // the measured columns, gene-major over cells 1..=3: A then B
/// let measured = [1.0, 2.5, 5.0, 3.0, 3.0, 2.0];
/// let c = Comparison::new(&pred, &measured, &["A".into(), "B".into()], 3)?;
/// assert_eq!(c.evaluation().genes, ["A", "B"]);
/// assert!((c.evaluation().pcc[0] - 0.7559289460184545).abs() < 1e-15); // np.corrcoef
/// assert_eq!(c.by_label(0, Compared::Difference)?[1..], [1.0, -1.5, -1.0]);
/// # Ok::<(), cellmap::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    aligned: Aligned,
    /// The label of each aligned row.
    labels: Vec<usize>,
    n_cells: usize,
    evaluation: Evaluation,
}

impl Comparison {
    /// Aligns `pred` (rows by cell id when it has ids, else row `k` = cell
    /// `k + 1`; genes by name) with `measured`: one column per name in
    /// `genes`, `n_cells` values each (cells `1..=n_cells`), column after
    /// column. Errors as [`align`] (a predicted cell that is not a cell of
    /// the image, no gene in common) and [`evaluate`].
    pub fn new(
        pred: &Table,
        measured: &[f64],
        genes: &[String],
        n_cells: usize,
    ) -> Result<Comparison, Error> {
        if measured.len() != genes.len() * n_cells {
            return Err(Error::argument(format!(
                "{} measured values for {} genes × {} cells",
                grouped(measured.len()),
                genes.len(),
                grouped(n_cells)
            )));
        }
        let mut values = filled(measured.len(), 0.0f64, "the measured table")?;
        for (g, column) in measured.chunks_exact(n_cells.max(1)).enumerate() {
            for (cell, &v) in column.iter().enumerate() {
                values[cell * genes.len() + g] = v;
            }
        }
        let measured = Table {
            n_cells,
            n_genes: genes.len(),
            values,
            cell_ids: Some((1..=n_cells).map(|c| c.to_string()).collect()),
            genes: Some(genes.to_vec()),
        };
        // ids as `cellmap evaluate` matches them: the same text ("7", not "7.0")
        let pred_ids =
            pred.cell_ids.clone().unwrap_or_else(|| (1..=pred.n_cells).map(|c| c.to_string()).collect());
        let pred = Table { cell_ids: Some(pred_ids), ..pred.clone() };
        let aligned = align(&pred, &measured)?;
        let labels = aligned
            .cell_ids
            .iter()
            .flatten()
            .map(|id| id.parse::<usize>().map_err(|_| Error::input(format!("cell {id:?} is not a cell id"))))
            .collect::<Result<Vec<_>, _>>()?;
        let evaluation =
            evaluate(&aligned.pred, &aligned.measured, aligned.n_cells, &aligned.genes, None, MORAN_K, &[])?;
        Ok(Comparison { aligned, labels, n_cells, evaluation })
    }

    /// The scores: per-gene PCC (the aligned genes, in the prediction's
    /// order), mean, median and NaN count.
    pub fn evaluation(&self) -> &Evaluation {
        &self.evaluation
    }

    /// Cells the tables share (rows of the prediction).
    pub fn n_rows(&self) -> usize {
        self.aligned.n_cells
    }

    /// Gene `gene`'s (an index into [`Evaluation::genes`]) `what` per cell,
    /// by label (`n_cells + 1` entries, entry 0 the background): NaN for a
    /// cell the prediction does not list.
    pub fn by_label(&self, gene: usize, what: Compared) -> Result<Vec<f64>, Error> {
        let g = self.aligned.genes.len();
        if gene >= g {
            return Err(Error::argument(format!("gene {gene} does not exist: the comparison has {g} genes")));
        }
        let mut out = filled(self.n_cells + 1, f64::NAN, "the compared values")?;
        for (row, &label) in self.labels.iter().enumerate() {
            let (p, m) = (self.aligned.pred[row * g + gene], self.aligned.measured[row * g + gene]);
            out[label] = match what {
                Compared::Predicted => p,
                Compared::Measured => m,
                Compared::Difference => p - m,
            };
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comparison_matches_rows_by_id_and_genes_by_name() {
        // the prediction lists cells 3 and 1 (not 2), genes B, X (unknown) and A
        let pred = Table::parse_csv("cell_id,B,X,A\n3,1,0,2\n1,3,0,4\n", "p.csv").unwrap();
        let measured = [10.0, 20.0, 30.0, 1.0, 2.0, 3.0]; // A over cells 1..3, then B
        let c = Comparison::new(&pred, &measured, &["A".into(), "B".into()], 3).unwrap();
        assert_eq!(c.evaluation().genes, ["B", "A"]);
        assert_eq!(c.n_rows(), 2);
        let b = c.by_label(0, Compared::Measured).unwrap();
        assert_eq!((b[1], b[3]), (1.0, 3.0));
        assert!(b[0].is_nan() && b[2].is_nan());
        let a = c.by_label(1, Compared::Difference).unwrap();
        assert_eq!((a[1], a[3]), (4.0 - 10.0, 2.0 - 30.0));
        assert!(c.by_label(2, Compared::Predicted).is_err());
    }

    #[test]
    fn a_prediction_of_other_cells_or_genes_is_refused() {
        let measured = [1.0, 2.0];
        let pred = Table::parse_csv("cell_id,A\n1,1\n9,2\n", "p.csv").unwrap();
        let error = Comparison::new(&pred, &measured, &["A".into()], 2).unwrap_err().to_string();
        assert!(error.contains("cell \"9\" of the prediction is not in the measured table"), "{error}");
        let pred = Table::parse_csv("cell_id,Z\n1,1\n", "p.csv").unwrap();
        let error = Comparison::new(&pred, &measured, &["A".into()], 2).unwrap_err().to_string();
        assert!(error.contains("no gene name in common"), "{error}");
        assert!(Comparison::new(&pred, &[1.0], &["A".into()], 2).is_err());
    }

    #[test]
    fn names_of_compared_round_trip() {
        for c in Compared::ALL {
            assert_eq!(Compared::from_name(c.name()), Some(c));
        }
        assert_eq!(Compared::from_name("sum"), None);
    }
}
