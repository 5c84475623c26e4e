//! The C ABI called as C calls it: raw pointers and lengths, status codes.
//! Pictures are ASCII masks (`#` = foreground), one row per string.

use core::ffi::{CStr, c_void};
use core::ptr::{null, null_mut};

use cellmap_ffi::*;

fn mask(rows: &[&str]) -> (Vec<u8>, usize, usize) {
    let (w, h) = (rows.first().map_or(0, |r| r.len()), rows.len());
    (rows.concat().bytes().map(|c| if c == b'#' { 255 } else { 0 }).collect(), w, h)
}

/// `cellmap_label` or `cellmap_fill_holes_and_label` on a u8 mask.
fn label(fill: bool, m: &[u8], w: usize, h: usize, connectivity: i32) -> (CellmapStatus, Vec<i32>, usize) {
    let mut labels = vec![-7; w * h];
    let mut scratch = vec![0u32; cellmap_label_scratch_len(w, h)];
    let mut n = usize::MAX;
    let f = if fill { cellmap_fill_holes_and_label } else { cellmap_label };
    let status = unsafe {
        f(
            m.as_ptr().cast(),
            CELLMAP_U8,
            w,
            h,
            connectivity,
            labels.as_mut_ptr(),
            labels.len(),
            scratch.as_mut_ptr(),
            scratch.len(),
            &mut n,
        )
    };
    (status, labels, n)
}

#[test]
fn labels_are_scipys_in_both_connectivities() {
    let (m, w, h) = mask(&["##..#", "#..#.", "..##."]);
    let (status, labels, n) = label(false, &m, w, h, CELLMAP_CONNECTIVITY_4);
    assert_eq!((status, n), (CELLMAP_OK, 3));
    assert_eq!(labels, [1, 1, 0, 0, 2, 1, 0, 0, 3, 0, 0, 0, 3, 3, 0]);
    let (status, labels, n) = label(false, &m, w, h, CELLMAP_CONNECTIVITY_8);
    assert_eq!((status, n), (CELLMAP_OK, 2));
    assert_eq!(labels, [1, 1, 0, 0, 2, 1, 0, 0, 2, 0, 0, 0, 2, 2, 0]);
}

#[test]
fn fill_and_label_fills_the_ring() {
    let (m, w, h) = mask(&["###.", "#.#.", "###.", "...#"]);
    let (status, labels, n) = label(true, &m, w, h, CELLMAP_CONNECTIVITY_4);
    assert_eq!((status, n), (CELLMAP_OK, 2));
    assert_eq!(labels, [1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 2]);

    let mut filled = [9u8; 16];
    let mut scratch = vec![0u32; cellmap_fill_holes_scratch_len(w, h)];
    let mut holes = 0;
    let status = unsafe {
        cellmap_fill_holes(
            m.as_ptr().cast(),
            CELLMAP_U8,
            w,
            h,
            filled.as_mut_ptr(),
            16,
            scratch.as_mut_ptr(),
            scratch.len(),
            &mut holes,
        )
    };
    assert_eq!((status, holes), (CELLMAP_OK, 1));
    assert_eq!(filled, [1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 1]);
}

#[test]
fn every_mask_type_gives_the_same_labels() {
    let (m, w, h) = mask(&["#.#", "##.", "..#"]);
    let (_, want, _) = label(false, &m, w, h, CELLMAP_CONNECTIVITY_4);
    let u16s: Vec<u16> = m.iter().map(|&v| u16::from(v) * 3).collect();
    let f32s: Vec<f32> = m.iter().map(|&v| if v != 0 { f32::NAN } else { -0.0 }).collect();
    let i32s: Vec<i32> = m.iter().map(|&v| -i32::from(v)).collect();
    let u32s: Vec<u32> = m.iter().map(|&v| u32::from(v)).collect();
    let cases: [(*const c_void, CellmapDtype); 4] = [
        (u16s.as_ptr().cast(), CELLMAP_U16),
        (f32s.as_ptr().cast(), CELLMAP_F32),
        (i32s.as_ptr().cast(), CELLMAP_I32),
        (u32s.as_ptr().cast(), CELLMAP_U32),
    ];
    for (ptr, dtype) in cases {
        let mut labels = [0i32; 9];
        let mut scratch = vec![0u32; cellmap_label_scratch_len(w, h)];
        let status = unsafe {
            cellmap_label(
                ptr,
                dtype,
                w,
                h,
                4,
                labels.as_mut_ptr(),
                9,
                scratch.as_mut_ptr(),
                scratch.len(),
                null_mut(),
            )
        };
        assert_eq!((status, &labels[..]), (CELLMAP_OK, &want[..]), "dtype {dtype}");
    }
}

