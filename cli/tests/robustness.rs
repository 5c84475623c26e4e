//! Robustness of the `cellmap` binary against hostile inputs and hostile surroundings: the
//! reproductions of the robustness issue (data loss, panics and aborts, unbounded memory or
//! time, wrong exit codes, concurrent and killed runs). Every input is made at test time
//! (`support`), and every run is capped: `RLIMIT_AS` 3 GiB and a wall-time limit.
//!
//! What each test asserts is what the issue requires (exit code 0 ok / 1 bad input / 2 usage,
//! no panic, no signal death, bounded time, files of the user untouched, no temporaries left),
//! not the wording of a message.

mod support;

use std::path::Path;
use std::time::Duration;

use support::*;

fn labels(dir: &Path) -> std::path::PathBuf {
    put(dir, "L.npy", &labels_64())
}

/// Small GeneSegNet spot table for `L.npy`.
fn spots(dir: &Path) -> std::path::PathBuf {
    put(dir, "t.csv", b"spotX,spotY,gene\n3,4,Gad1\n20.5,2,Pvalb\n40,40,Gad1\n63,63,Sst\n")
}

// ------------------------------------------------------------------ the generators themselves

/// The hostile-input generators write what they claim (checked with the project's readers and
/// flate2/png), so a failing case below is cellmap's, not the generator's.
#[test]
fn generators_make_valid_files() {
    use std::io::Read;
    // A repeated-chunk deflate stream with prefix and suffix, as gzip: inflates to the bytes.
    let d = Deflate::new().bytes(b"head,").repeat(b'A', (3 << 20) + 5).bytes(b"\ntail\n").finish();
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(&gzip(&d)[..]).read_to_end(&mut text).unwrap();
    assert_eq!(text.len() as u64, d.len);
    assert!(text.starts_with(b"head,AAA") && text.ends_with(b"AAA\ntail\n"));
    // A CSR .npz reads as one.
    let bytes = csr_npz(2, 3, &[0, 2, 3], &[0, 2, 1], &[1.0, 2.0, 3.0]);
    let mut npz = cellmap_io::npz::Npz::from_bytes(&bytes, "g.npz").unwrap();
    let csr = npz.csr().unwrap();
    assert!(csr.validate().is_ok());
    // L.npy is a 16-cell label image; the PNG of zeros decodes (png crate, CRCs and Adler-32).
    let l = cellmap::LabelImage::from_bytes(&labels_64(), "L.npy").unwrap();
    assert_eq!((l.n_cells(), l.height(), l.width()), (16, 64, 64));
    let png = png_zeros(1100);
    let mut reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap();
    let mut buf = vec![1u8; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut buf).unwrap();
    assert!(buf.iter().all(|&b| b == 0));
}

// ------------------------------------------------------------------ data loss

/// Issue, data loss: `assign L.npy t.csv -o d/k` with `d/k/notes.txt` present must not delete
/// the user's file (assign used to replace the whole folder).
#[test]
fn assign_keeps_user_files_in_its_output_folder() {
    let dir = workdir();
    let (l, t) = (labels(dir.path()), spots(dir.path()));
    let out = dir.path().join("d/k");
    std::fs::create_dir_all(&out).unwrap();
    let notes = put(&out, "notes.txt", b"three weeks of notes\n");
    cellmap(["assign", s(&l), s(&t), "-o", s(&out)]).run().code(0);
    assert_eq!(std::fs::read(&notes).unwrap(), b"three weeks of notes\n", "notes.txt lost");
    assert!(out.join("counts.npz").exists() && out.join("genes.txt").exists());
    assert_no_leftovers(dir.path());
}

/// Issue, data loss: when cellmap's own output names already exist, `assign` refuses without
/// `--overwrite` (exit 1, naming the file), changes nothing, and replaces them with it; the
/// user's `notes.txt` survives both.
#[test]
fn assign_replaces_its_outputs_only_with_overwrite() {
    let dir = workdir();
    let (l, t) = (labels(dir.path()), spots(dir.path()));
    let out = dir.path().join("d/k");
    std::fs::create_dir_all(&out).unwrap();
    put(&out, "notes.txt", b"keep me\n");
    put(&out, "genes.txt", b"my own gene list\n");
    let before = snapshot(&out);
    let refused = cellmap(["assign", s(&l), s(&t), "-o", s(&out)]).run();
    refused.code(1).says("genes.txt");
    assert_eq!(snapshot(&out), before, "a refused run changed the folder");
    cellmap(["assign", s(&l), s(&t), "-o", s(&out), "--overwrite"]).run().code(0);
    assert_eq!(std::fs::read(out.join("notes.txt")).unwrap(), b"keep me\n");
    assert_ne!(std::fs::read(out.join("genes.txt")).unwrap(), b"my own gene list\n");
    assert!(out.join("counts.npz").exists());
    assert_no_leftovers(dir.path());
}

