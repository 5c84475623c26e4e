//! Shared helpers: fixture loading for the integration tests (`npy`), input
//! loading and the clock for the criterion benches (`bench`).
pub mod bench;
pub mod npy;
