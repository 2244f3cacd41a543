//! Social workers (社会工作者) of the districts with the level of the vocational
//! certificate they hold, and the SQL for them: the register of a region, counts per
//! district and level, registering and recording a new certificate.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};

use crate::db::Db;

coded!(
    /// The level of the social-work vocational certificate (社会工作者职业资格).
    CertLevel {
        Assistant = "assistant", "助理社会工作师";
        Intermediate = "intermediate", "社会工作师";
        Senior = "senior", "高级社会工作师";
    }
);

#[derive(Clone, Debug, Serialize)]
pub struct SocialWorker {
    pub id: i64,
    pub name: String,
    pub district_code: String,
    pub level: CertLevel,
    pub certified_on: String,
    pub version: i64,
}

const COLUMNS: &str = "id, name, district_code, level, certified_on, version";

fn from_row(r: &AnyRow) -> Result<SocialWorker, sqlx::Error> {
    let level: String = r.try_get("level")?;
    Ok(SocialWorker {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        district_code: r.try_get("district_code")?,
        level: CertLevel::parse(&level).ok_or_else(|| {
            sqlx::Error::Decode("social_workers.level has an unknown value".into())
        })?,
        certified_on: r.try_get("certified_on")?,
        version: r.try_get("version")?,
    })
}

/// Social workers of the districts in `bounds`, by district, level (highest first), name.
pub async fn list(
    db: &Db,
    bounds: &(String, String),
    limit: i64,
) -> Result<Vec<SocialWorker>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM social_workers WHERE district_code >= $1 AND district_code < $2 \
         ORDER BY district_code, CASE level WHEN 'senior' THEN 0 WHEN 'intermediate' THEN 1 ELSE 2 END, \
         name, id LIMIT {limit}"
    );
    sqlx::query(&sql)
        .bind(&bounds.0)
        .bind(&bounds.1)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// `(district, level code, count)` for the districts in `bounds`.
pub async fn counts(
    db: &Db,
    bounds: &(String, String),
) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    sqlx::query(
        "SELECT district_code, level, COUNT(*) FROM social_workers \
         WHERE district_code >= $1 AND district_code < $2 GROUP BY district_code, level",
    )
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
    .collect()
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<SocialWorker>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM social_workers WHERE id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

pub async fn insert(
    tx: &mut Transaction<'_, Any>,
    (name, district, level, on): (&str, &str, CertLevel, NaiveDate),
    (by, now): (&str, &str),
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO social_workers (name, district_code, level, certified_on, created_by, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(name)
    .bind(district)
    .bind(level.code())
    .bind(on.to_string())
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)
}

/// Records a new certificate (level and date) if the row is still at `version`.
pub async fn recertify(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    version: i64,
    (level, on): (CertLevel, NaiveDate),
    now: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE social_workers SET level = $1, certified_on = $2, updated_at = $3, version = version + 1 \
         WHERE id = $4 AND version = $5",
    )
    .bind(level.code())
    .bind(on.to_string())
    .bind(now)
    .bind(id)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
