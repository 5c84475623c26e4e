//! One module per subcommand.

pub mod assign;
pub mod bench;
pub mod cluster;
pub mod demo;
pub mod evaluate;
pub mod heatmap;
pub mod label;
pub mod publish;
pub mod rasterize;
pub mod reduce;
pub mod run;
pub mod segeval;
