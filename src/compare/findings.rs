//! Findings (疑点) through their lifecycle: 待核查 → 核查中 → 属实 / 不属实, in the queue
//! of the street where the person's case is. 属实 acts on the case: a death stops it from
//! the date of death and recovers what was paid after; anything else makes the case due
//! for review (复核) today. 不属实 needs the reason, and the same evidence never comes back.

use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use super::rules::Rule;
use super::sources::Source;
use crate::db::Db;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    Pending,
    Verifying,
    Confirmed,
    Dismissed,
}

pub const STATUSES: [FindingStatus; 4] = [
    FindingStatus::Pending,
    FindingStatus::Verifying,
    FindingStatus::Confirmed,
    FindingStatus::Dismissed,
];

impl FindingStatus {
    pub fn code(self) -> &'static str {
        match self {
            FindingStatus::Pending => "pending",
            FindingStatus::Verifying => "verifying",
            FindingStatus::Confirmed => "confirmed",
            FindingStatus::Dismissed => "dismissed",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            FindingStatus::Pending => "待核查",
            FindingStatus::Verifying => "核查中",
            FindingStatus::Confirmed => "属实",
            FindingStatus::Dismissed => "不属实",
        }
    }
    pub fn parse(s: &str) -> Option<FindingStatus> {
        STATUSES
            .into_iter()
            .find(|x| x.code() == s || x.label() == s)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub id: i64,
    pub source: String,
    pub source_label: &'static str,
    pub rule: String,
    pub rule_label: &'static str,
    pub dataset_id: Option<i64>,
    pub household_id: Option<i64>,
    pub case_id: Option<i64>,
    pub person_name: String,
    pub region_code: String,
    pub match_kind: String,
    pub score: i64,
    pub match_reasons: String,
    pub evidence: serde_json::Value,
    pub detail: String,
    pub status: FindingStatus,
    pub status_label: &'static str,
    pub result: Option<String>,
    pub taken_by: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<String>,
    pub created_at: String,
    pub version: i64,
    /// The runs that first and last found this evidence: a finding the latest runs no
    /// longer find may be out of date.
    pub first_run_id: i64,
    pub last_run_id: i64,
    /// Still open, but a later run that compared the same source did not find it again
    /// (the department's data changed, or the person left assistance): check before
    /// acting. Set by `mark_stale`.
    pub stale: bool,
}

const SELECT: &str = "SELECT id, source, rule, dataset_id, household_id, case_id, person_name, region_code, \
     match_kind, score, match_reasons, evidence, detail, status, result, taken_by, resolved_by, resolved_at, \
     created_at, version, first_run_id, last_run_id FROM compare_findings";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Finding, sqlx::Error> {
    let source: String = r.try_get(1)?;
    let rule: String = r.try_get(2)?;
    let status = FindingStatus::parse(&r.try_get::<String, _>(13)?)
        .ok_or_else(|| sqlx::Error::Decode("compare_findings.status".into()))?;
    Ok(Finding {
        id: r.try_get(0)?,
        source_label: Source::parse(&source).map_or("本系统记录", Source::label),
        rule_label: Rule::parse(&rule).map_or("", Rule::label),
        source,
        rule,
        dataset_id: r.try_get(3)?,
        household_id: r.try_get(4)?,
        case_id: r.try_get(5)?,
        person_name: r.try_get(6)?,
        region_code: r.try_get(7)?,
        match_kind: r.try_get(8)?,
        score: r.try_get(9)?,
        match_reasons: r.try_get(10)?,
        evidence: serde_json::from_str(&r.try_get::<String, _>(11)?).unwrap_or_default(),
        detail: r.try_get(12)?,
        status,
        status_label: status.label(),
        result: r.try_get(14)?,
        taken_by: r.try_get(15)?,
        resolved_by: r.try_get(16)?,
        resolved_at: r.try_get(17)?,
        created_at: r.try_get(18)?,
        version: r.try_get(19)?,
        first_run_id: r.try_get(20)?,
        last_run_id: r.try_get(21)?,
        stale: false,
    })
}

