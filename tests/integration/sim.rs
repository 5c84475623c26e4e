//! Parity tests: sim (being written).
