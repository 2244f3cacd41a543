//! SQL for older people and their visits, and the link to 特困/低保 through the ID's
//! blind index: a person is 特困 or 低保 when a covered member with the same index
//! belongs to a household whose case of that program is in force ('active').

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};

use super::people::{AbilityLevel, LeftReason, Living, NewPerson};
use crate::db::Db;
use crate::protect::Sealed;

/// An older person as stored, with the day of the last visit.
#[derive(Clone, Debug, Serialize)]
pub struct Person {
    pub id: i64,
    #[serde(skip)]
    pub id_sealed: String,
    #[serde(skip)]
    pub id_index: String,
    pub name: String,
    pub birth_date: NaiveDate,
    pub sex: String,
    pub region_code: String,
    pub ability: Option<AbilityLevel>,
    pub assessed_on: Option<NaiveDate>,
    pub living: Living,
    #[serde(skip)]
    pub phone_sealed: Option<String>,
    /// The person's own interval (`None`: the default of the living situation).
    pub visit_every_days: Option<u32>,
    pub registered_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
    pub left_reason: Option<LeftReason>,
    pub version: i64,
    pub last_visit: Option<NaiveDate>,
}

impl Person {
    pub fn active(&self) -> bool {
        self.left_on.is_none()
    }
}

fn decode(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("older_people.{what} has an unknown value").into())
}

pub(crate) fn date(s: &str, what: &str) -> Result<NaiveDate, sqlx::Error> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| decode(what))
}

fn opt_date(s: Option<String>, what: &str) -> Result<Option<NaiveDate>, sqlx::Error> {
    s.map(|s| date(&s, what)).transpose()
}

const COLUMNS: &str = "p.id, p.id_number_sealed, p.id_number_index, p.name, p.birth_date, p.sex, \
    p.region_code, p.ability_level, p.assessed_on, p.living, p.phone_sealed, p.visit_every_days, \
    p.registered_on, p.left_on, p.left_reason, p.version, \
    (SELECT MAX(v.visited_on) FROM older_visits v WHERE v.person_id = p.id) AS last_visit";

fn from_row(r: &AnyRow) -> Result<Person, sqlx::Error> {
    let living: String = r.try_get("living")?;
    Ok(Person {
        id: r.try_get("id")?,
        id_sealed: r.try_get("id_number_sealed")?,
        id_index: r.try_get("id_number_index")?,
        name: r.try_get("name")?,
        birth_date: date(&r.try_get::<String, _>("birth_date")?, "birth_date")?,
        sex: r.try_get("sex")?,
        region_code: r.try_get("region_code")?,
        ability: match r.try_get::<Option<i64>, _>("ability_level")? {
            Some(n) => Some(AbilityLevel::from_number(n).ok_or_else(|| decode("ability_level"))?),
            None => None,
        },
        assessed_on: opt_date(r.try_get("assessed_on")?, "assessed_on")?,
        living: Living::parse(&living).ok_or_else(|| decode("living"))?,
        phone_sealed: r.try_get("phone_sealed")?,
        visit_every_days: r
            .try_get::<Option<i64>, _>("visit_every_days")?
            .and_then(|n| u32::try_from(n).ok()),
        registered_on: date(&r.try_get::<String, _>("registered_on")?, "registered_on")?,
        left_on: opt_date(r.try_get("left_on")?, "left_on")?,
        left_reason: r
            .try_get::<Option<String>, _>("left_reason")?
            .as_deref()
            .and_then(LeftReason::parse),
        version: r.try_get("version")?,
        last_visit: opt_date(r.try_get("last_visit")?, "last_visit")?,
    })
}

/// The one registered under an ID's blind index, if any (`(id, region_code)`).
pub async fn by_index(
    conn: &mut AnyConnection,
    index: &str,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query("SELECT id, region_code FROM older_people WHERE id_number_index = $1")
        .bind(index)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .transpose()
}

