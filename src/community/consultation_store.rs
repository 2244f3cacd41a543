//! SQL for community consultations (社区协商): recording, the list by community and
//! category, and the counts per community with the resolution rate.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use super::model::{ConsultationCategory, ConsultationOutcome};
use crate::db::Db;

/// A consultation as entered, checked.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NewConsultation {
    pub held_on: NaiveDate,
    pub community: String,
    pub topic: String,
    pub category: ConsultationCategory,
    pub participants: i64,
    pub outcome: ConsultationOutcome,
}

#[derive(Clone, Debug, Serialize)]
pub struct Consultation {
    pub id: i64,
    pub held_on: String,
    pub region_code: String,
    pub topic: String,
    pub category_label: &'static str,
    pub participants: i64,
    pub outcome: ConsultationOutcome,
    pub outcome_label: &'static str,
}

/// Records it, or (the same day, community and topic: the ledger's key) updates it; true
/// when new. The insert goes first and yields to the key, so two writers of the same
/// consultation at once neither fail nor both insert.
pub async fn put(
    tx: &mut Transaction<'_, Any>,
    c: &NewConsultation,
    (by, at): (&str, &str),
) -> Result<bool, sqlx::Error> {
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO consultations (held_on, region_code, topic, category, participants, outcome, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (held_on, region_code, topic) DO NOTHING RETURNING id",
    )
    .bind(c.held_on.to_string())
    .bind(&c.community)
    .bind(&c.topic)
    .bind(c.category.code())
    .bind(c.participants)
    .bind(c.outcome.code())
    .bind(by)
    .bind(at)
    .fetch_optional(&mut **tx)
    .await?;
    if inserted.is_some() {
        return Ok(true);
    }
    sqlx::query(
        "UPDATE consultations SET category = $1, participants = $2, outcome = $3 \
         WHERE held_on = $4 AND region_code = $5 AND topic = $6",
    )
    .bind(c.category.code())
    .bind(c.participants)
    .bind(c.outcome.code())
    .bind(c.held_on.to_string())
    .bind(&c.community)
    .bind(&c.topic)
    .execute(&mut **tx)
    .await?;
    Ok(false)
}

/// Takes back a consultation entered by mistake; answers it (for the audit record).
pub async fn delete(
    tx: &mut Transaction<'_, Any>,
    id: i64,
) -> Result<Option<(String, String, String, i64)>, sqlx::Error> {
    let row: Option<(String, String, String, i64)> = sqlx::query_as(
        "SELECT held_on, region_code, topic, participants FROM consultations WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    if row.is_some() {
        sqlx::query("DELETE FROM consultations WHERE id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(row)
}

/// The consultations within the bounds and the days, of a category or all, newest first.
pub async fn list(
    db: &Db,
    bounds: &(String, String),
    (from, to): (NaiveDate, NaiveDate),
    category: Option<ConsultationCategory>,
) -> Result<Vec<Consultation>, sqlx::Error> {
    let mut sql = "SELECT id, held_on, region_code, topic, category, participants, outcome FROM consultations \
         WHERE region_code >= $1 AND region_code < $2 AND held_on >= $3 AND held_on <= $4"
        .to_string();
    if category.is_some() {
        sql.push_str(" AND category = $5");
    }
    sql.push_str(" ORDER BY held_on DESC, region_code");
    let mut q = sqlx::query(&sql)
        .bind(&bounds.0)
        .bind(&bounds.1)
        .bind(from.to_string())
        .bind(to.to_string());
    if let Some(c) = category {
        q = q.bind(c.code());
    }
    q.fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| {
            let outcome = ConsultationOutcome::parse(&r.try_get::<String, _>(6)?)
                .ok_or_else(|| sqlx::Error::Decode("consultations.outcome".into()))?;
            Ok(Consultation {
                id: r.try_get(0)?,
                held_on: r.try_get(1)?,
                region_code: r.try_get(2)?,
                topic: r.try_get(3)?,
                category_label: ConsultationCategory::parse(&r.try_get::<String, _>(4)?)
                    .map_or("", ConsultationCategory::label),
                participants: r.try_get(5)?,
                outcome,
                outcome_label: outcome.label(),
            })
        })
        .collect()
}

/// All consultations within the bounds as the ledger has them.
pub async fn ledger_rows(
    db: &Db,
    bounds: &(String, String),
) -> Result<Vec<Vec<String>>, sqlx::Error> {
    // Dates are compared as ISO text: the widest four-digit years.
    let all_days = (
        NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default(),
    );
    let all = list(db, bounds, all_days, None).await?;
    Ok(all
        .into_iter()
        .rev()
        .map(|c| {
            vec![
                c.held_on,
                c.region_code,
                c.topic,
                c.category_label.to_string(),
                c.participants.to_string(),
                c.outcome_label.to_string(),
            ]
        })
        .collect())
}
