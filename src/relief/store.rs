//! SQL for patrols and station cases, and the quarter's figures counted from them.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use super::model::{FamilySearch, Group, Outcome, Service, Sex, long_stay, services_of, stay_days};
use crate::db::Db;

#[derive(Clone, Debug, Serialize)]
pub struct Patrol {
    pub id: i64,
    pub patrolled_on: String,
    pub region_code: String,
    pub area: String,
    pub staff: String,
    pub people_met: i64,
    pub brought_in: i64,
    pub notes: String,
}

/// A patrol as entered, checked.
#[derive(Clone, Debug, Serialize)]
pub struct NewPatrol {
    pub patrolled_on: NaiveDate,
    pub region_code: String,
    pub area: String,
    pub staff: String,
    pub people_met: i64,
    pub brought_in: i64,
    pub notes: String,
}

pub async fn add_patrol(
    tx: &mut Transaction<'_, Any>,
    p: &NewPatrol,
    (by, at): (&str, &str),
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO relief_patrols (patrolled_on, region_code, area, staff, people_met, brought_in, notes, \
         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(p.patrolled_on.to_string())
    .bind(&p.region_code)
    .bind(&p.area)
    .bind(&p.staff)
    .bind(p.people_met)
    .bind(p.brought_in)
    .bind(&p.notes)
    .bind(by)
    .bind(at)
    .fetch_one(&mut **tx)
    .await
}

pub async fn patrols(
    db: &Db,
    bounds: &(String, String),
    (from, to): (NaiveDate, NaiveDate),
) -> Result<Vec<Patrol>, sqlx::Error> {
    sqlx::query(
        "SELECT id, patrolled_on, region_code, area, staff, people_met, brought_in, notes FROM relief_patrols \
         WHERE region_code >= $1 AND region_code < $2 AND patrolled_on >= $3 AND patrolled_on <= $4 \
         ORDER BY patrolled_on DESC, id DESC",
    )
    .bind(&bounds.0)
    .bind(&bounds.1)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(Patrol {
            id: r.try_get(0)?,
            patrolled_on: r.try_get(1)?,
            region_code: r.try_get(2)?,
            area: r.try_get(3)?,
            staff: r.try_get(4)?,
            people_met: r.try_get(5)?,
            brought_in: r.try_get(6)?,
            notes: r.try_get(7)?,
        })
    })
    .collect()
}

/// A station case as read, with its stay on the day it was read for.
#[derive(Clone, Debug, Serialize)]
pub struct Case {
    pub id: i64,
    pub region_code: String,
    pub intake_on: String,
    pub name: String,
    pub identity_known: bool,
    /// The sealed ID number: for the web layer to open and mask, never serialised (the
    /// list and the case answer with `id_masked` only).
    #[serde(skip)]
    pub id_sealed: Option<String>,
    /// The ID number masked, filled by the web layer when it opens the sealed one.
    pub id_masked: String,
    pub sex: Sex,
    pub sex_label: &'static str,
    pub group: Group,
    pub group_label: &'static str,
    pub services: Vec<Service>,
    pub service_labels: String,
    pub family_search: FamilySearch,
    pub family_search_label: &'static str,
    pub left_on: Option<String>,
    pub outcome: Option<Outcome>,
    pub outcome_label: &'static str,
    pub notes: String,
    pub version: i64,
    pub stay_days: i64,
    pub long_stay: bool,
    /// Still at the station and over the normal stay: 长期滞留, a flag on an open case,
    /// not a departure outcome (the person has not left).
    pub long_stay_open: bool,
}

const SELECT: &str = "SELECT id, region_code, intake_on, name, identity_known, id_number_sealed, sex, grp, services, \
     family_search, left_on, outcome, notes, version FROM relief_cases";