/// Issue, data loss: an output that is one of the inputs (`assign … -o L.npy`,
/// `label m.npy -o m.npy`, `reduce L.npy v.npz -o L.npy`, `label m.npy -o x.npy --filled x.npy`,
/// also spelled through `sub/..`) is a usage error (exit 2) and every input stays byte-identical.
#[test]
fn an_output_onto_an_input_is_a_usage_error() {
    let dir = workdir();
    let (l, t) = (labels(dir.path()), spots(dir.path()));
    let mask = put(dir.path(), "m.npy", &npy("|u1", &[4, 4], &[0, 255, 255, 0].repeat(4)));
    let v = put(dir.path(), "v.npz", &csr_npz(4096, 1, &vec![0; 4097], &[], &[]));
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let x = dir.path().join("x.npy");
    let dotted = dir.path().join("sub/../m.npy");
    let cases: [Vec<&str>; 5] = [
        vec!["assign", s(&l), s(&t), "-o", s(&l)],
        vec!["label", s(&mask), "-o", s(&mask)],
        vec!["label", s(&mask), "-o", s(&dotted)],
        vec!["reduce", s(&l), s(&v), "-o", s(&l)],
        vec!["label", s(&mask), "-o", s(&x), "--filled", s(&x)],
    ];
    let before = snapshot(dir.path());
    for args in cases {
        cellmap(&args).run().code(2);
        assert_eq!(snapshot(dir.path()), before, "`{}` changed files", args.join(" "));
    }
    assert_no_leftovers(dir.path());
}

/// Issue, data loss: rerunning `run` into the same folder keeps a user file inside a tile
/// folder (a tile's folder used to be replaced whole): refused without `--overwrite` (naming
/// cellmap's existing files), and with it only cellmap's files are replaced.
#[test]
fn rerunning_run_keeps_user_files_in_tile_folders() {
    let dir = workdir();
    let demo = demo(dir.path(), "demo", &[]);
    let out = dir.path().join("o");
    cellmap(["run", s(&demo), "-o", s(&out), "--genes", "0..2"]).run().code(0);
    let notes = put(&out.join("demo_0"), "notes.txt", b"annotations\n");
    cellmap(["run", s(&demo), "-o", s(&out), "--genes", "0..2"]).run().code(1).says("table.npz");
    assert_eq!(std::fs::read(&notes).unwrap(), b"annotations\n", "notes.txt in a tile folder lost");
    cellmap(["run", s(&demo), "-o", s(&out), "--genes", "0..2", "--overwrite"]).run().code(0);
    assert_eq!(std::fs::read(&notes).unwrap(), b"annotations\n", "notes.txt in a tile folder lost");
    assert!(out.join("demo_0/table.npz").exists());
    assert_no_leftovers(dir.path());
}

// ------------------------------------------------------------------ panics and aborts

/// A 1 KB CSR `.npz` declaring `(4096, 2**62)`.
fn huge_shape_npz() -> Vec<u8> {
    csr_npz(4096, 1 << 62, &vec![0; 4097], &[], &[])
}

/// Issue, panics: `reduce L.npy` over a 1 KB CSR of shape `(4096, 2**62)` is bad input (exit 1,
/// fast), not a capacity-overflow panic or an allocation abort.
#[test]
fn csr_with_a_huge_gene_count_is_bad_input() {
    let dir = workdir();
    let l = labels(dir.path());
    let v = put(dir.path(), "v.npz", &huge_shape_npz());
    assert!(std::fs::metadata(&v).unwrap().len() < 2048);
    let out = dir.path().join("out.npy");
    cellmap(["reduce", s(&l), s(&v), "-o", s(&out)]).limit(10.0).run().code(1).one_short_error();
    assert!(!out.exists());
    assert_no_leftovers(dir.path());
}

