//! Help for people living rough on the pages and API: the quarter's figures, street
//! patrols, the station's cases with long stays flagged, and a case from intake through
//! care and family search to its departure. Every change is audited.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::input::{day, region_in_scope, region_options, required, version, whole};
use super::intake;
use super::model::{
    DEPARTURES, FamilySearch, Group, MAX_STAY_DAYS, Outcome, Service, Sex, check_departure,
    departure_labels, services_text,
};
use super::store::{self, Case, Figures, NewPatrol, Patrol};
use crate::AppState;
use crate::audit::{
    AuditEvent,
    store::{record, record_alone},
};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::protect::SensitiveKind;
use crate::report::Quarter;
use crate::web::extract::FormOrJson;
use crate::web::layout::{Crumb, PageCtx, render};

const READ: Access = Access::Perm("relief:station:read");
const PATROL: Access = Access::Perm("relief:patrol:record");
const MANAGE: Access = Access::Perm("relief:station:manage");

pub fn routes() -> Routes {
    Routes::new()
        .get("/relief", READ, page)
        .post("/relief/patrols", PATROL, add_patrol)
        .post("/relief/cases", MANAGE, intake::intake)
        .get("/relief/cases/{id}", READ, case_page)
        .post("/relief/cases/{id}/care", MANAGE, care)
        .post("/relief/cases/{id}/identity", MANAGE, intake::identity)
        .post("/relief/cases/{id}/departure", MANAGE, departure)
        .get("/api/v1/relief", READ, api)
        .post("/api/v1/relief/patrols", PATROL, add_patrol)
        .post("/api/v1/relief/cases", MANAGE, intake::intake)
        .get("/api/v1/relief/cases/{id}", READ, api_case)
        .post("/api/v1/relief/cases/{id}/care", MANAGE, care)
        .post(
            "/api/v1/relief/cases/{id}/identity",
            MANAGE,
            intake::identity,
        )
        .post("/api/v1/relief/cases/{id}/departure", MANAGE, departure)
}

#[derive(Deserialize, Default)]
pub struct Pick {
    #[serde(default)]
    quarter: String,
}

#[derive(Serialize)]
struct Overview {
    quarter: String,
    figures: Figures,
    patrols: Vec<Patrol>,
    /// Cases still at the station first, then those that left, newest first.
    cases: Vec<Case>,
    max_stay_days: i64,
}

async fn overview(state: &AppState, user: &CurrentUser, p: &Pick) -> AppResult<Overview> {
    let today = state.clock.today();
    let quarter = match p.quarter.trim() {
        "" => Quarter::of(today),
        q => q
            .parse::<Quarter>()
            .map_err(|_| AppError::Invalid(format!("「季度」「{q}」无法识别，请写成 2026Q3。")))?,
    };
    let bounds = user.scope_bounds();
    let span = (quarter.first_day(), quarter.last_day());
    Ok(Overview {
        quarter: quarter.to_string(),
        figures: store::figures(&state.db, &bounds, span, today).await?,
        patrols: store::patrols(&state.db, &bounds, span).await?,
        cases: store::cases(&state.db, &bounds, today)
            .await?
            .into_iter()
            .map(|c| masked(state, c))
            .collect(),
        max_stay_days: MAX_STAY_DAYS,
    })
}

#[derive(Template)]
#[template(path = "relief/index.html")]
struct IndexPage {
    page: PageCtx,
    o: Overview,
    groups: Vec<(&'static str, &'static str)>,
    sexes: Vec<(&'static str, &'static str)>,
    /// The regions in the user's scope, for the intake and patrol forms' selects.
    regions: Vec<(String, String)>,
    can_patrol: bool,
    can_manage: bool,
    notice: String,
    today: String,
}

async fn view(
    state: &AppState,
    user: &CurrentUser,
    p: Pick,
    notice: String,
) -> AppResult<Html<String>> {
    let o = overview(state, user, &p).await?;
    let page = PageCtx::load(
        state,
        Some(user),
        "relief",
        "流浪乞讨人员救助",
        vec![Crumb::here("流浪乞讨人员救助")],
    )
    .await?;
    render(IndexPage {
        page,
        o,
        groups: Group::ALL.iter().map(|g| (g.code(), g.label())).collect(),
        sexes: Sex::ALL.iter().map(|g| (g.code(), g.label())).collect(),
        regions: region_options(state, user).await?,
        can_patrol: user.can("relief:patrol:record"),
        can_manage: user.can("relief:station:manage"),
        notice,
        today: state.clock.today().to_string(),
    })
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<Pick>,
) -> AppResult<Html<String>> {
    view(&state, &user, p, String::new()).await
}