#[test]
fn bad_arguments_are_status_codes_and_leave_outputs_untouched() {
    let (m, w, h) = mask(&["##", "#."]);
    let mut labels = [-7i32; 4];
    let mut scratch = vec![0u32; cellmap_label_scratch_len(w, h)];
    let sl = scratch.len();
    let call = |mask: *const c_void,
                dtype,
                conn,
                labels: *mut i32,
                labels_len,
                scratch: *mut u32,
                scratch_len| unsafe {
        cellmap_label(mask, dtype, w, h, conn, labels, labels_len, scratch, scratch_len, null_mut())
    };
    let mp = m.as_ptr().cast::<c_void>();
    let lp = labels.as_mut_ptr();
    let sp = scratch.as_mut_ptr();
    assert_eq!(call(null(), CELLMAP_U8, 4, lp, 4, sp, sl), CELLMAP_ERR_NULL_POINTER);
    assert_eq!(call(mp, CELLMAP_U8, 4, null_mut(), 4, sp, sl), CELLMAP_ERR_NULL_POINTER);
    assert_eq!(call(mp, CELLMAP_U8, 4, lp, 3, sp, sl), CELLMAP_ERR_BUFFER_TOO_SMALL);
    assert_eq!(call(mp, CELLMAP_U8, 4, lp, 4, sp, sl - 1), CELLMAP_ERR_BUFFER_TOO_SMALL);
    assert_eq!(call(mp, CELLMAP_U8, 6, lp, 4, sp, sl), CELLMAP_ERR_INVALID_ARGUMENT);
    assert_eq!(call(mp, 99, 4, lp, 4, sp, sl), CELLMAP_ERR_INVALID_ARGUMENT);
    // A u16 mask one byte off its alignment.
    let words = [0u16; 8];
    let odd = words.as_ptr().cast::<u8>().wrapping_add(1).cast::<c_void>();
    assert_eq!(call(odd, CELLMAP_U16, 4, lp, 4, sp, sl), CELLMAP_ERR_MISALIGNED);
    // Labels written over the scratch.
    assert_eq!(call(mp, CELLMAP_U8, 4, sp.cast(), 4, sp, sl), CELLMAP_ERR_OVERLAP);
    let too_wide = unsafe { cellmap_label(mp, CELLMAP_U8, usize::MAX, 2, 4, lp, 4, sp, sl, null_mut()) };
    assert_eq!(too_wide, CELLMAP_ERR_DIMENSIONS_TOO_LARGE);
    assert_eq!(labels, [-7; 4]);
    // An empty image needs no buffers at all.
    let mut n = 9;
    let status = unsafe { cellmap_label(null(), CELLMAP_U8, 0, 5, 4, null_mut(), 0, null_mut(), 0, &mut n) };
    assert_eq!((status, n), (CELLMAP_OK, 0));
}

