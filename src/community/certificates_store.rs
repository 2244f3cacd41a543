//! SQL for the certificates communities issued: recording one, the certificates of a
//! period or of a person (by the ID's blind index), and counts by month.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::db::Db;
use crate::protect::Sealed;

/// A certificate as stored, with the name of its list entry.
#[derive(Clone, Debug, Serialize)]
pub struct Issued {
    pub id: i64,
    pub item_id: i64,
    pub item: String,
    pub region_code: String,
    pub person_name: String,
    #[serde(skip)]
    pub id_sealed: String,
    pub purpose: String,
    pub issued_on: String,
    pub issued_by: String,
}

const COLUMNS: &str = "c.id, c.item_id, i.name AS item, c.region_code, c.person_name, \
    c.id_number_sealed, c.purpose, c.issued_on, c.issued_by";

fn from_row(r: &AnyRow) -> Result<Issued, sqlx::Error> {
    Ok(Issued {
        id: r.try_get("id")?,
        item_id: r.try_get("item_id")?,
        item: r.try_get("item")?,
        region_code: r.try_get("region_code")?,
        person_name: r.try_get("person_name")?,
        id_sealed: r.try_get("id_number_sealed")?,
        purpose: r.try_get("purpose")?,
        issued_on: r.try_get("issued_on")?,
        issued_by: r.try_get("issued_by")?,
    })
}

/// A certificate to record (its entry already checked for the day).
pub struct NewCertificate<'a> {
    pub item_id: i64,
    pub region_code: &'a str,
    pub person_name: &'a str,
    pub purpose: &'a str,
    pub issued_on: NaiveDate,
}

pub async fn insert(
    tx: &mut Transaction<'_, Any>,
    c: &NewCertificate<'_>,
    id: &Sealed,
    (by, now): (&str, &str),
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO community_certificates (item_id, region_code, person_name, id_number_sealed, \
         id_number_index, purpose, issued_on, issued_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(c.item_id)
    .bind(c.region_code)
    .bind(c.person_name)
    .bind(&id.sealed)
    .bind(&id.index)
    .bind(c.purpose)
    .bind(c.issued_on.to_string())
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Issued>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM community_certificates c \
         JOIN community_list_items i ON i.id = c.item_id WHERE c.id = $1"
    );
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// Certificates issued in `bounds` from `from` to `to` (inclusive), newest first; or, with
/// `index`, every certificate of the person with that blind index.
pub async fn list(
    db: &Db,
    bounds: &(String, String),
    (from, to): (NaiveDate, NaiveDate),
    index: Option<&str>,
    limit: i64,
) -> Result<Vec<Issued>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM community_certificates c \
         JOIN community_list_items i ON i.id = c.item_id \
         WHERE c.region_code >= $1 AND c.region_code < $2 AND \
         (($3 = '' AND c.issued_on >= $4 AND c.issued_on <= $5) OR c.id_number_index = $3) \
         ORDER BY c.issued_on DESC, c.id DESC LIMIT {limit}"
    );
    sqlx::query(&sql)
        .bind(&bounds.0)
        .bind(&bounds.1)
        .bind(index.unwrap_or(""))
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Certificates issued in `bounds` from `from` to `to`, counted by month (`YYYY-MM`).
pub async fn issued_by_month(
    db: &Db,
    bounds: &(String, String),
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query(
        "SELECT substr(issued_on, 1, 7), COUNT(*) FROM community_certificates \
         WHERE region_code >= $1 AND region_code < $2 AND issued_on >= $3 AND issued_on <= $4 \
         GROUP BY substr(issued_on, 1, 7)",
    )
    .bind(&bounds.0)
    .bind(&bounds.1)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .collect()
}
