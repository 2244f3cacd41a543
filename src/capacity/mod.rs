//! Capacity (保障, DOMAIN.md §7): each district's resident population, its civil-affairs
//! staff by post (编制/实有) and the trainings they attended. These are the denominators
//! and inputs of the balance analysis in `report::balance`.

pub mod demo;
pub mod model;
pub mod store;
pub mod web;
