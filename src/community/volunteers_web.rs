//! Volunteers (志愿者) as pages and JSON: the register of a region with cumulative hours
//! and star level, registering (ID number and phone sealed, the ID's blind index unique),
//! finding by ID number or name (a POST). Every change is audited in its transaction.
//! The volunteer's page with the service records is `volunteers_person`, the printable
//! certificate `volunteers_certificate`.

use std::collections::HashMap;

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::volunteers::{next_star, show_hours, star_label, star_level};
use super::volunteers_person::{self as person};
use super::volunteers_store::{self as store, NewVolunteer, Service, Volunteer};
use super::workitems::text;
use super::workitems_web::past_day;
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::ids::IdNumber;
use crate::protect::{Keyring, Phone, SensitiveKind};
use crate::web::extract::FormOrJson;
use crate::web::layout::{Crumb, PageCtx, render};

pub const READ: Access = Access::Perm("volunteer:register:read");
pub const UPDATE: Access = Access::Perm("volunteer:register:update");
const PAGE: i64 = 100;

pub fn routes() -> Routes {
    Routes::new()
        .get("/community/volunteers", READ, list_page)
        .post("/community/volunteers", UPDATE, register)
        .post("/community/volunteers/find", READ, find)
        .get("/community/volunteers/{id}", READ, person::volunteer_page)
        .post(
            "/community/volunteers/{id}/services",
            UPDATE,
            person::add_service,
        )
        // Issuing the certificate (stamped, naming who issued it) is the register's keepers'
        // business, not a reader's.
        .get(
            "/community/volunteers/{id}/certificate",
            UPDATE,
            super::volunteers_certificate::page,
        )
        .get("/api/v1/community/volunteers", READ, api_list)
        .post("/api/v1/community/volunteers", UPDATE, register)
        .post("/api/v1/community/volunteers/find", READ, find)
        .get(
            "/api/v1/community/volunteers/{id}",
            READ,
            person::api_volunteer,
        )
        .post(
            "/api/v1/community/volunteers/{id}/services",
            UPDATE,
            person::add_service,
        )
}

/// A volunteer as pages and the API show it (ID and phone masked).
#[derive(Clone, Debug, Serialize)]
pub struct VolunteerView {
    pub id: i64,
    pub name: String,
    pub id_number: String,
    pub region_code: String,
    pub community: String,
    pub phone: Option<String>,
    pub registered_on: String,
    /// Cumulative hours with one decimal ("100.0").
    pub hours: String,
    pub stars: Option<u8>,
    pub star_label: &'static str,
    /// "还差 0.1 小时达到一星"; none at five stars.
    pub next_level: Option<String>,
    pub records: i64,
    pub last_served: Option<String>,
    pub version: i64,
}

pub(super) fn view_of(
    v: &Volunteer,
    keyring: &Keyring,
    names: &HashMap<String, String>,
) -> VolunteerView {
    let masked = |kind: SensitiveKind, sealed: &str| {
        keyring
            .open(kind, sealed)
            .map(|s| kind.mask(&s))
            .unwrap_or_else(|_| "（无法解密）".to_string())
    };
    let stars = star_level(v.tenths);
    VolunteerView {
        id: v.id,
        name: v.name.clone(),
        id_number: masked(SensitiveKind::IdNumber, &v.id_sealed),
        region_code: v.region_code.clone(),
        community: names.get(&v.region_code).cloned().unwrap_or_default(),
        phone: v
            .phone_sealed
            .as_deref()
            .map(|p| masked(SensitiveKind::Phone, p)),
        registered_on: v.registered_on.clone(),
        hours: show_hours(v.tenths),
        stars,
        star_label: star_label(stars),
        next_level: next_star(v.tenths).map(|(level, need)| {
            format!(
                "还差 {} 小时达到{}",
                show_hours(need),
                star_label(Some(level))
            )
        }),
        records: v.records,
        last_served: v.last_served.clone(),
        version: v.version,
    }
}

/// A record as pages and the API show it.
#[derive(Clone, Debug, Serialize)]
pub struct ServiceView {
    pub id: i64,
    pub served_on: String,
    pub hours: String,
    pub activity: String,
    pub organiser: String,
    pub created_by: String,
}

