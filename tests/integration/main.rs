//! Cross-crate integration tests, one module per topic. Fixtures under
//! `tests/fixtures/<topic>/` are written by `tests/generators/<topic>.py`
//! with real numpy/scipy/matplotlib.
mod assign;
mod cluster;
mod color;
mod evaluate;
mod front_ends;
mod graph;
mod heatmap;
mod labeling;
mod polygon;
mod regions;
mod segeval;
mod sim;
mod sparse;
mod stats;
