//! Social-assistance pages and API: the register of households (scoped), a household with
//! its members and cases, and the standards page of the city administrator.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

use super::model::{ExitReason, Program};
use crate::AppState;
use crate::audit::AuditEvent;
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::money::Fen;
use crate::protect::SensitiveKind;
use crate::region::RegionCode;
use crate::web::layout::{Crumb, PageCtx, render};

const READ: Access = Access::Perm("assistance:household:read");

pub fn routes() -> Routes {
    Routes::new()
        .get("/assistance/households", READ, list_page)
        .get("/assistance/households/{id}", READ, detail_page)
        .get("/assistance/households/export", READ, export_list)
        .get("/api/v1/households", READ, api_list)
        .post("/api/v1/households/search", READ, api_search)
        .post("/assistance/households/search", READ, search_page)
        .get("/api/v1/households/{id}", READ, api_detail)
}

const PAGE_SIZE: i64 = 50;

#[derive(Deserialize, Default, Clone, Serialize)]
pub struct ListQuery {
    #[serde(default)]
    program: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    region: String,
    /// A member's name (or its beginning), sealed: names never travel in addresses. The
    /// list form is posted to `…/search`, which answers with this list's address.
    #[serde(default)]
    nt: String,
    page: Option<i64>,
}

/// The list's filters as a search form or JSON body, with the name in clear.
#[derive(Deserialize, Clone, Default, utoipa::ToSchema)]
pub struct ListSearch {
    #[serde(default)]
    program: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    name: String,
    page: Option<i64>,
}

impl ListSearch {
    fn query(&self, state: &AppState) -> ListQuery {
        let name = self.name.trim();
        ListQuery {
            program: self.program.clone(),
            status: self.status.clone(),
            region: self.region.clone(),
            nt: if name.is_empty() {
                String::new()
            } else {
                state.keyring.seal(SensitiveKind::SearchName, name).sealed
            },
            page: self.page,
        }
    }
}

/// The name a list's address carries, opened (a token that does not open filters nothing).
fn searched_name(state: &AppState, q: &ListQuery) -> String {
    if q.nt.is_empty() {
        return String::new();
    }
    state
        .keyring
        .open(SensitiveKind::SearchName, &q.nt)
        .unwrap_or_default()
}

#[derive(Serialize, Clone)]
pub struct HouseholdRow {
    pub id: i64,
    pub number: String,
    pub region_code: String,
    pub community: String,
    pub program: &'static str,
    pub status: &'static str,
    pub approved_on: String,
    pub monthly_amount: String,
    pub members: i64,
    pub applicant: String,
}

fn status_label(code: &str) -> &'static str {
    super::workflow::Status::from_code(code)
        .map(|s| s.label())
        .unwrap_or("")
}

/// A name search counts this many households at most (see `households`).
pub const SEARCH_COUNT_CAP: i64 = 200;

/// How many households a list holds.
#[derive(Clone, Copy, Debug)]
struct Total {
    households: i64,
    /// A name search found more than `households` (= SEARCH_COUNT_CAP); they are not all
    /// counted.
    more: bool,
}

