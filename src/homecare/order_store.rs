//! SQL for the orders and their steps. Each step is an UPDATE guarded by the order's
//! status and version, so two people acting on one order cannot both succeed; the
//! figures of performance and meal counts are read here too.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};

use super::model::{MealCount, OrderFacts, OrderStatus, Payment, Rating, RequestedBy, ServiceKind};
use super::store::decode;
use crate::db::Db;
use crate::money::Fen;

pub(crate) fn time(s: &str) -> Result<DateTime<FixedOffset>, sqlx::Error> {
    DateTime::parse_from_rfc3339(s).map_err(|_| decode("a care_orders time"))
}

/// An order with the names a page shows.
#[derive(Clone, Debug, Serialize)]
pub struct Order {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub region_code: String,
    pub service_id: i64,
    pub service_name: String,
    pub kind: ServiceKind,
    pub unit: String,
    pub provider_id: Option<i64>,
    pub provider_name: Option<String>,
    pub quantity: i64,
    #[serde(serialize_with = "super::yuan")]
    pub unit_price: Fen,
    #[serde(serialize_with = "super::yuan")]
    pub amount: Fen,
    pub payment: Payment,
    #[serde(serialize_with = "super::yuan")]
    pub subsidy: Fen,
    pub month: String,
    pub requested_by: RequestedBy,
    pub requester: String,
    pub note: String,
    pub placed_by: String,
    pub requested_at: String,
    pub status: OrderStatus,
    pub status_label: &'static str,
    pub dispatched_at: Option<String>,
    pub dispatched_by: Option<String>,
    pub served_at: Option<String>,
    pub server_name: Option<String>,
    pub served_by: Option<String>,
    pub rating: Option<i64>,
    pub rating_comment: Option<String>,
    pub complaint: bool,
    pub rated_at: Option<String>,
    pub rated_by: Option<String>,
    pub cancelled_at: Option<String>,
    pub cancelled_by: Option<String>,
    pub cancel_reason: Option<String>,
    pub version: i64,
}

/// `2026-11-29T10:30:00+08:00` → `2026-11-29 10:30`, for pages.
pub fn short_time(s: &str) -> String {
    s.get(..16).unwrap_or(s).replace('T', " ")
}

impl Order {
    pub fn requested_short(&self) -> String {
        short_time(&self.requested_at)
    }
    pub fn dispatched_short(&self) -> String {
        self.dispatched_at
            .as_deref()
            .map(short_time)
            .unwrap_or_default()
    }
    pub fn served_short(&self) -> String {
        self.served_at
            .as_deref()
            .map(short_time)
            .unwrap_or_default()
    }
    pub fn rated_short(&self) -> String {
        self.rated_at.as_deref().map(short_time).unwrap_or_default()
    }
    pub fn cancelled_short(&self) -> String {
        self.cancelled_at
            .as_deref()
            .map(short_time)
            .unwrap_or_default()
    }
}

const ORDER_SELECT: &str = "SELECT o.*, p.name AS person_name, p.region_code, s.name AS service_name, \
    s.kind, s.unit, pr.name AS provider_name FROM care_orders o \
    JOIN older_people p ON p.id = o.person_id JOIN care_services s ON s.id = o.service_id \
    LEFT JOIN care_providers pr ON pr.id = o.provider_id";

fn order_from(r: &AnyRow) -> Result<Order, sqlx::Error> {
    let status = OrderStatus::parse(&r.try_get::<String, _>("status")?)
        .ok_or_else(|| decode("care_orders.status"))?;
    Ok(Order {
        id: r.try_get("id")?,
        person_id: r.try_get("person_id")?,
        person_name: r.try_get("person_name")?,
        region_code: r.try_get("region_code")?,
        service_id: r.try_get("service_id")?,
        service_name: r.try_get("service_name")?,
        kind: ServiceKind::parse(&r.try_get::<String, _>("kind")?)
            .ok_or_else(|| decode("care_services.kind"))?,
        unit: r.try_get("unit")?,
        provider_id: r.try_get("provider_id")?,
        provider_name: r.try_get("provider_name")?,
        quantity: r.try_get("quantity")?,
        unit_price: Fen(r.try_get("unit_price")?),
        amount: Fen(r.try_get("amount")?),
        payment: Payment::parse(&r.try_get::<String, _>("payment")?)
            .ok_or_else(|| decode("care_orders.payment"))?,
        subsidy: Fen(r.try_get("subsidy")?),
        month: r.try_get("month")?,
        requested_by: RequestedBy::parse(&r.try_get::<String, _>("requested_by")?)
            .ok_or_else(|| decode("care_orders.requested_by"))?,
        requester: r.try_get("requester")?,
        note: r.try_get("note")?,
        placed_by: r.try_get("placed_by")?,
        requested_at: r.try_get("requested_at")?,
        status,
        status_label: status.label(),
        dispatched_at: r.try_get("dispatched_at")?,
        dispatched_by: r.try_get("dispatched_by")?,
        served_at: r.try_get("served_at")?,
        server_name: r.try_get("server_name")?,
        served_by: r.try_get("served_by")?,
        rating: r.try_get("rating")?,
        rating_comment: r.try_get("rating_comment")?,
        complaint: crate::db::is_set(r.try_get("complaint")?),
        rated_at: r.try_get("rated_at")?,
        rated_by: r.try_get("rated_by")?,
        cancelled_at: r.try_get("cancelled_at")?,
        cancelled_by: r.try_get("cancelled_by")?,
        cancel_reason: r.try_get("cancel_reason")?,
        version: r.try_get("version")?,
    })
}

