//! Protected personal data (个人信息保护法 第五十一条): ID numbers, phone numbers and bank
//! accounts are sealed with an AEAD key kept in a file outside the database, and found
//! again through a keyed blind index (HMAC of the normalised value), so a copy of the
//! database alone reveals none of them.

mod keyring;
mod values;

pub use keyring::{KeyError, Keyring, default_key_path};
pub use values::{BankAccount, Phone, SensitiveKind, ValueError};

/// A sealed value as stored: ciphertext (base64 of nonce ‖ ciphertext) and blind index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    pub sealed: String,
    pub index: String,
}
