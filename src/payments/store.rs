//! SQL for payrolls: generation as set-based inserts (a million lines never pass through
//! memory), the lifecycle, the lines page by page, and the bank's return.

use sqlx::{Any, Row, Transaction};

use super::rules::{Month, Outcome, PendingLine, Status};
use crate::assistance::model::Program;
use crate::db::Db;
use crate::money::Fen;
use crate::region::RegionCode;

/// How many earlier months are looked at for 补发 (arrears): a case approved late, after
/// a month's payroll was made, is paid that month in the next payroll. Only cases approved
/// within this window (plus the month before it) are looked at for arrears.
pub const ARREARS_MONTHS: u32 = 12;

/// Amounts in answers read as the pages show them ("2,600.00").
fn as_display<S: serde::Serializer>(f: &Fen, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&f.to_display())
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Payroll {
    pub id: i64,
    pub month: String,
    pub program: String,
    pub district_code: String,
    pub status: Status,
    pub generated_by: String,
    pub generated_at: String,
    pub submitted_by: Option<String>,
    pub approved_by: Option<String>,
    pub exported_by: Option<String>,
    pub reconciled_at: Option<String>,
    pub return_note: Option<String>,
    pub version: i64,
    pub lines: i64,
    #[serde(serialize_with = "as_display")]
    pub total: Fen,
    pub paid: i64,
    pub failed: i64,
}

const PAYROLL_SELECT: &str = "SELECT p.id, p.month, p.program, p.district_code, p.status, p.generated_by, \
     p.generated_at, p.submitted_by, p.approved_by, p.exported_by, p.reconciled_at, p.return_note, p.version, \
     (SELECT COUNT(*) FROM payroll_lines l WHERE l.payroll_id = p.id), \
     (SELECT CAST(COALESCE(SUM(l.amount), 0) AS BIGINT) FROM payroll_lines l WHERE l.payroll_id = p.id), \
     (SELECT COUNT(*) FROM payroll_lines l WHERE l.payroll_id = p.id AND l.status = 'paid'), \
     (SELECT COUNT(*) FROM payroll_lines l WHERE l.payroll_id = p.id AND l.status = 'failed') \
     FROM payrolls p";

fn payroll_from_row(r: &sqlx::any::AnyRow) -> Result<Payroll, sqlx::Error> {
    let status: String = r.try_get(4)?;
    Ok(Payroll {
        id: r.try_get(0)?,
        month: r.try_get(1)?,
        program: r.try_get(2)?,
        district_code: r.try_get(3)?,
        status: Status::from_code(&status)
            .ok_or_else(|| sqlx::Error::Decode("payrolls.status".into()))?,
        generated_by: r.try_get(5)?,
        generated_at: r.try_get(6)?,
        submitted_by: r.try_get(7)?,
        approved_by: r.try_get(8)?,
        exported_by: r.try_get(9)?,
        reconciled_at: r.try_get(10)?,
        return_note: r.try_get(11)?,
        version: r.try_get(12)?,
        lines: r.try_get(13)?,
        total: Fen(r.try_get(14)?),
        paid: r.try_get(15)?,
        failed: r.try_get(16)?,
    })
}

