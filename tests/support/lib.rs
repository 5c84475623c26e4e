//! Shared helpers for the integration tests: fixture loading.
pub mod npy;
