//! SQL for the region tree.

use std::collections::HashSet;

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::model::{Level, Region, RegionCode, UrbanRural};
use crate::db::Db;

fn region_from_row(row: &AnyRow) -> Result<Region, sqlx::Error> {
    let code: String = row.try_get("code")?;
    let level: String = row.try_get("level")?;
    let urban_rural: Option<String> = row.try_get("urban_rural")?;
    let decode =
        |what: &str| sqlx::Error::Decode(format!("regions.{what} has an unknown value").into());
    Ok(Region {
        code: RegionCode::parse(&code).map_err(|_| decode("code"))?,
        name: row.try_get("name")?,
        level: Level::from_code(&level).ok_or_else(|| decode("level"))?,
        urban_rural: match urban_rural {
            Some(s) => Some(UrbanRural::from_code(&s).ok_or_else(|| decode("urban_rural"))?),
            None => None,
        },
        enabled: crate::db::is_set(row.try_get("enabled")?),
    })
}

const COLUMNS: &str = "code, name, level, urban_rural, enabled";

pub async fn get(db: &Db, code: &str) -> Result<Option<Region>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM regions WHERE code = $1");
    sqlx::query(&sql)
        .bind(code)
        .fetch_optional(db.pool())
        .await?
        .map(|r| region_from_row(&r))
        .transpose()
}

/// The city at the root of the tree, if the tree has been loaded.
pub async fn city(db: &Db) -> Result<Option<Region>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM regions WHERE level = 'city'");
    sqlx::query(&sql)
        .fetch_optional(db.pool())
        .await?
        .map(|r| region_from_row(&r))
        .transpose()
}

/// Every node at or below `code`, ordered by code (so parents come before children).
pub async fn subtree(db: &Db, code: &RegionCode) -> Result<Vec<Region>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM regions WHERE code >= $1 AND code < $2 ORDER BY code");
    let (low, high) = code.scope().sql_bounds();
    let rows = sqlx::query(&sql)
        .bind(low)
        .bind(high)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(region_from_row).collect()
}

/// Every code in the tree and the city's code (for checking an import).
pub async fn known_codes(db: &Db) -> Result<(HashSet<String>, Option<String>), sqlx::Error> {
    let rows = sqlx::query("SELECT code, level FROM regions")
        .fetch_all(db.pool())
        .await?;
    let mut codes = HashSet::with_capacity(rows.len());
    let mut city = None;
    for row in rows {
        let code: String = row.try_get("code")?;
        let level: String = row.try_get("level")?;
        if level == "city" {
            city = Some(code.clone());
        }
        codes.insert(code);
    }
    Ok((codes, city))
}

pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) FROM regions")
        .fetch_one(db.pool())
        .await?
        .try_get(0)
}

/// Inserts or updates nodes (parents must come first). Re-importing a file is a no-op.
pub async fn upsert(tx: &mut Transaction<'_, Any>, regions: &[Region]) -> Result<(), sqlx::Error> {
    for r in regions {
        sqlx::query(
            "INSERT INTO regions (code, name, level, parent_code, urban_rural, enabled) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
             urban_rural = excluded.urban_rural, enabled = excluded.enabled",
        )
        .bind(r.code.as_str())
        .bind(&r.name)
        .bind(r.level.code())
        .bind(r.code.parent().map(|p| p.as_str().to_string()))
        .bind(r.urban_rural.map(UrbanRural::code))
        .bind(crate::db::flag(r.enabled))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The districts a user placed at `code` works with: every district of the city for a city
/// user, otherwise the one district `code` lies in.
pub async fn districts_for(db: &Db, code: &RegionCode) -> Result<Vec<Region>, sqlx::Error> {
    if code.level() == Level::City {
        return Ok(subtree(db, code)
            .await?
            .into_iter()
            .filter(|r| r.level == Level::District)
            .collect());
    }
    match code
        .ancestry()
        .into_iter()
        .find(|c| c.level() == Level::District)
    {
        Some(d) => Ok(get(db, d.as_str()).await?.into_iter().collect()),
        None => Ok(Vec::new()),
    }
}
