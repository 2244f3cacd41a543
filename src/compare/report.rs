//! The comparison's figures in the quarterly report: people compared, findings raised,
//! confirmed, and cases removed as a result, for a region's subtree and a quarter.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::Row;

use crate::db::Db;
use crate::region::{Level, RegionCode};

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ComparisonFigures {
    /// People compared by the last run of the quarter (its districts' people for a
    /// district; none below a district, where runs do not count people).
    pub people_compared: Option<i64>,
    /// Findings first raised in the quarter.
    pub findings: i64,
    /// Findings confirmed (属实) in the quarter.
    pub confirmed: i64,
    /// Cases stopped in the quarter (when the stop was recorded, whatever date it takes
    /// effect from) that have a confirmed finding.
    pub removed: i64,
}

pub async fn figures(
    db: &Db,
    first: NaiveDate,
    last: NaiveDate,
    region: &RegionCode,
) -> Result<ComparisonFigures, sqlx::Error> {
    let bounds = region.scope().sql_bounds();
    // Timestamps are RFC 3339 in China time: the day is their first ten characters.
    let (from, to) = (first.to_string(), format!("{last}T99"));
    let count = |sql: &'static str| {
        let (from, to, bounds) = (from.clone(), to.clone(), bounds.clone());
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .bind(from)
                .bind(to)
                .bind(&bounds.0)
                .bind(&bounds.1)
                .fetch_one(db.pool())
                .await
        }
    };
    let findings = count(
        "SELECT COUNT(*) FROM compare_findings WHERE created_at >= $1 AND created_at < $2 \
         AND region_code >= $3 AND region_code < $4",
    )
    .await?;
    let confirmed = count(
        "SELECT COUNT(*) FROM compare_findings WHERE status = 'confirmed' AND resolved_at >= $1 \
         AND resolved_at < $2 AND region_code >= $3 AND region_code < $4",
    )
    .await?;
    let removed = count(
        "SELECT COUNT(DISTINCT c.id) FROM cases c JOIN case_transitions t ON t.case_id = c.id \
         AND t.to_status = 'exited' WHERE t.at >= $1 AND t.at < $2 \
         AND c.region_code >= $3 AND c.region_code < $4 \
         AND EXISTS (SELECT 1 FROM compare_findings f WHERE f.case_id = c.id AND f.status = 'confirmed' \
                     AND f.resolved_at <= t.at)",
    )
    .await?;
    let last_run = sqlx::query(
        "SELECT counts, people FROM compare_runs WHERE started_at >= $1 AND started_at < $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(&from)
    .bind(&to)
    .fetch_optional(db.pool())
    .await?;
    let people_compared = match (last_run, region.level()) {
        (None, _) => None,
        (Some(r), Level::City) => Some(r.try_get::<i64, _>(1)?),
        (Some(r), Level::District) => {
            let counts: serde_json::Value =
                serde_json::from_str(&r.try_get::<String, _>(0)?).unwrap_or_default();
            Some(
                counts["people_by_district"][region.as_str()]
                    .as_i64()
                    .unwrap_or(0),
            )
        }
        _ => None,
    };
    Ok(ComparisonFigures {
        people_compared,
        findings,
        confirmed,
        removed,
    })
}