/// Stores a registration; returns the new id.
pub async fn insert(
    tx: &mut Transaction<'_, Any>,
    p: &NewPerson,
    id: &Sealed,
    phone: Option<&Sealed>,
    region_code: &str,
    (by, now, today): (&str, &str, NaiveDate),
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO older_people (id_number_sealed, id_number_index, name, birth_date, sex, region_code, \
         ability_level, assessed_on, living, phone_sealed, visit_every_days, registered_on, created_by, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) \
         RETURNING id",
    )
    .bind(&id.sealed)
    .bind(&id.index)
    .bind(&p.name)
    .bind(p.id.birth_date().to_string())
    .bind(match p.id.sex() {
        crate::ids::Sex::Male => "male",
        crate::ids::Sex::Female => "female",
    })
    .bind(region_code)
    .bind(p.assessment.map(|(l, _)| l.number()))
    .bind(p.assessment.map(|(_, d)| d.to_string()))
    .bind(p.living.code())
    .bind(phone.map(|s| s.sealed.clone()))
    .bind(p.own_interval.map(i64::from))
    .bind(today.to_string())
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Person>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM older_people p WHERE p.id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// What a list may be narrowed to (all optional; codes already checked).
#[derive(Clone, Debug, Default, serde::Deserialize, Serialize)]
pub struct Filter {
    /// A street or community inside the user's scope.
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub living: String,
    /// An ability level 0–4, or `none` for not assessed.
    #[serde(default)]
    pub level: String,
    /// `left` for registrations that ended; otherwise the current ones.
    #[serde(default)]
    pub status: String,
    pub page: Option<i64>,
}

/// People in `bounds` matching `filter`, by community and name; with the total count.
pub async fn list(
    db: &Db,
    bounds: &(String, String),
    filter: &Filter,
    limit: i64,
) -> Result<(Vec<Person>, i64), sqlx::Error> {
    let mut wheres = vec!["p.region_code >= $1 AND p.region_code < $2".to_string()];
    let mut binds: Vec<String> = vec![bounds.0.clone(), bounds.1.clone()];
    if !filter.region.is_empty() {
        let (low, high) = crate::db::prefix_bounds(&filter.region);
        binds.push(low);
        binds.push(high);
        wheres.push(format!(
            "p.region_code >= ${} AND p.region_code < ${}",
            binds.len() - 1,
            binds.len()
        ));
    }
    if !filter.living.is_empty() {
        binds.push(filter.living.clone());
        wheres.push(format!("p.living = ${}", binds.len()));
    }
    match filter.level.as_str() {
        "" => {}
        "none" => wheres.push("p.ability_level IS NULL".into()),
        level => {
            binds.push(level.to_string());
            wheres.push(format!("CAST(p.ability_level AS TEXT) = ${}", binds.len()));
        }
    }
    wheres.push(if filter.status == "left" {
        "p.left_on IS NOT NULL".into()
    } else {
        "p.left_on IS NULL".into()
    });
    let cond = wheres.join(" AND ");
    let count_sql = format!("SELECT COUNT(*) FROM older_people p WHERE {cond}");
    let mut q = sqlx::query(&count_sql);
    for b in &binds {
        q = q.bind(b.clone());
    }
    let total: i64 = q.fetch_one(db.pool()).await?.try_get(0)?;
    let offset = crate::web::paging::offset(filter.page, limit);
    let sql = format!(
        "SELECT {COLUMNS} FROM older_people p WHERE {cond} ORDER BY p.region_code, p.name, p.id \
         LIMIT {limit} OFFSET {offset}"
    );
    let mut q = sqlx::query(&sql);
    for b in &binds {
        q = q.bind(b.clone());
    }
    let rows = q.fetch_all(db.pool()).await?;
    Ok((rows.iter().map(from_row).collect::<Result<_, _>>()?, total))
}

/// People in `bounds` found by the ID's blind index or by name.
pub async fn find(
    db: &Db,
    bounds: &(String, String),
    index: Option<&str>,
    name: &str,
) -> Result<Vec<Person>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM older_people p WHERE p.region_code >= $1 AND p.region_code < $2 \
         AND (p.id_number_index = $3 OR p.name = $4) ORDER BY p.region_code, p.id LIMIT 200"
    );
    let rows = sqlx::query(&sql)
        .bind(&bounds.0)
        .bind(&bounds.1)
        .bind(index.unwrap_or(""))
        .bind(name)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(from_row).collect()
}

/// Current registrations in `bounds` (for the visit schedule).
pub async fn current(db: &Db, bounds: &(String, String)) -> Result<Vec<Person>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM older_people p WHERE p.region_code >= $1 AND p.region_code < $2 \
         AND p.left_on IS NULL ORDER BY p.region_code, p.name, p.id"
    );
    let rows = sqlx::query(&sql)
        .bind(&bounds.0)
        .bind(&bounds.1)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(from_row).collect()
}

