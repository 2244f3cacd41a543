//! Certificates a community issues (社区证明): issuing one records it against an entry of
//! the certificate list listed on the day of issue (an unlisted, not yet listed or removed
//! item is refused with the reason, and the refusal is audited); the certificates of a
//! quarter, those of one person (found by ID number: a POST), and per quarter the counts
//! of certificates issued and of list entries removed. ID numbers are sealed, with the
//! blind index of `members`, and shown masked.

use std::collections::HashMap;

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::certificates_store::{self as store, Issued, NewCertificate};
use super::workitems::{self, Entry, ListKind};
use super::workitems_store::{self as lists, Reach};
use super::workitems_web::{past_day, region_names};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::ids::IdNumber;
use crate::protect::{Keyring, SensitiveKind};
use crate::region::Level;
use crate::report::Quarter;
use crate::web::extract::{FormOrJson, typed};
use crate::web::layout::{Crumb, PageCtx, render};

pub const READ: Access = Access::Perm("community:certificate:read");
pub const ISSUE: Access = Access::Perm("community:certificate:issue");
/// Quarters in the counts table.
const QUARTERS: usize = 8;
const LIMIT: i64 = 500;

pub fn routes() -> Routes {
    Routes::new()
        .get("/community/certificates", READ, page)
        .post("/community/certificates", ISSUE, issue)
        .post("/community/certificates/find", READ, find)
        .get("/api/v1/community/certificates", READ, api_list)
        .post("/api/v1/community/certificates", ISSUE, issue)
        .post("/api/v1/community/certificates/find", READ, find)
        .get(
            "/api/v1/community/certificates/quarters",
            READ,
            api_quarters,
        )
}

/// A certificate as pages and the API show it (ID masked).
#[derive(Clone, Debug, Serialize)]
pub struct CertificateView {
    pub id: i64,
    pub item_id: i64,
    pub item: String,
    pub region_code: String,
    pub community: String,
    pub person_name: String,
    pub id_number: String,
    pub purpose: String,
    pub issued_on: String,
    pub issued_by: String,
}

fn view_of(c: &Issued, keyring: &Keyring, names: &HashMap<String, String>) -> CertificateView {
    CertificateView {
        id: c.id,
        item_id: c.item_id,
        item: c.item.clone(),
        region_code: c.region_code.clone(),
        community: names.get(&c.region_code).cloned().unwrap_or_default(),
        person_name: c.person_name.clone(),
        id_number: keyring
            .open(SensitiveKind::IdNumber, &c.id_sealed)
            .map(|v| SensitiveKind::IdNumber.mask(&v))
            .unwrap_or_else(|_| "（无法解密）".to_string()),
        purpose: c.purpose.clone(),
        issued_on: c.issued_on.clone(),
        issued_by: c.issued_by.clone(),
    }
}

/// One quarter's counts: certificates issued in the user's scope, and entries removed
/// from the lists that reach it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QuarterCounts {
    pub quarter: String,
    pub label: String,
    pub certificates: i64,
    pub certificate_items_removed: i64,
    pub workitems_removed: i64,
}

fn quarter_of_month(month: &str) -> Option<Quarter> {
    NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .ok()
        .map(Quarter::of)
}

