//! The two lists (社区工作事项准入清单, 社区证明事项) as a page and JSON: every entry that
//! reaches the user's region (issued by its city or district, or within it), current and
//! removed; adding an entry and removing one with the day and reason (city and district
//! managers, each within their scope). Every change is audited in its transaction.

use std::collections::HashMap;

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::workitems::{self, Entry, ListKind, MAX_NAME, MAX_TEXT};
use super::workitems_store::{self as store, NewEntry, Reach};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::region::{Level, RegionCode};
use crate::web::extract::FormOrJson;
use crate::web::layout::{Crumb, PageCtx, render};

pub const READ: Access = Access::Perm("community:workitem:read");
pub const MANAGE: Access = Access::Perm("community:workitem:manage");

pub fn routes() -> Routes {
    Routes::new()
        .get("/community/lists", READ, page)
        .post("/community/lists", MANAGE, add)
        .post("/community/lists/{id}/remove", MANAGE, remove)
        .get("/api/v1/community/lists", READ, api_list)
        .post("/api/v1/community/lists", MANAGE, add)
        .post("/api/v1/community/lists/{id}/remove", MANAGE, remove)
}

/// A date field: empty is today; never after today.
pub(super) fn past_day(field: &str, text: &str, today: NaiveDate) -> AppResult<NaiveDate> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(today);
    }
    let day = crate::calendar::parse_date(text).ok_or_else(|| {
        AppError::Invalid(format!(
            "「{field}」「{text}」不是日期，请写成 2026-07-15。"
        ))
    })?;
    if day > today {
        return Err(AppError::Invalid(format!(
            "「{field}」{day} 晚于今天，请核对。"
        )));
    }
    Ok(day)
}

/// Code → name of the regions in the user's scope and above it.
pub(super) async fn region_names(
    state: &AppState,
    user: &CurrentUser,
) -> AppResult<HashMap<String, String>> {
    let mut names = crate::elderly::people_view::names(state, user).await?;
    for code in user.region.ancestry() {
        if !names.contains_key(code.as_str())
            && let Some(r) = crate::region::store::get(&state.db, code.as_str()).await?
        {
            names.insert(r.code.to_string(), r.name);
        }
    }
    Ok(names)
}

/// An entry as pages and the API show it.
#[derive(Clone, Debug, Serialize)]
pub struct EntryView {
    pub id: i64,
    pub list: &'static str,
    pub list_label: &'static str,
    pub region_code: String,
    /// The issuing city or district.
    pub region: String,
    pub name: String,
    pub basis: String,
    pub added_on: String,
    pub removed_on: Option<String>,
    pub removed_reason: Option<String>,
    /// On the list today.
    pub listed: bool,
    pub version: i64,
}

pub(super) fn view_of(e: &Entry, names: &HashMap<String, String>, today: NaiveDate) -> EntryView {
    EntryView {
        id: e.id,
        list: e.list.code(),
        list_label: e.list.label(),
        region_code: e.region_code.clone(),
        region: names.get(&e.region_code).cloned().unwrap_or_default(),
        name: e.name.clone(),
        basis: e.basis.clone(),
        added_on: e.added_on.to_string(),
        removed_on: e.removed_on.map(|d| d.to_string()),
        removed_reason: e.removed_reason.clone(),
        listed: e.listed_on(today),
        version: e.version,
    }
}

async fn entries(state: &AppState, user: &CurrentUser) -> AppResult<Vec<EntryView>> {
    let mut conn = state.db.pool().acquire().await?;
    let all = store::reaching(&mut conn, &Reach::of(&user.region)).await?;
    drop(conn);
    let names = region_names(state, user).await?;
    let today = state.clock.today();
    Ok(all.iter().map(|e| view_of(e, &names, today)).collect())
}

/// One list on the page; each entry with whether the user may remove it.
struct Section {
    title: &'static str,
    anchor: &'static str,
    rows: Vec<(EntryView, bool)>,
}

#[derive(Template)]
#[template(path = "community/workitems.html")]
struct ListsPage {
    page: PageCtx,
    sections: Vec<Section>,
    /// Where the user may add entries: the own city or district and the districts below.
    issuers: Vec<(String, String)>,
    lists: Vec<(&'static str, &'static str)>,
    can_manage: bool,
    notice: String,
    today: String,
}

async fn page_view(
    state: &AppState,
    user: &CurrentUser,
    notice: String,
) -> AppResult<Html<String>> {
    let all = entries(state, user).await?;
    let issuers: Vec<(String, String)> = crate::region::store::subtree(&state.db, &user.region)
        .await?
        .into_iter()
        .filter(|r| r.level <= Level::District)
        .map(|r| (r.code.to_string(), r.name))
        .collect();
    let can_manage = user.can("community:workitem:manage");
    // An entry issued within the user's scope may be removed by a manager.
    let section = |list: ListKind, title, anchor| Section {
        title,
        anchor,
        rows: all
            .iter()
            .filter(|e| e.list == list.code())
            .map(|e| {
                let mine = issuers.iter().any(|(c, _)| *c == e.region_code);
                (e.clone(), can_manage && mine && e.removed_on.is_none())
            })
            .collect(),
    };
    let sections = vec![
        section(ListKind::WorkItem, "社区工作事项准入清单", "workitem-list"),
        section(
            ListKind::Certificate,
            "社区证明事项清单",
            "certificate-list",
        ),
    ];
    let page = PageCtx::load(
        state,
        Some(user),
        "community_lists",
        "社区工作事项与证明",
        vec![Crumb::here("社区工作事项与证明")],
    )
    .await?;
    render(ListsPage {
        page,
        sections,
        issuers,
        lists: ListKind::ALL
            .iter()
            .map(|l| (l.code(), l.label()))
            .collect(),
        can_manage,
        notice,
        today: state.clock.today().to_string(),
    })
}

