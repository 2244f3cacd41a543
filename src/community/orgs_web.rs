//! Social organisations on the pages and API: the registry of the user's region with
//! those up for revocation, registering one (the USCC checked, GB 32100), an
//! organisation's page with its status history, yearly inspections and welfare
//! activities, and the forms that change them. Every change is audited.

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::model::{
    ActivityField, InspectionResult, OrgKind, OrgStatus, registered_on, up_for_revocation,
};
use super::org_store::{self, Activity, NewOrg, Org, StatusChange};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::ids::Uscc;
use crate::web::extract::{FormOrJson, typed};
use crate::web::layout::{Crumb, PageCtx, render};

pub const READ: Access = Access::Perm("socialorg:registry:read");
pub const MANAGE: Access = Access::Perm("socialorg:registry:manage");

pub fn routes() -> Routes {
    Routes::new()
        .get("/community/orgs", READ, list_page)
        .post("/community/orgs", MANAGE, register)
        .get("/community/orgs/{id}", READ, org_page)
        .post("/community/orgs/{id}/status", MANAGE, change_status)
        .post("/community/orgs/{id}/inspections", MANAGE, inspect)
        .post("/community/orgs/{id}/activities", MANAGE, add_activity)
        .get("/api/v1/community/orgs", READ, api_list)
        .post("/api/v1/community/orgs", MANAGE, register)
        .get("/api/v1/community/orgs/{id}", READ, api_org)
        .post("/api/v1/community/orgs/{id}/status", MANAGE, change_status)
        .post("/api/v1/community/orgs/{id}/inspections", MANAGE, inspect)
        .post(
            "/api/v1/community/orgs/{id}/activities",
            MANAGE,
            add_activity,
        )
}

pub(super) fn day(field: &str, text: &str) -> AppResult<NaiveDate> {
    crate::calendar::parse_date(text.trim()).ok_or_else(|| {
        AppError::Invalid(format!(
            "「{field}」「{}」不是日期，请写成 2026-07-15。",
            text.trim()
        ))
    })
}

fn not_future(field: &str, d: NaiveDate, today: NaiveDate) -> AppResult<NaiveDate> {
    if d > today {
        return Err(AppError::Invalid(format!("「{field}」{d} 晚于今天。")));
    }
    Ok(d)
}

/// An organisation up for revocation, and the two work years it missed.
#[derive(Serialize)]
struct Missed {
    org: Org,
    years: (i32, i32),
}

