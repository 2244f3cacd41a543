//! Marriage and family counselling (婚姻家庭辅导) sessions held by a registry: the day, the
//! topic and the people counselled, listed per quarter with their total. A session may be
//! held with one couple in the cooling-off: linked to their divorce application, it shows
//! on the application and counts towards the applications withdrawn after counselling.
//! Audited.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;

use super::divorce_store;
use super::marriage_web::{QuarterQuery, READ, REGISTER, office, page_view};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::report::Quarter;
use crate::web::extract::{FormOrJson, typed};

pub fn routes() -> Routes {
    Routes::new()
        .post("/affairs/marriage/counselling", REGISTER, add)
        .get("/api/v1/affairs/marriage/counselling", READ, api_list)
        .post("/api/v1/affairs/marriage/counselling", REGISTER, add)
}

#[derive(Clone, Debug, Serialize)]
pub struct Session {
    pub id: i64,
    pub office_code: String,
    pub held_on: String,
    pub topic: String,
    pub participants: i64,
    /// The divorce application of the couple counselled, if any.
    pub application_id: Option<i64>,
}

const SELECT: &str = "SELECT id, office_code, held_on, topic, participants, application_id FROM marriage_counselling";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Session, sqlx::Error> {
    Ok(Session {
        id: r.try_get(0)?,
        office_code: r.try_get(1)?,
        held_on: r.try_get(2)?,
        topic: r.try_get(3)?,
        participants: r.try_get(4)?,
        application_id: r.try_get(5)?,
    })
}

/// The sessions of registries in the user's scope held in the quarter, newest first.
pub async fn list(state: &AppState, user: &CurrentUser, q: Quarter) -> AppResult<Vec<Session>> {
    let bounds = user.scope_bounds();
    let sql = format!(
        "{SELECT} WHERE office_code >= $1 AND office_code < $2 AND held_on >= $3 AND held_on <= $4 \
         ORDER BY held_on DESC, id DESC"
    );
    let rows = sqlx::query(&sql)
        .bind(&bounds.0)
        .bind(&bounds.1)
        .bind(q.first_day().to_string())
        .bind(q.last_day().to_string())
        .fetch_all(state.db.pool())
        .await?;
    rows.iter()
        .map(from_row)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// The sessions linked to a divorce application, of registries within the bounds, by
/// application (oldest first).
pub async fn by_application(
    state: &AppState,
    bounds: &(String, String),
) -> AppResult<HashMap<i64, Vec<Session>>> {
    let sql = format!(
        "{SELECT} WHERE office_code >= $1 AND office_code < $2 AND application_id IS NOT NULL \
         ORDER BY held_on, id"
    );
    let mut out: HashMap<i64, Vec<Session>> = HashMap::new();
    for row in sqlx::query(&sql)
        .bind(&bounds.0)
        .bind(&bounds.1)
        .fetch_all(state.db.pool())
        .await?
    {
        let s = from_row(&row)?;
        if let Some(a) = s.application_id {
            out.entry(a).or_default().push(s);
        }
    }
    Ok(out)
}

async fn api_list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<QuarterQuery>,
) -> AppResult<Json<Value>> {
    let q = match query.quarter() {
        "" => Quarter::of(state.clock.today()),
        s => s.parse::<Quarter>().map_err(AppError::Invalid)?,
    };
    let sessions = list(&state, &user, q).await?;
    let applications = super::divorce_web::views(&state, &user, q).await?;
    Ok(Json(json!({
        "quarter": q.to_string(),
        "participants": sessions.iter().map(|s| s.participants).sum::<i64>(),
        "withdrawn_after_counselling": super::divorce_web::withdrawn_after_counselling(&applications, q),
        "sessions": sessions,
    })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CounsellingForm {
    #[serde(default)]
    office: String,
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-02")]
    held_on: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    participants: Value,
    /// The divorce application (编号) of the couple counselled; empty: none.
    #[serde(default)]
    application: Value,
}

async fn add(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<CounsellingForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let application = application(&state, &user, &form.application).await?;
    // With a couple's application and no registry chosen: the registry that received it.
    let given = match &application {
        Some(a) if form.office.trim().is_empty() => a.office_code.as_str(),
        _ => form.office.as_str(),
    };
    let office = office(&state, &user, given).await?;
    let held_on: NaiveDate = match form.held_on.trim() {
        "" => today,
        s => crate::calendar::parse_date(s)
            .filter(|d| *d <= today)
            .ok_or_else(|| {
                AppError::Invalid(format!(
                    "「辅导日期」「{s}」应为不晚于今天的日期，如 2026-07-15。"
                ))
            })?,
    };
    let topic = form.topic.trim().to_string();
    if topic.is_empty() || topic.chars().count() > 200 {
        return Err(AppError::Invalid(
            "请填写「辅导主题」（如：离婚冷静期调解），不超过 200 字。".to_string(),
        ));
    }
    let participants = typed(&form.participants)
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=10_000).contains(n))
        .ok_or_else(|| AppError::Invalid("「辅导人数」应为 1 到 10000 的整数。".to_string()))?;
    if let Some(a) = &application {
        if a.office_code != office {
            return Err(AppError::Invalid(format!(
                "「离婚申请」编号 {} 由登记机关 {} 受理，辅导的「登记机关」应与之相同。",
                a.id, a.office_code
            )));
        }
        if a.received_on.as_str() > held_on.to_string().as_str() {
            return Err(AppError::Invalid(format!(
                "「辅导日期」{held_on} 早于离婚申请（编号 {}）的受理日期 {}：关联申请的辅导应在受理之后。",
                a.id, a.received_on
            )));
        }
    }
    let application_id = application.as_ref().map(|a| a.id);
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO marriage_counselling (office_code, held_on, topic, participants, application_id, \
         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(&office)
    .bind(held_on.to_string())
    .bind(&topic)
    .bind(participants)
    .bind(application_id)
    .bind(&user.username)
    .bind(now.to_rfc3339())
    .fetch_one(&mut *tx)
    .await?;
    record(
        &mut tx,
        &AuditEvent::new(now, &ctx.actor(), "marriage.counselling", "marriage_counselling", id.to_string())
            .with(json!({"office": office, "held_on": held_on.to_string(), "topic": topic, "participants": participants,
                    "application": application_id})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!("已记录婚姻家庭辅导：{held_on}「{topic}」，{participants} 人。");
    if json {
        return Ok(Json(json!({"id": id, "message": message})).into_response());
    }
    Ok(
        page_view(&state, &user, Quarter::of(held_on), None, message)
            .await?
            .into_response(),
    )
}

/// The divorce application a form names (empty: none), in the user's scope.
async fn application(
    state: &AppState,
    user: &CurrentUser,
    given: &Value,
) -> AppResult<Option<divorce_store::Application>> {
    let text = typed(given);
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let not_found = || {
        AppError::Invalid(format!(
            "「离婚申请」「{text}」不是您辖区内的离婚申请编号：请填写申请编号，或留空（不关联申请）。"
        ))
    };
    let id: i64 = text.parse().map_err(|_| not_found())?;
    let a = divorce_store::get(state.db.pool(), id)
        .await?
        .ok_or_else(not_found)?;
    // Another district's application is answered as one that does not exist.
    if !user.scope().contains(&a.office_code) {
        return Err(not_found());
    }
    Ok(Some(a))
}
