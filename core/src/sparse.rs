//! Per-cell × gene statistics from CSR matrices; CSR → gene-major transpose.
