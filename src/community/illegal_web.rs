//! Cases against illegal social organisations (非法社会组织): found, then banned (取缔),
//! each with its date, on a page and its API. Every change is audited.

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::org_store::{self, IllegalOrg};
use super::orgs_web::{MANAGE, READ, day};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::web::extract::FormOrJson;
use crate::web::layout::{Crumb, PageCtx, render};

pub fn routes() -> Routes {
    Routes::new()
        .get("/community/illegal-orgs", READ, page)
        .post("/community/illegal-orgs", MANAGE, found)
        .post("/community/illegal-orgs/{id}/ban", MANAGE, ban)
        .get("/api/v1/community/illegal-orgs", READ, api)
        .post("/api/v1/community/illegal-orgs", MANAGE, found)
        .post("/api/v1/community/illegal-orgs/{id}/ban", MANAGE, ban)
}

#[derive(Template)]
#[template(path = "community/illegal.html")]
struct Page {
    page: PageCtx,
    cases: Vec<IllegalOrg>,
    can_manage: bool,
    notice: String,
    today: String,
}

async fn view(state: &AppState, user: &CurrentUser, notice: String) -> AppResult<Html<String>> {
    let cases = org_store::illegal(&state.db, &user.scope_bounds()).await?;
    let page = PageCtx::load(
        state,
        Some(user),
        "community_orgs",
        "非法社会组织",
        vec![
            Crumb::link("社会组织", "/community/orgs"),
            Crumb::here("非法社会组织"),
        ],
    )
    .await?;
    render(Page {
        page,
        cases,
        can_manage: user.can("socialorg:registry:manage"),
        notice,
        today: state.clock.today().to_string(),
    })
}

async fn page(State(state): State<AppState>, user: CurrentUser) -> AppResult<Html<String>> {
    view(&state, &user, String::new()).await
}

async fn api(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<Value>> {
    Ok(Json(
        json!({ "cases": org_store::illegal(&state.db, &user.scope_bounds()).await? }),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct FoundForm {
    name: String,
    region_code: String,
    #[schema(format = Date, example = "2026-11-02")]
    found_on: String,
    description: String,
}

async fn found(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<FoundForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let name = form.name.trim();
    let description = form.description.trim();
    if name.is_empty() || description.is_empty() {
        return Err(AppError::Invalid(
            "请填写「名称」和「情况」（以何名义、做了什么）。".to_string(),
        ));
    }
    let region = form.region_code.trim();
    if crate::region::store::get(&state.db, region)
        .await?
        .is_none()
        || !user.scope().contains(region)
    {
        return Err(AppError::Invalid(format!(
            "「发现地」「{region}」不是您管辖范围内的区划代码。"
        )));
    }
    let on = day("发现日期", &form.found_on)?;
    if on > state.clock.today() {
        return Err(AppError::Invalid(format!("「发现日期」{on} 晚于今天。")));
    }
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let id = org_store::add_illegal(
        &mut tx,
        (name, region, on, description),
        (&user.username, &now.to_rfc3339()),
    )
    .await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "socialorg.illegal.found",
            "illegal_org",
            id.to_string(),
        )
        .with(json!({"name": name, "region": region, "found_on": on.to_string()})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!("已登记非法社会组织线索：{name}（{on} 发现）。");
    if json {
        return Ok(Json(json!({"id": id, "message": message})).into_response());
    }
    Ok(view(&state, &user, message).await?.into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct BanForm {
    version: i64,
    #[schema(format = Date, example = "2026-11-02")]
    banned_on: String,
    handling: String,
}

async fn ban(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<BanForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let case = org_store::illegal(&state.db, &user.scope_bounds())
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| AppError::NotFound(format!("非法社会组织 {id}")))?;
    let on = day("取缔日期", &form.banned_on)?;
    if on > state.clock.today() || on.to_string() < case.found_on {
        return Err(AppError::Invalid(format!(
            "「取缔日期」应在发现日期 {} 和今天之间。",
            case.found_on
        )));
    }
    let handling = form.handling.trim();
    if handling.is_empty() {
        return Err(AppError::Invalid(
            "请填写「处理情况」（取缔决定文号、没收物品等）。".to_string(),
        ));
    }
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    if !org_store::ban(&mut tx, id, form.version, on, handling).await? {
        return Err(AppError::Conflict(
            "这条记录已被他人修改或已取缔，请刷新后查看。".to_string(),
        ));
    }
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "socialorg.illegal.ban",
            "illegal_org",
            id.to_string(),
        )
        .with(json!({"banned_on": on.to_string(), "handling": handling})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!("已取缔：{}（{on}）。", case.name);
    if json {
        return Ok(Json(json!({"message": message})).into_response());
    }
    Ok(view(&state, &user, message).await?.into_response())
}
