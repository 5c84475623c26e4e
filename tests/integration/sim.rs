//! The simulator: the true partition survives fill + label up to the
//! documented merges, output is deterministic (golden digests), and the
//! CSR, transcripts and factor images agree with each other.
use cellmap_core::Grid;
use cellmap_core::fill::{fill_holes, fill_holes_scratch_len};
use cellmap_core::labeling::{Connectivity, fill_holes_and_label, fill_holes_and_label_scratch_len};
use cellmap_sim::spec::SimSpec;
use cellmap_sim::{
    CellKind, DEMO_GENES, Factor, MaskParams, REFERENCE_DIGEST, Scenario, SimCell, demo_cell_capacity,
    demo_tissue, digest_tissue, generate_mask, reference_digest,
};
use std::collections::VecDeque;

/// FNV-1a written out here, independent of the crate's.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100_0000_01b3);
        }
    }
    h
}

fn le_bytes<T: Copy>(values: &[T], to: impl Fn(T) -> [u8; 4]) -> Vec<u8> {
    values.iter().flat_map(|&v| to(v)).collect()
}

/// Neighbour offsets `(row, col)` of a connectivity.
type Offsets = &'static [(isize, isize)];

const FOUR: [(isize, isize); 4] = [(-1, 0), (1, 0), (0, -1), (0, 1)];
const EIGHT: [(isize, isize); 8] = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)];

fn neighbours(w: usize, h: usize, p: usize, offsets: Offsets) -> impl Iterator<Item = usize> {
    let (r, c) = ((p / w) as isize, (p % w) as isize);
    offsets.iter().filter_map(move |&(dr, dc)| {
        let (rr, cc) = (r + dr, c + dc);
        (rr >= 0 && cc >= 0 && rr < h as isize && cc < w as isize).then(|| rr as usize * w + cc as usize)
    })
}

/// Reference hole filling: background stays background iff 4-connected
/// through background to the border (breadth-first search).
fn brute_fill(mask: &[u8], w: usize, h: usize) -> Vec<bool> {
    let mut outside = vec![false; w * h];
    let mut queue = VecDeque::new();
    for p in 0..w * h {
        let (r, c) = (p / w, p % w);
        if mask[p] == 0 && (r == 0 || c == 0 || r == h - 1 || c == w - 1) {
            outside[p] = true;
            queue.push_back(p);
        }
    }
    while let Some(p) = queue.pop_front() {
        for q in neighbours(w, h, p, &FOUR) {
            if mask[q] == 0 && !outside[q] {
                outside[q] = true;
                queue.push_back(q);
            }
        }
    }
    outside.iter().map(|&o| !o).collect()
}

/// Reference labeling: components of `fg` under `offsets` (ids arbitrary).
fn brute_label(fg: &[bool], w: usize, h: usize, offsets: Offsets) -> Vec<u32> {
    let mut label = vec![0u32; w * h];
    let mut next = 0;
    for start in 0..w * h {
        if !fg[start] || label[start] != 0 {
            continue;
        }
        next += 1;
        label[start] = next;
        let mut queue = VecDeque::from([start]);
        while let Some(p) = queue.pop_front() {
            for q in neighbours(w, h, p, offsets) {
                if fg[q] && label[q] == 0 {
                    label[q] = next;
                    queue.push_back(q);
                }
            }
        }
    }
    label
}

struct UnionFind(Vec<usize>);
impl UnionFind {
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] != x {
            self.0[x] = self.0[self.0[x]];
            x = self.0[x];
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        self.0[ra] = rb;
    }
}

/// The documented merges, computed from the truth: cells are joined when
/// their pixels are adjacent (under `offsets`) in the mask, or when they
/// touch the same filled background pocket. Returns each owner's group.
fn expected_groups(
    owner: &[u32],
    filled: &[bool],
    w: usize,
    h: usize,
    offsets: Offsets,
    cells: usize,
) -> UnionFind {
    let mut uf = UnionFind((0..=cells).collect());
    for p in 0..w * h {
        if owner[p] == 0 {
            continue;
        }
        for q in neighbours(w, h, p, offsets) {
            if owner[q] != 0 {
                uf.union(owner[p] as usize, owner[q] as usize);
            }
        }
    }
    // Filled pockets: 4-components of filled-in background pixels; every
    // cell adjacent (under `offsets`) to one pocket joins one group.
    let pocket: Vec<bool> = (0..w * h).map(|p| filled[p] && owner[p] == 0).collect();
    let pockets = brute_label(&pocket, w, h, &FOUR);
    let mut first_cell = std::collections::HashMap::new();
    for (p, &pocket) in pockets.iter().enumerate() {
        if pocket == 0 {
            continue;
        }
        for q in neighbours(w, h, p, offsets) {
            if owner[q] != 0 {
                let cell = *first_cell.entry(pocket).or_insert(owner[q] as usize);
                uf.union(cell, owner[q] as usize);
            }
        }
    }
    uf
}

