//! Parity tests: transcript location heatmaps against GeneSegNet's location map restated in
//! numpy (fixtures by `tests/generators/heatmap.py`), bit for bit.
use cellmap::Frame;
use cellmap::heatmap::{Bump, Combine, gene_heatmaps, location_heatmap, transcript_pixels};
use cellmap_tests::npy::{fixture_path, load};

#[test]
fn heatmaps_match_numpy() {
    let labels = load("heatmap/labels.npy");
    let (h, w) = (labels.shape[0], labels.shape[1]);
    let text = std::fs::read_to_string(fixture_path("heatmap/transcripts.csv")).unwrap();
    let (mut x, mut y, mut gene, mut names) = (vec![], vec![], vec![], Vec::<String>::new());
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        x.push(f[0].parse::<f64>().unwrap());
        y.push(f[1].parse::<f64>().unwrap());
        let id = names.iter().position(|n| n == f[2]).unwrap_or_else(|| {
            names.push(f[2].to_string());
            names.len() - 1
        });
        gene.push(id as u32);
    }
    let pixels = transcript_pixels(&x, &y, Frame { scale: 1.0, ..Frame::default() }, w, h).unwrap();
    let points: Vec<[u32; 2]> = pixels.iter().filter_map(|p| *p).collect();
    let as_f64 = |v: Vec<f32>| v.into_iter().map(f64::from).collect::<Vec<_>>();
    for (combine, file) in [(Combine::Max, "all_max"), (Combine::Sum, "all_sum")] {
        let map = location_heatmap(&points, w, h, Bump::GENESEGNET, combine).unwrap();
        assert_eq!(as_f64(map), load(&format!("heatmap/{file}.npy")).values, "{file}");
    }
    let genes: Vec<usize> = (0..names.len()).collect();
    let maps = gene_heatmaps(&pixels, &gene, &genes, w, h, Bump::GENESEGNET, Combine::Max).unwrap();
    assert_eq!(as_f64(maps), load("heatmap/genes_max.npy").values);
    let cells: Vec<i32> = labels.to();
    let in_cells: Vec<[u32; 2]> =
        points.iter().copied().filter(|&[c, r]| cells[r as usize * w + c as usize] != 0).collect();
    let map = location_heatmap(&in_cells, w, h, Bump::GENESEGNET, Combine::Max).unwrap();
    assert_eq!(as_f64(map), load("heatmap/in_cells_max.npy").values);
}
