use cellmap_core::Grid;
use cellmap_core::color::{
    Colormap, Normalization, Range, cell_colors, levels, normalize, normalize_scratch_len, paint, percentile,
    value_range,
};

/// Every public item of `cellmap_core::color` on the 8×8 `mask` (nonzero
/// pixels are cell 1, zeros background), with stack buffers.
pub(crate) fn check(mask: &[u8; 64]) -> u32 {
    let labels = mask.map(|m| u8::from(m != 0));
    let Ok(labels) = Grid::new(8, 8, &labels[..]) else { return 1 };
    let values = [f64::from(mask[0]), 2.0, f64::NAN, 4.0];
    let mut scratch = [0.0f64; 4];
    let pct_scratch = normalize_scratch_len(
        &Normalization { range: Range::Percentile { low: 2.0, high: 98.0 }, log1p: true },
        4,
    );
    let mut out = [None; 4];
    let pct = Normalization { range: Range::Percentile { low: 2.0, high: 98.0 }, log1p: true };
    let p50 = percentile(&values, 50.0, &mut scratch).ok().flatten().unwrap_or(0.0);
    let range = value_range(&values, &pct, &mut scratch).ok().flatten().unwrap_or((0.0, 0.0));
    let _ = levels(&values, range.0, range.1, true, &mut out);
    let _ = normalize(&values, &Normalization::default(), &mut scratch, &mut out);

    let colormap = Colormap::from_name("turbo").unwrap_or_default();
    let mut table = [0u32; 4];
    let mut bytes = [[0u8; 4]; 4];
    let _ = cell_colors(&out, colormap, [0; 4], [128, 128, 128, 255], &mut table);
    let _ = cell_colors(&out, Colormap::ALL[6], [0; 4], [128, 128, 128, 255], &mut bytes);
    let mut image = [0u32; 64];
    let mut image_bytes = [[0u8; 4]; 64];
    let _ = paint(labels, &table, Some(u32::MAX), &mut image);
    let _ = paint(labels, &bytes, None, &mut image_bytes);
    let [r, ..] = colormap.rgb(mask[1]);
    let lut_sum: u32 = colormap.lut().iter().map(|rgb| u32::from(rgb[1])).sum();
    image.iter().fold(p50 as u32, |a, &p| a ^ p)
        ^ u32::from(image_bytes[9][0])
        ^ colormap.name().len() as u32
        ^ u32::from(r)
        ^ lut_sum
        ^ pct_scratch as u32
}
