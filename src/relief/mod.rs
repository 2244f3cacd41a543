//! Help for people living rough (流浪乞讨人员救助, DOMAIN.md §6): street patrols, cases at the
//! assistance station from intake through care and family search to their departure,
//! stays over the normal length flagged, and the quarter's figures.

pub mod demo;
pub mod input;
pub mod intake;
pub mod model;
pub mod store;
pub mod web;