/// Issue, panics: the same `(4096, 2**62)` CSR as one tile of a `run` batch: the good tiles
/// still run (their folders are complete), the summary is printed, the exit code is 1.
#[test]
fn run_batch_survives_a_huge_shape_tile() {
    let dir = workdir();
    let demo = demo(dir.path(), "demo", &[]);
    put(&demo, "bad.npy", &labels_64());
    put(&demo, "bad_ST_1024.npz", &huge_shape_npz());
    let out = dir.path().join("o");
    let run = cellmap(["run", s(&demo), "-o", s(&out), "--genes", "0..2"]).run();
    run.code(1);
    for good in ["demo_0", "demo_1"] {
        assert!(out.join(good).join("table.npz").exists(), "{good} not processed: {run}");
        assert!(run.stdout.contains(good), "summary does not list {good}: {run}");
    }
    assert!(!out.join("bad").exists(), "a failed tile has a folder: {run}");
    assert!(run.stdout.contains("bad") || run.stderr.contains("bad"), "bad tile not reported: {run}");
    assert_no_leftovers(dir.path());
}

/// Issue, panics/unbounded: absurd `--genes` ranges are never expanded. `0..=2**64-1` cannot be
/// a gene index: a usage error naming the flag (exit 2). `0..2**32` and `0..10**8` are valid
/// ranges beyond the matrix: each tile reports the missing gene (exit 1), fast, within the
/// memory cap, with nothing written.
#[test]
fn absurd_gene_ranges_are_refused_fast() {
    let dir = workdir();
    let demo = demo(dir.path(), "demo", &[]);
    let out = dir.path().join("o");
    let run = cellmap(["run", s(&demo), "-o", s(&out), "--genes=0..=18446744073709551615"]).limit(10.0).run();
    run.code(2).within(5.0).one_short_error().says("--genes");
    for genes in ["--genes=0..4294967296", "--genes=0..100000000"] {
        let run = cellmap(["run", s(&demo), "-o", s(&out), genes]).limit(10.0).run();
        run.code(1).within(5.0).says("asked for, but the matrix has 12 genes");
        assert!(!out.join("demo_0").exists(), "a failed tile has a folder: {run}");
    }
    assert!(!out.exists() || leftovers(&out).is_empty());
}

/// Issue, aborts: `assign` with max label 4096 and a CSV of 2,000,000 distinct genes used to need
/// a dense 4097 × 2,000,000 count table (32 GB). The counts are a sparse CSR now (issue 12): with
/// 400,000 genes (a 6.5 GB dense table, over the 3 GiB cap; fewer keeps the debug run fast) the run
/// succeeds under the cap, and `counts.npz` holds one value per transcript in a cell.
#[test]
fn assign_with_400_000_genes_counts_sparse() {
    let dir = workdir();
    let l = put(dir.path(), "L4096.npy", &labels_4096());
    let mut csv = b"spotX,spotY,gene\n".to_vec();
    for i in 0..400_000u32 {
        csv.extend(format!("{},{},g{i}\n", i % 64, (i / 64) % 64).as_bytes());
    }
    let t = put(dir.path(), "t.csv.gz", &gzip_bytes(&csv));
    drop(csv);
    let out = dir.path().join("o");
    let run = cellmap(["assign", s(&l), s(&t), "-o", s(&out), "--json"]).limit(60.0).run();
    run.code(0);
    let summary: serde_json::Value = serde_json::from_slice(run.stdout.as_bytes()).unwrap();
    assert_eq!((summary["cells"].as_u64(), summary["genes"].as_u64()), (Some(4096), Some(400_000)), "{run}");
    let csr = cellmap_io::fs::open_npz(&out.join("counts.npz"), &Default::default()).unwrap().csr().unwrap();
    csr.validate().unwrap();
    assert_eq!((csr.shape, csr.nnz() as u64), ((4096, 400_000), summary["in_cells"].as_u64().unwrap()));
    assert_no_leftovers(dir.path());
}

