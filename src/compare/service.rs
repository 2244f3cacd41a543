//! A run from start to end: read the people, match each source's latest version, judge,
//! and store the run with its new findings in one transaction.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::run::{self, Draft, People, Person};
use super::sources::Source;
use crate::assistance::rules::Policy;
use crate::audit::{Actor, AuditEvent, store::record};
use crate::db::Db;
use crate::protect::Keyring;
use crate::region::UrbanRural;

/// What one source gave in a run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SourceCount {
    pub dataset_id: i64,
    /// Rows matched to someone by their ID.
    pub exact_rows: u64,
    /// Rows kept aside for their ID and matched by name and birth date.
    pub fuzzy_rows: u64,
    /// Findings by rule (new and already known).
    pub findings: BTreeMap<String, u64>,
    pub new_findings: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct RunSummary {
    pub run_id: i64,
    pub people: usize,
    pub sources: BTreeMap<String, SourceCount>,
    /// Internal checks, by rule.
    pub internal: BTreeMap<String, u64>,
    pub new_findings: u64,
}

/// The latest data set of each source asked for (all sources when none).
pub async fn latest(db: &Db, only: &[Source]) -> Result<Vec<(Source, i64)>, sqlx::Error> {
    let mut out = Vec::new();
    for source in super::sources::SOURCES {
        if !only.is_empty() && !only.contains(&source) {
            continue;
        }
        let id: Option<i64> = sqlx::query_scalar(
            // The newest by the day the department sent it: last month's file loaded late
            // does not displace this month's.
            "SELECT id FROM compare_datasets WHERE source = $1 AND checksum <> '' \
             ORDER BY received_on DESC, id DESC LIMIT 1",
        )
        .bind(source.code())
        .fetch_optional(db.pool())
        .await?;
        if let Some(id) = id {
            out.push((source, id));
        }
    }
    Ok(out)
}

/// Policies per district and area, read once.
async fn policies(
    db: &Db,
    people: &People,
    today: chrono::NaiveDate,
) -> Result<HashMap<(String, UrbanRural), Policy>, sqlx::Error> {
    let mut out = HashMap::new();
    for p in &people.list {
        let key = (p.region_code.get(..6).unwrap_or("").to_string(), p.area);
        if let std::collections::hash_map::Entry::Vacant(slot) = out.entry(key) {
            let (district, area) = slot.key().clone();
            let policy =
                crate::assistance::standards::policy_on(db, &district, area, today).await?;
            slot.insert(policy);
        }
    }
    Ok(out)
}

