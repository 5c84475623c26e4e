//! Embeds the viewer (`web/`, with `web/pkg` when `scripts/build-wasm.sh` has built it) into the
//! binary, for `cellmap publish`: `$OUT_DIR/viewer.rs` lists every file as
//! `(relative path, include_bytes!(absolute path))`. Dotfiles and `README.md` are left out.
//! Cargo reruns this when anything under `web/` changes, so building after build-wasm.sh embeds
//! the wasm package too.

use std::path::{Path, PathBuf};

fn files(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if name.starts_with('.') || name == "README.md" {
            continue;
        }
        if path.is_dir() {
            files(root, &path, out);
        } else if path.is_file() {
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let parts: Vec<String> =
                relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            out.push((parts.join("/"), path));
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let web = manifest.join("..").join("web");
    println!("cargo:rerun-if-changed={}", web.display());
    let mut found = Vec::new();
    files(&web, &web, &mut found);
    let mut code = String::from(
        "/// The viewer's files, `(path inside the site, bytes)`, embedded at build time.\n\
         pub const VIEWER_FILES: &[(&str, &[u8])] = &[\n",
    );
    for (relative, path) in &found {
        code += &format!("    ({relative:?}, include_bytes!({:?})),\n", path.display().to_string());
    }
    code += "];\n";
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("viewer.rs");
    if let Err(e) = std::fs::write(&out, code) {
        panic!("cannot write {}: {e}", out.display());
    }
}
