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
    /// Plots taken by burials (every form but 海葬).
    pub used: i64,
    /// Plots free today: at completion and added, minus taken (0 for one not built).
    pub available: i64,
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

/// Why a stored cemetery cannot take this completion date (none: not yet built): its
/// additions must stay after completion and its burials on or after it.
pub async fn completion_conflict(
    tx: &mut Transaction<'_, Any>,
    cemetery_id: i64,
    completed: Option<NaiveDate>,
) -> Result<Option<String>, sqlx::Error> {
    let first = first_addition(tx, cemetery_id).await?;
    if let Some(why) = super::funeral::completion_keeps_additions(completed, first) {
        return Ok(Some(why));
    }
    let first: Option<String> =
        sqlx::query_scalar("SELECT MIN(buried_on) FROM burials WHERE cemetery_id = $1")
            .bind(cemetery_id)
            .fetch_one(&mut **tx)
            .await?;
    Ok(super::funeral::completion_keeps_burials(
        completed,
        first.and_then(|d| d.parse().ok()),
    ))
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

/// The day, plots and burials on which a cemetery's stored rows hold more burials than
/// plots, if any (read inside the caller's transaction, after its change is written).
/// Counted at the burial rule's checkpoints from the first burial on: plots only grow at
/// an addition and burials only add up, so a shortfall shows on the eve of an addition or
/// today. A capacity cut (墓穴数 in the register, a day's addition replaced) is refused
/// when this finds one, so the free plots shown are never negative.
pub async fn overfill(
    tx: &mut Transaction<'_, Any>,
    cemetery_id: i64,
    today: NaiveDate,
) -> Result<Option<(NaiveDate, i64, i64)>, sqlx::Error> {
    let first: Option<String> = sqlx::query_scalar(
        "SELECT MIN(buried_on) FROM burials WHERE cemetery_id = $1 AND takes_plot = 1",
    )
    .bind(cemetery_id)
    .fetch_one(&mut **tx)
    .await?;
    let Some(first) = first.and_then(|d| d.parse::<NaiveDate>().ok()) else {
        return Ok(None);
    };
    let additions = addition_days(tx, cemetery_id).await?;
    for d in super::burial::checkpoints(first, today.max(first), &additions) {
        let (capacity, taken) = super::burial_store::plots_on(tx, cemetery_id, d).await?;
        if capacity < taken {
            return Ok(Some((d, capacity, taken)));
        }
    }
    Ok(None)
}

/// The refusal of a capacity cut that `overfill` found, naming the field changed.
pub fn overfill_message(field: &str, (day, capacity, taken): (NaiveDate, i64, i64)) -> String {
    format!(
        "「{field}」改后该公墓到 {day} 共有墓穴 {capacity} 个，少于当日已安葬占用的 {taken} 个：\
         墓穴数不能少于已安葬数，请核对"
    )
}

/// Creates the cemetery, or updates the one with its number; the id and whether it is new.
/// The burials in an updated cemetery move with it to its region (a burial lies in the
/// region of its cemetery; the balance analysis counts both by region).
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
        sqlx::query("UPDATE burials SET region_code = $1 WHERE cemetery_id = $2")
            .bind(&c.region)
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
         CAST(COALESCE((SELECT SUM(a.plots) FROM cemetery_plot_additions a WHERE a.cemetery_id = c.id), 0) AS BIGINT), \
         CAST((SELECT COUNT(*) FROM burials b WHERE b.cemetery_id = c.id AND b.takes_plot = 1) AS BIGINT) \
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
            let status = CemeteryStatus::parse(&status).unwrap_or(CemeteryStatus::Building);
            let (plots, added, used): (i64, i64, i64) =
                (r.try_get(7)?, r.try_get(8)?, r.try_get(9)?);
            Ok(Cemetery {
                id: r.try_get(0)?,
                number: r.try_get(1)?,
                name: r.try_get(2)?,
                kind: CemeteryKind::parse(&kind).unwrap_or(CemeteryKind::Public),
                region_code: r.try_get(4)?,
                status,
                completed_on: r.try_get(6)?,
                plots,
                added,
                used,
                // Not clamped: every capacity cut is checked against the burials
                // (`overfill`), so a negative figure would show a fault, not hide it.
                available: if status.is_built() {
                    plots + added - used
                } else {
                    0
                },
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