pub async fn run(
    db: &Db,
    keyring: &Keyring,
    only: &[Source],
    actor: &Actor,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<RunSummary, sqlx::Error> {
    let by = actor.username.as_str();
    let started = now.to_rfc3339();
    let today = now.date_naive();
    let people = run::people(db, keyring, today).await?;
    let policies = policies(db, &people, today).await?;
    let policy = |p: &Person| {
        policies
            .get(&(p.region_code.get(..6).unwrap_or("").to_string(), p.area))
            .cloned()
            .unwrap_or_else(|| Policy::defaults(p.area))
    };
    let mut drafts: Vec<Draft> = Vec::new();
    let mut counts: BTreeMap<String, SourceCount> = BTreeMap::new();
    let datasets = latest(db, only).await?;
    for (source, dataset_id) in &datasets {
        let (matched, exact, fuzzy) = run::match_dataset(db, keyring, *dataset_id, &people).await?;
        let judged = run::judge(*source, &matched, &people, &policy);
        let count = counts.entry(source.code().to_string()).or_default();
        count.dataset_id = *dataset_id;
        count.exact_rows = exact;
        count.fuzzy_rows = fuzzy;
        for d in &judged {
            *count.findings.entry(d.rule.code().to_string()).or_default() += 1;
        }
        drafts.extend(judged);
    }
    let deceased = run::deceased_here(db).await?;
    let internal = run::internal(&people, &deceased);
    let mut internal_counts: BTreeMap<String, u64> = BTreeMap::new();
    for d in &internal {
        *internal_counts
            .entry(d.rule.code().to_string())
            .or_default() += 1;
    }
    drafts.extend(internal);

    let mut tx = db.begin().await?;
    let run_id: i64 = sqlx::query_scalar(
        "INSERT INTO compare_runs (started_at, finished_at, run_by, datasets, people, counts, new_findings) \
         VALUES ($1, $1, $2, $3, $4, '{}', 0) RETURNING id",
    )
    .bind(&started)
    .bind(by)
    .bind(
        serde_json::to_string(
            &datasets
                .iter()
                .map(|(s, id)| (s.code(), *id))
                .collect::<BTreeMap<_, _>>(),
        )
        .unwrap_or_default(),
    )
    .bind(people.distinct as i64)
    .fetch_one(&mut *tx)
    .await?;
    let mut new_findings = 0u64;
    // The same evidence twice in one run (a row listed twice) is one finding.
    let mut seen = std::collections::HashSet::new();
    for d in &drafts {
        let key = d.evidence_key();
        if !seen.insert(key.clone()) {
            continue;
        }
        let person = &people.list[d.person as usize];
        let (kind, score, reasons) = match &d.fuzzy {
            Some((score, why)) => ("fuzzy", i64::from(*score), why.clone()),
            None if d.source.is_none() => ("internal", 100, "本系统记录".to_string()),
            None => ("exact", 100, "身份证号一致".to_string()),
        };
        let dataset_id = d
            .source
            .and_then(|s| datasets.iter().find(|(x, _)| *x == s).map(|(_, id)| *id));
        let stored: i64 = sqlx::query_scalar(
            "INSERT INTO compare_findings (evidence_key, source, rule, first_run_id, last_run_id, dataset_id, \
             household_id, case_id, person_index, person_name, region_code, match_kind, score, match_reasons, \
             evidence, detail, status, created_at) \
             VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'pending', $16) \
             ON CONFLICT (evidence_key) DO UPDATE SET last_run_id = excluded.last_run_id, \
             household_id = CASE WHEN compare_findings.status IN ('pending', 'verifying') \
               THEN excluded.household_id ELSE compare_findings.household_id END, \
             case_id = CASE WHEN compare_findings.status IN ('pending', 'verifying') \
               THEN excluded.case_id ELSE compare_findings.case_id END, \
             region_code = CASE WHEN compare_findings.status IN ('pending', 'verifying') \
               THEN excluded.region_code ELSE compare_findings.region_code END \
             RETURNING first_run_id",
        )
        .bind(&key)
        .bind(d.source.map_or("system", Source::code))
        .bind(d.rule.code())
        .bind(run_id)
        .bind(dataset_id)
        .bind(person.household_id)
        .bind(person.case_id)
        .bind(&person.index)
        .bind(&person.name)
        .bind(&person.region_code)
        .bind(kind)
        .bind(score)
        .bind(reasons)
        .bind(d.evidence.to_string())
        .bind(&d.detail)
        .bind(&started)
        .fetch_one(&mut *tx)
        .await?;
        // Seen before: its last run moves on, and an open one follows the person to the
        // household and street they are in now (status, result and the rest stay; a
        // closed one stays where it was decided).
        if stored == run_id {
            new_findings += 1;
            if let Some(s) = d.source {
                counts.entry(s.code().to_string()).or_default().new_findings += 1;
            }
        }
    }
    let finished = chrono::Utc::now()
        .with_timezone(&crate::calendar::china_offset())
        .to_rfc3339();
    sqlx::query(
        "UPDATE compare_runs SET finished_at = $1, counts = $2, new_findings = $3 WHERE id = $4",
    )
    .bind(finished)
    .bind(
        serde_json::to_string(&serde_json::json!({
            "sources": counts,
            "internal": internal_counts,
            "people_by_district": people.by_district(),
        }))
        .unwrap_or_default(),
    )
    .bind(new_findings as i64)
    .bind(run_id)
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        &AuditEvent::new(now, actor, "compare.run", "compare_run", run_id.to_string()).with(
            serde_json::json!({
                "people": people.distinct,
                "datasets": datasets.iter().map(|(s, id)| (s.code(), *id)).collect::<BTreeMap<_, _>>(),
                "new_findings": new_findings,
            }),
        ),
    )
    .await
    .map_err(|e| sqlx::Error::Protocol(format!("审计日志写入失败：{e}")))?;
    tx.commit().await?;
    Ok(RunSummary {
        run_id,
        people: people.distinct,
        sources: counts,
        internal: internal_counts,
        new_findings,
    })
}
