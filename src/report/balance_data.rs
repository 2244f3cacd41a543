//! Reads what the balance analysis needs for each district of the city, as of a
//! quarter's last day: residents, standards, persons in assistance, staff and trainings.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::Row;

use super::Quarter;
use super::balance::{self, Balance, DistrictInput};
use crate::capacity;
use crate::db::Db;
use crate::region::{Level, Region, UrbanRural};

/// Households and persons in assistance on one day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InForce {
    pub households: i64,
    pub persons: i64,
}

/// Cases in force on `day` by district, urban/rural and program: approved on or before
/// the day and not exited by it (a case exited on the day is no longer in force).
/// Persons are the case's covered persons now (a review may have changed them since).
pub async fn in_force(
    db: &Db,
    day: NaiveDate,
    bounds: &(String, String),
) -> Result<HashMap<(String, UrbanRural, String), InForce>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT substr(c.region_code, 1, 6), r.urban_rural, c.program, COUNT(*), \
         CAST(SUM(c.covered_persons) AS BIGINT) \
         FROM cases c JOIN regions r ON r.code = c.region_code \
         WHERE c.status IN ('active', 'exited') AND c.approved_on <= $1 \
         AND (c.exited_on IS NULL OR c.exited_on > $1) \
         AND c.region_code >= $2 AND c.region_code < $3 \
         GROUP BY substr(c.region_code, 1, 6), r.urban_rural, c.program",
    )
    .bind(day.to_string())
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_all(db.pool())
    .await?;
    let mut out = HashMap::new();
    for r in rows {
        let district: String = r.try_get(0)?;
        let area: Option<String> = r.try_get(1)?;
        let area = area
            .as_deref()
            .and_then(UrbanRural::from_code)
            .unwrap_or(UrbanRural::Urban);
        out.insert(
            (district, area, r.try_get::<String, _>(2)?),
            InForce {
                households: r.try_get(3)?,
                persons: r.try_get::<Option<i64>, _>(4)?.unwrap_or(0),
            },
        );
    }
    Ok(out)
}

/// Households and persons in force on each quarter's last day, per program, in two
/// passes over the cases instead of one per quarter: in force on day D = approved by D
/// minus exited by D. Quarter ends are month ends, so counting by month is exact. A case
/// recorded as exited before its approval was never in force and is left out of both.
pub async fn in_force_at_ends(
    db: &Db,
    quarters: &[Quarter],
    bounds: &(String, String),
) -> Result<Vec<HashMap<String, InForce>>, sqlx::Error> {
    let (Some(first), Some(last)) = (quarters.first(), quarters.last()) else {
        return Ok(Vec::new());
    };
    // Months before the first quarter fall into one bucket "": everything before it.
    let by_month = |column: &str, only: &str| {
        format!(
            "SELECT c.program, CASE WHEN {column} < $1 THEN '' ELSE substr({column}, 1, 7) END, \
             COUNT(*), CAST(SUM(c.covered_persons) AS BIGINT) FROM cases c \
             WHERE c.status IN ('active', 'exited') AND c.approved_on IS NOT NULL \
             AND {column} <= $2 AND c.region_code >= $3 AND c.region_code < $4 AND {only} \
             GROUP BY c.program, CASE WHEN {column} < $1 THEN '' ELSE substr({column}, 1, 7) END"
        )
    };
    let mut flows = Vec::new();
    for (sql, sign) in [
        (
            by_month(
                "c.approved_on",
                "(c.exited_on IS NULL OR c.exited_on >= c.approved_on)",
            ),
            1,
        ),
        (
            by_month(
                "c.exited_on",
                "c.exited_on IS NOT NULL AND c.exited_on >= c.approved_on",
            ),
            -1,
        ),
    ] {
        for r in sqlx::query(&sql)
            .bind(first.first_day().to_string())
            .bind(last.last_day().to_string())
            .bind(&bounds.0)
            .bind(&bounds.1)
            .fetch_all(db.pool())
            .await?
        {
            let program: String = r.try_get(0)?;
            let month: String = r.try_get(1)?;
            let households: i64 = r.try_get(2)?;
            let persons = r.try_get::<Option<i64>, _>(3)?.unwrap_or(0);
            flows.push((program, month, sign * households, sign * persons));
        }
    }
    Ok(quarters
        .iter()
        .map(|q| {
            // "YYYY-MM" strings order as the months do; "" is before all of them.
            let end = q.last_day().format("%Y-%m").to_string();
            let mut at: HashMap<String, InForce> = HashMap::new();
            for (program, month, h, p) in &flows {
                if *month <= end {
                    let e = at.entry(program.clone()).or_default();
                    e.households += h;
                    e.persons += p;
                }
            }
            at
        })
        .collect())
}

async fn attendances(db: &Db, q: Quarter) -> Result<HashMap<String, i64>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT district_code, CAST(SUM(attendees) AS BIGINT) FROM staff_trainings \
         WHERE held_on >= $1 AND held_on <= $2 GROUP BY district_code",
    )
    .bind(q.first_day().to_string())
    .bind(q.last_day().to_string())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get::<Option<i64>, _>(1)?.unwrap_or(0))))
        .collect()
}

pub async fn inputs(db: &Db, q: Quarter, city: &Region) -> Result<Vec<DistrictInput>, sqlx::Error> {
    let day = q.last_day();
    let districts: Vec<Region> = crate::region::store::subtree(db, &city.code)
        .await?
        .into_iter()
        .filter(|r| r.level == Level::District)
        .collect();
    let residents = capacity::store::residents_as_of(db, chrono::Datelike::year(&day)).await?;
    let cases = in_force(db, day, &city.code.scope().sql_bounds()).await?;
    let posts = capacity::store::posts(db).await?;
    let trained = attendances(db, q).await?;
    let mut out = Vec::with_capacity(districts.len());
    for d in districts {
        let code = d.code.to_string();
        let persons = |area, program: &str| {
            cases
                .get(&(code.clone(), area, program.to_string()))
                .map_or(0, |v| v.persons)
        };
        let standard = |area| crate::assistance::standards::standard_on(db, &code, area, day);
        let mine = posts.iter().filter(|p| p.district_code == code);
        out.push(DistrictInput {
            residents: residents.get(&code).copied(),
            standard_urban: standard(UrbanRural::Urban).await?,
            standard_rural: standard(UrbanRural::Rural).await?,
            dibao_urban: persons(UrbanRural::Urban, "dibao"),
            dibao_rural: persons(UrbanRural::Rural, "dibao"),
            tekun: persons(UrbanRural::Urban, "tekun") + persons(UrbanRural::Rural, "tekun"),
            authorised: mine.clone().map(|p| p.authorised).sum(),
            filled: mine.map(|p| p.filled).sum(),
            attendances: trained.get(&code).copied().unwrap_or(0),
            name: d.name,
            code,
        });
    }
    Ok(out)
}

/// The balance analysis of the city's districts for a quarter.
pub async fn analyse(db: &Db, q: Quarter, city: &Region) -> Result<Balance, sqlx::Error> {
    let inputs = inputs(db, q, city).await?;
    Ok(balance::analyse(
        &q.to_string(),
        &q.last_day().to_string(),
        &inputs,
    ))
}