/// The list, filtered inside the user's scope (an explicit region must lie inside it), in
/// the order of community and household number.
async fn households(
    state: &AppState,
    user: &CurrentUser,
    q: &ListQuery,
    name: &str,
) -> AppResult<(Vec<HouseholdRow>, Total)> {
    let bounds = match q.region.trim() {
        "" => user.scope_bounds(),
        code => {
            let code = RegionCode::parse(code)
                .ok()
                .filter(|c| user.scope().contains(c.as_str()))
                .ok_or_else(|| {
                    AppError::Invalid(format!("区划「{code}」不存在或不在您的管辖范围内。"))
                })?;
            code.scope().sql_bounds()
        }
    };
    let mut clauses = vec![
        "h.region_code >= $1".to_string(),
        "h.region_code < $2".to_string(),
    ];
    let mut binds: Vec<String> = vec![bounds.0, bounds.1];
    if let Some(p) = Program::from_code(q.program.trim()) {
        binds.push(p.code().to_string());
        clauses.push(format!("c.program = ${}", binds.len()));
    }
    if !q.status.trim().is_empty() {
        if status_label(q.status.trim()).is_empty() {
            return Err(AppError::Invalid(format!("状态「{}」无法识别。", q.status)));
        }
        binds.push(q.status.trim().to_string());
        clauses.push(format!("c.status = ${}", binds.len()));
    }
    let name = name.trim();
    if !name.is_empty() {
        // Prefix match: a caseworker types the surname or the start of the name. LIKE's
        // wildcards in what was typed are matched as themselves (escaped), so `%` finds
        // the names that start with `%` — none — not every household.
        let mut escaped = String::with_capacity(name.len() + 1);
        for c in name.chars().take(30) {
            if matches!(c, '%' | '_' | '\\') {
                escaped.push('\\');
            }
            escaped.push(c);
        }
        binds.push(format!("{escaped}%"));
        clauses.push(format!(
            "EXISTS (SELECT 1 FROM members mn WHERE mn.household_id = h.id \
             AND mn.name LIKE ${} ESCAPE '\\')",
            binds.len()
        ));
    }
    // Each household with its latest case. Households are the only table walked: the
    // community's name is looked up per row shown, not joined. With regions joined, SQLite
    // (given the statistics of a full import) drove the walk from the street's communities,
    // then sorted every match for the page (measured at 1,000,000 households: 257 ms for a
    // surname page against 7 ms walking households in (region, number) order and stopping
    // when the page is full).
    let from = format!(
        "FROM households h \
         JOIN cases c ON c.id = (SELECT MAX(c2.id) FROM cases c2 WHERE c2.household_id = h.id) WHERE {}",
        clauses.join(" AND ")
    );
    // A surname matches thousands of households in a large street: counting them all
    // would read every household of the street for each search, so a name search counts
    // up to SEARCH_COUNT_CAP and says "more than" past it.
    let count_sql = if name.is_empty() {
        format!("SELECT COUNT(*) {from}")
    } else {
        format!(
            "SELECT COUNT(*) FROM (SELECT 1 {from} LIMIT {}) AS found",
            SEARCH_COUNT_CAP + 1
        )
    };
    let mut count = sqlx::query(&count_sql).persistent(false);
    for b in &binds {
        count = count.bind(b.clone());
    }
    let counted: i64 = count.fetch_one(state.db.pool()).await?.try_get(0)?;
    let more = !name.is_empty() && counted > SEARCH_COUNT_CAP;
    let total = Total {
        households: if more { SEARCH_COUNT_CAP } else { counted },
        more,
    };
    let sql = format!(
        "SELECT h.id, h.number, h.region_code, \
         (SELECT r.name FROM regions r WHERE r.code = h.region_code) AS community, \
         c.program, c.status, c.approved_on, \
         c.monthly_amount, (SELECT COUNT(*) FROM members m WHERE m.household_id = h.id) AS members, \
         (SELECT MIN(m.name) FROM members m WHERE m.household_id = h.id AND m.relation = '本人') AS applicant \
         {from} ORDER BY h.region_code, h.number LIMIT ${} OFFSET ${}",
        binds.len() + 1,
        binds.len() + 2
    );
    let mut query = sqlx::query(&sql).persistent(false);
    for b in &binds {
        query = query.bind(b.clone());
    }
    let rows = query
        .bind(PAGE_SIZE)
        .bind(crate::web::paging::offset(q.page, PAGE_SIZE))
        .fetch_all(state.db.pool())
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let program: String = r.try_get("program")?;
        let status: String = r.try_get("status")?;
        out.push(HouseholdRow {
            id: r.try_get("id")?,
            number: r.try_get("number")?,
            region_code: r.try_get("region_code")?,
            community: r.try_get("community")?,
            program: Program::from_code(&program)
                .map(|p| p.label())
                .unwrap_or(""),
            status: status_label(&status),
            approved_on: r
                .try_get::<Option<String>, _>("approved_on")?
                .unwrap_or_default(),
            monthly_amount: Fen(r.try_get("monthly_amount")?).to_display(),
            members: r.try_get("members")?,
            applicant: r
                .try_get::<Option<String>, _>("applicant")?
                .unwrap_or_default(),
        });
    }
    Ok((out, total))
}