/// Issue, panics: output to a closed stdout (a broken pipe, or fd 1 closed) or a closed stderr
/// does not panic (`println!` used to panic with "failed printing to stdout"). Death by SIGPIPE
/// is the Unix convention for a broken pipe and is accepted; the written file is whole.
#[test]
fn closed_stdout_or_stderr_does_not_panic() {
    let dir = workdir();
    let mask = put(dir.path(), "m.npy", &npy("|u1", &[4, 4], &[0, 255, 255, 0].repeat(4)));
    let ok_or_sigpipe = |o: &Outcome| {
        assert!(!o.timed_out, "{o}");
        assert!(o.signal.is_none() || o.signal == Some(libc::SIGPIPE), "{o}");
        assert!(matches!(o.code, None | Some(0) | Some(1)), "{o}");
    };
    for (i, stream) in [Stream::BrokenPipe, Stream::Closed].into_iter().enumerate() {
        let out = dir.path().join(format!("labels{i}.npy"));
        let o = cellmap(["label", s(&mask), "-o", s(&out)]).stdout(stream).run();
        ok_or_sigpipe(&o);
        if out.exists() {
            let l = cellmap::LabelImage::from_bytes(&std::fs::read(&out).unwrap(), "labels.npy");
            assert!(l.is_ok(), "partial output under the final name: {o}");
        }
        // A bad input with stderr closed: still exit 1, no panic.
        let missing = dir.path().join("missing.npy");
        let o = cellmap(["label", s(&missing), "-o", s(&out)]).stderr(stream).run();
        assert!(!o.timed_out && o.code == Some(1) || o.signal == Some(libc::SIGPIPE), "{o}");
    }
    let demo = demo(dir.path(), "demo", &[]);
    let out = dir.path().join("o");
    let o = cellmap(["run", s(&demo), "-o", s(&out), "--genes", "0..2"])
        .stdout(Stream::BrokenPipe)
        .stderr(Stream::BrokenPipe)
        .run();
    ok_or_sigpipe(&o);
    assert_no_leftovers(dir.path());
}

// ------------------------------------------------------------------ unbounded memory or time

/// An `.npz` whose members are the CSR's, with `name` replaced by `member`.
fn csr_with(member: Member, rows: i64, cols: i64) -> Vec<u8> {
    let mut members = vec![
        Member::deflated("indices.npy", &npy("<i4", &[0], &[])),
        Member::deflated("indptr.npy", &npy("<i4", &[rows as u64 + 1], &le_i32(&vec![0; rows as usize + 1]))),
        Member::deflated("data.npy", &npy("<f4", &[0], &[])),
    ];
    members.extend(csr_header_members(rows, cols));
    members.retain(|m| m.name != member.name);
    members.push(member);
    zip(&members)
}

/// Issue, unbounded: an `.npz` whose `shape.npy` inflates to 4 GB is refused fast (exit 1) with
/// a one-line message under 1 KB, within the memory cap.
#[test]
fn npz_with_a_4gb_shape_member_fails_fast() {
    let dir = workdir();
    let l = labels(dir.path());
    let inflated = Deflate::new().bytes(&npy_header("<i8", &[500_000_000])).repeat(0, 4_000_000_000 - 64);
    let v =
        put(dir.path(), "v.npz", &csr_with(Member::from_deflate("shape.npy", inflated.finish()), 4096, 3));
    let out = dir.path().join("out.npy");
    cellmap(["reduce", s(&l), s(&v), "-o", s(&out)]).limit(10.0).run().code(1).within(5.0).one_short_error();
    assert!(!out.exists());
}

/// Issue, unbounded: `data.npy` inflating to 4 GB while `indices` has 10 entries: refused
/// (exit 1) before inflating it, within the memory cap.
#[test]
fn npz_with_a_4gb_data_member_and_10_indices_fails_fast() {
    let dir = workdir();
    let l = labels(dir.path());
    let n = 1_000_000_000u64 - 16;
    let data = Deflate::new().bytes(&npy_header("<f4", &[n])).repeat(0, 4 * n).finish();
    let mut indptr = vec![0i32; 4097];
    indptr[1..].fill(10);
    let mut members = vec![
        Member::deflated("indices.npy", &npy("<i4", &[10], &le_i32(&[0; 10]))),
        Member::deflated("indptr.npy", &npy("<i4", &[4097], &le_i32(&indptr))),
        Member::from_deflate("data.npy", data),
    ];
    members.extend(csr_header_members(4096, 3));
    let v = put(dir.path(), "v.npz", &zip(&members));
    let out = dir.path().join("out.npy");
    cellmap(["reduce", s(&l), s(&v), "-o", s(&out)]).limit(10.0).run().code(1).within(5.0).one_short_error();
    assert!(!out.exists());
}