async fn api(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<Pick>,
) -> AppResult<Json<Value>> {
    Ok(Json(json!(overview(&state, &user, &p).await?)))
}

/// Every field defaults so that a missing one is named in Chinese by the checks below,
/// not by the deserializer.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct PatrolForm {
    #[schema(format = Date, example = "2026-11-02")]
    patrolled_on: String,
    region_code: String,
    area: String,
    staff: String,
    people_met: Value,
    brought_in: Value,
    notes: String,
}

async fn add_patrol(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<PatrolForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let p = NewPatrol {
        patrolled_on: day("巡查日期", &form.patrolled_on, today)?,
        region_code: region_in_scope(&state, &user, "巡查区划", &form.region_code).await?,
        area: required("巡查区域", &form.area, "巡查的地点，如 火车站广场")?.to_string(),
        staff: required("巡查人员", &form.staff, "参加巡查的人员姓名，如 王五、赵六")?.to_string(),
        people_met: whole("发现人数", &form.people_met)?,
        brought_in: whole("护送入站人数", &form.brought_in)?,
        notes: form.notes.trim().to_string(),
    };
    if p.brought_in > p.people_met {
        return Err(AppError::Invalid(format!(
            "「护送入站人数」{} 不能多于「发现人数」{}。",
            p.brought_in, p.people_met
        )));
    }
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let id = store::add_patrol(&mut tx, &p, (&user.username, &now.to_rfc3339())).await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "relief.patrol.record",
            "relief_patrol",
            id.to_string(),
        )
        .with(json!({"patrol": p})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已记录 {} {} 的街面巡查：发现 {} 人，护送入站 {} 人。",
        p.patrolled_on, p.area, p.people_met, p.brought_in
    );
    if json {
        return Ok(Json(json!({"id": id, "message": message})).into_response());
    }
    Ok(view(&state, &user, Pick::default(), message)
        .await?
        .into_response())
}

/// A case with its ID masked, for the page and the API.
#[derive(Serialize)]
pub(super) struct CaseView {
    pub(super) case: Case,
    id_masked: String,
}

pub(super) async fn case_in_scope(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> AppResult<CaseView> {
    let case = store::case(&state.db, id, state.clock.today())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("救助对象 {id}")))?;
    user.ensure_in_scope(&case.region_code, || format!("救助对象 {id}"))?;
    let case = masked(state, case);
    Ok(CaseView {
        id_masked: case.id_masked.clone(),
        case,
    })
}

/// The case with its ID opened only to be masked; the sealed value is dropped (it is
/// never serialised either).
fn masked(state: &AppState, mut case: Case) -> Case {
    case.id_masked = case
        .id_sealed
        .take()
        .and_then(|s| state.keyring.open(SensitiveKind::IdNumber, &s).ok())
        .map(|n| SensitiveKind::IdNumber.mask(&n))
        .unwrap_or_default();
    case
}

/// Viewing a case shows a minor, a mental illness, who the person is: the view is
/// audited, as an assistance case's is (page and API; not the page shown after a change,
/// which has its own entry).
async fn audit_view(state: &AppState, ctx: &Ctx, id: i64) -> AppResult<()> {
    record_alone(
        &state.db,
        &AuditEvent::new(
            state.clock.now_local(),
            &ctx.actor(),
            "relief.case.view",
            "relief_case",
            id.to_string(),
        ),
    )
    .await
    .map_err(AppError::audit)?;
    Ok(())
}

#[derive(Template)]
#[template(path = "relief/case.html")]
struct CasePage {
    page: PageCtx,
    v: CaseView,
    services: Vec<(&'static str, &'static str, bool)>,
    searches: Vec<(&'static str, &'static str)>,
    outcomes: Vec<(&'static str, &'static str)>,
    groups: Vec<(&'static str, &'static str)>,
    can_manage: bool,
    notice: String,
    today: String,
    max_stay_days: i64,
}

pub(super) async fn case_view(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    notice: String,
) -> AppResult<Html<String>> {
    let v = case_in_scope(state, user, id).await?;
    let title = v.case.name.clone();
    let page = PageCtx::load(
        state,
        Some(user),
        "relief",
        &title,
        vec![
            Crumb::link("流浪乞讨人员救助", "/relief"),
            Crumb::here(title.clone()),
        ],
    )
    .await?;
    render(CasePage {
        services: Service::ALL
            .iter()
            .map(|s| (s.code(), s.label(), v.case.services.contains(s)))
            .collect(),
        searches: FamilySearch::ALL
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        // 长期滞留 is a stay, not a departure (it is flagged by itself).
        outcomes: DEPARTURES.iter().map(|s| (s.code(), s.label())).collect(),
        groups: Group::ALL.iter().map(|g| (g.code(), g.label())).collect(),
        page,
        v,
        can_manage: user.can("relief:station:manage"),
        notice,
        today: state.clock.today().to_string(),
        max_stay_days: MAX_STAY_DAYS,
    })
}

