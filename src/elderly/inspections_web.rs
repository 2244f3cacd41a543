//! Inspections (检查) through the pages and API: recording one with its hazards,
//! rectifying (整改) and re-checking (复查) a hazard, the overdue list per district, and the
//! special campaign's view of which institutions have been inspected this quarter.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::facilities_web::{READ, UPDATE};
use super::facility_web::facility_view;
use super::inspection_store::{self, HazardAt, NewHazard};
use super::model::{InspectionItem, Severity};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::report::Quarter;
use crate::web::extract::FormOrJson;
use crate::web::layout::{Crumb, PageCtx, render};

pub fn routes() -> Routes {
    Routes::new()
        .get("/elderly/inspections", READ, inspections_page)
        .post(
            "/elderly/facilities/{id}/inspections",
            UPDATE,
            add_inspection,
        )
        .post("/elderly/hazards/{id}/rectify", UPDATE, rectify)
        .post("/elderly/hazards/{id}/recheck", UPDATE, recheck)
        .get("/api/v1/elderly/inspections", READ, api_inspections)
        .post(
            "/api/v1/elderly/facilities/{id}/inspections",
            UPDATE,
            add_inspection,
        )
        .post("/api/v1/elderly/hazards/{id}/rectify", UPDATE, rectify)
        .post("/api/v1/elderly/hazards/{id}/recheck", UPDATE, recheck)
}

fn day(field: &str, text: &str) -> AppResult<NaiveDate> {
    crate::calendar::parse_date(text.trim()).ok_or_else(|| {
        AppError::Invalid(format!(
            "「{field}」「{}」不是日期，请写成 2026-07-15。",
            text.trim()
        ))
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct HazardForm {
    description: String,
    severity: String,
    deadline: String,
}

/// The page sends up to three hazards as flat fields; the API a list.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct InspectionForm {
    #[schema(format = Date, example = "2026-11-02")]
    inspected_on: String,
    item: String,
    inspectors: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    hazards: Vec<HazardForm>,
    #[serde(default)]
    h1_description: String,
    #[serde(default)]
    h1_severity: String,
    #[serde(default)]
    h1_deadline: String,
    #[serde(default)]
    h2_description: String,
    #[serde(default)]
    h2_severity: String,
    #[serde(default)]
    h2_deadline: String,
    #[serde(default)]
    h3_description: String,
    #[serde(default)]
    h3_severity: String,
    #[serde(default)]
    h3_deadline: String,
}

impl InspectionForm {
    fn hazards(&self) -> Vec<(&str, &str, &str)> {
        let mut out: Vec<(&str, &str, &str)> = self
            .hazards
            .iter()
            .map(|h| {
                (
                    h.description.as_str(),
                    h.severity.as_str(),
                    h.deadline.as_str(),
                )
            })
            .collect();
        for (d, s, l) in [
            (&self.h1_description, &self.h1_severity, &self.h1_deadline),
            (&self.h2_description, &self.h2_severity, &self.h2_deadline),
            (&self.h3_description, &self.h3_severity, &self.h3_deadline),
        ] {
            if !d.trim().is_empty() || !l.trim().is_empty() {
                out.push((d.as_str(), s.as_str(), l.as_str()));
            }
        }
        out
    }
}

async fn add_inspection(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<InspectionForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let facility = super::store::get(&state.db, id, today)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("设施 {id}")))?;
    user.ensure_in_scope(&facility.region_code, || format!("设施 {id}"))?;
    let on = day("检查日期", &form.inspected_on)?;
    if on > today {
        return Err(AppError::Invalid(format!("「检查日期」{on} 晚于今天。")));
    }
    let item = InspectionItem::parse(&form.item).ok_or_else(|| {
        AppError::Invalid(format!("「检查项目」应为：{}。", InspectionItem::labels()))
    })?;
    let inspectors = form.inspectors.trim();
    if inspectors.is_empty() {
        return Err(AppError::Invalid("请填写「检查人员」。".to_string()));
    }
    let mut hazards = Vec::new();
    for (n, (description, severity, deadline)) in form.hazards().into_iter().enumerate() {
        let n = n + 1;
        let description = description.trim();
        if description.is_empty() {
            return Err(AppError::Invalid(format!(
                "请填写第 {n} 处隐患的「隐患描述」。"
            )));
        }
        let severity = Severity::parse(if severity.trim().is_empty() {
            "general"
        } else {
            severity
        })
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "第 {n} 处隐患的「严重程度」应为：{}。",
                Severity::labels()
            ))
        })?;
        let deadline = day(&format!("第 {n} 处隐患的整改期限"), deadline)?;
        if deadline < on {
            return Err(AppError::Invalid(format!(
                "第 {n} 处隐患的「整改期限」{deadline} 早于检查日期 {on}。"
            )));
        }
        hazards.push(NewHazard {
            description: description.to_string(),
            severity,
            deadline,
            rectified_on: None,
        });
    }
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let inspection = inspection_store::add(
        &mut tx,
        id,
        (on, item),
        inspectors,
        form.notes.trim(),
        &hazards,
        (&user.username, &now.to_rfc3339()),
    )
    .await?
    .ok_or_else(|| {
        AppError::Conflict(format!(
            "{on} 已有该设施的「{}」检查记录，同一天同一项目只记一次：请核对检查日期或项目。",
            item.label()
        ))
    })?;
    record(
        &mut tx,
        &AuditEvent::new(now, &ctx.actor(), "elderly.inspection.record", "care_inspection", inspection.to_string())
            .with(json!({"facility": id, "on": on.to_string(), "item": item.code(), "inspectors": inspectors, "hazards": hazards.len()})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已记录 {on} {}检查，发现隐患 {} 处。",
        item.label(),
        hazards.len()
    );
    if json {
        return Ok(Json(json!({"id": inspection, "message": message})).into_response());
    }
    Ok(facility_view(&state, &user, id, message)
        .await?
        .into_response())
}

