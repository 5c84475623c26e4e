//! Calls every public function of `cellmap-sim` once on small stack
//! buffers.
use cellmap_core::Grid;
use cellmap_sim::{
    CellKind, DEMO_GENES, ExpressionModel, Factor, Fnv1a, MaskParams, ModalityParams, NsfParams, SimCell,
    SplitMix64, Transcript, Xoshiro256StarStar, demo_cell_capacity, demo_tissue, digest_tissue,
    generate_mask, mask, patterns, reference_digest, rng, samplers, spec::SimSpec,
};

const W: usize = 8;
const H: usize = 8;
const CELLS: usize = demo_cell_capacity(W, H);

fn sample(seed: u64) -> u32 {
    let mut r = Xoshiro256StarStar::seed_from_u64(seed);
    let mut acc = rng::mix64(rng::derive_seed(seed, 1, 2)) as u32 ^ SplitMix64::new(seed).next_u64() as u32;
    acc ^= Xoshiro256StarStar::from_state([1, 2, 3, 4]).map_or(0, |mut x| x.next_u64() as u32);
    acc ^= Xoshiro256StarStar::stream(seed, 3, 4).below(7) as u32 ^ r.next_f64_open().to_bits() as u32;
    acc ^= samplers::uniform(&mut r).to_bits() as u32 ^ samplers::standard_normal(&mut r).to_bits() as u32;
    acc ^= samplers::normal(&mut r, 0.0, 1.0).map_or(1, |v| v.to_bits() as u32);
    acc ^= samplers::gamma(&mut r, 2.0, 1.0).map_or(1, |v| v.to_bits() as u32);
    acc ^= samplers::poisson(&mut r, 30.0).map_or(1, |v| v as u32);
    acc ^= samplers::negative_binomial(&mut r, 5.0, 10.0).map_or(1, |v| v as u32);
    acc ^ samplers::bernoulli(&mut r, 0.5).map_or(1, u32::from)
}

pub(crate) fn check(input: &[u8; 64]) -> u32 {
    let seed = u64::from(input[0]);
    let mut acc = sample(seed);
    let mut m = [0u8; W * H];
    let mut owner = [0u32; W * H];
    let mut cells = [SimCell::EMPTY; CELLS];
    let mut rates = [0f64; CELLS * DEMO_GENES];
    let Ok(demo) = demo_tissue(seed, W, H, &mut m, &mut owner, &mut cells, &mut rates) else {
        return u32::MAX;
    };
    let params = MaskParams { small_features: 0, ..MaskParams::default() };
    let mut cells2 = [SimCell::EMPTY; 4];
    acc ^= mask::cell_capacity(W, H, 17, 0) as u32 ^ params.cell_capacity(W, H) as u32;
    acc ^= generate_mask(seed, W, H, &params, &mut m, &mut owner, &mut cells2).map_or(1, |i| i.cells as u32);
    let Ok(grid) = Grid::new(W, H, &owner[..]) else { return u32::MAX };
    let model = demo.model;
    let mut indptr = [0u32; W * H + 1];
    let mut indices = [0u32; 256];
    let mut data = [0f32; 256];
    let mut transcripts = [Transcript::default(); 64];
    let mut factor = [0f32; W * H];
    acc ^= model.csr_size(&grid, &rates).map_or(1, |s| s.nnz as u32);
    acc ^=
        model.fill_csr(&grid, &rates, &mut indptr, &mut indices, &mut data).map_or(1, |s| s.molecules as u32);
    acc ^= model.transcripts(&grid, &rates, &mut transcripts).map_or(1, |n| n as u32);
    acc ^= model.factor_image(&grid, &cells2, Factor::Spatial(0), &mut factor).map_or(1, |_| 0);
    acc ^=
        model.lambda(0, 0).map_or(1, |l| l.to_bits() as u32) ^ model.spot_of(W, H, 1, 1).unwrap_or(0) as u32;
    acc ^= model.loading(0).map_or(1, |l| l.spatial_weight.to_bits() as u32);
    acc ^= model.gene_name(0).map_or(1, |n| n.len() as u32);
    acc ^= model.nonspatial_factor(0, 0).to_bits() as u32 ^ model.spatial_factor(0, 0).to_bits() as u32;
    acc ^= (model.rates_len(2) + model.genes() + model.spots()) as u32;
    let mut other = [0f64; 2];
    let single = [SimCell::new(CellKind::Plain, 0.0, 0.0, 1)];
    let free = ExpressionModel::new(
        seed,
        &NsfParams::default(),
        &ModalityParams { mixed_genes: 2, ..Default::default() },
        0,
    );
    acc ^= free.and_then(|f| f.cell_rates(W, H, &single, &mut other)).map_or(1, |_| 0);
    let spec = SimSpec::default();
    acc ^= spec.model(1).map_or(1, |m| m.genes() as u32)
        ^ spec.modalities[0].params().map_or(1, |p| p.genes() as u32);
    acc ^= u32::from(patterns::quilt(0, 1, 1)) ^ u32::from(patterns::ggblocks(0, 1, 1));
    acc ^= patterns::Scenario::Both.factor_at(36, 4, 3, 3).to_bits() as u32;
    let mut h = Fnv1a::new();
    h.write(&m);
    h.write_u32s(&owner);
    h.write_f32s(&factor);
    acc ^= h.finish() as u32 ^ digest_tissue(&m, &owner, &indptr, &indices, &data) as u32;
    acc ^ reference_digest().map_or(1, |d| d as u32)
}
