//! Ledgers (台账): the files bureaus keep their registers in. This module holds what every
//! import shares — reading the bytes as text whatever the encoding, and the per-row error
//! list that lets a caseworker fix a whole file in one pass (FORMATS.md).

mod errors;
pub mod sheet;
mod text;

pub use errors::{ImportError, RowError, write_errors_csv};
pub use text::{decode_text, read_csv_records};