#[derive(Serialize)]
struct Registry {
    orgs: Vec<Org>,
    up_for_revocation: Vec<Missed>,
    /// (status label, count).
    by_status: Vec<(&'static str, usize)>,
}

async fn registry(state: &AppState, user: &CurrentUser) -> AppResult<Registry> {
    let bounds = user.scope_bounds();
    let orgs = org_store::list(&state.db, &bounds).await?;
    let inspections = org_store::inspections(&state.db, &bounds).await?;
    let today = state.clock.today();
    let up_for_revocation = orgs
        .iter()
        .filter_map(|o| {
            let years = up_for_revocation(
                o.registered()?,
                o.status,
                inspections.get(&o.id).map_or(&[][..], Vec::as_slice),
                today,
            )?;
            Some(Missed {
                org: o.clone(),
                years,
            })
        })
        .collect();
    let by_status = OrgStatus::ALL
        .iter()
        .map(|s| (s.label(), orgs.iter().filter(|o| o.status == *s).count()))
        .collect();
    Ok(Registry {
        orgs,
        up_for_revocation,
        by_status,
    })
}

#[derive(Template)]
#[template(path = "community/orgs.html")]
struct ListPage {
    page: PageCtx,
    r: Registry,
    kinds: Vec<(&'static str, &'static str)>,
    authorities: Vec<(String, String)>,
    can_manage: bool,
    notice: String,
}

async fn list_view(
    state: &AppState,
    user: &CurrentUser,
    notice: String,
) -> AppResult<Html<String>> {
    let r = registry(state, user).await?;
    let page = PageCtx::load(
        state,
        Some(user),
        "community_orgs",
        "社会组织",
        vec![Crumb::here("社会组织")],
    )
    .await?;
    let authorities = crate::region::store::subtree(&state.db, &user.region)
        .await?
        .into_iter()
        .filter(|r| {
            matches!(
                r.level,
                crate::region::Level::City | crate::region::Level::District
            )
        })
        .map(|r| (r.code.to_string(), r.name))
        .collect();
    render(ListPage {
        page,
        r,
        kinds: OrgKind::ALL.iter().map(|k| (k.code(), k.label())).collect(),
        authorities,
        can_manage: user.can("socialorg:registry:manage"),
        notice,
    })
}

async fn list_page(State(state): State<AppState>, user: CurrentUser) -> AppResult<Html<String>> {
    list_view(&state, &user, String::new()).await
}

async fn api_list(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<Value>> {
    Ok(Json(json!(registry(&state, &user).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RegisterForm {
    uscc: String,
    name: String,
    kind: String,
    region_code: String,
    #[schema(format = Date, example = "2026-11-02")]
    registered_on: String,
}

async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<RegisterForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    // The parser's message says what is wrong: length, a character, the check character.
    let uscc = Uscc::parse(&form.uscc)
        .map_err(|e| AppError::Invalid(format!("「统一社会信用代码」{e}。")))?;
    let name = form.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::Invalid(
            "请填写「名称」，不超过 100 字。".to_string(),
        ));
    }
    let kind = OrgKind::parse(&form.kind)
        .ok_or_else(|| AppError::Invalid(format!("「类型」应为：{}。", OrgKind::labels())))?;
    let region_code = form.region_code.trim().to_string();
    let authority = crate::region::store::get(&state.db, &region_code)
        .await?
        .filter(|r| {
            matches!(
                r.level,
                crate::region::Level::City | crate::region::Level::District
            ) && user.scope().contains(&region_code)
        })
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "「登记机关」「{region_code}」不是您管辖范围内的市或区县代码。"
            ))
        })?;
    let registered = not_future("登记日期", day("登记日期", &form.registered_on)?, today)?;
    let o = NewOrg {
        uscc: uscc.as_str().to_string(),
        name,
        kind,
        region_code,
        registered_on: registered,
        status: OrgStatus::Normal,
        ended_on: None,
    };
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    if org_store::by_uscc(&mut tx, &o.uscc).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "统一社会信用代码 {} 已登记：请在名录中找到该组织修改。",
            o.uscc
        )));
    }
    let (id, _) =
        org_store::save(&mut tx, &o, "登记成立", (&user.username, &now.to_rfc3339())).await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "socialorg.register",
            "social_org",
            id.to_string(),
        )
        .with(json!({"org": o})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已登记：{}（{}，{}）。",
        o.name,
        o.kind.label(),
        authority.name
    );
    if json {
        return Ok(Json(json!({"id": id, "message": message})).into_response());
    }
    Ok(org_view(&state, &user, id, message).await?.into_response())
}

#[derive(Serialize)]
struct OrgDetail {
    org: Org,
    /// The registering authority's name.
    authority: String,
    statuses: Vec<StatusChange>,
    inspections: Vec<(i32, &'static str)>,
    activities: Vec<Activity>,
    up_for_revocation: Option<(i32, i32)>,
}

async fn detail(state: &AppState, user: &CurrentUser, id: i64) -> AppResult<OrgDetail> {
    let org = org_store::get(state.db.pool(), id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("社会组织 {id}")))?;
    user.ensure_in_scope(&org.region_code, || format!("社会组织 {id}"))?;
    let bounds = crate::db::prefix_bounds(&org.region_code);
    let all = org_store::inspections(&state.db, &bounds).await?;
    let mine = all.get(&id).cloned().unwrap_or_default();
    let authority = crate::region::store::get(&state.db, &org.region_code)
        .await?
        .map(|r| r.name)
        .unwrap_or_default();
    Ok(OrgDetail {
        authority,
        up_for_revocation: org
            .registered()
            .and_then(|r| up_for_revocation(r, org.status, &mine, state.clock.today())),
        statuses: org_store::statuses(&state.db, id).await?,
        inspections: mine.iter().map(|(y, r)| (*y, r.label())).collect(),
        activities: org_store::activities(&state.db, id).await?,
        org,
    })
}

