//! SQL for accounts and sessions.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::roles::Role;
use crate::db::{Db, flag, is_set};

/// Times are stored as RFC 3339 in UTC; they sort as text.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[derive(Clone, Debug)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub region_code: String,
    pub active: bool,
    pub password_hash: String,
    pub must_change_password: bool,
    pub password_changed_at: DateTime<Utc>,
    pub failed_logins: i64,
    pub locked_until: Option<DateTime<Utc>>,
    /// Sealed base32 TOTP secret.
    pub totp_secret: Option<String>,
    pub totp_last_step: i64,
    pub phone_sealed: Option<String>,
    pub phone_index: Option<String>,
    pub id_number_sealed: Option<String>,
    pub created_at: DateTime<Utc>,
    pub version: i64,
}

const USER_COLUMNS: &str = "id, username, display_name, role, region_code, status, password_hash, \
    must_change_password, password_changed_at, failed_logins, locked_until, totp_secret, \
    totp_last_step, phone_sealed, phone_index, id_number_sealed, created_at, version";

fn user_from_row(row: &AnyRow) -> Result<UserRecord, sqlx::Error> {
    let bad = |what: &str| sqlx::Error::Decode(format!("users.{what}").into());
    let role: String = row.try_get("role")?;
    let status: String = row.try_get("status")?;
    let changed: String = row.try_get("password_changed_at")?;
    let locked: Option<String> = row.try_get("locked_until")?;
    let created: String = row.try_get("created_at")?;
    Ok(UserRecord {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role: Role::from_code(&role).ok_or_else(|| bad("role"))?,
        region_code: row.try_get("region_code")?,
        active: status == "active",
        password_hash: row.try_get("password_hash")?,
        must_change_password: is_set(row.try_get("must_change_password")?),
        password_changed_at: parse_ts(&changed).ok_or_else(|| bad("password_changed_at"))?,
        failed_logins: row.try_get("failed_logins")?,
        locked_until: locked.as_deref().and_then(parse_ts),
        totp_secret: row.try_get("totp_secret")?,
        totp_last_step: row.try_get("totp_last_step")?,
        phone_sealed: row.try_get("phone_sealed")?,
        phone_index: row.try_get("phone_index")?,
        id_number_sealed: row.try_get("id_number_sealed")?,
        created_at: parse_ts(&created).ok_or_else(|| bad("created_at"))?,
        version: row.try_get("version")?,
    })
}

pub async fn by_username(db: &Db, username: &str) -> Result<Option<UserRecord>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
    sqlx::query(&sql)
        .bind(username)
        .fetch_optional(db.pool())
        .await?
        .map(|r| user_from_row(&r))
        .transpose()
}

/// Exact lookup by ID number through its blind index (the number itself is not stored).
pub async fn by_id_number_index(db: &Db, index: &str) -> Result<Vec<UserRecord>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id_number_index = $1 ORDER BY id");
    let rows = sqlx::query(&sql).bind(index).fetch_all(db.pool()).await?;
    rows.iter().map(user_from_row).collect()
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<UserRecord>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .map(|r| user_from_row(&r))
        .transpose()
}

/// Accounts in a region subtree, ordered by username.
pub async fn list(db: &Db, bounds: (String, String)) -> Result<Vec<UserRecord>, sqlx::Error> {
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users WHERE region_code >= $1 AND region_code < $2 ORDER BY username LIMIT 1000"
    );
    let rows = sqlx::query(&sql)
        .bind(bounds.0)
        .bind(bounds.1)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(user_from_row).collect()
}

pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) FROM users")
        .fetch_one(db.pool())
        .await?
        .try_get(0)
}

/// What a new account is made of.
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub region_code: &'a str,
    pub password_hash: &'a str,
    pub must_change_password: bool,
    pub totp_secret: Option<&'a str>,
    pub phone: Option<&'a crate::protect::Sealed>,
    pub id_number: Option<&'a crate::protect::Sealed>,
}

pub async fn insert(
    tx: &mut Transaction<'_, Any>,
    u: &NewUser<'_>,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(
        "INSERT INTO users (username, display_name, role, region_code, password_hash, \
         must_change_password, password_changed_at, totp_secret, phone_sealed, phone_index, \
         id_number_sealed, id_number_index, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(u.username)
    .bind(u.display_name)
    .bind(u.role.code())
    .bind(u.region_code)
    .bind(u.password_hash)
    .bind(flag(u.must_change_password))
    .bind(ts(now))
    .bind(u.totp_secret)
    .bind(u.phone.map(|s| s.sealed.clone()))
    .bind(u.phone.map(|s| s.index.clone()))
    .bind(u.id_number.map(|s| s.sealed.clone()))
    .bind(u.id_number.map(|s| s.index.clone()))
    .bind(ts(now))
    .fetch_one(&mut **tx)
    .await?;
    row.try_get("id")
}

