//! Cremation records (火化) on a page and the API: the funeral home's report of a death —
//! the deceased's ID (sealed, with the blind index the data comparison matches on), name,
//! dates of death and cremation, and region. Every record is audited; IDs are shown masked.

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;

use super::cemeteries_web::{MANAGE, READ};
use super::funeral::check_cremation;
use super::funeral_input::day;
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::protect::SensitiveKind;
use crate::web::extract::FormOrJson;
use crate::web::layout::{Crumb, PageCtx, render};

pub fn routes() -> Routes {
    Routes::new()
        .get("/affairs/cremations", READ, page)
        .post("/affairs/cremations", MANAGE, add)
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

#[derive(Template)]
#[template(path = "affairs/cremations.html")]
struct Page {
    page: PageCtx,
    cremations: Vec<Cremation>,
    can_manage: bool,
}

async fn page(State(state): State<AppState>, user: CurrentUser) -> AppResult<Html<String>> {
    let page = PageCtx::load(
        &state,
        Some(&user),
        "cremations",
        "火化记录",
        vec![
            Crumb::link("公墓", "/affairs/cemeteries"),
            Crumb::here("火化记录"),
        ],
    )
    .await?;
    render(Page {
        page,
        cremations: list(&state, &user).await?,
        can_manage: user.can("funeral:registry:manage"),
    })
}

async fn api_list(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<Value>> {
    Ok(Json(json!({ "cremations": list(&state, &user).await? })))
}

async fn list(state: &AppState, user: &CurrentUser) -> AppResult<Vec<Cremation>> {
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
    Ok(out)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CremationForm {
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-02")]
    died_on: String,
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-02")]
    cremated_on: String,
    #[serde(default)]
    region_code: String,
}

async fn add(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<CremationForm>,
) -> AppResult<Response> {
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
    // The person is locked before the duplicate check: of two clerks recording the same
    // death at once, the second waits and gets the refusal below, not a failure on the
    // unique blind index.
    state
        .db
        .lock_keys(
            &mut tx,
            // With the registry: the death re-audits marriages below, after this
            // transaction's audit entry, so the lock must be taken now, first.
            &[
                format!("deceased:{}", sealed.index),
                super::marriage_store::REGISTRY_LOCK.to_string(),
            ],
        )
        .await?;
    let known: Option<(i64, String)> =
        sqlx::query_as("SELECT id, region_code FROM cremations WHERE id_number_index = $1")
            .bind(&sealed.index)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some((id, at)) = known {
        // The record's number only where the user may open it: outside their districts
        // the refusal must not tell more than that the person is already recorded.
        return Err(AppError::Conflict(if user.scope().contains(&at) {
            format!("这个身份证号已有火化记录（编号 {id}），同一人只登记一次。")
        } else {
            "这个身份证号已有火化记录（不在您的辖区），同一人只登记一次；如有疑问请与市局核对。"
                .to_string()
        }));
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
    crate::affairs::marriage_store::on_death(
        &mut tx,
        &sealed.index,
        (&state.db, &state.keyring),
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "funeral.cremation.record",
            "cremation",
            id.to_string(),
        ),
    )
    .await?;
    tx.commit().await?;
    if json {
        return Ok(Json(json!({ "id": id })).into_response());
    }
    Ok(Redirect::to("/affairs/cremations").into_response())
}
