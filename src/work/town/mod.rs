//! The town itself: making it (`install`, `demo`), its rigs, its settings (`config`), bringing
//! it up (`up`), and where a command may write a file the user named (`output_path`).

pub mod config;
pub mod demo;
pub mod install;
pub mod output_path;
pub mod rig;
pub mod up;
