//! One facility's page and API: its beds on the day and their history, occupancy, and
//! every inspection with its hazards; the forms that add a bed change or set occupancy.

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::facilities_web::{READ, UPDATE, day, options, whole};
use super::inspection_store::{self, Inspection};
use super::model::{BedEvent, check_bed_change};
use super::store::{self, BedChange, Facility};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::web::extract::FormOrJson;
use crate::web::layout::{Crumb, PageCtx, render};

pub fn routes() -> Routes {
    Routes::new()
        .get("/elderly/facilities/{id}", READ, facility_page)
        .post("/elderly/facilities/{id}/beds", UPDATE, add_beds)
        .post("/elderly/facilities/{id}/occupancy", UPDATE, set_occupancy)
        .get("/api/v1/elderly/facilities/{id}", READ, api_facility)
        .post("/api/v1/elderly/facilities/{id}/beds", UPDATE, add_beds)
        .post(
            "/api/v1/elderly/facilities/{id}/occupancy",
            UPDATE,
            set_occupancy,
        )
}

/// A facility with its history.
#[derive(Serialize)]
struct FacilityDetail {
    facility: Facility,
    community: String,
    nursing_share: Option<f64>,
    occupancy: Option<f64>,
    bed_changes: Vec<BedChange>,
    inspections: Vec<Inspection>,
}

async fn detail(state: &AppState, user: &CurrentUser, id: i64) -> AppResult<FacilityDetail> {
    let today = state.clock.today();
    let facility = store::get(&state.db, id, today)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("设施 {id}")))?;
    user.ensure_in_scope(&facility.region_code, || format!("设施 {id}"))?;
    let community = crate::region::store::get(&state.db, &facility.region_code)
        .await?
        .map(|r| r.name)
        .unwrap_or_default();
    Ok(FacilityDetail {
        community,
        nursing_share: facility.nursing_share(),
        occupancy: facility.occupancy(),
        bed_changes: store::bed_changes(state.db.pool(), id).await?,
        inspections: inspection_store::of_facility(&state.db, id, today).await?,
        facility,
    })
}

#[derive(Template)]
#[template(path = "elderly/facility.html")]
struct FacilityPage {
    page: PageCtx,
    d: FacilityDetail,
    items: Vec<(&'static str, &'static str)>,
    severities: Vec<(&'static str, &'static str)>,
    can_edit: bool,
    notice: String,
    today: String,
}

pub(super) async fn facility_view(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    notice: String,
) -> AppResult<Html<String>> {
    let d = detail(state, user, id).await?;
    let title = d.facility.name.clone();
    let page = PageCtx::load(
        state,
        Some(user),
        "elderly_facilities",
        &title,
        vec![
            Crumb::link("养老服务设施", "/elderly/facilities"),
            Crumb::here(title.clone()),
        ],
    )
    .await?;
    render(FacilityPage {
        page,
        d,
        items: options(
            super::model::InspectionItem::ALL,
            super::model::InspectionItem::code,
            super::model::InspectionItem::label,
        ),
        severities: options(
            super::model::Severity::ALL,
            super::model::Severity::code,
            super::model::Severity::label,
        ),
        can_edit: user.can("elderly:facility:update"),
        notice,
        today: state.clock.today().to_string(),
    })
}

async fn facility_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    facility_view(&state, &user, id, String::new()).await
}

async fn api_facility(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<FacilityDetail>> {
    Ok(Json(detail(&state, &user, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct BedForm {
    #[schema(format = Date, example = "2026-11-02")]
    effective_on: String,
    beds: Value,
    nursing_beds: Value,
    #[serde(default)]
    note: String,
}

async fn add_beds(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<BedForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let facility = detail(&state, &user, id).await?.facility;
    let change = BedEvent {
        on: day("变动日期", &form.effective_on)?,
        beds: whole("床位变动数", &form.beds)?,
        nursing: whole("护理型床位变动数", &form.nursing_beds)?,
    };
    if change.on > today {
        return Err(AppError::Invalid(format!(
            "「变动日期」{} 晚于今天。",
            change.on
        )));
    }
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    // Two changes at once must each see the other's beds (PostgreSQL reads committed
    // data; SQLite's write transaction already serialises them).
    state
        .db
        .lock_keys(&mut tx, &[format!("care-beds:{id}")])
        .await?;
    let (opened, events) = store::bed_events(&mut tx, id, None).await?;
    match opened {
        None => {
            return Err(AppError::Invalid(
                "该设施尚未开业：先把状态改为「运营」并填写开业日期和开业床位。".to_string(),
            ));
        }
        Some(o) if change.on < o => {
            return Err(AppError::Invalid(format!(
                "「变动日期」{} 早于开业日期 {o}：开业时的床位请在设施信息中修改。",
                change.on
            )));
        }
        _ => {}
    }
    if events.iter().skip(1).any(|e| e.on == change.on) {
        return Err(AppError::Conflict(format!(
            "{} 已有一条床位变动，一天只记一条：请把两次变动合并后重新登记。",
            change.on
        )));
    }
    check_bed_change(&events, change).map_err(|e| AppError::Invalid(format!("{e}。")))?;
    let note = form.note.trim();
    let change_id = store::put_bed_change(
        &mut tx,
        id,
        change,
        note,
        (&user.username, &now.to_rfc3339()),
    )
    .await?;
    record(
        &mut tx,
        &AuditEvent::new(now, &ctx.actor(), "elderly.beds.change", "care_facility", id.to_string())
            .with(json!({"change": change_id, "on": change.on.to_string(), "beds": change.beds, "nursing_beds": change.nursing, "note": note})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已登记 {} 起床位变动：{:+} 张，护理型 {:+} 张。",
        change.on, change.beds, change.nursing
    );
    if json {
        return Ok(Json(json!({"id": change_id, "message": message})).into_response());
    }
    let _ = facility;
    Ok(facility_view(&state, &user, id, message)
        .await?
        .into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct OccupancyForm {
    version: i64,
    occupied: Value,
}

async fn set_occupancy(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<OccupancyForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let facility = detail(&state, &user, id).await?.facility;
    let occupied = whole("在住老人", &form.occupied)?;
    if occupied < 0 || occupied > facility.beds {
        return Err(AppError::Invalid(format!(
            "「在住老人」应在 0 到床位数（{} 张）之间，收到 {occupied}。",
            facility.beds
        )));
    }
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    if !store::set_occupied(&mut tx, id, form.version, occupied, &now.to_rfc3339()).await? {
        return Err(AppError::Conflict(
            "设施信息已被他人修改，请刷新后重试。".to_string(),
        ));
    }
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "elderly.occupancy.set",
            "care_facility",
            id.to_string(),
        )
        .with(json!({"before": facility.occupied, "after": occupied})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!("已更新在住老人：{occupied} 人。");
    if json {
        return Ok(Json(json!({"message": message})).into_response());
    }
    Ok(facility_view(&state, &user, id, message)
        .await?
        .into_response())
}
