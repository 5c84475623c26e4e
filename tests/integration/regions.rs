//! Parity tests: regions (being written).
