//! Parity tests: stats (being written).
