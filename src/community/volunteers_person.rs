//! One volunteer's page and JSON: the cumulative hours, the star level and how far the
//! next one is, the service records, and adding a record (at most 24 hours a day, audited
//! in its transaction with the star level before and after).

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::volunteers::{self, show_hours, star_label, star_level};
use super::volunteers_store::{self as store, NewService, Volunteer};
use super::volunteers_web::{ServiceView, VolunteerView, service_view, view_of};
use super::workitems::text;
use super::workitems_web::past_day;
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Ctx, CurrentUser};
use crate::error::{AppError, AppResult};
use crate::web::extract::{FormOrJson, typed};
use crate::web::layout::{Crumb, PageCtx, render};

/// The volunteer in the user's scope (outside: 404).
pub(super) async fn volunteer_in_scope(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> AppResult<Volunteer> {
    let what = || format!("志愿者 {id}");
    let mut conn = state.db.pool().acquire().await?;
    let v = store::get(&mut conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(what()))?;
    user.ensure_in_scope(&v.region_code, what)?;
    Ok(v)
}

#[derive(Template)]
#[template(path = "community/volunteers_person.html")]
struct VolunteerPage {
    page: PageCtx,
    v: VolunteerView,
    services: Vec<ServiceView>,
    can_update: bool,
    notice: String,
    today: String,
}

async fn details(
    state: &AppState,
    user: &CurrentUser,
    v: &Volunteer,
) -> AppResult<(VolunteerView, Vec<ServiceView>)> {
    let names = crate::elderly::people_view::names(state, user).await?;
    let services = store::services(&state.db, v.id).await?;
    Ok((
        view_of(v, &state.keyring, &names),
        services.iter().map(service_view).collect(),
    ))
}

async fn person_view(
    state: &AppState,
    user: &CurrentUser,
    v: Volunteer,
    notice: String,
) -> AppResult<Html<String>> {
    let (view, services) = details(state, user, &v).await?;
    let title = format!("志愿者：{}", view.name);
    let page = PageCtx::load(
        state,
        Some(user),
        "volunteers",
        &title,
        vec![
            Crumb::link("志愿者", "/community/volunteers"),
            Crumb::here(title.clone()),
        ],
    )
    .await?;
    render(VolunteerPage {
        page,
        v: view,
        services,
        can_update: user.can("volunteer:register:update"),
        notice,
        today: state.clock.today().to_string(),
    })
}

pub(super) async fn volunteer_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let v = volunteer_in_scope(&state, &user, id).await?;
    person_view(&state, &user, v, String::new()).await
}

pub(super) async fn api_volunteer(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let v = volunteer_in_scope(&state, &user, id).await?;
    let (view, services) = details(&state, &user, &v).await?;
    Ok(Json(json!({"volunteer": view, "services": services})))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ServiceForm {
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-02")]
    served_on: String,
    #[serde(default)]
    hours: Value,
    #[serde(default)]
    activity: String,
    #[serde(default)]
    organiser: String,
}

pub(super) async fn add_service(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<ServiceForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let v = volunteer_in_scope(&state, &user, id).await?;
    if form.served_on.trim().is_empty() {
        return Err(AppError::Invalid("请填写「服务日期」。".to_string()));
    }
    let served_on = past_day("服务日期", &form.served_on, today)?;
    // Hours before registration are not a registered volunteer's: the certificate would
    // list service the register cannot vouch for.
    if served_on.to_string() < v.registered_on {
        return Err(AppError::Invalid(format!(
            "「服务日期」{served_on} 早于注册日期 {}：注册前的服务不计入。",
            v.registered_on
        )));
    }
    let tenths = volunteers::parse_hours(&typed(&form.hours)).map_err(AppError::Invalid)?;
    let activity = text("服务活动", &form.activity, true, 100).map_err(AppError::Invalid)?;
    let organiser = text("组织单位", &form.organiser, true, 100).map_err(AppError::Invalid)?;
    let now = state.clock.now_local();
    let at = now.to_rfc3339();
    let mut tx = state.db.begin().await?;
    // One writer per volunteer and day, so two records cannot both pass the day's check.
    state
        .db
        .lock_keys(&mut tx, &[format!("volunteer-day:{id}:{served_on}")])
        .await?;
    let already = store::day_total(&mut tx, id, served_on).await?;
    volunteers::check_day_total(already, tenths).map_err(AppError::Invalid)?;
    let sid = store::add_service(
        &mut tx,
        id,
        &NewService {
            served_on,
            tenths,
            activity: &activity,
            organiser: &organiser,
        },
        (&user.username, &at),
    )
    .await?;
    store::touch(&mut tx, id, &at).await?;
    let before = star_level(v.tenths);
    let after = star_level(v.tenths + tenths);
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "volunteer.service.add",
            "volunteer_service",
            sid.to_string(),
        )
        .with(json!({
            "volunteer_id": id, "served_on": served_on.to_string(), "hours": show_hours(tenths),
            "activity": activity, "organiser": organiser,
            "stars": {"before": before, "after": after},
        })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let mut message = format!(
        "已登记：{} {served_on} {}，{} 小时。",
        v.name,
        activity,
        show_hours(tenths)
    );
    if after != before {
        message.push_str(&format!("累计时长达到{}。", star_label(after)));
    }
    finish(&state, &user, id, json, message).await
}

pub(super) async fn finish(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    json: bool,
    message: String,
) -> AppResult<Response> {
    let v = volunteer_in_scope(state, user, id).await?;
    if json {
        let (view, services) = details(state, user, &v).await?;
        return Ok(
            Json(json!({"volunteer": view, "services": services, "message": message}))
                .into_response(),
        );
    }
    Ok(person_view(state, user, v, message).await?.into_response())
}
