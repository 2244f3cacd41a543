//! The standards page of the city administrator: each district's urban and rural 低保
//! standards with their history, the city's policy parameters and the income items not
//! counted (set in `policy_web`), and setting a standard (page and API).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::standards::{self, Standard};
use super::web::DetailQuery;
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::money::Fen;
use crate::region::{Level, RegionCode, UrbanRural};
use crate::web::layout::{Crumb, PageCtx, render};

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/assistance/standards",
            Access::Perm("assistance:standard:read"),
            standards_page,
        )
        .post(
            "/assistance/standards",
            Access::Perm("assistance:standard:update"),
            standards_submit,
        )
        .post(
            "/api/v1/assistance-standards",
            Access::Perm("assistance:standard:update"),
            standards_submit,
        )
}

pub struct StandardRow {
    pub district_code: String,
    pub district: String,
    pub urban: String,
    pub rural: String,
    pub history: Vec<Standard>,
}

#[derive(Template)]
#[template(path = "assistance/standards.html")]
struct StandardsPage {
    page: PageCtx,
    rows: Vec<StandardRow>,
    can_edit: bool,
    notice: String,
    today: String,
    parameters: Vec<ParameterRow>,
    exclusions: Vec<String>,
}

pub struct ParameterRow {
    key: &'static str,
    label: &'static str,
    value: i64,
    default: i64,
    history: String,
}

async fn standards_view(
    state: &AppState,
    user: &CurrentUser,
    notice: String,
) -> AppResult<Html<String>> {
    let today = state.clock.today();
    let all = standards::all(&state.db).await?;
    let districts = crate::region::store::districts_for(&state.db, &user.region).await?;
    let mut rows = Vec::new();
    for d in &districts {
        let code = d.code.to_string();
        let on = |area| async move {
            standards::standard_on(&state.db, d.code.as_str(), area, today)
                .await
                .map(|s| {
                    s.map(|f| f.to_display())
                        .unwrap_or_else(|| "未设置".to_string())
                })
        };
        rows.push(StandardRow {
            urban: on(UrbanRural::Urban).await?,
            rural: on(UrbanRural::Rural).await?,
            history: all
                .iter()
                .filter(|s| s.district_code == code)
                .cloned()
                .collect(),
            district_code: code,
            district: d.name.clone(),
        });
    }
    let parameters = standards::parameters_on(&state.db, today)
        .await?
        .into_iter()
        .map(|(p, value, history)| ParameterRow {
            key: p.key,
            label: p.label,
            value,
            default: p.default,
            history: history
                .iter()
                .map(|(from, v)| format!("{from} 起 {v}"))
                .collect::<Vec<_>>()
                .join("；"),
        })
        .collect();
    let page = PageCtx::load(
        state,
        Some(user),
        "standards",
        "低保标准",
        vec![Crumb::here("低保标准")],
    )
    .await?;
    render(StandardsPage {
        page,
        rows,
        can_edit: user.can("assistance:standard:update"),
        notice,
        today: today.to_string(),
        parameters,
        exclusions: super::cases::income_exclusions(&state.db).await?,
    })
}

async fn standards_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<DetailQuery>,
) -> AppResult<Html<String>> {
    let notice = if q.done.is_empty() {
        String::new()
    } else {
        format!("已设置：{}。", q.done)
    };
    standards_view(&state, &user, notice).await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StandardForm {
    #[schema(example = "369902")]
    district_code: String,
    area: String,
    #[schema(format = Date, example = "2026-11-02")]
    effective_from: String,
    standard: String,
}

async fn standards_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::web::extract::FormOrJson { value: form, json }: crate::web::extract::FormOrJson<
        StandardForm,
    >,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let district = RegionCode::parse(&form.district_code)
        .ok()
        .filter(|c| c.level() == Level::District && user.scope().contains(c.as_str()))
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "区县「{}」不存在或不在您的管辖范围内。",
                form.district_code
            ))
        })?;
    if crate::region::store::get(&state.db, district.as_str())
        .await?
        .is_none()
    {
        return Err(AppError::Invalid(format!("区县 {district} 不存在。")));
    }
    let area = UrbanRural::from_code(&form.area)
        .ok_or_else(|| AppError::Invalid("城乡应为城市或农村。".to_string()))?;
    let from = crate::calendar::parse_date(&form.effective_from).ok_or_else(|| {
        AppError::Invalid(format!("执行日期「{}」不是有效日期。", form.effective_from))
    })?;
    let amount =
        Fen::parse_yuan(&form.standard).map_err(|e| AppError::Invalid(format!("低保标准：{e}")))?;
    if amount <= Fen::ZERO || amount > Fen::from_yuan(10_000) {
        return Err(AppError::Invalid(
            "低保标准应在 0 到 10,000 元之间。".to_string(),
        ));
    }
    let before = standards::standard_on(&state.db, district.as_str(), area, from).await?;
    let standard = Standard {
        district_code: district.to_string(),
        area,
        effective_from: from,
        dibao_standard: amount,
    };
    let mut tx = state.db.begin().await?;
    standards::set_standard(&mut tx, &standard, &state.clock.now_local().to_rfc3339()).await?;
    record(
        &mut tx,
        &AuditEvent::new(
            state.clock.now_local(),
            &ctx.actor(),
            "standard.set",
            "assistance_standard",
            format!("{district}/{}", area.code()),
        )
        .with(json!({
            "effective_from": from.to_string(),
            "before": before.map(|b| b.to_yuan_string()),
            "after": amount.to_yuan_string(),
        })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let done = format!(
        "已设置：{district} {}低保标准 {} 元，自 {from} 起执行。",
        if area == UrbanRural::Urban {
            "城市"
        } else {
            "农村"
        },
        amount
    );
    if json {
        return Ok(axum::Json(json!({
            "district_code": district.to_string(),
            "area": area.code(),
            "effective_from": from.to_string(),
            "dibao_standard": amount.to_yuan_string(),
            "message": done,
        }))
        .into_response());
    }
    Ok(standards_view(&state, &user, done).await?.into_response())
}
