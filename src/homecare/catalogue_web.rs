//! What the city sets up besides providers: the service catalogue with prices, and the
//! monthly allowance of each category of eligible older person (with its threshold,
//! from a month on). Everyone with access to the platform reads them; only the city
//! changes them; every change is audited.

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::admin_web::MANAGE;
use super::allowance;
use super::model::{ServiceKind, parse_price, parse_service};
use super::store::{self, Service};
use super::web::READ;
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Ctx, CurrentUser, Routes};
use crate::elderly::people::{AllowanceRule, Category, parse_allowance, rules_in_force};
use crate::error::{AppError, AppResult};
use crate::web::extract::{FormOrJson, typed};
use crate::web::layout::{Crumb, PageCtx, render};

pub fn routes() -> Routes {
    Routes::new()
        .get("/homecare/services", READ, services_page)
        .post("/homecare/services", MANAGE, add_service)
        .post("/homecare/services/{id}", MANAGE, update_service)
        .post("/homecare/allowances", MANAGE, set_allowance)
        .get("/api/v1/homecare/services", READ, api_services)
        .post("/api/v1/homecare/services", MANAGE, add_service)
        .post("/api/v1/homecare/services/{id}", MANAGE, update_service)
        .post("/api/v1/homecare/allowances", MANAGE, set_allowance)
}

#[derive(Template)]
#[template(path = "homecare/services.html")]
struct ServicesPage {
    page: PageCtx,
    services: Vec<Service>,
    in_force: Vec<AllowanceRule>,
    history: Vec<AllowanceRule>,
    kinds: Vec<(&'static str, &'static str)>,
    categories: Vec<(&'static str, &'static str)>,
    can_manage: bool,
    notice: String,
    this_month: String,
}

async fn services_view(
    state: &AppState,
    user: &CurrentUser,
    notice: String,
) -> AppResult<Html<String>> {
    let mut conn = state.db.pool().acquire().await?;
    let history = allowance::rules(&mut conn).await?;
    drop(conn);
    let today = state.clock.today();
    let page = PageCtx::load(
        state,
        Some(user),
        "homecare_services",
        "服务目录与补贴",
        vec![Crumb::here("服务目录与补贴")],
    )
    .await?;
    render(ServicesPage {
        page,
        services: store::services(&state.db).await?,
        in_force: rules_in_force(&history, today),
        history,
        kinds: ServiceKind::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        categories: Category::ALL
            .iter()
            .map(|c| (c.code(), c.label()))
            .collect(),
        can_manage: user.can("homecare:provider:manage"),
        notice,
        this_month: allowance::month_of(today),
    })
}

async fn services_page(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Html<String>> {
    services_view(&state, &user, String::new()).await
}

fn rule_json(r: &AllowanceRule) -> Value {
    json!({
        "category": r.category.code(),
        "label": r.category.label(),
        "effective_from": r.effective_from.to_string(),
        "monthly": r.monthly.to_yuan_string(),
        "threshold": r.threshold,
    })
}

async fn api_services(State(state): State<AppState>) -> AppResult<Json<Value>> {
    let mut conn = state.db.pool().acquire().await?;
    let history = allowance::rules(&mut conn).await?;
    let in_force = rules_in_force(&history, state.clock.today());
    Ok(Json(json!({
        "services": store::services(&state.db).await?,
        "allowances": in_force.iter().map(rule_json).collect::<Vec<_>>(),
        "allowance_history": history.iter().map(rule_json).collect::<Vec<_>>(),
    })))
}

async fn finish_services(
    state: &AppState,
    user: &CurrentUser,
    json: bool,
    message: String,
    body: Value,
) -> AppResult<Response> {
    if json {
        let mut body = body;
        body["message"] = Value::String(message);
        return Ok(Json(body).into_response());
    }
    Ok(services_view(state, user, message).await?.into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ServiceForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    price: Value,
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    active: Value,
}

async fn add_service(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<ServiceForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let s = parse_service(&form.kind, &form.name, &form.unit, &typed(&form.price))
        .map_err(AppError::Invalid)?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    if store::service_named(&mut tx, &s.name).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "服务「{}」已在目录中，请修改原有的。",
            s.name
        )));
    }
    let id = store::insert_service(&mut tx, &s, &user.username, &now.to_rfc3339()).await?;
    let event = AuditEvent::new(now, &ctx.actor(), "homecare.service.add", "care_services", id.to_string())
        .with(json!({ "kind": s.kind.code(), "name": s.name, "unit": s.unit, "price": s.price.to_yuan_string() }));
    record(&mut tx, &event).await.map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已加入服务目录：{}，{} 元/{}。",
        s.name,
        s.price.to_display(),
        s.unit
    );
    finish_services(&state, &user, json, message, json!({ "id": id })).await
}

