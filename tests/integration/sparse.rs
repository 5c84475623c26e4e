//! Parity tests: sparse (being written).