/// Marks the open findings that a later run covering their source no longer found.
pub async fn mark_stale(db: &Db, found: &mut [Finding]) -> Result<(), sqlx::Error> {
    // Runs are few (one a month or so); reading their data-set lists is cheap.
    let runs = sqlx::query("SELECT id, datasets FROM compare_runs")
        .fetch_all(db.pool())
        .await?;
    let mut covered: std::collections::HashMap<String, i64> = Default::default();
    for r in &runs {
        let id: i64 = r.try_get(0)?;
        let sets: std::collections::BTreeMap<String, i64> =
            serde_json::from_str(&r.try_get::<String, _>(1)?).unwrap_or_default();
        // Every run makes the internal checks.
        for source in sets.into_keys().chain(["system".to_string()]) {
            let latest = covered.entry(source).or_default();
            *latest = (*latest).max(id);
        }
    }
    for f in found.iter_mut() {
        let open = matches!(f.status, FindingStatus::Pending | FindingStatus::Verifying);
        f.stale = open && covered.get(&f.source).is_some_and(|l| *l > f.last_run_id);
    }
    Ok(())
}

/// What the queue is filtered by.
#[derive(Clone, Debug, Default, serde::Deserialize, Serialize)]
pub struct Filter {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub rule: String,
    /// The page of the queue, from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<i64>,
}

/// The findings within the bounds matching the filter, open ones first: `limit` of them
/// from the filter's page; and how many match in all.
pub async fn list(
    db: &Db,
    bounds: &(String, String),
    filter: &Filter,
    limit: i64,
) -> Result<(Vec<Finding>, i64), sqlx::Error> {
    let (filtered, binds) = filtered(bounds, filter);
    let total: i64 = {
        let sql = format!("SELECT COUNT(*) FROM compare_findings {filtered}");
        let mut q = sqlx::query_scalar(&sql);
        for b in &binds {
            q = q.bind(b);
        }
        q.fetch_one(db.pool()).await?
    };
    let offset = crate::web::paging::offset(filter.page, limit);
    let sql = format!(
        "{SELECT} {filtered} ORDER BY CASE status WHEN 'pending' THEN 0 WHEN 'verifying' THEN 1 ELSE 2 END, \
         id DESC LIMIT {limit} OFFSET {offset}"
    );
    let mut q = sqlx::query(&sql);
    for b in &binds {
        q = q.bind(b);
    }
    let mut found = q
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(from_row)
        .collect::<Result<Vec<_>, _>>()?;
    mark_stale(db, &mut found).await?;
    Ok((found, total))
}

/// The WHERE clause of the queue's filter, and what it binds.
fn filtered(bounds: &(String, String), filter: &Filter) -> (String, Vec<String>) {
    let mut sql = "WHERE region_code >= $1 AND region_code < $2".to_string();
    let mut binds: Vec<String> = vec![bounds.0.clone(), bounds.1.clone()];
    for (column, value) in [
        ("status", &filter.status),
        ("source", &filter.source),
        ("rule", &filter.rule),
    ] {
        if !value.is_empty() {
            binds.push(value.clone());
            sql.push_str(&format!(" AND {column} = ${}", binds.len()));
        }
    }
    (sql, binds)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Finding>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// Counts by status within the bounds, for the queue's header.
pub async fn counts(
    db: &Db,
    bounds: &(String, String),
) -> Result<Vec<(FindingStatus, i64)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT status, COUNT(*) FROM compare_findings WHERE region_code >= $1 AND region_code < $2 GROUP BY status",
    )
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_all(db.pool())
    .await?;
    Ok(STATUSES
        .iter()
        .map(|s| {
            let n = rows
                .iter()
                .find(|r| r.try_get::<String, _>(0).is_ok_and(|c| c == s.code()))
                .and_then(|r| r.try_get::<i64, _>(1).ok())
                .unwrap_or(0);
            (*s, n)
        })
        .collect())
}

/// 待核查 → 核查中: a caseworker takes it. False when it changed since `version`.
pub async fn take(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    version: i64,
    by: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE compare_findings SET status = 'verifying', taken_by = $1, version = version + 1 \
         WHERE id = $2 AND version = $3 AND status = 'pending'",
    )
    .bind(by)
    .bind(id)
    .bind(version)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

/// What confirming did to the case.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Effect {
    /// The case stopped from this date (a death).
    pub stopped_on: Option<String>,
    /// The recovery opened for what was paid after.
    pub recovery_id: Option<i64>,
    /// The case made due for review today.
    pub review_due: Option<String>,
    /// The case is still being applied for (its status): the finding is written into its
    /// history for whoever investigates and reviews it, and nothing else changes.
    pub noted_on_application: Option<String>,
    /// The case had already ended (its status): nothing to change.
    pub case_closed: Option<String>,
}