/// Checks that `labels` (of the filled mask) is exactly the partition of
/// the true cells into expected groups: every cell lies in one label (no
/// split), and two cells share a label iff they are in one group.
fn assert_partition_recovered(
    owner: &[u32],
    labels: &[u32],
    groups: &mut UnionFind,
    cells: usize,
    what: &str,
) {
    let mut label_of_cell = vec![0u32; cells + 1];
    for (p, &o) in owner.iter().enumerate() {
        if o == 0 {
            continue;
        }
        assert_ne!(labels[p], 0, "{what}: cell pixel {p} is background after filling");
        let seen = &mut label_of_cell[o as usize];
        assert!(
            *seen == 0 || *seen == labels[p],
            "{what}: cell {o} is split over labels {} and {}",
            *seen,
            labels[p]
        );
        *seen = labels[p];
    }
    let mut group_of_label = std::collections::HashMap::new();
    let mut label_of_group = std::collections::HashMap::new();
    for (cell, &label) in label_of_cell.iter().enumerate().skip(1) {
        if label == 0 {
            continue;
        }
        let group = groups.find(cell);
        assert_eq!(
            *group_of_label.entry(label).or_insert(group),
            group,
            "{what}: label {label} joins cells of two groups"
        );
        assert_eq!(
            *label_of_group.entry(group).or_insert(label),
            label,
            "{what}: group of cell {cell} is split"
        );
    }
    // Every labelled pixel belongs to a label that holds a cell.
    assert!(
        labels.iter().all(|&l| l == 0 || group_of_label.contains_key(&l)),
        "{what}: a label without a cell"
    );
}

fn simulate(seed: u64, w: usize, h: usize, params: &MaskParams) -> (Vec<u8>, Vec<u32>, Vec<SimCell>, usize) {
    let mut mask = vec![0u8; w * h];
    let mut owner = vec![0u32; w * h];
    let mut cells = vec![SimCell::EMPTY; params.cell_capacity(w, h)];
    let info = generate_mask(seed, w, h, params, &mut mask, &mut owner, &mut cells).unwrap();
    (mask, owner, cells, info.cells)
}

#[test]
fn fill_and_label_recover_the_true_partition_up_to_documented_merges() {
    let rich = MaskParams {
        hole_fraction: 0.15,
        nested_fraction: 0.03,
        border_holes: 8,
        small_features: 8,
        ..MaskParams::default()
    };
    let dense = MaskParams { cell_spacing: 9, gap_probabilities: [0.5, 0.3, 0.2], ..rich };
    // Drawn cells, then components under 4- and 8-connectivity, summed.
    let mut totals = [0usize; 3];
    for (seed, w, h, params) in
        [(1, 300, 260, rich), (2, 257, 199, rich), (3, 200, 220, dense), (4, 64, 48, rich)]
    {
        let (mask, owner, sim_cells, cells) = simulate(seed, w, h, &params);
        totals[0] += sim_cells.iter().filter(|c| c.area > 0).count();
        let grid = Grid::new(w, h, &mask).unwrap();
        let mut filled = vec![false; w * h];
        let mut scratch =
            vec![0u32; fill_holes_scratch_len(w, h).max(fill_holes_and_label_scratch_len(w, h))];
        fill_holes(grid, &mut filled, &mut scratch).unwrap();
        assert_eq!(filled, brute_fill(&mask, w, h), "fill_holes differs from the reference");
        let both: [(Connectivity, Offsets, &str); 2] =
            [(Connectivity::Four, &FOUR, "4-connectivity"), (Connectivity::Eight, &EIGHT, "8-connectivity")];
        for (connectivity, offsets, name) in both {
            let mut labels = vec![0u32; w * h];
            let n = fill_holes_and_label(grid, connectivity, &mut labels, &mut scratch).unwrap();
            totals[if connectivity == Connectivity::Four { 1 } else { 2 }] += n;
            // Raster-order numbering: the reference BFS numbers the same way.
            assert_eq!(labels, brute_label(&filled, w, h, offsets), "labels differ from the reference");
            let mut groups = expected_groups(&owner, &filled, w, h, offsets, cells);
            assert_partition_recovered(
                &owner,
                &labels,
                &mut groups,
                cells,
                &format!("seed {seed} {w}x{h} {name}"),
            );
        }
    }
    // The merges are not hypothetical: touching cells merge under
    // 4-connectivity, and diagonal contacts add more under 8.
    assert!(totals[2] < totals[1] && totals[1] < totals[0], "cells, 4-, 8-components: {totals:?}");
}

