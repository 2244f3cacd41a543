//! The city's policy numbers (percentages, limits, deadlines — each from an effective
//! date, history kept) and the list of income items not counted, set by the city
//! administrator on the standards page.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::standards::{self, PARAMETERS};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, Routes};
use crate::error::{AppError, AppResult};
use crate::web::extract::FormOrJson;

const UPDATE: Access = Access::Perm("assistance:standard:update");

pub fn routes() -> Routes {
    Routes::new()
        .post("/assistance/parameters", UPDATE, parameter_set)
        .post("/assistance/exclusions", UPDATE, exclusion_add)
        .post("/assistance/exclusions/delete", UPDATE, exclusion_delete)
        .get(
            "/api/v1/assistance-standards",
            Access::Perm("assistance:standard:read"),
            policy_api,
        )
        .post("/api/v1/assistance-parameters", UPDATE, parameter_set)
        .post("/api/v1/assistance-exclusions", UPDATE, exclusion_add)
        .post(
            "/api/v1/assistance-exclusions/delete",
            UPDATE,
            exclusion_delete,
        )
}

/// The whole policy in force today and its history: 低保 standards by district and area,
/// the city's parameters with their ranges, and the income items not counted.
async fn policy_api(State(state): State<AppState>) -> AppResult<axum::Json<serde_json::Value>> {
    let today = state.clock.today();
    let standards: Vec<serde_json::Value> = standards::all(&state.db)
        .await?
        .into_iter()
        .map(|s| {
            json!({
                "district_code": s.district_code,
                "area": s.area.code(),
                "effective_from": s.effective_from.to_string(),
                "dibao_standard": s.dibao_standard.to_yuan_string(),
            })
        })
        .collect();
    let parameters: Vec<serde_json::Value> = standards::parameters_on(&state.db, today)
        .await?
        .into_iter()
        .map(|(p, current, history)| {
            json!({
                "key": p.key,
                "label": p.label,
                "value": current,
                "min": p.min,
                "max": p.max,
                "history": history
                    .into_iter()
                    .map(|(from, v)| json!({ "effective_from": from, "value": v }))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    let exclusions = super::cases::income_exclusions(&state.db).await?;
    Ok(axum::Json(json!({
        "on": today.to_string(),
        "standards": standards,
        "parameters": parameters,
        "income_exclusions": exclusions,
    })))
}

/// The answer to a policy change: the standards page, or JSON for the API.
fn reply(json: bool, done: &str) -> Response {
    if json {
        return axum::Json(json!({ "message": done })).into_response();
    }
    back(done)
}

fn back(done: &str) -> Response {
    Redirect::to(&format!(
        "/assistance/standards?done={}",
        crate::web::encode_query(done)
    ))
    .into_response()
}

async fn audit(
    state: &AppState,
    ctx: &Ctx,
    mut tx: sqlx::Transaction<'static, sqlx::Any>,
    action: &str,
    object: &str,
    details: serde_json::Value,
) -> AppResult<()> {
    record(
        &mut tx,
        &AuditEvent::new(
            state.clock.now_local(),
            &ctx.actor(),
            action,
            "assistance_policy",
            object,
        )
        .with(details),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    Ok(())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ParameterForm {
    #[serde(default)]
    key: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-02")]
    effective_from: String,
}

async fn parameter_set(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: f, json }: FormOrJson<ParameterForm>,
) -> AppResult<Response> {
    let p = PARAMETERS
        .iter()
        .find(|p| p.key == f.key)
        .ok_or_else(|| AppError::Invalid("参数：请从列表中选择要调整的参数。".to_string()))?;
    let value = f
        .value
        .trim()
        .replace(',', "")
        .parse::<i64>()
        .ok()
        .filter(|v| (p.min..=p.max).contains(v))
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "{}：应为 {} 到 {} 之间的整数，现为「{}」。",
                p.label, p.min, p.max, f.value
            ))
        })?;
    let from = crate::calendar::parse_date(&f.effective_from).ok_or_else(|| {
        AppError::Invalid(format!("执行日期：「{}」不是有效日期。", f.effective_from))
    })?;
    let before = standards::parameters_on(&state.db, from)
        .await?
        .into_iter()
        .find(|(q, _, _)| q.key == p.key)
        .map(|(_, v, _)| v);
    let mut tx = state.db.begin().await?;
    standards::set_parameter_value(
        &mut tx,
        p.key,
        from,
        value,
        &state.clock.now_local().to_rfc3339(),
    )
    .await?;
    audit(
        &state,
        &ctx,
        tx,
        "policy.parameter",
        p.key,
        json!({ "effective_from": from.to_string(), "before": before, "after": value }),
    )
    .await?;
    Ok(reply(json, &format!("{} 自 {from} 起为 {value}", p.label)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ExclusionForm {
    #[serde(default)]
    item: String,
}

async fn exclusion_add(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: f, json }: FormOrJson<ExclusionForm>,
) -> AppResult<Response> {
    let item = f.item.trim().to_string();
    if item.is_empty() || item.chars().count() > 30 {
        return Err(AppError::Invalid(
            "不计入收入的项目：请填写项目名称（1 到 30 个字），与登记收入时的项目名称一致。"
                .to_string(),
        ));
    }
    let mut tx = state.db.begin().await?;
    let added = sqlx::query(
        "INSERT INTO income_exclusions (item, created_at) VALUES ($1, $2) ON CONFLICT (item) DO NOTHING",
    )
    .bind(item.clone())
    .bind(state.clock.now_local().to_rfc3339())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if added == 0 {
        return Err(AppError::Conflict(format!(
            "「{item}」已在不计入收入的项目中。"
        )));
    }
    audit(
        &state,
        &ctx,
        tx,
        "policy.exclusion_add",
        &item,
        json!({ "item": item }),
    )
    .await?;
    Ok(reply(json, &format!("「{item}」不再计入家庭收入")))
}

async fn exclusion_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: f, json }: FormOrJson<ExclusionForm>,
) -> AppResult<Response> {
    let item = f.item.trim().to_string();
    let mut tx = state.db.begin().await?;
    let removed = sqlx::query("DELETE FROM income_exclusions WHERE item = $1")
        .bind(item.clone())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if removed == 0 {
        return Err(AppError::NotFound(format!("不计入收入的项目「{item}」")));
    }
    audit(
        &state,
        &ctx,
        tx,
        "policy.exclusion_delete",
        &item,
        json!({ "item": item }),
    )
    .await?;
    Ok(reply(json, &format!("「{item}」恢复计入家庭收入")))
}
