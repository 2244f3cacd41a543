//! Help for people living rough on the pages and API: the quarter's figures, street
//! patrols, the station's cases with long stays flagged, and a case from intake through
//! care and family search to its departure. Every change is audited.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::model::{
    FamilySearch, Group, MAX_STAY_DAYS, Outcome, Service, Sex, check_departure, services_text,
};
use super::store::{self, Case, Figures, NewCase, NewPatrol, Patrol};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::protect::SensitiveKind;
use crate::report::Quarter;
use crate::web::extract::{FormOrJson, typed};
use crate::web::layout::{Crumb, PageCtx, render};

const READ: Access = Access::Perm("relief:station:read");
const PATROL: Access = Access::Perm("relief:patrol:record");
const MANAGE: Access = Access::Perm("relief:station:manage");

pub fn routes() -> Routes {
    Routes::new()
        .get("/relief", READ, page)
        .post("/relief/patrols", PATROL, add_patrol)
        .post("/relief/cases", MANAGE, intake)
        .get("/relief/cases/{id}", READ, case_page)
        .post("/relief/cases/{id}/care", MANAGE, care)
        .post("/relief/cases/{id}/departure", MANAGE, departure)
        .get("/api/v1/relief", READ, api)
        .post("/api/v1/relief/patrols", PATROL, add_patrol)
        .post("/api/v1/relief/cases", MANAGE, intake)
        .get("/api/v1/relief/cases/{id}", READ, api_case)
        .post("/api/v1/relief/cases/{id}/care", MANAGE, care)
        .post("/api/v1/relief/cases/{id}/departure", MANAGE, departure)
}

fn day(field: &str, text: &str, today: NaiveDate) -> AppResult<NaiveDate> {
    let d = crate::calendar::parse_date(text.trim()).ok_or_else(|| {
        AppError::Invalid(format!(
            "「{field}」「{}」不是日期，请写成 2026-07-15。",
            text.trim()
        ))
    })?;
    if d > today {
        return Err(AppError::Invalid(format!("「{field}」{d} 晚于今天。")));
    }
    Ok(d)
}

fn whole(field: &str, v: &Value) -> AppResult<i64> {
    typed(v)
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (0..=10_000).contains(n))
        .ok_or_else(|| AppError::Invalid(format!("「{field}」应为 0 到 10000 的整数。")))
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
        cases: store::cases(&state.db, &bounds, today).await?,
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

/// The region a record is made for: within the user's, and one the tree has.
async fn region_in_scope(state: &AppState, user: &CurrentUser, code: &str) -> AppResult<String> {
    let code = code.trim();
    match crate::region::store::get(&state.db, code).await? {
        Some(_) if user.scope().contains(code) => Ok(code.to_string()),
        _ => Err(AppError::Invalid(format!(
            "「区划」「{code}」不是您管辖范围内的区划代码。"
        ))),
    }
}

#[derive(Deserialize)]
pub struct PatrolForm {
    patrolled_on: String,
    region_code: String,
    area: String,
    staff: String,
    people_met: Value,
    brought_in: Value,
    #[serde(default)]
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
        region_code: region_in_scope(&state, &user, &form.region_code).await?,
        area: form.area.trim().to_string(),
        staff: form.staff.trim().to_string(),
        people_met: whole("发现人数", &form.people_met)?,
        brought_in: whole("护送入站人数", &form.brought_in)?,
        notes: form.notes.trim().to_string(),
    };
    if p.area.is_empty() || p.staff.is_empty() {
        return Err(AppError::Invalid(
            "请填写「巡查区域」和「巡查人员」。".to_string(),
        ));
    }
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

#[derive(Deserialize)]
pub struct IntakeForm {
    region_code: String,
    intake_on: String,
    name: String,
    #[serde(default)]
    id_number: String,
    sex: String,
    group: String,
    #[serde(default)]
    notes: String,
}

