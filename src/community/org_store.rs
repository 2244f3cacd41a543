//! SQL for social organisations: the registry with its status history, yearly
//! inspections, welfare activities, and cases against illegal organisations.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use super::model::{ActivityField, InspectionResult, OrgKind, OrgStatus};
use crate::db::Db;

#[derive(Clone, Debug, Serialize)]
pub struct Org {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    pub kind: OrgKind,
    pub kind_label: &'static str,
    pub region_code: String,
    pub registered_on: String,
    pub status: OrgStatus,
    pub status_label: &'static str,
    pub ended_on: Option<String>,
    pub version: i64,
}

const SELECT: &str = "SELECT id, uscc, name, kind, region_code, registered_on, status, ended_on, version FROM social_orgs";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Org, sqlx::Error> {
    let bad = |c: &str| sqlx::Error::Decode(format!("social_orgs.{c}").into());
    let kind = OrgKind::parse(&r.try_get::<String, _>(3)?).ok_or_else(|| bad("kind"))?;
    let status = OrgStatus::parse(&r.try_get::<String, _>(6)?).ok_or_else(|| bad("status"))?;
    Ok(Org {
        id: r.try_get(0)?,
        uscc: r.try_get(1)?,
        name: r.try_get(2)?,
        kind,
        kind_label: kind.label(),
        region_code: r.try_get(4)?,
        registered_on: r.try_get(5)?,
        status,
        status_label: status.label(),
        ended_on: r.try_get(7)?,
        version: r.try_get(8)?,
    })
}

impl Org {
    pub fn registered(&self) -> Option<NaiveDate> {
        self.registered_on.parse().ok()
    }
    pub fn ended(&self) -> Option<NaiveDate> {
        self.ended_on.as_deref().and_then(|d| d.parse().ok())
    }
}

/// The organisations registered by authorities within the bounds.
pub async fn list(db: &Db, bounds: &(String, String)) -> Result<Vec<Org>, sqlx::Error> {
    let sql =
        format!("{SELECT} WHERE region_code >= $1 AND region_code < $2 ORDER BY region_code, name");
    sqlx::query(&sql)
        .bind(&bounds.0)
        .bind(&bounds.1)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(from_row)
        .collect()
}

pub async fn get(
    executor: impl sqlx::Executor<'_, Database = Any>,
    id: i64,
) -> Result<Option<Org>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(executor)
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

pub async fn by_uscc(
    tx: &mut Transaction<'_, Any>,
    uscc: &str,
) -> Result<Option<Org>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE uscc = $1");
    sqlx::query(&sql)
        .bind(uscc)
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// An organisation as registered (a form or a ledger row), checked.
#[derive(Clone, Debug, Serialize)]
pub struct NewOrg {
    pub uscc: String,
    pub name: String,
    pub kind: OrgKind,
    pub region_code: String,
    pub registered_on: NaiveDate,
    pub status: OrgStatus,
    pub ended_on: Option<NaiveDate>,
}

