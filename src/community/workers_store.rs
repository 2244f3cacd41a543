//! SQL for the community workers' register: the records of a region, counts in post per
//! community on a day, adding and ending a record, and what the balance analysis takes
//! per district.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};

use super::workers::Post;
use crate::db::Db;
use crate::report::balance::CommunityWorkersInput;

#[derive(Clone, Debug, Serialize)]
pub struct Worker {
    pub id: i64,
    pub name: String,
    pub region_code: String,
    pub post: Post,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    pub version: i64,
}

fn decode(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("community_workers.{what} has an unknown value").into())
}

fn date(s: &str, what: &str) -> Result<NaiveDate, sqlx::Error> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| decode(what))
}

const COLUMNS: &str = "id, name, region_code, post, started_on, ended_on, version";

fn from_row(r: &AnyRow) -> Result<Worker, sqlx::Error> {
    let post: String = r.try_get("post")?;
    Ok(Worker {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        region_code: r.try_get("region_code")?,
        post: Post::parse(&post).ok_or_else(|| decode("post"))?,
        started_on: date(&r.try_get::<String, _>("started_on")?, "started_on")?,
        ended_on: r
            .try_get::<Option<String>, _>("ended_on")?
            .map(|s| date(&s, "ended_on"))
            .transpose()?,
        version: r.try_get("version")?,
    })
}

/// Records in `bounds` (current ones first, by community, post and name), at most `limit`.
pub async fn list(
    db: &Db,
    bounds: &(String, String),
    limit: i64,
) -> Result<Vec<Worker>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM community_workers WHERE region_code >= $1 AND region_code < $2 \
         ORDER BY CASE WHEN ended_on IS NULL THEN 0 ELSE 1 END, region_code, post, name, id \
         LIMIT {limit}"
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

/// Workers in post on `day` per community in `bounds`.
pub async fn in_post_by_community(
    db: &Db,
    bounds: &(String, String),
    day: NaiveDate,
) -> Result<HashMap<String, i64>, sqlx::Error> {
    sqlx::query(
        "SELECT region_code, COUNT(*) FROM community_workers WHERE region_code >= $1 \
         AND region_code < $2 AND started_on <= $3 AND (ended_on IS NULL OR ended_on >= $3) \
         GROUP BY region_code",
    )
    .bind(&bounds.0)
    .bind(&bounds.1)
    .bind(day.to_string())
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .collect()
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Worker>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM community_workers WHERE id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

pub struct NewWorker {
    pub name: String,
    pub region_code: String,
    pub post: Post,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
}

pub async fn insert(
    tx: &mut Transaction<'_, Any>,
    w: &NewWorker,
    (by, now): (&str, &str),
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO community_workers (name, region_code, post, started_on, ended_on, created_by, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(&w.name)
    .bind(&w.region_code)
    .bind(w.post.code())
    .bind(w.started_on.to_string())
    .bind(w.ended_on.map(|d| d.to_string()))
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)
}

/// Sets the last day in post if the record is still at `version` and open.
pub async fn end(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    version: i64,
    on: NaiveDate,
    now: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE community_workers SET ended_on = $1, updated_at = $2, version = version + 1 \
         WHERE id = $3 AND version = $4 AND ended_on IS NULL",
    )
    .bind(on.to_string())
    .bind(now)
    .bind(id)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Per district (first six digits of the community): records started by `day` (none: the
/// register was never filled in for the district, so the indicator is unknown) and
/// workers in post on `day`.
pub async fn balance_inputs(
    db: &Db,
    day: NaiveDate,
    bounds: &(String, String),
) -> Result<HashMap<String, CommunityWorkersInput>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT substr(region_code, 1, 6), COUNT(*), \
         CAST(SUM(CASE WHEN ended_on IS NULL OR ended_on >= $3 THEN 1 ELSE 0 END) AS BIGINT) \
         FROM community_workers WHERE region_code >= $1 AND region_code < $2 AND started_on <= $3 \
         GROUP BY substr(region_code, 1, 6)",
    )
    .bind(&bounds.0)
    .bind(&bounds.1)
    .bind(day.to_string())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<String, _>(0)?,
                CommunityWorkersInput {
                    registered: r.try_get(1)?,
                    in_post: r.try_get::<Option<i64>, _>(2)?.unwrap_or(0),
                },
            ))
        })
        .collect()
}