async fn intake(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<IntakeForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let name = form.name.trim().to_string();
    if name.is_empty() {
        return Err(AppError::Invalid(
            "请填写「姓名」；身份不明的写体貌特征，如「无名氏（男，约 60 岁）」。".to_string(),
        ));
    }
    let id = match form.id_number.trim() {
        "" => None,
        text => {
            let number = crate::ids::IdNumber::parse(text, today)
                .map_err(|e| AppError::Invalid(format!("「身份证号」{e}。")))?;
            let sealed = state.keyring.seal(SensitiveKind::IdNumber, number.as_str());
            Some((sealed.sealed, sealed.index))
        }
    };
    let c = NewCase {
        region_code: region_in_scope(&state, &user, &form.region_code).await?,
        intake_on: day("入站日期", &form.intake_on, today)?,
        name,
        id,
        sex: Sex::parse(&form.sex)
            .ok_or_else(|| AppError::Invalid(format!("「性别」应为：{}。", Sex::labels())))?,
        group: Group::parse(&form.group)
            .ok_or_else(|| AppError::Invalid(format!("「类别」应为：{}。", Group::labels())))?,
        services: services_text(&[Service::Food, Service::Lodging]),
        family_search: FamilySearch::None,
        notes: form.notes.trim().to_string(),
    };
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let case = store::add_case(&mut tx, &c, (&user.username, &now.to_rfc3339())).await?;
    record(
        &mut tx,
        &AuditEvent::new(now, &ctx.actor(), "relief.case.intake", "relief_case", case.to_string()).with(json!({
            "intake_on": c.intake_on.to_string(), "region": c.region_code, "identity_known": c.id.is_some(),
            "group": c.group.code(),
        })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已登记入站：{}（{}），提供饮食、住宿。",
        c.name,
        c.group.label()
    );
    if json {
        return Ok(Json(json!({"id": case, "message": message})).into_response());
    }
    Ok(case_view(&state, &user, case, message)
        .await?
        .into_response())
}

/// A case with its ID masked, for the page and the API.
#[derive(Serialize)]
struct CaseView {
    case: Case,
    id_masked: String,
}

async fn case_in_scope(state: &AppState, user: &CurrentUser, id: i64) -> AppResult<CaseView> {
    let case = store::case(&state.db, id, state.clock.today())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("救助对象 {id}")))?;
    user.ensure_in_scope(&case.region_code, || format!("救助对象 {id}"))?;
    let id_masked = case
        .id_sealed
        .as_deref()
        .and_then(|s| state.keyring.open(SensitiveKind::IdNumber, s).ok())
        .map(|n| SensitiveKind::IdNumber.mask(&n))
        .unwrap_or_default();
    let mut case = case;
    case.id_sealed = None;
    Ok(CaseView { case, id_masked })
}

#[derive(Template)]
#[template(path = "relief/case.html")]
struct CasePage {
    page: PageCtx,
    v: CaseView,
    services: Vec<(&'static str, &'static str, bool)>,
    searches: Vec<(&'static str, &'static str)>,
    outcomes: Vec<(&'static str, &'static str)>,
    can_manage: bool,
    notice: String,
    today: String,
    max_stay_days: i64,
}

async fn case_view(
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
        outcomes: Outcome::ALL
            .iter()
            .filter(|o| **o != Outcome::LongStay)
            .map(|s| (s.code(), s.label()))
            .collect(),
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
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    case_view(&state, &user, id, String::new()).await
}

async fn api_case(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    Ok(Json(json!(case_in_scope(&state, &user, id).await?)))
}

async fn finish(
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
#[derive(Deserialize)]
pub struct CareForm {
    version: i64,
    /// Service codes, comma-separated (a form may also send `s_food=1` per box).
    #[serde(default)]
    services: String,
    #[serde(default)]
    s_food: String,
    #[serde(default)]
    s_lodging: String,
    #[serde(default)]
    s_medical: String,
    #[serde(default)]
    s_family_search: String,
    #[serde(default)]
    s_transport: String,
    family_search: String,
    #[serde(default)]
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
    let search = FamilySearch::parse(&form.family_search).ok_or_else(|| {
        AppError::Invalid(format!("「寻亲情况」应为：{}。", FamilySearch::labels()))
    })?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    if !store::update_care(
        &mut tx,
        id,
        form.version,
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

#[derive(Deserialize)]
pub struct DepartureForm {
    version: i64,
    left_on: String,
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
    let left = crate::calendar::parse_date(form.left_on.trim()).ok_or_else(|| {
        AppError::Invalid("「离站日期」不是日期，请写成 2026-07-15。".to_string())
    })?;
    let outcome = Outcome::parse(&form.outcome)
        .ok_or_else(|| AppError::Invalid(format!("「结果」应为：{}。", Outcome::labels())))?;
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
    if !store::depart(&mut tx, id, form.version, (left, outcome)).await? {
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
