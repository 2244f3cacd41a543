//! The capacity page (人口与队伍): each district's resident population, its staff by post
//! and the trainings they attended, with forms and JSON twins for a district approver (own
//! district) and the city (every district). Every change is audited.

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::model::{NewTraining, POSTS, Post, Residents, parse_post_counts};
use super::store::{self, PostRow, Training};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::region::web::district_in_scope;
use crate::web::extract::{FormOrJson, typed};
use crate::web::layout::{Crumb, PageCtx, render};

const READ: Access = Access::Perm("capacity:register:read");
const UPDATE: Access = Access::Perm("capacity:register:update");

pub fn routes() -> Routes {
    Routes::new()
        .get("/capacity", READ, page)
        .post("/capacity/residents", UPDATE, set_residents)
        .post("/capacity/posts", UPDATE, set_post)
        .post("/capacity/trainings", UPDATE, add_training)
        .post("/capacity/trainings/{id}/delete", UPDATE, delete_training)
        .get("/api/v1/capacity", READ, api)
        .post("/api/v1/capacity/residents", UPDATE, set_residents)
        .post("/api/v1/capacity/posts", UPDATE, set_post)
        .post("/api/v1/capacity/trainings", UPDATE, add_training)
        .post(
            "/api/v1/capacity/trainings/{id}/delete",
            UPDATE,
            delete_training,
        )
}

/// One district's line on the page and in the API.
#[derive(Serialize)]
struct DistrictCapacity {
    code: String,
    name: String,
    /// Newest year first.
    residents: Vec<Residents>,
    posts: Vec<PostLine>,
    authorised: i64,
    filled: i64,
    /// Trainings of this year and last, newest first.
    trainings: Vec<Training>,
    /// Attendances (人次) this year.
    attendances: i64,
}

#[derive(Serialize)]
struct PostLine {
    post: Post,
    label: &'static str,
    authorised: i64,
    filled: i64,
}

async fn gather(state: &AppState, user: &CurrentUser) -> AppResult<(i32, Vec<DistrictCapacity>)> {
    let today = state.clock.today();
    let year = today.year();
    let districts = crate::region::store::districts_for(&state.db, &user.region).await?;
    let residents = store::residents(&state.db).await?;
    let posts = store::posts(&state.db).await?;
    // This year's and last year's: in January the year-end report still needs December.
    let start = NaiveDate::from_ymd_opt(year - 1, 1, 1).unwrap_or(today);
    let trainings = store::trainings(&state.db, &user.scope_bounds(), start, today).await?;
    let lines = districts
        .into_iter()
        .map(|d| {
            let code = d.code.to_string();
            let mine: Vec<&PostRow> = posts.iter().filter(|p| p.district_code == code).collect();
            let post_lines: Vec<PostLine> = POSTS
                .iter()
                .map(|p| {
                    let row = mine.iter().find(|r| r.post == *p);
                    PostLine {
                        post: *p,
                        label: p.label(),
                        authorised: row.map_or(0, |r| r.authorised),
                        filled: row.map_or(0, |r| r.filled),
                    }
                })
                .collect();
            let own_trainings: Vec<Training> = trainings
                .iter()
                .filter(|t| t.district_code == code)
                .cloned()
                .collect();
            DistrictCapacity {
                residents: residents
                    .iter()
                    .filter(|r| r.district_code == code)
                    .map(|r| r.residents)
                    .collect(),
                authorised: post_lines.iter().map(|p| p.authorised).sum(),
                filled: post_lines.iter().map(|p| p.filled).sum(),
                attendances: own_trainings
                    .iter()
                    .filter(|t| t.held_on.starts_with(&year.to_string()))
                    .map(|t| t.attendees)
                    .sum(),
                posts: post_lines,
                trainings: own_trainings,
                code,
                name: d.name,
            }
        })
        .collect();
    Ok((year, lines))
}

#[derive(Template)]
#[template(path = "capacity/index.html")]
struct CapacityPage {
    page: PageCtx,
    year: i32,
    districts: Vec<DistrictCapacity>,
    posts: Vec<(&'static str, &'static str)>,
    can_edit: bool,
    notice: String,
    today: String,
}

async fn view(state: &AppState, user: &CurrentUser, notice: String) -> AppResult<Html<String>> {
    let (year, districts) = gather(state, user).await?;
    let page = PageCtx::load(
        state,
        Some(user),
        "capacity",
        "人口与队伍",
        vec![Crumb::here("人口与队伍")],
    )
    .await?;
    render(CapacityPage {
        page,
        year,
        districts,
        posts: POSTS.iter().map(|p| (p.code(), p.label())).collect(),
        can_edit: user.can("capacity:register:update"),
        notice,
        today: state.clock.today().to_string(),
    })
}

async fn page(State(state): State<AppState>, user: CurrentUser) -> AppResult<Html<String>> {
    view(&state, &user, String::new()).await
}

