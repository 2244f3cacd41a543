//! Social assistance (社会救助, DOMAIN.md §2): 低保, 特困 and 临时救助.

pub mod demo;
pub mod import;
pub mod model;
pub mod notice;
pub mod roster;
pub mod rules;
pub mod standards;
pub mod store;
pub mod temporary;
pub mod upload;
pub mod web;
