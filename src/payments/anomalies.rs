//! Fund supervision rules (DOMAIN.md §2): payments that should not have been made, or not
//! that way. Each rule is one set-based check over the payroll lines; what it finds is a
//! task in the district's queue, raised once per piece of evidence (a dismissed task does
//! not come back for the same line). Confirming a payment after a case ended creates the
//! recovery (追回) of every month paid after it.

use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use crate::db::Db;
use crate::money::Fen;

/// The rules, with how the queue names them.
pub const RULES: [(&str, &str); 5] = [
    ("paid_after_death", "死亡后仍发放"),
    ("paid_after_exit", "停保后仍发放"),
    ("paid_twice", "同一人同月多头发放"),
    ("amount_differs", "发放金额与核定金额不符"),
    ("shared_account", "多户共用一个银行账号"),
];

pub fn rule_label(rule: &str) -> &'static str {
    RULES
        .iter()
        .find(|(r, _)| *r == rule)
        .map_or("", |(_, l)| l)
}

/// Columns every check inserts; the checks differ in the rule, the evidence value kept in
/// `details` and the condition.
const INSERT: &str = "INSERT INTO payment_anomalies (rule, evidence, district_code, case_id, line_id, month_paid, \
     amount, details, found_at)";

/// The amount in force for the month a line pays, as generation computes it.
const AMOUNT_IN_FORCE: &str = "COALESCE( \
     (SELECT r.new_amount FROM case_reviews r WHERE r.case_id = c.id AND r.reviewed_on < l.month_paid || '-01' \
      ORDER BY r.reviewed_on DESC, r.id DESC LIMIT 1), \
     (SELECT r.old_amount FROM case_reviews r WHERE r.case_id = c.id ORDER BY r.reviewed_on, r.id LIMIT 1), \
     c.monthly_amount)";

/// Which lines a check looks at.
#[derive(Clone, Debug)]
pub enum Scope {
    /// A payroll just made: its lines, and for the rules that pair lines, the lines
    /// elsewhere that pair with them.
    Payroll(i64),
    /// Every payment of this month (`YYYY-MM`) or later by the districts within the
    /// bounds: the supervision run of a district, or of the city.
    Since(String, (String, String)),
}

/// Each check as SQL with `$1` the scope's value and `$2` the time found. `lines` limits
/// the lines looked at; for the pairing rules `pair` names the column that pairs them.
fn checks(scope: &Scope) -> Vec<String> {
    let from = "FROM payroll_lines l JOIN payrolls p ON p.id = l.payroll_id JOIN cases c ON c.id = l.case_id";
    let conflict = "ON CONFLICT (rule, evidence) DO NOTHING";
    // The evidence is the case and the month paid (and what makes the finding), so a
    // payroll made again, or a failed payment re-issued, is the same evidence.
    let evidence =
        |what: &str| format!("'case:' || CAST(l.case_id AS TEXT) || ':' || l.month_paid{what}");
    // The lines of the scope, and for a pairing rule on `pair` also their partners.
    let scopes = |pair: Option<&str>| -> Vec<String> {
        match (scope, pair) {
            (Scope::Since(..), _) => vec![
                "l.month_paid >= $1 AND p.district_code >= $3 AND p.district_code < $4".to_string(),
            ],
            (Scope::Payroll(_), None) => vec!["l.payroll_id = $1".to_string()],
            (Scope::Payroll(_), Some(col)) => vec![
                "l.payroll_id = $1".to_string(),
                format!(
                    "l.id IN (SELECT o.id FROM payroll_lines t JOIN payroll_lines o ON o.{col} = t.{col} \
                     AND o.month_paid = t.month_paid WHERE t.payroll_id = $1 AND o.payroll_id <> $1)"
                ),
            ],
        }
    };
    let mut out = Vec::new();
    // Paid for a month after the month the case stopped (停保当月照发).
    for lines in scopes(None) {
        out.push(format!(
            "{INSERT} SELECT CASE WHEN c.exit_reason = 'death' THEN 'paid_after_death' ELSE 'paid_after_exit' END, \
             {}, p.district_code, l.case_id, l.id, l.month_paid, l.amount, c.exited_on, $2 {from} \
             WHERE {lines} AND l.status <> 'failed' AND c.exited_on IS NOT NULL \
             AND l.month_paid > substr(c.exited_on, 1, 7) {conflict}",
            evidence("")
        ));
    }
    // The same person paid in the same month by another program or another district.
    let other_payment = "FROM payroll_lines o JOIN payrolls q ON q.id = o.payroll_id \
         WHERE o.id_number_index = l.id_number_index AND o.month_paid = l.month_paid AND o.status <> 'failed' \
         AND (q.program <> p.program OR q.district_code <> p.district_code)";
    for lines in scopes(Some("id_number_index")) {
        out.push(format!(
            "{INSERT} SELECT 'paid_twice', {}, p.district_code, l.case_id, l.id, l.month_paid, l.amount, \
             (SELECT MIN(q.district_code || ' ' || q.program) {other_payment}), $2 {from} \
             WHERE {lines} AND l.status <> 'failed' AND EXISTS (SELECT 1 {other_payment}) {conflict}",
            evidence(" || ':' || p.program")
        ));
    }
    // Not the amount in force for that month (a review after the payroll was made, or a
    // line changed by hand). Re-issues pay what failed, as it was.
    for lines in scopes(None) {
        out.push(format!(
            "{INSERT} SELECT 'amount_differs', {}, p.district_code, l.case_id, l.id, l.month_paid, l.amount, \
             CAST({AMOUNT_IN_FORCE} AS TEXT), $2 {from} \
             WHERE {lines} AND l.status <> 'failed' AND l.kind <> 'reissue' AND l.amount <> {AMOUNT_IN_FORCE} {conflict}",
            evidence(" || ':' || CAST(l.amount AS TEXT)")
        ));
    }
    // One account paid for households that are not the same household.
    for lines in scopes(Some("bank_index")) {
        out.push(format!(
            "{INSERT} SELECT 'shared_account', {}, p.district_code, l.case_id, l.id, l.month_paid, l.amount, \
             CAST((SELECT COUNT(DISTINCT oc.household_id) FROM payroll_lines o JOIN cases oc ON oc.id = o.case_id \
              WHERE o.bank_index = l.bank_index AND o.month_paid = l.month_paid AND o.status <> 'failed') AS TEXT), $2 {from} \
             WHERE {lines} AND l.status <> 'failed' AND l.bank_index IS NOT NULL AND EXISTS (SELECT 1 FROM payroll_lines o \
              JOIN cases oc ON oc.id = o.case_id WHERE o.bank_index = l.bank_index AND o.month_paid = l.month_paid \
              AND o.status <> 'failed' AND oc.household_id <> c.household_id) {conflict}",
            // A shared account is one finding however many months it was paid to.
            "'case:' || CAST(l.case_id AS TEXT) || ':account:' || l.bank_index"
        ));
    }
    out
}