async fn api(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<Value>> {
    let (year, districts) = gather(&state, &user).await?;
    Ok(Json(json!({ "year": year, "districts": districts })))
}

/// After a stored change: the page again with the message, or the JSON body with it.
async fn finish(
    state: &AppState,
    user: &CurrentUser,
    json: bool,
    message: String,
    mut body: Value,
) -> AppResult<Response> {
    if json {
        body["message"] = Value::String(message);
        return Ok(Json(body).into_response());
    }
    Ok(view(state, user, message).await?.into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ResidentsForm {
    #[schema(example = "369902")]
    district_code: String,
    #[schema(example = 2026)]
    year: serde_json::Value,
    urban: serde_json::Value,
    rural: serde_json::Value,
    #[serde(default)]
    older: serde_json::Value,
}

async fn set_residents(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<ResidentsForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let district = district_in_scope(&state, &user, &form.district_code).await?;
    let residents = Residents::parse(
        &typed(&form.year),
        &typed(&form.urban),
        &typed(&form.rural),
        &typed(&form.older),
    )
    .map_err(AppError::Invalid)?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let before = store::set_residents(
        &mut tx,
        district.code.as_str(),
        residents,
        &user.username,
        &now.to_rfc3339(),
    )
    .await?;
    let event = AuditEvent::new(
        now,
        &ctx.actor(),
        "capacity.residents.set",
        "region_residents",
        format!("{}/{}", district.code, residents.year),
    )
    .with(json!({
        "before": before.map(|(u, r)| json!({"urban": u, "rural": r})),
        "after": {"urban": residents.urban, "rural": residents.rural, "older": residents.older},
    }));
    record(&mut tx, &event).await.map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已保存：{} {} 年末常住人口 {} 人（城镇 {}，农村 {}）。",
        district.name,
        residents.year,
        residents.total(),
        residents.urban,
        residents.rural
    );
    finish(
        &state,
        &user,
        json,
        message,
        json!({"district_code": district.code.to_string(), "residents": residents}),
    )
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PostForm {
    #[schema(example = "369902")]
    district_code: String,
    post: String,
    authorised: serde_json::Value,
    filled: serde_json::Value,
}

async fn set_post(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<PostForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let district = district_in_scope(&state, &user, &form.district_code).await?;
    let post = Post::parse_field(&form.post).map_err(AppError::Invalid)?;
    let counts = parse_post_counts(&typed(&form.authorised), &typed(&form.filled))
        .map_err(AppError::Invalid)?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let before = store::set_post(
        &mut tx,
        district.code.as_str(),
        post,
        counts,
        &user.username,
        &now.to_rfc3339(),
    )
    .await?;
    let event = AuditEvent::new(
        now,
        &ctx.actor(),
        "capacity.post.set",
        "staff_posts",
        format!("{}/{}", district.code, post.code()),
    )
    .with(json!({
        "before": before.map(|(a, f)| json!({"authorised": a, "filled": f})),
        "after": {"authorised": counts.0, "filled": counts.1},
    }));
    record(&mut tx, &event).await.map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已保存：{} {}岗位 编制 {} 人、实有 {} 人。",
        district.name,
        post.label(),
        counts.0,
        counts.1
    );
    finish(
        &state,
        &user,
        json,
        message,
        json!({
            "district_code": district.code.to_string(),
            "post": post,
            "authorised": counts.0,
            "filled": counts.1,
        }),
    )
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TrainingForm {
    #[schema(example = "369902")]
    district_code: String,
    post: String,
    #[schema(format = Date, example = "2026-11-02")]
    held_on: String,
    topic: String,
    attendees: serde_json::Value,
}

async fn add_training(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<TrainingForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let district = district_in_scope(&state, &user, &form.district_code).await?;
    let training = NewTraining::parse(
        &form.post,
        &form.held_on,
        &form.topic,
        &typed(&form.attendees),
        state.clock.today(),
    )
    .map_err(AppError::Invalid)?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let id = store::add_training(
        &mut tx,
        district.code.as_str(),
        &training,
        &user.username,
        &now.to_rfc3339(),
    )
    .await?;
    let event = AuditEvent::new(
        now,
        &ctx.actor(),
        "capacity.training.add",
        "staff_trainings",
        id.to_string(),
    )
    .with(json!({
        "district_code": district.code.to_string(),
        "post": training.post.code(),
        "held_on": training.held_on.to_string(),
        "topic": training.topic,
        "attendees": training.attendees,
    }));
    record(&mut tx, &event).await.map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已登记：{} {} {}（{}），{} 人次。",
        district.name,
        training.held_on,
        training.topic,
        training.post.label(),
        training.attendees
    );
    finish(
        &state,
        &user,
        json,
        message,
        json!({
            "id": id,
            "district_code": district.code.to_string(),
            "post": training.post,
            "held_on": training.held_on.to_string(),
            "topic": training.topic,
            "attendees": training.attendees,
        }),
    )
    .await
}

/// Removes a training entered by mistake (the district's own, or any for the city).
async fn delete_training(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::Path(id): axum::extract::Path<i64>,
    FormOrJson { json, .. }: FormOrJson<serde_json::Map<String, Value>>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let mut tx = state.db.begin().await?;
    let gone = store::delete_training(&mut tx, id)
        .await?
        .filter(|t| user.scope().contains(&t.district_code))
        .ok_or_else(|| AppError::NotFound("该培训记录".to_string()))?;
    let event = AuditEvent::new(
        state.clock.now_local(),
        &ctx.actor(),
        "capacity.training.delete",
        "staff_trainings",
        id.to_string(),
    )
    .with(json!({ "before": gone }));
    record(&mut tx, &event).await.map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已删除：{} {}（{} 人次）。",
        gone.held_on, gone.topic, gone.attendees
    );
    finish(&state, &user, json, message, json!({ "deleted": id })).await
}
