//! Transcript → cell assignment, nearest-cell within a radius, counts per cell and gene.