/// Issue, unbounded: a CSR of 10⁹ stored zeros (a few MB deflated, 8 GB of `indices` + `data`
/// inflated): within the 3 GiB cap and the time limit, refused (1) or reduced (0), never a
/// crash.
#[test]
fn csr_of_a_billion_stored_zeros_is_bounded() {
    let dir = workdir();
    let l = labels(dir.path());
    let n = 1_000_000_000u64;
    let indices = Deflate::new().bytes(&npy_header("<i4", &[n])).repeat(0, 4 * n).finish();
    let data = Deflate::new().bytes(&npy_header("<f4", &[n])).repeat(0, 4 * n).finish();
    let mut indptr = vec![n as i32; 4097];
    indptr[0] = 0;
    let mut members = vec![
        Member::from_deflate("indices.npy", indices),
        Member::deflated("indptr.npy", &npy("<i4", &[4097], &le_i32(&indptr))),
        Member::from_deflate("data.npy", data),
    ];
    members.extend(csr_header_members(4096, 3));
    let v = put(dir.path(), "v.npz", &zip(&members));
    let out = dir.path().join("out.npy");
    let run = cellmap(["reduce", s(&l), s(&v), "-o", s(&out)]).run();
    run.no_crash();
    assert!(matches!(run.code, Some(0 | 1)), "{run}");
    assert_no_leftovers(dir.path());
}

/// Issue, unbounded: a `.csv.gz` transcript table with one 2 GiB field is refused (exit 1),
/// within the memory cap (the CSV reader used to grow its buffer to the field).
#[test]
fn csv_gz_with_a_2gib_field_is_bounded() {
    let dir = workdir();
    let l = labels(dir.path());
    let gz =
        Deflate::new().bytes(b"spotX,spotY,gene\n1,2,").repeat(b'A', 2 << 30).bytes(b"\n3,4,B\n").finish();
    let t = put(dir.path(), "t.csv.gz", &gzip(&gz));
    let out = dir.path().join("o");
    cellmap(["assign", s(&l), s(&t), "-o", s(&out)]).run().code(1).one_short_error();
    assert!(!out.exists());
}

/// Issue, unbounded: a PNG of 40000² zeros (1.6 MB on disk, 1.6 GB of pixels, 6.4 GB of
/// labels) is refused (exit 1) within the memory cap, not an allocation abort.
#[test]
fn png_of_40000_squared_zeros_is_bounded() {
    let dir = workdir();
    let mask = put(dir.path(), "big.png", &png_zeros(40_000));
    let out = dir.path().join("labels.npy");
    cellmap(["label", s(&mask), "-o", s(&out)]).run().code(1).one_short_error();
    assert!(!out.exists());
    assert_no_leftovers(dir.path());
}

/// Issue, unbounded: `run demo -o o -j 100000` keeps the worker threads few (it used to try to
/// start 100000 threads) and succeeds quickly.
#[test]
fn run_with_100000_jobs_keeps_threads_few() {
    let dir = workdir();
    let demo = demo(dir.path(), "demo", &[]);
    let out = dir.path().join("o");
    let run = cellmap(["run", s(&demo), "-o", s(&out), "--genes", "0..2", "-j", "100000"]).run();
    run.code(0).within(10.0);
    assert!(run.max_threads <= 64, "{} threads: {run}", run.max_threads);
    assert_no_leftovers(dir.path());
}

// ------------------------------------------------------------------ exit codes

/// Issue, wrong exit codes: non-finite or non-positive numbers (`--scale 0|nan|inf|-1`,
/// `--max-distance nan|-3`, `run --vmin 5 --vmax 1`, `--vmin nan`) are usage errors: exit 2,
/// one message, naming the flag.
#[test]
fn bad_numbers_are_usage_errors_naming_the_flag() {
    let dir = workdir();
    let (l, t) = (labels(dir.path()), spots(dir.path()));
    let demo = demo(dir.path(), "demo", &[]);
    let out = dir.path().join("o");
    for scale in ["0", "nan", "inf", "-1"] {
        let run = cellmap(["assign", s(&l), s(&t), "-o", s(&out), &format!("--scale={scale}")]).run();
        run.code(2).one_short_error().says("--scale");
    }
    for radius in ["nan", "-3"] {
        let run = cellmap(["assign", s(&l), s(&t), "-o", s(&out), &format!("--max-distance={radius}")]).run();
        run.code(2).one_short_error().says("--max-distance");
    }
    for (lo, hi) in [("5", "1"), ("nan", "1"), ("0", "nan")] {
        let range = [format!("--vmin={lo}"), format!("--vmax={hi}")];
        let run = cellmap(["run", s(&demo), "-o", s(&out), &range[0], &range[1]]).run();
        run.code(2).one_short_error();
        assert!(run.stderr.contains("--vmin") || run.stderr.contains("--vmax"), "flag not named: {run}");
    }
    assert!(!out.exists(), "a usage error wrote outputs");
}