/// Counts for the `QUARTERS` quarters ending with `last`.
pub async fn counts(
    state: &AppState,
    user: &CurrentUser,
    last: Quarter,
) -> AppResult<Vec<QuarterCounts>> {
    let quarters = crate::report::trend::span(last, QUARTERS);
    let from = quarters.first().map_or(last, |q| *q).first_day();
    let to = last.last_day();
    let issued = store::issued_by_month(&state.db, &user.scope_bounds(), from, to).await?;
    let removed = lists::removed_by_month(&state.db, &Reach::of(&user.region), from, to).await?;
    Ok(quarters
        .iter()
        .map(|q| {
            let in_q = |m: &str| quarter_of_month(m) == Some(*q);
            let removed_of = |list: ListKind| {
                removed
                    .iter()
                    .filter(|(l, m, _)| *l == list && in_q(m))
                    .map(|(_, _, n)| n)
                    .sum()
            };
            QuarterCounts {
                quarter: q.to_string(),
                label: q.label(),
                certificates: issued.iter().filter(|(m, _)| in_q(m)).map(|(_, n)| n).sum(),
                certificate_items_removed: removed_of(ListKind::Certificate),
                workitems_removed: removed_of(ListKind::WorkItem),
            }
        })
        .collect())
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct QuarterQuery {
    #[serde(default)]
    quarter: String,
}

fn quarter(q: &QuarterQuery, today: NaiveDate) -> AppResult<Quarter> {
    match q.quarter.trim() {
        "" => Ok(Quarter::of(today)),
        s => s.parse::<Quarter>().map_err(AppError::Invalid),
    }
}

async fn certificates(
    state: &AppState,
    user: &CurrentUser,
    q: Quarter,
    index: Option<&str>,
) -> AppResult<Vec<CertificateView>> {
    let rows = store::list(
        &state.db,
        &user.scope_bounds(),
        (q.first_day(), q.last_day()),
        index,
        LIMIT,
    )
    .await?;
    let names = crate::elderly::people_view::names(state, user).await?;
    Ok(rows
        .iter()
        .map(|c| view_of(c, &state.keyring, &names))
        .collect())
}

#[derive(Template)]
#[template(path = "community/certificates.html")]
struct CertificatesPage {
    page: PageCtx,
    quarter: String,
    quarter_label: String,
    counts: Vec<QuarterCounts>,
    certificates: Vec<CertificateView>,
    /// Results of a find (not the quarter's list).
    found: bool,
    communities: Vec<(String, String)>,
    /// Certificate entries listed today that reach the user's region.
    items: Vec<(i64, String)>,
    can_issue: bool,
    notice: String,
    today: String,
}

async fn page_view(
    state: &AppState,
    user: &CurrentUser,
    q: Quarter,
    found: Option<Vec<CertificateView>>,
    notice: String,
) -> AppResult<Html<String>> {
    let today = state.clock.today();
    let is_found = found.is_some();
    let certificates = match found {
        Some(c) => c,
        None => certificates(state, user, q, None).await?,
    };
    let mut conn = state.db.pool().acquire().await?;
    let items = lists::reaching(&mut conn, &Reach::of(&user.region))
        .await?
        .into_iter()
        .filter(|e| e.list == ListKind::Certificate && e.listed_on(today))
        .map(|e| (e.id, e.name))
        .collect();
    drop(conn);
    let communities = crate::region::store::subtree(&state.db, &user.region)
        .await?
        .into_iter()
        .filter(|r| r.level == Level::Community)
        .map(|r| (r.code.to_string(), r.name))
        .collect();
    let page = PageCtx::load(
        state,
        Some(user),
        "community_certificates",
        "社区证明",
        vec![
            Crumb::link("社区工作事项与证明", "/community/lists"),
            Crumb::here("社区证明"),
        ],
    )
    .await?;
    render(CertificatesPage {
        page,
        quarter: q.to_string(),
        quarter_label: q.label(),
        counts: counts(state, user, q).await?,
        certificates,
        found: is_found,
        communities,
        items,
        can_issue: user.can("community:certificate:issue"),
        notice,
        today: today.to_string(),
    })
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<QuarterQuery>,
) -> AppResult<Html<String>> {
    let q = quarter(&query, state.clock.today())?;
    page_view(&state, &user, q, None, String::new()).await
}

async fn api_list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<QuarterQuery>,
) -> AppResult<Json<Value>> {
    let q = quarter(&query, state.clock.today())?;
    Ok(Json(json!({
        "quarter": q.to_string(),
        "certificates": certificates(&state, &user, q, None).await?,
    })))
}

