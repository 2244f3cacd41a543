//! Older people's register (老年人): the list of a region (ID numbers masked), finding
//! one by ID number or name (a POST: nothing personal in an address), registering, the
//! person's page with assessment, living situation, 特困/低保 link, visits, the month's
//! home-care allowance and orders. Every change is audited in its transaction. Updating
//! or ending a registration is in `people_changes`, visits and the overdue list in
//! `people_visits`.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::people::{AbilityLevel, Living, NewPerson, PersonInput};
use super::people_changes;
use super::people_store::{self as store, Filter, Person};
use super::people_view::{PersonView, community_in_scope, names, view_of};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::protect::SensitiveKind;
use crate::web::extract::FormOrJson;
use crate::web::layout::{Crumb, PageCtx, render};

pub(super) const READ: Access = Access::Perm("elderly:person:read");
pub(super) const UPDATE: Access = Access::Perm("elderly:person:update");
const PAGE: i64 = 100;

pub fn routes() -> Routes {
    Routes::new()
        .get("/elderly/people", READ, list_page)
        .post("/elderly/people", UPDATE, register)
        .post("/elderly/people/find", READ, find)
        .get("/elderly/people/{id}", READ, person_page)
        .post("/elderly/people/{id}", UPDATE, people_changes::update)
        .post("/elderly/people/{id}/leave", UPDATE, people_changes::leave)
        .get("/api/v1/elderly/people", READ, api_list)
        .post("/api/v1/elderly/people", UPDATE, register)
        .post("/api/v1/elderly/people/find", READ, find)
        .get("/api/v1/elderly/people/{id}", READ, api_person)
        .post(
            "/api/v1/elderly/people/{id}",
            UPDATE,
            people_changes::update,
        )
        .post(
            "/api/v1/elderly/people/{id}/leave",
            UPDATE,
            people_changes::leave,
        )
        .merge(super::people_visits::routes())
}

#[derive(Template)]
#[template(path = "elderly/people.html")]
struct ListPage {
    page: PageCtx,
    people: Vec<PersonView>,
    total: i64,
    filter: Filter,
    communities: Vec<(String, String)>,
    livings: Vec<(&'static str, &'static str)>,
    levels: Vec<(&'static str, &'static str)>,
    can_update: bool,
    notice: String,
    /// Results of a find (the list is not paged then).
    found: bool,
    paging: (i64, i64, Option<String>, Option<String>),
    today: String,
}

fn check_filter(user: &CurrentUser, filter: &mut Filter) -> AppResult<()> {
    if !filter.region.is_empty() && !user.scope().contains(filter.region.trim()) {
        return Err(AppError::Invalid(format!(
            "「地区」「{}」不在您的管辖范围内。",
            filter.region
        )));
    }
    filter.region = filter.region.trim().to_string();
    if !filter.living.is_empty() {
        filter.living = Living::parse(&filter.living)
            .ok_or_else(|| {
                AppError::Invalid(format!("「居住情况」「{}」无法识别。", filter.living))
            })?
            .code()
            .to_string();
    }
    if !filter.level.is_empty() && filter.level != "none" {
        filter.level = AbilityLevel::parse(&filter.level)
            .ok_or_else(|| {
                AppError::Invalid(format!("「能力等级」「{}」无法识别。", filter.level))
            })?
            .code()
            .to_string();
    }
    Ok(())
}

async fn views(
    state: &AppState,
    user: &CurrentUser,
    people: &[Person],
) -> AppResult<Vec<PersonView>> {
    let bounds = user.scope_bounds();
    let mut conn = state.db.pool().acquire().await?;
    let programs = store::programs(&mut conn, &bounds, None).await?;
    let names = names(state, user).await?;
    let today = state.clock.today();
    Ok(people
        .iter()
        .map(|p| {
            view_of(
                p,
                &state.keyring,
                programs.get(&p.id).copied(),
                &names,
                today,
            )
        })
        .collect())
}

async fn list_view(
    state: &AppState,
    user: &CurrentUser,
    mut filter: Filter,
    found: Option<Vec<Person>>,
    notice: String,
) -> AppResult<Html<String>> {
    check_filter(user, &mut filter)?;
    let is_found = found.is_some();
    let (people, total) = match found {
        Some(people) => {
            let n = people.len() as i64;
            (people, n)
        }
        None => store::list(&state.db, &user.scope_bounds(), &filter, PAGE).await?,
    };
    let this = crate::web::paging::page(filter.page);
    let last = ((total + PAGE - 1) / PAGE).max(1);
    let link = |page: i64| {
        let mut f = filter.clone();
        f.page = Some(page);
        format!(
            "/elderly/people?{}",
            serde_urlencoded::to_string(&f).unwrap_or_default()
        )
    };
    let paging = (
        this,
        last,
        (this > 1 && !is_found).then(|| link(this - 1)),
        (this < last && !is_found).then(|| link(this + 1)),
    );
    let communities = crate::region::store::subtree(&state.db, &user.region)
        .await?
        .into_iter()
        .filter(|r| r.level >= crate::region::model::Level::Street)
        .map(|r| (r.code.to_string(), r.name))
        .collect();
    let page = PageCtx::load(
        state,
        Some(user),
        "older_people",
        "老年人",
        vec![Crumb::here("老年人")],
    )
    .await?;
    render(ListPage {
        page,
        people: views(state, user, &people).await?,
        total,
        filter,
        communities,
        livings: Living::ALL.iter().map(|l| (l.code(), l.label())).collect(),
        levels: AbilityLevel::ALL
            .iter()
            .map(|l| (l.code(), l.label()))
            .collect(),
        can_update: user.can("elderly:person:update"),
        notice,
        found: is_found,
        paging,
        today: state.clock.today().to_string(),
    })
}

