//! The caseworker's workbench (工作台): my queue (cases waiting for an action this role
//! takes), overdue cases, reviews due, gradual exits ended, and 先行救助 grants whose file
//! is still to be completed — all within the user's region.

use askama::Template;
use axum::Form;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{Days, NaiveDate};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use super::cases::{self, CaseRecord};
use super::workflow::{self, Status};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::money::Fen;
use crate::web::layout::{Crumb, PageCtx, render};
use crate::web::paging;

const READ: Access = Access::Perm("assistance:household:read");
/// Reviews shown this many days before they fall due.
const REVIEW_LOOKAHEAD_DAYS: u64 = 30;
const LIST_LIMIT: i64 = 500;
/// Reviews due shown per page: a large street has thousands due in a month, and rendering
/// 500 of them on every visit was most of the workbench's time (bench/load.sh).
pub const REVIEWS_PAGE: i64 = 50;

pub fn routes() -> Routes {
    Routes::new()
        .get("/assistance/workbench", READ, page)
        .post("/assistance/workbench/search", READ, search_page)
        .get("/api/v1/workbench", READ, api)
        .post("/api/v1/workbench/search", READ, api_search)
        .post(
            "/assistance/temporary/{id}/complete",
            Access::Perm("assistance:temporary:complete"),
            complete_advance,
        )
}

#[derive(Serialize)]
pub struct CaseLine {
    pub(crate) id: i64,
    pub(crate) reference: String,
    pub(crate) household_number: String,
    pub(crate) program: &'static str,
    pub(crate) status: &'static str,
    pub(crate) applied_on: String,
    pub(crate) due_on: String,
    pub(crate) overdue: bool,
    /// What this user is to do next.
    pub(crate) step: String,
    pub(crate) close_relative: bool,
    pub(crate) next_review_on: String,
    pub(crate) gradual_until: String,
    pub(crate) monthly_amount: String,
}

#[derive(Serialize)]
pub struct AdvanceLine {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) grant_date: String,
    pub(crate) due_on: String,
    pub(crate) overdue: bool,
    pub(crate) amount: String,
}

#[derive(Serialize)]
pub struct Workbench {
    /// What was searched (受理编号, household number or a member's name) and the cases found.
    pub(crate) q: String,
    pub(crate) found: Vec<CaseLine>,
    pub(crate) queue: Vec<CaseLine>,
    pub(crate) overdue: Vec<CaseLine>,
    /// One page (`REVIEWS_PAGE`) of the reviews due, most urgent first;
    /// `reviews_due_total` counts them all.
    pub(crate) reviews_due: Vec<CaseLine>,
    pub(crate) reviews_due_total: i64,
    pub(crate) reviews_page: i64,
    pub(crate) reviews_pages: i64,
    pub(crate) gradual_ended: Vec<CaseLine>,
    pub(crate) advances: Vec<AdvanceLine>,
    /// 临时救助报批 waiting for this user's decision (district or city level).
    pub(crate) temporary_requests: i64,
    pub(crate) can_create: bool,
    pub(crate) can_complete: bool,
}

/// The step this user takes next on an open case, if any.
fn my_step(
    user: &CurrentUser,
    c: &CaseRecord,
    today: NaiveDate,
    open_objections: bool,
) -> Option<String> {
    let can = |p: &str| user.can(p);
    let notice_over = c
        .notice_until
        .as_deref()
        .and_then(|d| d.parse::<NaiveDate>().ok())
        .is_some_and(|u| today > u);
    let step = match c.status {
        Status::Submitted if can("assistance:case:accept") => "受理或不予受理",
        Status::Accepted if can("assistance:case:investigate") => "入户调查、信息核对",
        Status::Investigating if can("assistance:case:review") => "提出街道审核意见",
        Status::Reviewed if c.recommend == Some(true) && can("assistance:case:review") => {
            "发布公示"
        }
        Status::Reviewed | Status::Notice
            if c.close_relative
                && !c.district_reviewed
                && can("assistance:case:district_review") =>
        {
            "区县审核（近亲属备案）"
        }
        Status::Reviewed if c.recommend == Some(false) && can("assistance:case:approve") => {
            "作出不予批准决定"
        }
        Status::Notice if open_objections && can("assistance:objection:resolve") => "处理公示异议",
        Status::Notice if notice_over && !open_objections && can("assistance:case:approve") => {
            "公示期满，审批"
        }
        _ => return None,
    };
    Some(step.to_string())
}