fn from_row(r: &sqlx::any::AnyRow, today: NaiveDate) -> Result<Case, sqlx::Error> {
    let bad = |c: &str| sqlx::Error::Decode(format!("relief_cases.{c}").into());
    let group = Group::parse(&r.try_get::<String, _>(7)?).ok_or_else(|| bad("grp"))?;
    let search =
        FamilySearch::parse(&r.try_get::<String, _>(9)?).ok_or_else(|| bad("family_search"))?;
    let outcome = r
        .try_get::<Option<String>, _>(11)?
        .and_then(|o| Outcome::parse(&o));
    let intake: String = r.try_get(2)?;
    let left: Option<String> = r.try_get(10)?;
    let days = stay_days(
        intake.parse().unwrap_or(today),
        left.as_deref().and_then(|d| d.parse().ok()),
        today,
    );
    let still_there = left.is_none();
    let services = services_of(&r.try_get::<String, _>(8)?);
    let sex = Sex::parse(&r.try_get::<String, _>(6)?).ok_or_else(|| bad("sex"))?;
    Ok(Case {
        id: r.try_get(0)?,
        region_code: r.try_get(1)?,
        intake_on: intake,
        name: r.try_get(3)?,
        identity_known: r.try_get::<i64, _>(4)? == 1,
        id_sealed: r.try_get(5)?,
        id_masked: String::new(),
        sex,
        sex_label: sex.label(),
        group,
        group_label: group.label(),
        service_labels: services
            .iter()
            .map(|s| s.label())
            .collect::<Vec<_>>()
            .join("、"),
        services,
        family_search: search,
        family_search_label: search.label(),
        left_on: left,
        outcome,
        outcome_label: outcome.map_or("在站", Outcome::label),
        notes: r.try_get(12)?,
        version: r.try_get(13)?,
        stay_days: days,
        long_stay: long_stay(days),
        long_stay_open: still_there && long_stay(days),
    })
}

/// A case at intake, checked.
#[derive(Clone, Debug)]
pub struct NewCase {
    pub region_code: String,
    pub intake_on: NaiveDate,
    pub name: String,
    /// Sealed ID and its blind index, when the identity is known.
    pub id: Option<(String, String)>,
    pub sex: Sex,
    pub group: Group,
    pub services: String,
    pub family_search: FamilySearch,
    pub notes: String,
}

pub async fn add_case(
    tx: &mut Transaction<'_, Any>,
    c: &NewCase,
    (by, at): (&str, &str),
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO relief_cases (region_code, intake_on, name, identity_known, id_number_sealed, id_number_index, \
         sex, grp, services, family_search, notes, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(&c.region_code)
    .bind(c.intake_on.to_string())
    .bind(&c.name)
    .bind(i64::from(c.id.is_some()))
    .bind(c.id.as_ref().map(|i| i.0.clone()))
    .bind(c.id.as_ref().map(|i| i.1.clone()))
    .bind(c.sex.code())
    .bind(c.group.code())
    .bind(&c.services)
    .bind(c.family_search.code())
    .bind(&c.notes)
    .bind(by)
    .bind(at)
    .fetch_one(&mut **tx)
    .await
}

pub async fn cases(
    db: &Db,
    bounds: &(String, String),
    today: NaiveDate,
) -> Result<Vec<Case>, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE region_code >= $1 AND region_code < $2 ORDER BY left_on IS NOT NULL, intake_on DESC, id DESC"
    );
    sqlx::query(&sql)
        .bind(&bounds.0)
        .bind(&bounds.1)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| from_row(r, today))
        .collect()
}

pub async fn case(db: &Db, id: i64, today: NaiveDate) -> Result<Option<Case>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .map(|r| from_row(&r, today))
        .transpose()
}

/// Services given and the family search, under the version check.
pub async fn update_care(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    version: i64,
    (services, search, notes): (&str, FamilySearch, &str),
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE relief_cases SET services = $1, family_search = $2, notes = $3, version = version + 1 \
         WHERE id = $4 AND version = $5 AND left_on IS NULL",
    )
    .bind(services)
    .bind(search.code())
    .bind(notes)
    .bind(id)
    .bind(version)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