#[derive(Template)]
#[template(path = "community/org.html")]
struct OrgPage {
    page: PageCtx,
    d: OrgDetail,
    statuses: Vec<(&'static str, &'static str)>,
    results: Vec<(&'static str, &'static str)>,
    fields: Vec<(&'static str, &'static str)>,
    can_manage: bool,
    notice: String,
    today: String,
    last_year: i32,
}

async fn org_view(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    notice: String,
) -> AppResult<Html<String>> {
    let d = detail(state, user, id).await?;
    let title = d.org.name.clone();
    let page = PageCtx::load(
        state,
        Some(user),
        "community_orgs",
        &title,
        vec![
            Crumb::link("社会组织", "/community/orgs"),
            Crumb::here(title.clone()),
        ],
    )
    .await?;
    let today = state.clock.today();
    render(OrgPage {
        page,
        d,
        statuses: OrgStatus::ALL
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        results: InspectionResult::ALL
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        fields: ActivityField::ALL
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        can_manage: user.can("socialorg:registry:manage"),
        notice,
        today: today.to_string(),
        last_year: chrono::Datelike::year(&today) - 1,
    })
}

async fn org_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    org_view(&state, &user, id, String::new()).await
}

async fn api_org(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    Ok(Json(json!(detail(&state, &user, id).await?)))
}

