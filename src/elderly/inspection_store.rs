//! SQL for inspections and their hazards: recording, rectifying and re-checking, a
//! facility's history, the overdue list and the special campaign's coverage.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use super::model::{HazardState, InspectionItem, Severity};
use crate::db::Db;

/// A hazard as entered with its inspection.
#[derive(Clone, Debug, PartialEq)]
pub struct NewHazard {
    pub description: String,
    pub severity: Severity,
    pub deadline: NaiveDate,
    /// Already rectified (a ledger row that says so).
    pub rectified_on: Option<NaiveDate>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Hazard {
    pub id: i64,
    pub seq: i64,
    pub description: String,
    pub severity: Severity,
    pub severity_label: &'static str,
    pub deadline: String,
    pub rectified_on: Option<String>,
    pub rectification: Option<String>,
    pub rechecked_on: Option<String>,
    pub rechecked_by: Option<String>,
    pub state: HazardState,
    pub state_label: &'static str,
    pub version: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Inspection {
    pub id: i64,
    pub facility_id: i64,
    pub inspected_on: String,
    pub item: InspectionItem,
    pub item_label: &'static str,
    pub inspectors: String,
    pub notes: String,
    pub hazards: Vec<Hazard>,
}

/// Records an inspection and its hazards; None when the facility already has this item
/// inspected that day.
pub async fn add(
    tx: &mut Transaction<'_, Any>,
    facility_id: i64,
    (on, item): (NaiveDate, InspectionItem),
    inspectors: &str,
    notes: &str,
    hazards: &[NewHazard],
    (by, at): (&str, &str),
) -> Result<Option<i64>, sqlx::Error> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO care_inspections (facility_id, inspected_on, item, inspectors, notes, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (facility_id, inspected_on, item) DO NOTHING RETURNING id",
    )
    .bind(facility_id)
    .bind(on.to_string())
    .bind(item.code())
    .bind(inspectors)
    .bind(notes)
    .bind(by)
    .bind(at)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(id) = id else {
        return Ok(None);
    };
    put_hazards(tx, id, hazards).await?;
    Ok(Some(id))
}

/// Replaces an inspection's hazards (a ledger row imported again gives the count anew).
pub async fn put_hazards(
    tx: &mut Transaction<'_, Any>,
    inspection_id: i64,
    hazards: &[NewHazard],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM care_hazards WHERE inspection_id = $1")
        .bind(inspection_id)
        .execute(&mut **tx)
        .await?;
    for (i, h) in hazards.iter().enumerate() {
        sqlx::query(
            "INSERT INTO care_hazards (inspection_id, seq, description, severity, deadline, rectified_on, \
             rectification) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(inspection_id)
        .bind(i as i64 + 1)
        .bind(&h.description)
        .bind(h.severity.code())
        .bind(h.deadline.to_string())
        .bind(h.rectified_on.map(|d| d.to_string()))
        // A ledger's rectification date is a rectification; the re-check is not recorded
        // there, so the hazard waits for one like any other.
        .bind(h.rectified_on.map(|_| "台账记载已整改".to_string()))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

fn hazard_from(r: &sqlx::any::AnyRow, at: usize, today: NaiveDate) -> Result<Hazard, sqlx::Error> {
    let severity = Severity::parse(&r.try_get::<String, _>(at + 3)?)
        .ok_or_else(|| sqlx::Error::Decode("care_hazards.severity".into()))?;
    let deadline: String = r.try_get(at + 4)?;
    let rectified_on: Option<String> = r.try_get(at + 5)?;
    let rechecked_on: Option<String> = r.try_get(at + 7)?;
    let state = HazardState::of(
        deadline.parse().unwrap_or(today),
        rectified_on.as_deref().and_then(|d| d.parse().ok()),
        rechecked_on.is_some(),
        today,
    );
    Ok(Hazard {
        id: r.try_get(at)?,
        seq: r.try_get(at + 1)?,
        description: r.try_get(at + 2)?,
        severity,
        severity_label: severity.label(),
        deadline,
        rectified_on,
        rectification: r.try_get(at + 6)?,
        rechecked_on,
        rechecked_by: r.try_get(at + 8)?,
        state,
        state_label: state.label(),
        version: r.try_get(at + 9)?,
    })
}

const HAZARD_COLUMNS: &str = "h.id, h.seq, h.description, h.severity, h.deadline, h.rectified_on, \
     h.rectification, h.rechecked_on, h.rechecked_by, h.version";

/// A facility's inspections, newest first, each with its hazards.
pub async fn of_facility(
    db: &Db,
    facility_id: i64,
    today: NaiveDate,
) -> Result<Vec<Inspection>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, facility_id, inspected_on, item, inspectors, notes FROM care_inspections \
         WHERE facility_id = $1 ORDER BY inspected_on DESC, id DESC",
    )
    .bind(facility_id)
    .fetch_all(db.pool())
    .await?;
    let hazards = sqlx::query(&format!(
        "SELECT h.inspection_id, {HAZARD_COLUMNS} FROM care_hazards h \
         JOIN care_inspections i ON i.id = h.inspection_id WHERE i.facility_id = $1 ORDER BY h.seq"
    ))
    .bind(facility_id)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let id: i64 = r.try_get(0)?;
        let item = InspectionItem::parse(&r.try_get::<String, _>(3)?)
            .ok_or_else(|| sqlx::Error::Decode("care_inspections.item".into()))?;
        let mut mine = Vec::new();
        for h in &hazards {
            if h.try_get::<i64, _>(0)? == id {
                mine.push(hazard_from(h, 1, today)?);
            }
        }
        out.push(Inspection {
            id,
            facility_id: r.try_get(1)?,
            inspected_on: r.try_get(2)?,
            item,
            item_label: item.label(),
            inspectors: r.try_get(4)?,
            notes: r.try_get(5)?,
            hazards: mine,
        });
    }
    Ok(out)
}

/// A hazard with where it was found, for the lists.
#[derive(Clone, Debug, Serialize)]
pub struct HazardAt {
    pub facility_id: i64,
    pub facility: String,
    pub region_code: String,
    pub inspected_on: String,
    pub item_label: &'static str,
    pub hazard: Hazard,
    /// Days past the deadline (0 when not overdue).
    pub days_over: i64,
}

/// The hazards not rectified whose deadline has passed, within the bounds, the longest
/// overdue first.
pub async fn overdue(
    db: &Db,
    bounds: &(String, String),
    today: NaiveDate,
) -> Result<Vec<HazardAt>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT f.id, f.name, f.region_code, i.inspected_on, i.item, {HAZARD_COLUMNS} FROM care_hazards h \
         JOIN care_inspections i ON i.id = h.inspection_id JOIN care_facilities f ON f.id = i.facility_id \
         WHERE h.rectified_on IS NULL AND h.deadline < $1 AND f.region_code >= $2 AND f.region_code < $3 \
         ORDER BY h.deadline, f.region_code"
    ))
    .bind(today.to_string())
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let hazard = hazard_from(r, 5, today)?;
            let deadline: NaiveDate = hazard.deadline.parse().unwrap_or(today);
            Ok(HazardAt {
                facility_id: r.try_get(0)?,
                facility: r.try_get(1)?,
                region_code: r.try_get(2)?,
                inspected_on: r.try_get(3)?,
                item_label: InspectionItem::parse(&r.try_get::<String, _>(4)?)
                    .map_or("", InspectionItem::label),
                days_over: (today - deadline).num_days().max(0),
                hazard,
            })
        })
        .collect()
}