/// The person's open case (not yet left), other than `except`: id, region, name and
/// intake day. One person cannot be at a station twice at once, whichever station.
pub async fn open_case_of(
    tx: &mut Transaction<'_, Any>,
    index: &str,
    except: Option<i64>,
) -> Result<Option<(i64, String, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, region_code, name, intake_on FROM relief_cases \
         WHERE id_number_index = $1 AND left_on IS NULL AND id <> $2 ORDER BY id LIMIT 1",
    )
    .bind(index)
    .bind(except.unwrap_or(0))
    .fetch_optional(&mut **tx)
    .await
}

/// The identity found later (补录身份): name, sealed ID and its index, and the sex and
/// group as the card shows them, under the version check, on an open case only.
pub struct Identity<'a> {
    pub name: &'a str,
    pub sealed: &'a str,
    pub index: &'a str,
    pub sex: Sex,
    pub group: Group,
}

pub async fn record_identity(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    version: i64,
    who: &Identity<'_>,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE relief_cases SET name = $1, identity_known = 1, id_number_sealed = $2, id_number_index = $3, \
         sex = $4, grp = $5, version = version + 1 WHERE id = $6 AND version = $7 AND left_on IS NULL",
    )
    .bind(who.name)
    .bind(who.sealed)
    .bind(who.index)
    .bind(who.sex.code())
    .bind(who.group.code())
    .bind(id)
    .bind(version)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

/// The departure with its outcome, under the version check.
pub async fn depart(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    version: i64,
    (left, outcome): (NaiveDate, Outcome),
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE relief_cases SET left_on = $1, outcome = $2, version = version + 1 \
         WHERE id = $3 AND version = $4 AND left_on IS NULL",
    )
    .bind(left.to_string())
    .bind(outcome.code())
    .bind(id)
    .bind(version)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

/// A quarter's figures (DOMAIN.md §6): people taken in, returned home, reunited with
/// their family, and stays over the normal length.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Figures {
    pub helped: i64,
    pub returned: i64,
    pub reunited: i64,
    pub long_stays: i64,
    pub patrols: i64,
    pub brought_in: i64,
}

/// People helped = taken in during the period; returned and reunited = left during it
/// with that outcome; long stays = at the station some time in the period and there over
/// the normal length by its end (or their departure).
pub async fn figures(
    db: &Db,
    bounds: &(String, String),
    (from, to): (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> Result<Figures, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE region_code >= $1 AND region_code < $2 AND intake_on <= $3 \
         AND (left_on IS NULL OR left_on >= $4)"
    );
    let rows = sqlx::query(&sql)
        .bind(&bounds.0)
        .bind(&bounds.1)
        .bind(to.to_string())
        .bind(from.to_string())
        .fetch_all(db.pool())
        .await?;
    let mut f = Figures::default();
    for r in &rows {
        let c = from_row(r, today)?;
        let (intake, left) = (c.intake_on.as_str(), c.left_on.as_deref());
        let (from_s, to_s) = (from.to_string(), to.to_string());
        if intake >= from_s.as_str() {
            f.helped += 1;
        }
        let left_in = left.is_some_and(|l| l >= from_s.as_str() && l <= to_s.as_str());
        f.returned += i64::from(left_in && c.outcome == Some(Outcome::Returned));
        f.reunited += i64::from(left_in && c.outcome == Some(Outcome::Reunited));
        // The stay as it stood at the period's end (or the departure, if earlier).
        let end = to.min(today);
        let left_by_end = left
            .and_then(|l| l.parse::<NaiveDate>().ok())
            .map(|l| l.min(end));
        let days = stay_days(intake.parse().unwrap_or(end), left_by_end, end);
        f.long_stays += i64::from(long_stay(days));
    }
    let (patrols, brought): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), CAST(SUM(brought_in) AS BIGINT) FROM relief_patrols \
         WHERE region_code >= $1 AND region_code < $2 AND patrolled_on >= $3 AND patrolled_on <= $4",
    )
    .bind(&bounds.0)
    .bind(&bounds.1)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_one(db.pool())
    .await?;
    f.patrols = patrols;
    f.brought_in = brought.unwrap_or(0);
    Ok(f)
}
