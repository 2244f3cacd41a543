//! The audit log (安全审计): who did what, when, from where, to which object, with what
//! result. Entries are written in the same transaction as the change they record (if the
//! entry cannot be written, the change does not happen), and each entry's hash covers the
//! previous one, so an edit or a deletion in the database breaks the chain at that entry.

pub mod model;
pub mod store;
pub mod web;

pub use model::{Actor, AuditEvent, Outcome};
pub use store::{record, verify};
