//! Hole filling with `scipy.ndimage.binary_fill_holes` semantics.