pub async fn username_taken(db: &Db, username: &str) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("SELECT 1 FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(db.pool())
        .await?
        .is_some())
}

/// Counts a failed password check and locks the account when `max` consecutive failures
/// are reached — in one statement, so that concurrent guesses cannot each read the old
/// count and slip past the limit. Returns the new count and whether this call locked it.
pub async fn record_failure(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    max: i64,
    lock_until: DateTime<Utc>,
) -> Result<(i64, bool), sqlx::Error> {
    let row = sqlx::query(
        "UPDATE users SET failed_logins = failed_logins + 1, \
         locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END \
         WHERE id = $1 RETURNING failed_logins",
    )
    .bind(id)
    .bind(max)
    .bind(ts(lock_until))
    .fetch_one(&mut **tx)
    .await?;
    let count: i64 = row.try_get("failed_logins")?;
    Ok((count, count == max))
}

pub async fn clear_failures(tx: &mut Transaction<'_, Any>, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Marks a TOTP step used. Returns false when that step (or a later one) was already
/// used — by a concurrent login with the same code — so the code must be refused.
pub async fn use_totp_step(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    step: i64,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2")
            .bind(id)
            .bind(step)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_totp_secret(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    sealed: Option<&str>,
    last_step: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET totp_secret = $2, totp_last_step = $3, version = version + 1 WHERE id = $1")
        .bind(id)
        .bind(sealed)
        .bind(last_step)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn set_password(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    hash: &str,
    must_change: bool,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET password_hash = $2, must_change_password = $3, password_changed_at = $4, \
         failed_logins = 0, locked_until = NULL, version = version + 1 WHERE id = $1",
    )
    .bind(id)
    .bind(hash)
    .bind(flag(must_change))
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn set_role(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    role: Role,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET role = $2, version = version + 1 WHERE id = $1")
        .bind(id)
        .bind(role.code())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn set_active(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    active: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET status = $2, version = version + 1 WHERE id = $1")
        .bind(id)
        .bind(if active { "active" } else { "disabled" })
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Updates the editable profile fields, if the row is still at `version`.
pub async fn update_profile(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    version: i64,
    display_name: &str,
    region_code: &str,
    phone: Option<&crate::protect::Sealed>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE users SET display_name = $3, region_code = $4, phone_sealed = $5, phone_index = $6, \
         version = version + 1 WHERE id = $1 AND version = $2",
    )
    .bind(id)
    .bind(version)
    .bind(display_name)
    .bind(region_code)
    .bind(phone.map(|s| s.sealed.clone()))
    .bind(phone.map(|s| s.index.clone()))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

// ---- sessions ----

#[derive(Clone, Debug)]
pub struct SessionRecord {
    pub token_hash: String,
    pub user_id: i64,
    pub stage: String,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub reauth_at: DateTime<Utc>,
}

pub async fn session(db: &Db, token_hash: &str) -> Result<Option<SessionRecord>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT token_hash, user_id, stage, csrf_token, created_at, last_seen_at, reauth_at \
         FROM sessions WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let t = |col: &str| -> Result<DateTime<Utc>, sqlx::Error> {
        let s: String = row.try_get(col)?;
        parse_ts(&s).ok_or_else(|| sqlx::Error::Decode(format!("sessions.{col}").into()))
    };
    Ok(Some(SessionRecord {
        token_hash: row.try_get("token_hash")?,
        user_id: row.try_get("user_id")?,
        stage: row.try_get("stage")?,
        csrf_token: row.try_get("csrf_token")?,
        created_at: t("created_at")?,
        last_seen_at: t("last_seen_at")?,
        reauth_at: t("reauth_at")?,
    }))
}

pub async fn insert_session(
    tx: &mut Transaction<'_, Any>,
    s: &SessionRecord,
    ip: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, stage, csrf_token, created_at, last_seen_at, reauth_at, ip) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&s.token_hash)
    .bind(s.user_id)
    .bind(&s.stage)
    .bind(&s.csrf_token)
    .bind(ts(s.created_at))
    .bind(ts(s.last_seen_at))
    .bind(ts(s.reauth_at))
    .bind(ip)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn touch_session(
    db: &Db,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1")
        .bind(token_hash)
        .bind(ts(now))
        .execute(db.pool())
        .await?;
    Ok(())
}

pub async fn set_reauth(
    tx: &mut Transaction<'_, Any>,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET reauth_at = $2, last_seen_at = $2 WHERE token_hash = $1")
        .bind(token_hash)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn set_stage(
    tx: &mut Transaction<'_, Any>,
    token_hash: &str,
    stage: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET stage = $2 WHERE token_hash = $1")
        .bind(token_hash)
        .bind(stage)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn delete_session(db: &Db, token_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(db.pool())
        .await?;
    Ok(())
}

pub async fn delete_session_tx(
    tx: &mut Transaction<'_, Any>,
    token_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn delete_user_sessions(
    tx: &mut Transaction<'_, Any>,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
