//! The output policy of every writing subcommand, on the real binary: no data loss or overwrite
//! of files cellmap did not write in this run, no leaked temporaries, safe concurrent runs.
//! (Each test reproduces a report of the hardening issue.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_cellmap");
/// The start of every temporary name (`cellmap_io::fs::TEMP_PREFIX`).
const TEMP: &str = ".cellmap-tmp.";

fn cellmap(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("cellmap runs")
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[track_caller]
fn assert_code(out: &Output, code: i32) {
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), stderr(out));
    assert_eq!(out.status.code(), Some(code), "stdout: {stdout}\nstderr: {stderr}");
}

/// Every entry under `dir` (files and folders), as sorted relative paths.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            if p.is_dir() && !p.is_symlink() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Leftovers under `dir`: temporary names and lock files.
fn leftovers(dir: &Path) -> Vec<String> {
    tree(dir)
        .into_iter()
        .filter(|p| {
            let name = p.rsplit('/').next().unwrap_or(p);
            name.starts_with(TEMP) || name == ".cellmap.lock"
        })
        .collect()
}

/// A small demo folder with `tiles` tiles of `size`² pixels, and the labels of its first tile.
fn demo(root: &Path, tiles: usize, size: usize) -> (PathBuf, PathBuf) {
    let demo = root.join("demo");
    let (tiles, size) = (tiles.to_string(), size.to_string());
    assert_code(&cellmap(&["demo", "-o", s(&demo), "--tiles", &tiles, "--size", &size, "--genes", "8"]), 0);
    let labels = root.join("labels.npy");
    assert_code(&cellmap(&["label", s(&demo.join("demo_0.npy")), "-o", s(&labels)]), 0);
    (demo, labels)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn assign_into_a_folder_with_other_files_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let (demo, labels) = demo(dir.path(), 1, 48);
    let transcripts = demo.join("demo_0_transcripts.csv.gz");
    let out = dir.path().join("d/k");
    std::fs::create_dir_all(out.join("sub")).unwrap();
    std::fs::write(out.join("notes.txt"), b"x\n").unwrap();
    std::fs::write(out.join("sub/f"), b"y\n").unwrap();
    let assign = |extra: &[&str]| {
        let mut args = vec!["assign", s(&labels), s(&transcripts), "-o", s(&out)];
        args.extend(extra);
        cellmap(&args)
    };
    assert_code(&assign(&[]), 0);
    let ours = ["assignments.csv", "cells.csv", "counts.npz", "genes.txt", "notes.txt", "sub", "sub/f"];
    assert_eq!(tree(&out), ours);
    assert_eq!((read(&out.join("notes.txt")), read(&out.join("sub/f"))), (b"x\n".to_vec(), b"y\n".to_vec()));

    // Again: refused, naming the files; nothing changes.
    std::fs::write(out.join("counts.npz"), b"edited").unwrap();
    let again = assign(&[]);
    assert_code(&again, 1);
    for name in ["assignments.csv", "cells.csv", "counts.npz", "genes.txt", "--overwrite"] {
        assert!(stderr(&again).contains(name), "{}", stderr(&again));
    }
    assert_eq!(read(&out.join("counts.npz")), b"edited");

    // --overwrite replaces cellmap's names only.
    assert_code(&assign(&["--overwrite"]), 0);
    assert_ne!(read(&out.join("counts.npz")), b"edited");
    assert_eq!(tree(&out), ours);
    assert_eq!((read(&out.join("notes.txt")), read(&out.join("sub/f"))), (b"x\n".to_vec(), b"y\n".to_vec()));
}

#[test]
fn an_output_that_is_an_input_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let (demo, labels) = demo(dir.path(), 1, 48);
    let (mask, csr) = (demo.join("demo_0.npy"), demo.join("demo_0_ST_1024.npz"));
    let transcripts = demo.join("demo_0_transcripts.csv.gz");
    let before = |p: &Path| (p.to_path_buf(), read(p));
    let inputs = [before(&mask), before(&labels), before(&csr), before(&transcripts)];
    let entries = tree(dir.path());
    #[cfg(unix)]
    std::os::unix::fs::symlink(&mask, dir.path().join("link.npy")).unwrap();
    let dotted = format!("{}/../demo/demo_0.npy", s(&demo));
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["assign", s(&labels), s(&transcripts), "-o", s(&labels)], "is also an input"),
        (vec!["label", s(&mask), "-o", s(&mask)], "is also an input"),
        (vec!["label", s(&mask), "-o", &dotted, "--overwrite"], "is also an input"),
        (vec!["reduce", s(&labels), s(&csr), "-o", s(&labels), "--overwrite"], "is also an input"),
        (vec!["reduce", s(&labels), s(&csr), "-o", s(&csr)], "is also an input"),
        (vec!["run", s(&demo), "-o", s(&demo)], "is also an input"),
        (vec!["label", s(&mask), "-o", "x.npy", "--filled", "./x.npy"], "two outputs with the same path"),
    ];
    for (args, message) in &cases {
        let out = Command::new(BIN).args(args).current_dir(dir.path()).output().unwrap();
        assert_code(&out, 2);
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
    #[cfg(unix)]
    {
        let link = dir.path().join("link.npy");
        let out = cellmap(&["label", s(&link), "-o", s(&mask), "--overwrite"]);
        assert_code(&out, 2);
        assert!(stderr(&out).contains("is also an input"), "{}", stderr(&out));
        std::fs::remove_file(link).unwrap();
    }
    for (path, bytes) in &inputs {
        assert_eq!(&read(path), bytes, "{} changed", path.display());
    }
    assert_eq!(tree(dir.path()), entries, "something was created or removed");
}