async fn page(State(state): State<AppState>, user: CurrentUser) -> AppResult<Html<String>> {
    page_view(&state, &user, String::new()).await
}

async fn api_list(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Json<serde_json::Value>> {
    Ok(Json(json!({
        "today": state.clock.today().to_string(),
        "entries": entries(&state, &user).await?,
    })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AddForm {
    #[serde(default)]
    list: String,
    /// The issuing city or district (default: the user's own region).
    #[serde(default)]
    region: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    basis: String,
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-02")]
    added_on: String,
}

async fn add(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<AddForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let list = ListKind::parse(&form.list).ok_or_else(|| {
        AppError::Invalid(format!(
            "「清单」「{}」无法识别，应为：{}。",
            form.list.trim(),
            ListKind::labels()
        ))
    })?;
    let region = match form.region.trim() {
        "" => user.region.to_string(),
        r => r.to_string(),
    };
    let issuer = RegionCode::parse(&region)
        .ok()
        .filter(|c| c.level() <= Level::District && user.scope().contains(c.as_str()))
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "「发布单位」「{region}」应为您管辖范围内的市或区县（6 位代码）。"
            ))
        })?;
    let entry = NewEntry {
        list,
        region_code: issuer.to_string(),
        name: workitems::text("事项名称", &form.name, true, MAX_NAME).map_err(AppError::Invalid)?,
        basis: workitems::text("依据", &form.basis, false, MAX_TEXT).map_err(AppError::Invalid)?,
        added_on: past_day("列入日期", &form.added_on, today)?,
    };
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    if let Some((id, since)) = store::current_named(&mut tx, &entry).await? {
        return Err(AppError::Conflict(format!(
            "「{}」自 {since} 起已在{}清单中（编号 {id}），不要重复列入。",
            entry.name,
            list.label()
        )));
    }
    let id = store::insert(&mut tx, &entry, (&user.username, &now.to_rfc3339())).await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "community.list.add",
            "community_list_item",
            id.to_string(),
        )
        .with(json!({
            "list": list.code(), "region_code": entry.region_code, "name": entry.name,
            "basis": entry.basis, "added_on": entry.added_on.to_string(),
        })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已列入{}：「{}」，自 {} 起。",
        list.label(),
        entry.name,
        entry.added_on
    );
    finish(&state, &user, id, json, message).await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RemoveForm {
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-02")]
    removed_on: String,
    #[serde(default)]
    reason: String,
    version: i64,
}

async fn remove(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<RemoveForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let on = past_day("移出日期", &form.removed_on, today)?;
    let reason =
        workitems::text("移出原因", &form.reason, true, MAX_TEXT).map_err(AppError::Invalid)?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let what = || format!("清单事项 {id}");
    let entry = store::get(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::NotFound(what()))?;
    user.ensure_in_scope(&entry.region_code, what)?;
    workitems::check_removal(&entry, on, today).map_err(AppError::Invalid)?;
    // A removal may not be dated before certificates already issued against the item:
    // they were issued while it was listed.
    let (issued, last): (i64, Option<String>) = sqlx::query_as(
        "SELECT COUNT(*), MAX(issued_on) FROM community_certificates WHERE item_id = $1 AND issued_on >= $2",
    )
    .bind(id)
    .bind(on.to_string())
    .fetch_one(&mut *tx)
    .await?;
    if issued > 0 {
        return Err(AppError::Invalid(format!(
            "「移出日期」{on}：此后已按「{}」开具证明 {issued} 份（最近 {}），移出日期应晚于最后一次开具。",
            entry.name,
            last.unwrap_or_default()
        )));
    }
    if !store::remove(&mut tx, id, form.version, (on, &reason), &now.to_rfc3339()).await? {
        return Err(AppError::Conflict(format!(
            "「{}」已被他人修改，请刷新页面后再办理。",
            entry.name
        )));
    }
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "community.list.remove",
            "community_list_item",
            id.to_string(),
        )
        .with(json!({"list": entry.list.code(), "name": entry.name, "removed_on": on.to_string(), "reason": reason})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已将「{}」移出{}清单，自 {on} 起不再列入。",
        entry.name,
        entry.list.label()
    );
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
        let entry = store::get(&mut conn, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("清单事项 {id}")))?;
        drop(conn);
        let names = region_names(state, user).await?;
        let view = view_of(&entry, &names, state.clock.today());
        return Ok(Json(json!({"entry": view, "message": message})).into_response());
    }
    Ok(page_view(state, user, message).await?.into_response())
}
