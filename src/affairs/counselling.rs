//! Marriage and family counselling (婚姻家庭辅导) sessions held by a registry: the day, the
//! topic and the people counselled, listed per quarter with their total. Audited.

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;

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
}

/// The sessions of registries in the user's scope held in the quarter, newest first.
pub async fn list(state: &AppState, user: &CurrentUser, q: Quarter) -> AppResult<Vec<Session>> {
    let bounds = user.scope_bounds();
    let rows = sqlx::query(
        "SELECT id, office_code, held_on, topic, participants FROM marriage_counselling \
         WHERE office_code >= $1 AND office_code < $2 AND held_on >= $3 AND held_on <= $4 \
         ORDER BY held_on DESC, id DESC",
    )
    .bind(&bounds.0)
    .bind(&bounds.1)
    .bind(q.first_day().to_string())
    .bind(q.last_day().to_string())
    .fetch_all(state.db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Session {
                id: r.try_get(0)?,
                office_code: r.try_get(1)?,
                held_on: r.try_get(2)?,
                topic: r.try_get(3)?,
                participants: r.try_get(4)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
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
    Ok(Json(json!({
        "quarter": q.to_string(),
        "participants": sessions.iter().map(|s| s.participants).sum::<i64>(),
        "sessions": sessions,
    })))
}

#[derive(Deserialize)]
pub struct CounsellingForm {
    #[serde(default)]
    office: String,
    #[serde(default)]
    held_on: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    participants: Value,
}

async fn add(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<CounsellingForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let office = office(&state, &user, &form.office).await?;
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
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO marriage_counselling (office_code, held_on, topic, participants, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(&office)
    .bind(held_on.to_string())
    .bind(&topic)
    .bind(participants)
    .bind(&user.username)
    .bind(now.to_rfc3339())
    .fetch_one(&mut *tx)
    .await?;
    record(
        &mut tx,
        &AuditEvent::new(now, &ctx.actor(), "marriage.counselling", "marriage_counselling", id.to_string())
            .with(json!({"office": office, "held_on": held_on.to_string(), "topic": topic, "participants": participants})),
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
