//! Identifiers of people and organisations: resident ID numbers (GB 11643), unified social
//! credit codes (GB 32100), and the masking rules for showing them to people who may not
//! see them whole.

pub mod idcard;
pub mod mask;
pub mod uscc;

pub use idcard::{IdError, IdNumber, Sex};
pub use uscc::{Uscc, UsccError};
