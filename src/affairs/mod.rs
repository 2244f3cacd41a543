//! Social affairs (社会事务, DOMAIN.md §6).

pub mod burial;
pub mod burial_store;
pub mod burials_web;
pub mod cemeteries_web;
pub mod counselling;
pub mod cremations_web;
pub mod divorce_store;
pub mod divorce_web;
pub mod funeral;
pub mod funeral_demo;
pub mod funeral_input;
pub mod funeral_ledgers;
pub mod funeral_store;
pub mod marriage;
pub mod marriage_demo;
pub mod marriage_ledger;
pub mod marriage_store;
pub mod marriage_web;
pub mod violation;
pub mod violation_store;
pub mod violations_web;