#[test]
fn cell_stats_skip_zeros_and_nan_and_honour_within() {
    // labels        values        within (the unfilled mask)
    // 1 1 . 2       2 4 9 0       # # . #
    // 1 . . 2       0 7 7 NaN     . . . #
    let labels = [1, 1, 0, 2, 1, 0, 0, 2];
    let values = [2.0f32, 4.0, 9.0, 0.0, 0.0, 7.0, 7.0, f32::NAN];
    let within = [1u8, 1, 0, 1, 0, 0, 0, 1];
    let stats = |within: *const c_void, flags| {
        let mut out = [CellmapCellStats { count: 9, sum: 9.0, mean: 9.0, min: 9.0, max: 9.0 }; 3];
        let status = unsafe {
            cellmap_cell_stats(
                labels.as_ptr(),
                4,
                2,
                2,
                values.as_ptr().cast(),
                CELLMAP_F32,
                within,
                CELLMAP_U8,
                flags,
                out.as_mut_ptr(),
                3,
            )
        };
        (status, out)
    };
    let (status, out) = stats(null(), 0);
    assert_eq!(status, CELLMAP_OK);
    assert_eq!(out[1], CellmapCellStats { count: 2, sum: 6.0, mean: 3.0, min: 2.0, max: 4.0 });
    assert_eq!((out[0].count, out[0].sum), (3, 23.0));
    assert!(out[2].count == 0 && out[2].mean.is_nan() && out[2].min.is_nan());
    let (_, out) = stats(null(), CELLMAP_KEEP_ZEROS);
    assert_eq!((out[1].count, out[1].mean, out[2].count), (3, 2.0, 1));
    let (_, out) = stats(within.as_ptr().cast(), CELLMAP_KEEP_ZEROS);
    assert_eq!((out[1].count, out[1].sum, out[0].count), (2, 6.0, 0));
    assert_eq!(stats(null(), 4).0, CELLMAP_ERR_INVALID_ARGUMENT);

    let (mut counts, mut means) = ([0u32; 3], [0f64; 3]);
    let status = unsafe {
        cellmap_cell_means(
            labels.as_ptr(),
            4,
            2,
            2,
            values.as_ptr().cast(),
            CELLMAP_F32,
            null(),
            0,
            0,
            counts.as_mut_ptr(),
            3,
            means.as_mut_ptr(),
            3,
        )
    };
    assert_eq!((status, counts, means[1]), (CELLMAP_OK, [3, 2, 0], 3.0));
    assert!(means[2].is_nan());
}

#[test]
fn labels_out_of_range_reset_the_tables() {
    let labels = [0, 3, 1, -1];
    let values = [1.0f32; 4];
    let mut out = [CellmapCellStats { count: 9, sum: 9.0, mean: 9.0, min: 9.0, max: 9.0 }; 4];
    let status = unsafe {
        cellmap_cell_stats(
            labels.as_ptr(),
            2,
            2,
            2,
            values.as_ptr().cast(),
            CELLMAP_F32,
            null(),
            0,
            0,
            out.as_mut_ptr(),
            4,
        )
    };
    assert_eq!(status, CELLMAP_ERR_LABEL_OUT_OF_RANGE);
    assert!(out[..3].iter().all(|s| s.count == 0 && s.sum == 0.0 && s.mean.is_nan()));
    assert_eq!(out[3].count, 9); // past the table: untouched
    let mut regions = [CellmapRegion {
        area: 9,
        centroid_row: 0.0,
        centroid_col: 0.0,
        row_start: 1,
        row_end: 1,
        col_start: 1,
        col_end: 1,
    }; 3];
    let status = unsafe { cellmap_region_props(labels.as_ptr(), 2, 2, 2, regions.as_mut_ptr(), 3) };
    assert_eq!(status, CELLMAP_ERR_LABEL_OUT_OF_RANGE);
    assert!(regions.iter().all(|r| r.area == 0 && r.centroid_row.is_nan() && r.row_end == 0));
}

#[test]
fn region_props_match_scipy() {
    // . 1 1 .
    // . 1 . 2
    // . . . 2
    let labels = [0, 1, 1, 0, 0, 1, 0, 2, 0, 0, 0, 2];
    let mut out = [CellmapRegion {
        area: 0,
        centroid_row: 0.0,
        centroid_col: 0.0,
        row_start: 0,
        row_end: 0,
        col_start: 0,
        col_end: 0,
    }; 3];
    assert_eq!(
        unsafe { cellmap_region_props(labels.as_ptr(), 4, 3, 2, out.as_mut_ptr(), 2) },
        CELLMAP_ERR_BUFFER_TOO_SMALL
    );
    assert_eq!(unsafe { cellmap_region_props(labels.as_ptr(), 4, 3, 2, out.as_mut_ptr(), 3) }, CELLMAP_OK);
    assert_eq!(out[1].area, 3);
    assert_eq!((out[1].centroid_row, out[1].centroid_col), (1.0 / 3.0, 4.0 / 3.0));
    assert_eq!((out[2].row_start, out[2].row_end, out[2].col_start, out[2].col_end), (1, 3, 3, 4));
}

