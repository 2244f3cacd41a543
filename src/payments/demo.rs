//! Demo payments: a year of monthly payrolls for every district and program, made,
//! approved by another person, exported and reconciled (one payment in 150 failed and
//! paid again the next month), this month's still to be submitted; and a few payments
//! for the supervision queue: two households on one account, a death recorded late, a
//! review after the payroll was made.

use chrono::Datelike;
use sqlx::Row;

use super::anomalies::{self, Scope};
use super::rules::{Month, Outcome, Status};
use super::store;
use crate::assistance::model::Program;
use crate::demo::{DemoContext, DemoError, DemoFuture};
use crate::region::RegionCode;

/// Months of payrolls, ending with this month.
const MONTHS: u32 = 12;

pub fn generate<'a>(ctx: &'a mut DemoContext<'_>) -> DemoFuture<'a> {
    Box::pin(async move {
        let db_err = |e: sqlx::Error| DemoError::Database(e);
        let districts: Vec<RegionCode> =
            sqlx::query("SELECT code FROM regions WHERE level = 'district' ORDER BY code")
                .fetch_all(&mut *ctx.tx)
                .await?
                .iter()
                .filter_map(|r| r.try_get::<String, _>(0).ok())
                .filter_map(|c| RegionCode::parse(&c).ok())
                .collect();
        // Two households of the first district paid to one account.
        let pair: Vec<i64> = sqlx::query(
            "SELECT m.id FROM members m JOIN households h ON h.id = m.household_id \
             JOIN cases c ON c.household_id = h.id AND c.status = 'active' AND c.program = 'dibao' \
             WHERE m.relation = '本人' AND m.bank_sealed IS NOT NULL ORDER BY h.id LIMIT 2",
        )
        .fetch_all(&mut *ctx.tx)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
        if let [first, second] = pair[..] {
            sqlx::query(
                "UPDATE members SET bank_sealed = (SELECT bank_sealed FROM members WHERE id = $1), \
                 bank_index = (SELECT bank_index FROM members WHERE id = $1) WHERE id = $2",
            )
            .bind(first)
            .bind(second)
            .execute(&mut *ctx.tx)
            .await?;
        }
        let current = Month::of(ctx.today);
        let mut month = current;
        for _ in 1..MONTHS {
            month = month.previous();
        }
        let (mut payrolls, mut lines, mut failed) = (0, 0i64, 0);
        loop {
            // Made on the 20th of the month (today for this month), approved two days on.
            let made_on = if month == current {
                ctx.today
            } else {
                month.first_day().with_day(20).unwrap_or(month.first_day())
            };
            let at = format!("{made_on}T09:00:00+08:00");
            for d in &districts {
                for program in [Program::Dibao, Program::Tekun] {
                    let made = store::generate(&mut ctx.tx, month, program, d, "shenhe", &at)
                        .await
                        .map_err(|e| DemoError::Other(e.to_string()))?;
                    payrolls += 1;
                    if month == current {
                        continue;
                    }
                    let id = made.payroll_id;
                    for (to, who) in [
                        (Status::Submitted, "shenhe"),
                        (Status::Approved, "shenpi"),
                        (Status::Exported, "shenhe"),
                    ] {
                        let version: i64 =
                            sqlx::query("SELECT version FROM payrolls WHERE id = $1")
                                .bind(id)
                                .fetch_one(&mut *ctx.tx)
                                .await?
                                .try_get(0)?;
                        store::set_status(&mut ctx.tx, id, version, to, (who, &at), "").await?;
                    }
                    let outcomes: Vec<Outcome> = sqlx::query(
                        "SELECT id FROM payroll_lines WHERE payroll_id = $1 ORDER BY id",
                    )
                    .bind(id)
                    .fetch_all(&mut *ctx.tx)
                    .await?
                    .iter()
                    .map(|r| {
                        let line: i64 = r.try_get(0).unwrap_or(0);
                        let paid = line % 150 != 0;
                        Outcome {
                            line_id: line,
                            paid,
                            reason: if paid {
                                String::new()
                            } else {
                                "账户已销户".into()
                            },
                        }
                    })
                    .collect();
                    lines += outcomes.len() as i64;
                    failed += outcomes.iter().filter(|o| !o.paid).count();
                    store::apply_return(&mut ctx.tx, id, &outcomes).await?;
                    let version: i64 = sqlx::query("SELECT version FROM payrolls WHERE id = $1")
                        .bind(id)
                        .fetch_one(&mut *ctx.tx)
                        .await?
                        .try_get(0)?;
                    store::set_status(
                        &mut ctx.tx,
                        id,
                        version,
                        Status::Reconciled,
                        ("shenhe", &at),
                        "",
                    )
                    .await?;
                }
            }
            if month == current {
                break;
            }
            month = month.next();
        }
        // A death recorded late: the case stopped three months ago, after it was paid on.
        let three_back = current.previous().previous().previous();
        let died: Option<i64> = sqlx::query(
            "SELECT l.case_id FROM payroll_lines l JOIN cases c ON c.id = l.case_id \
             WHERE c.status = 'active' AND c.program = 'tekun' AND l.month_paid = $1 ORDER BY l.case_id LIMIT 1",
        )
        .bind(current.previous().to_string())
        .fetch_optional(&mut *ctx.tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
        if let Some(case_id) = died {
            sqlx::query(
                "UPDATE cases SET status = 'exited', exit_reason = 'death', exited_on = $1 WHERE id = $2",
            )
            .bind(format!("{}-12", three_back))
            .bind(case_id)
            .execute(&mut *ctx.tx)
            .await?;
        }
        // A review raising an amount after last month's payroll was made.
        let reviewed: Option<(i64, i64)> = sqlx::query(
            "SELECT c.id, c.monthly_amount FROM payroll_lines l JOIN cases c ON c.id = l.case_id \
             WHERE c.status = 'active' AND c.program = 'dibao' AND l.month_paid = $1 AND l.kind = 'regular' \
             ORDER BY c.id DESC LIMIT 1",
        )
        .bind(current.previous().to_string())
        .fetch_optional(&mut *ctx.tx)
        .await?
        .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?)))
        .transpose()?;
        if let Some((case_id, amount)) = reviewed {
            let on = current.previous().previous().last_day().to_string();
            sqlx::query(
                "INSERT INTO case_reviews (case_id, reviewed_on, outcome, old_amount, new_amount, explanation, username) \
                 VALUES ($1, $2, 'raise', $3, $4, '示范：复核后提高救助金额', 'shenhe')",
            )
            .bind(case_id)
            .bind(on)
            .bind(amount)
            .bind(amount + 10_000)
            .execute(&mut *ctx.tx)
            .await?;
            sqlx::query("UPDATE cases SET monthly_amount = $1 WHERE id = $2")
                .bind(amount + 10_000)
                .bind(case_id)
                .execute(&mut *ctx.tx)
                .await?;
        }
        let mut from = current;
        for _ in 1..MONTHS {
            from = from.previous();
        }
        let raised = anomalies::detect(
            &mut ctx.tx,
            // The whole city: every district code sorts below "~".
            &Scope::Since(from.to_string(), (String::new(), "~".to_string())),
            &ctx.now.to_rfc3339(),
        )
        .await
        .map_err(db_err)?;
        Ok(format!(
            "资金发放：{MONTHS} 个月 {payrolls} 份名册（本月待提交），已对账 {lines} 笔，其中 {failed} 笔失败并在次月重发；异常发放待核查 {raised} 条"
        ))
    })
}