/// Payrolls of the districts within the bounds, newest month first.
pub async fn list(db: &Db, bounds: &(String, String)) -> Result<Vec<Payroll>, sqlx::Error> {
    let sql = format!(
        "{PAYROLL_SELECT} WHERE p.district_code >= $1 AND p.district_code < $2 \
         ORDER BY p.month DESC, p.district_code, p.program LIMIT 500"
    );
    let rows = sqlx::query(&sql)
        .bind(&bounds.0)
        .bind(&bounds.1)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(payroll_from_row).collect()
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Payroll>, sqlx::Error> {
    let sql = format!("{PAYROLL_SELECT} WHERE p.id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .map(|r| payroll_from_row(&r))
        .transpose()
}

/// What a generation made.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Generated {
    pub payroll_id: i64,
    pub regular: u64,
    pub arrears: u64,
    pub reissued: u64,
    /// Cases paid this month whose household has no 本人 member: not on the payroll.
    pub without_payee: i64,
    /// Lines without a bank account: the bank will fail them until one is entered.
    pub without_account: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The insert of the lines of one month paid for (regular or arrears): every case of the
/// program in the district payable that month and not yet paid for it. The amount is the
/// one in force that month (a review's change applies from the next month); the payee is
/// the household's 本人 with the bank account on file now. `rules::payable` and
/// `rules::amount_for` say the same in Rust; a test holds them together.
///
/// `cases` picks the cases read. A month's regular lines read a whole district: the
/// district is matched on its code's prefix, and status and approval date are compared
/// as text expressions (`|| ''`), so no index on them is used and SQLite reads the table
/// in order instead of jumping through it once per case (12.5 s against about 3 s for
/// 200,000 cases). 补发 reads only cases approved within the arrears window, through the
/// date index.
///
/// `not_yet_paid` keeps a case from being paid twice for a month. For the month of the
/// payroll it is the unique index: a conflict is skipped. A `NOT EXISTS` over the lines
/// here kept PostgreSQL busy for minutes on one district of 200,000 cases (CPU-bound; we
/// take it the plan probed a table its statistics called empty by scanning it, this
/// statement's own new lines included); with the index it takes seconds. For 补发 it is a
/// `NOT EXISTS` over every line of that month, failed ones included (a failed payment is
/// re-issued, not paid again as 补发); the cases looked at are few.
fn insert_month_sql(cases: &str, not_yet_paid: &str) -> String {
    format!(
        "INSERT INTO payroll_lines (payroll_id, case_id, region_code, kind, month_paid, amount, \
         payee_name, id_number_index, bank_sealed, bank_index, status) \
         SELECT $1, x.id, x.region_code, $2, $3, x.amount, x.name, x.id_number_index, x.bank_sealed, x.bank_index, 'pending' \
         FROM (SELECT c.id, c.region_code, m.name, m.id_number_index, m.bank_sealed, m.bank_index, \
                 COALESCE( \
                   (SELECT r.new_amount FROM case_reviews r WHERE r.case_id = c.id AND r.reviewed_on < $4 \
                    ORDER BY r.reviewed_on DESC, r.id DESC LIMIT 1), \
                   (SELECT r.old_amount FROM case_reviews r WHERE r.case_id = c.id ORDER BY r.reviewed_on, r.id LIMIT 1), \
                   c.monthly_amount) AS amount \
               FROM cases c JOIN members m ON m.household_id = c.household_id AND m.relation = '本人' \
               WHERE c.program = $5 AND c.status || '' IN ('active', 'exited') AND substr(c.region_code, 1, 6) = $6 \
               AND {cases} AND (c.exited_on IS NULL OR c.exited_on >= $4) \
               AND NOT EXISTS (SELECT 1 FROM payroll_corrections k WHERE k.case_id = c.id \
                 AND k.month_paid = $3 AND k.action = 'remove')) x \
         WHERE x.amount > 0 {not_yet_paid}"
    )
}

/// The cases a month's regular lines read: all approved before the month.
const ALL_APPROVED: &str = "c.approved_on || '' < $4";
/// The cases 补发 reads: approved within the window, before the month paid, and not
/// paid for it in any way.
const APPROVED_SINCE: &str = "c.approved_on >= $7 AND c.approved_on < $4 \
     AND NOT EXISTS (SELECT 1 FROM payroll_lines l WHERE l.case_id = c.id AND l.month_paid = $3)";
/// This month's lines: skipped when the case is already paid for the month.
const SKIP_PAID: &str = "ON CONFLICT (case_id, month_paid) WHERE status <> 'failed' DO NOTHING";

async fn insert_month(
    tx: &mut Transaction<'_, Any>,
    payroll_id: i64,
    kind: &str,
    paid_for: Month,
    program: Program,
    district: &RegionCode,
    arrears_since: Option<&str>,
) -> Result<u64, sqlx::Error> {
    let sql = if arrears_since.is_some() {
        insert_month_sql(APPROVED_SINCE, "")
    } else {
        insert_month_sql(ALL_APPROVED, SKIP_PAID)
    };
    let mut q = sqlx::query(&sql)
        .bind(payroll_id)
        .bind(kind)
        .bind(paid_for.to_string())
        .bind(paid_for.first_day().to_string())
        .bind(program.code())
        .bind(district.as_str());
    if let Some(since) = arrears_since {
        q = q.bind(since);
    }
    Ok(q.execute(&mut **tx).await?.rows_affected())
}

/// Generates (or, while still only generated, makes again) the payroll of a month,
/// program and district: this month's lines, 补发 for earlier months that had a payroll
/// but not this case, and failed payments of earlier payrolls paid again. Generating twice
/// gives the same payroll; once submitted it is refused.
pub async fn generate(
    tx: &mut Transaction<'_, Any>,
    month: Month,
    program: Program,
    district: &RegionCode,
    by: &str,
    at: &str,
) -> Result<Generated, GenerateError> {
    let existing = sqlx::query(
        "SELECT id, status FROM payrolls WHERE month = $1 AND program = $2 AND district_code = $3",
    )
    .bind(month.to_string())
    .bind(program.code())
    .bind(district.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    let payroll_id: i64 = match existing {
        Some(r) => {
            let status: String = r.try_get(1)?;
            if status != Status::Generated.code() {
                let label = Status::from_code(&status).map_or("", Status::label);
                return Err(GenerateError::Refused(format!(
                    "{month} {}名册{label}，不能重新生成；银行文件导出前可在名册页「更正」一节更正某一笔。",
                    program.label()
                )));
            }
            let id: i64 = r.try_get(0)?;
            // Claimed first, and only while still generated: a submission committed in
            // between (PostgreSQL lets the two run side by side) makes this refuse.
            let claimed = sqlx::query(
                "UPDATE payrolls SET generated_by = $1, generated_at = $2, version = version + 1 \
                 WHERE id = $3 AND status = 'generated'",
            )
            .bind(by)
            .bind(at)
            .bind(id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            if claimed != 1 {
                return Err(GenerateError::Refused(format!(
                    "{month} {}名册刚被他人提交，不能重新生成，请刷新后查看。",
                    program.label()
                )));
            }
            sqlx::query("DELETE FROM payroll_lines WHERE payroll_id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            id
        }
        None => sqlx::query(
            "INSERT INTO payrolls (month, program, district_code, status, generated_by, generated_at) \
             VALUES ($1, $2, $3, 'generated', $4, $5) RETURNING id",
        )
        .bind(month.to_string())
        .bind(program.code())
        .bind(district.as_str())
        .bind(by)
        .bind(at)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?,
    };
    let regular = insert_month(tx, payroll_id, "regular", month, program, district, None).await?;
    // 补发: earlier months that had this payroll, for cases it missed.
    let mut earlier = month;
    let mut arrears = 0;
    let had_payroll: std::collections::HashSet<String> = sqlx::query(
        "SELECT month FROM payrolls WHERE program = $1 AND district_code = $2 AND month < $3",
    )
    .bind(program.code())
    .bind(district.as_str())
    .bind(month.to_string())
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| r.try_get::<String, _>(0))
    .collect::<Result<_, _>>()?;
    let mut window_start = month;
    for _ in 0..=ARREARS_MONTHS {
        window_start = window_start.previous();
    }
    let since = window_start.first_day().to_string();
    for _ in 0..ARREARS_MONTHS {
        earlier = earlier.previous();
        if had_payroll.contains(&earlier.to_string()) {
            arrears += insert_month(
                tx,
                payroll_id,
                "arrears",
                earlier,
                program,
                district,
                Some(&since),
            )
            .await?;
        }
    }
    // Failed payments of earlier payrolls, paid again to the account on file now.
    let reissued = sqlx::query(
        "INSERT INTO payroll_lines (payroll_id, case_id, region_code, kind, month_paid, amount, payee_name, \
         id_number_index, bank_sealed, bank_index, status, reissue_of) \
         SELECT $1, f.case_id, f.region_code, 'reissue', f.month_paid, f.amount, COALESCE(m.name, f.payee_name), \
         f.id_number_index, m.bank_sealed, m.bank_index, 'pending', f.id \
         FROM payroll_lines f JOIN payrolls p ON p.id = f.payroll_id \
         JOIN cases c ON c.id = f.case_id \
         LEFT JOIN members m ON m.household_id = c.household_id AND m.relation = '本人' \
         WHERE f.status = 'failed' AND p.program = $2 AND p.district_code = $3 AND p.month < $4 \
         AND NOT EXISTS (SELECT 1 FROM payroll_lines n WHERE n.reissue_of = f.id) \
         AND (c.exited_on IS NULL OR c.exited_on >= f.month_paid || '-01') \
         AND NOT EXISTS (SELECT 1 FROM payroll_corrections k WHERE k.case_id = f.case_id \
           AND k.month_paid = f.month_paid AND k.action = 'remove')",
    )
    .bind(payroll_id)
    .bind(program.code())
    .bind(district.as_str())
    .bind(month.to_string())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    // Made again while still generated: amount corrections recorded on it still hold
    // (a line taken off is skipped by the inserts above).
    let corrected: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM payroll_corrections WHERE payroll_id = $1 AND action = 'amount'",
    )
    .bind(payroll_id)
    .fetch_one(&mut **tx)
    .await?;
    if corrected > 0 {
        let latest = "FROM payroll_corrections k WHERE k.payroll_id = $1 AND k.action = 'amount' \
             AND k.case_id = payroll_lines.case_id AND k.month_paid = payroll_lines.month_paid";
        sqlx::query(&format!(
            "UPDATE payroll_lines SET amount = (SELECT k.amount_after {latest} ORDER BY k.id DESC LIMIT 1) \
             WHERE payroll_id = $1 AND EXISTS (SELECT 1 {latest})"
        ))
        .bind(payroll_id)
        .execute(&mut **tx)
        .await?;
    }
    // Read the same way as the regular lines (see `insert_month_sql`).
    let without_payee: i64 = sqlx::query(
        "SELECT COUNT(*) FROM cases c WHERE c.program = $1 AND c.status || '' IN ('active', 'exited') \
         AND c.approved_on || '' < $2 AND (c.exited_on IS NULL OR c.exited_on >= $2) \
         AND substr(c.region_code, 1, 6) = $3 \
         AND NOT EXISTS (SELECT 1 FROM members m WHERE m.household_id = c.household_id AND m.relation = '本人')",
    )
    .bind(program.code())
    .bind(month.first_day().to_string())
    .bind(district.as_str())
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    let without_account: i64 = sqlx::query(
        "SELECT COUNT(*) FROM payroll_lines WHERE payroll_id = $1 AND bank_sealed IS NULL",
    )
    .bind(payroll_id)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    Ok(Generated {
        payroll_id,
        regular,
        arrears,
        reissued,
        without_payee,
        without_account,
    })
}

/// Moves a payroll to `to`, recording who and when in the column of that step (sent
/// back to generated: the submission undone and the reason kept); false when someone
/// changed it since `version`.
pub async fn set_status(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    version: i64,
    to: Status,
    (by, at): (&str, &str),
    note: &str,
) -> Result<bool, sqlx::Error> {
    let (sql, with_who) = match to {
        Status::Generated => (
            "UPDATE payrolls SET status = $1, submitted_by = NULL, submitted_at = NULL, return_note = $4, \
             version = version + 1 WHERE id = $2 AND version = $3"
                .to_string(),
            false,
        ),
        _ => {
            let step = match to {
                Status::Submitted => "submitted",
                Status::Approved => "approved",
                Status::Exported => "exported",
                _ => "reconciled",
            };
            (
                format!(
                    "UPDATE payrolls SET status = $1, {step}_by = $4, {step}_at = $5, \
                     version = version + 1 WHERE id = $2 AND version = $3"
                ),
                true,
            )
        }
    };
    let mut q = sqlx::query(&sql).bind(to.code()).bind(id).bind(version);
    q = if with_who {
        q.bind(by).bind(at)
    } else {
        q.bind(note)
    };
    Ok(q.execute(&mut **tx).await?.rows_affected() == 1)
}

/// One line as pages and files show it (the account still sealed).
#[derive(Clone, Debug)]
pub struct Line {
    pub id: i64,
    pub case_id: i64,
    pub region_code: String,
    pub kind: String,
    pub month_paid: String,
    pub amount: Fen,
    pub payee_name: String,
    pub bank_sealed: Option<String>,
    pub status: String,
    pub fail_reason: Option<String>,
}

/// Lines after `after_id` in id order, at most `limit`: pages for the screen and batches
/// for the bank file (keyset, so a million lines stream in flat memory).
pub async fn lines_after(
    db: &Db,
    payroll_id: i64,
    after_id: i64,
    limit: i64,
) -> Result<Vec<Line>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, case_id, region_code, kind, month_paid, amount, payee_name, bank_sealed, status, fail_reason \
         FROM payroll_lines WHERE payroll_id = $1 AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(payroll_id)
    .bind(after_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Line {
                id: r.try_get(0)?,
                case_id: r.try_get(1)?,
                region_code: r.try_get(2)?,
                kind: r.try_get(3)?,
                month_paid: r.try_get(4)?,
                amount: Fen(r.try_get(5)?),
                payee_name: r.try_get(6)?,
                bank_sealed: r.try_get(7)?,
                status: r.try_get(8)?,
                fail_reason: r.try_get(9)?,
            })
        })
        .collect()
}