#[test]
fn colours_and_paint_give_an_rgba_map() {
    let means = [f64::NAN, 1.0, 3.0, f64::NAN];
    let mut colors = [0u32; 4];
    let mut range = [0.0; 2];
    let status = unsafe {
        cellmap_cell_colors(
            means.as_ptr(),
            4,
            CELLMAP_RANGE_MIN_MAX,
            0.0,
            0.0,
            0,
            CELLMAP_COLORMAP_GRAY,
            0x0000_0000,
            0xFF00_00FF,
            null_mut(),
            0,
            colors.as_mut_ptr(),
            4,
            range.as_mut_ptr(),
        )
    };
    assert_eq!((status, range), (CELLMAP_OK, [1.0, 3.0]));
    let bytes = colors.map(u32::to_ne_bytes);
    assert_eq!(bytes, [[0, 0, 0, 0], [0, 0, 0, 255], [255, 255, 255, 255], [255, 0, 0, 255]]);

    let labels = [0, 1, 2, 3];
    let mut rgba = [0u32; 4];
    let status =
        unsafe { cellmap_paint(labels.as_ptr(), 2, 2, colors.as_ptr(), 4, 0, 0, rgba.as_mut_ptr(), 4) };
    assert_eq!((status, rgba), (CELLMAP_OK, colors));
    let status =
        unsafe { cellmap_paint(labels.as_ptr(), 2, 2, colors.as_ptr(), 3, 0, 0, rgba.as_mut_ptr(), 4) };
    assert_eq!(status, CELLMAP_ERR_LABEL_OUT_OF_RANGE);

    let mut scratch = [0.0; 4];
    assert_eq!(cellmap_normalize_scratch_len(CELLMAP_RANGE_PERCENTILE, 4), 4);
    let status = unsafe {
        cellmap_cell_colors(
            means.as_ptr(),
            4,
            CELLMAP_RANGE_PERCENTILE,
            0.0,
            100.0,
            0,
            0,
            0,
            0,
            scratch.as_mut_ptr(),
            3,
            colors.as_mut_ptr(),
            4,
            null_mut(),
        )
    };
    assert_eq!(status, CELLMAP_ERR_BUFFER_TOO_SMALL);
    let status = unsafe {
        cellmap_cell_colors(
            means.as_ptr(),
            4,
            CELLMAP_RANGE_FIXED,
            5.0,
            1.0,
            0,
            0,
            0,
            0,
            null_mut(),
            0,
            colors.as_mut_ptr(),
            4,
            null_mut(),
        )
    };
    assert_eq!(status, CELLMAP_ERR_INVALID_ARGUMENT);
    assert_eq!(colors.map(u32::to_ne_bytes), bytes);

    let mut lut = [0u8; 768];
    assert_eq!(unsafe { cellmap_colormap_lut(CELLMAP_COLORMAP_VIRIDIS, lut.as_mut_ptr(), 768) }, CELLMAP_OK);
    assert_eq!((&lut[..3], &lut[765..]), (&[68u8, 1, 84][..], &[253u8, 231, 36][..]));
    assert_eq!(unsafe { cellmap_colormap_lut(7, lut.as_mut_ptr(), 768) }, CELLMAP_ERR_INVALID_ARGUMENT);
}

#[test]
fn points_find_their_cells() {
    let labels = [1, 0, 0, 2];
    let (xs, ys) = ([0.1, 0.9, 0.6, 5.0], [0.4, 0.9, 0.1, 0.0]);
    let mut cells = [7u32; 4];
    let mut summary = CellmapAssignSummary::default();
    let status = unsafe {
        cellmap_assign_points(
            labels.as_ptr(),
            2,
            2,
            xs.as_ptr(),
            ys.as_ptr(),
            4,
            0.5,
            cells.as_mut_ptr(),
            4,
            &mut summary,
        )
    };
    assert_eq!((status, cells), (CELLMAP_OK, [1, 2, 0, CELLMAP_OUT_OF_IMAGE]));
    assert_eq!(summary, CellmapAssignSummary { in_cells: 2, background: 1, out_of_image: 1 });
    let status = unsafe {
        cellmap_assign_points(
            labels.as_ptr(),
            2,
            2,
            xs.as_ptr(),
            ys.as_ptr(),
            4,
            0.0,
            cells.as_mut_ptr(),
            4,
            null_mut(),
        )
    };
    assert_eq!(status, CELLMAP_ERR_INVALID_ARGUMENT);
}

