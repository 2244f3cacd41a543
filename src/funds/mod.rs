//! Funds (资金保障, DOMAIN.md §7): each year's budget of a program in a district by source
//! (中央/省/市/区县), the allocations as they arrive, and spending counted from what
//! reconciled payrolls paid and what temporary grants gave; the allocation and execution
//! rates. Rules in `model`, sums in `summary`, SQL in `store`, the page in `web`.

pub mod demo;
pub mod model;
pub mod store;
pub mod summary;
pub mod web;
pub mod workbook;