/// After a change: the organisation's page with the message, or JSON.
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
    Ok(org_view(state, user, id, message).await?.into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StatusForm {
    version: i64,
    status: String,
    #[schema(format = Date, example = "2026-11-02")]
    since: String,
    reason: String,
}

async fn change_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<StatusForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let org = detail(&state, &user, id).await?.org;
    let to = OrgStatus::parse(&form.status)
        .ok_or_else(|| AppError::Invalid(format!("「状态」应为：{}。", OrgStatus::labels())))?;
    if !org.status.may_become(to) {
        return Err(AppError::Invalid(format!(
            "「{}」的组织不能改为「{}」{}。",
            org.status.label(),
            to.label(),
            if org.status.ended() {
                "：撤销、注销后不能恢复，重新成立须重新登记"
            } else {
                ""
            }
        )));
    }
    let since = not_future(
        "变更日期",
        day("变更日期", &form.since)?,
        state.clock.today(),
    )?;
    if org.registered().is_some_and(|r| since < r) {
        return Err(AppError::Invalid(format!(
            "「变更日期」{since} 早于登记日期 {}。",
            org.registered_on
        )));
    }
    let reason = form.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::Invalid(
            "请写明「变更原因」（如：连续两年未参加年检），不超过 500 字。".to_string(),
        ));
    }
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    if !org_store::change_status(
        &mut tx,
        &org,
        form.version,
        (to, since),
        reason,
        (&user.username, &now.to_rfc3339()),
    )
    .await?
    {
        return Err(AppError::Conflict(
            "该组织已被他人修改，请刷新后重试。".to_string(),
        ));
    }
    record(
        &mut tx,
        &AuditEvent::new(now, &ctx.actor(), "socialorg.status", "social_org", id.to_string())
            .with(json!({"from": org.status.code(), "to": to.code(), "since": since.to_string(), "reason": reason})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    finish(
        &state,
        &user,
        id,
        json,
        format!("状态已改为「{}」（自 {since}）。", to.label()),
    )
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct InspectionForm {
    #[schema(example = 2026)]
    year: Value,
    result: String,
    #[schema(format = Date, example = "2026-11-02")]
    inspected_on: String,
}

async fn inspect(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<InspectionForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let org = detail(&state, &user, id).await?.org;
    let today = state.clock.today();
    let year = typed(&form.year)
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..chrono::Datelike::year(&today)).contains(y))
        .ok_or_else(|| {
            AppError::Invalid(
                "「年检年度」应为已结束的年度（年检检查的是上一年的工作）。".to_string(),
            )
        })?;
    if org
        .registered()
        .is_some_and(|r| chrono::Datelike::year(&r) > year)
    {
        return Err(AppError::Invalid(format!(
            "该组织 {} 年才登记，没有 {year} 年度的年检。",
            &org.registered_on[..4]
        )));
    }
    let result = InspectionResult::parse(&form.result).ok_or_else(|| {
        AppError::Invalid(format!(
            "「年检结论」应为：{}。",
            InspectionResult::labels()
        ))
    })?;
    let on = not_future("年检日期", day("年检日期", &form.inspected_on)?, today)?;
    // The inspection of a year's work happens after that year; an organisation ended
    // during a year has no inspection of a later year.
    if chrono::Datelike::year(&on) <= year {
        return Err(AppError::Invalid(format!(
            "「年检日期」{on}：{year} 年度的年检在 {} 年进行。",
            year + 1
        )));
    }
    if org
        .ended()
        .is_some_and(|e| chrono::Datelike::year(&e) < year)
    {
        return Err(AppError::Invalid(format!(
            "该组织已于 {} {}，没有 {year} 年度的年检。",
            org.ended_on.clone().unwrap_or_default(),
            org.status_label
        )));
    }
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    org_store::put_inspection(
        &mut tx,
        id,
        year,
        result,
        on,
        (&user.username, &now.to_rfc3339()),
    )
    .await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "socialorg.inspection",
            "social_org",
            id.to_string(),
        )
        .with(json!({"year": year, "result": result.code(), "on": on.to_string()})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    finish(
        &state,
        &user,
        id,
        json,
        format!("已记录 {year} 年度年检：{}。", result.label()),
    )
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ActivityForm {
    #[schema(format = Date, example = "2026-11-02")]
    held_on: String,
    name: String,
    field: String,
    beneficiaries: Value,
}

async fn add_activity(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<ActivityForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let org = detail(&state, &user, id).await?.org;
    let on = not_future(
        "活动日期",
        day("活动日期", &form.held_on)?,
        state.clock.today(),
    )?;
    if let Some(from) = org.registered()
        && !registered_on(from, org.ended(), on)
    {
        return Err(AppError::Invalid(format!(
            "「活动日期」{on}：该组织在这一天不在登记状态（{} 登记{}），活动不能记在它名下。",
            org.registered_on,
            org.ended_on
                .as_deref()
                .map(|e| format!("，{e} {}", org.status_label))
                .unwrap_or_default()
        )));
    }
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::Invalid(
            "请填写「活动名称」，不超过 200 字。".to_string(),
        ));
    }
    let field = ActivityField::parse(&form.field)
        .ok_or_else(|| AppError::Invalid(format!("「领域」应为：{}。", ActivityField::labels())))?;
    let beneficiaries = typed(&form.beneficiaries)
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (0..=1_000_000).contains(n))
        .ok_or_else(|| AppError::Invalid("「受益人次」应为 0 到 1000000 的整数。".to_string()))?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let activity = org_store::add_activity(
        &mut tx,
        id,
        (on, name),
        field,
        beneficiaries,
        (&user.username, &now.to_rfc3339()),
    )
    .await?
    .ok_or_else(|| AppError::Conflict(format!("该组织 {on} 已有名为「{name}」的活动。")))?;
    record(
        &mut tx,
        &AuditEvent::new(now, &ctx.actor(), "socialorg.activity", "welfare_activity", activity.to_string())
            .with(json!({"org": id, "on": on.to_string(), "name": name, "field": field.code(), "beneficiaries": beneficiaries})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    finish(
        &state,
        &user,
        id,
        json,
        format!("已记录公益活动「{name}」，受益 {beneficiaries} 人次。"),
    )
    .await
}
