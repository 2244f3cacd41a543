//! The community workers' register (社区工作者) as a page and JSON: per community the
//! workers in post on a day, and the records (name, community, post, start and end day);
//! adding a record and ending one (street and district desks within their scope). Every
//! change is audited in its transaction.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::workers::{self, Post};
use super::workers_store::{self as store, NewWorker, Worker};
use super::workitems::text;
use super::workitems_web::past_day;
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::region::Level;
use crate::web::extract::FormOrJson;
use crate::web::layout::{Crumb, PageCtx, render};

pub const READ: Access = Access::Perm("community:worker:read");
pub const MANAGE: Access = Access::Perm("community:worker:manage");
const LIMIT: i64 = 2000;

pub fn routes() -> Routes {
    Routes::new()
        .get("/community/workers", READ, page)
        .post("/community/workers", MANAGE, add)
        .post("/community/workers/{id}/end", MANAGE, end)
        .get("/api/v1/community/workers", READ, api_list)
        .post("/api/v1/community/workers", MANAGE, add)
        .post("/api/v1/community/workers/{id}/end", MANAGE, end)
}

#[derive(Clone, Debug, Serialize)]
pub struct WorkerView {
    pub id: i64,
    pub name: String,
    pub region_code: String,
    pub community: String,
    pub post: &'static str,
    pub post_label: &'static str,
    pub started_on: String,
    pub ended_on: Option<String>,
    /// In post on the day asked for.
    pub in_post: bool,
    pub version: i64,
}

/// One community's count of workers in post on the day.
#[derive(Clone, Debug, Serialize)]
pub struct CommunityCount {
    pub region_code: String,
    pub community: String,
    pub in_post: i64,
}

