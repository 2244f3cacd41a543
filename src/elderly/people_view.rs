//! How an older person is shown: the masked ID and phone, age, level and living labels,
//! the visit schedule, the 特困/低保 link; and the person's page (and its JSON) with the
//! month's home-care allowance, visits and orders.

use std::collections::HashMap;

use askama::Template;
use axum::response::Html;
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Value, json};

use super::people::{AbilityLevel, LeftReason, Living, days_overdue, visit_due, visit_interval};
use super::people_store::{self as store, Person, Visit};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::homecare::allowance::{self, MonthAllowance};
use crate::homecare::model::{Payment, RequestedBy};
use crate::homecare::order_store::{self as orders, Order};
use crate::homecare::store::{self as care, Service};
use crate::protect::{Keyring, SensitiveKind};
use crate::region::model::{Level, Region, RegionCode};
use crate::web::layout::{Crumb, PageCtx, render};

/// An older person as lists, pages and the API show them (nothing unmasked).
#[derive(Clone, Debug, Serialize)]
pub struct PersonView {
    pub id: i64,
    pub name: String,
    /// Masked: first 6 and last 4 kept.
    pub id_number: String,
    pub birth_date: String,
    pub age: u32,
    pub sex: &'static str,
    pub region_code: String,
    pub community: String,
    pub ability_level: Option<i64>,
    pub ability_label: &'static str,
    pub assessed_on: Option<String>,
    pub living: &'static str,
    pub living_label: &'static str,
    /// Masked.
    pub phone: Option<String>,
    /// The person's own interval; `visit_interval` is the one that applies.
    pub own_interval: Option<u32>,
    pub visit_interval: Option<u32>,
    pub last_visit: Option<String>,
    pub next_visit: Option<String>,
    pub days_overdue: Option<i64>,
    /// In a 特困 / 低保 case in force (by the ID's blind index).
    pub tekun: bool,
    pub dibao: bool,
    pub registered_on: String,
    pub left_on: Option<String>,
    pub left_reason: Option<&'static str>,
    pub version: i64,
}

impl PersonView {
    /// "特困、低保" / "" for pages.
    pub fn programs(&self) -> String {
        let mut p = Vec::new();
        if self.tekun {
            p.push("特困");
        }
        if self.dibao {
            p.push("低保");
        }
        p.join("、")
    }
}

/// Code → name of every region in the user's scope.
pub async fn names(state: &AppState, user: &CurrentUser) -> AppResult<HashMap<String, String>> {
    Ok(crate::region::store::subtree(&state.db, &user.region)
        .await?
        .into_iter()
        .map(|r| (r.code.to_string(), r.name))
        .collect())
}

pub fn view_of(
    p: &Person,
    keyring: &Keyring,
    programs: Option<(bool, bool)>,
    names: &HashMap<String, String>,
    today: NaiveDate,
) -> PersonView {
    let open_masked = |kind: SensitiveKind, sealed: &str| {
        keyring
            .open(kind, sealed)
            .map(|v| kind.mask(&v))
            .unwrap_or_else(|_| "（无法解密）".to_string())
    };
    let interval = p
        .active()
        .then(|| visit_interval(p.living, p.visit_every_days))
        .flatten();
    let due = visit_due(p.registered_on, p.last_visit, interval);
    let (tekun, dibao) = programs.unwrap_or_default();
    PersonView {
        id: p.id,
        name: p.name.clone(),
        id_number: open_masked(SensitiveKind::IdNumber, &p.id_sealed),
        birth_date: p.birth_date.to_string(),
        age: crate::ids::idcard::age_on(p.birth_date, today),
        sex: if p.sex == "male" { "男" } else { "女" },
        region_code: p.region_code.clone(),
        community: names.get(&p.region_code).cloned().unwrap_or_default(),
        ability_level: p.ability.map(AbilityLevel::number),
        ability_label: p.ability.map_or("未评估", AbilityLevel::label),
        assessed_on: p.assessed_on.map(|d| d.to_string()),
        living: p.living.code(),
        living_label: p.living.label(),
        phone: p
            .phone_sealed
            .as_deref()
            .map(|s| open_masked(SensitiveKind::Phone, s)),
        own_interval: p.visit_every_days,
        visit_interval: interval,
        last_visit: p.last_visit.map(|d| d.to_string()),
        next_visit: due.map(|d| d.to_string()),
        days_overdue: days_overdue(due, today),
        tekun,
        dibao,
        registered_on: p.registered_on.to_string(),
        left_on: p.left_on.map(|d| d.to_string()),
        left_reason: p.left_reason.map(LeftReason::label),
        version: p.version,
    }
}