async fn list_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(filter): Query<Filter>,
) -> AppResult<Html<String>> {
    list_view(&state, &user, filter, None, String::new()).await
}

async fn api_list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(mut filter): Query<Filter>,
) -> AppResult<Json<Value>> {
    check_filter(&user, &mut filter)?;
    let (people, total) = store::list(&state.db, &user.scope_bounds(), &filter, PAGE).await?;
    Ok(Json(json!({
        "total": total,
        "page": crate::web::paging::page(filter.page),
        "page_size": PAGE,
        "people": views(&state, &user, &people).await?,
    })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct FindForm {
    /// An 18-digit ID number or a name.
    #[serde(default)]
    q: String,
}

/// Finds people in scope by ID number (through the blind index) or exact name.
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
    let index = crate::ids::IdNumber::parse(q, state.clock.today())
        .ok()
        .map(|id| state.keyring.index(SensitiveKind::IdNumber, id.as_str()));
    let name = if index.is_some() { "" } else { q };
    let people = store::find(&state.db, &user.scope_bounds(), index.as_deref(), name).await?;
    if json {
        return Ok(Json(json!({ "people": views(&state, &user, &people).await? })).into_response());
    }
    let notice = if people.is_empty() {
        "本辖区没有找到此人。".to_string()
    } else {
        format!("找到 {} 人。", people.len())
    };
    Ok(
        list_view(&state, &user, Filter::default(), Some(people), notice)
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
    ability_level: String,
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-02")]
    assessed_on: String,
    #[serde(default)]
    living: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    visit_every_days: serde_json::Value,
}

async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<RegisterForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let interval = crate::web::extract::typed(&form.visit_every_days);
    let person = NewPerson::parse(
        &PersonInput {
            id_number: &form.id_number,
            name: &form.name,
            ability_level: &form.ability_level,
            assessed_on: &form.assessed_on,
            living: &form.living,
            phone: &form.phone,
            visit_every_days: &interval,
        },
        today,
    )
    .map_err(AppError::Invalid)?;
    let community = community_in_scope(&state, &user, &form.community).await?;
    let sealed = state
        .keyring
        .seal(SensitiveKind::IdNumber, person.id.as_str());
    let phone = person
        .phone
        .as_ref()
        .map(|p| state.keyring.seal(SensitiveKind::Phone, p.as_str()));
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    state
        .db
        .lock_keys(&mut tx, std::slice::from_ref(&sealed.index))
        .await?;
    if let Some((id, region)) = store::by_index(&mut tx, &sealed.index).await? {
        return Err(AppError::Conflict(if user.scope().contains(&region) {
            format!("此人已登记（老年人编号 {id}），请到其页面更新，不要重复登记。")
        } else {
            "此人已在其他地区登记；迁入本辖区的，请原登记地注销后再登记。".to_string()
        }));
    }
    let id = store::insert(
        &mut tx,
        &person,
        &sealed,
        phone.as_ref(),
        community.code.as_str(),
        (&user.username, &now.to_rfc3339(), today),
    )
    .await?;
    let event = AuditEvent::new(
        now,
        &ctx.actor(),
        "elderly.person.register",
        "older_people",
        id.to_string(),
    )
    .with(json!({
        "id_number": person.id.masked(),
        "region_code": community.code.to_string(),
        "living": person.living.code(),
        "ability_level": person.assessment.map(|(l, _)| l.number()),
        "visit_every_days": person.own_interval,
    }));
    record(&mut tx, &event).await.map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已登记：{}（{} 周岁，{}，{}）。",
        person.name,
        person.age,
        community.name,
        person.living.label()
    );
    finish(&state, &user, id, json, message).await
}

/// The person in the user's scope (outside: 404).
pub(crate) async fn person_in_scope(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> AppResult<Person> {
    let what = || format!("老年人 {id}");
    let mut conn = state.db.pool().acquire().await?;
    let p = store::get(&mut conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(what()))?;
    user.ensure_in_scope(&p.region_code, what)?;
    Ok(p)
}

async fn person_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let p = person_in_scope(&state, &user, id).await?;
    super::people_view::person_view(&state, &user, p, String::new()).await
}

async fn api_person(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let p = person_in_scope(&state, &user, id).await?;
    Ok(Json(
        super::people_view::person_json(&state, &user, p).await?,
    ))
}

/// After a change: the person's page with the message, or the person as JSON.
pub(super) async fn finish(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    json: bool,
    message: String,
) -> AppResult<Response> {
    let p = person_in_scope(state, user, id).await?;
    if json {
        let mut body = super::people_view::person_json(state, user, p).await?;
        body["message"] = Value::String(message);
        return Ok(Json(body).into_response());
    }
    Ok(super::people_view::person_view(state, user, p, message)
        .await?
        .into_response())
}