async fn update_service(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<ServiceForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let mut conn = state.db.pool().acquire().await?;
    let before = store::service(&mut conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("服务 {id}")))?;
    drop(conn);
    let version = form
        .version
        .ok_or_else(|| AppError::Invalid("缺少版本号 version，请刷新后重试。".to_string()))?;
    let price = parse_price(&typed(&form.price)).map_err(AppError::Invalid)?;
    let active = !matches!(typed(&form.active).trim(), "0" | "false" | "停用");
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    if !store::update_service(
        &mut tx,
        id,
        version,
        (price, active),
        &user.username,
        &now.to_rfc3339(),
    )
    .await?
    {
        return Err(AppError::Conflict(
            "服务已被他人修改，请刷新后重新填写。".to_string(),
        ));
    }
    let event = AuditEvent::new(
        now,
        &ctx.actor(),
        "homecare.service.update",
        "care_services",
        id.to_string(),
    )
    .with(json!({
        "before": { "price": before.price.to_yuan_string(), "active": before.active },
        "after": { "price": price.to_yuan_string(), "active": active },
    }));
    record(&mut tx, &event).await.map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已保存：{}，{} 元/{}{}（已下的订单仍按下单时的价格）。",
        before.name,
        price.to_display(),
        before.unit,
        if active { "" } else { "，已停用" }
    );
    finish_services(&state, &user, json, message, json!({ "id": id })).await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AllowanceForm {
    #[serde(default)]
    category: String,
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-02")]
    effective_from: String,
    #[serde(default)]
    monthly: Value,
    #[serde(default)]
    threshold: Value,
}

async fn set_allowance(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<AllowanceForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let rule = parse_allowance(
        &form.category,
        &form.effective_from,
        &typed(&form.monthly),
        &typed(&form.threshold),
    )
    .map_err(AppError::Invalid)?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let before = allowance::set_rule(&mut tx, &rule, &user.username, &now.to_rfc3339()).await?;
    let event = AuditEvent::new(
        now,
        &ctx.actor(),
        "homecare.allowance.set",
        "care_allowances",
        format!("{}/{}", rule.category.code(), rule.effective_from),
    )
    .with(json!({
        "before": before.map(|(m, t)| json!({ "monthly": m.to_yuan_string(), "threshold": t })),
        "after": { "monthly": rule.monthly.to_yuan_string(), "threshold": rule.threshold },
    }));
    record(&mut tx, &event).await.map_err(AppError::audit)?;
    tx.commit().await?;
    let mut message = format!(
        "已设置：{} 自 {} 起每月 {} 元",
        rule.category.label(),
        rule.effective_from.format("%Y-%m"),
        rule.monthly.to_display()
    );
    match (rule.category, rule.threshold) {
        (Category::Aged, Some(t)) => message.push_str(&format!("（{t} 周岁及以上）")),
        (Category::Disabled, Some(t)) => message.push_str(&format!("（能力等级 {t} 级及以上）")),
        _ => {}
    }
    message.push('。');
    finish_services(
        &state,
        &user,
        json,
        message,
        json!({ "allowance": rule_json(&rule) }),
    )
    .await
}
