//! Parity tests: assign (being written).
