//! SQL for volunteers and their service records: a volunteer with cumulative tenths of
//! an hour, the register of a region, finding by the ID's blind index or name, and the
//! service records.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};

use crate::db::Db;
use crate::protect::Sealed;

/// A volunteer as stored, with the service records summed up.
#[derive(Clone, Debug)]
pub struct Volunteer {
    pub id: i64,
    pub id_sealed: String,
    pub name: String,
    pub region_code: String,
    pub phone_sealed: Option<String>,
    pub registered_on: String,
    pub version: i64,
    /// Cumulative hours in tenths.
    pub tenths: i64,
    pub records: i64,
    pub last_served: Option<String>,
}

const COLUMNS: &str = "v.id, v.id_number_sealed, v.name, v.region_code, v.phone_sealed, \
    v.registered_on, v.version, \
    CAST(COALESCE((SELECT SUM(s.tenths) FROM volunteer_services s WHERE s.volunteer_id = v.id), 0) AS BIGINT) AS tenths, \
    (SELECT COUNT(*) FROM volunteer_services s WHERE s.volunteer_id = v.id) AS records, \
    (SELECT MAX(s.served_on) FROM volunteer_services s WHERE s.volunteer_id = v.id) AS last_served";

fn from_row(r: &AnyRow) -> Result<Volunteer, sqlx::Error> {
    Ok(Volunteer {
        id: r.try_get("id")?,
        id_sealed: r.try_get("id_number_sealed")?,
        name: r.try_get("name")?,
        region_code: r.try_get("region_code")?,
        phone_sealed: r.try_get("phone_sealed")?,
        registered_on: r.try_get("registered_on")?,
        version: r.try_get("version")?,
        tenths: r.try_get("tenths")?,
        records: r.try_get("records")?,
        last_served: r.try_get("last_served")?,
    })
}

/// The volunteer registered under an ID's blind index, if any (`(id, region_code)`).
pub async fn by_index(
    conn: &mut AnyConnection,
    index: &str,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query("SELECT id, region_code FROM volunteers WHERE id_number_index = $1")
        .bind(index)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .transpose()
}

pub struct NewVolunteer<'a> {
    pub name: &'a str,
    pub region_code: &'a str,
    pub registered_on: NaiveDate,
}

pub async fn insert(
    tx: &mut Transaction<'_, Any>,
    v: &NewVolunteer<'_>,
    id: &Sealed,
    phone: Option<&Sealed>,
    (by, now): (&str, &str),
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO volunteers (id_number_sealed, id_number_index, name, region_code, phone_sealed, \
         registered_on, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(&id.sealed)
    .bind(&id.index)
    .bind(v.name)
    .bind(v.region_code)
    .bind(phone.map(|p| p.sealed.clone()))
    .bind(v.registered_on.to_string())
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Volunteer>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM volunteers v WHERE v.id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// Volunteers in `bounds` (by community and name), a page of `limit`; with the total.
pub async fn list(
    db: &Db,
    bounds: &(String, String),
    page: i64,
    limit: i64,
) -> Result<(Vec<Volunteer>, i64), sqlx::Error> {
    let total: i64 =
        sqlx::query("SELECT COUNT(*) FROM volunteers WHERE region_code >= $1 AND region_code < $2")
            .bind(&bounds.0)
            .bind(&bounds.1)
            .fetch_one(db.pool())
            .await?
            .try_get(0)?;
    let offset = crate::web::paging::offset(Some(page), limit);
    let sql = format!(
        "SELECT {COLUMNS} FROM volunteers v WHERE v.region_code >= $1 AND v.region_code < $2 \
         ORDER BY v.region_code, v.name, v.id LIMIT {limit} OFFSET {offset}"
    );
    let rows = sqlx::query(&sql)
        .bind(&bounds.0)
        .bind(&bounds.1)
        .fetch_all(db.pool())
        .await?;
    Ok((rows.iter().map(from_row).collect::<Result<_, _>>()?, total))
}

/// Cumulative tenths of every volunteer in `bounds` (for the counts by star level).
pub async fn totals(db: &Db, bounds: &(String, String)) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query(
        "SELECT CAST(COALESCE(SUM(s.tenths), 0) AS BIGINT) FROM volunteers v \
         LEFT JOIN volunteer_services s ON s.volunteer_id = v.id \
         WHERE v.region_code >= $1 AND v.region_code < $2 GROUP BY v.id",
    )
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect()
}

/// Volunteers in `bounds` found by the ID's blind index or by exact name.
pub async fn find(
    db: &Db,
    bounds: &(String, String),
    index: Option<&str>,
    name: &str,
) -> Result<Vec<Volunteer>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM volunteers v WHERE v.region_code >= $1 AND v.region_code < $2 \
         AND (v.id_number_index = $3 OR v.name = $4) ORDER BY v.region_code, v.id LIMIT 200"
    );
    sqlx::query(&sql)
        .bind(&bounds.0)
        .bind(&bounds.1)
        .bind(index.unwrap_or(""))
        .bind(name)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// A service record as stored.
#[derive(Clone, Debug, Serialize)]
pub struct Service {
    pub id: i64,
    pub served_on: String,
    pub tenths: i64,
    pub activity: String,
    pub organiser: String,
    pub created_by: String,
}

pub struct NewService<'a> {
    pub served_on: NaiveDate,
    pub tenths: i64,
    pub activity: &'a str,
    pub organiser: &'a str,
}

pub async fn add_service(
    tx: &mut Transaction<'_, Any>,
    volunteer_id: i64,
    s: &NewService<'_>,
    (by, now): (&str, &str),
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO volunteer_services (volunteer_id, served_on, tenths, activity, organiser, \
         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(volunteer_id)
    .bind(s.served_on.to_string())
    .bind(s.tenths)
    .bind(s.activity)
    .bind(s.organiser)
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)
}

/// Tenths a volunteer's records of one day already hold.
pub async fn day_total(
    tx: &mut Transaction<'_, Any>,
    volunteer_id: i64,
    day: NaiveDate,
) -> Result<i64, sqlx::Error> {
    let total: Option<i64> = sqlx::query(
        "SELECT CAST(SUM(tenths) AS BIGINT) FROM volunteer_services \
         WHERE volunteer_id = $1 AND served_on = $2",
    )
    .bind(volunteer_id)
    .bind(day.to_string())
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    Ok(total.unwrap_or(0))
}

/// A volunteer's records, oldest first.
pub async fn services(db: &Db, volunteer_id: i64) -> Result<Vec<Service>, sqlx::Error> {
    sqlx::query(
        "SELECT id, served_on, tenths, activity, organiser, created_by FROM volunteer_services \
         WHERE volunteer_id = $1 ORDER BY served_on, id",
    )
    .bind(volunteer_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(Service {
            id: r.try_get("id")?,
            served_on: r.try_get("served_on")?,
            tenths: r.try_get("tenths")?,
            activity: r.try_get("activity")?,
            organiser: r.try_get("organiser")?,
            created_by: r.try_get("created_by")?,
        })
    })
    .collect()
}

/// Bumps the volunteer's version (a record added changes the cumulative hours).
pub async fn touch(tx: &mut Transaction<'_, Any>, id: i64, now: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE volunteers SET version = version + 1, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
