//! Violation cases in the database: numbering per district and year, recording, handling
//! (only an open case, once), and the list of a region's cases.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use super::violation::{self, Handling, ViolationKind, ViolationStatus};
use crate::db::Db;

/// The next case number of the district and year; the caller holds the numbering lock.
pub async fn next_case_no(
    tx: &mut Transaction<'_, Any>,
    district: &str,
    year: i32,
) -> Result<String, sqlx::Error> {
    let prefix = format!("WG-{district}-{year}-");
    let taken: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM funeral_violations WHERE case_no LIKE $1",
    )
    // The prefix holds only digits and dashes: no LIKE wildcards.
    .bind(format!("{prefix}%"))
    .fetch_one(&mut **tx)
    .await?;
    Ok(violation::case_no(district, year, taken + 1))
}

#[allow(clippy::too_many_arguments)]
pub async fn insert(
    tx: &mut Transaction<'_, Any>,
    case_no: &str,
    kind: ViolationKind,
    place: &str,
    region: &str,
    found: NaiveDate,
    (by, at): (&str, &str),
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO funeral_violations (case_no, kind, place, region_code, found_on, status, \
         created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $7) RETURNING id",
    )
    .bind(case_no)
    .bind(kind.code())
    .bind(place)
    .bind(region)
    .bind(found.to_string())
    .bind(by)
    .bind(at)
    .fetch_one(&mut **tx)
    .await
}

/// Marks an open case handled; false when it was not open (handled meanwhile).
pub async fn handle(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    handling: Handling,
    note: &str,
    handled: NaiveDate,
    at: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE funeral_violations SET status = 'handled', handling = $1, handling_note = $2, \
         handled_on = $3, updated_at = $4, version = version + 1 WHERE id = $5 AND status = 'open'",
    )
    .bind(handling.code())
    .bind(note)
    .bind(handled.to_string())
    .bind(at)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Clone, Debug, Serialize)]
pub struct Case {
    pub id: i64,
    pub case_no: String,
    pub kind: ViolationKind,
    pub kind_label: &'static str,
    pub place: String,
    pub region_code: String,
    pub found_on: String,
    pub status: ViolationStatus,
    pub status_label: &'static str,
    pub handling: Option<Handling>,
    pub handling_label: Option<&'static str>,
    pub handling_note: Option<String>,
    pub handled_on: Option<String>,
}

const COLUMNS: &str = "id, case_no, kind, place, region_code, found_on, status, handling, \
                       handling_note, handled_on";

fn case_of(r: &sqlx::any::AnyRow) -> Result<Case, sqlx::Error> {
    let kind: String = r.try_get(2)?;
    let kind = ViolationKind::parse(&kind).unwrap_or(ViolationKind::RandomBurial);
    let status: String = r.try_get(6)?;
    let status = ViolationStatus::parse(&status).unwrap_or(ViolationStatus::Open);
    let handling: Option<String> = r.try_get(7)?;
    let handling = handling.as_deref().and_then(Handling::parse);
    Ok(Case {
        id: r.try_get(0)?,
        case_no: r.try_get(1)?,
        kind,
        kind_label: kind.label(),
        place: r.try_get(3)?,
        region_code: r.try_get(4)?,
        found_on: r.try_get(5)?,
        status,
        status_label: status.label(),
        handling,
        handling_label: handling.map(Handling::label),
        handling_note: r.try_get(8)?,
        handled_on: r.try_get(9)?,
    })
}

/// One case by id, inside a transaction.
pub async fn get(tx: &mut Transaction<'_, Any>, id: i64) -> Result<Option<Case>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM funeral_violations WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .as_ref()
    .map(case_of)
    .transpose()
}

/// The cases within the bounds, optionally of one status, latest found first.
pub async fn list(
    db: &Db,
    bounds: &(String, String),
    status: Option<ViolationStatus>,
) -> Result<Vec<Case>, sqlx::Error> {
    let only = if status.is_some() {
        " AND status = $3"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM funeral_violations WHERE region_code >= $1 AND region_code < $2{only} \
         ORDER BY found_on DESC, id DESC"
    );
    let mut q = sqlx::query(&sql).bind(&bounds.0).bind(&bounds.1);
    if let Some(s) = status {
        q = q.bind(s.code());
    }
    q.fetch_all(db.pool()).await?.iter().map(case_of).collect()
}
