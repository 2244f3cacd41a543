//! The monthly allowance of government-paid home care: the city's table
//! (`care_allowances`), and for one person in one month what they are entitled to, what
//! their orders have used and what is left. The rule itself is
//! `crate::elderly::people::eligibility`.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use sqlx::{Any, AnyConnection, Row, Transaction};

use crate::elderly::people::{
    self, AllowanceRule, Category, Eligibility, Standing, rules_in_force,
};
use crate::elderly::people_store::{self, Person, date};
use crate::money::Fen;

/// Every row of the table, oldest first.
pub async fn rules(conn: &mut AnyConnection) -> Result<Vec<AllowanceRule>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT category, effective_from, monthly, threshold FROM care_allowances \
         ORDER BY effective_from, category",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let category: String = r.try_get(0)?;
            Ok(AllowanceRule {
                category: Category::parse(&category).ok_or_else(|| {
                    sqlx::Error::Decode("care_allowances.category has an unknown value".into())
                })?,
                effective_from: date(&r.try_get::<String, _>(1)?, "effective_from")?,
                monthly: Fen(r.try_get(2)?),
                threshold: r.try_get(3)?,
            })
        })
        .collect()
}

/// Sets a category's amount (and parameter) from a month on; returns the row it
/// replaced for that month, if any.
pub async fn set_rule(
    tx: &mut Transaction<'_, Any>,
    rule: &AllowanceRule,
    by: &str,
    now: &str,
) -> Result<Option<(Fen, Option<i64>)>, sqlx::Error> {
    let before = sqlx::query(
        "SELECT monthly, threshold FROM care_allowances WHERE category = $1 AND effective_from = $2",
    )
    .bind(rule.category.code())
    .bind(rule.effective_from.to_string())
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| Ok::<_, sqlx::Error>((Fen(r.try_get(0)?), r.try_get(1)?)))
    .transpose()?;
    sqlx::query(
        "INSERT INTO care_allowances (category, effective_from, monthly, threshold, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (category, effective_from) DO UPDATE SET \
         monthly = excluded.monthly, threshold = excluded.threshold, updated_by = excluded.updated_by, \
         updated_at = excluded.updated_at",
    )
    .bind(rule.category.code())
    .bind(rule.effective_from.to_string())
    .bind(rule.monthly.0)
    .bind(rule.threshold)
    .bind(by)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(before)
}

/// The allowance month of a day: `2026-11`.
pub fn month_of(day: NaiveDate) -> String {
    format!("{:04}-{:02}", day.year(), day.month())
}

/// One person's allowance in the month of `today`.
#[derive(Clone, Debug, Serialize)]
pub struct MonthAllowance {
    pub month: String,
    pub tekun: bool,
    pub dibao: bool,
    pub age: u32,
    #[serde(skip)]
    pub eligibility: Eligibility,
    /// Each category that applies: code, label, monthly amount in yuan.
    pub categories: Vec<(&'static str, &'static str, String)>,
    pub explanation: String,
    #[serde(serialize_with = "crate::homecare::yuan")]
    pub monthly: Fen,
    #[serde(serialize_with = "crate::homecare::yuan")]
    pub used: Fen,
    #[serde(serialize_with = "crate::homecare::yuan")]
    pub remaining: Fen,
}

/// What subsidies the person's orders of `month` take (cancelled ones give theirs back).
pub async fn used(
    conn: &mut AnyConnection,
    person_id: i64,
    month: &str,
) -> Result<Fen, sqlx::Error> {
    let used: Option<i64> = sqlx::query(
        "SELECT CAST(SUM(subsidy) AS BIGINT) FROM care_orders \
         WHERE person_id = $1 AND month = $2 AND status <> 'cancelled'",
    )
    .bind(person_id)
    .bind(month)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    Ok(Fen(used.unwrap_or(0)))
}

/// The person's standing today, from the 特困/低保 link, the ID's birth date and the
/// last assessment.
pub async fn standing(
    conn: &mut AnyConnection,
    person: &Person,
    today: NaiveDate,
) -> Result<Standing, sqlx::Error> {
    let everywhere = crate::db::prefix_bounds("");
    let programs = people_store::programs(conn, &everywhere, Some(person.id)).await?;
    let (tekun, dibao) = programs.get(&person.id).copied().unwrap_or_default();
    Ok(Standing {
        tekun,
        dibao,
        age: crate::ids::idcard::age_on(person.birth_date, today),
        ability: person.ability,
    })
}

/// Entitlement, use and remainder of `person` in the month of `today`.
pub async fn for_month(
    conn: &mut AnyConnection,
    person: &Person,
    today: NaiveDate,
) -> Result<MonthAllowance, sqlx::Error> {
    let standing = standing(conn, person, today).await?;
    let table = rules(conn).await?;
    let eligibility = people::eligibility(standing, &rules_in_force(&table, today));
    let month = month_of(today);
    let used = used(conn, person.id, &month).await?;
    Ok(MonthAllowance {
        tekun: standing.tekun,
        dibao: standing.dibao,
        age: standing.age,
        explanation: eligibility.explanation(),
        categories: eligibility
            .categories
            .iter()
            .map(|(c, f)| (c.code(), c.label(), f.to_yuan_string()))
            .collect(),
        monthly: eligibility.monthly,
        remaining: people::remaining(eligibility.monthly, used),
        used,
        eligibility,
        month,
    })
}
