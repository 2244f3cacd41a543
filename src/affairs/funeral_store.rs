//! Cemeteries and their plot additions in the database: saved by number and by
//! cemetery and day, and read back for the ledgers' checks, the export and the API.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use super::funeral::{CemeteryKind, CemeteryStatus, NewCemetery};
use crate::db::Db;

/// A cemetery as stored, with the plots it has today (those at completion and every
/// addition since).
#[derive(Clone, Debug, Serialize)]
pub struct Cemetery {
    pub id: i64,
    pub number: String,
    pub name: String,
    pub kind: CemeteryKind,
    pub region_code: String,
    pub status: CemeteryStatus,
    pub completed_on: Option<String>,
    /// The plots at completion.
    pub plots: i64,
    /// The plots added after completion.
    pub added: i64,
}

/// Every cemetery by number: id, completion date and region.
pub async fn refs(
    tx: &mut Transaction<'_, Any>,
) -> Result<HashMap<String, (i64, Option<NaiveDate>, String)>, sqlx::Error> {
    let rows = sqlx::query("SELECT number, id, completed_on, region_code FROM cemeteries")
        .fetch_all(&mut **tx)
        .await?;
    let mut out = HashMap::new();
    for r in &rows {
        let completed: Option<String> = r.try_get(2)?;
        out.insert(
            r.try_get(0)?,
            (
                r.try_get(1)?,
                completed.and_then(|d| d.parse().ok()),
                r.try_get(3)?,
            ),
        );
    }
    Ok(out)
}

/// The day of a cemetery's earliest stored addition, if any.
pub async fn first_addition(
    tx: &mut Transaction<'_, Any>,
    cemetery_id: i64,
) -> Result<Option<NaiveDate>, sqlx::Error> {
    let first: Option<String> = sqlx::query_scalar(
        "SELECT MIN(added_on) FROM cemetery_plot_additions WHERE cemetery_id = $1",
    )
    .bind(cemetery_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(first.and_then(|d| d.parse().ok()))
}

/// The days a cemetery holds additions on.
pub async fn addition_days(
    tx: &mut Transaction<'_, Any>,
    cemetery_id: i64,
) -> Result<Vec<NaiveDate>, sqlx::Error> {
    let days: Vec<String> =
        sqlx::query_scalar("SELECT added_on FROM cemetery_plot_additions WHERE cemetery_id = $1")
            .bind(cemetery_id)
            .fetch_all(&mut **tx)
            .await?;
    Ok(days.iter().filter_map(|d| d.parse().ok()).collect())
}

/// Creates the cemetery, or updates the one with its number; the id and whether it is new.
pub async fn save(
    tx: &mut Transaction<'_, Any>,
    c: &NewCemetery,
    (by, at): (&str, &str),
) -> Result<(i64, bool), sqlx::Error> {
    let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM cemeteries WHERE number = $1")
        .bind(&c.number)
        .fetch_optional(&mut **tx)
        .await?;
    let completed = c.completed_on.map(|d| d.to_string());
    if let Some(id) = existing {
        sqlx::query(
            "UPDATE cemeteries SET name = $1, kind = $2, region_code = $3, status = $4, \
             completed_on = $5, plots = $6, updated_at = $7, version = version + 1 WHERE id = $8",
        )
        .bind(&c.name)
        .bind(c.kind.code())
        .bind(&c.region)
        .bind(c.status.code())
        .bind(completed)
        .bind(c.plots)
        .bind(at)
        .bind(id)
        .execute(&mut **tx)
        .await?;
        return Ok((id, false));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO cemeteries (number, name, kind, region_code, status, completed_on, plots, \
         created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(&c.number)
    .bind(&c.name)
    .bind(c.kind.code())
    .bind(&c.region)
    .bind(c.status.code())
    .bind(completed)
    .bind(c.plots)
    .bind(by)
    .bind(at)
    .fetch_one(&mut **tx)
    .await?;
    Ok((id, true))
}

/// Stores the plots added to a cemetery on a day, replacing those of the same day.
pub async fn put_addition(
    tx: &mut Transaction<'_, Any>,
    cemetery_id: i64,
    on: NaiveDate,
    plots: i64,
    (by, at): (&str, &str),
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO cemetery_plot_additions (cemetery_id, added_on, plots, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (cemetery_id, added_on) DO UPDATE SET plots = excluded.plots",
    )
    .bind(cemetery_id)
    .bind(on.to_string())
    .bind(plots)
    .bind(by)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The cemeteries within the bounds, by number.
pub async fn list(db: &Db, bounds: &(String, String)) -> Result<Vec<Cemetery>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT c.id, c.number, c.name, c.kind, c.region_code, c.status, c.completed_on, c.plots, \
         CAST(COALESCE((SELECT SUM(a.plots) FROM cemetery_plot_additions a WHERE a.cemetery_id = c.id), 0) AS BIGINT) \
         FROM cemeteries c WHERE c.region_code >= $1 AND c.region_code < $2 ORDER BY c.number",
    )
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get(3)?;
            let status: String = r.try_get(5)?;
            Ok(Cemetery {
                id: r.try_get(0)?,
                number: r.try_get(1)?,
                name: r.try_get(2)?,
                kind: CemeteryKind::parse(&kind).unwrap_or(CemeteryKind::Public),
                region_code: r.try_get(4)?,
                status: CemeteryStatus::parse(&status).unwrap_or(CemeteryStatus::Building),
                completed_on: r.try_get(6)?,
                plots: r.try_get(7)?,
                added: r.try_get(8)?,
            })
        })
        .collect()
}

/// Every plot addition of the cemeteries within the bounds: number, day, plots.
pub async fn all_additions(
    db: &Db,
    bounds: &(String, String),
) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    sqlx::query(
        "SELECT c.number, a.added_on, a.plots FROM cemetery_plot_additions a \
         JOIN cemeteries c ON c.id = a.cemetery_id \
         WHERE c.region_code >= $1 AND c.region_code < $2 ORDER BY c.number, a.added_on",
    )
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
    .collect()
}
