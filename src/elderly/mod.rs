//! Elderly care (养老服务, DOMAIN.md §4): facilities and their beds over time, yearly
//! construction targets, inspections with hazards and rectification, trainings, older
//! people with visits (探访关爱), and the figures the report and the balance analysis take.

pub mod balance;
pub mod demo;
pub mod facilities_web;
pub mod facility_web;
pub mod inspection_store;
pub mod inspections_web;
mod ledger_places;
mod ledger_records;
pub mod ledgers;
pub mod model;
pub mod people;
pub mod people_changes;
pub mod people_demo;
pub mod people_store;
pub mod people_view;
pub mod people_visits;
pub mod people_web;
pub mod store;