/// Runs every check over the scope; answers how many new tasks were raised.
pub async fn detect(
    tx: &mut Transaction<'_, Any>,
    scope: &Scope,
    at: &str,
) -> Result<u64, sqlx::Error> {
    let mut raised = 0;
    for sql in checks(scope) {
        let q = sqlx::query(&sql);
        let q = match scope {
            Scope::Payroll(id) => q.bind(*id).bind(at),
            Scope::Since(month, (lo, hi)) => q.bind(month.clone()).bind(at).bind(lo).bind(hi),
        };
        raised += q.execute(&mut **tx).await?.rows_affected();
    }
    Ok(raised)
}

#[derive(Clone, Debug, Serialize)]
pub struct Anomaly {
    pub id: i64,
    pub rule: String,
    pub label: &'static str,
    pub district_code: String,
    pub case_id: i64,
    pub line_id: Option<i64>,
    pub month_paid: String,
    pub amount: String,
    /// What the rule found, in words.
    pub evidence: String,
    pub found_at: String,
    pub status: String,
    pub result: Option<String>,
    pub resolved_by: Option<String>,
}

fn describe(rule: &str, details: &str) -> String {
    match rule {
        "paid_after_death" => format!("死亡（停保）日期 {details}，之后的月份仍有发放"),
        "paid_after_exit" => format!("停保日期 {details}，之后的月份仍有发放"),
        "paid_twice" => format!("同月另有发放：{details}"),
        "amount_differs" => {
            let expected = details.parse::<i64>().map(Fen).unwrap_or(Fen::ZERO);
            format!("当月核定金额 {expected} 元")
        }
        "shared_account" => format!("同一账号同月发给 {details} 户"),
        _ => details.to_string(),
    }
}

const SELECT: &str = "SELECT id, rule, district_code, case_id, line_id, month_paid, amount, details, found_at, \
     status, result, resolved_by FROM payment_anomalies";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Anomaly, sqlx::Error> {
    let rule: String = r.try_get(1)?;
    let details: String = r.try_get(7)?;
    Ok(Anomaly {
        id: r.try_get(0)?,
        label: rule_label(&rule),
        evidence: describe(&rule, &details),
        district_code: r.try_get(2)?,
        case_id: r.try_get(3)?,
        line_id: r.try_get(4)?,
        month_paid: r.try_get(5)?,
        amount: Fen(r.try_get(6)?).to_display(),
        found_at: r.try_get(8)?,
        status: r.try_get(9)?,
        result: r.try_get(10)?,
        resolved_by: r.try_get(11)?,
        rule,
    })
}

/// The queue of the districts within the bounds: open tasks first, then the latest
/// resolved ones.
pub async fn queue(db: &Db, bounds: &(String, String)) -> Result<Vec<Anomaly>, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE district_code >= $1 AND district_code < $2 \
         ORDER BY CASE WHEN status = 'open' THEN 0 ELSE 1 END, id DESC LIMIT 500"
    );
    sqlx::query(&sql)
        .bind(&bounds.0)
        .bind(&bounds.1)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(from_row)
        .collect()
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Anomaly>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// Records the result of an open task; false when it was resolved meanwhile.
pub async fn resolve(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    confirmed: bool,
    result: &str,
    (by, at): (&str, &str),
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE payment_anomalies SET status = $1, result = $2, resolved_by = $3, resolved_at = $4 \
         WHERE id = $5 AND status = 'open'",
    )
    .bind(if confirmed { "confirmed" } else { "dismissed" })
    .bind(result)
    .bind(by)
    .bind(at)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

