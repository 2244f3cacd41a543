//! Social workers as a page and JSON: counts per district and certificate level, the
//! register, registering one and recording a new certificate (the district desk and the
//! city). Every change is audited in its transaction.

use std::collections::HashMap;

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::socialworkers::{self as store, CertLevel, SocialWorker};
use super::workitems::text;
use super::workitems_web::past_day;
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::region::Level;
use crate::region::web::district_in_scope;
use crate::web::extract::FormOrJson;
use crate::web::layout::{Crumb, PageCtx, render};

pub const READ: Access = Access::Perm("socialwork:register:read");
pub const UPDATE: Access = Access::Perm("socialwork:register:update");
const LIMIT: i64 = 2000;

pub fn routes() -> Routes {
    Routes::new()
        .get("/community/social-workers", READ, page)
        .post("/community/social-workers", UPDATE, add)
        .post("/community/social-workers/{id}", UPDATE, recertify)
        .get("/api/v1/community/social-workers", READ, api_list)
        .post("/api/v1/community/social-workers", UPDATE, add)
        .post("/api/v1/community/social-workers/{id}", UPDATE, recertify)
}

#[derive(Clone, Debug, Serialize)]
pub struct WorkerView {
    pub id: i64,
    pub name: String,
    pub district_code: String,
    pub district: String,
    pub level: &'static str,
    pub level_label: &'static str,
    pub certified_on: String,
    pub version: i64,
}

/// One district's counts by level (in the order of `CertLevel::ALL`) and in total.
#[derive(Clone, Debug, Serialize)]
pub struct DistrictCounts {
    pub district_code: String,
    pub district: String,
    pub by_level: Vec<i64>,
    pub total: i64,
}

#[derive(Serialize)]
struct Register {
    levels: Vec<&'static str>,
    districts: Vec<DistrictCounts>,
    /// Over the districts, by level, then the total.
    totals: Vec<i64>,
    total: i64,
    workers: Vec<WorkerView>,
}

fn view_of(w: &SocialWorker, names: &HashMap<String, String>) -> WorkerView {
    WorkerView {
        id: w.id,
        name: w.name.clone(),
        district_code: w.district_code.clone(),
        district: names.get(&w.district_code).cloned().unwrap_or_default(),
        level: w.level.code(),
        level_label: w.level.label(),
        certified_on: w.certified_on.clone(),
        version: w.version,
    }
}