pub(super) fn service_view(s: &Service) -> ServiceView {
    ServiceView {
        id: s.id,
        served_on: s.served_on.clone(),
        hours: show_hours(s.tenths),
        activity: s.activity.clone(),
        organiser: s.organiser.clone(),
        created_by: s.created_by.clone(),
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ListQuery {
    pub page: Option<i64>,
}

#[derive(Serialize)]
struct Register {
    total: i64,
    page: i64,
    pages: i64,
    /// Volunteers in scope by star level: none, then one to five stars.
    by_stars: Vec<(&'static str, usize)>,
    volunteers: Vec<VolunteerView>,
}

async fn gather(
    state: &AppState,
    user: &CurrentUser,
    query: &ListQuery,
    found: Option<Vec<Volunteer>>,
) -> AppResult<Register> {
    let bounds = user.scope_bounds();
    let page = crate::web::paging::page(query.page);
    let (rows, total) = match found {
        Some(rows) => {
            let n = rows.len() as i64;
            (rows, n)
        }
        None => store::list(&state.db, &bounds, page, PAGE).await?,
    };
    let totals = store::totals(&state.db, &bounds).await?;
    let by_stars = (0..=5u8)
        .map(|s| {
            let level = (s > 0).then_some(s);
            (
                star_label(level),
                totals.iter().filter(|t| star_level(**t) == level).count(),
            )
        })
        .collect();
    let names = crate::elderly::people_view::names(state, user).await?;
    Ok(Register {
        total,
        page,
        pages: ((total + PAGE - 1) / PAGE).max(1),
        by_stars,
        volunteers: rows
            .iter()
            .map(|v| view_of(v, &state.keyring, &names))
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "community/volunteers.html")]
struct ListPage {
    page: PageCtx,
    r: Register,
    found: bool,
    communities: Vec<(String, String)>,
    can_update: bool,
    notice: String,
    today: String,
}

async fn list_view(
    state: &AppState,
    user: &CurrentUser,
    query: &ListQuery,
    found: Option<Vec<Volunteer>>,
    notice: String,
) -> AppResult<Html<String>> {
    let is_found = found.is_some();
    let r = gather(state, user, query, found).await?;
    let communities = crate::region::store::subtree(&state.db, &user.region)
        .await?
        .into_iter()
        .filter(|r| r.level == crate::region::Level::Community)
        .map(|r| (r.code.to_string(), r.name))
        .collect();
    let page = PageCtx::load(
        state,
        Some(user),
        "volunteers",
        "志愿者",
        vec![Crumb::here("志愿者")],
    )
    .await?;
    render(ListPage {
        page,
        r,
        found: is_found,
        communities,
        can_update: user.can("volunteer:register:update"),
        notice,
        today: state.clock.today().to_string(),
    })
}

async fn list_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> AppResult<Html<String>> {
    list_view(&state, &user, &query, None, String::new()).await
}

async fn api_list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    Ok(Json(json!(gather(&state, &user, &query, None).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct FindForm {
    /// An ID number or a name.
    #[serde(default)]
    q: String,
}

async fn find(
    State(state): State<AppState>,
    user: CurrentUser,
    FormOrJson { value: form, json }: FormOrJson<FindForm>,
) -> AppResult<Response> {
    let q = form.q.trim();
    if q.is_empty() {
        return Err(AppError::Invalid(
            "请填写要查找的身份证号或姓名。".to_string(),
        ));
    }
    let index = IdNumber::parse(q, state.clock.today())
        .ok()
        .map(|id| state.keyring.index(SensitiveKind::IdNumber, id.as_str()));
    let name = if index.is_some() { "" } else { q };
    let found = store::find(&state.db, &user.scope_bounds(), index.as_deref(), name).await?;
    if json {
        let r = gather(&state, &user, &ListQuery::default(), Some(found)).await?;
        return Ok(Json(json!({ "volunteers": r.volunteers })).into_response());
    }
    let notice = if found.is_empty() {
        "本辖区没有找到此志愿者。".to_string()
    } else {
        format!("找到 {} 人。", found.len())
    };
    Ok(
        list_view(&state, &user, &ListQuery::default(), Some(found), notice)
            .await?
            .into_response(),
    )
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RegisterForm {
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    #[schema(example = "369902001001")]
    community: String,
    #[serde(default)]
    phone: String,
    /// Empty: today.
    #[serde(default)]
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
    let id = IdNumber::parse(&form.id_number, today)
        .map_err(|e| AppError::Invalid(format!("「身份证号」{e}。")))?;
    let name = text("姓名", &form.name, true, 50).map_err(AppError::Invalid)?;
    let community =
        crate::elderly::people_view::community_in_scope(&state, &user, &form.community).await?;
    let phone = match form.phone.trim() {
        "" => None,
        p => Some(Phone::parse(p).map_err(|e| AppError::Invalid(format!("{e}。")))?),
    };
    let registered_on = past_day("注册日期", &form.registered_on, today)?;
    let sealed = state.keyring.seal(SensitiveKind::IdNumber, id.as_str());
    let phone = phone.map(|p| state.keyring.seal(SensitiveKind::Phone, p.as_str()));
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    state
        .db
        .lock_keys(&mut tx, std::slice::from_ref(&sealed.index))
        .await?;
    if let Some((vid, region)) = store::by_index(&mut tx, &sealed.index).await? {
        return Err(AppError::Conflict(if user.scope().contains(&region) {
            format!("此人已注册为志愿者（志愿者编号 {vid}），请到其页面登记服务，不要重复注册。")
        } else {
            "此人已在其他地区注册为志愿者，服务记录请由原注册地登记。".to_string()
        }));
    }
    let vid = store::insert(
        &mut tx,
        &NewVolunteer {
            name: &name,
            region_code: community.code.as_str(),
            registered_on,
        },
        &sealed,
        phone.as_ref(),
        (&user.username, &now.to_rfc3339()),
    )
    .await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "volunteer.register",
            "volunteer",
            vid.to_string(),
        )
        .with(json!({
            "id_number": id.masked(), "region_code": community.code.to_string(),
            "registered_on": registered_on.to_string(), "phone": phone.is_some(),
        })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!("已注册志愿者：{name}（{}）。", community.name);
    person::finish(&state, &user, vid, json, message).await
}