#[test]
fn every_status_has_a_message_and_the_version_is_the_headers() {
    for status in -1..=12 {
        let message = unsafe { CStr::from_ptr(cellmap_status_message(status)) };
        assert!(!message.is_empty());
    }
    assert_eq!(unsafe { CStr::from_ptr(cellmap_status_message(CELLMAP_OK)) }, c"ok");
    assert_eq!(cellmap_abi_version() >> 16, CELLMAP_ABI_VERSION_MAJOR);
    assert_eq!(cellmap_table_len(usize::MAX), usize::MAX);
}

#[test]
fn channel_means_equal_cell_means_of_the_widened_channels() {
    // labels   channel a   channel b
    // 1 1 0 2  3 0 5 7     1 2 0 4
    let labels = [1, 1, 0, 2];
    let (a, b) = ([3u16, 0, 5, 7], [1u16, 2, 0, 4]);
    let channels = [a.as_ptr(), b.as_ptr()];
    let len = cellmap_channel_table_len(2, 2);
    assert_eq!(len, 6);
    let (mut counts, mut means, mut sums) = ([0u32; 6], [0f64; 6], [0u64; 6]);
    for flags in [0, CELLMAP_KEEP_ZEROS] {
        let status = unsafe {
            cellmap_channel_means(
                labels.as_ptr(),
                4,
                1,
                2,
                channels.as_ptr(),
                2,
                null(),
                0,
                flags,
                counts.as_mut_ptr(),
                6,
                means.as_mut_ptr(),
                6,
            )
        };
        assert_eq!(status, CELLMAP_OK);
        for (c, channel) in [a, b].iter().enumerate() {
            let widened = channel.map(f32::from);
            let (mut one_counts, mut one_means) = ([0u32; 3], [0f64; 3]);
            let status = unsafe {
                cellmap_cell_means(
                    labels.as_ptr(),
                    4,
                    1,
                    2,
                    widened.as_ptr().cast(),
                    CELLMAP_F32,
                    null(),
                    0,
                    flags,
                    one_counts.as_mut_ptr(),
                    3,
                    one_means.as_mut_ptr(),
                    3,
                )
            };
            assert_eq!(status, CELLMAP_OK);
            for label in 0..3 {
                assert_eq!(counts[label * 2 + c], one_counts[label]);
                assert_eq!(means[label * 2 + c].to_bits(), one_means[label].to_bits());
            }
        }
    }
    let status = unsafe {
        cellmap_channel_sums(
            labels.as_ptr(),
            4,
            1,
            2,
            channels.as_ptr(),
            2,
            null(),
            0,
            0,
            counts.as_mut_ptr(),
            6,
            sums.as_mut_ptr(),
            6,
        )
    };
    assert_eq!((status, counts, sums), (CELLMAP_OK, [1, 0, 1, 2, 1, 1], [5, 0, 3, 3, 7, 4]));
}

#[test]
fn channel_functions_check_their_buffers() {
    let labels = [0i32; 4];
    let a = [1u16; 4];
    let (mut counts, mut means) = ([5u32; 2], [5f64; 2]);
    let call = |channels: &[*const u16], n_channels: usize, counts: *mut u32, means: *mut f64| unsafe {
        cellmap_channel_means(
            labels.as_ptr(),
            2,
            2,
            0,
            channels.as_ptr(),
            n_channels,
            null(),
            0,
            0,
            counts,
            2,
            means,
            2,
        )
    };
    let many = [a.as_ptr(); CELLMAP_MAX_CHANNELS + 1];
    assert_eq!(
        call(&many, CELLMAP_MAX_CHANNELS + 1, counts.as_mut_ptr(), means.as_mut_ptr()),
        CELLMAP_ERR_INVALID_ARGUMENT
    );
    assert_eq!(call(&[null()], 1, counts.as_mut_ptr(), means.as_mut_ptr()), CELLMAP_ERR_NULL_POINTER);
    // An output that is a channel.
    let mut frame = [0u16; 4];
    let aliased = [frame.as_ptr()];
    assert_eq!(call(&aliased, 1, frame.as_mut_ptr().cast(), means.as_mut_ptr()), CELLMAP_ERR_OVERLAP);
    assert_eq!(
        call(&[a.as_ptr(); 3], 3, counts.as_mut_ptr(), means.as_mut_ptr()),
        CELLMAP_ERR_BUFFER_TOO_SMALL
    );
    assert_eq!((counts, means), ([5; 2], [5.0; 2]), "untouched on every error");
    assert_eq!(call(&[a.as_ptr()], 1, counts.as_mut_ptr(), means.as_mut_ptr()), CELLMAP_OK);
    assert_eq!((counts[0], means[0]), (4, 1.0));
}