async fn gather(state: &AppState, user: &CurrentUser) -> AppResult<Register> {
    let bounds = user.scope_bounds();
    let regions = crate::region::store::subtree(&state.db, &user.region).await?;
    let names: HashMap<String, String> = regions
        .iter()
        .map(|r| (r.code.to_string(), r.name.clone()))
        .collect();
    let counts = store::counts(&state.db, &bounds).await?;
    let districts: Vec<DistrictCounts> = regions
        .iter()
        .filter(|r| r.level == Level::District)
        .map(|r| {
            let code = r.code.to_string();
            let by_level: Vec<i64> = CertLevel::ALL
                .iter()
                .map(|l| {
                    counts
                        .iter()
                        .filter(|(d, lv, _)| *d == code && lv == l.code())
                        .map(|(_, _, n)| n)
                        .sum()
                })
                .collect();
            DistrictCounts {
                total: by_level.iter().sum(),
                district_code: code,
                district: r.name.clone(),
                by_level,
            }
        })
        .collect();
    let totals: Vec<i64> = (0..CertLevel::ALL.len())
        .map(|i| districts.iter().map(|d| d.by_level[i]).sum())
        .collect();
    Ok(Register {
        levels: CertLevel::ALL.iter().map(|l| l.label()).collect(),
        total: totals.iter().sum(),
        totals,
        districts,
        workers: store::list(&state.db, &bounds, LIMIT)
            .await?
            .iter()
            .map(|w| view_of(w, &names))
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "community/socialworkers.html")]
struct SocialWorkersPage {
    page: PageCtx,
    r: Register,
    level_options: Vec<(&'static str, &'static str)>,
    can_update: bool,
    notice: String,
    today: String,
}

async fn page_view(
    state: &AppState,
    user: &CurrentUser,
    notice: String,
) -> AppResult<Html<String>> {
    let r = gather(state, user).await?;
    let page = PageCtx::load(
        state,
        Some(user),
        "social_workers",
        "社会工作者",
        vec![Crumb::here("社会工作者")],
    )
    .await?;
    render(SocialWorkersPage {
        page,
        r,
        level_options: CertLevel::ALL
            .iter()
            .map(|l| (l.code(), l.label()))
            .collect(),
        can_update: user.can("socialwork:register:update"),
        notice,
        today: state.clock.today().to_string(),
    })
}

async fn page(State(state): State<AppState>, user: CurrentUser) -> AppResult<Html<String>> {
    page_view(&state, &user, String::new()).await
}

async fn api_list(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<Value>> {
    Ok(Json(json!(gather(&state, &user).await?)))
}

fn level(s: &str) -> AppResult<CertLevel> {
    CertLevel::parse(s).ok_or_else(|| {
        AppError::Invalid(format!(
            "「证书等级」「{}」无法识别，应为：{}。",
            s.trim(),
            CertLevel::labels()
        ))
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AddForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    district: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-02")]
    certified_on: String,
}

async fn add(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<AddForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let name = text("姓名", &form.name, true, 50).map_err(AppError::Invalid)?;
    let district = district_in_scope(&state, &user, &form.district).await?;
    let level = level(&form.level)?;
    if form.certified_on.trim().is_empty() {
        return Err(AppError::Invalid("请填写「取证日期」。".to_string()));
    }
    let on = past_day("取证日期", &form.certified_on, today)?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let id = store::insert(
        &mut tx,
        (&name, district.code.as_str(), level, on),
        (&user.username, &now.to_rfc3339()),
    )
    .await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "socialwork.worker.add",
            "social_worker",
            id.to_string(),
        )
        .with(json!({
            "district_code": district.code.to_string(), "level": level.code(),
            "certified_on": on.to_string(),
        })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已登记社会工作者：{name}（{}，{}，{on} 取证）。",
        district.name,
        level.label()
    );
    finish(&state, &user, id, json, message).await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RecertifyForm {
    #[serde(default)]
    level: String,
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-02")]
    certified_on: String,
    version: i64,
}

/// A new certificate: its level and date (not before the one on record).
async fn recertify(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<RecertifyForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let level = level(&form.level)?;
    if form.certified_on.trim().is_empty() {
        return Err(AppError::Invalid("请填写「取证日期」。".to_string()));
    }
    let on = past_day("取证日期", &form.certified_on, today)?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let what = || format!("社会工作者 {id}");
    let w = store::get(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::NotFound(what()))?;
    user.ensure_in_scope(&w.district_code, what)?;
    if on.to_string() < w.certified_on {
        return Err(AppError::Invalid(format!(
            "「取证日期」{on} 早于已登记证书的日期 {}，请核对。",
            w.certified_on
        )));
    }
    if !store::recertify(&mut tx, id, form.version, (level, on), &now.to_rfc3339()).await? {
        return Err(AppError::Conflict(format!(
            "{} 的记录已被他人修改，请刷新页面后再办理。",
            w.name
        )));
    }
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "socialwork.worker.recertify",
            "social_worker",
            id.to_string(),
        )
        .with(json!({
            "level": {"before": w.level.code(), "after": level.code()},
            "certified_on": {"before": w.certified_on, "after": on.to_string()},
        })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!("已登记 {} 的新证书：{}，{on} 取证。", w.name, level.label());
    finish(&state, &user, id, json, message).await
}

async fn finish(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    json: bool,
    message: String,
) -> AppResult<Response> {
    if json {
        let mut conn = state.db.pool().acquire().await?;
        let w = store::get(&mut conn, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("社会工作者 {id}")))?;
        drop(conn);
        let names = super::workitems_web::region_names(state, user).await?;
        return Ok(
            Json(json!({"social_worker": view_of(&w, &names), "message": message})).into_response(),
        );
    }
    Ok(page_view(state, user, message).await?.into_response())
}