/// The community named in a form, if it exists and lies in the user's scope.
pub async fn community_in_scope(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
) -> AppResult<Region> {
    let refused = || {
        AppError::Invalid(format!(
            "「社区/村」「{}」不存在或不在您的管辖范围内，请从列表中选择。",
            code.trim()
        ))
    };
    let code = RegionCode::parse(code.trim())
        .ok()
        .filter(|c| c.level() == Level::Community && user.scope().contains(c.as_str()))
        .ok_or_else(refused)?;
    crate::region::store::get(&state.db, code.as_str())
        .await?
        .ok_or_else(refused)
}

/// Everything the person's page and JSON show.
struct Details {
    view: PersonView,
    allowance: Option<MonthAllowance>,
    visits: Vec<Visit>,
    orders: Vec<Order>,
}

async fn details(state: &AppState, user: &CurrentUser, p: Person) -> AppResult<Details> {
    let today = state.clock.today();
    let mut conn = state.db.pool().acquire().await?;
    let programs = store::programs(&mut conn, &user.scope_bounds(), Some(p.id)).await?;
    let allowance = if p.active() {
        Some(allowance::for_month(&mut conn, &p, today).await?)
    } else {
        None
    };
    drop(conn);
    let names = names(state, user).await?;
    Ok(Details {
        view: view_of(
            &p,
            &state.keyring,
            programs.get(&p.id).copied(),
            &names,
            today,
        ),
        allowance,
        visits: store::visits(&state.db, p.id).await?,
        orders: orders::orders(&state.db, &user.scope_bounds(), ("", "", Some(p.id)), 50).await?,
    })
}

pub async fn person_json(state: &AppState, user: &CurrentUser, p: Person) -> AppResult<Value> {
    let d = details(state, user, p).await?;
    Ok(json!({
        "person": d.view,
        "allowance": d.allowance,
        "visits": d.visits,
        "orders": d.orders,
    }))
}

#[derive(Template)]
#[template(path = "elderly/people_person.html")]
struct PersonPage {
    page: PageCtx,
    p: PersonView,
    street: String,
    allowance: Option<MonthAllowance>,
    visits: Vec<Visit>,
    orders: Vec<Order>,
    services: Vec<Service>,
    livings: Vec<(&'static str, &'static str)>,
    levels: Vec<(&'static str, &'static str)>,
    reasons: Vec<(&'static str, &'static str)>,
    requesters: Vec<(&'static str, &'static str)>,
    payments: Vec<(&'static str, &'static str)>,
    can_update: bool,
    can_place: bool,
    notice: String,
    today: String,
}

pub async fn person_view(
    state: &AppState,
    user: &CurrentUser,
    p: Person,
    notice: String,
) -> AppResult<Html<String>> {
    let street = RegionCode::parse(&p.region_code)
        .ok()
        .and_then(|c| c.parent())
        .map(|c| c.to_string())
        .unwrap_or_default();
    let d = details(state, user, p).await?;
    let street = crate::region::store::get(&state.db, &street)
        .await?
        .map(|r| r.name)
        .unwrap_or_default();
    let title = format!("老年人：{}", d.view.name);
    let page = PageCtx::load(
        state,
        Some(user),
        "older_people",
        &title,
        vec![
            Crumb::link("老年人", "/elderly/people"),
            Crumb::here(title.clone()),
        ],
    )
    .await?;
    let active = d.view.left_on.is_none();
    render(PersonPage {
        page,
        street,
        allowance: d.allowance,
        visits: d.visits,
        orders: d.orders,
        services: care::services(&state.db)
            .await?
            .into_iter()
            .filter(|s| s.active)
            .collect(),
        livings: Living::ALL.iter().map(|l| (l.code(), l.label())).collect(),
        levels: AbilityLevel::ALL
            .iter()
            .map(|l| (l.code(), l.label()))
            .collect(),
        reasons: LeftReason::ALL
            .iter()
            .map(|l| (l.code(), l.label()))
            .collect(),
        requesters: RequestedBy::ALL
            .iter()
            .map(|l| (l.code(), l.label()))
            .collect(),
        payments: Payment::ALL.iter().map(|l| (l.code(), l.label())).collect(),
        can_update: active && user.can("elderly:person:update"),
        can_place: active && user.can("homecare:order:place"),
        notice,
        today: state.clock.today().to_string(),
        p: d.view,
    })
}
