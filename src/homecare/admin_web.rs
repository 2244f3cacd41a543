//! The providers on the platform and their service areas (region codes), set up by the
//! city; everyone with access to the platform reads them; every change is audited. The
//! catalogue and the allowance table are in `catalogue_web`.

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::model::parse_provider;
use super::store::{self, Provider};
use super::web::READ;
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::web::extract::{FormOrJson, typed};
use crate::web::layout::{Crumb, PageCtx, render};

pub(super) const MANAGE: Access = Access::Perm("homecare:provider:manage");

pub fn routes() -> Routes {
    Routes::new()
        .get("/homecare/providers", READ, providers_page)
        .post("/homecare/providers", MANAGE, add_provider)
        .post("/homecare/providers/{id}", MANAGE, update_provider)
        .get("/api/v1/homecare/providers", READ, api_providers)
        .post("/api/v1/homecare/providers", MANAGE, add_provider)
        .post("/api/v1/homecare/providers/{id}", MANAGE, update_provider)
        .merge(super::catalogue_web::routes())
}

#[derive(Template)]
#[template(path = "homecare/providers.html")]
struct ProvidersPage {
    page: PageCtx,
    providers: Vec<(Provider, String)>,
    can_manage: bool,
    notice: String,
}

async fn providers_view(
    state: &AppState,
    user: &CurrentUser,
    notice: String,
) -> AppResult<Html<String>> {
    let names: std::collections::HashMap<String, String> = crate::region::store::subtree(
        &state.db,
        &crate::region::store::city(&state.db)
            .await?
            .map(|c| c.code)
            .unwrap_or_else(|| user.region.clone()),
    )
    .await?
    .into_iter()
    .map(|r| (r.code.to_string(), r.name))
    .collect();
    let providers = store::providers(&state.db)
        .await?
        .into_iter()
        .map(|p| {
            let areas = p
                .areas
                .iter()
                .map(|a| names.get(a).cloned().unwrap_or_else(|| a.clone()))
                .collect::<Vec<_>>()
                .join("、");
            (p, areas)
        })
        .collect();
    let page = PageCtx::load(
        state,
        Some(user),
        "homecare_providers",
        "服务商",
        vec![Crumb::here("居家养老服务商")],
    )
    .await?;
    render(ProvidersPage {
        page,
        providers,
        can_manage: user.can("homecare:provider:manage"),
        notice,
    })
}

async fn providers_page(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Html<String>> {
    providers_view(&state, &user, String::new()).await
}

async fn api_providers(State(state): State<AppState>) -> AppResult<Json<Value>> {
    Ok(Json(
        json!({ "providers": store::providers(&state.db).await? }),
    ))
}

/// Service areas as typed: codes separated by commas or spaces (or a JSON array); each
/// must be a region of the tree.
async fn parse_areas(state: &AppState, v: &Value) -> AppResult<Vec<String>> {
    let text = match v {
        Value::Array(items) => items.iter().map(typed).collect::<Vec<_>>().join(","),
        other => typed(other),
    };
    let mut codes: Vec<String> = text
        .split(|c: char| c == ',' || c == '，' || c == '、' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    codes.sort();
    codes.dedup();
    if codes.is_empty() {
        return Err(AppError::Invalid(
            "请填写「服务区域」：社区、街道或区县的区划代码，用逗号分隔。".to_string(),
        ));
    }
    let (known, _) = crate::region::store::known_codes(&state.db).await?;
    if let Some(bad) = codes.iter().find(|c| !known.contains(*c)) {
        return Err(AppError::Invalid(format!(
            "「服务区域」中的「{bad}」不是本市的区划代码，请核对。"
        )));
    }
    Ok(codes)
}

async fn finish_providers(
    state: &AppState,
    user: &CurrentUser,
    json: bool,
    message: String,
    id: i64,
) -> AppResult<Response> {
    if json {
        let provider = store::providers(&state.db)
            .await?
            .into_iter()
            .find(|p| p.id == id);
        return Ok(Json(json!({ "provider": provider, "message": message })).into_response());
    }
    Ok(providers_view(state, user, message).await?.into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ProviderForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    uscc: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    areas: Value,
    #[serde(default)]
    version: Option<i64>,
    /// "1" active, "0" stopped (updates only).
    #[serde(default)]
    active: Value,
}

async fn add_provider(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<ProviderForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let (name, uscc, phone) =
        parse_provider(&form.name, &form.uscc, &form.phone).map_err(AppError::Invalid)?;
    let areas = parse_areas(&state, &form.areas).await?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    if store::provider_named(&mut tx, &name).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "服务商「{name}」已登记，请在列表中修改。"
        )));
    }
    let id = store::insert_provider(
        &mut tx,
        (&name, &uscc, &phone),
        &areas,
        &user.username,
        &now.to_rfc3339(),
    )
    .await?;
    let event = AuditEvent::new(
        now,
        &ctx.actor(),
        "homecare.provider.add",
        "care_providers",
        id.to_string(),
    )
    .with(json!({ "name": name, "uscc": uscc, "areas": areas }));
    record(&mut tx, &event).await.map_err(AppError::audit)?;
    tx.commit().await?;
    finish_providers(&state, &user, json, format!("已登记服务商：{name}。"), id).await
}

async fn update_provider(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<ProviderForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let before = store::providers(&state.db)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| AppError::NotFound(format!("服务商 {id}")))?;
    let version = form
        .version
        .ok_or_else(|| AppError::Invalid("缺少版本号 version，请刷新后重试。".to_string()))?;
    let phone = form.phone.trim();
    if phone.chars().count() > 30 {
        return Err(AppError::Invalid(
            "「服务电话」不超过 30 个字符。".to_string(),
        ));
    }
    let active = !matches!(typed(&form.active).trim(), "0" | "false" | "停用");
    let areas = parse_areas(&state, &form.areas).await?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    if !store::update_provider(
        &mut tx,
        id,
        version,
        (phone, active),
        &areas,
        &now.to_rfc3339(),
    )
    .await?
    {
        return Err(AppError::Conflict(
            "服务商信息已被他人修改，请刷新后重新填写。".to_string(),
        ));
    }
    let event = AuditEvent::new(
        now,
        &ctx.actor(),
        "homecare.provider.update",
        "care_providers",
        id.to_string(),
    )
    .with(json!({
        "before": { "phone": before.phone, "active": before.active, "areas": before.areas },
        "after": { "phone": phone, "active": active, "areas": areas },
    }));
    record(&mut tx, &event).await.map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已保存服务商：{}{}。",
        before.name,
        if active { "" } else { "（已停用）" }
    );
    finish_providers(&state, &user, json, message, id).await
}
