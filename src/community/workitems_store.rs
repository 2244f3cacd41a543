//! SQL for the two lists: entries reaching a region (issued by its city or district, or
//! within it), adding, removing, and removals counted by month.

use chrono::NaiveDate;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};

use super::workitems::{Entry, ListKind};
use crate::db::Db;
use crate::region::RegionCode;

/// The list entries that reach a region: those issued by the region's ancestors (the
/// city, the district) and those issued within its subtree.
#[derive(Clone, Debug)]
pub struct Reach {
    /// Three codes (the ancestors, padded with the region itself).
    pub ancestors: [String; 3],
    pub bounds: (String, String),
}

impl Reach {
    pub fn of(region: &RegionCode) -> Reach {
        let mut chain: Vec<String> = region
            .ancestry()
            .iter()
            .filter(|c| *c != region)
            .map(ToString::to_string)
            .collect();
        chain.truncate(3);
        while chain.len() < 3 {
            chain.push(region.to_string());
        }
        Reach {
            ancestors: [chain[0].clone(), chain[1].clone(), chain[2].clone()],
            bounds: region.scope().sql_bounds(),
        }
    }

    /// The condition on `column`, its placeholders starting at `$first` (five binds).
    fn condition(column: &str, first: usize) -> String {
        format!(
            "({column} IN (${a}, ${b}, ${c}) OR ({column} >= ${lo} AND {column} < ${hi}))",
            a = first,
            b = first + 1,
            c = first + 2,
            lo = first + 3,
            hi = first + 4
        )
    }

    fn binds(&self) -> [String; 5] {
        [
            self.ancestors[0].clone(),
            self.ancestors[1].clone(),
            self.ancestors[2].clone(),
            self.bounds.0.clone(),
            self.bounds.1.clone(),
        ]
    }
}

fn decode(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("community_list_items.{what} has an unknown value").into())
}

fn date(s: &str, what: &str) -> Result<NaiveDate, sqlx::Error> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| decode(what))
}

const COLUMNS: &str =
    "id, list, region_code, name, basis, added_on, removed_on, removed_reason, version";

fn from_row(r: &AnyRow) -> Result<Entry, sqlx::Error> {
    let list: String = r.try_get("list")?;
    Ok(Entry {
        id: r.try_get("id")?,
        list: ListKind::parse(&list).ok_or_else(|| decode("list"))?,
        region_code: r.try_get("region_code")?,
        name: r.try_get("name")?,
        basis: r.try_get("basis")?,
        added_on: date(&r.try_get::<String, _>("added_on")?, "added_on")?,
        removed_on: r
            .try_get::<Option<String>, _>("removed_on")?
            .map(|s| date(&s, "removed_on"))
            .transpose()?,
        removed_reason: r.try_get("removed_reason")?,
        version: r.try_get("version")?,
    })
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Entry>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM community_list_items WHERE id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// Every entry (current and removed) of both lists reaching `reach`: current ones first,
/// by list, region and name.
pub async fn reaching(conn: &mut AnyConnection, reach: &Reach) -> Result<Vec<Entry>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM community_list_items WHERE {} \
         ORDER BY list, CASE WHEN removed_on IS NULL THEN 0 ELSE 1 END, region_code, name, id",
        Reach::condition("region_code", 1)
    );
    let mut q = sqlx::query(&sql);
    for b in reach.binds() {
        q = q.bind(b);
    }
    q.fetch_all(&mut *conn)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// What a new entry holds, checked.
pub struct NewEntry {
    pub list: ListKind,
    pub region_code: String,
    pub name: String,
    pub basis: String,
    pub added_on: NaiveDate,
}

/// The current entry of the same list, region and name, if any (`(id, added_on)`).
pub async fn current_named(
    tx: &mut Transaction<'_, Any>,
    e: &NewEntry,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query(
        "SELECT id, added_on FROM community_list_items WHERE list = $1 AND region_code = $2 \
         AND name = $3 AND removed_on IS NULL",
    )
    .bind(e.list.code())
    .bind(&e.region_code)
    .bind(&e.name)
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .transpose()
}

pub async fn insert(
    tx: &mut Transaction<'_, Any>,
    e: &NewEntry,
    (by, now): (&str, &str),
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO community_list_items (list, region_code, name, basis, added_on, created_by, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(e.list.code())
    .bind(&e.region_code)
    .bind(&e.name)
    .bind(&e.basis)
    .bind(e.added_on.to_string())
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)
}

/// Removes an entry if it is still at `version` and on the list; false otherwise.
pub async fn remove(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    version: i64,
    (on, reason): (NaiveDate, &str),
    now: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE community_list_items SET removed_on = $1, removed_reason = $2, updated_at = $3, \
         version = version + 1 WHERE id = $4 AND version = $5 AND removed_on IS NULL",
    )
    .bind(on.to_string())
    .bind(reason)
    .bind(now)
    .bind(id)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Entries removed from `from` to `to` (inclusive) reaching `reach`, counted by list and
/// month (`YYYY-MM`).
pub async fn removed_by_month(
    db: &Db,
    reach: &Reach,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(ListKind, String, i64)>, sqlx::Error> {
    let sql = format!(
        "SELECT list, substr(removed_on, 1, 7), COUNT(*) FROM community_list_items \
         WHERE removed_on IS NOT NULL AND removed_on >= $1 AND removed_on <= $2 AND {} \
         GROUP BY list, substr(removed_on, 1, 7)",
        Reach::condition("region_code", 3)
    );
    let mut q = sqlx::query(&sql)
        .bind(from.to_string())
        .bind(to.to_string());
    for b in reach.binds() {
        q = q.bind(b);
    }
    q.fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| {
            let list: String = r.try_get(0)?;
            Ok((
                ListKind::parse(&list).ok_or_else(|| decode("list"))?,
                r.try_get(1)?,
                r.try_get(2)?,
            ))
        })
        .collect()
}
