//! Reads what the balance analysis needs for each district of the city, as of a
//! quarter's last day: residents, standards, persons in assistance, staff and trainings,
//! elderly care, community workers and funeral (cremations, body burials, illegal burials
//! and the plots of the cemeteries in use).

use std::collections::HashMap;

use sqlx::Row;

use super::Quarter;
use super::balance::{self, Balance, DistrictInput, FuneralInput};
use super::trend::{self, Trend};
use crate::capacity;
use crate::db::Db;
use crate::region::{Level, Region, UrbanRural};

/// Households and persons in assistance on one day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InForce {
    pub households: i64,
    pub persons: i64,
}

/// In force on one day by (district code, urban/rural, program).
pub type Stock = HashMap<(String, UrbanRural, String), InForce>;

/// One program's households and persons over all districts and areas.
pub fn program_total(stock: &Stock, program: &str) -> InForce {
    stock
        .iter()
        .filter(|((_, _, p), _)| p == program)
        .fold(InForce::default(), |a, (_, v)| InForce {
            households: a.households + v.households,
            persons: a.persons + v.persons,
        })
}

/// Cases in force on each quarter's last day, by district, urban/rural and program:
/// approved on or before the day and not exited by it (a case exited on the day is no
/// longer in force). Two passes over the cases whatever the number of quarters: in force
/// on day D = approved by D minus exited by D, counted by month (quarter ends are month
/// ends, so this is exact). A case recorded as exited before its approval was never in
/// force and is left out of both. Persons are the case's covered persons now (a review
/// may have changed them since).
pub async fn in_force_at_ends(
    db: &Db,
    quarters: &[Quarter],
    bounds: &(String, String),
) -> Result<Vec<Stock>, sqlx::Error> {
    let (Some(first), Some(last)) = (quarters.first(), quarters.last()) else {
        return Ok(Vec::new());
    };
    // Months before the first quarter fall into one bucket "": everything before it.
    let by_month = |column: &str, only: &str| {
        let month = format!("CASE WHEN {column} < $1 THEN '' ELSE substr({column}, 1, 7) END");
        format!(
            "SELECT substr(c.region_code, 1, 6), r.urban_rural, c.program, {month}, COUNT(*), \
             CAST(SUM(c.covered_persons) AS BIGINT) \
             FROM cases c JOIN regions r ON r.code = c.region_code \
             WHERE c.status IN ('active', 'exited') AND c.approved_on IS NOT NULL \
             AND {column} <= $2 AND c.region_code >= $3 AND c.region_code < $4 AND {only} \
             GROUP BY substr(c.region_code, 1, 6), r.urban_rural, c.program, {month}"
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
            let area: Option<String> = r.try_get(1)?;
            let key = (
                r.try_get::<String, _>(0)?,
                area.as_deref()
                    .and_then(UrbanRural::from_code)
                    .unwrap_or(UrbanRural::Urban),
                r.try_get::<String, _>(2)?,
            );
            let month: String = r.try_get(3)?;
            let households: i64 = r.try_get(4)?;
            let persons = r.try_get::<Option<i64>, _>(5)?.unwrap_or(0);
            flows.push((key, month, sign * households, sign * persons));
        }
    }
    Ok(quarters
        .iter()
        .map(|q| {
            // "YYYY-MM" strings order as the months do; "" is before all of them.
            let end = q.last_day().format("%Y-%m").to_string();
            let mut at = Stock::new();
            for (key, month, h, p) in &flows {
                if *month <= end {
                    let e = at.entry(key.clone()).or_default();
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

/// Each district's funeral figures: cremations, body burials and 违规土葬 cases found in
/// the quarter; cemeteries on record; and, of the cemeteries in use (已建成 — the status is
/// today's: a cemetery closed since counts as closed for past quarters too) completed by
/// the quarter's last day, the plots then (at completion plus additions up to the day) and
/// those taken by burials up to the day.
pub async fn funeral(
    db: &Db,
    q: Quarter,
    bounds: &(String, String),
) -> Result<HashMap<String, FuneralInput>, sqlx::Error> {
    let (from, to) = (q.first_day().to_string(), q.last_day().to_string());
    // (district, count) rows of a statement binding the bounds as $1, $2, then the days.
    let pairs = |sql: String, days: &'static [usize]| {
        let args: Vec<String> = days
            .iter()
            .map(|d| if *d == 0 { from.clone() } else { to.clone() })
            .collect();
        async move {
            let mut query = sqlx::query(&sql).bind(&bounds.0).bind(&bounds.1);
            for a in args {
                query = query.bind(a);
            }
            query
                .fetch_all(db.pool())
                .await?
                .iter()
                .map(|r| {
                    Ok((
                        r.try_get::<String, _>(0)?,
                        r.try_get::<Option<i64>, _>(1)?.unwrap_or(0),
                    ))
                })
                .collect::<Result<Vec<(String, i64)>, sqlx::Error>>()
        }
    };
    let in_quarter = |table: &'static str, column: &'static str, only: &'static str| {
        let sql = format!(
            "SELECT substr(region_code, 1, 6), CAST(COUNT(*) AS BIGINT) FROM {table} \
             WHERE region_code >= $1 AND region_code < $2 AND {column} >= $3 AND {column} <= $4 {only} \
             GROUP BY substr(region_code, 1, 6)"
        );
        pairs(sql, &[0, 1])
    };
    let mut out: HashMap<String, FuneralInput> = HashMap::new();
    for (code, n) in in_quarter("cremations", "cremated_on", "").await? {
        out.entry(code).or_default().cremations = n;
    }
    for (code, n) in in_quarter("burials", "buried_on", "AND remains = 'body'").await? {
        out.entry(code).or_default().body_burials = n;
    }
    for (code, n) in in_quarter(
        "funeral_violations",
        "found_on",
        "AND kind = 'illegal_burial'",
    )
    .await?
    {
        out.entry(code).or_default().illegal_burials = n;
    }
    for (code, n) in pairs(
        "SELECT substr(region_code, 1, 6), CAST(COUNT(*) AS BIGINT) FROM cemeteries \
         WHERE region_code >= $1 AND region_code < $2 GROUP BY substr(region_code, 1, 6)"
            .to_string(),
        &[],
    )
    .await?
    {
        out.entry(code).or_default().cemeteries = n;
    }
    for (code, n) in pairs(
        "SELECT substr(c.region_code, 1, 6), CAST(SUM(c.plots + COALESCE((SELECT SUM(a.plots) \
           FROM cemetery_plot_additions a WHERE a.cemetery_id = c.id AND a.added_on <= $3), 0)) AS BIGINT) \
         FROM cemeteries c WHERE c.status = 'completed' AND c.completed_on <= $3 \
         AND c.region_code >= $1 AND c.region_code < $2 GROUP BY substr(c.region_code, 1, 6)"
            .to_string(),
        &[1],
    )
    .await?
    {
        out.entry(code).or_default().capacity = n;
    }
    for (code, n) in pairs(
        "SELECT substr(c.region_code, 1, 6), CAST(COUNT(*) AS BIGINT) FROM burials b \
         JOIN cemeteries c ON c.id = b.cemetery_id \
         WHERE c.status = 'completed' AND c.completed_on <= $3 AND b.takes_plot = 1 \
         AND b.buried_on <= $3 AND c.region_code >= $1 AND c.region_code < $2 \
         GROUP BY substr(c.region_code, 1, 6)"
            .to_string(),
        &[1],
    )
    .await?
    {
        out.entry(code).or_default().taken = n;
    }
    Ok(out)
}

/// Each district's inputs on the quarter's last day, with the cases in force that day.
pub async fn inputs(
    db: &Db,
    q: Quarter,
    city: &Region,
    cases: &Stock,
) -> Result<Vec<DistrictInput>, sqlx::Error> {
    let day = q.last_day();
    let districts: Vec<Region> = crate::region::store::subtree(db, &city.code)
        .await?
        .into_iter()
        .filter(|r| r.level == Level::District)
        .collect();
    let residents = capacity::store::residents_as_of(db, chrono::Datelike::year(&day)).await?;
    let posts = capacity::store::posts(db).await?;
    let trained = attendances(db, q).await?;
    let mut elderly =
        crate::elderly::balance::inputs(db, q.first_day(), day, &city.code.scope().sql_bounds())
            .await?;
    let spent =
        crate::funds::store::spent(db, q.first_day(), day, &city.code.scope().sql_bounds()).await?;
    let mut workers =
        crate::community::workers_store::balance_inputs(db, day, &city.code.scope().sql_bounds())
            .await?;
    let mut funeral = funeral(db, q, &city.code.scope().sql_bounds()).await?;
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
            regular_spent: {
                use crate::funds::model::FundProgram::{Dibao, Tekun};
                let of = |p| spent.get(&(code.clone(), p)).copied();
                match (of(Dibao), of(Tekun)) {
                    (None, None) => None,
                    (a, b) => Some(a.unwrap_or_default() + b.unwrap_or_default()),
                }
            },
            elderly: elderly.remove(&code).unwrap_or_default(),
            community_workers: workers.remove(&code).unwrap_or_default(),
            funeral: funeral.remove(&code).unwrap_or_default(),
            name: d.name,
            code,
        });
    }
    Ok(out)
}

/// The balance analysis of the city's districts for a quarter.
pub async fn analyse(db: &Db, q: Quarter, city: &Region) -> Result<Balance, sqlx::Error> {
    let stock = in_force_at_ends(db, &[q], &city.code.scope().sql_bounds()).await?;
    let inputs = inputs(db, q, city, &stock[0]).await?;
    Ok(balance::analyse(
        &q.to_string(),
        &q.last_day().to_string(),
        &inputs,
    ))
}

/// The analysis with the city's trend over `count` quarters ending with `q`, reading the
/// cases once for both.
pub async fn analyse_with_trend(
    db: &Db,
    q: Quarter,
    city: &Region,
    count: usize,
) -> Result<(Balance, Trend), sqlx::Error> {
    let quarters = trend::span(q, count);
    let stocks = in_force_at_ends(db, &quarters, &city.code.scope().sql_bounds()).await?;
    let last = stocks.last().cloned().unwrap_or_default();
    let inputs = inputs(db, q, city, &last).await?;
    let balance = balance::analyse(&q.to_string(), &q.last_day().to_string(), &inputs);
    let trend = trend::from_stocks(db, city, &quarters, &stocks).await?;
    Ok((balance, trend))
}
