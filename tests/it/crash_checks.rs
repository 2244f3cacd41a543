//! The checks of the crash harness (crash.rs) after a restart: every acknowledged action
//! there, nothing half-applied, the audit chain whole, the quarter's figures recounted.

use std::collections::HashMap;

use minzheng::calendar::{Clock, SystemClock};
use minzheng::db::Db;
use serde_json::{Value, json};
use sqlx::Row;

use crate::crash::{Effect, Staged};
use crate::crash_driver::RunDb;

/// Everything wrong with the database after a restart (empty: all well).
pub(crate) async fn check(
    db: &RunDb,
    staged: &Staged,
    acked: &[Effect],
    in_flight: Option<&Effect>,
) -> Vec<String> {
    let pool_db = Db::open(&db.url).await.expect("open after the crash");
    let pool = pool_db.pool();
    let mut problems = Vec::new();
    // Every acknowledged action is there.
    let mut expected: HashMap<(i64, String), i64> = staged.before.clone();
    for e in acked {
        match e {
            Effect::Applied { case, reference } => {
                let n: i64 =
                    sqlx::query("SELECT COUNT(*) FROM cases WHERE id = $1 AND reference = $2")
                        .bind(case)
                        .bind(reference)
                        .fetch_one(pool)
                        .await
                        .unwrap()
                        .try_get(0)
                        .unwrap();
                if n != 1 {
                    problems.push(format!(
                        "acknowledged application {reference} (case {case}) lost"
                    ));
                }
                *expected.entry((*case, "apply".to_string())).or_default() += 1;
            }
            Effect::Acted { case, action } => {
                *expected.entry((*case, action.clone())).or_default() += 1;
            }
            Effect::Objection { case, content } => {
                let n: i64 = sqlx::query(
                    "SELECT COUNT(*) FROM case_objections WHERE case_id = $1 AND content = $2",
                )
                .bind(case)
                .bind(content)
                .fetch_one(pool)
                .await
                .unwrap()
                .try_get(0)
                .unwrap();
                if n != 1 {
                    problems.push(format!("acknowledged objection on case {case}: {n} stored"));
                }
            }
            Effect::Granted { grant } => {
                let n: i64 = sqlx::query("SELECT COUNT(*) FROM temporary_grants WHERE id = $1")
                    .bind(grant)
                    .fetch_one(pool)
                    .await
                    .unwrap()
                    .try_get(0)
                    .unwrap();
                if n != 1 {
                    problems.push(format!("acknowledged temporary grant {grant} lost"));
                }
            }
            Effect::Payroll { .. } => {}
        }
    }
    // The payroll: as far as its last acknowledged step, or one further if the kill cut
    // the next one.
    let payroll_acked = acked.iter().rev().find_map(|e| match e {
        Effect::Payroll { payroll, status } => Some((*payroll, *status)),
        _ => None,
    });
    if let Some((payroll, status)) = payroll_acked {
        let cut = match in_flight {
            Some(Effect::Payroll { status, .. }) => Some(*status),
            _ => None,
        };
        problems.extend(crate::crash_payroll::reached(pool, payroll, status, cut).await);
    }
    let found = transition_counts(&pool_db).await;
    for ((case, action), want) in &expected {
        let got = found.get(&(*case, action.clone())).copied().unwrap_or(0);
        // The step the kill cut may have been stored or not; nothing else may differ.
        let maybe = matches!(in_flight, Some(Effect::Acted { case: c, action: a }) if c == case && a == action);
        if got < *want {
            problems.push(format!(
                "case {case}: acknowledged «{action}» lost ({got} in the history, {want} acknowledged)"
            ));
        } else if got > *want && !(maybe && got == want + 1) {
            problems.push(format!(
                "case {case}: «{action}» {got} times, {want} expected"
            ));
        }
    }
    // Nor a step nobody asked for on a case the script knows (a new application cut by the
    // kill is a case it does not know; `whole` checks that one).
    for ((case, action), got) in &found {
        let known = expected.keys().any(|(c, _)| c == case);
        let maybe = matches!(in_flight, Some(Effect::Acted { case: c, action: a }) if c == case && a == action);
        if known && !expected.contains_key(&(*case, action.clone())) && !(maybe && *got == 1) {
            problems.push(format!(
                "case {case}: «{action}» {got} times, never asked for"
            ));
        }
    }
    problems.extend(whole(&pool_db).await);
    pool_db.close().await;
    // The audit chain verifies.
    let verify = db.cli(&["audit", "verify"]);
    if !verify.status.success() {
        problems.push(format!(
            "minzheng audit verify failed: {}",
            String::from_utf8_lossy(&verify.stderr)
        ));
    }
    problems.extend(figures_match_a_recount(db).await);
    problems
}