#[test]
fn existing_files_are_refused_unless_overwrite_replaces_them() {
    let dir = tempfile::tempdir().unwrap();
    let (demo, labels) = demo(dir.path(), 1, 48);
    let (mask, csr) = (demo.join("demo_0.npy"), demo.join("demo_0_ST_1024.npz"));
    let (x, filled, means) =
        (dir.path().join("x.npy"), dir.path().join("filled.npy"), dir.path().join("m.npy"));
    for path in [&x, &means] {
        std::fs::write(path, b"the user's").unwrap();
    }
    // label: the taken name is refused, and the other output is not written either.
    let out = cellmap(&["label", s(&mask), "-o", s(&x), "--filled", s(&filled)]);
    assert_code(&out, 1);
    assert!(stderr(&out).contains("x.npy") && stderr(&out).contains("--overwrite"), "{}", stderr(&out));
    assert_eq!(read(&x), b"the user's");
    assert!(!filled.exists());
    assert_code(&cellmap(&["label", s(&mask), "-o", s(&x), "--filled", s(&filled), "--overwrite"]), 0);
    assert_eq!(read(&x), read(&labels));
    assert!(filled.exists());
    // reduce
    let out = cellmap(&["reduce", s(&labels), s(&csr), "-o", s(&means)]);
    assert_code(&out, 1);
    assert!(stderr(&out).contains("m.npy"), "{}", stderr(&out));
    assert_eq!(read(&means), b"the user's");
    assert_code(&cellmap(&["reduce", s(&labels), s(&csr), "-o", s(&means), "--overwrite"]), 0);
    assert_ne!(read(&means), b"the user's");
    // demo: into a folder with another file and one of its names taken.
    let folder = dir.path().join("demo2");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("notes.txt"), b"mine").unwrap();
    std::fs::write(folder.join("demo_0_genes.txt"), b"mine").unwrap();
    let out = cellmap(&["demo", "-o", s(&folder), "--tiles", "1", "--size", "32", "--genes", "4"]);
    assert_code(&out, 1);
    assert!(stderr(&out).contains("demo_0_genes.txt"), "{}", stderr(&out));
    assert_eq!(tree(&folder), ["demo_0_genes.txt", "notes.txt"]);
    let out =
        cellmap(&["demo", "-o", s(&folder), "--tiles", "1", "--size", "32", "--genes", "4", "--overwrite"]);
    assert_code(&out, 0);
    assert_ne!(read(&folder.join("demo_0_genes.txt")), b"mine");
    assert_eq!(read(&folder.join("notes.txt")), b"mine");
    let names = ["demo_0.npy", "demo_0_ST_1024.npz", "demo_0_genes.txt", "demo_0_transcripts.csv.gz"];
    assert_eq!(tree(&folder), [&names[..], &["demo_0_truth.csv", "notes.txt"]].concat());
    // A folder where cellmap writes a file is never replaced, even with --overwrite.
    std::fs::create_dir(dir.path().join("dir.npy")).unwrap();
    std::fs::write(dir.path().join("dir.npy/keep"), b"k").unwrap();
    let out = cellmap(&["label", s(&mask), "-o", s(&dir.path().join("dir.npy")), "--overwrite"]);
    assert_code(&out, 1);
    assert!(stderr(&out).contains("is a folder"), "{}", stderr(&out));
    assert_eq!(read(&dir.path().join("dir.npy/keep")), b"k");
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

