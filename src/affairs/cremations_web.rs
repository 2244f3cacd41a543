//! Cremation records (火化) on the API: the funeral home's report of a death — the
//! deceased's ID (sealed, with the blind index the data comparison matches on), name,
//! dates of death and cremation, and region. Every record is audited; IDs are shown masked.

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;

use super::cemeteries_web::{MANAGE, READ};
use super::funeral::check_cremation;
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::protect::SensitiveKind;
use crate::web::extract::FormOrJson;

pub fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/affairs/cremations", READ, api_list)
        .post("/api/v1/affairs/cremations", MANAGE, add)
}

#[derive(Serialize)]
struct Cremation {
    id: i64,
    id_number: String,
    name: String,
    died_on: String,
    cremated_on: String,
    region_code: String,
}

async fn api_list(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<Value>> {
    let bounds = user.scope_bounds();
    let rows = sqlx::query(
        "SELECT id, id_number_sealed, name, died_on, cremated_on, region_code FROM cremations \
         WHERE region_code >= $1 AND region_code < $2 ORDER BY cremated_on DESC, id DESC",
    )
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_all(state.db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let sealed: String = r.try_get(1)?;
        out.push(Cremation {
            id: r.try_get(0)?,
            id_number: state
                .keyring
                .open(SensitiveKind::IdNumber, &sealed)
                .map(|n| SensitiveKind::IdNumber.mask(&n))
                .unwrap_or_default(),
            name: r.try_get(2)?,
            died_on: r.try_get(3)?,
            cremated_on: r.try_get(4)?,
            region_code: r.try_get(5)?,
        });
    }
    Ok(Json(json!({ "cremations": out })))
}

#[derive(Deserialize)]
pub struct CremationForm {
    id_number: String,
    name: String,
    died_on: String,
    cremated_on: String,
    region_code: String,
}

fn day(field: &str, text: &str) -> AppResult<NaiveDate> {
    crate::calendar::parse_date(text.trim()).ok_or_else(|| {
        AppError::Invalid(format!(
            "「{field}」「{}」不是日期，请写成 2026-07-15。",
            text.trim()
        ))
    })
}

async fn add(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, .. }: FormOrJson<CremationForm>,
) -> AppResult<Json<Value>> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let number = crate::ids::IdNumber::parse(form.id_number.trim(), today)
        .map_err(|e| AppError::Invalid(format!("「身份证号」{e}。")))?;
    let name = form.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(AppError::Invalid(
            "请填写逝者「姓名」，不超过 50 字。".to_string(),
        ));
    }
    let died = day("死亡日期", &form.died_on)?;
    let cremated = day("火化日期", &form.cremated_on)?;
    if let Some((field, why)) = check_cremation(died, cremated, today).into_iter().next() {
        return Err(AppError::Invalid(format!("「{field}」{why}。")));
    }
    let region = form.region_code.trim().to_string();
    if crate::region::store::get(&state.db, &region)
        .await?
        .is_none()
    {
        return Err(AppError::Invalid(format!(
            "「区划」{region} 不是行政区划中已有的代码，请填写逝者户籍所在的区县、街道或社区代码。"
        )));
    }
    if !user.scope().contains(&region) {
        return Err(AppError::Forbidden(format!(
            "区划 {region} 不在您的管辖范围内，不能由您登记。"
        )));
    }
    let sealed = state.keyring.seal(SensitiveKind::IdNumber, number.as_str());
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let known: Option<i64> =
        sqlx::query_scalar("SELECT id FROM cremations WHERE id_number_index = $1")
            .bind(&sealed.index)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(id) = known {
        return Err(AppError::Conflict(format!(
            "这个身份证号已有火化记录（编号 {id}），同一人只登记一次。"
        )));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO cremations (id_number_sealed, id_number_index, name, died_on, cremated_on, \
         region_code, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&sealed.sealed)
    .bind(&sealed.index)
    .bind(&name)
    .bind(died.to_string())
    .bind(cremated.to_string())
    .bind(&region)
    .bind(&user.username)
    .bind(now.to_rfc3339())
    .fetch_one(&mut *tx)
    .await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "funeral.cremation.record",
            "cremation",
            id.to_string(),
        )
        .with(json!({
            "died_on": died.to_string(), "cremated_on": cremated.to_string(), "region": region,
        })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    Ok(Json(json!({ "id": id })))
}
