//! What the balance analysis takes from elderly care, per district on a day: beds in
//! effect, communities and villages with a day-care centre or happiness home in
//! operation, institutions and their inspections in the quarter.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::Row;

use crate::db::Db;
use crate::report::balance::ElderlyInput;

/// Each district's figures (by the first six digits of the facility's community).
pub async fn inputs(
    db: &Db,
    from: NaiveDate,
    day: NaiveDate,
    bounds: &(String, String),
) -> Result<HashMap<String, ElderlyInput>, sqlx::Error> {
    let mut out: HashMap<String, ElderlyInput> = HashMap::new();
    let (day, from) = (day.to_string(), from.to_string());
    // (district, count) rows of a statement binding the bounds as $1, $2, then `more`.
    let pairs = |sql: &'static str, more: Vec<String>| async move {
        let mut q = sqlx::query(sql).bind(&bounds.0).bind(&bounds.1);
        for m in more {
            q = q.bind(m);
        }
        q.fetch_all(db.pool())
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>(0)?,
                    r.try_get::<Option<i64>, _>(1)?.unwrap_or(0),
                ))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    };
    let facilities = pairs(
        "SELECT substr(region_code, 1, 6), COUNT(*) FROM care_facilities \
         WHERE region_code >= $1 AND region_code < $2 GROUP BY substr(region_code, 1, 6)",
        vec![],
    )
    .await?;
    let beds = pairs(
        "SELECT substr(f.region_code, 1, 6), CAST(SUM(f.opening_beds + COALESCE((SELECT SUM(c.beds) \
           FROM care_bed_changes c WHERE c.facility_id = f.id AND c.effective_on <= $3), 0)) AS BIGINT) \
         FROM care_facilities f WHERE f.opened_on <= $3 AND f.status = 'operating' \
         AND f.region_code >= $1 AND f.region_code < $2 GROUP BY substr(f.region_code, 1, 6)",
        vec![day.clone()],
    )
    .await?;
    // Urban communities are 社区, rural ones 村.
    let places = |area: &'static str| {
        pairs(
            "SELECT substr(code, 1, 6), COUNT(*) FROM regions WHERE level = 'community' \
             AND urban_rural = $3 AND code >= $1 AND code < $2 GROUP BY substr(code, 1, 6)",
            vec![area.to_string()],
        )
    };
    let communities = places("urban").await?;
    let villages = places("rural").await?;
    let covered = |area: &'static str, kind: &'static str| {
        pairs(
            "SELECT substr(r.code, 1, 6), COUNT(*) FROM regions r WHERE r.level = 'community' \
             AND r.urban_rural = $3 AND r.code >= $1 AND r.code < $2 AND EXISTS (SELECT 1 FROM care_facilities f \
             WHERE f.region_code = r.code AND f.kind = $4 AND f.status = 'operating' AND f.opened_on <= $5) \
             GROUP BY substr(r.code, 1, 6)",
            vec![area.to_string(), kind.to_string(), day.clone()],
        )
    };
    let with_daycare = covered("urban", "daycare").await?;
    let with_home = covered("rural", "happiness_home").await?;
    let institutions = pairs(
        "SELECT substr(region_code, 1, 6), COUNT(*) FROM care_facilities WHERE kind = 'institution' \
         AND status = 'operating' AND opened_on <= $3 AND region_code >= $1 AND region_code < $2 \
         GROUP BY substr(region_code, 1, 6)",
        vec![day.clone()],
    )
    .await?;
    // Inspections are visits: one facility on one day, however many items it covered.
    let inspections = pairs(
        "SELECT substr(v.region_code, 1, 6), COUNT(*) FROM (SELECT DISTINCT i.facility_id, i.inspected_on, \
           f.region_code FROM care_inspections i JOIN care_facilities f ON f.id = i.facility_id \
           WHERE f.kind = 'institution' AND i.inspected_on >= $3 AND i.inspected_on <= $4 \
           AND f.region_code >= $1 AND f.region_code < $2) v GROUP BY substr(v.region_code, 1, 6)",
        vec![from, day],
    )
    .await?;
    type Setter = fn(&mut ElderlyInput, i64);
    let sets: [(Vec<(String, i64)>, Setter); 8] = [
        (facilities, |e, n| e.facilities = n),
        (beds, |e, n| e.care_beds = n),
        (communities, |e, n| e.communities = n),
        (with_daycare, |e, n| e.communities_with_daycare = n),
        (villages, |e, n| e.villages = n),
        (with_home, |e, n| e.villages_with_happiness_home = n),
        (institutions, |e, n| e.institutions = n),
        (inspections, |e, n| e.institution_inspections = n),
    ];
    for (rows, set) in sets {
        for (district, n) in rows {
            set(out.entry(district).or_default(), n);
        }
    }
    Ok(out)
}
