//! Social assistance (社会救助, DOMAIN.md §2): 低保, 特困 and 临时救助.

pub mod application;
pub mod apply_web;
pub mod case_web;
pub mod cases;
pub mod demo;
pub mod demo_cases;
pub mod import;
pub mod lists_web;
pub mod model;
pub mod notice;
pub mod notice_web;
pub mod policy_web;
pub mod registry_members;
pub mod registry_web;
pub mod review;
pub mod roster;
pub mod rules;
pub mod standards;
pub mod store;
pub mod temporary;
pub mod temporary_web;
pub mod transitions;
pub mod upload;
pub mod web;
pub mod workbench;
pub mod workflow;