#[test]
fn the_runs_left_in_the_scratch_give_the_label_image_results() {
    let (m, w, h) = mask(&["##..#", "#.#.#", "##..#", "....."]);
    let n = w * h;
    let (mut labels, mut scratch) =
        (vec![0i32; n], vec![0u32; cellmap_fill_holes_and_label_scratch_len(w, h)]);
    let mut n_cells = 0;
    let status = unsafe {
        cellmap_fill_holes_and_label(
            m.as_ptr().cast(),
            CELLMAP_U8,
            w,
            h,
            CELLMAP_CONNECTIVITY_4,
            labels.as_mut_ptr(),
            n,
            scratch.as_mut_ptr(),
            scratch.len(),
            &mut n_cells,
        )
    };
    assert_eq!((status, n_cells), (CELLMAP_OK, 2));
    let a: Vec<u16> = (0..n as u16).map(|i| i * 3 % 7).collect();
    let channels = [a.as_ptr(), a.as_ptr()];
    let table = cellmap_channel_table_len(n_cells, 2);
    let (mut c1, mut m1, mut c2, mut m2) =
        (vec![0u32; table], vec![0f64; table], vec![0u32; table], vec![0f64; table]);
    let s1 = unsafe {
        cellmap_channel_means(
            labels.as_ptr(),
            w,
            h,
            n_cells,
            channels.as_ptr(),
            2,
            null(),
            0,
            0,
            c1.as_mut_ptr(),
            table,
            m1.as_mut_ptr(),
            table,
        )
    };
    let s2 = unsafe {
        cellmap_channel_means_from_runs(
            scratch.as_ptr(),
            scratch.len(),
            w,
            h,
            n_cells,
            channels.as_ptr(),
            2,
            null(),
            0,
            0,
            c2.as_mut_ptr(),
            table,
            m2.as_mut_ptr(),
            table,
        )
    };
    assert_eq!((s1, s2), (CELLMAP_OK, CELLMAP_OK));
    assert_eq!(c1, c2);
    assert_eq!(
        m1.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        m2.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    );
    let colors = [0u32, 0x1111_1111, 0x2222_2222];
    let (mut p1, mut p2) = (vec![0u32; n], vec![0u32; n]);
    let s1 = unsafe { cellmap_paint(labels.as_ptr(), w, h, colors.as_ptr(), 3, 0, 0, p1.as_mut_ptr(), n) };
    let s2 = unsafe {
        cellmap_paint_from_runs(
            scratch.as_ptr(),
            scratch.len(),
            w,
            h,
            n_cells,
            colors.as_ptr(),
            3,
            p2.as_mut_ptr(),
            n,
        )
    };
    assert_eq!((s1, s2, &p1), (CELLMAP_OK, CELLMAP_OK, &p2));
    // A scratch that no longer holds those runs (or the wrong cell count) is refused, nothing written.
    let mut changed = scratch.clone();
    changed[0] = 99; // the first run of row 0 now starts past the image
    let mut p3 = vec![5u32; n];
    let s3 = unsafe {
        cellmap_paint_from_runs(
            changed.as_ptr(),
            changed.len(),
            w,
            h,
            n_cells,
            colors.as_ptr(),
            3,
            p3.as_mut_ptr(),
            n,
        )
    };
    assert_eq!((s3, &p3), (CELLMAP_ERR_INVALID_ARGUMENT, &vec![5u32; n]));
    let s4 = unsafe {
        cellmap_paint_from_runs(
            scratch.as_ptr(),
            scratch.len(),
            w,
            h,
            1,
            colors.as_ptr(),
            3,
            p3.as_mut_ptr(),
            n,
        )
    };
    assert_eq!(s4, CELLMAP_ERR_INVALID_ARGUMENT);
    let s5 = unsafe {
        cellmap_paint_from_runs(
            scratch.as_ptr(),
            scratch.len(),
            w,
            h,
            n_cells,
            colors.as_ptr(),
            2,
            p3.as_mut_ptr(),
            n,
        )
    };
    assert_eq!(s5, CELLMAP_ERR_LABEL_OUT_OF_RANGE);
}