#[test]
fn holes_are_filled_into_their_cell_and_border_holes_stay_open() {
    let params =
        MaskParams { hole_fraction: 0.3, nested_fraction: 0.03, border_holes: 8, ..MaskParams::default() };
    let (w, h) = (320, 320);
    let (mask, owner, cells, n) = simulate(5, w, h, &params);
    let filled = brute_fill(&mask, w, h);
    // Each filled pocket (4-component of filled background) and the cells
    // around it; a cell's own hole is a pocket surrounded by it alone.
    let pocket: Vec<bool> = (0..w * h).map(|p| filled[p] && mask[p] == 0).collect();
    let pockets = brute_label(&pocket, w, h, &FOUR);
    let mut around: std::collections::HashMap<u32, std::collections::BTreeSet<u32>> = Default::default();
    for p in (0..w * h).filter(|&p| pockets[p] != 0) {
        for q in neighbours(w, h, p, &FOUR).filter(|&q| owner[q] != 0) {
            around.entry(pockets[p]).or_default().insert(owner[q]);
        }
    }
    let mut own_hole = vec![false; n + 1];
    for cells_around in around.values() {
        if cells_around.len() == 1 {
            own_hole[*cells_around.iter().next().unwrap() as usize] = true;
        }
    }
    let with = |kind| {
        cells[..n].iter().enumerate().filter(move |(_, c)| c.kind == kind && c.area > 0).map(|(i, _)| i + 1)
    };
    let holed: Vec<usize> = with(CellKind::Holed).chain(with(CellKind::Nested)).collect();
    assert!(holed.len() > 10);
    let unfilled: Vec<_> = holed
        .iter()
        .filter(|&&c| !own_hole[c])
        .map(|&c| (c, cells[c - 1].kind, cells[c - 1].row, cells[c - 1].col, cells[c - 1].area))
        .collect();
    assert!(unfilled.is_empty(), "holes not filled: {unfilled:?} of {}", holed.len());
    let border: Vec<usize> = with(CellKind::BorderHole).collect();
    assert!(!border.is_empty());
    assert!(border.iter().all(|&c| !own_hole[c]), "a border-open hole was filled");
}

fn demo(
    seed: u64,
    w: usize,
    h: usize,
) -> (Vec<u8>, Vec<u32>, Vec<SimCell>, Vec<f64>, cellmap_sim::DemoTissue) {
    let mut mask = vec![0u8; w * h];
    let mut owner = vec![0u32; w * h];
    let mut cells = vec![SimCell::EMPTY; demo_cell_capacity(w, h)];
    let mut rates = vec![0f64; cells.len() * DEMO_GENES];
    let tile = demo_tissue(seed, w, h, &mut mask, &mut owner, &mut cells, &mut rates).unwrap();
    (mask, owner, cells, rates, tile)
}

#[test]
fn demo_tissue_csr_and_transcripts_agree() {
    let (w, h) = (160, 120);
    let (mask, owner, _, rates, tile) = demo(3, w, h);
    let grid = Grid::new(w, h, &owner).unwrap();
    let size = tile.model.csr_size(&grid, &rates).unwrap();
    let mut indptr = vec![0u32; w * h + 1];
    let mut indices = vec![0u32; size.nnz];
    let mut data = vec![0f32; size.nnz];
    assert_eq!(tile.model.fill_csr(&grid, &rates, &mut indptr, &mut indices, &mut data).unwrap(), size);
    assert!(size.nnz > 1000);
    for p in 0..w * h {
        let (a, b) = (indptr[p] as usize, indptr[p + 1] as usize);
        assert!(a <= b);
        assert!(a == b || mask[p] == 255, "expression outside cells at pixel {p}");
        assert!(indices[a..b].windows(2).all(|g| g[0] < g[1]));
        assert!(indices[a..b].iter().all(|&g| (g as usize) < DEMO_GENES));
        assert!(data[a..b].iter().all(|&v| v >= 1.0 && v.fract() == 0.0));
    }
    // Transcripts, assigned by pixel, give back the CSR counts.
    let mut transcripts = vec![Default::default(); size.molecules as usize];
    assert_eq!(tile.model.transcripts(&grid, &rates, &mut transcripts).unwrap(), transcripts.len());
    let mut dense = vec![0f32; w * h * DEMO_GENES];
    for t in &transcripts {
        let p = t.y as usize * w + t.x as usize;
        assert_eq!(owner[p], t.cell);
        dense[p * DEMO_GENES + t.gene as usize] += 1.0;
    }
    for p in 0..w * h {
        for k in indptr[p] as usize..indptr[p + 1] as usize {
            assert_eq!(dense[p * DEMO_GENES + indices[k] as usize], data[k]);
            dense[p * DEMO_GENES + indices[k] as usize] = 0.0;
        }
    }
    assert!(dense.iter().all(|&v| v == 0.0));
}

