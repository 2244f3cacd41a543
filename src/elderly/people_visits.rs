//! 探访关爱: recording a visit (at home or by phone) and the overdue list of a region,
//! grouped by street and community: everyone whose last visit (or, before any, their
//! registration) plus their interval lies before today.

use std::collections::BTreeMap;

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::people_store::{self as store, NewVisit};
use super::people_view::{PersonView, names, view_of};
use super::people_web::{READ, UPDATE, finish, person_in_scope};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::homecare::model::required_text;
use crate::web::extract::FormOrJson;
use crate::web::layout::{Crumb, PageCtx, render};

pub fn routes() -> Routes {
    Routes::new()
        .post("/elderly/people/{id}/visits", UPDATE, add_visit)
        .get("/elderly/visits/overdue", READ, overdue_page)
        .post("/api/v1/elderly/people/{id}/visits", UPDATE, add_visit)
        .get("/api/v1/elderly/visits/overdue", READ, api_overdue)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct VisitForm {
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-02")]
    visited_on: String,
    /// home (上门) or phone (电话).
    #[serde(default)]
    way: String,
    #[serde(default)]
    visitor: String,
    #[serde(default)]
    notes: String,
}

async fn add_visit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<VisitForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let p = person_in_scope(&state, &user, id).await?;
    if !p.active() {
        return Err(AppError::Conflict(
            "此人的登记已注销，不再登记探访。".to_string(),
        ));
    }
    let today = state.clock.today();
    let visited_on = crate::calendar::parse_date(&form.visited_on)
        .filter(|d| *d <= today && *d >= p.birth_date)
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "「探访日期」应为今天或以前的日期（如 {today}），收到「{}」。",
                form.visited_on.trim()
            ))
        })?;
    let way = match form.way.trim() {
        "home" | "上门" => "home",
        "phone" | "电话" => "phone",
        other => {
            return Err(AppError::Invalid(format!(
                "「探访方式」「{other}」无法识别，请选择上门或电话。"
            )));
        }
    };
    let visitor = required_text("探访人", &form.visitor, 50, "探访的工作人员或志愿者")
        .map_err(AppError::Invalid)?;
    let notes = form.notes.trim();
    if notes.chars().count() > 500 {
        return Err(AppError::Invalid("「探访情况」不超过 500 字。".to_string()));
    }
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let visit = NewVisit {
        visited_on,
        way,
        visitor: &visitor,
        notes,
        order_id: None,
    };
    let visit_id = store::add_visit(&mut tx, id, &visit, &user.username, &now.to_rfc3339()).await?;
    let event = AuditEvent::new(now, &ctx.actor(), "elderly.visit.add", "older_visits", visit_id.to_string())
        .with(json!({ "person_id": id, "visited_on": visited_on.to_string(), "way": way, "visitor": visitor }));
    record(&mut tx, &event).await.map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已登记 {visited_on} 的{}探访（{visitor}）。",
        if way == "home" { "上门" } else { "电话" }
    );
    finish(&state, &user, id, json, message).await
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct OverdueFilter {
    /// A street or community inside the user's scope.
    #[serde(default)]
    pub region: String,
}

/// A community's people with a visit schedule, and those overdue.
#[derive(Serialize)]
struct CommunityLine {
    code: String,
    name: String,
    scheduled: usize,
    overdue: Vec<PersonView>,
}

#[derive(Serialize)]
struct StreetLine {
    code: String,
    name: String,
    scheduled: usize,
    overdue: usize,
    communities: Vec<CommunityLine>,
}

async fn gather(
    state: &AppState,
    user: &CurrentUser,
    filter: &OverdueFilter,
) -> AppResult<Vec<StreetLine>> {
    let region = filter.region.trim();
    let bounds = if region.is_empty() {
        user.scope_bounds()
    } else if user.scope().contains(region) {
        crate::db::prefix_bounds(region)
    } else {
        return Err(AppError::Invalid(format!(
            "「地区」「{region}」不在您的管辖范围内。"
        )));
    };
    let people = store::current(&state.db, &bounds).await?;
    let mut conn = state.db.pool().acquire().await?;
    let programs = store::programs(&mut conn, &bounds, None).await?;
    drop(conn);
    let names = names(state, user).await?;
    let today = state.clock.today();
    // Street code → community code → line.
    let mut streets: BTreeMap<String, BTreeMap<String, CommunityLine>> = BTreeMap::new();
    for p in &people {
        let v = view_of(
            p,
            &state.keyring,
            programs.get(&p.id).copied(),
            &names,
            today,
        );
        if v.visit_interval.is_none() {
            continue;
        }
        let street = p.region_code.get(..9).unwrap_or(&p.region_code).to_string();
        let line = streets
            .entry(street)
            .or_default()
            .entry(p.region_code.clone())
            .or_insert_with(|| CommunityLine {
                code: p.region_code.clone(),
                name: v.community.clone(),
                scheduled: 0,
                overdue: Vec::new(),
            });
        line.scheduled += 1;
        if v.days_overdue.is_some() {
            line.overdue.push(v);
        }
    }
    Ok(streets
        .into_iter()
        .map(|(code, communities)| {
            let mut communities: Vec<CommunityLine> = communities.into_values().collect();
            for c in &mut communities {
                // Longest overdue first.
                c.overdue.sort_by_key(|v| std::cmp::Reverse(v.days_overdue));
            }
            StreetLine {
                name: names.get(&code).cloned().unwrap_or_default(),
                scheduled: communities.iter().map(|c| c.scheduled).sum(),
                overdue: communities.iter().map(|c| c.overdue.len()).sum(),
                code,
                communities,
            }
        })
        .collect())
}

#[derive(Template)]
#[template(path = "elderly/people_overdue.html")]
struct OverduePage {
    page: PageCtx,
    streets: Vec<StreetLine>,
    filter: OverdueFilter,
    regions: Vec<(String, String)>,
    total: usize,
    defaults: Vec<(&'static str, String)>,
}

async fn overdue_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(filter): Query<OverdueFilter>,
) -> AppResult<Html<String>> {
    let streets = gather(&state, &user, &filter).await?;
    let page = PageCtx::load(
        &state,
        Some(&user),
        "older_visits",
        "探访逾期",
        vec![
            Crumb::link("老年人", "/elderly/people"),
            Crumb::here("探访逾期"),
        ],
    )
    .await?;
    let regions = crate::region::store::subtree(&state.db, &user.region)
        .await?
        .into_iter()
        .filter(|r| r.level >= crate::region::model::Level::Street)
        .map(|r| (r.code.to_string(), r.name))
        .collect();
    render(OverduePage {
        page,
        total: streets.iter().map(|s| s.overdue).sum(),
        streets,
        filter,
        regions,
        defaults: defaults(),
    })
}

/// The default intervals, for the page's explanation.
fn defaults() -> Vec<(&'static str, String)> {
    super::people::Living::ALL
        .iter()
        .map(|l| {
            (
                l.label(),
                super::people::default_visit_interval(*l)
                    .map_or("不定期".to_string(), |d| format!("每 {d} 天")),
            )
        })
        .collect()
}

async fn api_overdue(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(filter): Query<OverdueFilter>,
) -> AppResult<Json<Value>> {
    let streets = gather(&state, &user, &filter).await?;
    Ok(Json(json!({
        "today": state.clock.today().to_string(),
        "overdue": streets.iter().map(|s| s.overdue).sum::<usize>(),
        "streets": streets,
    })))
}
