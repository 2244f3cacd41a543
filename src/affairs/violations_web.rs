//! Funeral violation cases (违规土葬、乱埋乱葬、违规建墓) on a page and the API: the
//! region's cases, open or handled; recording a case (numbered `WG-<district>-<year>-<seq>`
//! per district and year found); recording its handling once, with a result and a date
//! not before it was found. Every change is audited.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Datelike;
use serde::Deserialize;
use serde_json::{Value, json};

use super::cemeteries_web::{MANAGE, READ};
use super::funeral_input::{coded, day, region_in_scope, text};
use super::violation::{self, Handling, ViolationKind, ViolationStatus};
use super::violation_store::{self as store, Case};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::web::extract::FormOrJson;
use crate::web::layout::{Crumb, PageCtx, render};

pub fn routes() -> Routes {
    Routes::new()
        .get("/affairs/funeral-violations", READ, page)
        .post("/affairs/funeral-violations", MANAGE, add)
        .post("/affairs/funeral-violations/{id}/handle", MANAGE, handle)
        .get("/api/v1/affairs/funeral-violations", READ, api_list)
        .post("/api/v1/affairs/funeral-violations", MANAGE, add)
        .post(
            "/api/v1/affairs/funeral-violations/{id}/handle",
            MANAGE,
            handle,
        )
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct StatusQuery {
    #[serde(default)]
    status: String,
}

fn status_of(q: &StatusQuery) -> Option<ViolationStatus> {
    ViolationStatus::parse(&q.status)
}

#[derive(Template)]
#[template(path = "affairs/violations.html")]
struct Page {
    page: PageCtx,
    cases: Vec<Case>,
    status: String,
    open: usize,
    kinds: &'static [ViolationKind],
    handlings: &'static [Handling],
    can_manage: bool,
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<StatusQuery>,
) -> AppResult<Html<String>> {
    let page = PageCtx::load(
        &state,
        Some(&user),
        "funeral_violations",
        "殡葬违规案件",
        vec![
            Crumb::link("公墓", "/affairs/cemeteries"),
            Crumb::here("殡葬违规案件"),
        ],
    )
    .await?;
    let status = status_of(&q);
    let cases = store::list(&state.db, &user.scope_bounds(), status).await?;
    render(Page {
        page,
        open: cases
            .iter()
            .filter(|c| c.status == ViolationStatus::Open)
            .count(),
        cases,
        status: status.map(|s| s.code().to_string()).unwrap_or_default(),
        kinds: ViolationKind::ALL,
        handlings: Handling::ALL,
        can_manage: user.can("funeral:registry:manage"),
    })
}

async fn api_list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<StatusQuery>,
) -> AppResult<Json<Value>> {
    let cases = store::list(&state.db, &user.scope_bounds(), status_of(&q)).await?;
    Ok(Json(json!({ "cases": cases })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CaseInput {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-02")]
    found_on: String,
}

async fn add(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: f, json }: FormOrJson<CaseInput>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let kind = coded(
        "违规类型",
        &f.kind,
        ViolationKind::parse,
        ViolationKind::labels(),
    )?;
    let place = text("地点", &f.place, 200)?;
    let found = day("发现日期", &f.found_on)?;
    if let Some((field, why)) = violation::check_found(found, today) {
        return Err(AppError::Invalid(format!("「{field}」{why}。")));
    }
    if f.region_code.trim().len() < 6 {
        return Err(AppError::Invalid(
            "「区划」请填写发现地点所在的区县、街道或社区代码。".to_string(),
        ));
    }
    let region = region_in_scope(&state, &user, "区划", &f.region_code).await?;
    let district = region[..6].to_string();
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    state
        .db
        .lock_keys(
            &mut tx,
            &[format!("violation-no:{district}:{}", found.year())],
        )
        .await?;
    let case_no = store::next_case_no(&mut tx, &district, found.year()).await?;
    let id = store::insert(
        &mut tx,
        &case_no,
        kind,
        &place,
        &region,
        found,
        (&user.username, &now.to_rfc3339()),
    )
    .await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "funeral.violation.record",
            "funeral_violation",
            id.to_string(),
        )
        .with(
            json!({"case_no": case_no, "kind": kind.code(), "region": region,
                     "found_on": found.to_string()}),
        ),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    if json {
        return Ok(Json(json!({"id": id, "case_no": case_no})).into_response());
    }
    Ok(Redirect::to("/affairs/funeral-violations").into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct HandleInput {
    #[serde(default)]
    handling: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-02")]
    handled_on: String,
}

async fn handle(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: f, json }: FormOrJson<HandleInput>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let handling = coded("处理结果", &f.handling, Handling::parse, Handling::labels())?;
    let note = f.note.trim().to_string();
    if note.chars().count() > 500 {
        return Err(AppError::Invalid("「处理说明」不超过 500 字。".to_string()));
    }
    if handling == Handling::Other && note.is_empty() {
        return Err(AppError::Invalid(
            "「处理说明」处理结果为「其他」时请写明如何处理。".to_string(),
        ));
    }
    let handled = day("处理日期", &f.handled_on)?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let case = store::get(&mut tx, id)
        .await?
        .filter(|c| user.scope().contains(&c.region_code))
        .ok_or_else(|| AppError::NotFound(format!("违规案件 {id}")))?;
    if case.status != ViolationStatus::Open {
        return Err(AppError::Conflict(format!(
            "案件 {} 已于 {} 处理完毕，不能再登记处理。",
            case.case_no,
            case.handled_on.as_deref().unwrap_or("")
        )));
    }
    let found = day("发现日期", &case.found_on)?;
    if let Some((field, why)) = violation::check_handled(found, handled, today) {
        return Err(AppError::Invalid(format!("「{field}」{why}。")));
    }
    if !store::handle(&mut tx, id, handling, &note, handled, &now.to_rfc3339()).await? {
        return Err(AppError::Conflict(format!(
            "案件 {} 刚被他人处理，请刷新后查看。",
            case.case_no
        )));
    }
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "funeral.violation.handle",
            "funeral_violation",
            id.to_string(),
        )
        .with(json!({"case_no": case.case_no, "handling": handling.code(),
                     "handled_on": handled.to_string(), "note": note})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    if json {
        return Ok(Json(json!({"id": id, "status": "handled"})).into_response());
    }
    Ok(Redirect::to("/affairs/funeral-violations").into_response())
}
