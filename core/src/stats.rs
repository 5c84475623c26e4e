//! Per-cell statistics of a dense per-pixel value image.
