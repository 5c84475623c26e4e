//! The front ends are glue over the pipeline crate (`cellmap`): `cli/`, `wasm/` and `python/`
//! neither depend on `cellmap-core` nor call its kernels, so the pipeline cannot be written twice again unnoticed.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out
}

/// Lines of the sources under `src` that reach the core directly.
fn core_uses(src: &Path) -> Vec<String> {
    let files = sources(src);
    assert!(!files.is_empty(), "{} has no sources", src.display());
    files
        .iter()
        .flat_map(|file| {
            let text = std::fs::read_to_string(file).unwrap();
            text.lines()
                .enumerate()
                .filter(|(_, line)| line.contains("cellmap_core"))
                .map(|(n, line)| format!("{}:{}: {}", file.display(), n + 1, line.trim()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn front_end_sources_call_the_pipeline_not_the_kernels() {
    for front_end in ["cli", "wasm", "python"] {
        let uses = core_uses(&workspace().join(front_end).join("src"));
        assert!(
            uses.is_empty(),
            "{front_end} reaches cellmap-core directly (call the cellmap crate):\n{}",
            uses.join("\n")
        );
    }
}

#[test]
fn front_ends_do_not_depend_on_the_core() {
    for front_end in ["cli", "wasm", "python"] {
        let manifest = std::fs::read_to_string(workspace().join(front_end).join("Cargo.toml")).unwrap();
        let deps: Vec<&str> =
            manifest.lines().filter(|l| l.trim_start().starts_with("cellmap-core")).collect();
        assert!(deps.is_empty(), "{front_end}/Cargo.toml depends on cellmap-core: {deps:?}");
    }
}

#[test]
fn the_scan_finds_a_direct_kernel_call() {
    let dir = std::env::temp_dir().join(format!("cellmap-scan-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("src/cmd")).unwrap();
    std::fs::write(dir.join("src/main.rs"), "use cellmap::Stat;\n").unwrap();
    std::fs::write(dir.join("src/cmd/x.rs"), "fn f() {}\nuse cellmap_core::labeling::label;\n").unwrap();
    let uses = core_uses(&dir.join("src"));
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(uses.len(), 1, "{uses:?}");
    assert!(uses[0].ends_with("x.rs:2: use cellmap_core::labeling::label;"), "{uses:?}");
}
