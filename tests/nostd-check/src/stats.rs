use cellmap_core::Grid;
use cellmap_core::stats::{
    CellStats, Options, add_skipping_nan, cell_means, cell_stats, channel_means, channel_means_of_runs,
    channel_sums,
};

/// Dense per-cell statistics on the 8×8 mask used as labels 0/1 and as values.
pub(crate) fn check(mask: &[u8; 64]) -> u32 {
    let mut labels = [0u8; 64];
    let mut values = [0f32; 64];
    for (i, &m) in mask.iter().enumerate() {
        labels[i] = u8::from(m != 0);
        values[i] = f32::from(m) + i as f32;
    }
    let (Ok(labels), Ok(values), Ok(unfilled)) =
        (Grid::new(8, 8, &labels[..]), Grid::new(8, 8, &values[..]), Grid::new(8, 8, &mask[..]))
    else {
        return 1;
    };
    let mut out = [CellStats::EMPTY; 2];
    let mut counts = [0u32; 2];
    let mut means = [0f64; 2];
    let a = cell_stats(labels, values, 1, Options::new().within(unfilled), &mut out).is_ok();
    let b = cell_means(labels, values, 1, Options::new().keep_zeros(), &mut counts, &mut means).is_ok();
    let mut summed = [f64::NAN; 2];
    let c = add_skipping_nan(&mut summed, &means).is_ok() && add_skipping_nan(&mut summed, &means).is_ok();
    let channel: [u16; 64] = core::array::from_fn(|i| u16::from(mask[i]) + i as u16);
    let channels = [&channel[..], &channel[..]];
    let (mut channel_counts, mut channel_means_out, mut sums) = ([0u32; 4], [0f64; 4], [0u64; 4]);
    let d = channel_means(
        labels,
        &channels,
        1,
        Options::new().within(unfilled),
        &mut channel_counts,
        &mut channel_means_out,
    )
    .is_ok()
        && channel_sums(labels, &channels, 1, Options::new(), &mut channel_counts, &mut sums).is_ok();
    let mut scratch = [0u32; cellmap_core::labeling::label_scratch_len(8, 8)];
    let mut relabelled = [0u8; 64];
    let e = cellmap_core::labeling::label(
        unfilled,
        cellmap_core::Connectivity::Four,
        &mut relabelled,
        &mut scratch,
    )
    .and_then(|n| cellmap_core::labeling::LabelRuns::from_scratch(8, 8, n, &scratch))
    .and_then(|runs| {
        let mut image = [0u32; 64];
        let colors = [0u32; 64];
        channel_means_of_runs(
            &runs,
            &channels,
            Options::new(),
            &mut channel_counts[..],
            &mut [0f64; 256][..],
        )?;
        cellmap_core::color::paint_runs(&runs, &colors[..runs.n_labels() + 1], &mut image)?;
        Ok(image[9])
    })
    .unwrap_or(0);
    u32::from(a)
        + e
        + u32::from(d)
        + sums[3] as u32
        + channel_means_out[2] as u32
        + u32::from(b)
        + u32::from(c)
        + out[1].count() as u32
        + counts[1]
        + out[1].variance() as u32
        + summed[1] as u32
}
