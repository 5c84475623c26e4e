//! Region properties per label: area, centroid, bounding box.
