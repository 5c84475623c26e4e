//! Flags and streams: every bad flag is a usage error (exit 2, one message naming the flag), no
//! flag value makes the binary panic, abort or allocate by its size, a closed or broken
//! stdout/stderr is no panic, `run` keeps a tile's failure in its tile, and inputs that are not
//! regular files are refused with one line (exit 1). The real binary, in temporary folders.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn cellmap() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cellmap"));
    // The panic hook must not depend on it: users often have it set.
    command.env("RUST_BACKTRACE", "1");
    command
}

fn run(args: &[&str]) -> Output {
    cellmap().args(args).output().expect("cellmap runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

/// A demo folder of 2 tiles of 32×32 px with 40 genes, made once for every test.
fn demo() -> &'static Path {
    static DEMO: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, dir) = DEMO.get_or_init(|| {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("demo");
        let out = run(&["demo", "-o", s(&dir), "--size", "32", "--genes", "40"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        (root, dir)
    });
    dir
}

fn demo_file(name: &str) -> String {
    s(&demo().join(name)).to_string()
}

/// The exit code is `code`, stderr is one `error: ...` line (plus clap's usage/help lines for
/// a usage error) containing each of `needles`, and nothing panicked.
#[track_caller]
fn assert_fails(out: &Output, code: i32, needles: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}\nstdout: {}", stdout(out));
    assert!(!err.contains("panicked") && !err.contains("stack backtrace"), "{err}");
    assert_eq!(err.matches("error:").count(), 1, "one message: {err}");
    let first = err.lines().next().unwrap_or("");
    assert!(first.starts_with("error: "), "{err}");
    for needle in needles {
        assert!(first.contains(needle), "`{needle}` not in the first line: {err}");
        assert_eq!(err.matches(needle).count(), 1, "`{needle}` said more than once: {err}");
    }
}

#[test]
fn gene_lists_are_parsed_as_ranges_and_checked_against_the_matrix() {
    let out_dir = tempfile::tempdir().unwrap();
    let o = s(out_dir.path());
    // Was a panic (capacity overflow, exit 101).
    let out = run(&["run", s(demo()), "-o", o, "--genes=0..=18446744073709551615"]);
    assert_fails(&out, 2, &["--genes", "gene index 18446744073709551615 is too large"]);
    for bad in ["5..5", "3..a", "-1", "1,,2", ""] {
        let out = run(&["run", s(demo()), "-o", o, &format!("--genes={bad}")]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
        assert!(stderr(&out).starts_with("error: invalid value"), "{bad}: {}", stderr(&out));
    }
    let long = "1,".repeat(300) + "1";
    assert_fails(&run(&["run", s(demo()), "-o", o, "--genes", &long]), 2, &["above the limit of 256"]);
    // Were an abort allocating 34 GB (exit 134) and 769 MB of gene list: now two numbers, and
    // each tile says which gene is missing.
    for huge in ["0..4294967296", "0..100000000", "0..=18446744073709551614"] {
        let started = Instant::now();
        let out = run(&["run", s(demo()), "-o", o, "--genes", huge]);
        assert_eq!(out.status.code(), Some(1), "{huge}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(!err.contains("panicked") && !err.contains("memory allocation"), "{err}");
        assert_eq!(err.matches("gene 40 asked for, but the matrix has 40 genes (0..40)").count(), 2, "{err}");
        assert!(stdout(&out).contains("2 tiles: 0 ok, 2 failed"), "{}", stdout(&out));
        assert!(started.elapsed() < Duration::from_secs(60), "{huge}: {:?}", started.elapsed());
    }
    let out = run(&["run", s(demo()), "-o", o, "--genes", "0..3,39"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let maps = std::fs::read_dir(out_dir.path().join("demo_0/maps")).unwrap().count();
    assert_eq!(maps, 5, "4 genes and the sum");
}

#[test]
fn number_flags_out_of_their_domain_are_usage_errors() {
    let out_dir = tempfile::tempdir().unwrap();
    let o = out_dir.path().join("o");
    let (labels, spots) = (demo_file("demo_0.npy"), demo_file("demo_0_transcripts.csv.gz"));
    let assign = |flag: &str, value: &str| run(&["assign", &labels, &spots, "-o", s(&o), flag, value]);
    // Were exit 1 with "<the CSV>: invalid argument: ...: invalid argument: ..." (blaming the
    // table, said twice).
    for value in ["0", "nan", "inf", "-1", "x"] {
        assert_fails(&assign("--scale", value), 2, &["--scale", "expected a finite number above 0"]);
    }
    for value in ["nan", "-3", "-inf"] {
        assert_fails(&assign("--max-distance", value), 2, &["--max-distance", "expected a number >= 0"]);
    }
    assert!(!o.exists(), "nothing written on a usage error");
    assert_eq!(assign("--max-distance", "inf").status.code(), Some(0));

    // Were exit 1 with every tile FAIL.
    let out = run(&["run", s(demo()), "-o", s(&o), "--vmin", "5", "--vmax", "1"]);
    assert_fails(&out, 2, &["--vmin 5 is above --vmax 1"]);
    assert!(stderr(&out).contains("Usage: cellmap run"), "{}", stderr(&out));
    for (vmin, vmax) in [("nan", "1"), ("0", "inf"), ("-inf", "0")] {
        let out = run(&["run", s(demo()), "-o", s(&o), "--vmin", vmin, "--vmax", vmax]);
        assert_fails(&out, 2, &["expected a finite number"]);
    }
    assert_fails(&run(&["run", s(demo()), "-o", s(&o), "-j", "0"]), 2, &["--jobs"]);
    let out = run(&["run", s(demo()), "-o", s(&o), "--vmin", "-1", "--vmax", "-1", "--genes", "3"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn jobs_are_capped_by_the_cores() {
    let out_dir = tempfile::tempdir().unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut child = cellmap()
        .args(["run", s(demo()), "-o", s(out_dir.path()), "-j", "100000", "--genes", "0..40", "--csv"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Was one thread per -j (2,050 after 15 s); sample the thread count while it runs.
    let mut most = 0;
    #[cfg(target_os = "linux")]
    while child.try_wait().unwrap().is_none() {
        let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
        let threads =
            status.lines().find_map(|l| l.strip_prefix("Threads:")).map(|t| t.trim().parse().unwrap());
        most = most.max(threads.unwrap_or(0));
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(child.wait().unwrap().code(), Some(0));
    // The workers, the main thread, and a tile's matrix reader.
    assert!(most <= 2 * cores + 2, "{most} threads for {cores} cores");
}

/// A pipe whose read end is closed: writing to it fails with EPIPE.
#[cfg(unix)]
fn broken_pipe() -> Stdio {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe() writes.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: fds[0] is the read end just created and owned by nobody else.
    unsafe { libc::close(fds[0]) };
    // SAFETY: fds[1] is the write end just created; the Stdio takes ownership.
    unsafe { Stdio::from_raw_fd(fds[1]) }
}

#[cfg(unix)]
#[test]
fn a_broken_or_closed_stderr_or_stdout_is_no_panic() {
    use std::os::unix::process::CommandExt;
    let out_dir = tempfile::tempdir().unwrap();
    let o = s(out_dir.path());
    let mask = demo_file("demo_0.npy");
    let missing = out_dir.path().join("missing.npy");
    // (arguments, the exit code) with a broken stderr: each was a panic (exit 101).
    let failing: [(Vec<&str>, i32); 4] = [
        (vec!["label", s(&missing), "-o", "x.npy"], 1),
        (vec!["run", s(demo()), "-o", o, "--genes", "45"], 1),
        (vec!["run"], 2),
        (vec!["assign", &mask, &mask, "-o", o, "--scale", "0"], 2),
    ];
    for (args, code) in &failing {
        for stdout in [true, false] {
            let mut command = cellmap();
            command.args(args).stderr(broken_pipe());
            command.stdout(if stdout { broken_pipe() } else { Stdio::null() });
            let status = command.status().unwrap();
            assert_eq!(status.code(), Some(*code), "{args:?} (stdout broken too: {stdout})");
        }
        // fd 2 closed outright (`2>&-`).
        let mut command = cellmap();
        command.args(args).stdout(Stdio::null());
        // SAFETY: close() is async-signal-safe.
        unsafe {
            command.pre_exec(|| (libc::close(2) == 0).then_some(()).ok_or_else(std::io::Error::last_os_error))
        };
        assert_eq!(command.status().unwrap().code(), Some(*code), "{args:?} with 2>&-");
    }
    // Results and help to a broken stdout (`| head` that has exited).
    let labels = out_dir.path().join("l.npy");
    for (args, code) in [
        (vec!["label", &mask, "-o", s(&labels), "--overwrite"], 0),
        (vec!["label", &mask, "-o", s(&labels), "--json", "--overwrite"], 0),
        (vec!["run", s(demo()), "-o", o, "--genes", "1", "--overwrite"], 0),
        (vec!["--help"], 0),
        (vec!["run", "--help"], 0),
        (vec!["--version"], 0),
    ] {
        let out = cellmap().args(&args).stdout(broken_pipe()).stderr(Stdio::piped()).output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn a_failing_tile_stays_in_its_tile() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("tiles");
    std::fs::create_dir(&dir).unwrap();
    for name in ["demo_0.npy", "demo_0_ST_1024.npz", "demo_1.npy"] {
        std::fs::copy(demo().join(name), dir.join(name)).unwrap();
    }
    // A 1 KB matrix claiming (4096, 2**62): an error of its tile, never the whole batch.
    std::fs::copy(demo().join("demo_1.npy"), dir.join("huge.npy")).unwrap();
    let mut bytes = std::io::Cursor::new(Vec::new());
    let mut npz = cellmap_io::npz::NpzWriter::new(&mut bytes, "huge_ST_1024.npz");
    npz.add("data", &[0], &[0f32; 0]).unwrap();
    npz.add("indices", &[0], &[0i32; 0]).unwrap();
    npz.add("indptr", &[1025], &[0i32; 1025]).unwrap();
    npz.add_bytes_string("format", b"csr").unwrap();
    npz.add("shape", &[2], &[1024i64, 1 << 62]).unwrap();
    npz.finish().unwrap();
    std::fs::write(dir.join("huge_ST_1024.npz"), bytes.into_inner()).unwrap();
    // demo_1 has no matrix; a garbage one for a third tile.
    std::fs::write(dir.join("junk.npy"), b"not a mask").unwrap();
    std::fs::write(dir.join("junk_ST_1024.npz"), b"PK\x03\x04 not a zip").unwrap();
    let out_dir = root.path().join("out");
    for json in [false, true] {
        let mut args = vec!["run", s(&dir), "-o", s(&out_dir), "--genes", "1", "--overwrite"];
        if json {
            args.push("--json");
        }
        let out = run(&args);
        let (text, err) = (stdout(&out), stderr(&out));
        assert_eq!(out.status.code(), Some(1), "{text}\n{err}");
        assert!(!err.contains("panicked") && !err.contains("memory allocation"), "{err}");
        if json {
            let summary: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!((summary["ok"].as_u64(), summary["failed"].as_u64()), (Some(1), Some(3)), "{text}");
        } else {
            assert!(text.contains("ok    demo_0"), "{text}");
            assert!(text.contains("FAIL  demo_1: ") && text.contains("no expression file"), "{text}");
            assert!(text.contains("FAIL  huge: ") && text.contains("FAIL  junk: "), "{text}");
            assert!(text.ends_with(&format!(
                "4 tiles: 1 ok, 3 failed, {}",
                &text[text.rfind("failed, ").unwrap() + 8..]
            )));
            for tile in ["demo_1", "huge", "junk"] {
                assert_eq!(err.matches(&format!("error: tile {tile}: ")).count(), 1, "{err}");
            }
            assert!(
                err.trim_end().ends_with("3 of 4 tiles failed (see above); their outputs were not written"),
                "{err}"
            );
        }
        assert!(out_dir.join("demo_0/maps/gene_0001.png").is_file());
        assert!(!out_dir.join("huge").exists() && !out_dir.join("junk").exists());
    }
}

#[cfg(unix)]
#[test]
fn tile_names_that_are_not_utf8_are_processed() {
    use std::os::unix::ffi::OsStringExt;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("tiles");
    std::fs::create_dir(&dir).unwrap();
    let name = |suffix: &str| {
        let mut bytes = b"t\xff".to_vec();
        bytes.extend_from_slice(suffix.as_bytes());
        std::ffi::OsString::from_vec(bytes)
    };
    std::fs::copy(demo().join("demo_0.npy"), dir.join("demo_0.npy")).unwrap();
    std::fs::copy(demo().join("demo_0_ST_1024.npz"), dir.join("demo_0_ST_1024.npz")).unwrap();
    std::fs::copy(demo().join("demo_1.npy"), dir.join(name(".npy"))).unwrap();
    std::fs::copy(demo().join("demo_1_ST_1024.npz"), dir.join(name("_ST_1024.npz"))).unwrap();
    let out_dir = root.path().join("out");
    // Was "1 tiles: 1 ok" (the second tile skipped without a word).
    let out = run(&["run", s(&dir), "-o", s(&out_dir), "--genes", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("2 tiles: 2 ok, 0 failed"), "{}", stdout(&out));
    assert!(stdout(&out).contains("ok    t\u{fffd}: "), "{}", stdout(&out));
    assert!(out_dir.join(name("")).join("labels.npy").is_file());
}

#[cfg(unix)]
#[test]
fn inputs_that_are_not_regular_files_are_refused_before_opening() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("x.npy");
    let not_regular = "not a regular file (a pipe?); save it to a file first";
    // `cellmap label <(cat good.npy)`: was a wrong "missing magic" (the pipe read twice).
    let good = std::fs::read(demo().join("demo_0.npy")).unwrap();
    let mut child = cellmap()
        .args(["label", "/dev/stdin", "-o", s(&out)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &good));
    let piped = child.wait_with_output().unwrap();
    let _ = writer.join();
    assert_fails(&piped, 1, &["/dev/stdin: ", not_regular]);
    // A FIFO with no writer: was a hang.
    let fifo = root.path().join("fifo.npy");
    let c_path = std::ffi::CString::new(s(&fifo)).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let started = Instant::now();
    assert_fails(&run(&["label", s(&fifo), "-o", s(&out)]), 1, &[&format!("{}: {not_regular}", s(&fifo))]);
    assert!(started.elapsed() < Duration::from_secs(30));
    let mask = demo_file("demo_0.npy");
    let o = s(root.path());
    for args in [
        vec!["label", "/dev/null", "-o", s(&out)],
        vec!["reduce", &mask, s(&fifo), "-o", s(&out)],
        vec!["reduce", &mask, &mask, "-o", s(&out), "--within", "/dev/zero"],
        vec!["assign", &mask, s(&fifo), "-o", o],
    ] {
        assert_fails(&run(&args), 1, &[not_regular]);
    }
    // Directories.
    let demo_dir = s(demo());
    assert_fails(&run(&["label", demo_dir, "-o", s(&out)]), 1, &[&format!("{demo_dir}: is a directory")]);
    assert_fails(&run(&["assign", &mask, demo_dir, "-o", o]), 1, &["is a directory"]);
    assert_fails(&run(&["reduce", demo_dir, &mask, "-o", s(&out)]), 1, &["is a directory"]);
    assert!(!out.exists());
    // In a tile folder, a FIFO posing as a matrix fails its tile only.
    let tiles = root.path().join("tiles");
    std::fs::create_dir(&tiles).unwrap();
    std::fs::copy(demo().join("demo_0.npy"), tiles.join("a.npy")).unwrap();
    std::fs::copy(demo().join("demo_0_ST_1024.npz"), tiles.join("a_ST_1024.npz")).unwrap();
    std::fs::copy(demo().join("demo_0.npy"), tiles.join("b.npy")).unwrap();
    std::os::unix::fs::symlink(&fifo, tiles.join("b_ST_1024.npz")).unwrap();
    let out = run(&["run", s(&tiles), "-o", s(&root.path().join("res")), "--genes", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("FAIL  b: ") && stdout(&out).contains(not_regular), "{}", stdout(&out));
    assert!(stdout(&out).contains("2 tiles: 1 ok, 1 failed"), "{}", stdout(&out));
}

#[test]
fn messages_say_each_thing_once() {
    let root = tempfile::tempdir().unwrap();
    let mask = demo_file("demo_0.npy");
    // Was "cannot rename into place: demo: Is a directory (os error 21): Is a directory (os error 21)".
    let out = run(&["label", &mask, "-o", s(root.path())]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(err.matches("folder").count(), 2, "said once: {err}"); // "is a folder ... replaces a folder"
    assert!(!err.contains("os error"), "{err}");
    let missing = root.path().join("missing.npy");
    let out = run(&["label", s(&missing), "-o", "x.npy"]);
    assert_fails(&out, 1, &[&format!("{}: ", s(&missing)), "(os error 2)"]);
}