fn line(c: &CaseRecord, today: NaiveDate, step: String) -> CaseLine {
    let due: Option<NaiveDate> = c.due_on.as_deref().and_then(|d| d.parse().ok());
    CaseLine {
        id: c.id,
        reference: c.reference.clone().unwrap_or_default(),
        household_number: c.household_number.clone(),
        program: c.program.label(),
        status: c.status.label(),
        applied_on: c.applied_on.clone(),
        due_on: c.due_on.clone().unwrap_or_default(),
        overdue: c.status.is_open() && workflow::is_overdue(due, today),
        step,
        close_relative: c.close_relative,
        next_review_on: c.next_review_on.clone().unwrap_or_default(),
        gradual_until: c.gradual_until.clone().unwrap_or_default(),
        monthly_amount: Fen(c.monthly_amount).to_display(),
    }
}

pub async fn workbench(
    state: &AppState,
    user: &CurrentUser,
    q: &str,
    reviews_page: Option<i64>,
) -> AppResult<Workbench> {
    let today = state.clock.today();
    let (low, high) = user.scope_bounds();
    let scope = "c.region_code >= $1 AND c.region_code < $2";
    let q = q.trim().chars().take(40).collect::<String>();
    let found = if q.is_empty() {
        Vec::new()
    } else {
        cases::query(
            &state.db,
            &format!(
                "{scope} AND (c.reference = $3 OR h.number = $3 OR EXISTS \
                 (SELECT 1 FROM members m WHERE m.household_id = c.household_id AND m.name = $3))"
            ),
            &[low.clone(), high.clone(), q.clone()],
            100,
        )
        .await?
        .iter()
        .map(|c| line(c, today, String::new()))
        .collect()
    };
    let open = cases::query(
        &state.db,
        &format!("{scope} AND c.status IN ('submitted', 'accepted', 'investigating', 'reviewed', 'notice')"),
        &[low.clone(), high.clone()],
        LIST_LIMIT,
    )
    .await?;
    let with_objections: std::collections::HashSet<i64> = sqlx::query(
        "SELECT DISTINCT o.case_id FROM case_objections o JOIN cases c ON c.id = o.case_id \
         WHERE o.resolved_at IS NULL AND c.region_code >= $1 AND c.region_code < $2",
    )
    .bind(low.clone())
    .bind(high.clone())
    .fetch_all(state.db.pool())
    .await?
    .iter()
    .map(|r| r.try_get::<i64, _>(0))
    .collect::<Result<_, _>>()?;
    let mut queue = Vec::new();
    let mut overdue = Vec::new();
    for c in &open {
        let step = my_step(user, c, today, with_objections.contains(&c.id));
        let l = line(c, today, step.clone().unwrap_or_default());
        if l.overdue {
            overdue.push(line(c, today, step.clone().unwrap_or_default()));
        }
        if step.is_some() {
            queue.push(l);
        }
    }
    let horizon = (today + Days::new(REVIEW_LOOKAHEAD_DAYS)).to_string();
    // Every region of the scope by name rather than as a range of codes: the index on
    // (status, region_code, next_review_on) then seeks each community's due cases, where a
    // range of codes would read every active case of the city due in the month (measured at
    // 1,000,000 households: 80 ms against 1 ms).
    let codes = regions_in_scope(&state.db, &low, &high).await?;
    let due = format!(
        "c.status = 'active' AND c.next_review_on IS NOT NULL AND c.next_review_on <= $1 \
         AND c.gradual_until IS NULL AND c.region_code IN ({})",
        (2..2 + codes.len())
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut due_binds = vec![horizon];
    due_binds.extend(codes);
    // A large street has thousands due in a month: the list shows the most urgent first,
    // the card counts them all.
    let count_sql = format!("SELECT COUNT(*) FROM cases c WHERE {due}");
    let mut count = sqlx::query(&count_sql);
    for b in &due_binds {
        count = count.bind(b.clone());
    }
    let reviews_due_total: i64 = count.fetch_one(state.db.pool()).await?.try_get(0)?;
    let reviews_pages = ((reviews_due_total + REVIEWS_PAGE - 1) / REVIEWS_PAGE).max(1);
    let reviews_page = paging::page(reviews_page).min(reviews_pages);
    let reviews_due = cases::query_page(
        &state.db,
        &due,
        &due_binds,
        "c.next_review_on, c.id",
        REVIEWS_PAGE,
        (reviews_page - 1) * REVIEWS_PAGE,
    )
    .await?
    .iter()
    .map(|c| {
        let mut l = line(c, today, "复核".to_string());
        l.overdue = c
            .next_review_on
            .as_deref()
            .is_some_and(|d| d < today.to_string().as_str());
        l
    })
    .collect();
    let gradual_ended = cases::query(
        &state.db,
        &format!("{scope} AND c.status = 'active' AND c.gradual_until IS NOT NULL AND c.gradual_until < $3"),
        &[low.clone(), high.clone(), today.to_string()],
        LIST_LIMIT,
    )
    .await?
    .iter()
    .map(|c| line(c, today, "渐退期满，停保".to_string()))
    .collect();
    let deadlines = cases::deadlines_on(&state.db, today).await?;
    let cal = crate::calendar::store::load_calendar(&state.db).await?;
    let mut advances = Vec::new();
    for r in sqlx::query(
        "SELECT id, name, grant_date, due_on, amount FROM temporary_grants WHERE advance = 1 AND completed_on IS NULL \
         AND status = 'valid' AND region_code >= $1 AND region_code < $2 ORDER BY grant_date LIMIT 500",
    )
    .bind(low.clone())
    .bind(high.clone())
    .fetch_all(state.db.pool())
    .await?
    {
        let granted: NaiveDate = r.try_get::<String, _>("grant_date")?.parse().unwrap_or(today);
        let due = r
            .try_get::<Option<String>, _>("due_on")?
            .and_then(|d| d.parse().ok())
            .unwrap_or_else(|| deadlines.advance_due(&cal, granted));
        advances.push(AdvanceLine {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            grant_date: granted.to_string(),
            due_on: due.to_string(),
            overdue: workflow::is_overdue(Some(due), today),
            amount: Fen(r.try_get("amount")?).to_display(),
        });
    }
    let levels: Vec<&str> = [
        ("district", "assistance:temporary:approve_district"),
        ("city", "assistance:temporary:approve_city"),
    ]
    .into_iter()
    .filter(|(_, p)| user.can(p))
    .map(|(l, _)| l)
    .collect();
    let temporary_requests = if levels.is_empty() {
        0
    } else {
        let sql = format!(
            "SELECT COUNT(*) FROM temporary_requests WHERE status = 'pending' AND region_code >= $1 \
             AND region_code < $2 AND level IN ({})",
            // Numbered like the rest of the statement (SQLite's driver does not mix
            // numbered and anonymous placeholders).
            (3..3 + levels.len())
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut q = sqlx::query(&sql).bind(low).bind(high);
        for l in &levels {
            q = q.bind(*l);
        }
        q.fetch_one(state.db.pool()).await?.try_get(0)?
    };
    Ok(Workbench {
        q,
        found,
        queue,
        overdue,
        reviews_due,
        reviews_due_total,
        reviews_page,
        reviews_pages,
        gradual_ended,
        advances,
        temporary_requests,
        can_create: user.can("assistance:case:create"),
        can_complete: user.can("assistance:temporary:complete"),
    })
}

/// The codes of every region from `low` up to `high` (a scope's subtree, itself included).
/// Never empty: the user's own region is in its scope.
async fn regions_in_scope(db: &crate::db::Db, low: &str, high: &str) -> AppResult<Vec<String>> {
    let codes: Vec<String> =
        sqlx::query("SELECT code FROM regions WHERE code >= $1 AND code < $2 ORDER BY code")
            .bind(low)
            .bind(high)
            .fetch_all(db.pool())
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
    if codes.is_empty() {
        // Keeps the IN list valid SQL; matches nothing.
        return Ok(vec![low.to_string()]);
    }
    Ok(codes)
}

#[derive(Template)]
#[template(path = "assistance/workbench.html")]
struct WorkbenchPage {
    page: PageCtx,
    w: Workbench,
}

/// A search by 受理编号, household number or a member's name: sent as a POST body, since
/// a name must not appear in an address (SECURITY.md).
#[derive(serde::Deserialize, Default, utoipa::ToSchema)]
pub struct SearchForm {
    #[serde(default)]
    q: String,
}

/// Which page of the reviews due to show.
#[derive(serde::Deserialize)]
pub struct WorkbenchQuery {
    reviews_page: Option<i64>,
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<WorkbenchQuery>,
) -> AppResult<Html<String>> {
    workbench_page(&state, &user, "", query.reviews_page).await
}

async fn search_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(f): Form<SearchForm>,
) -> AppResult<Html<String>> {
    workbench_page(&state, &user, &f.q, None).await
}

async fn workbench_page(
    state: &AppState,
    user: &CurrentUser,
    q: &str,
    reviews_page: Option<i64>,
) -> AppResult<Html<String>> {
    let w = workbench(state, user, q, reviews_page).await?;
    let page = PageCtx::load(
        state,
        Some(user),
        "workbench",
        "救助工作台",
        vec![Crumb::here("救助工作台")],
    )
    .await?;
    render(WorkbenchPage { page, w })
}

async fn api(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<WorkbenchQuery>,
) -> AppResult<Json<Workbench>> {
    Ok(Json(
        workbench(&state, &user, "", query.reviews_page).await?,
    ))
}

async fn api_search(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(f): Json<SearchForm>,
) -> AppResult<Json<Workbench>> {
    Ok(Json(workbench(&state, &user, &f.q, None).await?))
}

/// Marks a 先行救助 grant's file as completed (补齐材料).
async fn complete_advance(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let what = || format!("临时救助记录 {id}");
    let region: String =
        sqlx::query("SELECT region_code FROM temporary_grants WHERE id = $1 AND advance = 1")
            .bind(id)
            .fetch_optional(state.db.pool())
            .await?
            .ok_or_else(|| AppError::NotFound(what()))?
            .try_get(0)?;
    user.ensure_in_scope(&region, what)?;
    let today = state.clock.today();
    let mut tx = state.db.begin().await?;
    let updated = sqlx::query(
        "UPDATE temporary_grants SET completed_on = $1 WHERE id = $2 AND completed_on IS NULL",
    )
    .bind(today.to_string())
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated != 1 {
        return Err(AppError::Conflict(format!(
            "临时救助记录 {id} 已经补齐过材料。"
        )));
    }
    record(
        &mut tx,
        &AuditEvent::new(
            state.clock.now_local(),
            &ctx.actor(),
            "temporary.complete",
            "temporary_grant",
            id.to_string(),
        )
        .with(json!({ "completed_on": today.to_string() })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    Ok(Redirect::to("/assistance/workbench").into_response())
}