/// 特困/低保 in force: `(tekun, dibao)` per person id, for the people in `bounds` (or
/// for the one person `only`).
pub async fn programs(
    conn: &mut AnyConnection,
    bounds: &(String, String),
    only: Option<i64>,
) -> Result<HashMap<i64, (bool, bool)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT DISTINCT p.id, c.program FROM older_people p \
         JOIN members m ON m.id_number_index = p.id_number_index \
         JOIN cases c ON c.household_id = m.household_id \
         WHERE m.covered = 1 AND c.status = 'active' AND c.program IN ('tekun', 'dibao') \
         AND p.region_code >= $1 AND p.region_code < $2 AND ($3 = 0 OR p.id = $3)",
    )
    .bind(&bounds.0)
    .bind(&bounds.1)
    .bind(only.unwrap_or(0))
    .fetch_all(&mut *conn)
    .await?;
    let mut out: HashMap<i64, (bool, bool)> = HashMap::new();
    for r in rows {
        let program: String = r.try_get(1)?;
        let entry = out.entry(r.try_get(0)?).or_default();
        if program == "tekun" {
            entry.0 = true;
        } else {
            entry.1 = true;
        }
    }
    Ok(out)
}

/// What an update may change.
pub struct Changes {
    pub assessment: Option<(AbilityLevel, NaiveDate)>,
    pub living: Living,
    pub own_interval: Option<u32>,
    /// `None`: keep the phone; `Some(None)`: remove it.
    pub phone: Option<Option<Sealed>>,
}

/// Applies `changes` if the row is still at `version`; false when someone changed it first.
pub async fn update(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    version: i64,
    c: &Changes,
    now: &str,
) -> Result<bool, sqlx::Error> {
    let (phone_set, phone) = match &c.phone {
        None => (0, None),
        Some(p) => (1, p.as_ref().map(|s| s.sealed.clone())),
    };
    let done = sqlx::query(
        "UPDATE older_people SET ability_level = $1, assessed_on = $2, living = $3, visit_every_days = $4, \
         phone_sealed = CASE WHEN $5 = 1 THEN $6 ELSE phone_sealed END, updated_at = $7, version = version + 1 \
         WHERE id = $8 AND version = $9 AND left_on IS NULL",
    )
    .bind(c.assessment.map(|(l, _)| l.number()))
    .bind(c.assessment.map(|(_, d)| d.to_string()))
    .bind(c.living.code())
    .bind(c.own_interval.map(i64::from))
    .bind(phone_set)
    .bind(phone)
    .bind(now)
    .bind(id)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends a registration (death, moved away) if still at `version`.
pub async fn leave(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    version: i64,
    on: NaiveDate,
    reason: LeftReason,
    now: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE older_people SET left_on = $1, left_reason = $2, updated_at = $3, version = version + 1 \
         WHERE id = $4 AND version = $5 AND left_on IS NULL",
    )
    .bind(on.to_string())
    .bind(reason.code())
    .bind(now)
    .bind(id)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A visit as stored.
#[derive(Clone, Debug, Serialize)]
pub struct Visit {
    pub id: i64,
    pub visited_on: String,
    pub way: String,
    pub visitor: String,
    pub notes: String,
    pub order_id: Option<i64>,
    pub created_by: String,
}

impl Visit {
    pub fn way_label(&self) -> &'static str {
        if self.way == "phone" {
            "电话"
        } else {
            "上门"
        }
    }
}

/// A visit to record: day, `home` or `phone`, who visited, notes, and the home-care
/// order it came from (a served 探访关爱 order).
pub struct NewVisit<'a> {
    pub visited_on: NaiveDate,
    pub way: &'a str,
    pub visitor: &'a str,
    pub notes: &'a str,
    pub order_id: Option<i64>,
}

pub async fn add_visit(
    tx: &mut Transaction<'_, Any>,
    person_id: i64,
    v: &NewVisit<'_>,
    by: &str,
    now: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO older_visits (person_id, visited_on, way, visitor, notes, order_id, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(person_id)
    .bind(v.visited_on.to_string())
    .bind(v.way)
    .bind(v.visitor)
    .bind(v.notes)
    .bind(v.order_id)
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)
}

/// A person's visits, newest first.
pub async fn visits(db: &Db, person_id: i64) -> Result<Vec<Visit>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, visited_on, way, visitor, notes, order_id, created_by FROM older_visits \
         WHERE person_id = $1 ORDER BY visited_on DESC, id DESC",
    )
    .bind(person_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Visit {
                id: r.try_get("id")?,
                visited_on: r.try_get("visited_on")?,
                way: r.try_get("way")?,
                visitor: r.try_get("visitor")?,
                notes: r.try_get("notes")?,
                order_id: r.try_get("order_id")?,
                created_by: r.try_get("created_by")?,
            })
        })
        .collect()
}