#[derive(Template)]
#[template(path = "assistance/households.html")]
struct ListPage {
    page: PageCtx,
    q: ListQuery,
    /// The name searched for, shown in the form (the page body, not the address).
    name: String,
    rows: Vec<HouseholdRow>,
    total: i64,
    /// More than `total` (a name search stops counting there).
    more: bool,
    page_no: i64,
    pages: i64,
    prev_link: String,
    next_link: String,
    export_link: String,
}

fn link(q: &ListQuery, page: i64) -> String {
    let mut q = q.clone();
    q.page = Some(page);
    format!(
        "/assistance/households?{}",
        serde_urlencoded::to_string(&q).unwrap_or_default()
    )
}

async fn list_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Html<String>> {
    let name = searched_name(&state, &q);
    let (rows, total) = households(&state, &user, &q, &name).await?;
    let page_no = crate::web::paging::page(q.page);
    // Past the counted households the pages are not known: a full page may have a next.
    let pages = if total.more {
        page_no + i64::from(rows.len() as i64 == PAGE_SIZE)
    } else {
        ((total.households + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
    };
    let page = PageCtx::load(
        &state,
        Some(&user),
        "households",
        "救助家庭",
        vec![Crumb::here("救助家庭")],
    )
    .await?;
    render(ListPage {
        page,
        prev_link: link(&q, page_no - 1),
        next_link: link(&q, page_no + 1),
        export_link: {
            let mut e = q.clone();
            e.page = None;
            format!(
                "/assistance/households/export?{}",
                serde_urlencoded::to_string(&e).unwrap_or_default()
            )
        },
        q,
        name,
        rows,
        total: total.households,
        more: total.more,
        page_no,
        pages,
    })
}

/// The filtered list as XLSX (no personal numbers: the list shows none). Audited.
async fn export_list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> AppResult<axum::response::Response> {
    let user = ctx.user()?.clone();
    let name = searched_name(&state, &q);
    let mut all = Vec::new();
    let mut page = 1;
    loop {
        let mut paged = q.clone();
        paged.page = Some(page);
        let (rows, _) = households(&state, &user, &paged, &name).await?;
        let done = (rows.len() as i64) < PAGE_SIZE;
        all.extend(rows);
        if done || all.len() >= 100_000 {
            break;
        }
        page += 1;
    }
    let headers = [
        "户编号",
        "户主",
        "社区/村",
        "区划代码",
        "救助类别",
        "状态",
        "批准日期",
        "月保障金额",
        "人数",
    ];
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|h| {
            vec![
                h.number.clone(),
                h.applicant.clone(),
                h.community.clone(),
                h.region_code.clone(),
                h.program.to_string(),
                h.status.to_string(),
                h.approved_on.clone(),
                h.monthly_amount.replace(',', ""),
                h.members.to_string(),
            ]
        })
        .collect();
    let bytes = crate::ledger::write_ledger("households.xlsx", &headers, &rows)
        .map_err(AppError::Internal)?;
    crate::audit::store::record_alone(
        &state.db,
        &AuditEvent::new(
            state.clock.now_local(),
            &ctx.actor(),
            "household.export",
            "household_list",
            "query",
        )
        .with(json!({
            "program": q.program, "status": q.status, "region": q.region,
            "name": name, "rows": rows.len(),
        })),
    )
    .await
    .map_err(AppError::audit)?;
    Ok(crate::web::download::attachment(
        bytes,
        crate::web::download::XLSX,
        "households.xlsx",
    ))
}

#[derive(Serialize)]
struct ListAnswer {
    /// Households in the list; for a name search at most SEARCH_COUNT_CAP, with
    /// `total_is_lower_bound` true when more were found.
    total: i64,
    total_is_lower_bound: bool,
    households: Vec<HouseholdRow>,
}

impl ListAnswer {
    fn new(households: Vec<HouseholdRow>, total: Total) -> ListAnswer {
        ListAnswer {
            total: total.households,
            total_is_lower_bound: total.more,
            households,
        }
    }
}

async fn api_list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<ListAnswer>> {
    let name = searched_name(&state, &q);
    let (households, total) = households(&state, &user, &q, &name).await?;
    Ok(Json(ListAnswer::new(households, total)))
}

/// The list filtered by a member's name: the name in the body, never in the address.
async fn api_search(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(f): Json<ListSearch>,
) -> AppResult<Json<ListAnswer>> {
    let q = f.query(&state);
    let (households, total) = households(&state, &user, &q, f.name.trim()).await?;
    Ok(Json(ListAnswer::new(households, total)))
}

/// The list form: answers with the list's address, the name sealed in it.
async fn search_page(
    State(state): State<AppState>,
    axum::Form(f): axum::Form<ListSearch>,
) -> Response {
    axum::response::Redirect::to(&link(&f.query(&state), 1)).into_response()
}

#[derive(Serialize)]
pub struct MemberView {
    name: String,
    relation: String,
    id_number: String,
    sex: &'static str,
    age: u32,
    covered: bool,
}

#[derive(Serialize)]
pub struct CaseView {
    id: i64,
    program: &'static str,
    status: &'static str,
    applied_on: String,
    approved_on: String,
    exited_on: String,
    exit_reason: &'static str,
    removal: bool,
    monthly_amount: String,
    covered_persons: i64,
    transitions: Vec<TransitionView>,
}

#[derive(Serialize)]
pub struct TransitionView {
    at: String,
    from: &'static str,
    to: &'static str,
    by: String,
    reason: String,
}

#[derive(Serialize)]
pub struct HouseholdView {
    id: i64,
    /// Register edits send it back (optimistic locking).
    version: i64,
    number: String,
    region_code: String,
    members: Vec<MemberView>,
    cases: Vec<CaseView>,
}

async fn household(state: &AppState, user: &CurrentUser, id: i64) -> AppResult<HouseholdView> {
    let what = || format!("救助家庭 {id}");
    let row = sqlx::query("SELECT number, region_code, version FROM households WHERE id = $1")
        .bind(id)
        .fetch_optional(state.db.pool())
        .await?
        .ok_or_else(|| AppError::NotFound(what()))?;
    let region_code: String = row.try_get("region_code")?;
    user.ensure_in_scope(&region_code, what)?;
    let today = state.clock.today();
    let mut members = Vec::new();
    for m in sqlx::query(
        "SELECT name, relation, id_number_sealed, birth_date, sex, covered FROM members WHERE household_id = $1 \
         ORDER BY CASE WHEN relation = '本人' THEN 0 ELSE 1 END, id",
    )
    .bind(id)
    .fetch_all(state.db.pool())
    .await?
    {
        let sealed: String = m.try_get("id_number_sealed")?;
        let full = state
            .keyring
            .open(SensitiveKind::IdNumber, &sealed)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let birth: NaiveDate = m.try_get::<String, _>("birth_date")?.parse().unwrap_or(today);
        let sex: String = m.try_get("sex")?;
        members.push(MemberView {
            name: m.try_get("name")?,
            relation: m.try_get("relation")?,
            id_number: SensitiveKind::IdNumber.mask(&full),
            sex: if sex == "male" { "男" } else { "女" },
            age: crate::ids::idcard::age_on(birth, today),
            covered: m.try_get::<i64, _>("covered")? != 0,
        });
    }
    let mut cases = Vec::new();
    for c in sqlx::query(
        "SELECT id, program, status, applied_on, approved_on, exited_on, exit_reason, monthly_amount, covered_persons \
         FROM cases WHERE household_id = $1 ORDER BY id DESC",
    )
    .bind(id)
    .fetch_all(state.db.pool())
    .await?
    {
        let case_id: i64 = c.try_get("id")?;
        let program: String = c.try_get("program")?;
        let status: String = c.try_get("status")?;
        let reason = c.try_get::<Option<String>, _>("exit_reason")?.as_deref().and_then(ExitReason::from_code);
        let mut transitions = Vec::new();
        for t in sqlx::query("SELECT from_status, to_status, at, username, reason FROM case_transitions WHERE case_id = $1 ORDER BY id")
            .bind(case_id)
            .fetch_all(state.db.pool())
            .await?
        {
            transitions.push(TransitionView {
                at: t.try_get("at")?,
                from: status_label(&t.try_get::<Option<String>, _>("from_status")?.unwrap_or_default()),
                to: status_label(&t.try_get::<String, _>("to_status")?),
                by: t.try_get("username")?,
                reason: t.try_get("reason")?,
            });
        }
        cases.push(CaseView {
            id: case_id,
            program: Program::from_code(&program).map(|p| p.label()).unwrap_or(""),
            status: status_label(&status),
            applied_on: c.try_get("applied_on")?,
            approved_on: c.try_get::<Option<String>, _>("approved_on")?.unwrap_or_default(),
            exited_on: c.try_get::<Option<String>, _>("exited_on")?.unwrap_or_default(),
            exit_reason: reason.map(|r| r.label()).unwrap_or(""),
            removal: reason.is_some_and(|r| r.is_removal()),
            monthly_amount: Fen(c.try_get("monthly_amount")?).to_display(),
            covered_persons: c.try_get("covered_persons")?,
            transitions,
        });
    }
    Ok(HouseholdView {
        id,
        version: row.try_get("version")?,
        number: row.try_get("number")?,
        region_code,
        members,
        cases,
    })
}

#[derive(Template)]
#[template(path = "assistance/household.html")]
struct DetailPage {
    page: PageCtx,
    h: HouseholdView,
    r: super::registry_web::RegistryView,
    can_edit: bool,
    /// The case holding the register (opinion given or in notice): edits wait.
    locked_by: String,
    message: String,
}

#[derive(Deserialize, Default)]
pub struct DetailQuery {
    #[serde(default)]
    pub(super) done: String,
}

async fn detail_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<DetailQuery>,
) -> AppResult<Html<String>> {
    let user = ctx.user()?.clone();
    let h = household(&state, &user, id).await?;
    audit_view(&state, &ctx, id).await?;
    let page = PageCtx::load(
        &state,
        Some(&user),
        "households",
        format!("救助家庭 {}", h.number),
        vec![
            Crumb::link("救助家庭", "/assistance/households"),
            Crumb::here(h.number.clone()),
        ],
    )
    .await?;
    let r = super::registry_web::registry(&state, id).await?;
    let message = if q.done.is_empty() {
        String::new()
    } else {
        format!("已完成「{}」。", q.done)
    };
    let locked_by: String = sqlx::query(super::registry_web::LOCKING_CASE)
        .bind(id)
        .fetch_optional(state.db.pool())
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
        .unwrap_or_default();
    render(DetailPage {
        page,
        h,
        r,
        can_edit: user.can("assistance:household:update") && locked_by.is_empty(),
        locked_by,
        message,
    })
}

/// The household page shows incomes, health and disability: the view is audited (DOMAIN.md
/// §8), as a case's is.
pub(super) async fn audit_view(state: &AppState, ctx: &Ctx, id: i64) -> AppResult<()> {
    crate::audit::store::record_alone(
        &state.db,
        &AuditEvent::new(
            state.clock.now_local(),
            &ctx.actor(),
            "household.view",
            "household",
            id.to_string(),
        ),
    )
    .await
    .map_err(AppError::audit)?;
    Ok(())
}

async fn api_detail(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<HouseholdView>> {
    Ok(Json(household(&state, &user, id).await?))
}