/// Every line still waiting for the bank, for reconciliation.
pub async fn pending(db: &Db, payroll_id: i64) -> Result<Vec<PendingLine>, sqlx::Error> {
    sqlx::query("SELECT id, amount FROM payroll_lines WHERE payroll_id = $1 AND status = 'pending' ORDER BY id")
        .bind(payroll_id)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(PendingLine {
                id: r.try_get(0)?,
                amount: Fen(r.try_get(1)?),
            })
        })
        .collect()
}

/// Records the bank's answer for each line and what the payroll paid in all.
pub async fn apply_return(
    tx: &mut Transaction<'_, Any>,
    payroll_id: i64,
    outcomes: &[Outcome],
) -> Result<(), sqlx::Error> {
    for o in outcomes {
        sqlx::query(
            "UPDATE payroll_lines SET status = $1, fail_reason = $2 WHERE id = $3 AND payroll_id = $4 AND status = 'pending'",
        )
        .bind(if o.paid { "paid" } else { "failed" })
        .bind((!o.paid).then_some(o.reason.as_str()))
        .bind(o.line_id)
        .bind(payroll_id)
        .execute(&mut **tx)
        .await?;
    }
    // Kept with the payroll for the funds pages: lines never change after reconciliation.
    sqlx::query(
        "UPDATE payrolls SET paid_amount = (SELECT COALESCE(SUM(amount), 0) FROM payroll_lines \
         WHERE payroll_id = $1 AND status = 'paid') WHERE id = $1",
    )
    .bind(payroll_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
