//! Parity tests: labeling (being written).
