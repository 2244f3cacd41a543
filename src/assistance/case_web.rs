//! The case page: the household as the rules see it, the explanation of the decision,
//! the timeline, objections to the notice, reviews, and the actions this user may take.
//! The JSON API answers the same.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

use super::cases::{self, CaseRecord, Explanation};
use super::model::{EXIT_REASONS, Household, IncomeKind};
use super::review;
use super::transitions::{self, ActInput};
use super::workflow::{self, ACTIONS, Action, CaseFacts, Status};
use crate::AppState;
use crate::audit::{AuditEvent, store::record, store::record_alone};
use crate::auth::{Access, Ctx, Routes};
use crate::error::{AppError, AppResult};
use crate::money::Fen;
use crate::web::layout::{Crumb, PageCtx, render};

const READ: Access = Access::Perm("assistance:household:read");

pub fn routes() -> Routes {
    Routes::new()
        .get("/assistance/cases/{id}", READ, case_page)
        .post("/assistance/cases/{id}/act", READ, act_form)
        .post(
            "/assistance/cases/{id}/objections",
            Access::Perm("assistance:objection:record"),
            objection_add,
        )
        .post(
            "/assistance/cases/{id}/objections/{oid}/resolve",
            Access::Perm("assistance:objection:resolve"),
            objection_resolve,
        )
        .get("/api/v1/cases/{id}", READ, api_case)
        .post(
            "/api/v1/cases/{id}/objections",
            Access::Perm("assistance:objection:record"),
            api_objection,
        )
        .post("/api/v1/cases/{id}/actions", READ, api_act)
}

#[derive(Serialize)]
pub struct MemberRow {
    name: String,
    relation: &'static str,
    age: u32,
    work_capacity: &'static str,
    disability: String,
    serious_illness: bool,
    self_care: &'static str,
    incomes: Vec<String>,
}

#[derive(Serialize)]
pub struct TransitionRow {
    at: String,
    action: String,
    from: &'static str,
    to: &'static str,
    by: String,
    reason: String,
}

#[derive(Serialize)]
pub struct ObjectionRow {
    id: i64,
    received_on: String,
    content: String,
    recorded_by: String,
    resolution: String,
    resolved_by: String,
}

/// An action this user may take now, or could but for the reason shown.
#[derive(Serialize)]
pub struct ActionView {
    code: &'static str,
    label: &'static str,
    needs_reason: bool,
    blocked: String,
}

#[derive(Serialize)]
pub struct CaseView {
    pub case: CaseRecord,
    program: &'static str,
    status: &'static str,
    community: String,
    overdue: bool,
    monthly_amount: String,
    members: Vec<MemberRow>,
    assets: Vec<String>,
    /// The stored explanation, or today's preview while no opinion was given.
    explanation: Option<Explanation>,
    preview: bool,
    transitions: Vec<TransitionRow>,
    objections: Vec<ObjectionRow>,
    reviews: Vec<review::ReviewRow>,
    conflicts: Vec<String>,
    actions: Vec<ActionView>,
    can_object: bool,
    can_resolve: bool,
    can_recheck: bool,
    exit_reasons: Vec<(&'static str, &'static str)>,
}

fn member_rows(h: &Household) -> Vec<MemberRow> {
    h.members
        .iter()
        .map(|m| MemberRow {
            name: m.name.clone(),
            relation: m.relation.label(),
            age: m.age,
            work_capacity: m.work_capacity.label(),
            disability: m
                .disability
                .map(|d| format!("{}{}级", d.kind.label(), d.grade))
                .unwrap_or_default(),
            serious_illness: m.serious_illness,
            self_care: m.self_care.label(),
            incomes: m
                .incomes
                .iter()
                .map(|i| {
                    format!(
                        "{} {} 元 × {} 个月{}",
                        i.kind.label(),
                        i.monthly,
                        i.months,
                        if i.excluded {
                            "（不计入）"
                        } else if i.kind == IncomeKind::Wage {
                            "（扣减就业成本后计入）"
                        } else {
                            ""
                        }
                    )
                })
                .collect(),
        })
        .collect()
}