#[test]
fn rerunning_run_keeps_the_users_files_in_tile_folders() {
    let dir = tempfile::tempdir().unwrap();
    let (demo, _) = demo(dir.path(), 2, 48);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("README"), b"results of ...").unwrap();
    let run = |genes: &str, extra: &[&str]| {
        let mut args = vec!["run", s(&demo), "-o", s(&out), "--genes", genes];
        args.extend(extra);
        cellmap(&args)
    };
    assert_code(&run("0..2", &[]), 0);
    std::fs::write(out.join("demo_0/mine.txt"), b"notes").unwrap();
    std::fs::write(out.join("demo_0/maps/mine.png"), b"drawing").unwrap();
    let listing = tree(&out);
    let labels = read(&out.join("demo_0/labels.npy"));

    let again = run("0..2", &[]);
    assert_code(&again, 1);
    assert!(stderr(&again).contains("demo_0/labels.npy"), "{}", stderr(&again));
    assert_eq!(tree(&out), listing);

    // --overwrite (and other genes: an earlier run's other maps stay too).
    assert_code(&run("1..4", &["--overwrite"]), 0);
    assert_eq!(read(&out.join("demo_0/mine.txt")), b"notes");
    assert_eq!(read(&out.join("demo_0/maps/mine.png")), b"drawing");
    assert_eq!(read(&out.join("README")), b"results of ...");
    assert_eq!(read(&out.join("demo_0/labels.npy")), labels);
    let mut want = listing;
    want.extend(["demo_0/maps/gene_0002.png".into(), "demo_0/maps/gene_0003.png".into()]);
    want.extend(["demo_1/maps/gene_0002.png".into(), "demo_1/maps/gene_0003.png".into()]);
    want.sort();
    assert_eq!(tree(&out), want);
}

#[test]
fn concurrent_runs_into_one_folder_never_collide_or_leak() {
    let dir = tempfile::tempdir().unwrap();
    let (demo, _) = demo(dir.path(), 2, 64);
    let out = dir.path().join("same");
    for round in 0..4 {
        let start = || {
            Command::new(BIN)
                .args(["run", s(&demo), "-o", s(&out), "--genes", "0..3", "--overwrite"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (start(), start());
        let outcomes = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
        let mut ok = 0;
        for outcome in &outcomes {
            if outcome.status.success() {
                ok += 1;
            } else {
                assert_code(outcome, 1);
                let message = stderr(outcome);
                let pid = message.split("in use by process ").nth(1).and_then(|rest| {
                    rest.split(|c: char| !c.is_ascii_digit()).next().and_then(|n| n.parse::<u32>().ok())
                });
                assert!(pid.is_some(), "round {round}: {message}");
            }
        }
        assert!(ok >= 1, "round {round}: neither run succeeded");
        assert_eq!(leftovers(dir.path()), Vec::<String>::new(), "round {round}");
    }
    assert!(tree(&out).contains(&"demo_1/maps/sum.png".to_string()));
}

/// Starts `args`, waits until a temporary name appears under `watch` (so the kill lands while
/// outputs are being written) and `linger` more, then kills it with SIGKILL.
fn kill_while_writing(args: &[&str], watch: &Path, linger: Duration) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(120) {
        if watch.exists() && tree(watch).iter().any(|p| p.contains(TEMP)) {
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "{args:?} finished before it could be killed");
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(linger);
    child.kill().unwrap(); // SIGKILL on unix
    child.wait().unwrap();
}

#[cfg(unix)]
#[test]
fn a_killed_run_leaves_nothing_after_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let (demo, _) = demo(dir.path(), 3, 256);
    let out = dir.path().join("out");
    let run = ["run", s(&demo), "-o", s(&out), "--genes", "0..8", "-j", "2"];
    // ~0.3 s into the writing in a debug build; at once in a faster release build.
    let linger = Duration::from_millis(if cfg!(debug_assertions) { 300 } else { 0 });
    kill_while_writing(&run, &out, linger);
    assert!(!leftovers(&out).is_empty(), "the kill left no temporary: the test did not test anything");
    let mut rerun = run.to_vec();
    rerun.push("--overwrite"); // tiles the killed run finished are its outputs now
    assert_code(&cellmap(&rerun), 0);
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
    assert_eq!(tree(&out).iter().filter(|p| p.ends_with("sum.png")).count(), 3);

    // label: killed while its output is written, then the next label into the folder cleans up.
    let labels = dir.path().join("l").join("labels.npy");
    std::fs::create_dir(dir.path().join("l")).unwrap();
    // 5000² pixels: a 100 MB labels.npy, written long enough to be caught at it.
    let big = dir.path().join("big.npy");
    write_stripes(&big, 5000);
    kill_while_writing(&["label", s(&big), "-o", s(&labels)], &dir.path().join("l"), Duration::ZERO);
    assert_code(&cellmap(&["label", s(&big), "-o", s(&labels), "--overwrite"]), 0);
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

/// A `side`² uint8 mask of many small cells (a .npy written by hand).
fn write_stripes(path: &Path, side: usize) {
    let header = format!("{{'descr': '|u1', 'fortran_order': False, 'shape': ({side}, {side}), }}");
    let pad = 64 - (10 + header.len() + 1) % 64;
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend(u16::try_from(header.len() + pad + 1).unwrap().to_le_bytes());
    bytes.extend(header.bytes().chain(std::iter::repeat_n(b' ', pad)).chain([b'\n']));
    for row in 0..side {
        bytes.extend((0..side).map(|col| if (row / 3) % 2 == 1 && (col / 3) % 2 == 1 { 255 } else { 0 }));
    }
    std::fs::write(path, bytes).unwrap();
}
