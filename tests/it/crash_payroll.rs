//! The crash harness's checks of payrolls (crash.rs): an acknowledged step of the payroll
//! is there after the restart, and no payroll is half made, half moved or half reconciled.

use std::collections::HashMap;

use serde_json::Value;
use sqlx::{Any, Pool, Row};

/// A payroll's statuses in the order its steps reach them.
const ORDER: [&str; 5] = [
    "generated",
    "submitted",
    "approved",
    "exported",
    "reconciled",
];

fn rank(status: &str) -> usize {
    ORDER
        .iter()
        .position(|s| *s == status)
        .unwrap_or_else(|| panic!("unknown payroll status {status}"))
}

/// The payroll acknowledged at `acked` (the furthest step answered) is at least there, and
/// at most one step on when the kill cut the next one (`in_flight`).
pub(crate) async fn reached(
    pool: &Pool<Any>,
    payroll: i64,
    acked: &str,
    in_flight: Option<&str>,
) -> Option<String> {
    let status: Option<String> = sqlx::query("SELECT status FROM payrolls WHERE id = $1")
        .bind(payroll)
        .fetch_optional(pool)
        .await
        .unwrap()
        .map(|r| r.try_get(0).unwrap());
    let Some(status) = status else {
        return Some(format!("acknowledged payroll {payroll} lost"));
    };
    let most = in_flight.map_or(rank(acked), |s| rank(s).max(rank(acked)));
    if rank(&status) < rank(acked) {
        Some(format!(
            "payroll {payroll}: acknowledged «{acked}» lost (status {status})"
        ))
    } else if rank(&status) > most {
        Some(format!(
            "payroll {payroll}: status {status}, never asked for (acknowledged «{acked}»)"
        ))
    } else {
        None
    }
}

/// Every payroll whole: as many lines as its generation's audit entry counted; every status
/// it has reached audited, and no audited step it has not reached; paid or failed lines
/// only once reconciled, and then all of them, as many as the reconciliation's audit entry
/// says.
pub(crate) async fn whole(pool: &Pool<Any>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut audit: HashMap<i64, Vec<(String, Value)>> = HashMap::new();
    for r in sqlx::query(
        "SELECT object_id, action, details FROM audit_log WHERE object_type = 'payroll' ORDER BY seq",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    {
        let id: String = r.try_get(0).unwrap();
        let details: String = r.try_get(2).unwrap();
        audit.entry(id.parse().unwrap()).or_default().push((
            r.try_get(1).unwrap(),
            serde_json::from_str(&details).unwrap_or_default(),
        ));
    }
    let payrolls = sqlx::query(
        "SELECT p.id, p.status, \
         (SELECT COUNT(*) FROM payroll_lines l WHERE l.payroll_id = p.id), \
         (SELECT COUNT(*) FROM payroll_lines l WHERE l.payroll_id = p.id AND l.status = 'pending'), \
         (SELECT COUNT(*) FROM payroll_lines l WHERE l.payroll_id = p.id AND l.status = 'failed') \
         FROM payrolls p ORDER BY p.id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for r in &payrolls {
        let id: i64 = r.try_get(0).unwrap();
        let status: String = r.try_get(1).unwrap();
        let (lines, pending, failed): (i64, i64, i64) = (
            r.try_get(2).unwrap(),
            r.try_get(3).unwrap(),
            r.try_get(4).unwrap(),
        );
        let entries = audit.remove(&id).unwrap_or_default();
        let of = |action: &str| -> Vec<&Value> {
            entries
                .iter()
                .filter(|(a, _)| a == action)
                .map(|(_, d)| d)
                .collect()
        };
        let generated = of("payroll.generate");
        match generated.as_slice() {
            [d] => {
                let counted: i64 = ["regular", "arrears", "reissued"]
                    .iter()
                    .map(|k| d[k].as_i64().unwrap_or(0))
                    .sum();
                if counted != lines {
                    problems.push(format!(
                        "payroll {id}: {lines} lines, its generation counted {counted}"
                    ));
                }
            }
            other => problems.push(format!(
                "payroll {id}: {} generation audit entries",
                other.len()
            )),
        }
        if lines == 0 {
            problems.push(format!("payroll {id}: no lines"));
        }
        // Each status past `generated` is reached by one audited step.
        let steps: Vec<usize> = of("payroll.step")
            .iter()
            .filter_map(|d| d["to"].as_str().map(rank))
            .collect();
        let now = rank(&status);
        for (at, reached) in ORDER.iter().enumerate().skip(1) {
            let logged = match *reached {
                "exported" => of("payroll.export").len().min(1),
                "reconciled" => of("payroll.reconcile").len(),
                _ => steps.iter().filter(|s| **s == at).count(),
            };
            let want = usize::from(at <= now);
            if logged != want {
                problems.push(format!(
                    "payroll {id}: status {status}, {logged} audited steps to «{reached}»"
                ));
            }
        }
        let reconciled = of("payroll.reconcile");
        if status == "reconciled" {
            if pending != 0 {
                problems.push(format!(
                    "payroll {id}: reconciled with {pending} lines pending"
                ));
            }
            if let [d] = reconciled.as_slice()
                && (d["lines"].as_i64() != Some(lines) || d["failed"].as_i64() != Some(failed))
            {
                problems.push(format!(
                    "payroll {id}: {lines} lines ({failed} failed), its reconciliation said {d}"
                ));
            }
        } else if pending != lines {
            problems.push(format!(
                "payroll {id}: {status}, yet {} lines have a bank result",
                lines - pending
            ));
        }
    }
    for (id, entries) in audit {
        problems.push(format!(
            "payroll {id}: {} audit entries, no payroll",
            entries.len()
        ));
    }
    problems
}