/// History entries by (case, action).
pub(crate) async fn transition_counts(db: &Db) -> HashMap<(i64, String), i64> {
    sqlx::query(
        "SELECT case_id, action, COUNT(*) FROM case_transitions WHERE action IS NOT NULL \
         GROUP BY case_id, action",
    )
    .fetch_all(db.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            (r.try_get(0).unwrap(), r.try_get(1).unwrap()),
            r.try_get(2).unwrap(),
        )
    })
    .collect()
}

/// Nothing half-applied: a case's status is where its history ends and its version
/// counts its steps; every step, objection and grant has its audit entry and every
/// audit entry its record.
pub(crate) async fn whole(db: &Db) -> Vec<String> {
    let pool = db.pool();
    let mut problems = Vec::new();
    for r in sqlx::query(
        "SELECT c.id, c.status, c.version, \
         (SELECT t.to_status FROM case_transitions t WHERE t.case_id = c.id ORDER BY t.id DESC LIMIT 1), \
         (SELECT COUNT(*) FROM case_transitions t WHERE t.case_id = c.id) FROM cases c ORDER BY c.id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    {
        let (case, status, version): (i64, String, i64) =
            (r.try_get(0).unwrap(), r.try_get(1).unwrap(), r.try_get(2).unwrap());
        let last: Option<String> = r.try_get(3).unwrap();
        let steps: i64 = r.try_get(4).unwrap();
        if last.as_deref() != Some(status.as_str()) {
            problems.push(format!("case {case}: status {status}, history ends at {last:?}"));
        }
        if version != steps {
            problems.push(format!("case {case}: version {version}, {steps} history entries"));
        }
    }
    // Workflow steps and their audit entries, one for one.
    let audit: HashMap<(String, String), i64> = sqlx::query(
        "SELECT object_id, action, COUNT(*) FROM audit_log WHERE object_type = 'assistance_case' \
         GROUP BY object_id, action",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            (r.try_get(0).unwrap(), r.try_get(1).unwrap()),
            r.try_get(2).unwrap(),
        )
    })
    .collect();
    let steps = transition_counts(db).await;
    for ((case, action), n) in &steps {
        if action == "import" {
            continue;
        }
        let logged = audit
            .get(&(case.to_string(), format!("case.{action}")))
            .copied()
            .unwrap_or(0);
        if logged != *n {
            problems.push(format!(
                "case {case}: {n} «{action}» steps, {logged} audit entries"
            ));
        }
    }
    for ((case, action), n) in &audit {
        let Some(step) = action.strip_prefix("case.") else {
            continue;
        };
        if matches!(step, "view" | "objection" | "objection_resolve") {
            continue;
        }
        let stored = case
            .parse::<i64>()
            .ok()
            .and_then(|c| steps.get(&(c, step.to_string())))
            .copied()
            .unwrap_or(0);
        if stored != *n {
            problems.push(format!(
                "case {case}: {n} «{action}» audit entries, {stored} steps"
            ));
        }
    }
    for r in sqlx::query(
        "SELECT o.case_id, COUNT(*), (SELECT COUNT(*) FROM audit_log a WHERE a.action = 'case.objection' \
         AND a.object_id = CAST(o.case_id AS TEXT)) FROM case_objections o GROUP BY o.case_id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    {
        let (case, stored, logged): (i64, i64, i64) =
            (r.try_get(0).unwrap(), r.try_get(1).unwrap(), r.try_get(2).unwrap());
        if stored != logged {
            problems.push(format!("case {case}: {stored} objections, {logged} audit entries"));
        }
    }
    let unlogged: i64 = sqlx::query(
        "SELECT COUNT(*) FROM temporary_grants g WHERE NOT EXISTS (SELECT 1 FROM audit_log a \
         WHERE a.action = 'temporary.grant' AND a.object_id = CAST(g.id AS TEXT))",
    )
    .fetch_one(pool)
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    let orphans: i64 = sqlx::query(
        "SELECT COUNT(*) FROM audit_log a WHERE a.action = 'temporary.grant' AND NOT EXISTS \
         (SELECT 1 FROM temporary_grants g WHERE CAST(g.id AS TEXT) = a.object_id)",
    )
    .fetch_one(pool)
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    if unlogged + orphans > 0 {
        problems.push(format!(
            "{unlogged} temporary grants without an audit entry, {orphans} audit entries without a grant"
        ));
    }
    problems.extend(crate::crash_payroll::whole(pool).await);
    problems
}

