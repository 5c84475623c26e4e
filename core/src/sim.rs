//! Deterministic simulator of tissue masks and spatial expression.