#[test]
fn factor_images_paint_the_true_factor_over_cells() {
    let (w, h) = (144, 144);
    let (mask, owner, cells, _, tile) = demo(4, w, h);
    let grid = Grid::new(w, h, &owner).unwrap();
    let mut image = vec![0f32; w * h];
    for l in 0..4 {
        tile.model.factor_image(&grid, &cells, Factor::Spatial(l), &mut image).unwrap();
        assert!(image.iter().zip(&mask).all(|(&v, &m)| v == 0.0 || (m == 255 && v == 1.0)));
        assert!(image.contains(&1.0));
    }
}

#[test]
fn output_is_deterministic_golden_digest() {
    let (w, h) = (256, 192);
    let (mask, owner, _, rates, tile) = demo(42, w, h);
    let grid = Grid::new(w, h, &owner).unwrap();
    let size = tile.model.csr_size(&grid, &rates).unwrap();
    let mut indptr = vec![0u32; w * h + 1];
    let mut indices = vec![0u32; size.nnz];
    let mut data = vec![0f32; size.nnz];
    tile.model.fill_csr(&grid, &rates, &mut indptr, &mut indices, &mut data).unwrap();
    let ours = fnv1a(&[
        &mask,
        &le_bytes(&owner, u32::to_le_bytes),
        &le_bytes(&indptr, u32::to_le_bytes),
        &le_bytes(&indices, u32::to_le_bytes),
        &le_bytes(&data, |v: f32| v.to_bits().to_le_bytes()),
    ]);
    assert_eq!(digest_tissue(&mask, &owner, &indptr, &indices, &data), ours);
    // Committed when the simulator was written; any change to the model or
    // to a sampler changes it (update deliberately, never to silence it).
    assert_eq!(ours, GOLDEN_256X192_SEED42, "got {ours:#x}");
    let reference = reference_digest().unwrap();
    assert_eq!(reference, REFERENCE_DIGEST, "got {reference:#x}");
}

const GOLDEN_256X192_SEED42: u64 = 0x20ff_c448_7913_cb2b;

