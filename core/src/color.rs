//! Normalisation to 0..255, matplotlib colormap LUTs, painting per-cell colours over a label image.
