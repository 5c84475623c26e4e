//! WebAssembly bindings (work in progress on its own branch).