pub async fn order(conn: &mut AnyConnection, id: i64) -> Result<Option<Order>, sqlx::Error> {
    let sql = format!("{ORDER_SELECT} WHERE o.id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| order_from(&r))
        .transpose()
}

/// Orders of people in `bounds`, newest first: of one month, one status and/or one
/// person (empty / `None`: any).
pub async fn orders(
    db: &Db,
    bounds: &(String, String),
    (month, status, person): (&str, &str, Option<i64>),
    limit: i64,
) -> Result<Vec<Order>, sqlx::Error> {
    let sql = format!(
        "{ORDER_SELECT} WHERE p.region_code >= $1 AND p.region_code < $2 AND ($3 = '' OR o.month = $3) \
         AND ($4 = '' OR o.status = $4) AND ($5 = 0 OR o.person_id = $5) \
         ORDER BY o.requested_at DESC, o.id DESC LIMIT {limit}"
    );
    let rows = sqlx::query(&sql)
        .bind(&bounds.0)
        .bind(&bounds.1)
        .bind(month)
        .bind(status)
        .bind(person.unwrap_or(0))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(order_from).collect()
}

/// A new order, as checked and priced.
pub struct NewOrder<'a> {
    pub person_id: i64,
    pub service_id: i64,
    pub quantity: i64,
    pub unit_price: Fen,
    pub amount: Fen,
    pub payment: Payment,
    pub subsidy: Fen,
    pub month: &'a str,
    pub requested_by: RequestedBy,
    pub requester: &'a str,
    pub note: &'a str,
}

pub async fn insert_order(
    tx: &mut Transaction<'_, Any>,
    o: &NewOrder<'_>,
    by: &str,
    now: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO care_orders (person_id, service_id, quantity, unit_price, amount, payment, subsidy, \
         month, requested_by, requester, note, placed_by, requested_at, status) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'requested') RETURNING id",
    )
    .bind(o.person_id)
    .bind(o.service_id)
    .bind(o.quantity)
    .bind(o.unit_price.0)
    .bind(o.amount.0)
    .bind(o.payment.code())
    .bind(o.subsidy.0)
    .bind(o.month)
    .bind(o.requested_by.code())
    .bind(o.requester)
    .bind(o.note)
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)
}

/// One step of an order, applied only from `from` at `version`.
pub enum StepChange<'a> {
    Dispatch {
        provider_id: i64,
    },
    Serve {
        server_name: &'a str,
        served_at: &'a str,
    },
    Rate(&'a Rating),
    Cancel {
        reason: &'a str,
    },
}

