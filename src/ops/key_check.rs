//! The key check (密钥校验值): a constant sealed with the key file and kept in the
//! database, so that a wrong key file is refused at start and at restore, before anything
//! is read with it or — worse — new personal data is sealed with a key that does not match
//! the old.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sqlx::Row;

use crate::StartError;
use crate::db::{Db, DbOpenError};
use crate::protect::{KeyError, Keyring, SensitiveKind};

/// Bound into the sealed value, so no other sealed blob can stand in for it.
const LABEL: &str = "minzheng/key-check/v1";
const PLAIN: &[u8] = b"minzheng key check";

/// What the database says about a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyVerdict {
    /// The stored check value (or, in a database from before it existed, a sealed value)
    /// opens with the key.
    Opens,
    /// It does not: another installation's key, or a new one.
    WrongKey,
    /// Nothing sealed to test the key on (a new or empty database).
    NothingToTest,
}

/// Whether a check value is stored yet.
pub async fn is_stored(db: &Db) -> Result<bool, sqlx::Error> {
    Ok(stored_value(db).await?.is_some())
}

async fn stored_value(db: &Db) -> Result<Option<String>, sqlx::Error> {
    sqlx::query("SELECT sealed FROM key_check WHERE id = 1")
        .fetch_optional(db.pool())
        .await?
        .map(|row| row.try_get::<String, _>(0))
        .transpose()
}

/// Tests `keyring` against the stored check value; in a database that has none yet (made
/// before the check existed), against one sealed value: an administrator's TOTP secret
/// or a household member's ID number.
pub async fn verify(db: &Db, keyring: &Keyring) -> Result<KeyVerdict, sqlx::Error> {
    if let Some(sealed) = stored_value(db).await? {
        return Ok(verdict(opens(keyring, &sealed)));
    }
    let samples = [
        (
            "SELECT totp_secret FROM users WHERE totp_secret IS NOT NULL LIMIT 1",
            SensitiveKind::Totp,
        ),
        (
            "SELECT id_number_sealed FROM members LIMIT 1",
            SensitiveKind::IdNumber,
        ),
    ];
    for (sql, kind) in samples {
        if let Some(row) = sqlx::query(sql).fetch_optional(db.pool()).await? {
            let sealed: String = row.try_get(0)?;
            return Ok(verdict(keyring.open(kind, &sealed).is_ok()));
        }
    }
    Ok(KeyVerdict::NothingToTest)
}

/// Whether `keyring` opens a stored check value (also read straight out of a dump).
pub fn opens(keyring: &Keyring, sealed: &str) -> bool {
    B64.decode(sealed.trim())
        .ok()
        .and_then(|bytes| keyring.open_bytes(LABEL, &bytes).ok())
        .is_some_and(|plain| plain == PLAIN)
}

fn verdict(opens: bool) -> KeyVerdict {
    if opens {
        KeyVerdict::Opens
    } else {
        KeyVerdict::WrongKey
    }
}

/// Stores the check value sealed with `keyring`, unless one is there already (two
/// processes starting at once: the first one wins, and both then verify against it).
pub async fn store(db: &Db, keyring: &Keyring, now: &str) -> Result<(), sqlx::Error> {
    let sealed = B64.encode(keyring.seal_bytes(LABEL, PLAIN));
    sqlx::query(
        "INSERT INTO key_check (id, sealed, created_at) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(sealed)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// At every start: the key file must open the database's check value; the first start
/// with a key stores one. A database from before the check is tested on one of its sealed
/// values first, so an upgrade with the wrong key file is refused too.
pub async fn ensure(db: &Db, keyring: &Keyring, key_path: &Path) -> Result<(), StartError> {
    let query_error = |e: sqlx::Error| StartError::Db(DbOpenError::Check(e.to_string()));
    let wrong_key = || StartError::Key(KeyError::Mismatch(key_path.display().to_string()));
    if verify(db, keyring).await.map_err(query_error)? == KeyVerdict::WrongKey {
        return Err(wrong_key());
    }
    if !is_stored(db).await.map_err(query_error)? {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        store(db, keyring, &now).await.map_err(query_error)?;
        // Another process may have stored its own value in between.
        if verify(db, keyring).await.map_err(query_error)? != KeyVerdict::Opens {
            return Err(wrong_key());
        }
    }
    Ok(())
}
