//! File formats for cellmap (work in progress on its own branch).