async fn case_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let page = case_view(&state, ctx.user()?, id, String::new()).await?;
    audit_view(&state, &ctx, id).await?;
    Ok(page)
}

async fn api_case(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let v = case_in_scope(&state, ctx.user()?, id).await?;
    audit_view(&state, &ctx, id).await?;
    Ok(Json(json!(v)))
}

pub(super) async fn finish(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    json: bool,
    message: String,
) -> AppResult<Response> {
    if json {
        return Ok(Json(json!({"message": message})).into_response());
    }
    Ok(case_view(state, user, id, message).await?.into_response())
}

/// The page's checkboxes arrive as `services=food&services=medical`: read as one text.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct CareForm {
    version: Value,
    /// Service codes, comma-separated (a form may also send `s_food=1` per box).
    services: String,
    s_food: String,
    s_lodging: String,
    s_medical: String,
    s_family_search: String,
    s_transport: String,
    family_search: String,
    notes: String,
}

async fn care(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<CareForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    case_in_scope(&state, &user, id).await?;
    let version = version(&form.version)?;
    let mut services: Vec<Service> = Vec::new();
    for code in form
        .services
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        services.push(Service::parse(code).ok_or_else(|| {
            AppError::Invalid(format!(
                "「服务」「{code}」无法识别，应为：{}。",
                Service::labels()
            ))
        })?);
    }
    for (flag, s) in [
        (&form.s_food, Service::Food),
        (&form.s_lodging, Service::Lodging),
        (&form.s_medical, Service::Medical),
        (&form.s_family_search, Service::FamilySearch),
        (&form.s_transport, Service::Transport),
    ] {
        if !flag.is_empty() && !services.contains(&s) {
            services.push(s);
        }
    }
    required(
        "寻亲情况",
        &form.family_search,
        &format!("应为：{}", FamilySearch::labels()),
    )?;
    let search = FamilySearch::parse(&form.family_search).ok_or_else(|| {
        AppError::Invalid(format!("「寻亲情况」应为：{}。", FamilySearch::labels()))
    })?;
    // A search under way or concluded is the 寻亲 service given, ticked or not.
    if search != FamilySearch::None && !services.contains(&Service::FamilySearch) {
        services.push(Service::FamilySearch);
    }
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    if !store::update_care(
        &mut tx,
        id,
        version,
        (&services_text(&services), search, form.notes.trim()),
    )
    .await?
    {
        return Err(AppError::Conflict(
            "记录已被他人修改或此人已离站，请刷新后查看。".to_string(),
        ));
    }
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "relief.case.care",
            "relief_case",
            id.to_string(),
        )
        .with(json!({"services": services_text(&services), "family_search": search.code()})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    finish(
        &state,
        &user,
        id,
        json,
        format!("已更新：寻亲情况「{}」。", search.label()),
    )
    .await
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct DepartureForm {
    version: Value,
    #[schema(format = Date, example = "2026-11-02")]
    left_on: String,
    /// No default outcome: the caseworker chooses how the stay ended.
    outcome: String,
}

async fn departure(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<DepartureForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let c = case_in_scope(&state, &user, id).await?.case;
    let version = version(&form.version)?;
    let left = required("离站日期", &form.left_on, "请写成 2026-07-15")?;
    let left = crate::calendar::parse_date(left).ok_or_else(|| {
        AppError::Invalid(format!(
            "「离站日期」「{left}」不是日期，请写成 2026-07-15。"
        ))
    })?;
    let choices = format!("请选择离站结果：{}", departure_labels());
    let outcome = Outcome::parse(required("结果", &form.outcome, &choices)?)
        .ok_or_else(|| AppError::Invalid(format!("「结果」应为：{}。", departure_labels())))?;
    check_departure(
        c.intake_on.parse().unwrap_or(today),
        left,
        outcome,
        c.family_search,
        today,
    )
    .map_err(|e| AppError::Invalid(format!("{e}。")))?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    if !store::depart(&mut tx, id, version, (left, outcome)).await? {
        return Err(AppError::Conflict(
            "记录已被他人修改或此人已离站，请刷新后查看。".to_string(),
        ));
    }
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "relief.case.depart",
            "relief_case",
            id.to_string(),
        )
        .with(json!({"left_on": left.to_string(), "outcome": outcome.code()})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    finish(
        &state,
        &user,
        id,
        json,
        format!("已离站（{left}）：{}。", outcome.label()),
    )
    .await
}
