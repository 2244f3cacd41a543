//! Data comparison (大数据比对, DOMAIN.md §3): departments' data sets loaded as versions,
//! everyone in assistance matched against them (exact on the ID number, then a fuzzy pass
//! for rows whose ID failed), the rules per source, and the findings caseworkers verify.

pub mod dataset;
pub mod demo;
pub mod findings;
pub mod findings_web;
pub mod idkey;
pub mod internal;
pub mod names;
pub mod report;
pub mod rules;
pub mod run;
pub mod service;
pub mod sources;
pub mod web;
