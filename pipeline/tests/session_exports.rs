//! What the viewer exports from a session — the cells' table, one cell's top genes, the cells of
//! a selection — equals the batch path's numbers: `cell_table` and `regions` on the same labels.

use std::path::Path;

use cellmap::input::CellImage;
use cellmap::{
    CellTable, Expression, Image, LabelImage, MaskKind, Selection, Session, Stat, cell_table, cells_in_ring,
    regions, write_regions_csv,
};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/cli");

/// The CLI fixture's mask (it has holes) and 7-gene expression in a session, and the same labels,
/// expression and mask for `cell_table`.
fn fixture() -> (Session, Table) {
    let cells = CellImage::read(&Path::new(FIXTURES).join("mask.npy"), MaskKind::Auto).unwrap();
    let CellImage::Mask(mask) = cells.clone() else { panic!("mask.npy is a binary mask") };
    let mut session = Session::new(cells).unwrap();
    let expression =
        Expression::read(&Path::new(FIXTURES).join("st.npz"), session.height(), session.width()).unwrap();
    session.attach_expression(&expression).unwrap();
    let labels = Image::new(session.width(), session.height(), session.labels().to_vec()).unwrap();
    (session, Table { labels: LabelImage::new(labels).unwrap(), expression, mask })
}

/// The batch path's inputs.
struct Table {
    labels: LabelImage,
    expression: Expression,
    mask: Image<bool>,
}

impl Table {
    /// `cellmap run`'s table: over the mask's own pixels (not the filled holes), as the session.
    fn of(&self, stat: Stat) -> CellTable {
        let selection = Selection { within: Some(&self.mask), keep_zeros: false };
        cell_table(&self.labels, &self.expression, selection, stat).unwrap()
    }
}

#[test]
fn top_genes_are_the_cells_row_of_the_table_sorted() {
    let (session, table) = fixture();
    let genes = session.n_genes();
    let counts = table.of(Stat::Count);
    let mut compared = 0;
    for stat in Stat::ALL {
        let values = table.of(stat);
        let columns: Vec<Vec<f64>> = (0..genes).map(|g| values.values_by_label(g)).collect();
        let count_columns: Vec<Vec<f64>> = (0..genes).map(|g| counts.values_by_label(g)).collect();
        for cell in 1..=session.n_cells() {
            let mut expected: Vec<(usize, f64)> =
                (0..genes).filter(|&g| count_columns[g][cell] > 0.0).map(|g| (g, columns[g][cell])).collect();
            expected.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            expected.truncate(5);
            let mut got = session.top_genes(cell, stat, 5).unwrap();
            if matches!(stat, Stat::Min | Stat::Max) {
                // the table holds min and max in float32
                got.iter_mut().for_each(|(_, v)| *v = f64::from(*v as f32));
            }
            assert_eq!(got, expected, "{} of cell {cell}", stat.name());
            compared += got.len();
        }
    }
    assert!(compared > 100, "only {compared} genes compared");
    assert!(session.top_genes(0, Stat::Mean, 5).is_err());
    assert!(session.top_genes(session.n_cells() + 1, Stat::Mean, 5).is_err());
}

#[test]
fn the_cells_csv_holds_regions_csv_and_the_table() {
    let (mut session, table) = fixture();
    for (genes, stat) in [(vec![3], Stat::Mean), (vec![1, 4], Stat::Max), (vec![0, 2, 5], Stat::Count)] {
        session.compute(&genes, stat).unwrap();
        let mut csv = Vec::new();
        session.cells_table().unwrap().write_csv(&mut csv).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        let mut regions_csv = Vec::new();
        write_regions_csv(&mut regions_csv, &regions(&table.labels).unwrap()).unwrap();
        let regions_csv = String::from_utf8(regions_csv).unwrap();
        let values = table.of(stat);
        let mut lines = csv.lines();
        let mut header = vec![
            "cell_id,area,centroid_row,centroid_col,bbox_min_row,bbox_min_col,bbox_max_row,bbox_max_col"
                .to_string(),
        ];
        header.extend(genes.iter().map(|g| format!("gene {g}")));
        if genes.len() > 1 {
            header.push("sum_of_genes".into());
        }
        assert_eq!(lines.next(), Some(header.join(",").as_str()));
        let mut rows = 0;
        for ((line, region_line), cell) in lines.zip(regions_csv.lines().skip(1)).zip(1..) {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields[..8].join(","), region_line, "cell {cell}: the regions.csv columns");
            let mut sum = f64::NAN;
            for (k, &g) in genes.iter().enumerate() {
                let expected = values.values_by_label(g)[cell];
                let got: f64 = match stat {
                    Stat::Min | Stat::Max => f64::from(fields[8 + k].parse::<f32>().unwrap()),
                    _ => fields[8 + k].parse().unwrap(),
                };
                assert!(
                    got == expected || got.is_nan() && expected.is_nan(),
                    "cell {cell} gene {g}: {got} vs {expected}"
                );
                if !expected.is_nan() {
                    sum = if sum.is_nan() { expected } else { sum + expected };
                }
            }
            if genes.len() > 1 {
                assert_eq!(
                    fields[8 + genes.len()],
                    format!("{:?}", session.values()[cell]),
                    "cell {cell}: the sum"
                );
                let shown: f64 = fields[8 + genes.len()].parse().unwrap();
                assert!(shown.is_nan() && sum.is_nan() || (shown - sum).abs() <= 1e-6 * sum.abs());
            }
            rows += 1;
        }
        assert_eq!(rows, session.n_cells());
    }
}

#[test]
fn a_selection_holds_the_cells_whose_centroid_is_in_it() {
    let (session, ..) = fixture();
    let table = session.regions();
    let (w, h) = (session.width() as f64, session.height() as f64);
    let mut seen = 0;
    for k in 0..20 {
        let (x0, y0) = (w * f64::from(k % 5) / 7.0 - 0.5, h * f64::from(k / 5) / 6.0 - 0.5);
        let (x1, y1) = (x0 + w / 3.0, y0 + h / 4.0);
        let rectangle = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
        let expected: Vec<usize> = (1..table.len())
            .filter(|&c| {
                let (row, col) = table[c].centroid();
                table[c].area() > 0 && (x0..=x1).contains(&col) && (y0..=y1).contains(&row)
            })
            .collect();
        assert_eq!(cells_in_ring(table, &rectangle), expected, "rectangle {rectangle:?}");
        // the triangle of its lower-left half: at most those cells
        let triangle = [[x0, y0], [x1, y1], [x0, y1]];
        let lower: Vec<usize> = expected
            .iter()
            .copied()
            .filter(|&c| {
                let (row, col) = table[c].centroid();
                (row - y0) * (x1 - x0) >= (col - x0) * (y1 - y0)
            })
            .collect();
        assert_eq!(cells_in_ring(table, &triangle), lower, "triangle {triangle:?}");
        seen += expected.len();
    }
    assert!(seen > 20, "the rectangles held only {seen} cells");
    assert_eq!(cells_in_ring(table, &[]), Vec::<usize>::new());
}
