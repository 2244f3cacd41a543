//! SQL for divorce applications (协议离婚申请): received, then withdrawn by either party
//! during the cooling-off, completed with a divorce registration, or lapsed.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use super::marriage::ApplicationStatus;
use crate::db::Db;
use crate::protect::Sealed;

#[derive(Clone, Debug, Serialize)]
pub struct Application {
    pub id: i64,
    pub office_code: String,
    pub received_on: String,
    pub man_name: String,
    #[serde(skip)]
    pub man_id_sealed: String,
    #[serde(skip)]
    pub man_id_index: String,
    pub woman_name: String,
    #[serde(skip)]
    pub woman_id_sealed: String,
    #[serde(skip)]
    pub woman_id_index: String,
    pub status: ApplicationStatus,
    pub withdrawn_on: Option<String>,
    pub withdrawn_by: Option<String>,
    pub completed_on: Option<String>,
    pub lapsed_on: Option<String>,
    pub version: i64,
}

impl Application {
    pub fn received(&self) -> Option<NaiveDate> {
        self.received_on.parse().ok()
    }
}

const SELECT: &str = "SELECT id, office_code, received_on, man_name, man_id_sealed, man_id_index, woman_name, \
    woman_id_sealed, woman_id_index, status, withdrawn_on, withdrawn_by, completed_on, lapsed_on, version \
    FROM divorce_applications";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Application, sqlx::Error> {
    Ok(Application {
        id: r.try_get(0)?,
        office_code: r.try_get(1)?,
        received_on: r.try_get(2)?,
        man_name: r.try_get(3)?,
        man_id_sealed: r.try_get(4)?,
        man_id_index: r.try_get(5)?,
        woman_name: r.try_get(6)?,
        woman_id_sealed: r.try_get(7)?,
        woman_id_index: r.try_get(8)?,
        status: ApplicationStatus::parse(&r.try_get::<String, _>(9)?)
            .ok_or_else(|| sqlx::Error::Decode("divorce_applications.status".into()))?,
        withdrawn_on: r.try_get(10)?,
        withdrawn_by: r.try_get(11)?,
        completed_on: r.try_get(12)?,
        lapsed_on: r.try_get(13)?,
        version: r.try_get(14)?,
    })
}

/// The applications of registries within the bounds received from `from` on, newest first.
pub async fn list(
    db: &Db,
    bounds: &(String, String),
    from: NaiveDate,
) -> Result<Vec<Application>, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE office_code >= $1 AND office_code < $2 AND received_on >= $3 \
         ORDER BY received_on DESC, id DESC"
    );
    sqlx::query(&sql)
        .bind(&bounds.0)
        .bind(&bounds.1)
        .bind(from.to_string())
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(from_row)
        .collect()
}

pub async fn get(
    executor: impl sqlx::Executor<'_, Database = Any>,
    id: i64,
) -> Result<Option<Application>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(executor)
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// The couple's applications still received (lapsed or not: the caller decides).
pub async fn open_of(
    tx: &mut Transaction<'_, Any>,
    man_index: &str,
    woman_index: &str,
) -> Result<Vec<Application>, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE man_id_index = $1 AND woman_id_index = $2 AND status = 'received' ORDER BY id"
    );
    sqlx::query(&sql)
        .bind(man_index)
        .bind(woman_index)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

pub struct NewApplication<'a> {
    pub office: &'a str,
    pub received: NaiveDate,
    pub man_name: &'a str,
    pub man: &'a Sealed,
    pub woman_name: &'a str,
    pub woman: &'a Sealed,
}

pub async fn insert(
    tx: &mut Transaction<'_, Any>,
    a: &NewApplication<'_>,
    (by, at): (&str, &str),
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO divorce_applications (office_code, received_on, man_name, man_id_sealed, man_id_index, \
         woman_name, woman_id_sealed, woman_id_index, status, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'received', $9, $10) RETURNING id",
    )
    .bind(a.office)
    .bind(a.received.to_string())
    .bind(a.man_name)
    .bind(&a.man.sealed)
    .bind(&a.man.index)
    .bind(a.woman_name)
    .bind(&a.woman.sealed)
    .bind(&a.woman.index)
    .bind(by)
    .bind(at)
    .fetch_one(&mut **tx)
    .await
}

/// Moves a received application on, under the version check: withdrawn (by a party),
/// completed or lapsed on `day`. False when changed since.
pub async fn settle(
    tx: &mut Transaction<'_, Any>,
    (id, version): (i64, i64),
    to: ApplicationStatus,
    day: NaiveDate,
    party: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let column = match to {
        ApplicationStatus::Withdrawn => "withdrawn_on",
        ApplicationStatus::Completed => "completed_on",
        ApplicationStatus::Lapsed => "lapsed_on",
        ApplicationStatus::Received => return Ok(false),
    };
    let sql = format!(
        "UPDATE divorce_applications SET status = $1, {column} = $2, withdrawn_by = $3, version = version + 1 \
         WHERE id = $4 AND version = $5 AND status = 'received'"
    );
    Ok(sqlx::query(&sql)
        .bind(to.code())
        .bind(day.to_string())
        .bind(party)
        .bind(id)
        .bind(version)
        .execute(&mut **tx)
        .await?
        .rows_affected()
        == 1)
}
