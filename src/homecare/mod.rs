//! The home-care service platform (互联网+养老, DOMAIN.md §4): providers with their
//! service areas, the service catalogue with prices, orders from request through
//! dispatch and service to rating, government-paid service against each eligible older
//! person's monthly allowance, provider performance and meal counts (老年助餐).
//! Rules in `model` (and the allowance rule in `crate::elderly::people`), SQL in
//! `store`, the orders' pages in `web`, the catalogue and providers in `admin_web`,
//! the figures in `performance_web`.

pub mod admin_web;
pub mod allowance;
pub mod catalogue_web;
pub mod demo;
pub mod model;
pub mod order_store;
pub mod performance_web;
pub mod steps_web;
pub mod store;
pub mod web;

use crate::money::Fen;

/// Money in JSON answers: yuan with two decimals (`"150.00"`).
pub fn yuan<S: serde::Serializer>(f: &Fen, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&f.to_yuan_string())
}