/// Registers the organisation or updates the one with its USCC; a change of status is
/// written into its history. The id and whether it is new.
pub async fn save(
    tx: &mut Transaction<'_, Any>,
    o: &NewOrg,
    reason: &str,
    (by, at): (&str, &str),
) -> Result<(i64, bool), sqlx::Error> {
    let before = by_uscc(tx, &o.uscc).await?;
    let ended = o.ended_on.map(|d| d.to_string());
    let unchanged = before.as_ref().is_some_and(|b| {
        b.name == o.name
            && b.kind == o.kind
            && b.region_code == o.region_code
            && b.registered() == Some(o.registered_on)
            && b.status == o.status
            && b.ended() == o.ended_on
    });
    if unchanged {
        // Nothing to write: an open form's version stays good.
        return Ok((before.map_or(0, |b| b.id), false));
    }
    let (id, created) = match &before {
        Some(b) => {
            sqlx::query(
                "UPDATE social_orgs SET name = $1, kind = $2, region_code = $3, registered_on = $4, \
                 status = $5, ended_on = $6, version = version + 1 WHERE id = $7",
            )
            .bind(&o.name)
            .bind(o.kind.code())
            .bind(&o.region_code)
            .bind(o.registered_on.to_string())
            .bind(o.status.code())
            .bind(&ended)
            .bind(b.id)
            .execute(&mut **tx)
            .await?;
            (b.id, false)
        }
        None => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO social_orgs (uscc, name, kind, region_code, registered_on, status, ended_on, \
                 created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(&o.uscc)
            .bind(&o.name)
            .bind(o.kind.code())
            .bind(&o.region_code)
            .bind(o.registered_on.to_string())
            .bind(o.status.code())
            .bind(&ended)
            .bind(by)
            .bind(at)
            .fetch_one(&mut **tx)
            .await?;
            (id, true)
        }
    };
    // The history: a new organisation starts as 正常 on its registration day; a status
    // reached later is dated by its end date, or (a ledger has no other date for 活动异常)
    // by the day it was recorded, which the reason says.
    let today: NaiveDate = at
        .get(..10)
        .and_then(|d| d.parse().ok())
        .unwrap_or(o.registered_on);
    if created {
        history(tx, id, OrgStatus::Normal, o.registered_on, reason, (by, at)).await?;
    }
    let status_changed = before.as_ref().map_or(o.status != OrgStatus::Normal, |b| {
        b.status != o.status || b.ended() != o.ended_on
    });
    if status_changed {
        let (since, why) = match o.ended_on {
            Some(end) => (end, reason.to_string()),
            None => (today, format!("{reason}（未写变更日期，以记录之日为准）")),
        };
        history(tx, id, o.status, since, &why, (by, at)).await?;
    }
    Ok((id, created))
}

async fn history(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    status: OrgStatus,
    since: NaiveDate,
    reason: &str,
    (by, at): (&str, &str),
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO social_org_statuses (org_id, status, since, reason, changed_by, changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(status.code())
    .bind(since.to_string())
    .bind(reason)
    .bind(by)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Changes the status from a day with the reason, under the version check.
pub async fn change_status(
    tx: &mut Transaction<'_, Any>,
    org: &Org,
    version: i64,
    (to, since): (OrgStatus, NaiveDate),
    reason: &str,
    who: (&str, &str),
) -> Result<bool, sqlx::Error> {
    let ended = to.ended().then(|| since.to_string());
    let moved = sqlx::query(
        "UPDATE social_orgs SET status = $1, ended_on = $2, version = version + 1 WHERE id = $3 AND version = $4",
    )
    .bind(to.code())
    .bind(ended)
    .bind(org.id)
    .bind(version)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    if moved {
        history(tx, org.id, to, since, reason, who).await?;
    }
    Ok(moved)
}

#[derive(Clone, Debug, Serialize)]
pub struct StatusChange {
    pub status_label: &'static str,
    pub since: String,
    pub reason: String,
    pub changed_by: String,
}

pub async fn statuses(db: &Db, id: i64) -> Result<Vec<StatusChange>, sqlx::Error> {
    sqlx::query(
        "SELECT status, since, reason, changed_by FROM social_org_statuses WHERE org_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(StatusChange {
            status_label: OrgStatus::parse(&r.try_get::<String, _>(0)?).map_or("", OrgStatus::label),
            since: r.try_get(1)?,
            reason: r.try_get(2)?,
            changed_by: r.try_get(3)?,
        })
    })
    .collect()
}

/// Records (or corrects) the inspection of a work year.
pub async fn put_inspection(
    tx: &mut Transaction<'_, Any>,
    org: i64,
    year: i32,
    result: InspectionResult,
    on: NaiveDate,
    (by, at): (&str, &str),
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO social_org_inspections (org_id, year, result, inspected_on, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (org_id, year) DO UPDATE SET result = excluded.result, \
         inspected_on = excluded.inspected_on, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
    )
    .bind(org)
    .bind(i64::from(year))
    .bind(result.code())
    .bind(on.to_string())
    .bind(by)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every organisation's inspections within the bounds: org id → (year, result).
pub async fn inspections(
    db: &Db,
    bounds: &(String, String),
) -> Result<std::collections::HashMap<i64, Vec<(i32, InspectionResult)>>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT i.org_id, i.year, i.result FROM social_org_inspections i JOIN social_orgs o ON o.id = i.org_id \
         WHERE o.region_code >= $1 AND o.region_code < $2 ORDER BY i.year DESC",
    )
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_all(db.pool())
    .await?;
    let mut out: std::collections::HashMap<i64, Vec<(i32, InspectionResult)>> = Default::default();
    for r in &rows {
        if let Some(result) = InspectionResult::parse(&r.try_get::<String, _>(2)?) {
            out.entry(r.try_get(0)?)
                .or_default()
                .push((r.try_get::<i64, _>(1)? as i32, result));
        }
    }
    Ok(out)
}