/// Where the hazard is, checked against the user's region.
async fn hazard_in_scope(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> AppResult<inspection_store::HazardPlace> {
    let place = inspection_store::hazard_place(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("隐患 {id}")))?;
    user.ensure_in_scope(&place.region_code, || format!("隐患 {id}"))?;
    Ok(place)
}

/// A rectification or re-check day: not in the future, not before `since` (the inspection
/// or the rectification it follows).
fn step_day(field: &str, text: &str, since: &str, today: NaiveDate) -> AppResult<NaiveDate> {
    let on = day(field, text)?;
    if on > today {
        return Err(AppError::Invalid(format!("「{field}」{on} 晚于今天。")));
    }
    if on.to_string().as_str() < since {
        return Err(AppError::Invalid(format!("「{field}」{on} 早于 {since}。")));
    }
    Ok(on)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RectifyForm {
    version: i64,
    #[schema(format = Date, example = "2026-11-02")]
    rectified_on: String,
    rectification: String,
}

async fn rectify(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<RectifyForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let place = hazard_in_scope(&state, &user, id).await?;
    let facility = place.facility_id;
    let on = step_day(
        "整改完成日期",
        &form.rectified_on,
        &place.inspected_on,
        state.clock.today(),
    )?;
    let what = form.rectification.trim();
    if what.is_empty() || what.chars().count() > 500 {
        return Err(AppError::Invalid(
            "请填写「整改情况」（做了什么），不超过 500 字。".to_string(),
        ));
    }
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    if !inspection_store::rectify(&mut tx, id, form.version, on, what).await? {
        return Err(AppError::Conflict(
            "这处隐患已被他人修改或已整改，请刷新后查看。".to_string(),
        ));
    }
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "elderly.hazard.rectify",
            "care_hazard",
            id.to_string(),
        )
        .with(json!({"on": on.to_string(), "rectification": what})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!("已登记整改（{on}），待复查。");
    if json {
        return Ok(Json(json!({"message": message})).into_response());
    }
    Ok(facility_view(&state, &user, facility, message)
        .await?
        .into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RecheckForm {
    version: i64,
    #[schema(format = Date, example = "2026-11-02")]
    rechecked_on: String,
    /// 「1」/true: passed; 「0」/false: not passed, back to be rectified.
    passed: Value,
}

async fn recheck(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<RecheckForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let place = hazard_in_scope(&state, &user, id).await?;
    let facility = place.facility_id;
    let since = place.rectified_on.unwrap_or(place.inspected_on);
    let on = step_day("复查日期", &form.rechecked_on, &since, state.clock.today())?;
    let passed = match &form.passed {
        Value::Bool(b) => *b,
        v => match crate::web::extract::typed(v).as_str() {
            "1" | "true" | "通过" => true,
            "0" | "false" | "未通过" => false,
            _ => {
                return Err(AppError::Invalid(
                    "请选择「复查结论」：通过或未通过。".to_string(),
                ));
            }
        },
    };
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    if !inspection_store::recheck(&mut tx, id, form.version, on, passed, &user.username).await? {
        return Err(AppError::Conflict(
            "这处隐患已被他人修改，或尚未登记整改，请刷新后查看。".to_string(),
        ));
    }
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "elderly.hazard.recheck",
            "care_hazard",
            id.to_string(),
        )
        .with(json!({"on": on.to_string(), "passed": passed})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = if passed {
        format!("复查通过（{on}），隐患已销号。")
    } else {
        format!("复查未通过（{on}），隐患退回整改。")
    };
    if json {
        return Ok(Json(json!({"message": message})).into_response());
    }
    Ok(facility_view(&state, &user, facility, message)
        .await?
        .into_response())
}

#[derive(Deserialize, Default)]
pub struct QuarterQuery {
    #[serde(default)]
    quarter: String,
}

/// An institution in the campaign's view.
#[derive(Serialize)]
struct CampaignLine {
    facility_id: i64,
    name: String,
    region_code: String,
    community: String,
    inspected_on: Option<String>,
}

#[derive(Serialize)]
struct Overview {
    today: String,
    quarter: String,
    overdue: Vec<HazardAt>,
    /// Overdue hazards per district (name, count).
    overdue_by_district: Vec<(String, usize)>,
    campaign: Vec<CampaignLine>,
    inspected: usize,
}

async fn overview(state: &AppState, user: &CurrentUser, q: &QuarterQuery) -> AppResult<Overview> {
    let today = state.clock.today();
    let quarter = match q.quarter.trim() {
        "" => Quarter::of(today),
        s => s
            .parse::<Quarter>()
            .map_err(|_| AppError::Invalid(format!("「季度」「{s}」无法识别，请写成 2026Q3。")))?,
    };
    let bounds = user.scope_bounds();
    let names: std::collections::HashMap<String, String> =
        crate::region::store::subtree(&state.db, &user.region)
            .await?
            .into_iter()
            .map(|r| (r.code.to_string(), r.name))
            .collect();
    let overdue = inspection_store::overdue(&state.db, &bounds, today).await?;
    let mut by_district: std::collections::BTreeMap<String, usize> = Default::default();
    for h in &overdue {
        let district = h.region_code.get(..6).unwrap_or(&h.region_code).to_string();
        *by_district.entry(district).or_default() += 1;
    }
    let campaign: Vec<CampaignLine> = inspection_store::campaign(
        &state.db,
        &bounds,
        (quarter.first_day(), quarter.last_day().min(today)),
    )
    .await?
    .into_iter()
    .map(
        |(facility_id, name, region_code, inspected_on)| CampaignLine {
            community: names.get(&region_code).cloned().unwrap_or_default(),
            facility_id,
            name,
            region_code,
            inspected_on,
        },
    )
    .collect();
    Ok(Overview {
        today: today.to_string(),
        quarter: quarter.to_string(),
        overdue_by_district: by_district
            .into_iter()
            .map(|(d, n)| (names.get(&d).cloned().unwrap_or(d), n))
            .collect(),
        inspected: campaign.iter().filter(|c| c.inspected_on.is_some()).count(),
        campaign,
        overdue,
    })
}

#[derive(Template)]
#[template(path = "elderly/inspections.html")]
struct InspectionsPage {
    page: PageCtx,
    o: Overview,
}

async fn inspections_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<QuarterQuery>,
) -> AppResult<Html<String>> {
    let o = overview(&state, &user, &q).await?;
    let page = PageCtx::load(
        &state,
        Some(&user),
        "elderly_inspections",
        "检查与整改",
        vec![Crumb::here("检查与整改")],
    )
    .await?;
    render(InspectionsPage { page, o })
}

async fn api_inspections(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<QuarterQuery>,
) -> AppResult<Json<Value>> {
    Ok(Json(json!(overview(&state, &user, &q).await?)))
}