fn asset_lines(h: &Household) -> Vec<String> {
    let a = &h.assets;
    let mut out = Vec::new();
    if a.financial > Fen::ZERO {
        out.push(format!("存款及有价证券 {} 元", a.financial));
    }
    for v in &a.vehicles {
        out.push(format!("机动车（{}）价值 {} 元", v.kind.label(), v.value));
    }
    if a.homes > 0 {
        out.push(format!("住房 {} 套", a.homes));
    }
    if a.commercial_properties > 0 {
        out.push(format!("商业用房 {} 套", a.commercial_properties));
    }
    for b in &a.business_roles {
        out.push(format!(
            "企业法定代表人或股东：注册资本 {} 元（{}）",
            b.registered_capital,
            if b.operating {
                "经营中"
            } else {
                "已停业"
            }
        ));
    }
    out
}

pub async fn case_view(state: &AppState, ctx: &Ctx, id: i64) -> AppResult<CaseView> {
    let user = ctx.user()?;
    let case = transitions::case_in_scope(state, ctx, id).await?;
    let today = state.clock.today();
    let area = cases::area_of(&state.db, &case.region_code).await?;
    let household = cases::household_for_rules(&state.db, case.household_id, area, today).await?;
    let community = crate::region::store::get(&state.db, &case.region_code)
        .await?
        .map(|r| r.name)
        .unwrap_or_default();
    let mut transitions = Vec::new();
    for t in sqlx::query(
        "SELECT from_status, to_status, at, username, reason, action FROM case_transitions WHERE case_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(state.db.pool())
    .await?
    {
        let action: Option<String> = t.try_get("action")?;
        let from: Option<String> = t.try_get("from_status")?;
        transitions.push(TransitionRow {
            at: t.try_get::<String, _>("at")?.chars().take(16).collect::<String>().replace('T', " "),
            action: match action.as_deref() {
                Some("apply") => "申请".to_string(),
                Some("recheck") => "复核".to_string(),
                Some("finding") => "比对疑点核实".to_string(),
                Some(code) => Action::from_code(code).map(|a| a.label().to_string()).unwrap_or_default(),
                None => String::new(),
            },
            from: from.as_deref().and_then(Status::from_code).map(|s| s.label()).unwrap_or(""),
            to: Status::from_code(&t.try_get::<String, _>("to_status")?).map(|s| s.label()).unwrap_or(""),
            by: t.try_get("username")?,
            reason: t.try_get("reason")?,
        });
    }
    let mut objections = Vec::new();
    for o in sqlx::query(
        "SELECT id, received_on, content, recorded_by, resolution, resolved_by FROM case_objections WHERE case_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(state.db.pool())
    .await?
    {
        objections.push(ObjectionRow {
            id: o.try_get("id")?,
            received_on: o.try_get("received_on")?,
            content: o.try_get("content")?,
            recorded_by: o.try_get("recorded_by")?,
            resolution: o.try_get::<Option<String>, _>("resolution")?.unwrap_or_default(),
            resolved_by: o.try_get::<Option<String>, _>("resolved_by")?.unwrap_or_default(),
        });
    }
    let open_objections = objections
        .iter()
        .filter(|o| o.resolution.is_empty())
        .count() as i64;
    let (explanation, preview) = match &case.explanation {
        Some(e) => (Some(e.clone()), false),
        None if case.status.is_open() => (
            Some(cases::decide(&state.db, &case, today).await?.explanation),
            true,
        ),
        None => (None, false),
    };
    let facts = CaseFacts {
        status: case.status,
        close_relative: case.close_relative,
        district_reviewed: case.district_reviewed,
        extended: case.extended,
        recommend: case.recommend,
        notice_until: case.notice_until.as_deref().and_then(|d| d.parse().ok()),
        open_objections,
        // The approval re-runs the rules; the page shows the button and the check says why not.
        eligible: true,
    };
    let actions = ACTIONS
        .into_iter()
        .filter(|a| user.can(a.permission()) && a.applies_to(case.status))
        .map(|a| ActionView {
            code: a.code(),
            label: a.label(),
            needs_reason: a.needs_reason(),
            blocked: workflow::next_status(a, &facts, today)
                .err()
                .map(|r| r.0)
                .unwrap_or_default(),
        })
        .collect();
    let due: Option<NaiveDate> = case.due_on.as_deref().and_then(|d| d.parse().ok());
    // Members also in another household's open or active case: the street decides at
    // acceptance (online applications are not refused, so nothing leaks to the public).
    let conflicts = if case.status.is_open() {
        let mut indexes = Vec::new();
        for r in sqlx::query("SELECT id_number_index, name FROM members WHERE household_id = $1")
            .bind(case.household_id)
            .fetch_all(state.db.pool())
            .await?
        {
            indexes.push((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?));
        }
        let mut conn = state.db.pool().acquire().await?;
        cases::holders(&mut conn, &indexes, case.household_id)
            .await?
            .into_iter()
            .map(|h| {
                format!(
                    "{} 也在救助家庭 {} 中（{}）",
                    h.member_name,
                    h.household_number,
                    h.status.label()
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let reviews = review::reviews_of(state, id).await?;
    Ok(CaseView {
        program: case.program.label(),
        status: case.status.label(),
        community,
        overdue: case.status.is_open() && workflow::is_overdue(due, today),
        monthly_amount: Fen(case.monthly_amount).to_display(),
        members: member_rows(&household),
        assets: asset_lines(&household),
        explanation,
        preview,
        transitions,
        objections,
        reviews,
        conflicts,
        actions,
        can_object: user.can("assistance:objection:record") && case.status == Status::Notice,
        can_resolve: user.can("assistance:objection:resolve"),
        can_recheck: user.can("assistance:case:recheck") && case.status == Status::Active,
        exit_reasons: EXIT_REASONS.iter().map(|r| (r.code(), r.label())).collect(),
        case,
    })
}

/// Viewing a case shows incomes, health and disability: the view is audited.
async fn audit_view(state: &AppState, ctx: &Ctx, id: i64) -> AppResult<()> {
    record_alone(
        &state.db,
        &AuditEvent::new(
            state.clock.now_local(),
            &ctx.actor(),
            "case.view",
            "assistance_case",
            id.to_string(),
        ),
    )
    .await
    .map_err(AppError::audit)?;
    Ok(())
}

#[derive(Template)]
#[template(path = "assistance/case.html")]
struct CasePage {
    page: PageCtx,
    v: CaseView,
    message: String,
    /// Why the last action was refused, shown above the case so the user stays on it.
    error: String,
}

#[derive(Deserialize, Default)]
pub struct CaseQuery {
    #[serde(default)]
    done: String,
    #[serde(default)]
    created: String,
}

async fn case_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<CaseQuery>,
) -> AppResult<Html<String>> {
    let message = if !q.created.is_empty() {
        "申请已登记。".to_string()
    } else if !q.done.is_empty() {
        format!("已完成「{}」。", q.done)
    } else {
        String::new()
    };
    case_html(&state, &ctx, id, message, String::new()).await
}

async fn case_html(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    mut message: String,
    error: String,
) -> AppResult<Html<String>> {
    let v = case_view(state, ctx, id).await?;
    audit_view(state, ctx, id).await?;
    let user = ctx.user()?;
    let page = PageCtx::load(
        state,
        Some(user),
        "workbench",
        format!("救助案件 {id}"),
        vec![
            Crumb::link("工作台", "/assistance/workbench"),
            Crumb::here(format!("救助案件 {id}")),
        ],
    )
    .await?;
    if message == "申请已登记。" {
        message = format!(
            "申请已登记，受理编号 {}。",
            v.case.reference.clone().unwrap_or_default()
        );
    }
    render(CasePage {
        page,
        v,
        message,
        error,
    })
}

/// A refused action comes back as the case page with the reason on top (and the
/// refusal's status), so the caseworker sees the case as it now is.
pub async fn refused_on_case(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    e: AppError,
) -> AppResult<Response> {
    let (status, why) = match &e {
        AppError::Conflict(m) => (StatusCode::CONFLICT, m.clone()),
        AppError::Invalid(m) => (StatusCode::UNPROCESSABLE_ENTITY, m.clone()),
        AppError::Forbidden(m) => (StatusCode::FORBIDDEN, m.clone()),
        _ => return Err(e),
    };
    let html = case_html(state, ctx, id, String::new(), why).await?;
    Ok((status, html).into_response())
}

async fn act_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(input): Form<ActInput>,
) -> AppResult<Response> {
    let acted = match transitions::act(&state, &ctx, id, &input).await {
        Ok(a) => a,
        Err(e) => return refused_on_case(&state, &ctx, id, e).await,
    };
    Ok(Redirect::to(&format!(
        "/assistance/cases/{id}?done={}",
        crate::web::encode_query(acted.action)
    ))
    .into_response())
}

async fn api_case(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> AppResult<Json<CaseView>> {
    let v = case_view(&state, &ctx, id).await?;
    audit_view(&state, &ctx, id).await?;
    Ok(Json(v))
}

async fn api_act(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<ActInput>,
) -> AppResult<Json<transitions::Acted>> {
    Ok(Json(transitions::act(&state, &ctx, id, &input).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ObjectionForm {
    #[serde(default)]
    content: String,
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-02")]
    received_on: String,
}

async fn objection_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<ObjectionForm>,
) -> AppResult<Response> {
    match add_objection(&state, &ctx, id, &form).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/assistance/cases/{id}?done={}",
            crate::web::encode_query("登记异议")
        ))
        .into_response()),
        Err(e) => refused_on_case(&state, &ctx, id, e).await,
    }
}

async fn add_objection(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    form: &ObjectionForm,
) -> AppResult<()> {
    let (state, ctx) = (state.clone(), ctx.clone());
    let user = ctx.user()?.clone();
    let case = transitions::case_in_scope(&state, &ctx, id).await?;
    if case.status != Status::Notice {
        return Err(AppError::Conflict(format!(
            "救助案件 {id} 不在公示期（当前状态「{}」），不能登记异议。",
            case.status.label()
        )));
    }
    let content = form.content.trim();
    if content.is_empty() || content.chars().count() > 1000 {
        return Err(AppError::Invalid(
            "异议内容：请填写 1 到 1000 个字，写明反映人反映的情况。".to_string(),
        ));
    }
    let today = state.clock.today();
    let received = if form.received_on.trim().is_empty() {
        today
    } else {
        crate::calendar::parse_date(&form.received_on).ok_or_else(|| {
            AppError::Invalid(format!("收到日期：「{}」不是有效日期。", form.received_on))
        })?
    };
    let from: Option<NaiveDate> = case.notice_from.as_deref().and_then(|d| d.parse().ok());
    let until: Option<NaiveDate> = case.notice_until.as_deref().and_then(|d| d.parse().ok());
    if from.is_some_and(|f| received < f) || until.is_some_and(|u| received > u) || received > today
    {
        return Err(AppError::Invalid(format!(
            "收到日期：异议应在公示期内（{} 至 {}）收到。",
            case.notice_from.clone().unwrap_or_default(),
            case.notice_until.clone().unwrap_or_default()
        )));
    }
    let mut tx = state.db.begin().await?;
    let oid: i64 = sqlx::query(
        "INSERT INTO case_objections (case_id, received_on, content, recorded_by) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(id)
    .bind(received.to_string())
    .bind(content)
    .bind(user.username.clone())
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    record(
        &mut tx,
        &AuditEvent::new(
            state.clock.now_local(),
            &ctx.actor(),
            "case.objection",
            "assistance_case",
            id.to_string(),
        )
        .with(json!({ "objection": oid, "received_on": received.to_string() })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    Ok(())
}

#[derive(Deserialize)]
pub struct ResolveForm {
    #[serde(default)]
    resolution: String,
}

async fn objection_resolve(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, oid)): Path<(i64, i64)>,
    Form(form): Form<ResolveForm>,
) -> AppResult<Response> {
    match resolve_objection(&state, &ctx, id, oid, &form).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/assistance/cases/{id}?done={}",
            crate::web::encode_query("处理异议")
        ))
        .into_response()),
        Err(e) => refused_on_case(&state, &ctx, id, e).await,
    }
}

