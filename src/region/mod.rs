//! The division tree (行政区划) and data scope: every record in the system hangs off a
//! node of this tree, and every user sees the subtree of their node.

pub mod demo;
pub mod import;
pub mod model;
pub mod rules;
pub mod store;
pub mod tree;
pub mod web;

pub use model::{Level, Region, RegionCode, RegionScope, UrbanRural};