async fn api_quarters(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<QuarterQuery>,
) -> AppResult<Json<Value>> {
    let q = quarter(&query, state.clock.today())?;
    Ok(Json(json!({ "quarters": counts(&state, &user, q).await? })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct FindForm {
    #[serde(default)]
    id_number: String,
}

/// The certificates of one person in the user's scope, by ID number (blind index).
async fn find(
    State(state): State<AppState>,
    user: CurrentUser,
    FormOrJson { value: form, json }: FormOrJson<FindForm>,
) -> AppResult<Response> {
    let today = state.clock.today();
    let id = IdNumber::parse(&form.id_number, today)
        .map_err(|e| AppError::Invalid(format!("「身份证号」{e}。")))?;
    let index = state.keyring.index(SensitiveKind::IdNumber, id.as_str());
    let q = Quarter::of(today);
    let found = certificates(&state, &user, q, Some(&index)).await?;
    if json {
        return Ok(Json(json!({ "certificates": found })).into_response());
    }
    let notice = format!("此人在本辖区有 {} 份社区证明记录。", found.len());
    Ok(page_view(&state, &user, q, Some(found), notice)
        .await?
        .into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct IssueForm {
    #[serde(default)]
    #[schema(example = "369902001001")]
    community: String,
    /// The entry's number, or the item's name.
    #[serde(default)]
    item: Value,
    #[serde(default)]
    person_name: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    purpose: String,
    /// Empty: today.
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-02")]
    issued_on: String,
}

async fn issue(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<IssueForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let community =
        crate::elderly::people_view::community_in_scope(&state, &user, &form.community).await?;
    let on = past_day("出具日期", &form.issued_on, today)?;
    let name = workitems::text("姓名", &form.person_name, true, 50).map_err(AppError::Invalid)?;
    let id = IdNumber::parse(&form.id_number, today)
        .map_err(|e| AppError::Invalid(format!("「身份证号」{e}。")))?;
    let purpose = workitems::text("用途", &form.purpose, true, 200).map_err(AppError::Invalid)?;
    let item = typed(&form.item);
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    // The city's and the district's lists (entries are issued by nothing lower).
    let entries: Vec<Entry> = lists::reaching(&mut tx, &Reach::of(&community.code)).await?;
    let entry = match workitems::choose(&entries, &item, on) {
        Ok(e) => e.clone(),
        Err(why) => {
            // The refusal is kept: supervising 社区减负 wants to see what was asked for.
            record(
                &mut tx,
                &AuditEvent::new(
                    now,
                    &ctx.actor(),
                    "community.certificate.issue",
                    "community_certificate",
                    "-",
                )
                .with(json!({
                    "region_code": community.code.to_string(), "item": item.trim(),
                    "issued_on": on.to_string(), "refused": why,
                }))
                .failed(),
            )
            .await
            .map_err(AppError::audit)?;
            tx.commit().await?;
            return Err(AppError::Invalid(why));
        }
    };
    let sealed = state.keyring.seal(SensitiveKind::IdNumber, id.as_str());
    let cert = NewCertificate {
        item_id: entry.id,
        region_code: community.code.as_str(),
        person_name: &name,
        purpose: &purpose,
        issued_on: on,
    };
    let cid = store::insert(&mut tx, &cert, &sealed, (&user.username, &now.to_rfc3339())).await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "community.certificate.issue",
            "community_certificate",
            cid.to_string(),
        )
        .with(json!({
            "region_code": community.code.to_string(), "item_id": entry.id, "item": entry.name,
            "id_number": id.masked(), "purpose": purpose, "issued_on": on.to_string(),
        })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已出具：{}（{}）为 {name} 出具「{}」，用途：{purpose}。",
        community.name, on, entry.name
    );
    if json {
        let c = store::get(&state.db, cid)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("社区证明 {cid}")))?;
        let names = region_names(&state, &user).await?;
        let view = view_of(&c, &state.keyring, &names);
        return Ok(Json(json!({"certificate": view, "message": message})).into_response());
    }
    Ok(page_view(&state, &user, Quarter::of(on), None, message)
        .await?
        .into_response())
}
