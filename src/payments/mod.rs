//! Payments and fund supervision (DOMAIN.md §2): the monthly payroll (发放名册) per
//! month, program and district, its maker–checker approval, the bank file, the bank's
//! return and reconciliation to the fen. Rules are pure in `rules`; SQL in `store`;
//! pages and API in `web`; bank files in `bank`.

pub mod anomalies;
pub mod anomalies_web;
pub mod bank;
pub mod corrections;
pub mod demo;
pub mod rules;
pub mod service;
pub mod store;
pub mod web;

pub use rules::Month;