/// Issue, wrong exit codes: a CSV with an unterminated quote is bad input (exit 1) naming the
/// line where the quote opens (it used to swallow the rest of the file as one field).
#[test]
fn unterminated_quote_is_bad_input_with_a_line() {
    let dir = workdir();
    let l = labels(dir.path());
    let t = put(dir.path(), "t.csv", b"spotX,spotY,gene\n1,2,A\n3,4,\"B\n5,6,C\n7,8,D\n");
    let out = dir.path().join("o");
    let run = cellmap(["assign", s(&l), s(&t), "-o", s(&out)]).run();
    run.code(1).one_short_error().says("line 3");
    assert!(!out.exists());
}

/// Issue, wrong exit codes: a 0-byte CSV is bad input (exit 1) saying the header is missing.
#[test]
fn empty_csv_is_bad_input_naming_the_header() {
    let dir = workdir();
    let l = labels(dir.path());
    for name in ["t.csv", "t.csv.gz"] {
        let bytes = if name.ends_with(".gz") { gzip_bytes(b"") } else { Vec::new() };
        let t = put(dir.path(), name, &bytes);
        let out = dir.path().join("o");
        let run = cellmap(["assign", s(&l), s(&t), "-o", s(&out)]).run();
        run.code(1).one_short_error();
        assert!(run.stderr.to_lowercase().contains("header"), "{run}");
        assert!(!out.exists());
    }
}

/// Issue, wrong exit codes: a tile whose file name is not UTF-8 (`t\xff.npy`) is processed or
/// reported, never silently skipped.
#[test]
fn non_utf8_tile_names_are_processed_or_reported() {
    use std::os::unix::ffi::OsStrExt;
    let dir = workdir();
    let demo = demo(dir.path(), "demo", &["--tiles", "1"]);
    let mask = std::fs::read(demo.join("demo_0.npy")).unwrap();
    let csr = std::fs::read(demo.join("demo_0_ST_1024.npz")).unwrap();
    std::fs::write(demo.join(std::ffi::OsStr::from_bytes(b"t\xff.npy")), &mask).unwrap();
    std::fs::write(demo.join(std::ffi::OsStr::from_bytes(b"t\xff_ST_1024.npz")), &csr).unwrap();
    let out = dir.path().join("o");
    let run = cellmap(["run", s(&demo), "-o", s(&out), "--genes", "0..2"]).run();
    run.no_crash();
    let tile_dirs = std::fs::read_dir(&out).map(|d| d.flatten().filter(|e| e.path().is_dir()).count());
    let processed = run.code == Some(0) && tile_dirs.unwrap_or(0) == 2;
    let said = format!("{}{}", run.stdout, run.stderr).to_lowercase();
    let reported = run.code == Some(1)
        && (said.contains("t\u{fffd}") || said.contains("utf-8") || said.contains("\\xff"));
    assert!(processed || reported, "the non-UTF-8 tile was skipped silently: {run}");
}

/// Issue, wrong exit codes: an input that is a FIFO with no writer (`mkfifo`) is bad input
/// (exit 1) quickly, not a hang in `open`.
#[test]
fn fifo_input_fails_fast() {
    let dir = workdir();
    let l = labels(dir.path());
    let fifo = dir.path().join("fifo.npy");
    let c = std::ffi::CString::new(s(&fifo)).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let out = dir.path().join("o.npy");
    cellmap(["label", s(&fifo), "-o", s(&out)]).limit(10.0).run().code(1).within(5.0).says("fifo.npy");
    let out_dir = dir.path().join("o");
    cellmap(["assign", s(&l), s(&fifo), "-o", s(&out_dir)])
        .limit(10.0)
        .run()
        .code(1)
        .within(5.0)
        .says("fifo.npy");
}

