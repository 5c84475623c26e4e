//! The binary under an address-space limit of 2 GB (`setrlimit(RLIMIT_AS)`):
//! hostile inputs that claim gigabytes end in a clean exit 1 with a
//! one-line message — never an abort — because nothing tries to allocate
//! what they claim. The default budget follows the limit (half of it).

#![cfg(target_os = "linux")]

#[path = "../../io/tests/hostile_inputs/mod.rs"]
mod hostile_inputs;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use hostile_inputs::{
    Member, gzip_repeated, npy_format_csr, npy_header, npy_i32, npy_i64, png_of_zeros, write, zip,
};

/// Runs `cellmap args…` with a 2 GB address space; returns (exit code, stderr).
fn run_limited(args: &[&dyn AsRef<std::ffi::OsStr>]) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cellmap"));
    for arg in args {
        command.arg(arg);
    }
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit { rlim_cur: 2 << 30, rlim_max: 2 << 30 };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = command.output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn labels(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("labels.npy");
    // 2048 cells of 2 pixels (cells of one pixel each would draw the intensity-image warning)
    let ids: Vec<i32> = (0..4096).map(|i| i / 2 + 1).collect();
    write(&path, &cellmap_io::npy::encode(&[64, 64], &ids).unwrap());
    path
}

fn assert_clean_refusal(code: Option<i32>, stderr: &str, expected: &str) {
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(expected), "{stderr}");
}

#[test]
fn hostile_npz_members_are_refused_under_2_gb() {
    let dir = tempfile::tempdir().unwrap();
    let labels = labels(dir.path());
    let out = dir.path().join("out.npy");
    let shape = dir.path().join("shape.npz");
    let n = 500_000_000;
    write(
        &shape,
        &zip(&[
            Member::Stored("format.npy", npy_format_csr()),
            Member::Zeros("shape.npy", npy_header("<i8", &[n]), n * 8),
        ]),
    );
    let (code, stderr) = run_limited(&[&"reduce", &labels, &shape, &"-o", &out]);
    assert_clean_refusal(code, &stderr, "member shape.npy: expected the two numbers of the matrix shape");

    let zeros = dir.path().join("zeros.npz");
    let n = 1_000_000_000;
    write(
        &zeros,
        &zip(&[
            Member::Zeros("indices.npy", npy_header("<i4", &[n]), n * 4),
            Member::Stored("indptr.npy", npy_i32(&[&[0; 4096][..], &[n as i32]].concat())),
            Member::Stored("format.npy", npy_format_csr()),
            Member::Stored("shape.npy", npy_i64(&[4096, 10])),
            Member::Zeros("data.npy", npy_header("<f4", &[n]), n * 4),
        ]),
    );
    let (code, stderr) = run_limited(&[&"reduce", &labels, &zeros, &"-o", &out]);
    assert_clean_refusal(
        code,
        &stderr,
        "with 1,000,000,000 stored values needs 8 GB, over the memory budget of",
    );
    assert!(stderr.contains("(--max-memory)"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn a_huge_csv_field_and_a_huge_png_are_refused_under_2_gb() {
    let dir = tempfile::tempdir().unwrap();
    let labels = labels(dir.path());
    let csv = dir.path().join("t.csv.gz");
    write(&csv, &gzip_repeated(b"x,y,gene\n1,1,", &[b'A'; 1 << 20], 2048, b"\n"));
    let out = dir.path().join("out");
    let (code, stderr) = run_limited(&[&"assign", &labels, &csv, &"-o", &out]);
    assert_clean_refusal(code, &stderr, "t.csv.gz: line 2: a field is longer than 64 KiB");
    assert!(!out.exists());

    let png = dir.path().join("zeros.png");
    write(&png, &png_of_zeros(40_000, 40_000));
    let labels_out = dir.path().join("l.npy");
    let (code, stderr) = run_limited(&[&"label", &png, &"-o", &labels_out]);
    assert_clean_refusal(code, &stderr, "decoding a 40000×40000 PNG needs 1.6 GB, over the memory budget of");
    // An explicit budget wins over the default.
    let (code, stderr) = run_limited(&[&"--max-memory", &"100M", &"label", &png, &"-o", &labels_out]);
    assert_clean_refusal(code, &stderr, "over the memory budget of 105 MB (--max-memory)");
    let (code, stderr) = run_limited(&[&"label", &png, &"-o", &labels_out, &"--max-memory", &"lots"]);
    assert_eq!(code, Some(2), "{stderr}");
}
