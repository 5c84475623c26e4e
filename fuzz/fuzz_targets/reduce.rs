//! The pipeline's reduce: fuzzed expression bytes (a scipy CSR `.npz` or a dense `.npy`)
//! through `cellmap::Expression::from_bytes`, then `cellmap::cell_table` for every `Stat`,
//! with and without zeros and an inside-mask, over small fixed label images. Must return `Ok`
//! or an `Err` — never panic, abort or allocate beyond the RSS limit.
//!
//! The label images match the seed corpus: 5×6 (30 rows: the io CSR fixtures), 3×1 (3 rows:
//! the non-canonical CSR), 4×5 (dense_expr.npy) and the CLI fixture labels 24×32 (st.npz).
#![no_main]

use std::sync::OnceLock;

use cellmap::{Expression, Image, LabelImage, Selection, Stat, cell_table};
use libfuzzer_sys::fuzz_target;

struct Fixed {
    labels: LabelImage,
    inside: Image<bool>,
}

fn images() -> &'static [Fixed] {
    static IMAGES: OnceLock<Vec<Fixed>> = OnceLock::new();
    IMAGES.get_or_init(|| {
        let synthetic = |h: usize, w: usize| {
            // Ids 0..=4 (0 = background), some cells split, a gap in the numbering at h·w ≥ 20.
            let ids: Vec<i32> = (0..h * w).map(|i| [0, 1, 2, 4, 1, 0, 4][i % 7]).collect();
            Image::new(w, h, ids).expect("image")
        };
        let cli = LabelImage::from_bytes(include_bytes!("../../tests/fixtures/cli/labels.npy"), "labels.npy")
            .expect("fixture labels")
            .into_labels();
        [synthetic(5, 6), synthetic(3, 1), synthetic(4, 5), cli]
            .into_iter()
            .map(|image| {
                let inside = (0..image.data().len()).map(|i| i % 3 != 0).collect();
                let inside = Image::new(image.width(), image.height(), inside).expect("mask");
                Fixed { labels: LabelImage::new(image).expect("labels"), inside }
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    for fixed in images() {
        let (h, w) = (fixed.labels.height(), fixed.labels.width());
        let Ok(expression) = Expression::from_bytes(data, "f.npz", h, w) else { continue };
        assert_eq!(expression.n_pixels(), h * w);
        for stat in Stat::ALL {
            for selection in [
                Selection::default(),
                Selection { within: None, keep_zeros: true },
                Selection { within: Some(&fixed.inside), keep_zeros: false },
            ] {
                if let Ok(table) = cell_table(&fixed.labels, &expression, selection, stat) {
                    assert_eq!(table.n_cells(), fixed.labels.n_cells());
                    assert_eq!(table.n_genes(), expression.n_genes());
                    if expression.n_genes() > 0 {
                        assert_eq!(table.values_by_label(0).len(), fixed.labels.n_cells() + 1);
                    }
                }
            }
        }
    }
});