async fn resolve_objection(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    oid: i64,
    form: &ResolveForm,
) -> AppResult<()> {
    let (state, ctx) = (state.clone(), ctx.clone());
    let user = ctx.user()?.clone();
    transitions::case_in_scope(&state, &ctx, id).await?;
    let resolution = form.resolution.trim();
    if resolution.is_empty() || resolution.chars().count() > 1000 {
        return Err(AppError::Invalid(
            "处理结果：请填写核实情况和处理结论（1 到 1000 个字）。".to_string(),
        ));
    }
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let updated = sqlx::query(
        "UPDATE case_objections SET resolution = $1, resolved_by = $2, resolved_at = $3 \
         WHERE id = $4 AND case_id = $5 AND resolved_at IS NULL",
    )
    .bind(resolution)
    .bind(user.username.clone())
    .bind(now.to_rfc3339())
    .bind(oid)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated != 1 {
        return Err(AppError::Conflict(format!(
            "异议 {oid} 不存在或已经处理过，请刷新页面。"
        )));
    }
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "case.objection_resolve",
            "assistance_case",
            id.to_string(),
        )
        .with(json!({ "objection": oid })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    Ok(())
}

async fn api_objection(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(form): Json<ObjectionForm>,
) -> AppResult<Json<serde_json::Value>> {
    add_objection(&state, &ctx, id, &form).await?;
    Ok(Json(json!({ "case_id": id, "recorded": true })))
}