#[test]
fn multi_modal_spec_deserialises_from_the_documented_json() {
    let json = r#"{
        "seed": 7, "scenario": "ggblocks", "nside": 36, "Lns": 2,
        "modalities": [
            { "name": "RNA",
              "params": { "Jsp": 200, "Jmix": 200, "Jns": 200, "expr_mean": 20.0, "nb_shape": 10.0, "dropout_rate": 0.5 },
              "active_factors": [0, 1] },
            { "name": "protein", "params": { "Jsp": 50, "Jmix": 50, "Jns": 0, "nb_shape": 20.0 }, "active_factors": [2] }
        ]
    }"#;
    let spec: SimSpec = serde_json::from_str(json).unwrap();
    assert_eq!((spec.seed, spec.scenario, spec.lns, spec.bkg_mean), (7, Scenario::GgBlocks, 2, 0.2));
    assert_eq!(spec.modalities[0].name.as_str(), "RNA");
    let rna = spec.model(0).unwrap();
    let protein = spec.model(1).unwrap();
    assert_eq!((rna.genes(), protein.genes()), (600, 100));
    assert_eq!((rna.modality().dropout, rna.modality().active_factors), (0.5, 0b11));
    assert_eq!((protein.modality().nb_shape, protein.modality().expr_mean), (20.0, 20.0));
    assert!((0..100).all(|g| protein.loading(g).unwrap().spatial_factor == Some(2)));
    // Fixed capacities are enforced by the deserialiser, not by a panic.
    let too_long = r#"{ "modalities": [ { "name": "a name far too long for sixteen bytes" } ] }"#;
    assert!(serde_json::from_str::<SimSpec>(too_long).is_err());
    let round_trip: SimSpec = serde_json::from_str(&serde_json::to_string(&spec).unwrap()).unwrap();
    assert_eq!(round_trip, spec);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn params() -> impl Strategy<Value = MaskParams> {
        (
            4u32..24,
            0.0f64..0.5,
            0.0f64..0.5,
            [0.0f64..1.0, 0.0f64..1.0, 0.01f64..1.0],
            0.0f64..1.0,
            0.0f64..0.3,
            0u32..6,
            0u32..4,
        )
            .prop_map(
                |(
                    cell_spacing,
                    absent_fraction,
                    empty_fraction,
                    gap_probabilities,
                    hole_fraction,
                    nested_fraction,
                    border_holes,
                    small_features,
                )| {
                    MaskParams {
                        cell_spacing,
                        absent_fraction,
                        empty_fraction,
                        gap_probabilities,
                        hole_fraction,
                        nested_fraction,
                        border_holes,
                        small_features,
                    }
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any parameters and shape: no panic, a consistent truth, and fill +
        /// label recover it up to the documented merges.
        #[test]
        fn any_tile_keeps_its_truth(seed in any::<u64>(), w in 0usize..90, h in 0usize..90, params in params()) {
            let (mask, owner, cells, n) = simulate(seed, w, h, &params);
            let mut areas = vec![0u32; n + 1];
            for (&m, &o) in mask.iter().zip(&owner) {
                prop_assert_eq!(m == 255, o != 0);
                prop_assert!(o as usize <= n);
                areas[o as usize] += 1;
            }
            prop_assert!(cells[..n].iter().zip(&areas[1..]).all(|(c, &a)| c.area == a));
            if w * h > 0 {
                let filled = brute_fill(&mask, w, h);
                let both: [Offsets; 2] = [&FOUR, &EIGHT];
                for offsets in both {
                    let labels = brute_label(&filled, w, h, offsets);
                    let mut groups = expected_groups(&owner, &filled, w, h, offsets, n);
                    assert_partition_recovered(&owner, &labels, &mut groups, n, &format!("seed {seed} {w}x{h}"));
                }
            }
        }

        /// Arbitrary owner images and rates: the CSR is well formed and the
        /// transcripts give it back.
        #[test]
        fn csr_and_transcripts_agree_on_any_input(
            seed in any::<u64>(),
            w in 0usize..12,
            h in 0usize..12,
            genes in 1u32..6,
            cell_rates in prop::collection::vec(prop::collection::vec(0.0f64..30.0, 6), 3),
            owner_seed in any::<u64>(),
        ) {
            let model = cellmap_sim::ExpressionModel::new(
                seed,
                &cellmap_sim::NsfParams::default(),
                &cellmap_sim::ModalityParams { mixed_genes: genes, ..Default::default() },
                0,
            ).unwrap();
            let g = genes as usize;
            let rates: Vec<f64> = cell_rates
                .iter()
                .flat_map(|r| r[..g].iter().scan(0.0, |acc, x| { *acc += x; Some(*acc) }).collect::<Vec<_>>())
                .collect();
            let owner: Vec<u32> = (0..w * h).map(|p| (cellmap_sim::rng::mix64(owner_seed ^ p as u64) % 4) as u32).collect();
            let grid = Grid::new(w, h, &owner).unwrap();
            let size = model.csr_size(&grid, &rates).unwrap();
            let mut indptr = vec![0u32; w * h + 1];
            let (mut indices, mut data) = (vec![0u32; size.nnz], vec![0f32; size.nnz]);
            prop_assert_eq!(model.fill_csr(&grid, &rates, &mut indptr, &mut indices, &mut data).unwrap(), size);
            prop_assert_eq!(indptr[w * h] as usize, size.nnz);
            for p in 0..w * h {
                let (a, b) = (indptr[p] as usize, indptr[p + 1] as usize);
                prop_assert!(a <= b && (a == b || owner[p] != 0));
                prop_assert!(indices[a..b].windows(2).all(|x| x[0] < x[1]));
                for &gene in &indices[a..b] {
                    let cell = owner[p] as usize - 1;
                    prop_assert!(model.gene_rate(&rates, cell, gene as usize).unwrap() > 0.0);
                }
            }
            let mut transcripts = vec![Default::default(); size.molecules as usize];
            prop_assert_eq!(model.transcripts(&grid, &rates, &mut transcripts).unwrap(), transcripts.len());
            let mut total = vec![0f32; w * h];
            for t in &transcripts {
                total[t.y as usize * w + t.x as usize] += 1.0;
            }
            for p in 0..w * h {
                let want: f32 = data[indptr[p] as usize..indptr[p + 1] as usize].iter().sum();
                prop_assert_eq!(total[p], want);
            }
        }
    }
}
