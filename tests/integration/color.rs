//! Parity tests: color (being written).