#[derive(Clone, Debug, Serialize)]
pub struct Activity {
    pub id: i64,
    pub held_on: String,
    pub name: String,
    pub field_label: &'static str,
    pub beneficiaries: i64,
}

/// Records an activity; None when the organisation has one of that name that day.
pub async fn add_activity(
    tx: &mut Transaction<'_, Any>,
    org: i64,
    (on, name): (NaiveDate, &str),
    field: ActivityField,
    beneficiaries: i64,
    (by, at): (&str, &str),
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO welfare_activities (org_id, held_on, name, field, beneficiaries, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (org_id, held_on, name) DO NOTHING RETURNING id",
    )
    .bind(org)
    .bind(on.to_string())
    .bind(name)
    .bind(field.code())
    .bind(beneficiaries)
    .bind(by)
    .bind(at)
    .fetch_optional(&mut **tx)
    .await
}

pub async fn activities(db: &Db, org: i64) -> Result<Vec<Activity>, sqlx::Error> {
    sqlx::query(
        "SELECT id, held_on, name, field, beneficiaries FROM welfare_activities WHERE org_id = $1 ORDER BY held_on DESC",
    )
    .bind(org)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(Activity {
            id: r.try_get(0)?,
            held_on: r.try_get(1)?,
            name: r.try_get(2)?,
            field_label: ActivityField::parse(&r.try_get::<String, _>(3)?).map_or("", ActivityField::label),
            beneficiaries: r.try_get(4)?,
        })
    })
    .collect()
}

#[derive(Clone, Debug, Serialize)]
pub struct IllegalOrg {
    pub id: i64,
    pub name: String,
    pub region_code: String,
    pub found_on: String,
    pub description: String,
    pub banned_on: Option<String>,
    pub handling: Option<String>,
    pub version: i64,
}

pub async fn illegal(db: &Db, bounds: &(String, String)) -> Result<Vec<IllegalOrg>, sqlx::Error> {
    sqlx::query(
        "SELECT id, name, region_code, found_on, description, banned_on, handling, version FROM illegal_orgs \
         WHERE region_code >= $1 AND region_code < $2 ORDER BY found_on DESC",
    )
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(IllegalOrg {
            id: r.try_get(0)?,
            name: r.try_get(1)?,
            region_code: r.try_get(2)?,
            found_on: r.try_get(3)?,
            description: r.try_get(4)?,
            banned_on: r.try_get(5)?,
            handling: r.try_get(6)?,
            version: r.try_get(7)?,
        })
    })
    .collect()
}

pub async fn add_illegal(
    tx: &mut Transaction<'_, Any>,
    (name, region, found_on, description): (&str, &str, NaiveDate, &str),
    (by, at): (&str, &str),
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO illegal_orgs (name, region_code, found_on, description, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(name)
    .bind(region)
    .bind(found_on.to_string())
    .bind(description)
    .bind(by)
    .bind(at)
    .fetch_one(&mut **tx)
    .await
}

/// 取缔: banned on a day with how it was handled. False when changed since `version` or
/// banned already.
pub async fn ban(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    version: i64,
    on: NaiveDate,
    handling: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE illegal_orgs SET banned_on = $1, handling = $2, version = version + 1 \
         WHERE id = $3 AND version = $4 AND banned_on IS NULL",
    )
    .bind(on.to_string())
    .bind(handling)
    .bind(id)
    .bind(version)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}
