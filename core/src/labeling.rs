//! Connected-component labeling with `scipy.ndimage.label` numbering.