pub async fn apply_step(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    (from, version): (OrderStatus, i64),
    change: &StepChange<'_>,
    (by, now): (&str, &str),
) -> Result<bool, sqlx::Error> {
    // Each arm binds exactly the parameters its SQL uses ($1… then id, version, from).
    let (sql, to): (&str, OrderStatus) = match change {
        StepChange::Dispatch { .. } => (
            "UPDATE care_orders SET provider_id = $1, dispatched_by = $2, dispatched_at = $3, status = $4, \
             version = version + 1 WHERE id = $5 AND version = $6 AND status = $7",
            OrderStatus::Dispatched,
        ),
        StepChange::Serve { .. } => (
            "UPDATE care_orders SET server_name = $1, served_at = $2, served_by = $3, status = $4, \
             version = version + 1 WHERE id = $5 AND version = $6 AND status = $7",
            OrderStatus::Served,
        ),
        StepChange::Rate(_) => (
            "UPDATE care_orders SET rating = $1, rating_comment = $2, complaint = $3, rated_by = $4, \
             rated_at = $5, status = $6, version = version + 1 WHERE id = $7 AND version = $8 AND status = $9",
            OrderStatus::Rated,
        ),
        StepChange::Cancel { .. } => (
            "UPDATE care_orders SET cancel_reason = $1, cancelled_by = $2, cancelled_at = $3, status = $4, \
             version = version + 1 WHERE id = $5 AND version = $6 AND status = $7",
            OrderStatus::Cancelled,
        ),
    };
    let q = sqlx::query(sql);
    let q = match change {
        StepChange::Dispatch { provider_id } => q.bind(*provider_id).bind(by).bind(now),
        StepChange::Serve {
            server_name,
            served_at,
        } => q.bind(*server_name).bind(*served_at).bind(by),
        StepChange::Rate(r) => q
            .bind(r.stars)
            .bind(r.comment.clone())
            .bind(crate::db::flag(r.complaint))
            .bind(by)
            .bind(now),
        StepChange::Cancel { reason } => q.bind(*reason).bind(by).bind(now),
    };
    let done = q
        .bind(to.code())
        .bind(id)
        .bind(version)
        .bind(from.code())
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Orders of `month` dispatched to a provider, for people in `bounds`.
pub async fn order_facts(
    db: &Db,
    bounds: &(String, String),
    month: &str,
) -> Result<Vec<OrderFacts>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT o.provider_id, o.status, o.requested_at, o.dispatched_at, o.served_at, o.rating, \
         o.complaint, o.amount, o.subsidy FROM care_orders o JOIN older_people p ON p.id = o.person_id \
         WHERE o.provider_id IS NOT NULL AND o.month = $1 AND p.region_code >= $2 AND p.region_code < $3",
    )
    .bind(month)
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let opt = |c: &str| -> Result<Option<DateTime<FixedOffset>>, sqlx::Error> {
                r.try_get::<Option<String>, _>(c)?
                    .map(|s| time(&s))
                    .transpose()
            };
            Ok(OrderFacts {
                provider_id: r.try_get("provider_id")?,
                status: OrderStatus::parse(&r.try_get::<String, _>("status")?)
                    .ok_or_else(|| decode("care_orders.status"))?,
                requested_at: time(&r.try_get::<String, _>("requested_at")?)?,
                dispatched_at: opt("dispatched_at")?,
                served_at: opt("served_at")?,
                rating: r.try_get("rating")?,
                complaint: crate::db::is_set(r.try_get("complaint")?),
                amount: Fen(r.try_get("amount")?),
                subsidy: Fen(r.try_get("subsidy")?),
            })
        })
        .collect()
}

/// Meals (助餐 units) served per provider per day in `[from, to)`, for people in `bounds`.
pub async fn meal_counts(
    db: &Db,
    bounds: &(String, String),
    (from, to): (&str, &str),
) -> Result<Vec<MealCount>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT o.provider_id, substr(o.served_at, 1, 10) AS day, CAST(SUM(o.quantity) AS BIGINT) AS meals \
         FROM care_orders o JOIN care_services s ON s.id = o.service_id \
         JOIN older_people p ON p.id = o.person_id \
         WHERE s.kind = 'meal' AND o.status IN ('served', 'rated') AND o.served_at >= $1 AND o.served_at < $2 \
         AND p.region_code >= $3 AND p.region_code < $4 \
         GROUP BY o.provider_id, substr(o.served_at, 1, 10) ORDER BY o.provider_id, day",
    )
    .bind(from)
    .bind(to)
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(MealCount {
                provider_id: r.try_get(0)?,
                day: crate::elderly::people_store::date(&r.try_get::<String, _>(1)?, "day")?,
                meals: r.try_get(2)?,
            })
        })
        .collect()
}

/// Cancels a person's orders not yet served (their registration ended); how many.
pub async fn cancel_open_orders(
    tx: &mut Transaction<'_, Any>,
    person_id: i64,
    reason: &str,
    (by, now): (&str, &str),
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE care_orders SET status = 'cancelled', cancel_reason = $1, cancelled_by = $2, \
         cancelled_at = $3, version = version + 1 WHERE person_id = $4 \
         AND status IN ('requested', 'dispatched')",
    )
    .bind(reason)
    .bind(by)
    .bind(now)
    .bind(person_id)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}