/// The date of death a death finding carries (its evidence's 死亡日期), if any.
pub fn death_date(f: &Finding) -> Option<String> {
    let row = f.evidence.get("rows")?.get(0)?;
    let date = row.get(2)?.as_str()?;
    crate::calendar::parse_date(date).map(|d| d.to_string())
}

/// 属实 or 不属实 with the result; a confirmation acts on the case (see the module
/// comment). False when the finding changed since `version` or is already closed.
pub async fn resolve(
    tx: &mut Transaction<'_, Any>,
    f: &Finding,
    version: i64,
    confirm: bool,
    result: &str,
    (by, at, today): (&str, &str, &str),
) -> Result<Option<Effect>, sqlx::Error> {
    let moved = sqlx::query(
        "UPDATE compare_findings SET status = $1, result = $2, resolved_by = $3, resolved_at = $4, \
         version = version + 1 WHERE id = $5 AND version = $6 AND status IN ('pending', 'verifying')",
    )
    .bind(if confirm { "confirmed" } else { "dismissed" })
    .bind(result)
    .bind(by)
    .bind(at)
    .bind(f.id)
    .bind(version)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if moved != 1 {
        return Ok(None);
    }
    let mut effect = Effect::default();
    let Some(case_id) = f.case_id.filter(|_| confirm) else {
        return Ok(Some(effect));
    };
    let status: String = sqlx::query_scalar("SELECT status FROM cases WHERE id = $1")
        .bind(case_id)
        .fetch_one(&mut **tx)
        .await?;
    let why = format!("比对疑点属实：{}（{}）；{result}", f.rule_label, f.detail);
    if status != "active" {
        // An application under way has not been granted: the finding goes into its
        // history, where the investigation and review see it. An ended case has nothing
        // left to change (a payment after its end is the anomaly checks' business).
        if crate::assistance::workflow::Status::from_code(&status).is_some_and(|s| s.is_open()) {
            transition(tx, case_id, (&status, &status), "finding", &why, (by, at)).await?;
            effect.noted_on_application = Some(status);
        } else {
            effect.case_closed = Some(status);
        }
        return Ok(Some(effect));
    }
    // A death stops the case only when it was the household's one member; in a larger
    // household the others are still owed their benefit, so the case is reviewed (the
    // member taken off, the amount worked out again).
    let members: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM members m JOIN cases c ON c.household_id = m.household_id WHERE c.id = $1",
    )
    .bind(case_id)
    .fetch_one(&mut **tx)
    .await?;
    let deceased = matches!(Rule::parse(&f.rule), Some(Rule::Deceased)) && members == 1;
    if let (true, Some(died)) = (deceased, death_date(f)) {
        sqlx::query(
            "UPDATE cases SET status = 'exited', exited_on = $1, exit_reason = 'death', version = version + 1 \
             WHERE id = $2 AND status = 'active'",
        )
        .bind(&died)
        .bind(case_id)
        .execute(&mut **tx)
        .await?;
        transition(tx, case_id, ("active", "exited"), "exit", &why, (by, at)).await?;
        effect.recovery_id =
            crate::payments::anomalies::create_recovery(tx, case_id, None, &died, (by, at), result)
                .await?;
        effect.stopped_on = Some(died);
    } else {
        sqlx::query("UPDATE cases SET next_review_on = $1, version = version + 1 WHERE id = $2")
            .bind(today)
            .bind(case_id)
            .execute(&mut **tx)
            .await?;
        transition(tx, case_id, ("active", "active"), "finding", &why, (by, at)).await?;
        effect.review_due = Some(today.to_string());
    }
    Ok(Some(effect))
}

async fn transition(
    tx: &mut Transaction<'_, Any>,
    case_id: i64,
    (from, to): (&str, &str),
    action: &str,
    reason: &str,
    (by, at): (&str, &str),
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO case_transitions (case_id, from_status, to_status, at, username, reason, action) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(case_id)
    .bind(from)
    .bind(to)
    .bind(at)
    .bind(by)
    .bind(reason)
    .bind(action)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