/// The quarter's figures as `minzheng report quarterly` prints them, against a recount:
/// new 低保 households from the approval steps in the history, households stopped for a
/// removal reason from the exit steps, and the temporary grants' count and sum from their
/// audit entries.
async fn figures_match_a_recount(db: &RunDb) -> Vec<String> {
    let quarter = {
        let today = SystemClock.today();
        format!(
            "{}Q{}",
            chrono::Datelike::year(&today),
            (chrono::Datelike::month(&today) - 1) / 3 + 1
        )
    };
    let out = db.cli(&[
        "report",
        "quarterly",
        "--quarter",
        &quarter,
        "--format",
        "json",
    ]);
    if !out.status.success() {
        return vec![format!(
            "minzheng report quarterly failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )];
    }
    let report: Value = serde_json::from_slice(&out.stdout).expect("report JSON");
    let (from, to) = (
        report["from"].as_str().unwrap().to_string(),
        report["to"].as_str().unwrap().to_string(),
    );
    let pool_db = Db::open(&db.url).await.unwrap();
    let pool = pool_db.pool();
    let steps = |action: &'static str| {
        let (from, to) = (from.clone(), to.clone());
        async move {
            sqlx::query(
                "SELECT COUNT(DISTINCT t.case_id) FROM case_transitions t JOIN cases c ON c.id = t.case_id \
                 WHERE t.action = $1 AND c.program = 'dibao' AND substr(t.at, 1, 10) >= $2 \
                 AND substr(t.at, 1, 10) <= $3",
            )
            .bind(action)
            .bind(from)
            .bind(to)
            .fetch_one(pool)
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
        }
    };
    let approved = steps("approve").await;
    // Every exit of the script is for a removal reason (收入超标).
    let removed = steps("exit").await;
    let mut grants = 0i64;
    let mut fen = 0i64;
    for r in sqlx::query(
        "SELECT a.details FROM audit_log a JOIN temporary_grants g ON CAST(g.id AS TEXT) = a.object_id \
         WHERE a.action = 'temporary.grant' AND g.status = 'valid' AND g.grant_date >= $1 AND g.grant_date <= $2",
    )
    .bind(&from)
    .bind(&to)
    .fetch_all(pool)
    .await
    .unwrap()
    {
        let details: Value = serde_json::from_str(&r.try_get::<String, _>(0).unwrap()).unwrap();
        let yuan = details["amount"].as_str().unwrap();
        let (whole, cents) = yuan.split_once('.').unwrap_or((yuan, "0"));
        fen += whole.parse::<i64>().unwrap() * 100 + format!("{cents:0<2}").parse::<i64>().unwrap();
        grants += 1;
    }
    pool_db.close().await;
    let figures = &report["figures"];
    let mut problems = Vec::new();
    for (key, recount) in [
        ("dibao_new_households", json!(approved)),
        ("dibao_removed_households", json!(removed)),
        ("temp_assistance_cases", json!(grants)),
        ("temp_assistance_amount_yuan", json!(fen as f64 / 100.0)),
    ] {
        if figures[key].as_f64() != recount.as_f64() {
            problems.push(format!(
                "report {quarter} {key} = {}, recount {recount}",
                figures[key]
            ));
        }
    }
    problems
}
