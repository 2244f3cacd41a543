//! SQL for facilities, their beds and construction targets. Inspections are in
//! `inspection_store`.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use super::model::{BedEvent, FacilityKind, FacilityStatus, NewFacility, Ownership};
use crate::db::Db;

/// A facility with its beds on the day it was read for.
#[derive(Clone, Debug, Serialize)]
pub struct Facility {
    pub id: i64,
    pub number: String,
    pub name: String,
    pub kind: FacilityKind,
    pub kind_label: &'static str,
    pub region_code: String,
    pub ownership: Ownership,
    pub ownership_label: &'static str,
    pub status: FacilityStatus,
    pub status_label: &'static str,
    pub opened_on: Option<String>,
    pub operator: String,
    pub star_grade: Option<i64>,
    pub occupied: i64,
    pub opening_beds: i64,
    pub opening_nursing: i64,
    pub version: i64,
    /// Beds and nursing-type beds in effect on the day.
    pub beds: i64,
    pub nursing_beds: i64,
}

impl Facility {
    /// Nursing-type share of the beds, one decimal.
    pub fn nursing_share(&self) -> Option<f64> {
        super::model::nursing_share(self.beds, self.nursing_beds)
    }
    /// Residents in ÷ beds, percent.
    pub fn occupancy(&self) -> Option<f64> {
        (self.beds > 0).then(|| (self.occupied as f64 * 1000.0 / self.beds as f64).round() / 10.0)
    }
}

/// The columns of `care_facilities f` and the beds on `$1`: the opening beds when it had
/// opened by then, plus every change effective by then.
const SELECT: &str = "SELECT f.id, f.number, f.name, f.kind, f.region_code, f.ownership, f.status, \
     f.opened_on, f.operator, f.star_grade, f.occupied, f.opening_beds, f.opening_nursing, f.version, \
     CASE WHEN f.opened_on <= $1 THEN f.opening_beds ELSE 0 END \
       + COALESCE((SELECT CAST(SUM(c.beds) AS BIGINT) FROM care_bed_changes c \
                   WHERE c.facility_id = f.id AND c.effective_on <= $1), 0), \
     CASE WHEN f.opened_on <= $1 THEN f.opening_nursing ELSE 0 END \
       + COALESCE((SELECT CAST(SUM(c.nursing_beds) AS BIGINT) FROM care_bed_changes c \
                   WHERE c.facility_id = f.id AND c.effective_on <= $1), 0) \
     FROM care_facilities f";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Facility, sqlx::Error> {
    let bad = |c: &str| sqlx::Error::Decode(format!("care_facilities.{c}").into());
    let kind = FacilityKind::parse(&r.try_get::<String, _>(3)?).ok_or_else(|| bad("kind"))?;
    let ownership =
        Ownership::parse(&r.try_get::<String, _>(5)?).ok_or_else(|| bad("ownership"))?;
    let status = FacilityStatus::parse(&r.try_get::<String, _>(6)?).ok_or_else(|| bad("status"))?;
    Ok(Facility {
        id: r.try_get(0)?,
        number: r.try_get(1)?,
        name: r.try_get(2)?,
        kind,
        kind_label: kind.label(),
        region_code: r.try_get(4)?,
        ownership,
        ownership_label: ownership.label(),
        status,
        status_label: status.label(),
        opened_on: r.try_get(7)?,
        operator: r.try_get(8)?,
        star_grade: r.try_get(9)?,
        occupied: r.try_get(10)?,
        opening_beds: r.try_get(11)?,
        opening_nursing: r.try_get(12)?,
        version: r.try_get(13)?,
        beds: r.try_get(14)?,
        nursing_beds: r.try_get(15)?,
    })
}

/// The facilities within the bounds (of one kind, or all), beds as of `day`.
pub async fn list(
    db: &Db,
    bounds: &(String, String),
    kind: Option<FacilityKind>,
    day: NaiveDate,
) -> Result<Vec<Facility>, sqlx::Error> {
    let mut sql = format!("{SELECT} WHERE f.region_code >= $2 AND f.region_code < $3");
    if kind.is_some() {
        sql.push_str(" AND f.kind = $4");
    }
    sql.push_str(" ORDER BY f.region_code, f.number");
    let mut q = sqlx::query(&sql)
        .bind(day.to_string())
        .bind(&bounds.0)
        .bind(&bounds.1);
    if let Some(k) = kind {
        q = q.bind(k.code());
    }
    q.fetch_all(db.pool()).await?.iter().map(from_row).collect()
}