#[derive(Serialize)]
struct Register {
    on: String,
    total: i64,
    communities: Vec<CommunityCount>,
    workers: Vec<WorkerView>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct OnQuery {
    /// The day of the counts (default today).
    #[serde(default)]
    on: String,
}

async fn gather(state: &AppState, user: &CurrentUser, query: &OnQuery) -> AppResult<Register> {
    let today = state.clock.today();
    let on = match query.on.trim() {
        "" => today,
        s => crate::calendar::parse_date(s).ok_or_else(|| {
            AppError::Invalid(format!("「日期」「{s}」不是日期，请写成 2026-09-30。"))
        })?,
    };
    let bounds = user.scope_bounds();
    let counts = store::in_post_by_community(&state.db, &bounds, on).await?;
    let regions = crate::region::store::subtree(&state.db, &user.region).await?;
    let names: std::collections::HashMap<String, String> = regions
        .iter()
        .map(|r| (r.code.to_string(), r.name.clone()))
        .collect();
    let communities: Vec<CommunityCount> = regions
        .iter()
        .filter(|r| r.level == Level::Community)
        .map(|r| CommunityCount {
            region_code: r.code.to_string(),
            community: r.name.clone(),
            in_post: counts.get(r.code.as_str()).copied().unwrap_or(0),
        })
        .collect();
    Ok(Register {
        on: on.to_string(),
        total: communities.iter().map(|c| c.in_post).sum(),
        communities,
        workers: store::list(&state.db, &bounds, LIMIT)
            .await?
            .iter()
            .map(|w| view_of(w, &names, on))
            .collect(),
    })
}

fn view_of(
    w: &Worker,
    names: &std::collections::HashMap<String, String>,
    on: NaiveDate,
) -> WorkerView {
    WorkerView {
        id: w.id,
        name: w.name.clone(),
        region_code: w.region_code.clone(),
        community: names.get(&w.region_code).cloned().unwrap_or_default(),
        post: w.post.code(),
        post_label: w.post.label(),
        started_on: w.started_on.to_string(),
        ended_on: w.ended_on.map(|d| d.to_string()),
        in_post: workers::in_post(w.started_on, w.ended_on, on),
        version: w.version,
    }
}

#[derive(Template)]
#[template(path = "community/workers.html")]
struct WorkersPage {
    page: PageCtx,
    r: Register,
    posts: Vec<(&'static str, &'static str)>,
    can_manage: bool,
    notice: String,
    today: String,
}

async fn page_view(
    state: &AppState,
    user: &CurrentUser,
    query: &OnQuery,
    notice: String,
) -> AppResult<Html<String>> {
    let r = gather(state, user, query).await?;
    let page = PageCtx::load(
        state,
        Some(user),
        "community_workers",
        "社区工作者",
        vec![Crumb::here("社区工作者")],
    )
    .await?;
    render(WorkersPage {
        page,
        r,
        posts: Post::ALL.iter().map(|p| (p.code(), p.label())).collect(),
        can_manage: user.can("community:worker:manage"),
        notice,
        today: state.clock.today().to_string(),
    })
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<OnQuery>,
) -> AppResult<Html<String>> {
    page_view(&state, &user, &query, String::new()).await
}

async fn api_list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<OnQuery>,
) -> AppResult<Json<Value>> {
    Ok(Json(json!(gather(&state, &user, &query).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AddForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    #[schema(example = "369902001001")]
    community: String,
    #[serde(default)]
    post: String,
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-02")]
    started_on: String,
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-02")]
    ended_on: String,
}

fn date_field(field: &str, s: &str) -> AppResult<NaiveDate> {
    crate::calendar::parse_date(s.trim()).ok_or_else(|| {
        AppError::Invalid(format!(
            "「{field}」「{}」不是日期，请写成 2026-07-15。",
            s.trim()
        ))
    })
}

async fn add(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<AddForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let community =
        crate::elderly::people_view::community_in_scope(&state, &user, &form.community).await?;
    let post = Post::parse(&form.post).ok_or_else(|| {
        AppError::Invalid(format!(
            "「岗位」「{}」无法识别，应为：{}。",
            form.post.trim(),
            Post::labels()
        ))
    })?;
    if form.started_on.trim().is_empty() {
        return Err(AppError::Invalid("请填写「任职日期」。".to_string()));
    }
    let worker = NewWorker {
        name: text("姓名", &form.name, true, 50).map_err(AppError::Invalid)?,
        region_code: community.code.to_string(),
        post,
        started_on: date_field("任职日期", &form.started_on)?,
        ended_on: match form.ended_on.trim() {
            "" => None,
            s => Some(date_field("离岗日期", s)?),
        },
    };
    workers::check_dates(worker.started_on, worker.ended_on, today).map_err(AppError::Invalid)?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let id = store::insert(&mut tx, &worker, (&user.username, &now.to_rfc3339())).await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "community.worker.add",
            "community_worker",
            id.to_string(),
        )
        .with(json!({
            "region_code": worker.region_code, "post": post.code(),
            "started_on": worker.started_on.to_string(),
            "ended_on": worker.ended_on.map(|d| d.to_string()),
        })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已登记：{}，{}{}，{} 起任职。",
        worker.name,
        community.name,
        post.label(),
        worker.started_on
    );
    finish(&state, &user, id, json, message).await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct EndForm {
    /// The last day in post (empty: today).
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-02")]
    ended_on: String,
    version: i64,
}

async fn end(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<EndForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let on = past_day("离岗日期", &form.ended_on, today)?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let what = || format!("社区工作者 {id}");
    let w = store::get(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::NotFound(what()))?;
    user.ensure_in_scope(&w.region_code, what)?;
    if let Some(ended) = w.ended_on {
        return Err(AppError::Conflict(format!(
            "{} 已于 {ended} 离岗，不能再次登记离岗。",
            w.name
        )));
    }
    workers::check_dates(w.started_on, Some(on), today).map_err(AppError::Invalid)?;
    if !store::end(&mut tx, id, form.version, on, &now.to_rfc3339()).await? {
        return Err(AppError::Conflict(format!(
            "{} 的记录已被他人修改，请刷新页面后再办理。",
            w.name
        )));
    }
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "community.worker.end",
            "community_worker",
            id.to_string(),
        )
        .with(json!({"ended_on": on.to_string()})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!("已登记离岗：{}，最后在岗日 {on}。", w.name);
    finish(&state, &user, id, json, message).await
}

async fn finish(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    json: bool,
    message: String,
) -> AppResult<Response> {
    if json {
        let mut conn = state.db.pool().acquire().await?;
        let w = store::get(&mut conn, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("社区工作者 {id}")))?;
        drop(conn);
        let names = crate::elderly::people_view::names(state, user).await?;
        let worker = view_of(&w, &names, state.clock.today());
        return Ok(Json(json!({"worker": worker, "message": message})).into_response());
    }
    Ok(page_view(state, user, &OnQuery::default(), message)
        .await?
        .into_response())
}