/// A recovery of every month paid after `ended_on` for the case and not already being
/// recovered; none when nothing is left to recover. The open tasks of the same kind for
/// that case are closed with the same result.
pub async fn create_recovery(
    tx: &mut Transaction<'_, Any>,
    case_id: i64,
    anomaly_id: Option<i64>,
    ended_on: &str,
    (by, at): (&str, &str),
    result: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let end_month = ended_on.get(..7).unwrap_or(ended_on);
    let rows = sqlx::query(
        "SELECT l.month_paid, l.amount, p.district_code FROM payroll_lines l JOIN payrolls p ON p.id = l.payroll_id \
         WHERE l.case_id = $1 AND l.status = 'paid' AND l.month_paid > $2 ORDER BY l.month_paid",
    )
    .bind(case_id)
    .bind(end_month)
    .fetch_all(&mut **tx)
    .await?;
    let already: Vec<String> =
        sqlx::query("SELECT months FROM payment_recoveries WHERE case_id = $1")
            .bind(case_id)
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<Result<_, _>>()?;
    let taken = |m: &str| already.iter().any(|list| list.split(',').any(|x| x == m));
    let mut months = Vec::new();
    let mut amount = 0i64;
    let mut district = String::new();
    for r in rows {
        let month: String = r.try_get(0)?;
        if taken(&month) || months.contains(&month) {
            continue;
        }
        amount += r.try_get::<i64, _>(1)?;
        district = r.try_get(2)?;
        months.push(month);
    }
    if months.is_empty() {
        return Ok(None);
    }
    let id: i64 = sqlx::query(
        "INSERT INTO payment_recoveries (case_id, anomaly_id, district_code, ended_on, months, amount, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(case_id)
    .bind(anomaly_id)
    .bind(&district)
    .bind(ended_on)
    .bind(months.join(","))
    .bind(amount)
    .bind(by)
    .bind(at)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    recovery_event(
        tx,
        id,
        "open",
        0,
        &format!("立案追回：{}", result),
        (by, at),
    )
    .await?;
    sqlx::query(
        "UPDATE payment_anomalies SET status = 'confirmed', result = $1, resolved_by = $2, resolved_at = $3 \
         WHERE case_id = $4 AND status = 'open' AND rule IN ('paid_after_death', 'paid_after_exit')",
    )
    .bind(result)
    .bind(by)
    .bind(at)
    .bind(case_id)
    .execute(&mut **tx)
    .await?;
    Ok(Some(id))
}

pub async fn recovery_event(
    tx: &mut Transaction<'_, Any>,
    recovery_id: i64,
    status: &str,
    amount: i64,
    note: &str,
    (by, at): (&str, &str),
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO payment_recovery_events (recovery_id, at, by_user, status, amount, note) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(recovery_id)
    .bind(at)
    .bind(by)
    .bind(status)
    .bind(amount)
    .bind(note)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(Clone, Debug, Serialize)]
pub struct Recovery {
    pub id: i64,
    pub case_id: i64,
    pub district_code: String,
    pub ended_on: String,
    pub months: String,
    pub amount: String,
    pub recovered: String,
    pub status: String,
    pub history: Vec<(String, String, String, String, String)>,
}

/// Recoveries of the districts within the bounds, with their history.
pub async fn recoveries(db: &Db, bounds: &(String, String)) -> Result<Vec<Recovery>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, case_id, district_code, ended_on, months, amount, recovered, status FROM payment_recoveries \
         WHERE district_code >= $1 AND district_code < $2 ORDER BY id DESC LIMIT 500",
    )
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.try_get(0)?;
        let history = sqlx::query(
            "SELECT at, by_user, status, amount, note FROM payment_recovery_events WHERE recovery_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|e| {
            Ok((
                e.try_get::<String, _>(0)?,
                e.try_get::<String, _>(1)?,
                recovery_status_label(&e.try_get::<String, _>(2)?).to_string(),
                Fen(e.try_get(3)?).to_display(),
                e.try_get::<String, _>(4)?,
            ))
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let status: String = r.try_get(7)?;
        out.push(Recovery {
            id,
            case_id: r.try_get(1)?,
            district_code: r.try_get(2)?,
            ended_on: r.try_get(3)?,
            months: r.try_get(4)?,
            amount: Fen(r.try_get(5)?).to_display(),
            recovered: Fen(r.try_get(6)?).to_display(),
            status: recovery_status_label(&status).to_string(),
            history,
        });
    }
    Ok(out)
}

pub fn recovery_status_label(s: &str) -> &'static str {
    match s {
        "open" => "待追回",
        "recovering" => "追回中",
        "recovered" => "已追回",
        "written_off" => "已核销",
        _ => "",
    }
}