/// The hazard's facility region and its state, for the scope check before a change.
/// Where a hazard was found: the facility's region and id, the inspection's day and the
/// day it was rectified, if it was.
pub struct HazardPlace {
    pub region_code: String,
    pub facility_id: i64,
    pub inspected_on: String,
    pub rectified_on: Option<String>,
}

pub async fn hazard_place(db: &Db, hazard_id: i64) -> Result<Option<HazardPlace>, sqlx::Error> {
    sqlx::query(
        "SELECT f.region_code, f.id, i.inspected_on, h.rectified_on FROM care_hazards h \
         JOIN care_inspections i ON i.id = h.inspection_id \
         JOIN care_facilities f ON f.id = i.facility_id WHERE h.id = $1",
    )
    .bind(hazard_id)
    .fetch_optional(db.pool())
    .await?
    .map(|r| {
        Ok(HazardPlace {
            region_code: r.try_get(0)?,
            facility_id: r.try_get(1)?,
            inspected_on: r.try_get(2)?,
            rectified_on: r.try_get(3)?,
        })
    })
    .transpose()
}

/// 整改: the hazard rectified on a day, with what was done. False when it changed since
/// `version` or was already rectified.
pub async fn rectify(
    tx: &mut Transaction<'_, Any>,
    hazard_id: i64,
    version: i64,
    on: NaiveDate,
    what: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE care_hazards SET rectified_on = $1, rectification = $2, version = version + 1 \
         WHERE id = $3 AND version = $4 AND rectified_on IS NULL",
    )
    .bind(on.to_string())
    .bind(what)
    .bind(hazard_id)
    .bind(version)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