pub async fn get(db: &Db, id: i64, day: NaiveDate) -> Result<Option<Facility>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE f.id = $2");
    sqlx::query(&sql)
        .bind(day.to_string())
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// Ids of facilities by number, for the ledgers.
pub async fn ids_by_number(
    tx: &mut Transaction<'_, Any>,
) -> Result<std::collections::HashMap<String, (i64, Option<String>)>, sqlx::Error> {
    let rows = sqlx::query("SELECT number, id, opened_on FROM care_facilities")
        .fetch_all(&mut **tx)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?))))
        .collect()
}

/// Creates the facility, or updates the one with its number; the id and whether it is new.
pub async fn save(
    tx: &mut Transaction<'_, Any>,
    f: &NewFacility,
    (by, at): (&str, &str),
) -> Result<(i64, bool), sqlx::Error> {
    let existing: Option<i64> =
        sqlx::query_scalar("SELECT id FROM care_facilities WHERE number = $1")
            .bind(&f.number)
            .fetch_optional(&mut **tx)
            .await?;
    let opened = f.opened_on.map(|d| d.to_string());
    if let Some(id) = existing {
        sqlx::query(
            "UPDATE care_facilities SET name = $1, kind = $2, region_code = $3, ownership = $4, status = $5, \
             opened_on = $6, operator = $7, star_grade = $8, opening_beds = $9, opening_nursing = $10, \
             updated_at = $11, version = version + 1 WHERE id = $12",
        )
        .bind(&f.name)
        .bind(f.kind.code())
        .bind(&f.community)
        .bind(f.ownership.code())
        .bind(f.status.code())
        .bind(opened)
        .bind(&f.operator)
        .bind(f.star_grade)
        .bind(f.beds)
        .bind(f.nursing_beds)
        .bind(at)
        .bind(id)
        .execute(&mut **tx)
        .await?;
        return Ok((id, false));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO care_facilities (number, name, kind, region_code, ownership, status, opened_on, operator, \
         star_grade, opening_beds, opening_nursing, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
    )
    .bind(&f.number)
    .bind(&f.name)
    .bind(f.kind.code())
    .bind(&f.community)
    .bind(f.ownership.code())
    .bind(f.status.code())
    .bind(opened)
    .bind(&f.operator)
    .bind(f.star_grade)
    .bind(f.beds)
    .bind(f.nursing_beds)
    .bind(by)
    .bind(at)
    .fetch_one(&mut **tx)
    .await?;
    Ok((id, true))
}

/// Residents now in the facility (occupancy), under the version check.
pub async fn set_occupied(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    version: i64,
    occupied: i64,
    at: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE care_facilities SET occupied = $1, updated_at = $2, version = version + 1 \
         WHERE id = $3 AND version = $4",
    )
    .bind(occupied)
    .bind(at)
    .bind(id)
    .bind(version)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

/// A dated bed change as stored.
#[derive(Clone, Debug, Serialize)]
pub struct BedChange {
    pub id: i64,
    pub effective_on: String,
    pub beds: i64,
    pub nursing_beds: i64,
    pub note: String,
    pub created_by: String,
}

pub async fn bed_changes(
    executor: impl sqlx::Executor<'_, Database = Any>,
    facility_id: i64,
) -> Result<Vec<BedChange>, sqlx::Error> {
    sqlx::query(
        "SELECT id, effective_on, beds, nursing_beds, note, created_by FROM care_bed_changes \
         WHERE facility_id = $1 ORDER BY effective_on",
    )
    .bind(facility_id)
    .fetch_all(executor)
    .await?
    .iter()
    .map(|r| {
        Ok(BedChange {
            id: r.try_get(0)?,
            effective_on: r.try_get(1)?,
            beds: r.try_get(2)?,
            nursing_beds: r.try_get(3)?,
            note: r.try_get(4)?,
            created_by: r.try_get(5)?,
        })
    })
    .collect()
}

/// The facility's bed events (its opening and every change), for checking a new change;
/// `except` leaves out the change a ledger row replaces.
pub async fn bed_events(
    tx: &mut Transaction<'_, Any>,
    facility_id: i64,
    except: Option<NaiveDate>,
) -> Result<(Option<NaiveDate>, Vec<BedEvent>), sqlx::Error> {
    let r = sqlx::query(
        "SELECT opened_on, opening_beds, opening_nursing FROM care_facilities WHERE id = $1",
    )
    .bind(facility_id)
    .fetch_one(&mut **tx)
    .await?;
    let opened: Option<NaiveDate> = r
        .try_get::<Option<String>, _>(0)?
        .and_then(|d| d.parse().ok());
    let mut events = Vec::new();
    if let Some(on) = opened {
        events.push(BedEvent {
            on,
            beds: r.try_get(1)?,
            nursing: r.try_get(2)?,
        });
    }
    for c in bed_changes(&mut **tx, facility_id).await? {
        let Ok(on) = c.effective_on.parse::<NaiveDate>() else {
            continue;
        };
        if Some(on) != except {
            events.push(BedEvent {
                on,
                beds: c.beds,
                nursing: c.nursing_beds,
            });
        }
    }
    Ok((opened, events))
}

/// Checks a facility about to be saved against the bed changes already recorded for it
/// (a facility with that number): the message for the user, or none.
pub async fn check_saved_history(
    tx: &mut Transaction<'_, Any>,
    f: &NewFacility,
) -> Result<Option<String>, sqlx::Error> {
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM care_facilities WHERE number = $1")
        .bind(&f.number)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(id) = id else {
        return Ok(None);
    };
    let changes: Vec<BedEvent> = bed_changes(&mut **tx, id)
        .await?
        .into_iter()
        .filter_map(|c| {
            Some(BedEvent {
                on: c.effective_on.parse().ok()?,
                beds: c.beds,
                nursing: c.nursing_beds,
            })
        })
        .collect();
    Ok(super::model::check_history(f.opened_on, (f.beds, f.nursing_beds), &changes).err())
}

/// Records the change, or replaces the one of the same facility and day (a ledger
/// imported again).
pub async fn put_bed_change(
    tx: &mut Transaction<'_, Any>,
    facility_id: i64,
    change: BedEvent,
    note: &str,
    (by, at): (&str, &str),
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO care_bed_changes (facility_id, effective_on, beds, nursing_beds, note, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (facility_id, effective_on) DO UPDATE SET beds = excluded.beds, \
         nursing_beds = excluded.nursing_beds, note = excluded.note RETURNING id",
    )
    .bind(facility_id)
    .bind(change.on.to_string())
    .bind(change.beds)
    .bind(change.nursing)
    .bind(note)
    .bind(by)
    .bind(at)
    .fetch_one(&mut **tx)
    .await
}

/// Every bed change of the facilities within the bounds, for the ledger export.
pub async fn all_bed_changes(
    db: &Db,
    bounds: &(String, String),
) -> Result<Vec<(String, String, i64, i64)>, sqlx::Error> {
    sqlx::query(
        "SELECT f.number, c.effective_on, c.beds, c.nursing_beds FROM care_bed_changes c \
         JOIN care_facilities f ON f.id = c.facility_id \
         WHERE f.region_code >= $1 AND f.region_code < $2 ORDER BY f.number, c.effective_on",
    )
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
    .collect()
}

/// A district's target of one kind for a year.
pub async fn set_target(
    tx: &mut Transaction<'_, Any>,
    district: &str,
    year: i32,
    kind: FacilityKind,
    target: i64,
    (by, at): (&str, &str),
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO care_targets (district_code, year, kind, target, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (district_code, year, kind) \
         DO UPDATE SET target = excluded.target, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(district)
    .bind(i64::from(year))
    .bind(kind.code())
    .bind(target)
    .bind(by)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Targets and facilities opened in `year`, per district and kind, within the bounds:
/// ((district, kind) → (target, opened)).
pub async fn progress(
    db: &Db,
    bounds: &(String, String),
    year: i32,
) -> Result<std::collections::BTreeMap<(String, String), (i64, i64)>, sqlx::Error> {
    let mut out: std::collections::BTreeMap<(String, String), (i64, i64)> = Default::default();
    let targets = sqlx::query(
        "SELECT district_code, kind, target FROM care_targets WHERE year = $1 \
         AND district_code >= $2 AND district_code < $3",
    )
    .bind(i64::from(year))
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_all(db.pool())
    .await?;
    for r in &targets {
        out.entry((r.try_get(0)?, r.try_get(1)?)).or_default().0 = r.try_get(2)?;
    }
    let opened = sqlx::query(
        "SELECT substr(region_code, 1, 6), kind, COUNT(*) FROM care_facilities \
         WHERE opened_on >= $1 AND opened_on <= $2 AND region_code >= $3 AND region_code < $4 \
         GROUP BY substr(region_code, 1, 6), kind",
    )
    .bind(format!("{year}-01-01"))
    .bind(format!("{year}-12-31"))
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_all(db.pool())
    .await?;
    for r in &opened {
        out.entry((r.try_get(0)?, r.try_get(1)?)).or_default().1 = r.try_get(2)?;
    }
    Ok(out)
}
