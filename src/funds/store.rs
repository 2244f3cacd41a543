//! SQL for budgets, allocations and what was spent.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use super::model::{BudgetLine, FundProgram, FundSource, NewAllocation};
use crate::db::Db;
use crate::money::Fen;

fn program(s: &str) -> Result<FundProgram, sqlx::Error> {
    FundProgram::parse(s).ok_or_else(|| sqlx::Error::Decode(format!("fund program {s}").into()))
}

fn source(s: &str) -> Result<FundSource, sqlx::Error> {
    FundSource::parse(s).ok_or_else(|| sqlx::Error::Decode(format!("fund source {s}").into()))
}

#[derive(Clone, Debug, Serialize)]
pub struct BudgetRow {
    pub year: i32,
    pub district_code: String,
    pub program: FundProgram,
    pub source: FundSource,
    pub amount: Fen,
    pub updated_by: String,
    pub updated_at: String,
}

/// Sets a budget line, answering what it was before (none when new).
pub async fn set_budget(
    tx: &mut Transaction<'_, Any>,
    district: &str,
    b: &BudgetLine,
    by: &str,
    at: &str,
) -> Result<Option<Fen>, sqlx::Error> {
    let before: Option<i64> = sqlx::query_scalar(
        "SELECT amount FROM fund_budgets WHERE year = $1 AND district_code = $2 AND program = $3 AND source = $4",
    )
    .bind(b.year as i64)
    .bind(district)
    .bind(b.program.code())
    .bind(b.source.code())
    .fetch_optional(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO fund_budgets (year, district_code, program, source, amount, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (year, district_code, program, source) DO UPDATE SET amount = excluded.amount, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(b.year as i64)
    .bind(district)
    .bind(b.program.code())
    .bind(b.source.code())
    .bind(b.amount.0)
    .bind(by)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(before.map(Fen))
}

/// The budget lines of a year for the districts within the bounds.
pub async fn budgets(
    db: &Db,
    year: i32,
    bounds: &(String, String),
) -> Result<Vec<BudgetRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT year, district_code, program, source, amount, updated_by, updated_at FROM fund_budgets \
         WHERE year = $1 AND district_code >= $2 AND district_code < $3 \
         ORDER BY district_code, program, source",
    )
    .bind(year as i64)
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(BudgetRow {
                year: r.try_get::<i64, _>(0)? as i32,
                district_code: r.try_get(1)?,
                program: program(&r.try_get::<String, _>(2)?)?,
                source: source(&r.try_get::<String, _>(3)?)?,
                amount: Fen(r.try_get(4)?),
                updated_by: r.try_get(5)?,
                updated_at: r.try_get(6)?,
            })
        })
        .collect()
}

#[derive(Clone, Debug, Serialize)]
pub struct Allocation {
    pub id: i64,
    pub year: i32,
    pub district_code: String,
    pub program: FundProgram,
    pub source: FundSource,
    pub amount: Fen,
    pub allocated_on: String,
    pub document_no: String,
    pub created_by: String,
    pub created_at: String,
}

const ALLOCATION_SELECT: &str = "SELECT id, year, district_code, program, source, amount, allocated_on, \
     document_no, created_by, created_at FROM fund_allocations";

fn allocation_from(r: &sqlx::any::AnyRow) -> Result<Allocation, sqlx::Error> {
    Ok(Allocation {
        id: r.try_get(0)?,
        year: r.try_get::<i64, _>(1)? as i32,
        district_code: r.try_get(2)?,
        program: program(&r.try_get::<String, _>(3)?)?,
        source: source(&r.try_get::<String, _>(4)?)?,
        amount: Fen(r.try_get(5)?),
        allocated_on: r.try_get(6)?,
        document_no: r.try_get(7)?,
        created_by: r.try_get(8)?,
        created_at: r.try_get(9)?,
    })
}

pub async fn add_allocation(
    tx: &mut Transaction<'_, Any>,
    district: &str,
    a: &NewAllocation,
    by: &str,
    at: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO fund_allocations (year, district_code, program, source, amount, allocated_on, \
         document_no, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(a.year as i64)
    .bind(district)
    .bind(a.program.code())
    .bind(a.source.code())
    .bind(a.amount.0)
    .bind(a.allocated_on.to_string())
    .bind(&a.document_no)
    .bind(by)
    .bind(at)
    .fetch_one(&mut **tx)
    .await
}

/// Removes an allocation entered by mistake, answering what it was.
pub async fn delete_allocation(
    tx: &mut Transaction<'_, Any>,
    id: i64,
) -> Result<Option<Allocation>, sqlx::Error> {
    let sql = format!("{ALLOCATION_SELECT} WHERE id = $1");
    let Some(row) = sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await? else {
        return Ok(None);
    };
    let gone = allocation_from(&row)?;
    sqlx::query("DELETE FROM fund_allocations WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(Some(gone))
}

/// The allocations of a budget year for the districts within the bounds, in date order.
pub async fn allocations(
    db: &Db,
    year: i32,
    bounds: &(String, String),
) -> Result<Vec<Allocation>, sqlx::Error> {
    let sql = format!(
        "{ALLOCATION_SELECT} WHERE year = $1 AND district_code >= $2 AND district_code < $3 \
         ORDER BY allocated_on, id"
    );
    let rows = sqlx::query(&sql)
        .bind(year as i64)
        .bind(&bounds.0)
        .bind(&bounds.1)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(allocation_from).collect()
}

/// Spent per (district, program) over a run of whole months: what reconciled payrolls of
/// those months paid (a payment counts in its payroll's month, so a failed payment
/// re-issued later counts when it was paid), and temporary grants given in those days
/// (a cancelled grant is not spending).
pub async fn spent(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
    bounds: &(String, String),
) -> Result<HashMap<(String, FundProgram), Fen>, sqlx::Error> {
    let mut out: HashMap<(String, FundProgram), Fen> = HashMap::new();
    let payrolls = sqlx::query(
        "SELECT district_code, program, CAST(SUM(paid_amount) AS BIGINT) FROM payrolls \
         WHERE status = 'reconciled' AND month >= $1 AND month <= $2 \
         AND district_code >= $3 AND district_code < $4 GROUP BY district_code, program",
    )
    .bind(from.format("%Y-%m").to_string())
    .bind(to.format("%Y-%m").to_string())
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_all(db.pool())
    .await?;
    let temporary = sqlx::query(
        "SELECT substr(region_code, 1, 6), 'temporary', CAST(SUM(amount) AS BIGINT) FROM temporary_grants \
         WHERE status = 'valid' AND grant_date >= $1 AND grant_date <= $2 \
         AND region_code >= $3 AND region_code < $4 GROUP BY substr(region_code, 1, 6)",
    )
    .bind(from.to_string())
    .bind(to.to_string())
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_all(db.pool())
    .await?;
    for r in payrolls.iter().chain(&temporary) {
        let key = (r.try_get(0)?, program(&r.try_get::<String, _>(1)?)?);
        *out.entry(key).or_default() += Fen(r.try_get::<Option<i64>, _>(2)?.unwrap_or(0));
    }
    Ok(out)
}