/// Issue, wrong exit codes: a uint64 label 2⁶⁴−1 is reported as out of range (it used to be
/// called "negative").
#[test]
fn uint64_max_label_is_out_of_range_not_negative() {
    let dir = workdir();
    let mut values = [0u64; 16];
    values[5] = u64::MAX;
    values[6] = 1;
    let body: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let l = put(dir.path(), "Lu64.npy", &npy("<u8", &[4, 4], &body));
    let t = spots(dir.path());
    let out = dir.path().join("o");
    let run = cellmap(["assign", s(&l), s(&t), "-o", s(&out)]).run();
    run.code(1).one_short_error();
    assert!(!run.stderr.contains("negative"), "{run}");
    assert!(run.stderr.contains("range") || run.stderr.contains("18446744073709551615"), "{run}");
}

// ------------------------------------------------------------------ concurrency, kills

/// Issue, concurrency: two `run demo -o same` at once, five rounds: both exit 0, or one exits
/// 1 saying the folder is in use by process N; never "Directory not empty"; every tile folder
/// complete; a foreign file untouched; no temporaries left.
#[test]
fn two_concurrent_runs_into_one_folder() {
    let dir = workdir();
    let demo = demo(dir.path(), "demo", &["--tiles", "3"]);
    let out = dir.path().join("same");
    std::fs::create_dir(&out).unwrap();
    let notes = put(&out, "notes.txt", b"mine\n");
    for round in 0..5 {
        let args = ["run", s(&demo), "-o", s(&out), "--genes", "0..3", "--overwrite"];
        let (a, b) = (cellmap(args).start(), cellmap(args).start());
        let (a, b) = (a.wait(), b.wait());
        for o in [&a, &b] {
            o.no_crash();
            assert!(!o.stderr.contains("not empty"), "round {round}: {o}");
            match o.code {
                Some(0) => {}
                Some(1) => assert!(o.stderr.contains("in use"), "round {round}: {o}"),
                _ => panic!("round {round}: {o}"),
            }
        }
        assert!(a.code == Some(0) || b.code == Some(0), "round {round}: neither run succeeded:\n{a}\n{b}");
        for tile in ["demo_0", "demo_1", "demo_2"] {
            assert!(out.join(tile).join("table.npz").exists(), "round {round}: {tile} missing");
            assert!(out.join(tile).join("maps/sum.png").exists(), "round {round}: {tile} incomplete");
        }
        assert_eq!(std::fs::read(&notes).unwrap(), b"mine\n");
        assert_no_leftovers(&out);
    }
}

/// Issue, concurrency: SIGKILL during `run`, then a rerun: the rerun succeeds, every tile is
/// complete, no temporaries remain, a foreign file is untouched. The input (a demo of
/// `--tiles 6 --size 1024 --genes 400`, killed after ~0.3 s) takes minutes to make with the
/// debug binary the tests run, so the batch is eight copies of one 256×256 tile; the kill
/// comes as soon as the first temporary appears in the output folder (mid-write, whatever the
/// machine's speed), else after 0.3 s.
#[test]
fn sigkill_during_run_then_rerun_succeeds() {
    let dir = workdir();
    let demo = demo(dir.path(), "demo", &["--tiles", "1", "--size", "256", "--genes", "40"]);
    for k in 1..8 {
        std::fs::copy(demo.join("demo_0.npy"), demo.join(format!("demo_{k}.npy"))).unwrap();
        std::fs::copy(demo.join("demo_0_ST_1024.npz"), demo.join(format!("demo_{k}_ST_1024.npz"))).unwrap();
    }
    let out = dir.path().join("o");
    std::fs::create_dir(&out).unwrap();
    let notes = put(&out, "notes.txt", b"mine\n");
    let args = ["run", s(&demo), "-o", s(&out), "--genes", "0..4", "-j", "2"];
    let mut first = cellmap(args).start();
    while leftovers(&out).is_empty() && first.elapsed() < Duration::from_millis(300) {
        std::thread::sleep(Duration::from_millis(1));
    }
    first.kill();
    let killed = first.wait();
    assert!(killed.signal == Some(libc::SIGKILL) || killed.code == Some(0), "{killed}");
    let rerun = cellmap(args).limit(60.0).run();
    rerun.code(0);
    for k in 0..8 {
        assert!(out.join(format!("demo_{k}/table.npz")).exists(), "demo_{k} missing: {rerun}");
    }
    assert_eq!(std::fs::read(&notes).unwrap(), b"mine\n");
    assert_no_leftovers(&out);
}