/// 复查: the rectification checked on a day. Passed closes the hazard; not passed sends it
/// back to be rectified (by the same deadline, so it shows as overdue if that has passed).
pub async fn recheck(
    tx: &mut Transaction<'_, Any>,
    hazard_id: i64,
    version: i64,
    on: NaiveDate,
    passed: bool,
    by: &str,
) -> Result<bool, sqlx::Error> {
    let sql = if passed {
        "UPDATE care_hazards SET rechecked_on = $1, rechecked_by = $2, version = version + 1 \
         WHERE id = $3 AND version = $4 AND rectified_on IS NOT NULL AND rechecked_on IS NULL"
    } else {
        "UPDATE care_hazards SET rectified_on = NULL, \
         rectification = COALESCE(rectification, '') || '（' || $1 || ' 复查未通过，' || $2 || '）', \
         version = version + 1 WHERE id = $3 AND version = $4 AND rectified_on IS NOT NULL AND rechecked_on IS NULL"
    };
    Ok(sqlx::query(sql)
        .bind(on.to_string())
        .bind(by)
        .bind(hazard_id)
        .bind(version)
        .execute(&mut **tx)
        .await?
        .rows_affected()
        == 1)
}

/// The special campaign (专项行动) of a period: each institution in operation within the
/// bounds, with its latest inspection date in the period (None: not inspected yet).
pub async fn campaign(
    db: &Db,
    bounds: &(String, String),
    (from, to): (NaiveDate, NaiveDate),
) -> Result<Vec<(i64, String, String, Option<String>)>, sqlx::Error> {
    sqlx::query(
        "SELECT f.id, f.name, f.region_code, (SELECT MAX(i.inspected_on) FROM care_inspections i \
           WHERE i.facility_id = f.id AND i.inspected_on >= $1 AND i.inspected_on <= $2) \
         FROM care_facilities f WHERE f.kind = 'institution' AND f.status = 'operating' \
         AND f.region_code >= $3 AND f.region_code < $4 ORDER BY f.region_code, f.name",
    )
    .bind(from.to_string())
    .bind(to.to_string())
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
    .collect()
}

/// Every inspection within the bounds as the `inspections` ledger has it: (number, day,
/// item, inspectors, hazards, latest deadline, date all were rectified).
pub async fn ledger_rows(
    db: &Db,
    bounds: &(String, String),
) -> Result<Vec<Vec<String>>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT f.number, i.inspected_on, i.item, i.inspectors, \
           (SELECT COUNT(*) FROM care_hazards h WHERE h.inspection_id = i.id), \
           (SELECT MAX(h.deadline) FROM care_hazards h WHERE h.inspection_id = i.id), \
           (SELECT MAX(h.rectified_on) FROM care_hazards h WHERE h.inspection_id = i.id), \
           (SELECT COUNT(*) FROM care_hazards h WHERE h.inspection_id = i.id AND h.rectified_on IS NULL) \
         FROM care_inspections i JOIN care_facilities f ON f.id = i.facility_id \
         WHERE f.region_code >= $1 AND f.region_code < $2 ORDER BY f.number, i.inspected_on, i.item",
    )
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let open: i64 = r.try_get(7)?;
            Ok(vec![
                r.try_get(0)?,
                r.try_get(1)?,
                InspectionItem::parse(&r.try_get::<String, _>(2)?)
                    .map_or("", InspectionItem::label)
                    .to_string(),
                r.try_get(3)?,
                r.try_get::<i64, _>(4)?.to_string(),
                r.try_get::<Option<String>, _>(5)?.unwrap_or_default(),
                // Rectified when every hazard is: the last of their dates.
                if open == 0 {
                    r.try_get::<Option<String>, _>(6)?.unwrap_or_default()
                } else {
                    String::new()
                },
            ])
        })
        .collect()
}
